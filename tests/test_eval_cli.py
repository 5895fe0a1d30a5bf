"""``summarizer eval ...`` in-process: check, run (with a fake summarizer), score, compare,
calibrate, thresholds, and a report.html with no external resources."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import summarizer.api
from summarizer.batch import JsonlWriter, Record
from summarizer.cli.main import main
from summarizer.errors import ExtractionError
from summarizer.evaluation.gold import Gold, load_gold_dir
from summarizer.evaluation.synthetic import make_summary
from summarizer.schema import NegotiationSummary, PromptInfo, Usage

EVALS = Path(__file__).resolve().parents[1] / "evals"
IDS = ["us-china-trump-xi-call", "us-uk-trade-deal-fact-sheet", "iran-detainee-release-statement"]
EXTERNAL = re.compile(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def gold_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "gold"
    folder.mkdir()
    for name in IDS:
        for suffix in (".yaml", ".txt"):
            shutil.copy(EVALS / f"{name}{suffix}", folder / f"{name}{suffix}")
    return folder


def golds(folder: Path) -> dict[str, Gold]:
    return {g.id: g for g in load_gold_dir(folder)}


def write_run(run_dir: Path, folder: Path, summaries: dict[str, NegotiationSummary | None]) -> Path:
    """A run folder written by hand: predictions.jsonl (None = a failed article), run.json."""
    run_dir.mkdir(parents=True)
    with JsonlWriter(run_dir / "predictions.jsonl") as writer:
        for key, summary in summaries.items():
            if summary is None:
                error = {"type": "ExtractionError", "message": "never validated"}
                writer.write(Record(key, "failed", error=error, seconds=1.0))
            else:
                writer.write(Record(key, "ok", summary=summary.model_dump(mode="json"), seconds=2))
    meta = {"gold_dir": str(folder), "model": "hand/written", "seconds_per_article": {}}
    (run_dir / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    return run_dir


def half(gold: Gold) -> NegotiationSummary:
    """Every other gold item: a prediction with perfect precision and lower recall."""
    items = {f: gold.items(f)[::2] for f in ("demands", "concessions", "open_issues")}
    return make_summary(gold, items=items)


def test_check_ok(gold_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "check", str(EVALS)]) == 0
    assert capsys.readouterr().out.strip() == "17 gold files OK"


def test_check_broken(gold_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = gold_dir / "iran-detainee-release-statement.yaml"
    path.write_text(path.read_text().replace("party: Iran", "party: Persia", 1))
    (gold_dir / "us-uk-trade-deal-fact-sheet.txt").unlink()
    assert main(["eval", "check", str(gold_dir)]) == 1
    err = capsys.readouterr().err
    assert "undeclared party 'Persia'" in err and "iran-detainee-release-statement.yaml" in err
    assert "missing article us-uk-trade-deal-fact-sheet.txt" in err


def test_score_a_run_and_its_reports(
    gold_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = golds(gold_dir)
    run = write_run(
        tmp_path / "run",
        gold_dir,
        {IDS[0]: make_summary(g[IDS[0]]), IDS[1]: half(g[IDS[1]]), IDS[2]: None},
    )
    assert main(["eval", "score", str(run)]) == 0
    out = capsys.readouterr()
    assert "Headline (mean F1 of the four fields, micro)" in out.out
    assert "| demands |" in out.out
    assert f"{IDS[2]}: failed" in out.err
    for name in ("report.md", "report.html", "scores.json"):
        assert (run / name).is_file()
    scores = json.loads((run / "scores.json").read_text())
    assert scores["failures"] == [
        {"id": IDS[2], "status": "failed", "error": "ExtractionError: never validated"}
    ]
    by_id = {a["id"]: a for a in scores["articles"]}
    assert by_id[IDS[0]]["metrics"]["headline"] == 1.0
    assert by_id[IDS[1]]["metrics"]["concessions.precision"] == 1.0
    assert by_id[IDS[1]]["metrics"]["concessions.recall"] < 1.0
    assert by_id[IDS[2]]["counts"]["parties.tp"] == 0  # failed: an empty prediction
    report = (run / "report.md").read_text()
    assert "## Failures" in report and IDS[2] in report

    # --json prints the same metrics as JSON
    assert main(["eval", "score", str(run), "--json", "--embedder", "lexical"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["embedder"] == "lexical" and 0 < data["metrics"]["headline"] < 1


def test_thresholds(gold_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = golds(gold_dir)
    run = write_run(tmp_path / "run", gold_dir, {k: half(v) for k, v in g.items()})
    assert main(["eval", "score", str(run), "--min-f1", "0.99"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("summarizer: error: threshold missed: headline F1")
    assert main(["eval", "score", str(run), "--min-field-f1", "concessions=1.0"]) == 1
    assert "concessions F1" in capsys.readouterr().err
    ok = ["--min-f1", "0.1", "--min-field-f1", "parties=0.9", "--min-field-f1", "demands=0.1"]
    assert main(["eval", "score", str(run), *ok]) == 0
    assert main(["eval", "score", str(run), "--min-field-f1", "nonsense=1"]) == 2


def test_compare(gold_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g = golds(gold_dir)
    run_a = write_run(tmp_path / "a", gold_dir, {k: half(v) for k, v in g.items()})
    run_b = write_run(tmp_path / "b", gold_dir, {k: make_summary(v) for k, v in g.items()})
    assert main(["eval", "compare", str(run_a), str(run_b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    recall = data["metrics"]["concessions.recall"]
    assert recall["b"] == 1.0 and recall["delta"] > 0
    assert recall["ci95"][0] <= recall["delta"] <= recall["ci95"][1]
    assert data["metrics"]["parties.f1"]["delta"] == 0.0
    assert main(["eval", "compare", str(run_a), str(run_b)]) == 0
    assert "| headline |" in capsys.readouterr().out


def test_report_html_is_self_contained_and_escaped(gold_dir: Path, tmp_path: Path) -> None:
    article = gold_dir / f"{IDS[2]}.txt"
    article.write_text(
        article.read_text() + '\nSee <script src="https://evil.example/x.js"></script> '
        "and https://example.com/page for more.\n"
    )
    g = golds(gold_dir)
    summary = make_summary(g[IDS[2]])
    summary.demands[0].text = '<img src="https://evil.example/a.png"> & "quoted"'
    run = write_run(tmp_path / "run", gold_dir, {IDS[2]: summary})
    assert main(["eval", "score", str(run), "--embedder", "lexical"]) == 0
    page = (run / "report.html").read_text()
    assert not EXTERNAL.search(page)
    assert "<script src" not in page and "<img" not in page
    assert "&lt;img src=&quot;https://evil.example/a.png&quot;&gt;" in page
    assert "https://example.com/page" in page  # kept as text, not as a link
    assert page.count("<script>") == 1  # only the report's own inline script
    assert "<svg" in page and "<style>" in page


def test_calibrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        ("cut tariffs on cars", "lowered car tariffs", True),
        ("cut tariffs on cars", "raised taxes on fish", False),
        ("release the hostages", "free the hostages", True),
        ("release the hostages", "open the border crossing", False),
    ]
    pairs.write_text(
        "".join(
            json.dumps(
                {
                    "article": "x",
                    "field": "demands",
                    "gold": g,
                    "predicted": p,
                    "match": m,
                    "note": "",
                }
            )
            + "\n"
            for g, p, m in rows
        )
    )
    out = tmp_path / "threshold.json"
    args = ["eval", "calibrate", "--pairs", str(pairs), "--out", str(out), "--embedder", "lexical"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| lexical |" in printed and "4 judged pairs (2 matches)" in printed
    data = json.loads(out.read_text())
    assert data["embedders"]["lexical"]["f1"] == 1.0
    assert data["embedders"]["lexical"]["accuracy"] == 1.0


class FakeBackend:
    name = "fake/model"
    concurrency = 2
    context_chars = 100_000


class FakeSummarizer:
    """Stands in for summarizer.pipeline.Summarizer: summaries from the gold files, one
    article failing. Never calls a model."""

    def __init__(self, folder: Path, fail: str | None) -> None:
        from summarizer.settings import Settings

        self.by_text = {g.article: g for g in load_gold_dir(folder)}
        self.fail = fail
        self.calls: list[str] = []
        self.backend = FakeBackend()
        self.settings = Settings()
        self.pipeline = self
        self.strategy = type(
            "S",
            (),
            {"info": PromptInfo(name="extract", version="9", sha256="b" * 64), "name": "single"},
        )()

    async def asummarize(self, article: Any) -> NegotiationSummary:
        gold = self.by_text[article.text]
        self.calls.append(gold.id)
        if gold.id == self.fail:
            raise ExtractionError("never validated", attempts=3, last_error="bad")
        usage = Usage(prompt_tokens=100, completion_tokens=10, calls=1)
        return make_summary(gold, model=self.backend.name, usage=usage)


def test_run_resumes_records_failures_and_metadata(
    gold_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = FakeSummarizer(gold_dir, fail=IDS[1])
    monkeypatch.setattr(summarizer.api, "Summarizer", lambda *a, **k: fake)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secretsecretsecret123")
    run = tmp_path / "run"
    args = ["eval", "run", str(gold_dir), "--out", str(run), "--silent", "--no-cache"]
    assert main([*args, "--api-base", "http://h/?key=sk-secretsecretsecret123"]) == 0
    out = capsys.readouterr()
    assert "Headline" in out.out and "1 failed" in out.err
    assert sorted(fake.calls) == sorted(IDS)
    meta = json.loads((run / "run.json").read_text())
    assert meta["model"] == "fake/model"
    assert meta["prompt"] == {"name": "extract", "version": "9", "sha256": "b" * 64}
    assert meta["tokens"] == {"prompt_tokens": 200, "completion_tokens": 20, "calls": 2}
    assert meta["articles"]["failed"] == [IDS[1]]
    assert set(meta["seconds_per_article"]) == set(IDS)
    assert {"summarizer", "pydantic", "onnxruntime"} <= set(meta["packages"])
    assert meta["started"] and meta["finished"] and "git" in meta
    assert "sk-secret" not in (run / "run.json").read_text()
    assert meta["command"].startswith(f"summarizer eval run {gold_dir} --api-base http://h/?key=")
    assert "--silent" in meta["command"]
    scores = json.loads((run / "scores.json").read_text())
    assert [f["id"] for f in scores["failures"]] == [IDS[1]]
    # a rerun skips what is done and retries the failure only
    fake.calls.clear()
    fake.fail = None
    assert main(args) == 0
    assert fake.calls == [IDS[1]]
    scores = json.loads((run / "scores.json").read_text())
    assert scores["failures"] == [] and scores["metrics"]["headline"] == 1.0


def test_the_pipeline_does_not_import_the_harness() -> None:
    import subprocess
    import sys

    code = (
        "import sys, summarizer, summarizer.api, summarizer.pipeline, summarizer.batch, "
        "summarizer.schema, summarizer.backends, summarizer.cli.main\n"
        "bad = [m for m in sys.modules if m.startswith('summarizer.evaluation')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_run_json_names_the_commit_the_run_started_at(
    gold_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A commit made while a long run goes on is not the code that ran.
    from summarizer.evaluation import runs

    checkout = {"commit": "a" * 40, "dirty": False}
    monkeypatch.setattr(runs, "git_info", lambda where=None: dict(checkout))
    fake = FakeSummarizer(gold_dir, fail=None)
    summarize = fake.asummarize

    async def commit_meanwhile(article: Any) -> NegotiationSummary:
        checkout.update(commit="b" * 40, dirty=True)  # someone commits during the run
        return await summarize(article)

    monkeypatch.setattr(fake, "asummarize", commit_meanwhile)
    monkeypatch.setattr(summarizer.api, "Summarizer", lambda *a, **k: fake)
    run = tmp_path / "run"
    assert main(["eval", "run", str(gold_dir), "--out", str(run), "--silent", "--no-cache"]) == 0
    meta = json.loads((run / "run.json").read_text())
    assert meta["git"] == {"commit": "a" * 40, "dirty": False}
