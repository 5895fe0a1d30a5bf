"""The prompt pipeline: article -> sentences -> strategy (model calls) -> grounded summary.

It knows backends only through the ``Backend`` protocol, and nothing of the CLI
or of the evaluation harness.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass

from .backends import Backend, Meter
from .cache import Cache
from .citations import Items
from .errors import InputError
from .relevance import mentions_negotiation
from .schema import NegotiationSummary, RunInfo, SourceInfo
from .sentences import Sentence, split_sentences
from .strategies import Strategy, default_strategy, make_strategy
from .text_input import Article, article_sha256


@dataclass(frozen=True)
class Options:
    """Pipeline settings. The two retry budgets are separate on purpose."""

    max_reasks: int = 1  # validation failures re-asked with the error (instructor)
    transport_attempts: int = 6  # timeouts/429/5xx/dropped connections (tenacity)
    max_tokens: int = 1536  # per call of the single strategy: a bound on a looping model
    temperature: float = 0.0
    chunk_chars: int | None = None  # None: what the backend's context allows
    overlap_chars: int = 600
    prompt: str = "extract"  # the single strategy's prompt
    #: When the re-ask budget is spent, keep the grounded items of the last answer
    #: and drop the rest (counted in ``run.dropped_items``) instead of failing.
    salvage: bool = True
    #: ``single``, ``staged``, ``staged-selector``, ``staged-agree``; None: ``staged``
    #: for the embedded model, ``single`` for hosted models (``strategies``).
    strategy: str | None = None

    def fingerprint(self) -> dict[str, str | int | float | bool | None]:
        """The settings that can change the output (cache key, run metadata)."""
        values = asdict(self)
        values.pop("transport_attempts")
        return values


class Summarizer:
    """Summarizes articles with one backend, one strategy and one set of options."""

    def __init__(
        self,
        backend: Backend,
        options: Options | None = None,
        *,
        cache: Cache | None = None,
    ) -> None:
        self.backend = backend
        self.options = options or Options()
        o = self.options
        self.strategy: Strategy = make_strategy(
            o.strategy or default_strategy(backend.name),
            max_reasks=o.max_reasks,
            max_tokens=o.max_tokens,
            temperature=o.temperature,
            salvage=o.salvage,
            chunk_chars=o.chunk_chars,
            overlap_chars=o.overlap_chars,
            prompt=o.prompt,
        )
        self.cache = cache

    def _sentences(self, article: Article) -> list[Sentence]:
        sentences = split_sentences(article.text)
        if not sentences:
            raise InputError(f"{article.name}: no sentences found", source=article.name)
        return sentences

    def cache_key(self, article: Article) -> str:
        parts = [
            self.backend.name,
            self.strategy.name,
            self.strategy.info.sha256,
            article_sha256(article.text),
            repr(sorted(self.options.fingerprint().items())),
            repr(article.title),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _finish(
        self, article: Article, items: Items, meter: Meter, started: float
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
                prompt=self.strategy.info,
                usage=meter.usage,
                wall_seconds=round(time.perf_counter() - started, 3),
                model_seconds=round(meter.model_seconds, 3),
                chunks=items.chunks,
                dropped_items=meter.dropped_items,
                settings={**self.options.fingerprint(), "strategy": self.strategy.name},
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
        started, meter = time.perf_counter(), Meter()
        items = self.strategy.run(article, self._sentences(article), self.backend, meter)
        return self._finish(article, items, meter, started)

    async def asummarize(self, article: Article) -> NegotiationSummary:
        cached = self._cached(article)
        if cached is not None:
            return cached
        started, meter = time.perf_counter(), Meter()
        items = await self.strategy.arun(article, self._sentences(article), self.backend, meter)
        return self._finish(article, items, meter, started)
