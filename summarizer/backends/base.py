"""The backend seam: one small Protocol, and the instructor driver both backends share.

A backend turns chat messages into a validated pydantic model (``Request.response_model``:
the whole ``Extraction`` of one call, or one stage's answer in a staged strategy). Validation
failures are re-asked by instructor (``max_reasks``); transport failures are
retried below instructor by tenacity (see ``transport``), so the two budgets
stay separate. A ``Meter`` sees every call, failed ones included.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from ..errors import ExtractionError, SummarizerError
from ..grounding.extraction import Extraction, salvage
from ..grounding.sentences import Sentence
from ..redaction import redact
from ..schema import Usage

log = logging.getLogger("summarizer")


@dataclass
class Meter:
    """Counts calls, tokens and time inside the model across every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    model_seconds: float = 0.0
    dropped_items: int = 0  # ungrounded items dropped after the re-ask budget
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, response: Any, seconds: float) -> None:
        usage = getattr(response, "usage", None)
        with self._lock:
            self.calls += 1
            self.model_seconds += seconds
            if usage is not None:
                self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def record_failure(self, seconds: float) -> None:
        with self._lock:
            self.calls += 1
            self.model_seconds += seconds

    @property
    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            calls=self.calls,
        )


def metered(func: Callable[..., Any], meter: Meter) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = func(*args, **kwargs)
        except BaseException:
            meter.record_failure(time.perf_counter() - started)
            raise
        meter.record(response, time.perf_counter() - started)
        return response

    return call


def ametered(func: Callable[..., Awaitable[Any]], meter: Meter) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = await func(*args, **kwargs)
        except BaseException:
            meter.record_failure(time.perf_counter() - started)
            raise
        meter.record(response, time.perf_counter() - started)
        return response

    return call


@dataclass(frozen=True)
class Request:
    """One structured call: messages, the answer's model, the validation context, budgets.

    Validators see ``{"sentences": sentences, **context}`` as their context.
    """

    messages: list[dict[str, str]]
    sentences: tuple[Sentence, ...]
    max_reasks: int
    max_tokens: int
    temperature: float = 0.0
    salvage: bool = True
    response_model: type[BaseModel] = Extraction
    context: Mapping[str, Any] = field(default_factory=dict)

    def validation_context(self) -> dict[str, Any]:
        return {"sentences": self.sentences, **self.context}


class Backend(Protocol):
    """What the pipeline needs from a model. ``concurrency`` bounds parallel calls."""

    @property
    def name(self) -> str: ...

    @property
    def concurrency(self) -> int: ...

    @property
    def context_chars(self) -> int: ...

    def structured(self, request: Request, meter: Meter) -> BaseModel: ...

    async def astructured(self, request: Request, meter: Meter) -> BaseModel: ...

    def choose(
        self, messages: list[dict[str, str]], options: Sequence[str], meter: Meter
    ) -> dict[str, float]:
        """The probability of each option as the answer's first token (renormalised)."""
        ...

    def cost_usd(self, usage: Usage) -> float | None:
        """What ``usage`` cost in USD: 0 for a local model, None when unknown."""
        ...

    def close(self) -> None:
        """Release the model (an embedded engine's memory); a no-op for remote ones."""
        ...


