"""What one running service holds: its config, job store, model, workers and metrics,
and the checks every request goes through (keys, article, queue room)."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import Any

from ..api import Summarizer
from ..backends import Backend
from ..redaction import register_secret
from .config import ServiceConfig
from .http import ArticleIn, Problem
from .metrics import Metrics
from .store import JobStore
from .worker import Workers

log = logging.getLogger("summarizer")


def load_model(backend: Backend) -> None:
    """Load the model now: the backends load it on their first call, and the service
    reports ready only once it is loaded (the embedded model takes a while)."""
    from ..backends.hosted import HostedBackend, _litellm
    from ..backends.local import LocalBackend

    if isinstance(backend, LocalBackend):
        backend.engine()
    elif isinstance(backend, HostedBackend):
        _litellm()  # the SDK import, seconds on a busy machine
    else:
        load = getattr(backend, "llama", None)  # the llama-cpp-python engine
        if callable(load):
            load()


class Service:
    """The parts one app holds: config, store, model, workers, metrics."""

    def __init__(self, config: ServiceConfig, summarizer: Summarizer) -> None:
        self.config = config.check()
        for key in config.api_keys:
            register_secret(key)
        self.store = JobStore(config.db)
        self.summarizer = summarizer
        self.metrics = Metrics()
        self.workers = Workers(
            self.store,
            summarizer,
            self.metrics,
            threads=config.workers,
            queue_timeout=config.queue_timeout,
        )
        self.ready = threading.Event()
        self.load_error: str | None = None
        self._stopping = threading.Event()
        self._housekeeper = threading.Thread(
            target=self._housekeeping, daemon=True, name="summarizer-housekeeping"
        )

    def start(self) -> None:
        threading.Thread(target=self._load, daemon=True, name="summarizer-load").start()
        self._housekeeper.start()

    def _load(self) -> None:
        """Load the model, then start the workers, then report ready (health answers
        meanwhile, and jobs queue). The workers wait for the load: several threads
        importing the SDK at once (litellm, openai) can break its import."""
        try:
            load_model(self.summarizer.backend)
        except Exception as exc:  # the jobs report it too; readiness says why
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("the model failed to load: %s", self.load_error)
        if self._stopping.is_set():
            return
        self.workers.start()
        if self.load_error is None:
            self.ready.set()

    def stop(self) -> None:
        self._stopping.set()
        if self._housekeeper.is_alive():
            self._housekeeper.join(10)
        self.workers.stop()
        self.summarizer.close()
        self.store.close()

    def _housekeeping(self) -> None:
        """Expire jobs queued too long, and delete results kept long enough, on a timer
        (``ServiceConfig.housekeeping_seconds`` and ``purge_seconds``)."""
        next_purge = 0.0
        while True:
            try:
                self.workers.expire()
                if time.monotonic() >= next_purge:
                    self.store.purge(time.time() - self.config.retention_seconds)
                    next_purge = time.monotonic() + self.config.purge_seconds
            except Exception:  # retried next time, never fatal
                log.exception("housekeeping failed")
            if self._stopping.wait(self.config.housekeeping_seconds):
                return

    def authorize(self, authorization: str | None, api_key: str | None) -> None:
        if self.config.no_auth:
            return
        given = api_key
        if given is None and authorization and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        ok = False
        for key in self.config.api_keys:  # every key compared, in constant time
            ok |= hmac.compare_digest((given or "").encode(), key.encode())
        if not ok:
            raise Problem(
                401,
                "Unauthorized",
                "a valid API key is required (Authorization: Bearer KEY, or X-API-Key)",
                {"WWW-Authenticate": "Bearer"},
            )

    def check_article(self, article: ArticleIn) -> dict[str, Any]:
        if len(article.text) > self.config.max_article_chars:
            raise Problem(
                422,
                "Article too long",
                f"the article has {len(article.text):,} characters; the limit is "
                f"{self.config.max_article_chars:,}",
            )
        if not article.text.strip():
            raise Problem(422, "Empty article", "the article text is empty or only whitespace")
        return article.model_dump()

    def check_room(self, adding: int) -> None:
        queued = self.store.depth()["queued"]
        if queued + adding > self.config.queue_limit:
            retry = max(1, int(queued * 2 / max(1, self.config.workers)))
            raise Problem(
                429,
                "Queue full",
                f"{queued} jobs are queued (limit {self.config.queue_limit}); retry later",
                {"Retry-After": str(min(retry, 600))},
            )
