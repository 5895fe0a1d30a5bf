"""Prometheus metrics of the service, in the text exposition format (no dependency)."""

from __future__ import annotations

import threading
from collections import defaultdict

#: Latency buckets, seconds (from a fake provider's milliseconds to a local model's minutes).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), "")}"' for k, v in pairs
    )
    return "{" + inner + "}"


class Metrics:
    """Counters, a latency histogram and gauges read at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.failures: dict[str, int] = defaultdict(int)
        self.jobs_done = 0
        self.tokens: dict[str, int] = defaultdict(int)
        self._buckets = [0] * len(BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0

    def request(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self.requests[(("method", method), ("route", route), ("status", str(status)))] += 1

    def job(self, seconds: float, prompt_tokens: int, completion_tokens: int) -> None:
        """A job finished with a summary after ``seconds`` (queue wait included)."""
        with self._lock:
            self.jobs_done += 1
            self.tokens["prompt"] += prompt_tokens
            self.tokens["completion"] += completion_tokens
            self._latency_sum += seconds
            self._latency_count += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._buckets[i] += 1

    def failure(self, kind: str) -> None:
        with self._lock:
            self.failures[kind] += 1

    def render(self, depth: dict[str, int], ready: bool) -> str:
        """The exposition text; ``depth`` is jobs by status from the store."""
        out: list[str] = []

        def metric(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            metric("summarizer_http_requests_total", "counter", "HTTP requests by route and status")
            for labels, n in sorted(self.requests.items()):
                out.append(f"summarizer_http_requests_total{_labels(labels)} {n}")
            metric("summarizer_jobs_completed_total", "counter", "jobs finished with a summary")
            out.append(f"summarizer_jobs_completed_total {self.jobs_done}")
            metric("summarizer_job_failures_total", "counter", "failed jobs by kind of failure")
            for kind, n in sorted(self.failures.items()):
                out.append(f"summarizer_job_failures_total{_labels((('kind', kind),))} {n}")
            metric("summarizer_tokens_total", "counter", "model tokens over every call")
            for kind, n in sorted(self.tokens.items()):
                out.append(f"summarizer_tokens_total{_labels((('kind', kind),))} {n}")
            metric(
                "summarizer_job_seconds",
                "histogram",
                "seconds from acceptance to summary (queue wait included)",
            )
            for bound, n in zip(BUCKETS, self._buckets, strict=True):
                out.append(f'summarizer_job_seconds_bucket{{le="{bound}"}} {n}')
            out.append(f'summarizer_job_seconds_bucket{{le="+Inf"}} {self._latency_count}')
            out.append(f"summarizer_job_seconds_sum {self._latency_sum:.6f}")
            out.append(f"summarizer_job_seconds_count {self._latency_count}")
        metric("summarizer_jobs", "gauge", "jobs in the store by status (queued = queue depth)")
        for status, n in depth.items():
            out.append(f"summarizer_jobs{_labels((('status', status),))} {n}")
        metric("summarizer_ready", "gauge", "1 when the model is loaded")
        out.append(f"summarizer_ready {1 if ready else 0}")
        return "\n".join(out) + "\n"