def translate_failure(exc: BaseException, meter: Meter) -> SummarizerError:
    """Turn an instructor failure into ExtractionError, or unwrap our own error."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SummarizerError):
            # e.g. a ProviderError after invalid answers: their tokens still count
            cause.context.setdefault("usage", meter.usage.model_dump())
            return cause
        cause = cause.__cause__
    attempts = int(getattr(exc, "n_attempts", 0) or meter.calls or 1)
    root = exc.__cause__ or exc
    name = type(root).__name__
    if "IncompleteOutput" in name or "IncompleteOutput" in type(exc).__name__:
        last = "the model's output was cut off at the token limit"
    elif hasattr(root, "errors") and callable(root.errors):  # pydantic ValidationError
        parts = []
        for e in root.errors()[:5]:
            loc = ".".join(str(p) for p in e.get("loc", ()))
            msg = str(e.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        last = "; ".join(parts)
    else:
        last = (str(root).strip().splitlines() or [name])[0]
    last = redact(last)
    return ExtractionError(
        f"the model's output did not validate after {attempts} attempt(s): {last[:400]}",
        attempts=attempts,
        last_error=last,
        usage=meter.usage.model_dump(),
    )


#: The validation context (``sentences`` in scope) of the call in progress. It reaches
#: the validators through ``instructor_model``, not through instructor's ``context=``:
#: instructor renders every message as a Jinja2 template with that context, so an
#: article containing ``{{ ... }}`` would be evaluated, and one containing ``{%`` would
#: fail to render; it also costs a template compile per message per call.
_VALIDATION_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "summarizer_validation_context", default=None
)


@functools.lru_cache(maxsize=16)
def instructor_model(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` as instructor's ResponseSchema, built once, validating in our context.

    Given a plain model, instructor builds a new wrapper class on every call (pydantic
    ``create_model``), so its cached JSON schema never hits: about 15 ms of CPU per call,
    which capped a concurrent hosted batch at a few dozen calls per second. The class
    keeps ``model``'s name (the tool name the model sees) and is a subclass of it.
    """
    import instructor

    wrapped: Any = instructor.response_schema(model)

    def _context(context: dict[str, Any] | None) -> dict[str, Any] | None:
        return context if context is not None else _VALIDATION_CONTEXT.get()

    def model_validate_json(
        cls: Any, /, json_data: Any, *, context: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        parent: Any = super(validated, cls)
        return parent.model_validate_json(json_data, context=_context(context), **kwargs)

    def model_validate(
        cls: Any, /, obj: Any, *, context: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        return super(validated, cls).model_validate(obj, context=_context(context), **kwargs)

    namespace = {
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
        "model_validate_json": classmethod(model_validate_json),
        "model_validate": classmethod(model_validate),
    }
    validated: type[BaseModel] = type(wrapped)(model.__name__, (wrapped,), namespace)
    return validated


def _call_kwargs(request: Request, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "response_model": instructor_model(request.response_model),
        "messages": [dict(m) for m in request.messages],
        "max_retries": request.max_reasks,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        **extra,
    }


def _completion_text(completion: Any) -> str | None:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    calls = getattr(message, "tool_calls", None)
    if calls:
        arguments: str | None = calls[0].function.arguments
        return arguments
    content: str | None = getattr(message, "content", None)
    return content


def salvage_failure(exc: BaseException, request: Request, meter: Meter) -> Extraction | None:
    """After the re-ask budget: keep the valid items of the last answer, drop the rest.

    Only for validation failures (not provider errors, not output cut off at the
    token limit). The number of dropped items is counted on the meter.
    """
    if (
        not request.salvage
        or request.response_model is not Extraction
        or "IncompleteOutput" in type(exc).__name__
    ):
        return None
    attempts = getattr(exc, "failed_attempts", None) or []
    for attempt in reversed(attempts):
        rescued = salvage(_completion_text(attempt.completion), request.sentences)
        if rescued is not None:
            extraction, dropped = rescued
            meter.dropped_items += dropped
            log.warning("kept the valid part of the last answer; dropped %d item(s)", dropped)
            return extraction
    return None


def run_sync(
    client: Any, request: Request, extra: dict[str, Any], meter: Meter | None = None
) -> BaseModel:
    token = _VALIDATION_CONTEXT.set(request.validation_context())
    try:
        result: BaseModel = client.chat.completions.create(**_call_kwargs(request, extra))
    except Exception as exc:
        rescued = salvage_failure(exc, request, meter or Meter())
        if rescued is None:
            raise
        return rescued
    finally:
        _VALIDATION_CONTEXT.reset(token)
    return result


def structured_call(
    client: Any, request: Request, extra: dict[str, Any], meter: Meter
) -> BaseModel:
    """``run_sync`` with every failure as a ``SummarizerError`` and the answer checked to
    be the requested model: the body of each backend's ``structured``."""
    try:
        result = run_sync(client, request, extra, meter)
    except Exception as exc:
        raise translate_failure(exc, meter) from exc
    assert isinstance(result, request.response_model)
    return result


async def run_async(
    client: Any, request: Request, extra: dict[str, Any], meter: Meter | None = None
) -> BaseModel:
    token = _VALIDATION_CONTEXT.set(request.validation_context())
    try:
        result: BaseModel = await client.chat.completions.create(**_call_kwargs(request, extra))
    except Exception as exc:
        rescued = salvage_failure(exc, request, meter or Meter())
        if rescued is None:
            raise
        return rescued
    finally:
        _VALIDATION_CONTEXT.reset(token)
    return result


def openai_completion(result: Any, model: str) -> Any:
    """An openai ChatCompletion for instructor from an in-process engine's answer (any
    object with ``text``, ``finish_reason``, ``prompt_tokens``, ``completion_tokens`` and
    ``cached_tokens``), with usage (cached prompt tokens noted)."""
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": f"local-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": result.finish_reason,
                    "message": {"role": "assistant", "content": result.text},
                }
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": result.cached_tokens},
            },
        }
    )
