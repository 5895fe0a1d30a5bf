"""Durable jobs in SQLite: an accepted job is on disk before the client hears of it.

One row per article. A job is ``queued`` → ``running`` → ``done`` | ``failed``, or
``cancelled`` while queued. A restart (even after kill -9) puts ``running`` jobs back
in the queue: nothing accepted is lost, and a job's result is written once, by the
worker that claimed it (``finish`` only moves a job that is still ``running`` under
the same claim). An idempotency key maps a retried POST to the job or batch it
already created. Finished jobs are deleted after the retention time.

The database runs in WAL mode with ``synchronous=FULL``: a committed job survives a
crash of the process or of the machine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ServiceError

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    batch TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    error TEXT,
    claim TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, created);
CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch, position);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    created REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Job:
    id: str
    batch: str | None
    position: int
    status: str
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    created: float
    started: float | None
    finished: float | None

    def public(self) -> dict[str, Any]:
        """What ``GET /v1/jobs/{id}`` shows (never the article text)."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "attempts": self.attempts,
        }
        if self.batch:
            out["batch"], out["position"] = self.batch, self.position
        if self.request.get("title"):
            out["title"] = self.request["title"]
        if self.result is not None:
            out["summary"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        batch=row["batch"],
        position=row["position"],
        status=row["status"],
        request=json.loads(row["request"]),
        result=json.loads(row["result"]) if row["result"] else None,
        error=json.loads(row["error"]) if row["error"] else None,
        attempts=row["attempts"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
    )


class JobStore:
    """Thread-safe: one connection, one lock (SQLite serialises writers anyway)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ServiceError(
                f"cannot open the job database {self.path}: {exc}", path=str(self.path)
            ) from exc
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._db:  # commits, or rolls back on error
                    yield self._db
            except sqlite3.Error as exc:
                raise ServiceError(f"job database error: {exc}", path=str(self.path)) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- accepting ------------------------------------------------------------------------
    def _known(self, db: sqlite3.Connection, key: str | None) -> str | None:
        if key is None:
            return None
        row = db.execute("SELECT target FROM idempotency WHERE key = ?", (key,)).fetchone()
        return str(row["target"]) if row else None

    def known(self, key: str | None) -> bool:
        """Whether an idempotency key was already used (a retried request)."""
        with self._tx() as db:
            return self._known(db, key) is not None

    def create(self, request: dict[str, Any], *, key: str | None = None) -> tuple[Job, bool]:
        """A queued job for ``request``; with a known idempotency ``key``, the job that
        key created (and False)."""
        with self._tx() as db:
            known = self._known(db, key)
            if known is None:
                job_id = uuid.uuid4().hex
                now = time.time()
                db.execute(
                    "INSERT INTO jobs (id, status, request, created) VALUES (?, 'queued', ?, ?)",
                    (job_id, json.dumps(request), now),
                )
                if key is not None:
                    db.execute(
                        "INSERT INTO idempotency (key, target, created) VALUES (?, ?, ?)",
                        (key, job_id, now),
                    )
                created = True
            else:
                job_id, created = known, False
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise ServiceError(f"idempotency key {key!r} names a job that expired")
        return _job(row), created

    def create_batch(
        self, requests: Sequence[dict[str, Any]], *, key: str | None = None
    ) -> tuple[str, bool]:
        """A batch of queued jobs, one per article (all or none)."""
        with self._tx() as db:
            known = self._known(db, key)
            if known is not None:
                return known, False
            batch = uuid.uuid4().hex
            now = time.time()
            db.execute(
                "INSERT INTO batches (id, size, created) VALUES (?, ?, ?)",
                (batch, len(requests), now),
            )
            db.executemany(
                "INSERT INTO jobs (id, batch, position, status, request, created) "
                "VALUES (?, ?, ?, 'queued', ?, ?)",
                [
                    (uuid.uuid4().hex, batch, i, json.dumps(r), now + i * 1e-6)
                    for i, r in enumerate(requests)
                ],
            )
            if key is not None:
                db.execute(
                    "INSERT INTO idempotency (key, target, created) VALUES (?, ?, ?)",
                    (key, batch, now),
                )
        return batch, True

    # -- working --------------------------------------------------------------------------
    def claim(self) -> tuple[Job, str] | None:
        """The oldest queued job, now running under a fresh claim token."""
        token = uuid.uuid4().hex
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', claim = ?, started = ?, "
                "attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
                (token, time.time(), row["id"]),
            )
            job = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return _job(job), token

    def finish(
        self,
        job_id: str,
        token: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Record the outcome once: only the claim that runs the job can finish it."""
        status = "done" if error is None else "failed"
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, finished = ?, claim = NULL "
                "WHERE id = ? AND status = 'running' AND claim = ?",
                (
                    status,
                    json.dumps(result) if result is not None else None,
                    json.dumps(error) if error is not None else None,
                    time.time(),
                    job_id,
                    token,
                ),
            )
            return cur.rowcount == 1

    def recover(self) -> int:
        """After a restart: every job left running goes back to the queue."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'queued', claim = NULL, started = NULL "
                "WHERE status = 'running'"
            )
            return cur.rowcount

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job; a job in any other state is returned unchanged."""
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = 'cancelled', finished = ? "
                "WHERE id = ? AND status = 'queued'",
                (time.time(), job_id),
            )
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def fail_queued_older_than(self, deadline: float, reason: dict[str, Any]) -> int:
        """Queued jobs accepted before ``deadline`` fail with ``reason`` (timeout)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished = ? "
                "WHERE status = 'queued' AND created < ?",
                (json.dumps(reason), time.time(), deadline),
            )
            return cur.rowcount

    # -- reading --------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def batch(self, batch_id: str) -> list[Job] | None:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone() is None:
                return None
            rows = db.execute(
                "SELECT * FROM jobs WHERE batch = ? ORDER BY position", (batch_id,)
            ).fetchall()
        return [_job(r) for r in rows]

    def depth(self) -> dict[str, int]:
        """Jobs by status."""
        with self._tx() as db:
            rows = db.execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({r["status"]: r["n"] for r in rows})
        return counts

    def purge(self, older_than: float) -> int:
        """Delete jobs finished before ``older_than`` (and their empty batches and keys).

        A batch goes as a whole: only once every one of its jobs is finished, and the
        last of them before ``older_than`` (its results never lose rows while it runs).
        """
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM jobs WHERE batch IS NULL AND status IN ('done', 'failed', "
                "'cancelled') AND finished < ?",
                (older_than,),
            )
            deleted = cur.rowcount
            cur = db.execute(
                "DELETE FROM jobs WHERE batch IN (SELECT batch FROM jobs WHERE batch IS NOT NULL "
                "GROUP BY batch HAVING SUM(status IN ('queued', 'running')) = 0 "
                "AND MAX(finished) < ?)",
                (older_than,),
            )
            deleted += cur.rowcount
            db.execute(
                "DELETE FROM batches WHERE id NOT IN (SELECT DISTINCT batch FROM jobs "
                "WHERE batch IS NOT NULL)"
            )
            db.execute(
                "DELETE FROM idempotency WHERE target NOT IN (SELECT id FROM jobs) "
                "AND target NOT IN (SELECT id FROM batches)"
            )
            return deleted
