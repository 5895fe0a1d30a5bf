"""Structured calls: a backend's text turned into a validated pydantic model.

instructor drives each call: it sends the answer's JSON schema, parses and validates
the text the backend returns (with the article's sentences in the validators'
context), and re-asks with the validation errors (``Request.max_reasks``). When the
re-asks are spent, ``Request.rescue`` may keep the valid part of the last answer
(salvage). Backends only turn messages into text (``backends.base``); a ``Meter``
sees every call, failed ones included.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..backends.base import Backend, Completion, Messages
from ..errors import ExtractionError, SummarizerError
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

    def record(self, completion: Completion, seconds: float) -> None:
        with self._lock:
            self.calls += completion.attempts
            self.model_seconds += seconds
            self.prompt_tokens += completion.prompt_tokens
            self.completion_tokens += completion.completion_tokens

    def record_failure(self, seconds: float, attempts: int = 1) -> None:
        with self._lock:
            self.calls += attempts
            self.model_seconds += seconds

    @property
    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            calls=self.calls,
        )


#: ``rescue(text, meter)``: the valid part of a final answer that failed validation
#: (counting what it drops on the meter), or None.
Rescue = Callable[[str | None, Meter], BaseModel | None]


@dataclass(frozen=True)
class Request:
    """One structured call: messages, the answer's model, the validation context, budgets.

    Validators see ``{"sentences": sentences, **context}`` as their context.
    """

    messages: Messages
    response_model: type[BaseModel]
    sentences: tuple[Sentence, ...] = ()
    max_reasks: int = 1
    max_tokens: int = 1024
    temperature: float = 0.0
    rescue: Rescue | None = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def validation_context(self) -> dict[str, Any]:
        return {"sentences": self.sentences, **self.context}


def translate_failure(
    exc: BaseException, meter: Meter, attempts: int | None = None
) -> SummarizerError:
    """Turn an instructor failure into ExtractionError, or unwrap our own error.
    ``attempts``: the answers the call got, when known (``meter`` may count other
    calls of the same article)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SummarizerError):
            # e.g. a ProviderError after invalid answers: their tokens still count
            cause.context.setdefault("usage", meter.usage.model_dump())
            return cause
        cause = cause.__cause__
    attempts = int(getattr(exc, "n_attempts", 0) or attempts or meter.calls or 1)
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


def schema_of(response_format: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema in instructor's JSON_SCHEMA ``response_format``."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        schema: dict[str, Any] | None = dict(response_format.get("json_schema", {})).get("schema")
        return schema
    found = response_format.get("schema")
    return dict(found) if found else None


def chat_completion(completion: Completion, model: str) -> Any:
    """``completion`` as the openai ChatCompletion instructor parses (usage included)."""
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": f"summarizer-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": completion.finish_reason,
                    "message": {"role": "assistant", "content": completion.text},
                }
            ],
            "usage": {
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "total_tokens": completion.prompt_tokens + completion.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": completion.cached_tokens},
            },
        }
    )


def _attempts(exc: BaseException) -> int:
    context = getattr(exc, "context", None)
    return int(context.get("attempts", 1)) if isinstance(context, dict) else 1


def _arguments(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``backend.complete``'s arguments from instructor's ``create`` call."""
    return {
        "schema": schema_of(kwargs.get("response_format")),
        "max_tokens": int(kwargs["max_tokens"]),
        "temperature": float(kwargs.get("temperature") or 0.0),
    }


def _recorded(
    backend: Backend, meter: Meter, answers: list[str], completion: Completion, started: float
) -> Any:
    meter.record(completion, time.perf_counter() - started)
    answers.append(completion.text)
    return chat_completion(completion, backend.name)


def _create(backend: Backend, meter: Meter, answers: list[str]) -> Callable[..., Any]:
    """instructor's ``create``: one metered call of ``backend.complete``."""

    def create(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            completion = backend.complete(kwargs["messages"], **_arguments(kwargs))
        except BaseException as exc:
            meter.record_failure(time.perf_counter() - started, _attempts(exc))
            raise
        return _recorded(backend, meter, answers, completion, started)

    return create


def _acreate(backend: Backend, meter: Meter, answers: list[str]) -> Callable[..., Any]:
    async def create(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            completion = await backend.acomplete(kwargs["messages"], **_arguments(kwargs))
        except BaseException as exc:
            meter.record_failure(time.perf_counter() - started, _attempts(exc))
            raise
        return _recorded(backend, meter, answers, completion, started)

    return create


def _kwargs(request: Request) -> dict[str, Any]:
    return {
        "response_model": instructor_model(request.response_model),
        "messages": [dict(m) for m in request.messages],
        "max_retries": request.max_reasks,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }


def _rescued(
    exc: BaseException, request: Request, answers: list[str], meter: Meter
) -> BaseModel | None:
    """After the re-ask budget: the valid part of the last answer, when the request
    allows it. Never for provider errors or output cut off at the token limit."""
    if (
        request.rescue is None
        or not answers
        or "IncompleteOutput" in type(exc).__name__
        or any(isinstance(c, SummarizerError) for c in _causes(exc))
    ):
        return None
    for text in reversed(answers):
        rescued = request.rescue(text, meter)
        if rescued is not None:
            return rescued
    return None


def _after_failure(
    exc: BaseException, request: Request, answers: list[str], meter: Meter
) -> BaseModel:
    """The rescued answer, or ``exc`` raised as a ``SummarizerError``."""
    rescued = _rescued(exc, request, answers, meter)
    if rescued is None:
        raise translate_failure(exc, meter, len(answers) or None) from exc
    return rescued


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(out) < 16:
        out.append(cause)
        cause = cause.__cause__ or cause.__context__
    return out


def _client(create: Callable[..., Any], *, async_client: bool = False) -> Any:
    import instructor

    if async_client:
        return instructor.from_litellm(create, mode=instructor.Mode.JSON_SCHEMA, async_client=True)
    return instructor.from_litellm(create, mode=instructor.Mode.JSON_SCHEMA)


def structured(backend: Backend, request: Request, meter: Meter) -> BaseModel:
    """``request``'s answer from ``backend``, validated (re-asked, then rescued or an
    ``ExtractionError``). Every failure is a ``SummarizerError``."""
    answers: list[str] = []
    client = _client(_create(backend, meter, answers))
    token = _VALIDATION_CONTEXT.set(request.validation_context())
    try:
        result: BaseModel = client.chat.completions.create(**_kwargs(request))
    except Exception as exc:
        return _after_failure(exc, request, answers, meter)
    finally:
        _VALIDATION_CONTEXT.reset(token)
    assert isinstance(result, request.response_model)
    return result


async def astructured(backend: Backend, request: Request, meter: Meter) -> BaseModel:
    """The async form of :func:`structured`."""
    answers: list[str] = []
    client = _client(_acreate(backend, meter, answers), async_client=True)
    token = _VALIDATION_CONTEXT.set(request.validation_context())
    try:
        result: BaseModel = await client.chat.completions.create(**_kwargs(request))
    except Exception as exc:
        return _after_failure(exc, request, answers, meter)
    finally:
        _VALIDATION_CONTEXT.reset(token)
    assert isinstance(result, request.response_model)
    return result


def choose(
    backend: Backend, messages: Messages, options: Sequence[str], meter: Meter
) -> dict[str, float]:
    """The probability of each option as the answer's first token, metered."""
    started = time.perf_counter()
    try:
        choice = backend.choose(messages, options)
    except BaseException as exc:
        meter.record_failure(time.perf_counter() - started, _attempts(exc))
        raise
    meter.record(choice.completion, time.perf_counter() - started)
    return choice.probs
