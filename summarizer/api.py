"""The two public entry points: ``summarize`` and ``asummarize``."""

from __future__ import annotations

from .backends import make_backend
from .backends.engine import ProgressHook
from .cache import Cache
from .pipeline import Options, Summarizer
from .schema import NegotiationSummary
from .text_input import Article, make_article
from .transport import RetryPolicy


def build_summarizer(
    model: str | None = None,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    mode: str = "tools",
    concurrency: int | None = None,
    options: Options | None = None,
    cache: Cache | None = None,
    progress: ProgressHook | None = None,
) -> Summarizer:
    """A reusable Summarizer (the model loads once and serves every article)."""
    opts = options or Options()
    backend = make_backend(
        model,
        api_base=api_base,
        api_key=api_key,
        timeout=timeout,
        mode=mode,
        concurrency=concurrency,
        retry=RetryPolicy(attempts=opts.transport_attempts),
        progress=progress,
    )
    return Summarizer(backend, opts, cache=cache)


def _prepare(
    text: str,
    *,
    model: str | None,
    title: str | None,
    api_base: str | None,
    api_key: str | None,
    timeout: float,
    max_reasks: int,
    transport_attempts: int,
    max_chars: int | None,
    cache: Cache | None,
    strategy: str | None,
) -> tuple[Summarizer, Article]:
    article = make_article(text, title=title, max_chars=max_chars)
    options = Options(
        max_reasks=max_reasks, transport_attempts=transport_attempts, strategy=strategy
    )
    summarizer = build_summarizer(
        model, api_base=api_base, api_key=api_key, timeout=timeout, options=options, cache=cache
    )
    return summarizer, article


def summarize(
    text: str,
    *,
    model: str | None = None,
    title: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    max_reasks: int = 1,
    transport_attempts: int = 6,
    max_chars: int | None = None,
    cache: Cache | None = None,
    strategy: str | None = None,
) -> NegotiationSummary:
    """Summarize one negotiation article.

    ``model`` is ``local`` (the default, the embedded model, no key needed),
    ``local:/path/model.gguf``, or any litellm model string such as
    ``openai/gpt-4o-mini`` (keys from the environment). ``max_reasks`` bounds
    validation re-asks; ``transport_attempts`` bounds tries per call on timeouts,
    429s, 5xx and dropped connections. ``strategy`` is ``staged`` (the default for the
    embedded model) or ``single`` (the default for hosted models); see
    ``summarizer.strategies``. Raises ``SummarizerError`` subclasses.
    """
    summarizer, article = _prepare(
        text,
        model=model,
        title=title,
        api_base=api_base,
        api_key=api_key,
        timeout=timeout,
        max_reasks=max_reasks,
        transport_attempts=transport_attempts,
        max_chars=max_chars,
        cache=cache,
        strategy=strategy,
    )
    return summarizer.summarize(article)


async def asummarize(
    text: str,
    *,
    model: str | None = None,
    title: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    max_reasks: int = 1,
    transport_attempts: int = 6,
    max_chars: int | None = None,
    cache: Cache | None = None,
    strategy: str | None = None,
) -> NegotiationSummary:
    """The async form of :func:`summarize` (works inside a running event loop)."""
    summarizer, article = _prepare(
        text,
        model=model,
        title=title,
        api_base=api_base,
        api_key=api_key,
        timeout=timeout,
        max_reasks=max_reasks,
        transport_attempts=transport_attempts,
        max_chars=max_chars,
        cache=cache,
        strategy=strategy,
    )
    return await summarizer.asummarize(article)
