"""Workers: threads that take jobs from the store and summarize them with the one
shared ``Summarizer`` (one loaded model for every request)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..api import Summarizer
from ..batch import error_info
from ..errors import ProviderError, SummarizerError
from ..io.inputs import make_article
from .metrics import Metrics
from .store import Job, JobStore

log = logging.getLogger("summarizer")


def error_of(exc: BaseException) -> dict[str, Any]:
    """A job's error: its kind (for metrics and clients) and its one-line message."""
    if isinstance(exc, ProviderError):
        kind = f"provider_{exc.provider_cause}"
    elif isinstance(exc, SummarizerError):
        kind = type(exc).__name__.removesuffix("Error").lower() or "error"
    else:
        kind = "internal"
    info = error_info(exc)  # the batch runner's: the message with secrets redacted
    return {"kind": kind, "type": info["type"], "message": info["message"]}


class Workers:
    """``threads`` workers; ``wait(job_id, seconds)`` blocks until that job finishes."""

    def __init__(
        self,
        store: JobStore,
        summarizer: Summarizer,
        metrics: Metrics,
        *,
        threads: int = 1,
        queue_timeout: float = 600.0,
        poll: float = 0.05,
    ) -> None:
        self.store = store
        self.summarizer = summarizer
        self.metrics = metrics
        self.threads = max(1, threads)
        self.queue_timeout = queue_timeout
        self.poll = poll
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pool: list[threading.Thread] = []

    def start(self) -> None:
        recovered = self.store.recover()
        if recovered:
            log.warning("requeued %d job(s) left running by the previous process", recovered)
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"summarizer-worker-{i}", daemon=True)
            t.start()
            self._pool.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.notify()
        for t in self._pool:
            t.join(timeout)

    def notify(self) -> None:
        """New work was queued."""
        with self._wake:
            self._wake.notify_all()

    def expire(self) -> int:
        """Fail the jobs queued longer than the queue timeout (kind ``timeout``). The
        workers call it before each claim, and the service's housekeeping thread on a
        timer, so a job expires on time even while every worker is busy."""
        expired = self.store.fail_queued_older_than(
            time.time() - self.queue_timeout,
            {
                "kind": "timeout",
                "type": "Timeout",
                "message": f"waited longer than {self.queue_timeout:g} s in the queue",
            },
        )
        if expired:
            for _ in range(expired):
                self.metrics.failure("timeout")
        return expired

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.expire()
            claimed = self.store.claim()
            if claimed is None:
                with self._wake:
                    self._wake.wait(self.poll * 20)
                continue
            self._run(*claimed)

    def _run(self, job: Job, token: str) -> None:
        request = job.request
        try:
            article = make_article(
                request["text"],
                title=request.get("title"),
                max_chars=self.summarizer.settings.max_chars,
            )
            summary = self.summarizer.summarize(article)
        except Exception as exc:  # any failure is the job's outcome, never the worker's end
            error = error_of(exc)
            if self.store.finish(job.id, token, error=error):
                self.metrics.failure(error["kind"])
            if not isinstance(exc, SummarizerError):
                log.exception("job %s failed unexpectedly", job.id)
            return
        if self.store.finish(job.id, token, result=summary.model_dump(mode="json")):
            usage = summary.run.usage
            self.metrics.job(
                time.time() - job.created, usage.prompt_tokens, usage.completion_tokens
            )
