"""Shared test doubles: a fake Backend, scripted chat completions, article builders.

Nothing here loads a model or opens a network connection.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openai.types.chat import ChatCompletion
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_message import ChatCompletionMessage
from openai.types.completion_usage import CompletionUsage

from summarizer.backends.base import Choice as BackendChoice
from summarizer.backends.base import Completion, Messages
from summarizer.backends.hosted import completion_of
from summarizer.backends.mock import MockBackend
from summarizer.grounding.sentences import split_sentences

EVALS = Path(__file__).resolve().parents[1] / "evals"
SEED_NAMES = ("us-china-trump-xi-call.txt", "us-china-rare-earths-tensions.txt")


def seed(name: str) -> str:
    return (EVALS / name).read_text(encoding="utf-8")


# -- the fake backend -------------------------------------------------------------------

_ARTICLE = "Article:\n"


def article_of(request: Any) -> str:
    """The article text the model is shown (after ``Article:`` in the user message)."""
    return article_of_messages(request.messages)


def article_of_messages(messages: list[dict[str, str]]) -> str:
    user = next(m["content"] for m in messages if m["role"] == "user")
    assert _ARTICLE in user, "the user message carries no article"
    return user.split(_ARTICLE, 1)[1]


Responder = Callable[[str, int], dict[str, Any]]


class FakeBackend(MockBackend):
    """The public ``MockBackend``, answering from the article text in the prompt.

    ``respond(article_text, call_index)`` returns the JSON a model would return; it
    is validated exactly as a model's answer (with the sentences in scope). Every
    call is recorded on the meter with fixed token counts.
    """

    def __init__(
        self,
        respond: Responder,
        *,
        context_chars: int = 48_000,
        name: str = "fake",
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
    ) -> None:
        def answer(messages: list[dict[str, str]], index: int) -> dict[str, Any]:
            return respond(article_of_messages(messages), index)

        super().__init__(
            answer,
            name=name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            context_chars=context_chars,
        )
        self.respond = respond

    @property
    def requests(self) -> list[Any]:
        """The calls answered so far (each with ``messages`` and ``schema``)."""
        return self.calls

    def choose(self, messages: Messages, options: Sequence[str]) -> BackendChoice:
        raise AssertionError("the single-call fake backend makes no one-token choices")


def empty_answer(summary: str = "No negotiation is reported.") -> dict[str, Any]:
    return {"parties": [], "demands": [], "concessions": [], "open_issues": [], "summary": summary}


# -- a long, multi-paragraph negotiation article ----------------------------------------

TOPICS = (
    "a pension guarantee for retired welders",
    "overtime pay on national holidays",
    "safety training for night crews",
    "paid parental leave of sixteen weeks",
    "a cap on mandatory weekend shifts",
    "free shuttle buses to the Dayton plant",
    "hazard bonuses for furnace operators",
    "tuition support for apprentices",
    "dental coverage for part-time staff",
    "an end to two-tier wage scales",
    "heat protection in the paint shop",
    "seniority rights for transferred workers",
)
OFFERS = (
    "a signing bonus of two thousand dollars",
    "new lockers in every break room",
    "a review of cafeteria prices",
    "extra vacation days after ten years",
    "upgraded ventilation in building seven",
    "earlier posting of shift rosters",
    "longer lunch breaks on assembly lines",
    "a matching retirement contribution",
    "childcare vouchers for shift workers",
    "quarterly town hall meetings",
    "a hiring freeze on temporary contractors",
    "new ergonomic chairs for inspectors",
)


def long_article() -> str:
    """Twelve paragraphs; each has one union demand and one company offer."""
    paragraphs = []
    for i, (topic, offer) in enumerate(zip(TOPICS, OFFERS, strict=True), 1):
        paragraphs.append(
            f"Negotiators for Acme Corp and the Machinists Union met again in session {i}. "
            f"The union demanded {topic}. "
            f"Acme offered {offer}. "
            "Both sides described the meeting as long and difficult."
        )
    return "Acme Corp and Machinists Union talks\n\n" + "\n\n".join(paragraphs) + "\n"


def union_company_responder(article: str, call: int) -> dict[str, Any]:
    """A model that copies the article's words for every demand and offer it sees.

    The first call names the sides "Acme Corp" / "Machinists Union"; later calls use
    "Acme" / "Union" with the full names as aliases (as a small model does when it
    sees only part of an article).
    """
    if call == 0:
        parties = [
            {"name": "Acme Corp", "kind": "company", "aliases": ["Acme"]},
            {"name": "Machinists Union", "kind": "union", "aliases": ["the union"]},
        ]
        company, union = "Acme", "the union"
    else:
        parties = [
            {"name": "Acme", "kind": "other", "aliases": ["Acme Corp", "the company"]},
            {"name": "Union", "kind": "union", "aliases": ["Machinists Union"]},
        ]
        company, union = "the company", "Union"
    demands, concessions = [], []
    for sentence in split_sentences(article):
        found = re.match(r"The union demanded (.+)\.$", sentence.text)
        if found:
            demands.append({"by": union, "to": company, "what": f"demanded {found[1]}"})
        found = re.match(r"Acme offered (.+)\.$", sentence.text)
        if found:
            concessions.append(
                {"by": company, "to": union, "what": f"offered {found[1]}", "status": "offered"}
            )
    return {
        "parties": parties,
        "demands": demands[:8],
        "concessions": concessions[:8],
        "open_issues": [],
        "summary": "Acme Corp and the Machinists Union are still negotiating.",
    }


# -- scripted chat completions (for instructor) -----------------------------------------


def completion(content: Any, *, prompt_tokens: int, completion_tokens: int) -> ChatCompletion:
    """An OpenAI ChatCompletion whose message is ``content`` (a dict is dumped as JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return ChatCompletion(
        id="chatcmpl-fake",
        object="chat.completion",
        created=0,
        model="fake",
        choices=[
            Choice(
                index=0,
                finish_reason="stop",
                message=ChatCompletionMessage(role="assistant", content=text),
            )
        ],
        usage=CompletionUsage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
        ),
    )


