"""The backend seam: text in, text out.

A backend turns chat messages (plus an optional JSON schema that constrains the
answer) into a :class:`Completion`: the answer's text and what it cost. Parsing,
validation, grounding, re-asks and salvage live above it, in
``summarizer.strategies.structured``. A backend retries its own transport failures
(timeouts, 429s, 5xx, dropped connections) and counts them in ``Completion.attempts``
or in the ``ProviderError`` it raises.

A backend that keeps state between calls (an embedded engine's KV cache) may also
define ``begin_article()``: the pipeline calls it before each article's first call
(:func:`begin_article`), so that state cannot change the article's answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..schema import Usage

Messages = list[dict[str, str]]
#: ``progress(phase, detail)``: the embedded model's phases (loading, reading, ...).
ProgressHook = Callable[[str, str], None]


#: Per-call statistics a backend keeps for benchmarks: the latest this many calls (a
#: long-running service must not grow without bound).
STATS_KEPT = 1000


@dataclass(frozen=True)
class Completion:
    """The text of one answer and what it cost.

    ``text`` is the answer (for a tool call: its arguments). ``attempts`` counts the
    requests made for it, failed transport attempts included.
    """

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    attempts: int = 1

    @property
    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            calls=self.attempts,
        )


@dataclass(frozen=True)
class Choice:
    """The probability of each option as the first token of the answer."""

    probs: dict[str, float]
    completion: Completion


class Threaded:
    """The async form of a blocking backend's ``complete``: the call runs in a worker
    thread, so an event loop (the batch runner, a service) keeps going meanwhile."""

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        raise NotImplementedError

    async def acomplete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        return await asyncio.to_thread(
            self.complete, messages, schema=schema, max_tokens=max_tokens, temperature=temperature
        )


def begin_article(backend: object) -> None:
    """Tell ``backend`` that an article starts, if it keeps state between calls (the
    optional ``begin_article()`` hook; backends without one need nothing)."""
    hook = getattr(backend, "begin_article", None)
    if callable(hook):
        hook()


class Backend(Protocol):
    """What the pipeline needs from a model. ``concurrency`` bounds parallel calls;
    ``context_chars`` is how much article text one call can carry."""

    @property
    def name(self) -> str: ...

    @property
    def concurrency(self) -> int: ...

    @property
    def context_chars(self) -> int: ...

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        """One answer to ``messages``; when ``schema`` is given, JSON that the model
        was asked (or constrained) to fit to it."""
        ...

    async def acomplete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        """The async form of :meth:`complete`."""
        ...

    def choose(self, messages: Messages, options: Sequence[str]) -> Choice:
        """The probability of each option as the answer's first token (renormalised)."""
        ...

    def cost_usd(self, usage: Usage) -> float | None:
        """What ``usage`` cost in USD: 0 for a local model, None when unknown."""
        ...

    def close(self) -> None:
        """Release the model (an embedded engine's memory); a no-op for remote ones."""
        ...
