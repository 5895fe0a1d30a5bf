"""The public API: Summarizer, summarize_many, Settings, MockBackend, cost in USD."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fault_server import PROMPT_TOKENS, Fault, FaultServer

import summarizer
from summarizer import MockBackend, NegotiationSummary, Settings, Summarizer, SummarizerError
from summarizer.errors import ExtractionError, InputError, UsageError

TEXT = "The union demanded a raise from the company. The company offered a 3% raise."


def answer(summary: str = "Wage talks.") -> dict[str, Any]:
    return {
        "summary": summary,
        "parties": [
            {"name": "union", "kind": "union", "aliases": []},
            {"name": "company", "kind": "company", "aliases": []},
        ],
        "demands": [
            {"by": "union", "to": "company", "what": "The union demanded a raise from the company."}
        ],
        "concessions": [],
        "open_issues": [],
    }


def test_the_public_surface_is_small_and_typed() -> None:
    assert sorted(summarizer.__all__) == [
        "MockBackend",
        "NegotiationSummary",
        "Settings",
        "Summarizer",
        "SummarizerError",
        "Timeline",
        "asummarize",
        "register_backend",
        "summarize",
        "track",
    ]


def test_summarize_with_a_mock_backend_validates_like_a_model() -> None:
    with Summarizer(backend=MockBackend([answer()])) as s:
        result = s.summarize(TEXT, title="Wages")
    assert isinstance(result, NegotiationSummary)
    assert result.demands[0].party == "union"
    assert result.demands[0].evidence[0].text == "The union demanded a raise from the company."
    assert result.source.title == "Wages"
    assert result.run.cost_usd == 0.0  # a local (here: mock) model costs nothing
    assert result.run.settings["strategy"] == "single"


class CountingBackend(MockBackend):
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        super().__init__(answers)
        self.begun: list[int] = []  # how many calls had been made when each article began

    def begin_article(self) -> None:
        self.begun.append(len(self.calls))


def test_the_backend_is_told_where_each_article_begins() -> None:
    backend = CountingBackend([answer("One."), answer("Two.")])
    with Summarizer(backend=backend) as s:
        s.summarize(TEXT)
        asyncio.run(s.asummarize(TEXT + " The talks resume Monday."))
    assert backend.begun == [0, 1]  # before each article's first call, sync and async


def test_a_scripted_answer_is_validated_and_reasked_like_a_models() -> None:
    bad = answer()
    bad["demands"][0]["what"] = "The union demanded free yachts on Mars."
    with pytest.raises(ExtractionError, match="did not validate after 2 attempt"):
        Summarizer(backend=MockBackend([bad, bad]), salvage=False).summarize(TEXT)
    backend = MockBackend([bad, answer()])
    fixed = Summarizer(backend=backend).summarize(TEXT)  # the re-ask got a valid answer
    assert len(backend.calls) == 2 and "free yachts" in str(backend.calls[1].messages)
    assert fixed.demands[0].text.startswith("The union demanded a raise")
    salvaged = Summarizer(backend=MockBackend([bad, bad])).summarize(TEXT)
    assert salvaged.demands == [] and salvaged.run.dropped_items == 1


def test_summarize_many_keeps_input_order_and_isolates_failures() -> None:
    texts = [TEXT, "   ", TEXT.replace("3%", "4%"), TEXT.replace("3%", "5%")]
    answers = {0: answer("first"), 1: answer("third"), 2: answer("fourth")}
    seen: list[tuple[int, int]] = []

    def respond(messages: list[dict[str, str]], index: int) -> dict[str, Any]:
        user = messages[-1]["content"]
        return answers[0 if "3%" in user else 1 if "4%" in user else 2]

    backend = MockBackend(respond, concurrency=2)
    with Summarizer(backend=backend) as s:
        results = s.summarize_many(
            texts, concurrency=2, progress=lambda done, total, _: seen.append((done, total))
        )
    assert backend.closed
    assert [type(r).__name__ for r in results] == [
        "NegotiationSummary",
        "InputError",
        "NegotiationSummary",
        "NegotiationSummary",
    ]
    assert isinstance(results[1], InputError)
    assert [r.summary for r in results if isinstance(r, NegotiationSummary)] == [
        "first",
        "third",
        "fourth",
    ]
    assert sorted(seen) == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_summarize_many_works_inside_a_running_event_loop() -> None:
    async def notebook_cell() -> list[NegotiationSummary | SummarizerError]:
        return Summarizer(backend=MockBackend([answer(), answer()])).summarize_many([TEXT, TEXT])

    results = asyncio.run(notebook_cell())
    assert all(isinstance(r, NegotiationSummary) for r in results)


def test_asummarize_many() -> None:
    s = Summarizer(backend=MockBackend([answer(), answer()]))
    results = asyncio.run(s.asummarize_many([TEXT, TEXT]))
    assert len(results) == 2


def test_an_exhausted_script_is_a_clear_error() -> None:
    s = Summarizer(backend=MockBackend([answer()]))
    s.summarize(TEXT)
    with pytest.raises(SummarizerError, match="1 scripted answer"):
        s.summarize(TEXT.replace("3%", "6%"))


def test_settings_are_one_frozen_model_shared_by_keyword_arguments() -> None:
    s = Summarizer("openai/gpt-4o-mini", max_reasks=3, strategy="single", api_key="sk-x")
    assert s.settings.model == "openai/gpt-4o-mini" and s.settings.max_reasks == 3
    assert "sk-x" not in repr(s.settings)
    with pytest.raises(Exception, match="frozen"):
        s.settings.max_reasks = 4  # type: ignore[misc]
    base = Settings(max_reasks=2, timeout=9.0)
    assert Summarizer("openai/x", settings=base).settings.timeout == 9.0


def test_a_bad_setting_is_a_usage_error_not_a_traceback() -> None:
    with pytest.raises(UsageError, match="max_reaks"):
        Summarizer(backend=MockBackend([]), max_reaks=2)
    with pytest.raises(UsageError, match="concurrency"):
        Summarizer(backend=MockBackend([]), concurrency=0)


def test_max_chars_applies_to_text_input() -> None:
    with pytest.raises(InputError):
        Summarizer(backend=MockBackend([answer()]), max_chars=10).summarize(TEXT)


def test_hosted_cost_counts_failed_attempts(server: FaultServer) -> None:
    """A re-asked answer costs both calls, priced from litellm's offline map."""
    model = "openai/gpt-4o-mini"
    server.script(Fault.ungrounded(), Fault.ok())
    result = Summarizer(model, api_base=server.api_base, max_reasks=1).summarize(TEXT)
    server.script(Fault.ok())
    once = Summarizer(model, api_base=server.api_base, max_reasks=1).summarize(
        TEXT.replace("3%", "7%")
    )
    assert result.run.usage.calls == 2 and once.run.usage.calls == 1
    assert result.run.usage.prompt_tokens >= 2 * PROMPT_TOKENS
    assert once.run.cost_usd is not None and once.run.cost_usd > 0
    assert result.run.cost_usd is not None and result.run.cost_usd > once.run.cost_usd


