"""The prompt pipeline: article -> sentences -> strategy (model calls) -> grounded summary.

It knows backends only through the ``Backend`` protocol, and nothing of the CLI
or of the evaluation harness.
"""

from __future__ import annotations

import hashlib
import time

from .backends import Backend
from .backends.base import begin_article
from .errors import InputError
from .grounding import faithfulness
from .grounding.citations import Items
from .grounding.sentences import Sentence, split_sentences
from .io.cache import Cache
from .io.inputs import Article, article_sha256
from .schema import NegotiationSummary, RunInfo, SourceInfo
from .settings import Settings
from .strategies import Strategy, default_strategy, make_strategy
from .strategies.relevance import mentions_negotiation
from .strategies.structured import Meter


class Pipeline:
    """Summarizes articles with one backend, one strategy and one set of settings.

    The public way in is ``summarizer.Summarizer``, which builds the backend from the
    settings; this class takes any ``Backend`` (tests, custom engines)."""

    def __init__(
        self,
        backend: Backend,
        settings: Settings | None = None,
        *,
        cache: Cache | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings or Settings()
        o = self.settings
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
            faithfulness.REVISION,
            article_sha256(article.text),
            repr(sorted(self.settings.fingerprint().items())),
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
                settings={**self.settings.fingerprint(), "strategy": self.strategy.name},
                cost_usd=self.backend.cost_usd(meter.usage),
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
        begin_article(self.backend)
        items = self.strategy.run(article, self._sentences(article), self.backend, meter)
        return self._finish(article, items, meter, started)

    async def asummarize(self, article: Article) -> NegotiationSummary:
        cached = self._cached(article)
        if cached is not None:
            return cached
        started, meter = time.perf_counter(), Meter()
        begin_article(self.backend)
        items = await self.strategy.arun(article, self._sentences(article), self.backend, meter)
        return self._finish(article, items, meter, started)
