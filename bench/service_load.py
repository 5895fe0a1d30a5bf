"""Load and restart tests of the HTTP service, against the fake provider.

    python bench/service_load.py --scenario both

``summarizer serve`` runs as a subprocess (``--model openai/gpt-4o-mini --no-cache``)
in front of the fake OpenAI-compatible provider (``tests/fault_server.py``, its own
process, answering every call after ``--delay`` seconds: a hosted model's latency).
``--clients`` threads share ``--requests`` requests, each a distinct short article
carrying a unique tag and a unique ``Idempotency-Key``: a client POSTs
``/v1/summaries?wait=W`` and, on 202, polls ``GET /v1/jobs/{id}`` until the job is
finished. Latency is the client's, from its first POST to the finished summary.

* ``load``: the server runs throughout.
* ``restart``: once ``--kill-after`` requests were accepted the server is killed with
  SIGKILL and restarted on the same ``--db`` and port; a client that loses its
  connection (or cannot connect) re-POSTs the same article with the same key and
  keeps polling.

Each scenario then checks that nothing was lost or duplicated: every request got
exactly one job id and saw it finish ``done``, the job ids are distinct, every summary
carries its own article's tag, and the job database (table ``jobs``, read after the
server stopped) holds exactly one ``done`` row per request and no two rows with the
same article. Results go to ``--out-dir`` (``load.json``, ``restart.json``); a
markdown summary goes to stdout. The exit code is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import random
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
FAKE_PROVIDER = ROOT / "tests" / "fault_server.py"
FAKE_KEY = "sk-test-000000000000000"
MODEL = "openai/gpt-4o-mini"
TAG = re.compile(r"\bR(\d{4})X([0-9a-f]{6})\b")


# -- articles -------------------------------------------------------------------------------
def article(i: int, run: str) -> tuple[str, str]:
    """Request ``i``'s tag and article: short, distinct, and traceable by the tag."""
    tag = f"R{i:04d}X{run}"
    rng = random.Random(i)
    plant = rng.choice(["Leeds", "Turin", "Lyon", "Gdansk", "Porto", "Graz", "Ghent"])
    raise_pct, offer_pct = 3 + i % 7, 1 + i % 3
    text = (
        f"Negotiation round {tag} between the union and the company opened in {plant}. "
        f"The union demanded a {raise_pct} percent pay rise for all plant workers. "
        f"The company offered {offer_pct} percent and a one-off bonus of {100 + i} euros. "
        "Both sides agreed to meet again next week to discuss shift lengths."
    )
    return tag, text


# -- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _readline(stream: Any, timeout: float) -> str | None:
    """One line from a pipe, or None after ``timeout`` seconds."""
    box: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: box.put(stream.readline()), daemon=True).start()
    try:
        return box.get(timeout=timeout)
    except queue.Empty:
        return None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPENAI_API_KEY=FAKE_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


class Provider:
    """The fake provider in its own process (``tests/fault_server.py --delay S``)."""

    def __init__(self, delay: float, log: Path) -> None:
        self.delay, self.log = delay, log
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.calls: int | None = None
        self.max_in_flight: int | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(FAKE_PROVIDER), "--delay", str(self.delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
            cwd=ROOT,
            env=_child_env(),
        )
        line = _readline(self.proc.stdout, timeout)
        if not line or not line.startswith("URL "):
            raise RuntimeError(
                f"the fake provider did not start within {timeout:.0f} s "
                f"(first line {line!r}, exit code {self.proc.poll()}):\n{_tail(self.log)}"
            )
        self.url = line.split()[1]

    def stop(self, timeout: float = 10.0) -> None:
        """Close its stdin (it then prints its call count and exits); kill if it hangs."""
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.close()
                line = _readline(proc.stdout, timeout) or ""
                m = re.match(r"CALLS (\d+) MAX_IN_FLIGHT (\d+)", line)
                if m:
                    self.calls, self.max_in_flight = int(m[1]), int(m[2])
                proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)