def test_unknown_price_is_null(server: FaultServer) -> None:
    result = Summarizer("openai/fake-model", api_base=server.api_base).summarize(TEXT)
    assert result.run.cost_usd is None


def test_ten_articles_one_failing_give_nine_summaries_and_one_error_in_order() -> None:
    texts = [TEXT.replace("3%", f"{n}%") for n in range(10)]
    texts[6] = TEXT.replace("3%", "6%") + " It ended."  # this one's answer never validates
    bad = answer()
    bad["demands"][0]["what"] = "The union demanded free yachts on Mars."

    def respond(messages: list[dict[str, str]], index: int) -> dict[str, Any]:
        failing = any("It ended." in str(m.get("content")) for m in messages)
        return bad if failing else answer()

    with Summarizer(backend=MockBackend(respond), salvage=False) as s:
        outcomes = s.summarize_many(texts, concurrency=3)
    kinds = ["error" if isinstance(o, SummarizerError) else "ok" for o in outcomes]
    assert kinds == ["ok"] * 6 + ["error"] + ["ok"] * 3
    assert isinstance(outcomes[6], ExtractionError)
    for text, outcome in zip(texts, outcomes, strict=True):
        if isinstance(outcome, NegotiationSummary):
            assert outcome.source.chars == len(text.strip())
