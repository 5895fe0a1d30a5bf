"""``Settings``: every knob of a run, in one frozen model shared by the library, the CLI
and the service.

The output-affecting part (:meth:`Settings.fingerprint`) keys the cache and is stamped
on every result; the rest (keys, timeouts, retry and concurrency budgets) is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .errors import UsageError

#: Settings that change how a run goes but never what it produces.
_RUNTIME_ONLY = frozenset(
    {"model", "api_base", "api_key", "timeout", "mode", "concurrency", "transport_attempts"}
)


class Settings(BaseModel):
    """How to summarize: the model, the strategy and their budgets.

    ``model`` is ``local`` (the embedded model, no key), ``local:/path/model.gguf``, or a
    litellm model string such as ``openai/gpt-4o-mini``; None reads ``$SUMMARIZER_MODEL``
    and falls back to ``local``. The two retry budgets are separate on purpose:
    ``max_reasks`` re-asks a model whose answer failed validation, ``transport_attempts``
    retries timeouts, 429s, 5xx and dropped connections.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    #: ``staged`` (default for the embedded model), ``single`` (default for hosted
    #: models), or an ablation variant; see ``summarizer.strategies``.
    strategy: str | None = None
    api_base: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False)
    timeout: float = Field(default=120.0, gt=0, description="seconds per hosted call")
    mode: Literal["tools", "json", "json_schema", "md_json"] = "tools"
    #: Parallel calls: slots of the embedded engine, or hosted requests in flight.
    concurrency: int | None = Field(default=None, ge=1)
    max_reasks: int = Field(default=1, ge=0)
    transport_attempts: int = Field(default=6, ge=1)
    max_tokens: int = Field(default=1536, ge=16, description="per call of the single strategy")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_chars: int | None = Field(default=None, ge=1, description="reject longer articles")
    chunk_chars: int | None = Field(default=None, ge=200, description="None: what fits")
    overlap_chars: int = Field(default=600, ge=0)
    prompt: str = "extract"  # the single strategy's prompt file
    #: When the re-ask budget is spent, keep the grounded items of the last answer and
    #: drop the rest (counted in ``run.dropped_items``) instead of failing.
    salvage: bool = True

    def fingerprint(self) -> dict[str, str | int | float | bool | None]:
        """The settings that can change the output (cache key, run metadata)."""
        values = self.model_dump(exclude=set(_RUNTIME_ONLY))
        return {k: v for k, v in values.items() if k != "max_chars"}

    def key(self) -> str | None:
        """The API key's value, if one was given."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    @classmethod
    def of(
        cls, values: Mapping[str, Any], label: Callable[[str], str] = "setting {}".format
    ) -> Settings:
        """``Settings`` from ``values``; a bad value is a ``UsageError`` naming it
        (``label`` turns a field name into what the user typed, such as an option)."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            first = exc.errors()[0]
            name = label(".".join(str(p) for p in first["loc"]))
            bound = {k: v for k, v in (first.get("ctx") or {}).items() if k in ("ge", "gt")}
            if bound:
                op, value = next(iter(bound.items()))
                message = f"{name} must be {'>=' if op == 'ge' else '>'} {value}"
            else:
                message = f"{name}: {first['msg']}"
            raise UsageError(message, setting=name) from exc