class Server:
    """``summarizer serve`` as a subprocess; one instance per process lifetime."""

    def __init__(self, args: argparse.Namespace, port: int, db: Path, api_base: str) -> None:
        self.port, self.db = port, db
        self.base = f"http://127.0.0.1:{port}"
        self.command = [
            sys.executable,
            "-m",
            "summarizer",
            "serve",
            "--no-auth",
            "--port",
            str(port),
            "--db",
            str(db),
            "--model",
            MODEL,
            "--api-base",
            api_base,
            "--workers",
            str(args.workers),
            "--no-cache",  # distinct articles anyway; and fake answers must not be cached
        ]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.procs[-1] if self.procs else None

    def start(self, log: Path, ready_timeout: float) -> float:
        """Start, and block until ``/readyz`` answers 200; seconds it took."""
        started = time.monotonic()
        proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=_child_env(),
        )
        self.procs.append(proc)
        self.logs.append(log)
        deadline = started + ready_timeout
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with code {proc.returncode} before it was ready; "
                        f"command: {shlex.join(self.command)}\n{_tail(log)}"
                    )
                try:
                    if client.get(self.base + "/readyz").status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(
            f"the server was not ready within {ready_timeout:.0f} s on {self.base}; "
            f"command: {shlex.join(self.command)}\n{_tail(log)}"
        )

    def kill9(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (a graceful uvicorn shutdown), SIGKILL if it hangs; the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return proc.returncode

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass


# -- clients --------------------------------------------------------------------------------
@dataclass
class Request:
    index: int
    tag: str
    key: str
    text: str
    start: float = 0.0
    end: float = 0.0
    accepted: float = 0.0
    job_ids: list[str] = field(default_factory=list)  # every id any response named
    posts: int = 0
    gets: int = 0
    transport_errors: int = 0
    outcome: str = ""  # done | failed | cancelled | error: ...
    summary_has_tag: bool = False
    post_statuses: list[int] = field(default_factory=list)
    job: dict[str, Any] = field(default_factory=dict)  # the finished job's times, attempts

    @property
    def retried(self) -> bool:
        return self.posts > 1


class Shared:
    """What the clients share: the work queue, counters, and the base URL."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.work: queue.Queue[Request] = queue.Queue()
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.accepted = 0
        self.finished = 0
        self.abort = threading.Event()

    def count(self, what: str) -> None:
        with self.lock:
            self.statuses[what] += 1


def _sleep_backoff(attempt: int) -> None:
    time.sleep(min(1.0, 0.1 * 2 ** min(attempt, 4)) * (0.5 + random.random()))


def run_request(client: httpx.Client, shared: Shared, req: Request, args: argparse.Namespace):
    """POST (with the request's key), poll until finished; re-POST after a lost connection."""
    params = {} if args.wait < 0 else {"wait": args.wait}
    headers = {"Idempotency-Key": req.key}
    req.start = time.monotonic()
    deadline = req.start + args.request_timeout
    job_id: str | None = None
    need_post = True
    failures = 0
    while not shared.abort.is_set():
        if time.monotonic() > deadline:
            req.outcome = f"error: no result within {args.request_timeout:.0f} s"
            break
        try:
            if need_post:
                req.posts += 1
                r = client.post(
                    shared.base + "/v1/summaries",
                    params=params,
                    json={"text": req.text},
                    headers=headers,
                )
                shared.count(f"POST {r.status_code}")
                req.post_statuses.append(r.status_code)
            else:
                req.gets += 1
                r = client.get(f"{shared.base}/v1/jobs/{job_id}")
                shared.count(f"GET {r.status_code}")
        except httpx.TransportError as exc:
            # refused, reset, or timed out: the server may be down; re-POST, same key
            shared.count(f"transport error ({type(exc).__name__})")
            req.transport_errors += 1
            failures += 1
            need_post = True
            _sleep_backoff(failures)
            continue
        if r.status_code in (429, 500, 502, 503, 504):
            failures += 1
            retry_after = r.headers.get("retry-after", "")
            if retry_after.isdigit():
                time.sleep(min(float(retry_after), 5.0))
            else:
                _sleep_backoff(failures)
            continue
        if r.status_code not in (200, 202):
            req.outcome = f"error: {'POST' if need_post else 'GET'} {r.status_code} {r.text[:200]}"
            break
        try:
            body = r.json()
            status = body["status"]
            req.job_ids.append(str(body["id"]))
        except (ValueError, KeyError, TypeError) as exc:
            req.outcome = f"error: bad response body ({exc}): {r.text[:200]}"
            break
        if job_id is None:
            req.accepted = time.monotonic()
            with shared.lock:
                shared.accepted += 1
        job_id = req.job_ids[-1]
        need_post, failures = False, 0
        if status in ("done", "failed", "cancelled"):
            req.outcome = status if status != "failed" else f"failed: {body.get('error')}"
            summary = body.get("summary")
            req.summary_has_tag = status == "done" and req.tag in json.dumps(summary)
            req.job = {k: body.get(k) for k in ("created", "started", "finished", "attempts")}
            break
        time.sleep(args.poll)
    else:
        req.outcome = req.outcome or "error: aborted"
    req.end = time.monotonic()
    with shared.lock:
        shared.finished += 1


def client_loop(shared: Shared, args: argparse.Namespace) -> None:
    timeout = httpx.Timeout(connect=5.0, read=max(args.wait, 10.0) + 30.0, write=10.0, pool=10.0)
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        while not shared.abort.is_set():
            try:
                req = shared.work.get_nowait()
            except queue.Empty:
                return
            try:
                run_request(client, shared, req, args)
            except Exception as exc:  # a bench bug must not hang the run
                req.outcome = f"error: client crashed: {type(exc).__name__}: {exc}"
                req.end = time.monotonic()
                with shared.lock:
                    shared.finished += 1


# -- the database ---------------------------------------------------------------------------
def read_db(path: Path) -> dict[str, Any]:
    """The job table as the server left it (read with the server stopped)."""
    db = sqlite3.connect(str(path), timeout=10)
    try:
        db.row_factory = sqlite3.Row
        jobs = [dict(r) for r in db.execute("SELECT * FROM jobs")]
        keys = {r["key"]: r["target"] for r in db.execute("SELECT key, target FROM idempotency")}
    finally:
        db.close()
    return {"jobs": jobs, "keys": keys}


def db_status_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(str(path), timeout=10)
    try:
        rows = db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
    finally:
        db.close()
    return {status: n for status, n in rows}


# -- figures --------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency(values: list[float]) -> dict[str, Any]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    return {
        "n": len(values),
        "p50": r(percentile(values, 0.50)),
        "p90": r(percentile(values, 0.90)),
        "p99": r(percentile(values, 0.99)),
        "mean": r(sum(values) / len(values)) if values else None,
        "max": r(max(values)) if values else None,
    }


def check(requests: list[Request], db: dict[str, Any], run: str) -> dict[str, Any]:
    """Lost or duplicated requests and jobs, from the clients' side and the database's."""
    n = len(requests)
    problems: list[str] = []
    ids_per_request = Counter(len(set(r.job_ids)) for r in requests)
    one_id = [r for r in requests if len(set(r.job_ids)) == 1]
    final_ids = [r.job_ids[-1] for r in requests if r.job_ids]
    distinct_ids = set(final_ids)
    done = [r for r in requests if r.outcome == "done"]
    done_per_job = Counter(r.job_ids[-1] for r in done)
    outcomes = Counter(r.outcome.split(":")[0] for r in requests)
    if len(one_id) != n:
        problems.append(f"{n - len(one_id)} request(s) got no job id or several: {ids_per_request}")
    if len(distinct_ids) != n:
        problems.append(f"{len(distinct_ids)} distinct job ids for {n} requests")
    if len(done) != n:
        bad = [f"{r.tag}: {r.outcome}" for r in requests if r.outcome != "done"][:5]
        problems.append(f"{n - len(done)} request(s) did not finish done: {bad}")
    if any(k > 1 for k in done_per_job.values()):
        problems.append("a job was reported done to more than one request")
    wrong_summary = [r.tag for r in done if not r.summary_has_tag]
    if wrong_summary:
        problems.append(
            f"{len(wrong_summary)} summaries lack their article's tag: {wrong_summary[:5]}"
        )

    jobs = db["jobs"]
    by_status = Counter(j["status"] for j in jobs)
    texts = Counter(json.loads(j["request"])["text"] for j in jobs)
    duplicate_texts = sum(k - 1 for k in texts.values() if k > 1)
    tags: Counter[str] = Counter()
    for text in texts.elements():
        m = TAG.search(text)
        tags[m[0] if m and m[2] == run else "(foreign)"] += 1
    expected_tags = {r.tag for r in requests}
    db_ids = {j["id"] for j in jobs}
    client_ids = {r.job_ids[-1] for r in requests if r.job_ids}
    attempts = Counter(j["attempts"] for j in jobs)
    if len(jobs) != n:
        problems.append(f"the database has {len(jobs)} job rows, not {n}")
    if by_status.get("done", 0) != n:
        problems.append(f"database statuses {dict(by_status)}, not {n} done")
    if duplicate_texts:
        problems.append(f"{duplicate_texts} duplicate job(s) (same article text) in the database")
    if set(tags) != expected_tags or any(k != 1 for k in tags.values()):
        missing = sorted(expected_tags - set(tags))[:5]
        extra = sorted(t for t, k in tags.items() if k != 1 or t not in expected_tags)[:5]
        problems.append(f"database articles vs requests: missing {missing}, extra {extra}")
    if db_ids != client_ids:
        problems.append(
            f"job ids: {len(client_ids - db_ids)} seen by clients but not in the database, "
            f"{len(db_ids - client_ids)} in the database but never seen by a client"
        )
    # the service may store a key scoped to its endpoint ("summary:KEY")
    key_mismatch = sum(
        1
        for r in requests
        if db["keys"].get(r.key, db["keys"].get(f"summary:{r.key}")) != (r.job_ids or [None])[-1]
    )
    if key_mismatch:
        problems.append(f"{key_mismatch} idempotency key(s) map to another job than the client's")
    return {
        "ok": not problems,
        "problems": problems,
        "lost": n - len(done),
        # a second job for one article, or a request told of two jobs
        "duplicated": duplicate_texts + sum(1 for r in requests if len(set(r.job_ids)) > 1),
        "db_rows_unseen_by_clients": len(db_ids - client_ids),
        "requests": n,
        "requests_with_exactly_one_job_id": len(one_id),
        "distinct_job_ids": len(distinct_ids),
        "requests_done": len(done),
        "outcomes": dict(outcomes),
        "summaries_with_own_tag": len(done) - len(wrong_summary),
        "db_rows": len(jobs),
        "db_status": dict(by_status),
        "db_duplicate_texts": duplicate_texts,
        "db_idempotency_keys": len(db["keys"]),
        "db_attempts": {str(k): v for k, v in sorted(attempts.items())},
        "db_ids_equal_client_ids": db_ids == client_ids,
    }


def server_side(jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures from the database's own times: queueing, running, and the pace of finishing."""
    done = [j for j in jobs if j["status"] == "done" and j["started"] and j["finished"]]
    if not done:
        return {}
    created = min(j["created"] for j in jobs)
    finished = sorted(j["finished"] for j in done)
    span = finished[-1] - finished[0]
    return {
        "server_queue_seconds": latency([j["started"] - j["created"] for j in done]),
        "server_run_seconds": latency([j["finished"] - j["started"] for j in done]),
        "first_job_done_after_seconds": round(finished[0] - created, 2),
        "finishing_rate_after_first_done_rps": (
            round((len(finished) - 1) / span, 2) if span > 0 else None
        ),
    }


# -- a scenario -----------------------------------------------------------------------------
def run_scenario(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    load_at_start = os.getloadavg()[0]
    db = work / f"{name}-jobs.sqlite3"
    provider = Provider(args.delay, work / f"{name}-provider.log")
    server: Server | None = None
    shared: Shared | None = None
    threads: list[threading.Thread] = []
    restart: dict[str, Any] = {}
    try:
        provider.start()
        server = Server(args, free_port(), db, provider.url)
        startup = server.start(work / f"{name}-server-1.log", args.ready_timeout)
        shared = Shared(server.base)
        requests = []
        for i in range(args.requests):
            tag, text = article(i, run)
            req = Request(i, tag, f"bench-{run}-{i:04d}-{uuid.uuid4().hex[:8]}", text)
            requests.append(req)
            shared.work.put(req)
        started = time.monotonic()
        for i in range(args.clients):
            t = threading.Thread(target=client_loop, args=(shared, args), name=f"client-{i}")
            t.daemon = True
            t.start()
            threads.append(t)
        deadline = started + args.timeout
        if name == "restart":
            restart = kill_and_restart(args, server, shared, work, deadline)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        hung = sum(t.is_alive() for t in threads)
        if hung:
            shared.abort.set()
            for t in threads:
                t.join(10)
        ended = max((r.end for r in requests if r.end), default=time.monotonic())
        wall = ended - started
        exit_code = server.stop()
        provider.stop()
        db_after = read_db(db)
    finally:
        if shared is not None:
            shared.abort.set()
        if server is not None:
            server.kill_all()
        provider.stop()
    checks = check(requests, db_after, run)
    if hung:
        checks["ok"] = False
        checks["problems"].append(f"{hung} client(s) still running after {args.timeout:.0f} s")
    lat = [r.end - r.start for r in requests if r.outcome == "done"]
    retried = [r for r in requests if r.retried or r.transport_errors]
    figures: dict[str, Any] = {
        "wall_seconds": round(wall, 2),
        "throughput_rps": round(len([r for r in requests if r.outcome == "done"]) / wall, 2),
        "latency_seconds": latency(lat),
        "status_counts": dict(sorted(shared.statuses.items())),
        "first_post_status": dict(
            Counter(str(r.post_statuses[0]) for r in requests if r.post_statuses)
        ),
        "posts": sum(r.posts for r in requests),
        "gets": sum(r.gets for r in requests),
        "requests_retried": len(retried),
        "transport_errors": sum(r.transport_errors for r in requests),
        "provider_calls": provider.calls,
        "provider_calls_per_job": (
            round(provider.calls / len(requests), 3) if provider.calls is not None else None
        ),
        "provider_max_in_flight": provider.max_in_flight,
        "server_startup_seconds": round(startup, 2),
        "server_exit_code": exit_code,
        **server_side(db_after["jobs"]),
    }
    if name == "restart":
        unaffected = [r.end - r.start for r in requests if r.outcome == "done" and not r.retried]
        figures["latency_seconds_retried"] = latency(
            [r.end - r.start for r in retried if r.outcome == "done"]
        )
        figures["latency_seconds_not_retried"] = latency(unaffected)
        after = [
            j["finished"]
            for j in db_after["jobs"]
            if j["finished"] and j["finished"] > restart["killed_at_epoch"]
        ]
        restart["kill_to_first_job_done_seconds"] = (
            round(min(after) - restart["killed_at_epoch"], 2) if after else None
        )
        figures["restart"] = restart
        figures["requeued_at_restart_log"] = _requeued(server.logs[-1] if server else None)
        figures["retried_posts_same_job_id"] = sum(
            1 for r in retried if r.job_ids and len(set(r.job_ids)) == 1 and len(r.job_ids) > 1
        )
    return {
        "bench": "service_load",
        "scenario": name,
        "command": shlex.join([sys.executable, *sys.argv]),
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_1m_at_start": round(load_at_start, 2),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "params": {
            "requests": args.requests,
            "clients": args.clients,
            "provider_delay_seconds": args.delay,
            "workers": args.workers,
            "post_wait_seconds": None if args.wait < 0 else args.wait,
            "poll_seconds": args.poll,
            "model": MODEL,
            "server_command": shlex.join(server.command) if server else None,
            **(
                {"kill_after_accepted": args.kill_after, "down_seconds": args.down}
                if name == "restart"
                else {}
            ),
        },
        "figures": figures,
        "checks": checks,
        "work_dir": str(work) if args.keep else None,
    }


def kill_and_restart(
    args: argparse.Namespace, server: Server, shared: Shared, work: Path, deadline: float
) -> dict[str, Any]:
    """SIGKILL once ``--kill-after`` requests were accepted; restart on the same db and port."""
    kill_after = args.kill_after
    while True:
        with shared.lock:
            accepted, finished = shared.accepted, shared.finished
        if accepted >= kill_after:
            break
        if finished >= args.requests or time.monotonic() > deadline:
            raise RuntimeError(
                f"never reached {kill_after} accepted requests (accepted {accepted}, "
                f"finished {finished}): nothing to kill"
            )
        time.sleep(0.005)
    killed, killed_wall = time.monotonic(), time.time()
    server.kill9()
    with shared.lock:
        at_kill = {"accepted": shared.accepted, "finished_by_clients": shared.finished}
    at_kill["db_status"] = db_status_counts(server.db)
    if args.down > 0:
        time.sleep(args.down)
    startup = server.start(work / "restart-server-2.log", args.ready_timeout)
    return {
        "at_kill": at_kill,
        "killed_at_epoch": killed_wall,
        "downtime_seconds": round(time.monotonic() - killed, 2),
        "restart_startup_seconds": round(startup, 2),
    }


def _requeued(log: Path | None) -> int | None:
    if log is None:
        return None
    m = re.search(r"requeued (\d+) job", _tail(log, 200))
    return int(m[1]) if m else 0


# -- report ---------------------------------------------------------------------------------
def markdown(result: dict[str, Any]) -> str:
    p, f, c = result["params"], result["figures"], result["checks"]
    lat = f["latency_seconds"]
    lines = [
        f"### service_load: {result['scenario']}",
        "",
        f"{p['requests']} requests, {p['clients']} clients, provider delay "
        f"{p['provider_delay_seconds']} s per call, --workers {p['workers']}, POST wait "
        f"{p['post_wait_seconds']}, poll "
        f"{p['poll_seconds']} s; {result['machine']['cpu_count']} CPUs, Python "
        f"{result['machine']['python']}",
        "",
        "| figure | value |",
        "|---|---|",
        f"| wall | {f['wall_seconds']} s |",
        f"| throughput | {f['throughput_rps']} requests/s |",
        f"| latency p50 / p99 (max) | {lat['p50']} / {lat['p99']} s ({lat['max']} s) |",
        f"| status codes | {_fmt(f['status_counts'])} |",
        f"| server: queued p50 / p99, ran p50 / max | {_lat(f, 'server_queue_seconds')}, "
        f"{_lat(f, 'server_run_seconds', 'max')} |",
        f"| first job done after (cold start) | {f.get('first_job_done_after_seconds')} s |",
        f"| provider calls (per job) | {f['provider_calls']} ({f['provider_calls_per_job']}) |",
    ]
    if result["scenario"] == "restart":
        r = f["restart"]
        lines += [
            f"| killed at | {r['at_kill']['accepted']} accepted; database "
            f"{_fmt(r['at_kill']['db_status'])} |",
            f"| downtime: kill to ready / to first job done | {r['downtime_seconds']} s / "
            f"{r['kill_to_first_job_done_seconds']} s |",
            f"| requests that retried | {f['requests_retried']} "
            f"({f['transport_errors']} transport errors) |",
            f"| jobs requeued at restart | {f['requeued_at_restart_log']} |",
            f"| latency retried p50 / p99 | {f['latency_seconds_retried']['p50']} / "
            f"{f['latency_seconds_retried']['p99']} s |",
        ]
    lines += [
        f"| lost / duplicated | {c['lost']} / {c['duplicated']} |",
        f"| one job id per request | {c['requests_with_exactly_one_job_id']}/{c['requests']} |",
        f"| distinct job ids | {c['distinct_job_ids']} |",
        f"| database rows (status) | {c['db_rows']} ({_fmt(c['db_status'])}); "
        f"attempts {_fmt(c['db_attempts'])} |",
        f"| duplicate articles in database | {c['db_duplicate_texts']} |",
        f"| checks | {'PASS' if c['ok'] else 'FAIL: ' + '; '.join(c['problems'])} |",
        "",
    ]
    return "\n".join(lines)


def _lat(f: dict[str, Any], name: str, high: str = "p99") -> str:
    lat = f.get(name) or {}
    return f"{lat.get('p50')} / {lat.get(high)} s"


def _fmt(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("load", "restart", "both"), default="both")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--delay", type=float, default=0.2, help="fake provider seconds per call (0.2)"
    )
    parser.add_argument("--workers", type=int, default=8, help="serve --workers (8)")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="POST ?wait= seconds (0: 202 at once, then poll); negative: omit it (the "
        "server's own bound, 10 s)",
    )
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between polls (0.1)")
    parser.add_argument(
        "--kill-after", type=int, default=None, help="restart: accepted requests before kill -9"
    )
    parser.add_argument("--down", type=float, default=0.0, help="restart: seconds kept down")
    parser.add_argument("--request-timeout", type=float, default=300.0)
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="per scenario")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results" / "service")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args()
    if args.kill_after is None:
        args.kill_after = max(1, args.requests // 2)
    scenarios = ["load", "restart"] if args.scenario == "both" else [args.scenario]
    work = Path(tempfile.mkdtemp(prefix="service_load_"))
    ok = True
    try:
        for name in scenarios:
            print(f"service_load: running {name} ...", file=sys.stderr, flush=True)
            result = run_scenario(name, args, work)
            ok &= result["checks"]["ok"]
            args.out_dir.mkdir(parents=True, exist_ok=True)
            out = args.out_dir / f"{name}.json"
            out.write_text(json.dumps(result, indent=2) + "\n")
            print(markdown(result), flush=True)
            print(f"(written to {out})\n", flush=True)
    except BaseException:
        ok = False
        raise
    finally:
        if args.keep or not ok:
            print(f"service_load: databases and logs kept in {work}", file=sys.stderr)
        else:
            for path in work.iterdir():
                path.unlink()
            work.rmdir()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
