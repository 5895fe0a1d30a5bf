"""The embedded model (``local``, the default), in-process on llama.cpp's server engine.

Text in, text out: a JSON schema, when given, becomes the engine's grammar (llguidance,
no whitespace between tokens), so the answer fits the schema as it is written. The
engine batches concurrent calls (``EngineSettings.n_parallel`` slots) and reuses the
KV cache of a shared prompt prefix, so the staged strategies put the article first.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..schema import Usage
from .base import STATS_KEPT, Choice, Completion, Messages, ProgressHook, Threaded
from .engine import Engine, EngineSettings, begin_article, get_engine, release_engine
from .model_files import embedded_model_path

log = logging.getLogger("summarizer")


class LocalBackend(Threaded):
    """``local`` (the embedded model) or ``local:/path/model.gguf``."""

    def __init__(
        self,
        model_path: str | None = None,
        settings: EngineSettings | None = None,
        *,
        progress: ProgressHook | None = None,
    ) -> None:
        self._path = Path(model_path).expanduser() if model_path else None
        self.settings = settings or EngineSettings()
        self.name = f"local:{self._path}" if self._path else "local"
        self.progress = progress
        self.concurrency = max(1, self.settings.n_parallel)
        # per-call statistics, for benchmarks (the latest STATS_KEPT calls)
        self.last: deque[Completion] = deque(maxlen=STATS_KEPT)
        # Article characters per chunk: context minus prompt, answer and one re-ask.
        self.context_chars = max(2_000, int((self.settings.n_ctx - 3_000) * 3.2))

    def engine(self) -> Engine:
        path = self._path or embedded_model_path()
        engine = get_engine(path, self.settings)
        if not engine.loaded and self.progress is not None:
            self.progress("loading", path.name)
        engine.server()
        return engine

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        engine = self.engine()
        if self.progress is not None:
            self.progress("reading", "the prompt")
        result = engine.chat(
            messages, schema=schema, max_tokens=max_tokens, temperature=temperature
        )
        self.last.append(result)
        if self.progress is not None:
            self.progress(
                "done",
                f"{result.prompt_tokens} tokens read ({result.cached_tokens} cached) in "
                f"{result.prompt_seconds:.1f}s, {result.completion_tokens} written in "
                f"{result.generation_seconds:.1f}s",
            )
        return result

    def choose(self, messages: Messages, options: Sequence[str]) -> Choice:
        """The probability of each option as the first word of the answer (one token)."""
        engine = self.engine()
        if self.progress is not None:
            self.progress("judging", "")
        probs, result = engine.choice_probs(messages, options)
        return Choice(probs, result)

    def cost_usd(self, usage: Usage) -> float | None:
        return 0.0

    def begin_article(self) -> None:
        """The article's first request reads its whole prompt afresh, so its answers do
        not depend on what the engine read before it (``engine.begin_article``)."""
        begin_article()

    def close(self) -> None:
        release_engine(self._path or embedded_model_path(), self.settings)
