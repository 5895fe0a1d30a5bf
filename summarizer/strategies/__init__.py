"""Extraction strategies: how the pipeline asks a model for a summary.

- ``single``: one call fills the whole schema (per chunk). The default for hosted
  models, which handle the whole task at once.
- ``staged`` (and its variants ``staged-selector``, ``staged-choice``,
  ``staged-heads-oi``): a trained sentence selector, a constrained call for the sides,
  one-token judgements of each selected sentence, and a constrained call for the open
  issues. The default for the embedded model.

The numbers behind these defaults are in evals/README.md ("Strategies").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..backends import Backend
from ..errors import UsageError
from ..grounding.citations import Items
from ..grounding.sentences import Sentence
from ..io.inputs import Article
from ..schema import PromptInfo
from .single import SingleStrategy
from .staged import VARIANTS, StagedStrategy
from .structured import Meter

STRATEGIES = ("single", *VARIANTS)
LOCAL_DEFAULT = "staged"
HOSTED_DEFAULT = "single"


class Strategy(Protocol):
    """Turns one article into grounded items with one backend."""

    @property
    def name(self) -> str: ...

    @property
    def info(self) -> PromptInfo: ...

    def run(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items: ...

    async def arun(
        self, article: Article, sentences: Sequence[Sentence], backend: Backend, meter: Meter
    ) -> Items: ...


def default_strategy(backend_name: str) -> str:
    """``staged`` for the embedded engine (``local``, ``local:PATH``), else ``single``
    (hosted models, and the previous ``llamacpp`` engine, which has no one-token
    choice)."""
    local = backend_name.split(":", 1)[0] == "local"
    return LOCAL_DEFAULT if local else HOSTED_DEFAULT


def make_strategy(
    name: str,
    *,
    max_reasks: int,
    max_tokens: int,
    temperature: float,
    salvage: bool,
    chunk_chars: int | None,
    overlap_chars: int,
    prompt: str,
) -> Strategy:
    if name == "single":
        return SingleStrategy(
            prompt_name=prompt,
            max_reasks=max_reasks,
            max_tokens=max_tokens,
            temperature=temperature,
            salvage=salvage,
            chunk_chars=chunk_chars,
            overlap_chars=overlap_chars,
        )
    if name in VARIANTS:
        return StagedStrategy(
            variant=name, max_reasks=max_reasks, temperature=temperature, salvage=salvage
        )
    raise UsageError(f"unknown strategy {name!r} (choose from {', '.join(STRATEGIES)})")


__all__ = ["STRATEGIES", "Strategy", "default_strategy", "make_strategy"]
