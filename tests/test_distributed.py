"""The Ray engine (``summarizer batch --engine ray``, ``summarizer.distributed``) on a real
local Ray (2 CPUs, started once for the module), against the fake provider.

Every input (a folder, JSONL, Parquet) and output (JSONL, Parquet); a failed article is
a row with its reason and never stops the job; a rerun skips what is done and retries
the failures; each article is written ``ok`` once; the rows are those of the local
engine and of ``Summarizer.summarize`` (timings aside); ``summarize_dataset`` works on
any dataset; and without the ``[ray]`` extra the command says so.

The actors run in Ray's worker processes: they get the fake key and a scratch cache
from the environment Ray was started in (the fixture), not from a test's monkeypatch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FAKE_KEY, MODEL
from fault_server import Fault, FaultServer, iter_records

from summarizer import Summarizer, distributed  # distributed imports Ray only when used
from summarizer.cli.main import main
from summarizer.errors import ConfigError

pq = pytest.importorskip("pyarrow.parquet")

ARTICLES = {
    "a.txt": "Talks A resumed in Geneva\nThe union demands a 20% raise over four years. "
    "Management has offered a 12% raise.",
    "b.txt": "Talks B stalled in Brussels\nThe farmers demand lower tariffs on grain. "
    "The ministry refuses any change before June.",
    "c.txt": "Talks C ended in Oslo\nThe mediators proposed a ceasefire in the north. "
    "Both delegations accepted the proposal.",
}
#: The fault server's key for an article: its first line.
KEY = {name: text.splitlines()[0] for name, text in ARTICLES.items()}
TIMING = ("wall_seconds", "model_seconds")
#: Batches of 2, so that three articles are two actor calls (one actor: each Ray run
#: starts its actors, and an actor's first hosted call imports litellm, ~5 s of CPU).
SMALL_BATCHES = ("--per-actor", "2")


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Ray for the module. Its workers inherit the environment Ray starts in
    (a ``runtime_env`` would start fresh workers for every task and actor: slower)."""
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_API_KEY", FAKE_KEY)
        env.setenv("SUMMARIZER_RETRY_BASE_DELAY", "0.01")
        env.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path_factory.mktemp("ray-cache")))
        env.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        env.delenv("SUMMARIZER_MODEL", raising=False)
        env.delenv("RAY_ADDRESS", raising=False)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


# -- helpers ------------------------------------------------------------------------------
def write_inputs(root: Path, kind: str) -> Path:
    """The three articles as a folder of files, a JSONL file or a Parquet file."""
    if kind == "folder":
        folder = root / "archive"
        folder.mkdir()
        for name, text in ARTICLES.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder
    rows = [{"id": name, "text": text, "title": None} for name, text in ARTICLES.items()]
    if kind == "jsonl":
        return write_jsonl(root / "articles.jsonl", rows)
    import pyarrow as pa

    path = root / "articles.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    return list(iter_records(path))


def batch(inp: Path, out: Path, url: str, *extra: str, engine: str = "ray") -> int:
    """``summarizer batch`` in this process (the Ray engine reuses the fixture's Ray)."""
    return main(
        ["batch", str(inp), str(out), "--engine", engine, "--model", MODEL, "--api-base", url]
        + list(extra)
    )


def direct_summaries(url: str, **settings: Any) -> dict[str, dict[str, Any]]:
    """``Summarizer(...).summarize(text)`` of each article with the same settings."""
    with Summarizer(model=MODEL, api_base=url, **settings) as one:
        return {
            name: untimed(one.summarize(text).model_dump(mode="json"))
            for name, text in ARTICLES.items()
        }


