"""Backends: one model string chooses one. Heavy SDKs load lazily, on first use.

- ``local`` (default): the embedded model, in-process (``summarizer[local]``).
- ``local:/path/model.gguf``: any other GGUF file, in-process.
- anything else: a litellm model string (``openai/gpt-4o-mini``, ``ollama/qwen2.5``, ...).
"""

from __future__ import annotations

import os

from ..errors import UsageError
from ..transport import RetryPolicy
from .base import Backend, Meter, Request

__all__ = ["Backend", "Meter", "Request", "DEFAULT_MODEL", "resolve_model", "make_backend"]

DEFAULT_MODEL = "local"


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
    concurrency: int = 8,
    mode: str = "tools",
    retry: RetryPolicy | None = None,
) -> Backend:
    """Build the backend a model string names."""
    name = resolve_model(model)
    if name == "local" or name.startswith("local:"):
        from .local import LocalBackend

        path = name.partition(":")[2] or None
        if name.startswith("local:") and not path:
            raise UsageError("'local:' needs a path, as in local:/path/model.gguf")
        return LocalBackend(path)
    from .hosted import HostedBackend

    return HostedBackend(
        model=name,
        api_base=api_base,
        api_key=api_key,
        timeout=timeout,
        concurrency=max(1, concurrency),
        mode=mode,
        retry=retry or RetryPolicy(),
    )
