"""Summarize many articles: incremental JSONL, resume after a kill, bounded concurrency.

Each finished article is one JSON line, appended with a single ``write`` on an
``O_APPEND`` descriptor and fsynced, so a SIGKILL leaves at most one partial last
line (ignored on reading). A rerun skips articles already summarized; failed ones
are tried again. When several records share a key, the last one wins.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .backends import Backend
from .errors import InputError, SummarizerError
from .io.inputs import Article, read_path
from .pipeline import Pipeline
from .redaction import redact
from .schema import Usage

log = logging.getLogger("summarizer")

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class BatchItem:
    """One article to summarize: ``key`` is unique in the batch (the id or the path)."""

    key: str
    path: str | None = None
    article: Article | None = None


@dataclass
class Record:
    key: str
    status: Status
    source: str | None = None
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def cost_usd(self) -> float | None:
        """What this article cost: its summary's, or its failed attempts' (0 when it
        never reached a model); None when the model's price is unknown."""
        if self.summary is not None:
            cost = (self.summary.get("run") or {}).get("cost_usd")
            return float(cost) if cost is not None else None
        if self.error is None or "usage" not in self.error:
            return 0.0
        cost = self.error.get("cost_usd")
        return float(cost) if cost is not None else None

    def to_json(self) -> str:
        data = {
            "key": self.key,
            "status": self.status,
            "source": self.source,
            "seconds": round(self.seconds, 3),
            "summary": self.summary,
            "error": self.error,
        }
        return json.dumps(data, ensure_ascii=False)


@dataclass
class BatchResult:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    records: list[Record] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.ok + self.failed + self.skipped

    @property
    def cost_usd(self) -> float | None:
        """The summed cost of this run's articles; None if any one's price is unknown."""
        return sum_costs(r.cost_usd for r in self.records)


def sum_costs(costs: Iterable[float | None]) -> float | None:
    """The sum, or None when any cost is unknown."""
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return round(total, 8)


def read_records(path: Path) -> dict[str, Record]:
    """Records by key (last wins). A truncated or corrupt line is skipped with a warning."""
    records: dict[str, Record] = {}
    if not path.exists():
        return records
    with path.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                record = Record(
                    key=data["key"],
                    status=data["status"],
                    source=data.get("source"),
                    summary=data.get("summary"),
                    error=data.get("error"),
                    seconds=float(data.get("seconds", 0.0)),
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning("%s:%d: skipping an unreadable line (interrupted write?)", path, number)
                continue
            records[record.key] = record
    return records


class JsonlWriter:
    """Appends one record per line atomically (one write call on an O_APPEND fd).

    ``write`` returns once the line is on disk (fsynced). ``append`` returns once the
    line is in the file, where a killed process cannot lose it, and leaves the fsync
    to a background thread (coalesced; the last one runs in ``close``), so an event
    loop is not blocked for milliseconds per record.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._sync_wanted = threading.Event()
        self._closing = False
        self._syncer: threading.Thread | None = None
        self._repair_tail()

    def _repair_tail(self) -> None:
        """If a kill left a partial last line, end it so the next record starts clean."""
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        with self.path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) != b"\n":
                os.write(self._fd, b"\n")

    def write(self, record: Record) -> None:
        data = (record.to_json() + "\n").encode("utf-8")
        os.write(self._fd, data)
        os.fsync(self._fd)

    def append(self, record: Record) -> None:
        self.append_line(record.to_json())

    def append_line(self, line: str) -> None:
        """One JSON line (no newline inside), in the file at once; fsync in the background."""
        os.write(self._fd, (line + "\n").encode("utf-8"))
        if self._syncer is None:
            self._syncer = threading.Thread(target=self._sync_loop, name="jsonl-fsync", daemon=True)
            self._syncer.start()
        self._sync_wanted.set()

    def _sync_loop(self) -> None:
        while True:
            self._sync_wanted.wait()
            self._sync_wanted.clear()
            if self._closing:
                return
            os.fsync(self._fd)

    def close(self) -> None:
        if self._syncer is not None:
            self._closing = True
            self._sync_wanted.set()
            self._syncer.join()
            self._syncer = None
        os.fsync(self._fd)
        os.close(self._fd)

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"type": type(exc).__name__, "message": redact(str(exc))}
    cause = getattr(exc, "provider_cause", None)
    if cause:
        info["cause"] = cause
    usage = getattr(exc, "context", {}).get("usage") if isinstance(exc, SummarizerError) else None
    if usage:
        info["usage"] = usage
    return info


def _article(item: BatchItem, max_chars: int | None) -> Article:
    if item.article is not None:
        return item.article
    if item.path is None:
        raise InputError(f"{item.key}: nothing to read")
    return read_path(item.path, max_chars=max_chars)


def _ok(item: BatchItem, summary_json: dict[str, Any], seconds: float) -> Record:
    return Record(item.key, "ok", source=item.path, summary=summary_json, seconds=seconds)


def _failed(
    item: BatchItem, exc: BaseException, seconds: float, backend: Backend | None = None
) -> Record:
    error = error_info(exc)
    if backend is not None and "usage" in error:
        try:
            error["cost_usd"] = backend.cost_usd(Usage.model_validate(error["usage"]))
        except ValueError:  # a partial usage record: the price stays unknown
            error["cost_usd"] = None
    return Record(item.key, "failed", source=item.path, error=error, seconds=seconds)


ProgressFn = Callable[[Record], None]


async def arun_batch(
    summarizer: Pipeline,
    items: list[BatchItem],
    out: Path,
    *,
    concurrency: int | None = None,
    max_chars: int | None = None,
    on_record: ProgressFn | None = None,
) -> BatchResult:
    """Summarize ``items`` into ``out`` (JSONL), skipping keys already done there."""
    done = {k for k, r in read_records(out).items() if r.status == "ok"}
    result = BatchResult(skipped=sum(1 for i in items if i.key in done))
    todo = [i for i in items if i.key not in done]
    limit = max(
        1, min(concurrency or summarizer.backend.concurrency, summarizer.backend.concurrency)
    )
    semaphore = asyncio.Semaphore(limit)

    with JsonlWriter(out) as writer:

        async def one(item: BatchItem) -> None:
            async with semaphore:
                started = time.perf_counter()
                try:
                    article = _article(item, max_chars)
                    summary = await summarizer.asummarize(article)
                    record = _ok(
                        item, summary.model_dump(mode="json"), time.perf_counter() - started
                    )
                except SummarizerError as exc:
                    record = _failed(item, exc, time.perf_counter() - started, summarizer.backend)
                writer.append(record)
                result.records.append(record)
                if record.status == "ok":
                    result.ok += 1
                else:
                    result.failed += 1
                    log.warning(
                        "%s: failed: %s", item.key, record.error and record.error["message"]
                    )
                if on_record is not None:
                    on_record(record)

        await asyncio.gather(*(one(i) for i in todo))
    return result


def run_batch(
    summarizer: Pipeline,
    items: list[BatchItem],
    out: Path,
    *,
    concurrency: int | None = None,
    max_chars: int | None = None,
    on_record: ProgressFn | None = None,
) -> BatchResult:
    """Blocking form of :func:`arun_batch`."""
    return asyncio.run(
        arun_batch(
            summarizer,
            items,
            out,
            concurrency=concurrency,
            max_chars=max_chars,
            on_record=on_record,
        )
    )
