"""Backends: one model string chooses one. Heavy SDKs load lazily, on first use.

- ``local`` (default): the embedded model, in-process on llama.cpp's server engine
  (xllamacpp, ``summarizer[local]``).
- ``local:/path/model.gguf``: any other GGUF file, the same way.
- ``llamacpp`` / ``llamacpp:/path/model.gguf``: the previous engine (llama-cpp-python
  with the project's own decoder, ``summarizer[llamacpp]``), kept for comparison.
- anything else: a litellm model string (``openai/gpt-4o-mini``, ``ollama/qwen2.5``, ...).
"""

from __future__ import annotations

import os

from ..errors import UsageError
from ..transport import RetryPolicy
from .base import Backend, Meter, Request
from .engine import ProgressHook

__all__ = ["Backend", "Meter", "Request", "DEFAULT_MODEL", "resolve_model", "make_backend"]

DEFAULT_MODEL = "local"
HOSTED_CONCURRENCY = 8


def resolve_model(model: str | None) -> str:
    """The explicit model, else $SUMMARIZER_MODEL, else ``local``."""
    chosen = (model or os.environ.get("SUMMARIZER_MODEL") or DEFAULT_MODEL).strip()
    if not chosen:
        raise UsageError("the model string is empty")
    return chosen


def make_backend(
    model: str | None = None,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    concurrency: int | None = None,
    mode: str = "tools",
    retry: RetryPolicy | None = None,
    progress: ProgressHook | None = None,
) -> Backend:
    """Build the backend a model string names."""
    name = resolve_model(model)
    for prefix in ("local", "llamacpp"):
        if name == prefix or name.startswith(prefix + ":"):
            path = name.partition(":")[2] or None
            if name.startswith(prefix + ":") and not path:
                raise UsageError(f"'{prefix}:' needs a path, as in {prefix}:/path/model.gguf")
            if prefix == "llamacpp":
                from .llamacpp import LlamaCppBackend

                return LlamaCppBackend(path)
            from .engine import EngineSettings
            from .local import LocalBackend

            slots = EngineSettings(n_parallel=max(1, 1 if concurrency is None else concurrency))
            return LocalBackend(path, slots, progress=progress)
    from .hosted import HostedBackend

    return HostedBackend(
        model=name,
        api_base=api_base,
        api_key=api_key,
        timeout=timeout,
        concurrency=max(1, HOSTED_CONCURRENCY if concurrency is None else concurrency),
        mode=mode,
        retry=retry or RetryPolicy(),
    )
