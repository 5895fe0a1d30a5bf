"""Batches against the fault server: incremental JSONL, resume after SIGINT/SIGKILL,
bounded concurrency, every article summarized or listed as failed with its reason."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MODEL
from fault_server import Behaviour, Call, Fault, FaultServer

from summarizer.backends.local import LocalBackend
from summarizer.batch import BatchItem, arun_batch, read_records, run_batch
from summarizer.cli.main import main
from summarizer.schema import NegotiationSummary

Build = Callable[..., Any]

# -- the seeded fault plan: 20% of calls fail transiently, 5% permanently ---------------
SEED = 72  # realizes 20.0% transient and 4.8% permanent faults over 125 calls
TRANSIENT = 0.20
PERMANENT = 0.05
TRANSIENT_KINDS = ("429", "500", "503", "drop")


def planned(key: str, n: int) -> str:
    """What the ``n``-th call (0-based) for article ``key`` gets: ok, permanent or a fault."""
    rng = random.Random(f"{SEED}/{key}/{n}")
    u = rng.random()
    if u < PERMANENT:
        return "permanent"
    if u < PERMANENT + TRANSIENT:
        return rng.choice(TRANSIENT_KINDS)
    return "ok"


def behaviour(kind: str) -> Behaviour:
    if kind == "ok":
        return Fault.ok()
    if kind == "permanent":
        return Fault.status(400)
    if kind == "drop":
        return Fault.drop()
    return Fault.status(int(kind))


def expected_outcome(key: str, attempts: int, start: int = 0) -> tuple[str, int]:
    """(status, calls) for one article under the plan and the transport budget."""
    n, streak = start, 0
    while True:
        kind = planned(key, n)
        n += 1
        if kind == "permanent":
            return "failed", n - start
        if kind == "ok":
            return "ok", n - start
        streak += 1
        if streak == attempts:
            return "failed", n - start


def with_plan(server: FaultServer) -> Callable[[Call], Behaviour]:
    def default(call: Call) -> Behaviour:
        n = len(server.calls_for(call.key)) - 1  # this call is recorded already
        return behaviour(planned(call.key, n))

    return default


# -- articles ---------------------------------------------------------------------------
def server_key(i: int) -> str:
    return f"Case A{i:03d}"  # the article's first line: what the server keys on


def write_articles(folder: Path, n: int) -> dict[str, str]:
    """n short articles in ``folder``; returns {path: server key}."""
    folder.mkdir(parents=True, exist_ok=True)
    keys: dict[str, str] = {}
    for i in range(n):
        path = folder / f"a{i:03d}.txt"
        path.write_text(
            f"{server_key(i)}\n"
            f"The union is demanding a raise of {i + 1} percent over four years. "
            "Management has offered a smaller raise. Health-care costs remain unresolved.\n",
            encoding="utf-8",
        )
        keys[str(path)] = server_key(i)
    return keys


def cli_args(folder: Path, out: Path, api_base: str, *extra: str) -> list[str]:
    return [
        "summarize",
        str(folder),
        "-o",
        str(out),
        "--model",
        MODEL,
        "--api-base",
        api_base,
        "--no-cache",
        "-s",
        *extra,
    ]


def jsonl_lines(out: Path) -> list[dict[str, Any]]:
    """Every parseable line (a torn last line from a SIGKILL is not one)."""
    rows = []
    for line in out.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


# -- tests ------------------------------------------------------------------------------
def test_100_articles_with_transient_and_permanent_faults(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    attempts = 4
    keys = write_articles(tmp_path / "in", 100)
    out = tmp_path / "out.jsonl"
    server.default = with_plan(server)
    expected = {p: expected_outcome(k, attempts) for p, k in keys.items()}
    want_ok = sum(1 for status, _ in expected.values() if status == "ok")
    want_requests = sum(calls for _, calls in expected.values())

    code = main(
        cli_args(tmp_path / "in", out, server.api_base, "--transport-attempts", str(attempts))
    )
    err = capsys.readouterr().err

    # the plan did what it says (so the figures below mean something)
    kinds = Counter(
        "permanent" if b == "status_400" else "ok" if b == "ok" else "transient"
        for b in server.behaviours()
    )
    assert 0.12 < kinds["transient"] / len(server.calls) < 0.28
    assert kinds["permanent"] >= 3

    records = read_records(out)
    assert set(records) == set(keys)  # nothing lost
    assert len(jsonl_lines(out)) == 100  # nothing duplicated
    assert {p: r.status for p, r in records.items()} == {p: s for p, (s, _) in expected.items()}
    assert len(server.calls) == want_requests
    assert server.count_by_key() == {keys[p]: calls for p, (_, calls) in expected.items()}
    failed = [r for r in records.values() if r.status == "failed"]
    assert 0 < len(failed) < 15 and want_ok == 100 - len(failed)
    for record in failed:  # listed as failed, with the reason
        assert record.error is not None
        assert record.error["type"] == "ProviderError"
        assert record.error["cause"] in {"bad_request", "rate_limit", "server_error", "connection"}
        assert record.error["message"]
        assert record.error["usage"]["calls"] >= 1  # failed attempts are counted too
        assert f"failed: {record.key}: {record.error['message']}" in err
    for record in records.values():
        if record.status == "ok":
            assert record.summary is not None
            summary = NegotiationSummary.model_validate(record.summary)
            text = Path(record.key).read_text(encoding="utf-8")
            assert summary.ungrounded(text) == []
    assert f"summarizer: {want_ok} summarized, {len(failed)} failed" in err
    assert code == 1
    with capsys.disabled():  # the figures for the README (shown with pytest -s)
        print(
            f"\nbatch of 100: ok={want_ok} failed={len(failed)} requests={len(server.calls)} "
            f"transient faults={kinds['transient']} permanent={kinds['permanent']} lost=0"
        )

    # A rerun tries only the failed articles again and leaves the others alone.
    before = len(server.calls)
    code = main(
        cli_args(tmp_path / "in", out, server.api_base, "--transport-attempts", str(attempts))
    )
    err = capsys.readouterr().err
    retried = {c.key for c in server.calls[before:]}
    assert retried == {keys[r.key] for r in failed}
    assert f"{100 - len(failed)} skipped (already done)" in err
    final = read_records(out)
    assert set(final) == set(keys)
    assert code == (1 if any(r.status == "failed" for r in final.values()) else 0)


def test_the_last_stderr_line_counts_successes_and_failures(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = write_articles(tmp_path / "in", 3)
    server.script_for(keys[str(tmp_path / "in" / "a001.txt")], Fault.status(400))
    code = main(cli_args(tmp_path / "in", tmp_path / "out.jsonl", server.api_base))
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert last.startswith("summarizer: 2 summarized, 1 failed")


def test_unreadable_inputs_are_listed_as_failed_with_their_reason(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    write_articles(folder, 2)
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02 not text \x00" * 50)
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(cli_args(folder, out, server.api_base))
    err = capsys.readouterr().err
    records = read_records(out)
    assert code == 1
    assert {Path(k).name: r.status for k, r in records.items()} == {
        "a000.txt": "ok",
        "a001.txt": "ok",
        "binary.txt": "failed",
        "empty.txt": "failed",
    }
    assert "binary data" in records[str(folder / "binary.txt")].error["message"]  # type: ignore[index]
    assert "empty" in records[str(folder / "empty.txt")].error["message"]  # type: ignore[index]
    assert "summarizer: 2 summarized, 2 failed" in err
    assert len(server.calls) == 2  # nothing unreadable was sent


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_run_resumes_without_redoing_losing_or_duplicating(
    sig: signal.Signals, server: FaultServer, tmp_path: Path
) -> None:
    n, limit = 40, 4
    folder = tmp_path / "in"
    keys = write_articles(folder, n)
    out = tmp_path / "out.jsonl"
    server.delay = 0.15  # slow enough to kill it mid-way
    command = [sys.executable, "-m", "summarizer.cli.main"]
    command += cli_args(folder, out, server.api_base, "--concurrency", str(limit))
    proc = subprocess.Popen(
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: a test run started in the background
        # (`bash .ci/run &`) ignores SIGINT, and the child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert server.wait_for_calls(3 * limit, timeout=60), "the run never got going"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert server.max_in_flight <= limit

    done = {k for k, r in read_records(out).items() if r.status == "ok"}
    assert 0 < len(done) < n, "killed mid-way: some finished, some not"

    # Rerun against a fresh server, so a late request of the dead process cannot mix in.
    with FaultServer() as rerun_server:
        code = main(cli_args(folder, out, rerun_server.api_base, "--concurrency", str(limit)))
        requested = Counter(c.key for c in rerun_server.calls)
    assert code == 0
    assert not requested.keys() & {keys[p] for p in done}, "finished articles were redone"
    assert requested == Counter(keys[p] for p in keys if p not in done)  # the rest, once each

    final = read_records(out)
    assert set(final) == set(keys) and all(r.status == "ok" for r in final.values())
    ok_lines = Counter(row["key"] for row in jsonl_lines(out) if row["status"] == "ok")
    assert ok_lines == Counter(set(keys))  # every article exactly once


def test_a_torn_last_line_is_skipped_and_the_article_redone(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    keys = write_articles(tmp_path / "in", 4)
    items = [BatchItem(key=p, path=p) for p in keys]
    out = tmp_path / "out.jsonl"
    summarizer = hosted()
    run_batch(summarizer, items[:3], out)
    torn = json.dumps({"key": items[3].key, "status": "ok", "summary": {}})[:25]
    with out.open("a", encoding="utf-8") as fh:
        fh.write(torn)  # what a SIGKILL in the middle of a write could leave
    server.reset()

    result = run_batch(summarizer, items, out)
    assert (result.ok, result.skipped, result.failed) == (1, 3, 0)
    assert [c.key for c in server.calls] == [keys[items[3].key]]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[3] == torn  # ended, then the next record starts on its own line
    assert json.loads(lines[4])["key"] == items[3].key
    assert set(read_records(out)) == set(keys)


async def test_hosted_concurrency_is_bounded_by_the_limit(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    keys = write_articles(tmp_path / "in", 24)
    server.delay = 0.05
    result = await arun_batch(
        hosted(concurrency=16),
        [BatchItem(key=p, path=p) for p in keys],
        tmp_path / "out.jsonl",
        concurrency=4,
    )
    assert result.ok == 24
    assert 2 <= server.max_in_flight <= 4


async def test_a_one_at_a_time_backend_runs_one_article_at_a_time(
    server: FaultServer, hosted: Build, tmp_path: Path
) -> None:
    keys = write_articles(tmp_path / "in", 6)
    server.delay = 0.02
    result = await arun_batch(
        hosted(concurrency=1),
        [BatchItem(key=p, path=p) for p in keys],
        tmp_path / "out.jsonl",
        concurrency=8,  # asked for more: the backend's own limit wins
    )
    assert result.ok == 6
    assert server.max_in_flight == 1


def test_the_local_model_runs_one_article_at_a_time() -> None:
    assert LocalBackend().concurrency == 1  # constructing it loads nothing