class ScriptedCreate:
    """A ``create`` callable answering from a script; records a copy of each call's kwargs."""

    def __init__(self, answers: list[ChatCompletion]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> ChatCompletion:
        # instructor appends re-ask messages to the same list in place: copy it now.
        self.calls.append(copy.deepcopy(kwargs))
        if not self.answers:
            raise AssertionError("the script ran out of answers")
        return self.answers.pop(0)


class CreateBackend:
    """A Backend over a scripted ``create`` (``ScriptedCreate``): each call's kwargs are
    what an OpenAI-style provider would be sent, and its ChatCompletion becomes text."""

    name = "scripted"
    concurrency = 1
    context_chars = 48_000

    def __init__(self, create: Callable[..., Any]) -> None:
        self.create = create

    def complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        return _as_completion(
            self.create(**_create_kwargs(messages, schema, max_tokens, temperature))
        )

    async def acomplete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        answer = self.create(**_create_kwargs(messages, schema, max_tokens, temperature))
        if hasattr(answer, "__await__"):
            answer = await answer
        return _as_completion(answer)

    def choose(self, messages: Messages, options: Sequence[str]) -> BackendChoice:
        raise AssertionError("no one-token choices")

    def cost_usd(self, usage: Any) -> float | None:
        return 0.0

    def close(self) -> None:
        return None


def _create_kwargs(
    messages: Messages, schema: dict[str, Any] | None, max_tokens: int, temperature: float
) -> dict[str, Any]:
    """What an OpenAI-style provider is sent for one call."""
    return {
        "messages": messages,
        "response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
        "max_tokens": max_tokens,
        "temperature": temperature,
    }


def _as_completion(answer: Any) -> Completion:
    """A ChatCompletion's text and usage, read as the hosted backend reads a provider's."""
    return completion_of(answer, attempts=1)
