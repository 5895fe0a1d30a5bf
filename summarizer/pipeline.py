"""The prompt pipeline: article -> numbered sentences -> chunks -> model -> grounded summary.

It knows backends only through the ``Backend`` protocol, and nothing of the CLI
or of the evaluation harness.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass

from .backends import Backend, Meter, Request
from .cache import Cache
from .chunking import chunk_sentences
from .citations import Items, ground
from .errors import InputError
from .merge import merge_items
from .prompts import Prompt, load_prompt
from .relevance import mentions_negotiation
from .schema import NegotiationSummary, RunInfo, SourceInfo
from .sentences import Sentence, split_sentences
from .text_input import Article


@dataclass(frozen=True)
class Options:
    """Pipeline settings. The two retry budgets are separate on purpose."""

    max_reasks: int = 1  # validation failures re-asked with the error (instructor)
    transport_attempts: int = 6  # timeouts/429/5xx/dropped connections (tenacity)
    max_tokens: int = 1536  # per call: a bound on a looping model
    temperature: float = 0.0
    chunk_chars: int | None = None  # None: what the backend's context allows
    overlap_chars: int = 600
    prompt: str = "extract"
    #: When the re-ask budget is spent, keep the grounded items of the last answer
    #: and drop the rest (counted in ``run.dropped_items``) instead of failing.
    salvage: bool = True

    def fingerprint(self) -> dict[str, str | int | float | bool | None]:
        """The settings that can change the output (cache key, run metadata)."""
        values = asdict(self)
        values.pop("transport_attempts")
        return values


def article_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Summarizer:
    """Summarizes articles with one backend, one prompt and one set of options."""

    def __init__(
        self,
        backend: Backend,
        options: Options | None = None,
        *,
        prompt: Prompt | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.backend = backend
        self.options = options or Options()
        self.prompt = prompt or load_prompt(self.options.prompt)
        self.cache = cache

    # -- planning -------------------------------------------------------------------
    def _chunks(self, article: Article) -> tuple[list[Sentence], list[list[Sentence]]]:
        sentences = split_sentences(article.text)
        if not sentences:
            raise InputError(f"{article.name}: no sentences found", source=article.name)
        limit = self.options.chunk_chars or self.backend.context_chars
        chunks = chunk_sentences(
            article.text, sentences, max_chars=limit, overlap_chars=self.options.overlap_chars
        )
        return sentences, chunks

    def _request(self, article: Article, chunk: list[Sentence], index: int, total: int) -> Request:
        note = ""
        if total > 1:
            note = (
                f"This is part {index} of {total} of a long article. Extract what this part says."
            )
        messages = self.prompt.messages(
            article=article.text[chunk[0].start : chunk[-1].end],
            title=article.title,
            chunk_note=note,
        )
        return Request(
            messages=messages,
            sentences=tuple(chunk),
            max_reasks=self.options.max_reasks,
            max_tokens=self.options.max_tokens,
            temperature=self.options.temperature,
            salvage=self.options.salvage,
        )

    def cache_key(self, article: Article) -> str:
        parts = [
            self.backend.name,
            self.prompt.sha256,
            article_sha256(article.text),
            repr(sorted(self.options.fingerprint().items())),
            repr(article.title),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _finish(
        self, article: Article, items: Items, meter: Meter, started: float, chunks: int
    ) -> NegotiationSummary:
        if not mentions_negotiation(article.text):
            items = Items(summary=items.summary)  # nothing to negotiate: invent nothing
        summary = NegotiationSummary(
            summary=items.summary or "No negotiation is reported.",
            parties=items.parties,
            demands=items.demands,
            concessions=items.concessions,
            open_issues=items.open_issues,
            source=SourceInfo(
                title=article.title, chars=len(article.text), sha256=article_sha256(article.text)
            ),
            run=RunInfo(
                model=self.backend.name,
                prompt=self.prompt.info,
                usage=meter.usage,
                wall_seconds=round(time.perf_counter() - started, 3),
                model_seconds=round(meter.model_seconds, 3),
                chunks=chunks,
                dropped_items=meter.dropped_items,
                settings=self.options.fingerprint(),
            ),
        )
        if self.cache is not None:
            self.cache.put(self.cache_key(article), summary)
        return summary

    def _cached(self, article: Article) -> NegotiationSummary | None:
        if self.cache is None:
            return None
        hit = self.cache.get(self.cache_key(article))
        if hit is not None:
            hit.run.cached = True
        return hit

    # -- running --------------------------------------------------------------------
    def summarize(self, article: Article) -> NegotiationSummary:
        cached = self._cached(article)
        if cached is not None:
            return cached
        started, meter, chunks = time.perf_counter(), Meter(), self._chunks(article)[1]
        parts = [
            ground(self.backend.extract(self._request(article, c, i, len(chunks)), meter), c)
            for i, c in enumerate(chunks, 1)
        ]
        return self._finish(article, merge_items(parts), meter, started, len(chunks))

    async def asummarize(self, article: Article) -> NegotiationSummary:
        cached = self._cached(article)
        if cached is not None:
            return cached
        started, meter, chunks = time.perf_counter(), Meter(), self._chunks(article)[1]
        parts = [
            ground(await self.backend.aextract(self._request(article, c, i, len(chunks)), meter), c)
            for i, c in enumerate(chunks, 1)
        ]
        return self._finish(article, merge_items(parts), meter, started, len(chunks))
