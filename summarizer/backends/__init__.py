"""Backends, and the registry that maps a model string to one. Heavy SDKs load lazily.

- ``local`` (default): the embedded model, in-process on llama.cpp's server engine
  (xllamacpp, ``summarizer[local]``).
- ``local:/path/model.gguf``: any other GGUF file, the same way.
- ``llamacpp`` / ``llamacpp:/path/model.gguf``: the previous engine (llama-cpp-python
  with the project's own decoder, ``summarizer[llamacpp]``), kept for comparison.
- anything else: a litellm model string (``openai/gpt-4o-mini``, ``ollama/qwen2.5``, ...).

:func:`register_backend` adds a prefix of one's own (``myengine`` and
``myengine:ARG``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..errors import UsageError
from ..settings import Settings
from .base import Backend, Choice, Completion, ProgressHook
from .mock import MockBackend
from .transport import RetryPolicy

__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "Choice",
    "Completion",
    "Factory",
    "MockBackend",
    "make_backend",
    "register_backend",
    "resolve_model",
]

DEFAULT_MODEL = "local"
HOSTED_CONCURRENCY = 8

#: ``factory(argument, settings, progress)``: ``argument`` is what follows ``prefix:``
#: in the model string (None for the bare prefix).
Factory = Callable[[str | None, Settings, ProgressHook | None], Backend]


def _local(path: str | None, settings: Settings, progress: ProgressHook | None) -> Backend:
    from .engine import EngineSettings
    from .local import LocalBackend

    slots = EngineSettings(n_parallel=settings.concurrency or 1)
    return LocalBackend(path, slots, progress=progress)


def _llamacpp(path: str | None, settings: Settings, progress: ProgressHook | None) -> Backend:
    from .llamacpp import LlamaCppBackend

    return LlamaCppBackend(path)


_REGISTRY: dict[str, Factory] = {"local": _local, "llamacpp": _llamacpp}


def register_backend(prefix: str, factory: Factory) -> None:
    """Let model strings ``prefix`` and ``prefix:ARG`` build a backend with ``factory``."""
    if not prefix or ":" in prefix or "/" in prefix:
        raise UsageError(f"a backend prefix is one word without ':' or '/', not {prefix!r}")
    _REGISTRY[prefix] = factory


def resolve_model(model: str | None) -> str:
    """The explicit model, else $SUMMARIZER_MODEL, else ``local``."""
    chosen = (model or os.environ.get("SUMMARIZER_MODEL") or DEFAULT_MODEL).strip()
    if not chosen:
        raise UsageError("the model string is empty")
    return chosen


def make_backend(
    model: str | None = None,
    settings: Settings | None = None,
    *,
    progress: ProgressHook | None = None,
) -> Backend:
    """Build the backend a model string names (``settings.model`` when ``model`` is
    None), with the settings' key, timeout, mode and concurrency."""
    settings = settings or Settings()
    name = resolve_model(model or settings.model)
    prefix, colon, argument = name.partition(":")
    factory = _REGISTRY.get(prefix)
    if factory is not None:
        if colon and not argument:
            raise UsageError(f"'{prefix}:' needs an argument, as in {prefix}:/path/model.gguf")
        return factory(argument or None, settings, progress)
    from .hosted import HostedBackend

    return HostedBackend(
        model=name,
        api_base=settings.api_base,
        api_key=settings.key(),
        timeout=settings.timeout,
        concurrency=settings.concurrency or HOSTED_CONCURRENCY,
        mode=settings.mode,
        retry=RetryPolicy(attempts=settings.transport_attempts),
    )
