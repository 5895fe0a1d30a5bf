"""Validation re-asks through instructor for real (``strategies.structured``), over a
backend answering from a scripted ``create`` (no network)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from fakes import CreateBackend, ScriptedCreate, completion

from summarizer.backends.base import Completion
from summarizer.backends.mock import MockBackend
from summarizer.errors import ExtractionError, ProviderError
from summarizer.grounding.extraction import Extraction
from summarizer.grounding.sentences import split_sentences
from summarizer.strategies.single import _salvager
from summarizer.strategies.structured import (
    Meter,
    Request,
    astructured,
    structured,
    translate_failure,
)

ARTICLE = (
    "Acme Corp and the Machinists Union resumed talks on Monday. "
    "The union is demanding a 20% raise over four years. Acme has offered a 12% raise."
)
SENTENCES = tuple(split_sentences(ARTICLE))
MESSAGES = [
    {"role": "system", "content": "Extract the negotiation."},
    {"role": "user", "content": f"Article:\n{ARTICLE}"},
]

ACME = {"name": "Acme Corp", "kind": "company", "aliases": ["Acme"]}
UNION = {"name": "Machinists Union", "kind": "union", "aliases": ["the union"]}
VALID = {
    "parties": [ACME, UNION],
    "demands": [{"by": "the union", "to": "Acme", "what": "a 20% raise over four years"}],
    "concessions": [
        {
            "by": "Acme",
            "to": "the union",
            "what": "Acme has offered a 12% raise",
            "status": "offered",
        }
    ],
    "open_issues": [],
    "summary": "The union wants 20%; Acme offered 12%.",
}
UNDECLARED_PARTY = {**copy.deepcopy(VALID), "parties": [ACME]}
UNGROUNDED = copy.deepcopy(VALID)
UNGROUNDED["demands"][0]["what"] = "free parking for all retirees"


def request(max_reasks: int = 2, salvage: bool = False) -> Request:
    return Request(
        messages=MESSAGES,
        response_model=Extraction,
        sentences=SENTENCES,
        max_reasks=max_reasks,
        max_tokens=512,
        rescue=_salvager(SENTENCES) if salvage else None,
    )


def run(script: ScriptedCreate, meter: Meter, max_reasks: int = 2) -> Any:
    return structured(CreateBackend(script), request(max_reasks), meter)


def reask_message(call: dict[str, Any]) -> str:
    """The text instructor appended after the first exchange (the re-ask)."""
    added = call["messages"][len(MESSAGES) :]
    assert added, "the second call carries no re-ask"
    return "\n".join(str(m.get("content")) for m in added if m["role"] == "user")


@pytest.mark.parametrize(
    ("invalid", "expected_error"),
    [
        (UNDECLARED_PARTY, "names 'the union', which is not in parties (declared: Acme Corp)"),
        (UNGROUNDED, "'free parking for all retirees' is not in the article"),
    ],
    ids=["undeclared-party", "ungrounded-what"],
)
def test_invalid_answer_is_reasked_with_the_error(invalid: dict, expected_error: str) -> None:
    script = ScriptedCreate(
        [
            completion(invalid, prompt_tokens=300, completion_tokens=40),
            completion(VALID, prompt_tokens=420, completion_tokens=45),
        ]
    )
    meter = Meter()
    result = run(script, meter)

    assert isinstance(result, Extraction)
    assert result.canonical(result.demands[0].by) == "Machinists Union"
    assert len(script.calls) == 2
    first, second = script.calls
    assert first["messages"] == MESSAGES
    assert expected_error in reask_message(second)
    assert expected_error not in str(first["messages"])
    # The model sees its own invalid answer before the correction.
    (echo,) = [m for m in second["messages"][len(MESSAGES) :] if m["role"] == "assistant"]
    assert json.loads(echo["content"]) == invalid
    # Both calls count: tokens, calls and time.
    assert (meter.prompt_tokens, meter.completion_tokens, meter.calls) == (720, 85, 2)
    assert meter.usage.model_dump() == {"prompt_tokens": 720, "completion_tokens": 85, "calls": 2}
    assert meter.model_seconds >= 0


def test_request_budgets_reach_the_provider_call() -> None:
    script = ScriptedCreate([completion(VALID, prompt_tokens=1, completion_tokens=1)])
    run(script, Meter())
    (call,) = script.calls
    assert call["max_tokens"] == 512 and call["temperature"] == 0.0
    assert call["response_format"]["type"] == "json_schema"
    # The caller's messages are not modified by instructor.
    assert MESSAGES[-1]["content"].startswith("Article:")
    assert len(MESSAGES) == 2


def test_output_that_is_not_json_is_reasked() -> None:
    script = ScriptedCreate(
        [
            completion("Sorry, I can't do that.", prompt_tokens=10, completion_tokens=5),
            completion(VALID, prompt_tokens=12, completion_tokens=30),
        ]
    )
    meter = Meter()
    assert isinstance(run(script, meter), Extraction)
    assert meter.calls == 2 and meter.completion_tokens == 35


@pytest.mark.parametrize("max_reasks", [0, 1, 2])
def test_exhausted_reask_budget_is_an_extraction_error_with_usage(max_reasks: int) -> None:
    calls = max_reasks + 1
    script = ScriptedCreate(
        [
            completion(UNDECLARED_PARTY, prompt_tokens=100, completion_tokens=10)
            for _ in range(calls + 2)
        ]
    )
    meter = Meter()
    with pytest.raises(Exception) as info:
        run(script, meter, max_reasks=max_reasks)
    assert len(script.calls) == calls, "max_reasks re-asks after the first attempt, no more"

    error = translate_failure(info.value, meter)
    assert isinstance(error, ExtractionError)
    assert error.exit_code == 1
    assert error.attempts == calls
    assert "names 'the union', which is not in parties" in error.last_error
    assert f"did not validate after {calls} attempt(s)" in str(error)
    assert error.context["usage"] == {
        "prompt_tokens": 100 * calls,
        "completion_tokens": 10 * calls,
        "calls": calls,
    }


def test_provider_error_is_not_reasked_and_passes_through() -> None:
    failure = ProviderError("provider failed (timeout)", provider_cause="timeout", attempts=3)

    def create(**kwargs: Any) -> Any:
        raise failure

    meter = Meter()
    with pytest.raises(ProviderError) as info:
        structured(CreateBackend(create), request(max_reasks=3), meter)
    assert info.value is failure
    assert (meter.calls, meter.prompt_tokens) == (3, 0), "its 3 transport attempts count"


async def test_async_reask_counts_both_calls() -> None:
    script = ScriptedCreate(
        [
            completion(UNGROUNDED, prompt_tokens=50, completion_tokens=5),
            completion(VALID, prompt_tokens=60, completion_tokens=6),
        ]
    )

    async def acreate(**kwargs: Any) -> Any:
        return script(**kwargs)

    meter = Meter()
    result = await astructured(CreateBackend(acreate), request(), meter)
    assert isinstance(result, Extraction)
    assert "is not in the article" in reask_message(script.calls[1])
    assert meter.usage.model_dump() == {"prompt_tokens": 110, "completion_tokens": 11, "calls": 2}


def test_extraction_error_message_reads_cleanly() -> None:
    script = ScriptedCreate([completion(UNDECLARED_PARTY, prompt_tokens=1, completion_tokens=1)])
    meter = Meter()
    with pytest.raises(Exception) as info:
        run(script, meter, max_reasks=0)
    error = translate_failure(info.value, meter)
    assert not error.last_error.startswith(":"), error.last_error
    assert ": :" not in str(error)


def test_spent_budget_keeps_the_grounded_items_and_counts_the_dropped_ones() -> None:
    # Every answer names an undeclared party in its items; with salvage on, the
    # last answer's valid part survives and the dropped items are counted.
    script = ScriptedCreate(
        [completion(UNDECLARED_PARTY, prompt_tokens=3, completion_tokens=2)] * 2
    )
    meter = Meter()
    result = structured(CreateBackend(script), request(max_reasks=1, salvage=True), meter)
    assert isinstance(result, Extraction)
    assert len(script.calls) == 2
    assert meter.dropped_items >= 1
    assert [p.name for p in result.parties] == ["Acme Corp"]
    for item in [*result.demands, *result.concessions]:
        assert result.canonical(item.by) == "Acme Corp"


class _CutOff(MockBackend):
    """Every answer stops at the token limit."""

    def complete(self, messages: Any, **kwargs: Any) -> Completion:
        return replace(super().complete(messages, **kwargs), finish_reason="length")


def test_a_cut_off_answer_names_its_own_attempts_not_the_articles_calls() -> None:
    # The meter counts every call of the article; the error is about this call's one
    # answer (it said "after 66 attempt(s)" for an open-issue call cut off once).
    meter = Meter()
    meter.calls = 65
    request = Request(
        messages=[{"role": "user", "content": "x"}],
        response_model=Extraction,
        max_reasks=1,
        max_tokens=8,
    )
    with pytest.raises(ExtractionError) as info:
        structured(_CutOff(['{"parties": [']), request, meter)
    assert "after 1 attempt(s)" in str(info.value)
    assert "cut off at the token limit" in str(info.value)
