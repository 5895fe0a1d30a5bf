"""The public way in: ``Summarizer`` holds one loaded model; ``summarize`` and
``asummarize`` are one-line conveniences over it.

    from summarizer import Summarizer

    with Summarizer() as s:                      # the embedded model, loaded once
        one = s.summarize(text)
        many = s.summarize_many(texts)           # each a summary or that article's error
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .backends import Backend, make_backend
from .backends.base import ProgressHook
from .errors import SummarizerError
from .io.cache import Cache
from .io.inputs import Article, make_article
from .pipeline import Pipeline
from .schema import NegotiationSummary
from .settings import Settings

Input = str | Article
Outcome = NegotiationSummary | SummarizerError
#: ``progress(done, total, outcome)``, called as each article of a batch finishes.
BatchProgress = Callable[[int, int, Outcome], None]


class Summarizer:
    """Summarizes articles with one model, loaded once and shared by every call.

    ``Summarizer(model="local", **settings)``: ``model`` and the keyword arguments are
    the fields of :class:`Settings` (or pass ``settings=``). ``backend=`` replaces the
    model with any ``Backend``, such as ``MockBackend`` in tests. ``cache`` reuses
    earlier results (``summarizer.io.cache.Cache``). ``progress(phase, detail)`` reports
    the embedded model's phases (loading, reading, judging, ...).

    Use it as a context manager, or call :meth:`close`, to release the model.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        settings: Settings | None = None,
        backend: Backend | None = None,
        cache: Cache | None = None,
        progress: ProgressHook | None = None,
        **overrides: Any,
    ) -> None:
        base = settings or Settings()
        if model is not None:
            overrides["model"] = model
        self.settings: Settings = (
            Settings.of({**base.model_dump(), **overrides}) if overrides else base
        )
        self.backend: Backend = backend or make_backend(None, self.settings, progress=progress)
        self._pipeline = Pipeline(self.backend, self.settings, cache=cache)

    # -- one article ------------------------------------------------------------------
    def article(self, text_or_article: Input, *, title: str | None = None) -> Article:
        """``text_or_article`` as an ``Article`` (length checked against ``max_chars``)."""
        if isinstance(text_or_article, Article):
            return text_or_article
        return make_article(text_or_article, title=title, max_chars=self.settings.max_chars)

    def summarize(self, text_or_article: Input, *, title: str | None = None) -> NegotiationSummary:
        """The structured summary of one article. Raises ``SummarizerError``."""
        return self._pipeline.summarize(self.article(text_or_article, title=title))

    async def asummarize(
        self, text_or_article: Input, *, title: str | None = None
    ) -> NegotiationSummary:
        """The async form of :meth:`summarize` (works inside a running event loop)."""
        return await self._pipeline.asummarize(self.article(text_or_article, title=title))

    # -- many articles -----------------------------------------------------------------
    def summarize_many(
        self,
        items: Iterable[Input],
        *,
        concurrency: int | None = None,
        progress: BatchProgress | None = None,
    ) -> list[Outcome]:
        """Summaries in input order: each a ``NegotiationSummary`` or that article's
        ``SummarizerError``. One failure never stops the rest. ``concurrency`` bounds
        articles in flight (default: the backend's own bound)."""
        outcomes: list[Outcome] = _run(
            self.asummarize_many(items, concurrency=concurrency, progress=progress)
        )
        return outcomes

    async def asummarize_many(
        self,
        items: Iterable[Input],
        *,
        concurrency: int | None = None,
        progress: BatchProgress | None = None,
    ) -> list[Outcome]:
        """The async form of :meth:`summarize_many`."""
        inputs = list(items)
        results: list[Outcome | None] = [None] * len(inputs)
        limit = asyncio.Semaphore(max(1, concurrency or self.backend.concurrency))
        done = 0

        async def one(index: int, item: Input) -> None:
            nonlocal done
            async with limit:
                try:
                    outcome: Outcome = await self.asummarize(item)
                except SummarizerError as exc:
                    outcome = exc
            results[index] = outcome
            done += 1
            if progress is not None:
                progress(done, len(inputs), outcome)

        await asyncio.gather(*(one(i, item) for i, item in enumerate(inputs)))
        return [r for r in results if r is not None]

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        """Release the model. The summarizer cannot be used afterwards."""
        self.backend.close()

    def __enter__(self) -> Summarizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline underneath (its strategy, cache key, backend)."""
        return self._pipeline


def _run(coroutine: Any) -> Any:
    """Run ``coroutine`` to completion, also from inside a running event loop (in a
    worker thread, as Jupyter needs)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def summarize(
    text: str,
    *,
    model: str | None = None,
    title: str | None = None,
    cache: Cache | None = None,
    **settings: Any,
) -> NegotiationSummary:
    """Summarize one article: ``Summarizer(model, **settings).summarize(text)``.

    ``model`` is ``local`` (the default: the embedded model, no key),
    ``local:/path/model.gguf``, or a litellm model string such as
    ``openai/gpt-4o-mini`` (keys from the environment). Other keyword arguments are
    :class:`Settings` fields. Raises ``SummarizerError`` subclasses. The embedded
    model stays loaded for the next call; ``Summarizer(...).close()`` releases it.
    """
    return Summarizer(model, cache=cache, **settings).summarize(text, title=title)


async def asummarize(
    text: str,
    *,
    model: str | None = None,
    title: str | None = None,
    cache: Cache | None = None,
    **settings: Any,
) -> NegotiationSummary:
    """The async form of :func:`summarize`."""
    return await Summarizer(model, cache=cache, **settings).asummarize(text, title=title)
