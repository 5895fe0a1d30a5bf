"""``MockBackend``: scripted answers instead of a model, for users' own tests.

    from summarizer import MockBackend, Summarizer

    answer = {"summary": "...", "parties": [...], "demands": [], "concessions": [],
              "open_issues": []}
    with Summarizer(backend=MockBackend([answer])) as s:
        result = s.summarize(text)

Each answer is validated exactly as a model's answer is (evidence must be in the
article, names declared, ...), so a test sees the errors a real run would raise. With
the single-call strategy (the default for a mock) one answer serves one article.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError, ExtractionError
from ..schema import Usage
from .base import Meter, Request

Answer = dict[str, Any] | BaseModel | str
#: ``respond(messages, call_index)``: the answer to one structured call.
Responder = Callable[[list[dict[str, str]], int], Answer]


class MockBackend:
    """A Backend that answers from a script: a list of answers used in turn, or a
    function of the messages and the call's index. Counts fixed tokens per call.

    ``choices`` answers the one-token questions of the staged strategies
    (``choose``): a function of the messages and the options, returning each option's
    probability; by default every option is equally likely.
    """

    def __init__(
        self,
        answers: Sequence[Answer] | Responder,
        *,
        name: str = "mock",
        choices: Callable[[list[dict[str, str]], Sequence[str]], dict[str, float]] | None = None,
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
        context_chars: int = 48_000,
        concurrency: int = 1,
    ) -> None:
        self._answers = answers
        self._choices = choices
        self.name = name
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.context_chars = context_chars
        self.concurrency = concurrency
        self.requests: list[Request] = []
        self.closed = False
        self._lock = threading.Lock()

    def _next(self, request: Request) -> Answer:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
        if callable(self._answers):
            return self._answers(request.messages, index)
        if index >= len(self._answers):
            raise ConfigError(
                f"MockBackend has {len(self._answers)} scripted answer(s); call {index + 1} "
                "asked for another",
                calls=index + 1,
            )
        return self._answers[index]

    def structured(self, request: Request, meter: Meter) -> BaseModel:
        answer = self._next(request)
        usage = Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens)
        meter.record(_Response(usage), 0.0)
        data = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer
        try:
            if isinstance(data, str):
                return request.response_model.model_validate_json(
                    data, context=request.validation_context()
                )
            return request.response_model.model_validate(data, context=request.validation_context())
        except ValidationError as exc:
            first = exc.errors()[0]
            last = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            raise ExtractionError(
                f"the scripted answer did not validate: {last}",
                attempts=1,
                last_error=last,
                answer=json.dumps(data)[:400] if not isinstance(data, str) else data[:400],
            ) from exc

    async def astructured(self, request: Request, meter: Meter) -> BaseModel:
        return await asyncio.to_thread(self.structured, request, meter)

    def choose(
        self, messages: list[dict[str, str]], options: Sequence[str], meter: Meter
    ) -> dict[str, float]:
        meter.record(_Response(Usage(prompt_tokens=self.prompt_tokens, completion_tokens=1)), 0.0)
        if self._choices is not None:
            return self._choices(messages, options)
        return dict.fromkeys(options, 1.0 / len(options))

    def cost_usd(self, usage: Usage) -> float | None:
        return 0.0

    def close(self) -> None:
        self.closed = True


class _Response:
    """What ``Meter.record`` reads from a completion: its usage."""

    def __init__(self, usage: Usage) -> None:
        self.usage = usage
