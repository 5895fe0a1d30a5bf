"""The embedded model on llama-cpp-python (``--model llamacpp``, the ``[llamacpp]`` extra).

The previous default engine, kept for the engine comparison in BENCHMARKS.md; the
default ``local`` engine is ``engine.py`` (xllamacpp, no compile on install).

The model loads once per process and serves one call at a time. Structured
output is grammar-constrained: llama-cpp-python ignores ``{"type": "json_schema"}``,
so the JSON schema instructor sends is re-shaped as ``{"type": "json_object",
"schema": ...}``. The fixed system prompt comes first, so llama-cpp-python's
prefix match reuses its KV cache across articles and chunks.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..schema import Usage
from .base import STATS_KEPT, Choice, Completion, Messages, Threaded
from .engine import default_threads
from .model_files import embedded_model_path

log = logging.getLogger("summarizer")

_MODELS: dict[tuple[Any, ...], Any] = {}


@atexit.register
def _close_models() -> None:
    """Free models before interpreter teardown (llama-cpp-python's __del__ fails then)."""
    for llama in _MODELS.values():
        try:
            llama.close()
        except Exception:  # pragma: no cover - best effort at exit
            pass
    _MODELS.clear()


_LOAD_LOCK = threading.Lock()
_CALL_LOCK = threading.Lock()


@dataclass(frozen=True)
class LocalSettings:
    n_ctx: int = 8192
    n_threads: int = 0  # 0: one per core
    n_batch: int = 512
    seed: int = 0
    #: "lazy": greedy decoding, grammar checked on the chosen token only (default);
    #: "lookup": lazy + prompt-lookup drafts (measured slower on 2 cores, see
    #: BENCHMARKS.md); "stock": llama-cpp-python's create_chat_completion.
    decoder: str = "lazy"


_DECODERS: dict[tuple[int, bool], Any] = {}


def _decoder(llama: Any, *, draft: bool) -> Any:
    from .fast_decode import FastDecoder

    key = (id(llama), draft)
    if key not in _DECODERS:
        _DECODERS[key] = FastDecoder(llama, draft=draft)
    return _DECODERS[key]


def load_llama(path: Path, settings: LocalSettings) -> Any:
    """The process-wide Llama for ``path`` (loaded on first use)."""
    threads = settings.n_threads or default_threads()
    key = (str(path), settings.n_ctx, threads, settings.n_batch)
    with _LOAD_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigError(
                "the llamacpp backend needs llama-cpp-python: pip install 'summarizer[llamacpp]'"
            ) from exc
        if not path.is_file():
            raise ConfigError(f"model file not found: {path}", path=str(path))
        log.info("loading %s (n_ctx=%d, threads=%d)", path.name, settings.n_ctx, threads)
        try:
            llama = Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=settings.n_batch,
                seed=settings.seed,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp raises ValueError for unreadable models
            raise ConfigError(f"could not load model {path}: {exc}", path=str(path)) from exc
        _MODELS[key] = llama
        return llama


class LlamaCppBackend(Threaded):
    """``llamacpp`` (the embedded model) or ``llamacpp:/path/model.gguf``."""

    concurrency = 1

    def __init__(self, model_path: str | None = None, settings: LocalSettings | None = None):
        self._path = Path(model_path).expanduser() if model_path else None
        self.settings = settings or LocalSettings()
        self.name = f"llamacpp:{self._path}" if self._path else "llamacpp"
        # per-call statistics, for benchmarks (the latest STATS_KEPT calls)
        self.last_stats: deque[Any] = deque(maxlen=STATS_KEPT)
        # Article characters per chunk: context minus prompt, answer and one re-ask.
        self.context_chars = max(2_000, int((self.settings.n_ctx - 3_000) * 3.2))

    def llama(self) -> Any:
        path = self._path or embedded_model_path()
        return load_llama(path, self.settings)

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        llama = self.llama()
        if self.settings.decoder == "stock":
            return self._stock(llama, messages, schema, max_tokens, temperature)
        if self.settings.decoder not in ("lazy", "lookup"):
            raise ConfigError(f"unknown decoder {self.settings.decoder!r}")
        if schema is None:
            raise ConfigError("the llamacpp engine's decoder needs a JSON schema")
        decoder = _decoder(llama, draft=self.settings.decoder == "lookup")
        with _CALL_LOCK:
            stats = decoder.generate(messages, schema, max_tokens)
        self.last_stats.append(stats)
        return Completion(
            text=stats.text,
            finish_reason=stats.finish_reason,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            cached_tokens=stats.cached_tokens,
        )

    def _stock(
        self,
        llama: Any,
        messages: Messages,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """llama-cpp-python's own chat completion (grammar over the full vocabulary)."""
        response_format = {"type": "json_object", "schema": schema} if schema else None
        with _CALL_LOCK:
            response = llama.create_chat_completion_openai_v1(
                messages=messages,
                response_format=response_format,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=self.settings.seed,
            )
        usage = response.usage
        return Completion(
            text=response.choices[0].message.content or "",
            finish_reason=str(response.choices[0].finish_reason or "stop"),
            prompt_tokens=int(usage.prompt_tokens),
            completion_tokens=int(usage.completion_tokens),
        )

    def choose(self, messages: Messages, options: Sequence[str]) -> Choice:
        raise ConfigError("the llamacpp engine has no one-token choice; use --strategy single")

    def cost_usd(self, usage: Usage) -> float | None:
        return 0.0

    def close(self) -> None:
        return None
