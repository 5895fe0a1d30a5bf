"""The embedded model (``local``, the default), in-process on llama.cpp's server engine.

Structured calls go through instructor (JSON_SCHEMA mode), as for hosted models: the
schema instructor sends becomes the engine's JSON-schema constraint, the answer is
validated, and an invalid answer is re-asked with the error. The engine batches
concurrent calls (``EngineSettings.n_parallel`` slots) and reuses the KV cache of a
shared prompt prefix, so the staged strategies put the article first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..errors import ConfigError
from ..schema import Usage
from .base import Meter, Request, metered, openai_completion, structured_call
from .engine import Completion, Engine, EngineSettings, ProgressHook, get_engine, release_engine
from .model_files import embedded_model_path

log = logging.getLogger("summarizer")


def schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema in instructor's JSON_SCHEMA ``response_format``."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        schema: dict[str, Any] | None = response_format.get("json_schema", {}).get("schema")
        return schema
    schema = response_format.get("schema")
    return schema


class LocalBackend:
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
        self.last: list[Completion] = []  # per-call statistics, for benchmarks
        # Article characters per chunk: context minus prompt, answer and one re-ask.
        self.context_chars = max(2_000, int((self.settings.n_ctx - 3_000) * 3.2))

    def engine(self) -> Engine:
        path = self._path or embedded_model_path()
        engine = get_engine(path, self.settings)
        if not engine.loaded and self.progress is not None:
            self.progress("loading", path.name)
        engine.server()
        return engine

    def _create(self, engine: Engine) -> Any:
        def create(**kwargs: Any) -> Any:
            schema = schema_of(kwargs.get("response_format"))
            if schema is None:
                raise ConfigError("the local backend needs a JSON schema (instructor JSON_SCHEMA)")
            if self.progress is not None:
                self.progress("reading", "the prompt")
            result = engine.chat(
                kwargs["messages"],
                schema=schema,
                max_tokens=int(kwargs["max_tokens"]),
                temperature=float(kwargs.get("temperature") or 0.0),
            )
            self.last.append(result)
            if self.progress is not None:
                self.progress(
                    "done",
                    f"{result.prompt_tokens} tokens read ({result.cached_tokens} cached) in "
                    f"{result.prompt_seconds:.1f}s, {result.completion_tokens} written in "
                    f"{result.generation_seconds:.1f}s",
                )
            return openai_completion(result, self.name)

        return create

    def cost_usd(self, usage: Usage) -> float | None:
        return 0.0

    def close(self) -> None:
        release_engine(self._path or embedded_model_path(), self.settings)

    def structured(self, request: Request, meter: Meter) -> BaseModel:
        import instructor

        client = instructor.from_litellm(
            metered(self._create(self.engine()), meter), mode=instructor.Mode.JSON_SCHEMA
        )
        return structured_call(client, request, {}, meter)

    async def astructured(self, request: Request, meter: Meter) -> BaseModel:
        return await asyncio.to_thread(self.structured, request, meter)

    def choose(
        self, messages: list[dict[str, str]], options: Sequence[str], meter: Meter
    ) -> dict[str, float]:
        """The probability of each option as the first word of the answer (one token)."""
        started = time.perf_counter()
        engine = self.engine()
        if self.progress is not None:
            self.progress("judging", "")
        try:
            probs, result = engine.choice_probs(messages, options)
        except BaseException:
            meter.record_failure(time.perf_counter() - started)
            raise
        meter.record(openai_completion(result, self.name), time.perf_counter() - started)
        return probs

    async def achoose(
        self, messages: list[dict[str, str]], options: Sequence[str], meter: Meter
    ) -> dict[str, float]:
        return await asyncio.to_thread(self.choose, messages, options, meter)
