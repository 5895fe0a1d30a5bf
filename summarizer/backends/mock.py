"""``MockBackend``: scripted answers instead of a model, for users' own tests.

    from summarizer import MockBackend, Summarizer

    answer = {"parties": [...], "demands": [...], "concessions": [], "open_issues": [],
              "summary": "..."}
    with Summarizer(backend=MockBackend([answer])) as s:
        result = s.summarize(text)

Answers go through the same parsing, validation, re-asks and grounding as a model's
(evidence must be in the article, names declared, ...): an invalid answer is re-asked,
and the next scripted answer is the reply. With the single-call strategy (the default
for a mock) one valid answer serves one article.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..errors import ConfigError
from ..schema import Usage
from .base import Choice, Completion, Messages, Threaded

Answer = dict[str, Any] | BaseModel | str
#: ``respond(messages, call_index)``: the answer to one call.
Responder = Callable[[Messages, int], Answer]
#: ``choices(messages, options)``: each option's probability.
Chooser = Callable[[Messages, Sequence[str]], dict[str, float]]


@dataclass(frozen=True)
class Call:
    """One call the mock answered: its messages and the schema it was given."""

    messages: Messages
    schema: dict[str, Any] | None


class MockBackend(Threaded):
    """A Backend that answers from a script: a list of answers used in turn, or a
    function of the messages and the call's index. Counts fixed tokens per call.

    ``choices`` answers the one-token questions of the staged strategies: a function of
    the messages and the options, returning each option's probability; by default
    every option is equally likely.
    """

    def __init__(
        self,
        answers: Sequence[Answer] | Responder,
        *,
        name: str = "mock",
        choices: Chooser | None = None,
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
        self.calls: list[Call] = []
        self.closed = False
        self._lock = threading.Lock()

    def _next(self, messages: Messages, schema: dict[str, Any] | None) -> Answer:
        with self._lock:
            index = len(self.calls)
            self.calls.append(Call(messages, schema))
        if callable(self._answers):
            return self._answers(messages, index)
        if index >= len(self._answers):
            raise ConfigError(
                f"MockBackend has {len(self._answers)} scripted answer(s); call {index + 1} "
                "asked for another",
                calls=index + 1,
            )
        return self._answers[index]

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        answer = self._next(messages, schema)
        if isinstance(answer, BaseModel):
            text = answer.model_dump_json()
        elif isinstance(answer, str):
            text = answer
        else:
            text = json.dumps(answer)
        return Completion(
            text=text,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )

    def choose(self, messages: Messages, options: Sequence[str]) -> Choice:
        probs = (
            self._choices(messages, options)
            if self._choices is not None
            else dict.fromkeys(options, 1.0 / len(options))
        )
        return Choice(
            probs, Completion(text="", prompt_tokens=self.prompt_tokens, completion_tokens=1)
        )

    def cost_usd(self, usage: Usage) -> float | None:
        return 0.0

    def close(self) -> None:
        self.closed = True
