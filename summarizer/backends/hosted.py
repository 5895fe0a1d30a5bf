"""Any litellm model string (``openai/gpt-4o-mini``, ``anthropic/...``, ``ollama/...``).

Keys come from the environment, as litellm reads them. litellm and instructor
are imported on first use, not when ``summarizer`` is imported.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..errors import ConfigError
from ..redaction import protect_loggers, register_secret
from ..schema import Usage
from .base import (
    Meter,
    Request,
    ametered,
    metered,
    run_async,
    structured_call,
    translate_failure,
)
from .engine import option_probs
from .transport import RetryPolicy, with_async_retries, with_retries


@functools.cache
def _litellm() -> Any:
    """litellm, imported and set up once: quiet, and its loggers redacted."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import instructor  # noqa: F401 - its loggers exist once imported
        import litellm
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ConfigError("litellm is not installed") from exc
    litellm.suppress_debug_info = True
    protect_loggers()
    return litellm


def price(model: str, usage: Usage) -> float | None:
    """USD for ``usage`` on ``model`` from litellm's offline price map, or None when the
    map does not list the model."""
    litellm = _litellm()
    bare = model.split("/", 1)[1] if "/" in model else model
    if model not in litellm.model_cost and bare not in litellm.model_cost:
        return None
    try:
        prompt, completion = litellm.cost_per_token(
            model=model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
    except Exception:  # litellm raises many kinds for a model it cannot price
        return None
    return round(float(prompt) + float(completion), 8)


def _mode(name: str) -> Any:
    import instructor

    try:
        return instructor.Mode[name.upper()]
    except KeyError as exc:
        raise ConfigError(f"unknown instructor mode {name!r}") from exc


@dataclass
class HostedBackend:
    """A provider reached through litellm, with transport retries under instructor."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout: float = 120.0
    mode: str = "tools"
    concurrency: int = 8
    context_chars: int = 48_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        register_secret(self.api_key)

    @property
    def name(self) -> str:
        return self.model

    def _call_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for litellm only: instructor never sees them.

        - ``timeout`` bounds one HTTP call. Given to instructor, it would also become
          instructor's deadline for all re-asks together (``stop_after_delay``), so a
          slow or retried call would eat the re-ask budget.
        - ``api_key`` stays out of instructor's kwargs, logs and exceptions.
        - litellm/openai must not retry on their own (tenacity does): ``num_retries``
          and ``max_retries`` are zero. instructor passes its own ``max_retries`` (the
          re-ask budget) through to the SDK; it is overridden here.
        - ``_skip_mcp_handler``: litellm (>= 1.7x) imports its MCP gateway, which needs
          the optional ``mcp`` package, whenever ``tools`` are sent; our tool is never
          an MCP tool, and litellm strips this internal flag before the provider call.
        """
        extra: dict[str, Any] = {
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
            "_skip_mcp_handler": True,
        }
        if self.api_base:
            extra["api_base"] = self.api_base
        if self.api_key:
            extra["api_key"] = self.api_key
        return extra

    def _create(self, meter: Meter) -> Any:
        """litellm.completion with our call kwargs, metered, under transport retries."""
        completion = _litellm().completion
        bound = self._call_kwargs()

        def call(*args: Any, **kwargs: Any) -> Any:
            return completion(*args, **{**kwargs, **bound})

        return with_retries(self.retry, metered(call, meter))

    def _acreate(self, meter: Meter) -> Any:
        acompletion = _litellm().acompletion
        bound = self._call_kwargs()

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await acompletion(*args, **{**kwargs, **bound})

        return with_async_retries(self.retry, ametered(call, meter))

    def cost_usd(self, usage: Usage) -> float | None:
        """From litellm's offline price map; None for a model it does not price."""
        return price(self.model, usage)

    def close(self) -> None:
        return None

    def structured(self, request: Request, meter: Meter) -> BaseModel:
        import instructor

        client = instructor.from_litellm(self._create(meter), mode=_mode(self.mode))
        return structured_call(client, request, {"model": self.model}, meter)

    def choose(
        self, messages: list[dict[str, str]], options: Sequence[str], meter: Meter
    ) -> dict[str, float]:
        """Option probabilities from the first answer token's top logprobs (providers
        that return logprobs, such as OpenAI's)."""
        response = self._create(meter)(
            model=self.model,
            messages=messages,
            max_tokens=1,
            temperature=0.0,
            logprobs=True,
            top_logprobs=20,
        )
        try:
            top = response.choices[0].logprobs.content[0].top_logprobs
        except (AttributeError, IndexError, TypeError) as exc:
            raise ConfigError(
                f"{self.model} returned no logprobs; use --strategy single with this model"
            ) from exc
        return option_probs([{"token": t.token, "logprob": t.logprob} for t in top], options)

    async def astructured(self, request: Request, meter: Meter) -> BaseModel:
        import instructor

        client = instructor.from_litellm(
            self._acreate(meter), mode=_mode(self.mode), async_client=True
        )
        try:
            result = await run_async(client, request, {"model": self.model}, meter)
        except Exception as exc:
            raise translate_failure(exc, meter) from exc
        assert isinstance(result, request.response_model)
        return result
