"""Any litellm model string (``openai/gpt-4o-mini``, ``anthropic/...``, ``ollama/...``).

Keys come from the environment, as litellm reads them. litellm is imported on first
use, not when ``summarizer`` is imported.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..redaction import protect_loggers, register_secret
from ..schema import Usage
from .base import Choice, Completion, Messages
from .engine import option_probs
from .transport import RetryPolicy, acall_with_retries, call_with_retries

_IMPORT_LOCK = threading.Lock()


@functools.cache
def _litellm() -> Any:
    """litellm, imported and set up once: quiet, and its loggers redacted. The first
    import holds a lock: two threads importing litellm at once see a half-built module."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with _IMPORT_LOCK:
        try:
            import instructor  # noqa: F401 - its loggers exist once imported
            import litellm
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ConfigError(f"litellm cannot be imported: {exc}") from exc
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


@dataclass
class HostedBackend:
    """A provider reached through litellm: text in, text out, transport retries inside."""

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
        """Keyword arguments of every litellm call.

        - ``timeout`` bounds one HTTP call (re-asks have their own budget above).
        - ``api_key`` stays out of logs and exceptions.
        - litellm/openai must not retry on their own (tenacity does): ``num_retries``
          and ``max_retries`` are zero.
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

    def _arguments(self, messages: Messages, schema: dict[str, Any] | None) -> dict[str, Any]:
        """The provider call's messages and schema constraint, by ``mode``: a forced
        tool call (``tools``), a JSON-schema response format (``json_schema``), or the
        schema in the system message with JSON output (``json``) or a fenced block
        (``md_json``)."""
        if schema is None:
            return {"messages": messages}
        name = str(schema.get("title") or "Answer")
        if self.mode == "tools":
            tool = {"type": "function", "function": {"name": name, "parameters": schema}}
            choice = {"type": "function", "function": {"name": name}}
            return {"messages": messages, "tools": [tool], "tool_choice": choice}
        if self.mode == "json_schema":
            spec = {"name": name, "schema": schema}
            return {
                "messages": messages,
                "response_format": {"type": "json_schema", "json_schema": spec},
            }
        if self.mode not in ("json", "md_json"):
            raise ConfigError(f"unknown mode {self.mode!r} (tools, json_schema, json, md_json)")
        instruction = (
            "Answer with JSON that fits this JSON schema, and nothing else:\n"
            + json.dumps(schema, separators=(",", ":"))
        )
        system = [m for m in messages if m["role"] == "system"]
        rest = [m for m in messages if m["role"] != "system"]
        merged = "\n\n".join([*(m["content"] for m in system), instruction])
        out: dict[str, Any] = {"messages": [{"role": "system", "content": merged}, *rest]}
        if self.mode == "json":
            out["response_format"] = {"type": "json_object"}
        return out

    def _request(
        self,
        messages: Messages,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> dict[str, Any]:
        """Every keyword argument of one litellm call."""
        return {
            "model": self.model,
            **self._arguments(messages, schema),
            "max_tokens": max_tokens,
            "temperature": temperature,
            **self._call_kwargs(),
        }

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        arguments = self._request(messages, schema, max_tokens, temperature)
        response, attempts = call_with_retries(self.retry, _litellm().completion, **arguments)
        return completion_of(response, attempts)

    async def acomplete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        arguments = self._request(messages, schema, max_tokens, temperature)
        response, attempts = await acall_with_retries(
            self.retry, _litellm().acompletion, **arguments
        )
        return completion_of(response, attempts)

    def cost_usd(self, usage: Usage) -> float | None:
        """From litellm's offline price map; None for a model it does not price."""
        return price(self.model, usage)

    def close(self) -> None:
        return None

    def choose(self, messages: Messages, options: Sequence[str]) -> Choice:
        """Option probabilities from the first answer token's top logprobs (providers
        that return logprobs, such as OpenAI's)."""
        response, attempts = call_with_retries(
            self.retry,
            _litellm().completion,
            model=self.model,
            messages=messages,
            max_tokens=1,
            temperature=0.0,
            logprobs=True,
            top_logprobs=20,
            **self._call_kwargs(),
        )
        try:
            top = response.choices[0].logprobs.content[0].top_logprobs
        except (AttributeError, IndexError, TypeError) as exc:
            raise ConfigError(
                f"{self.model} returned no logprobs; use --strategy single with this model"
            ) from exc
        probs = option_probs([{"token": t.token, "logprob": t.logprob} for t in top], options)
        return Choice(probs, completion_of(response, attempts))


def completion_of(response: Any, attempts: int) -> Completion:
    """The answer's text (a tool call's arguments, or the content without a Markdown
    fence) and its usage."""
    choice = response.choices[0]
    message = choice.message
    calls = getattr(message, "tool_calls", None)
    text = calls[0].function.arguments if calls else (message.content or "")
    fenced = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", text, re.DOTALL)
    if fenced:
        text = fenced.group(1)
    usage = getattr(response, "usage", None)
    details = getattr(usage, "prompt_tokens_details", None)
    return Completion(
        text=text or "",
        finish_reason=str(choice.finish_reason or "stop"),
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
        attempts=attempts,
    )