def untimed(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without the fields that measure time."""
    run = {k: v for k, v in summary["run"].items() if k not in TIMING}
    return {**summary, "run": run}


def summaries(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each ok row's summary by article id, timings dropped; ids must be unique."""
    ok = [r for r in rows if r["status"] == "ok"]
    ids = [r["id"] for r in ok]
    assert len(ids) == len(set(ids)), f"an article is ok twice: {ids}"
    return {r["id"]: untimed(json.loads(r["summary"])) for r in ok}


# -- inputs, outputs, and the same rows as the local engine ------------------------------
@pytest.mark.parametrize(("kind", "suffix"), [("jsonl", ".parquet"), ("parquet", ".jsonl")])
def test_every_input_and_output_gives_the_local_engines_rows(
    local_ray: Any, server: FaultServer, tmp_path: Path, kind: str, suffix: str
) -> None:
    inp = write_inputs(tmp_path, kind)
    ray_out, local_out = tmp_path / f"ray{suffix}", tmp_path / f"local{suffix}"

    assert batch(inp, ray_out, server.url) == 0
    assert len(server.calls) == 3  # one call per article, nobody twice
    assert batch(inp, local_out, server.url, "--no-cache", engine="local") == 0

    ray_rows, local_rows = read_rows(ray_out), read_rows(local_out)
    assert sorted(r["id"] for r in ray_rows) == sorted(ARTICLES)
    assert all(r["status"] == "ok" and r["error"] is None for r in ray_rows)
    assert {r["id"]: r["run_key"] for r in ray_rows} == {r["id"]: r["run_key"] for r in local_rows}
    got = summaries(ray_rows)
    assert got == summaries(local_rows)
    assert got == direct_summaries(server.url)  # ... and the library's, one at a time
    assert all(s["demands"] for s in got.values())  # real summaries, not empty shells


# -- failures and reruns -------------------------------------------------------------------
# The Parquet output's rerun is the same code (``archive.RowWriter``) whatever the
# engine: it runs on the local engine to keep this file quick.
@pytest.mark.parametrize(("suffix", "engine"), [(".jsonl", "ray"), (".parquet", "local")])
def test_a_failed_article_is_a_row_and_a_rerun_retries_only_it(
    local_ray: Any,
    server: FaultServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
    engine: str,
) -> None:
    """Run 1 (``engine``): one article fails, the job goes on. Run 2
    (``engine``): only that article is retried. Run 3 (the local engine, same settings):
    nothing to do. Run 4 (local, another re-ask budget): a new run key, so every
    article again."""
    inp, out = write_inputs(tmp_path, "folder"), tmp_path / f"out{suffix}"
    strict = ("--transport-attempts", "1", "--max-reasks", "0", "--no-cache")
    server.script_for(KEY["b.txt"], Fault.status(500))

    code = batch(inp, out, server.url, *strict, *SMALL_BATCHES, engine=engine)
    assert code == 1  # a failed article: exit 1, and the job ran on
    assert server.count_by_key() == dict.fromkeys(KEY.values(), 1)
    assert "2 ok, 1 failed, 0 already done" in capsys.readouterr().err
    first = {r["id"]: r for r in read_rows(out)}
    assert {i: r["status"] for i, r in first.items()} == {
        "a.txt": "ok",
        "b.txt": "failed",
        "c.txt": "ok",
    }
    failed = first["b.txt"]
    assert failed["summary"] is None and failed["run_key"]  # the key it is retried under
    error = json.loads(failed["error"])
    assert error["type"] == "ProviderError" and error["cause"] == "server_error"
    assert "after 1 attempt(s)" in error["message"]  # --transport-attempts 1

    server.reset()
    assert batch(inp, out, server.url, *strict, engine=engine) == 0
    assert server.count_by_key() == {KEY["b.txt"]: 1}  # the failed article only
    assert "1 ok, 0 failed, 2 already done" in capsys.readouterr().err
    rows = read_rows(out)
    got = summaries(rows)  # each article ok exactly once
    assert got == direct_summaries(server.url, transport_attempts=1, max_reasks=0)
    if suffix == ".jsonl":
        # Append-only: the failed row stays, the retry's ok row follows it (same key).
        assert [(r["id"], r["status"]) for r in rows if r["id"] == "b.txt"] == [
            ("b.txt", "failed"),
            ("b.txt", "ok"),
        ]
        assert {r["run_key"] for r in rows if r["id"] == "b.txt"} == {failed["run_key"]}
    else:
        # Rewritten whole: one row per article, all ok.
        assert sorted((r["id"], r["status"]) for r in rows) == [
            (name, "ok") for name in sorted(ARTICLES)
        ]

    # The local engine finds the (Ray) engine's rows done: no calls, the same rows.
    server.reset()
    assert batch(inp, out, server.url, *strict, engine="local") == 0
    assert server.calls == []
    assert "0 ok, 0 failed, 3 already done" in capsys.readouterr().err
    assert read_rows(out) == rows

    # The run key holds the settings: another re-ask budget is another run.
    assert batch(inp, out, server.url, "--no-cache", engine="local") == 0
    assert len(server.calls) == 3
    after = read_rows(out)
    assert after[: len(rows)] == rows and len(after) == len(rows) + 3
    assert len({r["run_key"] for r in after if r["status"] == "ok"}) == 6


# -- the library call ----------------------------------------------------------------------
def test_summarize_dataset_on_an_in_memory_dataset(local_ray: Any, server: FaultServer) -> None:
    from summarizer.settings import Settings

    texts = list(ARTICLES.values())
    items = [{"id": n, "text": text, "title": None} for n, text in enumerate(texts, 1)]
    items[0]["title"] = "Geneva"
    settings = Settings(model=MODEL, api_base=server.url, api_key="sk-test-given-not-env0")
    with Summarizer(settings=settings) as one:
        done = one.pipeline.cache_key(one.article(ARTICLES["c.txt"]))
    ds = distributed.summarize_dataset(
        local_ray.data.from_items(items), settings=settings, actors=2, per_actor=1, done=[done]
    )
    rows = sorted(ds.take_all(), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == ["1", "2"]  # ids are strings; the third was done
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert json.loads(rows[0]["summary"])["source"]["title"] == "Geneva"
    assert server.count_by_key().keys() == {KEY["a.txt"], KEY["b.txt"]}
    # The key given in Settings reaches the actors as it is (not masked, not the env's).
    auth = {c.headers.get("authorization") for c in server.calls}
    assert auth == {"Bearer sk-test-given-not-env0"}


def test_read_articles_cuts_the_rows_into_blocks_of_a_batch(local_ray: Any, tmp_path: Path) -> None:
    """Blocks of ``per_actor`` rows, so that every actor gets work (Ray's default for a
    small file is one block: one actor would do everything)."""
    for kind in ("folder", "jsonl", "parquet"):
        (tmp_path / kind).mkdir()
        ds = distributed.read_articles(write_inputs(tmp_path / kind, kind), rows_per_block=2)
        ds = ds.materialize()
        assert ds.num_blocks() == 2, kind
        rows = sorted(ds.take_all(), key=lambda r: r["id"])
        assert [r["id"] for r in rows] == sorted(ARTICLES)
        texts = [r["text"].decode() if kind == "folder" else r["text"] for r in rows]
        assert texts == [ARTICLES[name] for name in sorted(ARTICLES)]


def test_actor_reservations_leave_room_to_read(
    local_ray: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ray starts the whole actor pool first: actors holding every CPU would leave the
    read tasks waiting forever. The default reservation shrinks to fit the running
    Ray (2 CPUs); an explicit one that does not fit is a usage error."""
    assert distributed._fit_cpus(0.5, 2, explicit=False) == 0.5
    assert distributed._fit_cpus(0.5, 4, explicit=False) == 0.45  # 4 × 0.45 + 0.2 = 2
    assert distributed._fit_cpus(1.0, 2, explicit=False) == 0.9  # 2 embedded-model actors
    inp = write_inputs(tmp_path, "jsonl")
    code = batch(
        inp, tmp_path / "out.jsonl", "http://127.0.0.1:9", "--actors", "2", "--actor-cpus", "1"
    )
    assert code == 2
    assert "2 actor(s) × 1 CPU leave no CPU for reading" in capsys.readouterr().err


# -- errors that are the input's or the setup's, not an article's --------------------------
def test_rows_without_an_id_are_an_input_error_in_either_engine(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not an article's failure but the input's: one error line, no traceback, and
    the Ray engine says so before it starts Ray."""
    for rows, name in (([{"name": "x", "text": "t"}], "no-ids"), ([{"id": "x"}], "no-text")):
        inp = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        assert batch(inp, tmp_path / "ray.jsonl", server.url) == 1
        err = capsys.readouterr().err
        assert f"{name}.jsonl: the rows need an 'id' and a 'text'" in err
        assert "Traceback" not in err
        assert batch(inp, tmp_path / "local.jsonl", server.url, engine="local") == 1
        assert f"{name}.jsonl:1: a row needs an 'id' and a 'text'" in capsys.readouterr().err
    assert server.calls == []


def test_an_actor_that_cannot_start_is_one_error_line(
    local_ray: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A setting only the actors try (the model string): the actor's own error, as
    the local engine reports it, not Ray's traceback of it."""
    inp = write_inputs(tmp_path, "jsonl")
    for engine in ("ray", "local"):
        code = batch(
            inp,
            tmp_path / f"{engine}.jsonl",
            "http://127.0.0.1:9",
            "--model",
            "local:",
            engine=engine,
        )
        assert code == 2  # a UsageError, in both engines
        err = capsys.readouterr().err
        assert "summarizer: error: 'local:' needs an argument" in err
        assert "Traceback" not in err and "ActorDiedError" not in err


def test_a_missing_input_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for engine in ("local", "ray"):
        code = batch(tmp_path / "nope.jsonl", tmp_path / "out.jsonl", "http://x", engine=engine)
        assert code == 1
        assert "nope.jsonl: no such file or folder" in capsys.readouterr().err


def test_without_the_ray_extra_the_command_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'summarizer\[ray\]'"):
        distributed.read_articles(tmp_path)
    inp, out = write_inputs(tmp_path, "jsonl"), tmp_path / "out.jsonl"
    assert batch(inp, out, "http://127.0.0.1:9") == 1
    err = capsys.readouterr().err
    assert "the Ray engine needs the [ray] extra: pip install 'summarizer[ray]'" in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing started
