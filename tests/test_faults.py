"""Every injected fault, end to end through litellm against the fault server.

Each fault either recovers within the configured budgets, or ends in a typed
``SummarizerError`` that names its cause. Usage counts every attempt. Request counts
at the server show that litellm/openai never retry on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fault_server import COMPLETION_TOKENS, PROMPT_TOKENS, Behaviour, Fault, FaultServer

from summarizer.errors import ExtractionError, ProviderError, SummarizerError
from summarizer.io.inputs import make_article
from summarizer.schema import NegotiationSummary

TEXT = (
    "Talks resumed in Geneva\n"
    "The union is demanding a 20% raise over four years. Management has offered a 12% raise. "
    "Health-care costs remain unresolved."
)
ARTICLE = make_article(TEXT)

Build = Callable[..., Any]


def _check_good(summary: NegotiationSummary) -> None:
    NegotiationSummary.model_validate(summary.model_dump())
    assert summary.demands, "the good answer has a demand"
    assert summary.ungrounded(TEXT) == []


# fault, tokens-bearing answers among the two requests (transport faults have none)
RECOVERED: dict[str, tuple[Callable[[], Behaviour], int]] = {
    "429": (lambda: Fault.status(429), 1),
    "500": (lambda: Fault.status(500), 1),
    "503": (lambda: Fault.status(503), 1),
    "timeout": (lambda: Fault.slow(3.0), 1),
    "dropped connection": (Fault.drop, 1),
    "truncated body": (Fault.truncated_body, 1),
    "truncated JSON": (Fault.truncated_json, 2),
    "schema-invalid JSON": (Fault.invalid_schema, 2),
    "unresolvable citation": (Fault.ungrounded, 2),
}


@pytest.mark.parametrize("fault", list(RECOVERED))
def test_one_fault_then_a_good_answer_recovers(
    fault: str, server: FaultServer, hosted: Build
) -> None:
    make, answers = RECOVERED[fault]
    server.script(make())
    summary = hosted(attempts=2, max_reasks=1, timeout=0.5).summarize(ARTICLE)
    _check_good(summary)
    assert len(server.calls) == 2  # one fault, one good answer: nobody else retried
    assert server.behaviours()[1] == "ok"
    usage = summary.run.usage
    assert usage.calls == 2
    assert usage.prompt_tokens == answers * PROMPT_TOKENS
    assert usage.completion_tokens == answers * COMPLETION_TOKENS


# fault repeated on every request, error type, provider_cause (None: ExtractionError), requests
FAILING: dict[str, tuple[Callable[[], Behaviour], type[SummarizerError], str | None, int]] = {
    "429": (lambda: Fault.status(429), ProviderError, "rate_limit", 3),
    "500": (lambda: Fault.status(500), ProviderError, "server_error", 3),
    "503": (lambda: Fault.status(503), ProviderError, "server_error", 3),
    "timeout": (lambda: Fault.slow(3.0), ProviderError, "timeout", 3),
    "dropped connection": (Fault.drop, ProviderError, "connection", 3),
    "truncated body": (Fault.truncated_body, ProviderError, "server_error", 3),
    "401": (Fault.echo_auth, ProviderError, "auth", 1),
    "400": (lambda: Fault.status(400), ProviderError, "bad_request", 1),
    "truncated JSON": (Fault.truncated_json, ExtractionError, None, 3),
    "output cut at max_tokens": (lambda: Fault.truncated_json("length"), ExtractionError, None, 1),
    "schema-invalid JSON": (Fault.invalid_schema, ExtractionError, None, 3),
    "unresolvable citation": (Fault.ungrounded, ExtractionError, None, 3),
}


@pytest.mark.parametrize("fault", list(FAILING))
def test_a_persistent_fault_ends_in_a_typed_error_naming_its_cause(
    fault: str, server: FaultServer, hosted: Build
) -> None:
    make, error, cause, requests = FAILING[fault]
    server.script(*(make() for _ in range(6)))
    with pytest.raises(SummarizerError) as info:
        hosted(attempts=3, max_reasks=2, timeout=0.5).summarize(ARTICLE)
    exc = info.value
    assert type(exc) is error
    assert len(server.calls) == requests
    usage = exc.context["usage"]
    assert usage["calls"] == requests  # failed attempts are counted too
    if isinstance(exc, ProviderError):
        assert exc.provider_cause == cause
        assert f"({cause})" in str(exc)
        assert exc.attempts == requests
        assert usage["prompt_tokens"] == 0  # no answer, no tokens
    else:
        assert isinstance(exc, ExtractionError)
        assert exc.last_error and exc.last_error in str(exc)
        assert usage["prompt_tokens"] == requests * PROMPT_TOKENS
        assert usage["completion_tokens"] == requests * COMPLETION_TOKENS


def test_unresolvable_citation_is_named_and_re_asked_with_the_error(
    server: FaultServer, hosted: Build
) -> None:
    server.script(Fault.ungrounded("zebras demand quantum marmalade"), Fault.ok())
    summary = hosted(max_reasks=1).summarize(ARTICLE)
    _check_good(summary)
    reask = str(server.calls[1].body["messages"])
    assert "zebras demand quantum marmalade" in reask
    assert "is not in the article" in reask
    assert "zebras" not in summary.model_dump_json()


def test_retry_after_is_honoured(server: FaultServer, hosted: Build) -> None:
    server.script(Fault.status(429, retry_after="1"), Fault.ok())
    hosted(attempts=2).summarize(ARTICLE)
    waited = server.calls[1].received - server.calls[0].finished
    assert 0.9 <= waited < 1.8


def test_retry_after_ms_is_honoured_on_a_5xx(server: FaultServer, hosted: Build) -> None:
    server.script(Fault.status(503, retry_after_ms="400"), Fault.ok())
    hosted(attempts=2).summarize(ARTICLE)
    waited = server.calls[1].received - server.calls[0].finished
    assert 0.35 <= waited < 1.2


def test_without_retry_after_the_backoff_policy_applies(server: FaultServer, hosted: Build) -> None:
    server.script(Fault.status(429), Fault.ok())
    hosted(attempts=2, base_delay=0.01).summarize(ARTICLE)
    waited = server.calls[1].received - server.calls[0].finished
    assert waited < 0.5  # base_delay 0.01 s, not the 1 s a Retry-After would ask


def test_the_sdks_do_not_retry_on_their_own(server: FaultServer, hosted: Build) -> None:
    # openai's client retries 429/5xx/connection errors twice by default; litellm may too
    for fault in (Fault.status(503), Fault.status(429), Fault.drop()):
        server.reset()
        server.script(fault, Fault.ok())
        with pytest.raises(ProviderError):
            hosted(attempts=1).summarize(ARTICLE)
        assert len(server.calls) == 1


def test_budgets_are_separate_both_used_up_to_the_limit(server: FaultServer, hosted: Build) -> None:
    # attempt 1: 503, 503, invalid (its third transport try); re-ask 1: ungrounded;
    # re-ask 2: good. Two transport faults and two invalid answers, within 3 and 2.
    server.script(Fault.status(503), Fault.status(503), Fault.invalid_schema(), Fault.ungrounded())
    summary = hosted(attempts=3, max_reasks=2).summarize(ARTICLE)
    _check_good(summary)
    assert server.behaviours() == [
        "status_503",
        "status_503",
        "invalid_schema",
        "ungrounded",
        "ok",
    ]
    assert summary.run.usage.calls == 5
    assert summary.run.usage.prompt_tokens == 3 * PROMPT_TOKENS


def test_transport_faults_do_not_spend_the_reask_budget(server: FaultServer, hosted: Build) -> None:
    # two transport faults before each of the three instructor attempts
    server.script(
        *[Fault.status(500), Fault.drop(), Fault.invalid_schema()] * 2,
        Fault.status(429),
        Fault.status(503),
    )
    summary = hosted(attempts=3, max_reasks=2).summarize(ARTICLE)
    _check_good(summary)
    assert len(server.calls) == 9


def test_exceeding_the_transport_budget_is_a_provider_error_not_a_reask(
    server: FaultServer, hosted: Build
) -> None:
    server.script(Fault.invalid_schema(), *[Fault.status(503)] * 3)
    with pytest.raises(ProviderError) as info:
        hosted(attempts=3, max_reasks=2).summarize(ARTICLE)
    assert info.value.provider_cause == "server_error"
    assert len(server.calls) == 4  # 1 invalid + 3 transport tries; no re-ask of a 503
    usage = info.value.context["usage"]
    assert usage == {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 20, "calls": 4}


def test_exceeding_the_reask_budget_is_an_extraction_error(
    server: FaultServer, hosted: Build
) -> None:
    server.script(Fault.status(503), *[Fault.ungrounded()] * 2)
    with pytest.raises(ExtractionError) as info:
        hosted(attempts=3, max_reasks=1).summarize(ARTICLE)
    assert info.value.attempts == 2
    assert "not in the article" in info.value.last_error
    assert len(server.calls) == 3
    assert info.value.context["usage"]["calls"] == 3


def test_a_slow_retry_does_not_eat_the_reask_budget(server: FaultServer, hosted: Build) -> None:
    # The per-call timeout (0.5 s) is shorter than the Retry-After wait (1 s). instructor
    # treats a ``timeout`` it is given as a deadline for all re-asks; the backend keeps
    # it for the HTTP call only, so the invalid answer is still re-asked.
    server.script(Fault.status(429, retry_after="1"), Fault.invalid_schema())
    summary = hosted(attempts=2, max_reasks=1, timeout=0.5).summarize(ARTICLE)
    _check_good(summary)
    assert server.behaviours() == ["status_429_retry_after", "invalid_schema", "ok"]


async def test_the_async_path_recovers_and_counts_the_same(
    server: FaultServer, hosted: Build
) -> None:
    server.script(Fault.drop(), Fault.status(429, retry_after="0"), Fault.ungrounded())
    summary = await hosted(attempts=3, max_reasks=1).asummarize(ARTICLE)
    _check_good(summary)
    assert server.behaviours() == ["drop", "status_429_retry_after", "ungrounded", "ok"]
    assert summary.run.usage.calls == 4
    assert summary.run.usage.prompt_tokens == 2 * PROMPT_TOKENS


async def test_the_async_path_fails_cleanly(server: FaultServer, hosted: Build) -> None:
    server.script(*[Fault.slow(3.0)] * 2)
    with pytest.raises(ProviderError) as info:
        await hosted(attempts=2, timeout=0.3).asummarize(ARTICLE)
    assert info.value.provider_cause == "timeout"
    assert len(server.calls) == 2


@pytest.mark.parametrize("mode", ["json", "json_schema", "md_json"])
def test_json_modes_answer_in_content_and_recover(
    mode: str, server: FaultServer, hosted: Build
) -> None:
    server.script(Fault.truncated_json(), Fault.ungrounded())
    summary = hosted(mode=mode, max_reasks=2).summarize(ARTICLE)
    _check_good(summary)
    assert all(not call.tools_mode for call in server.calls)
    assert len(server.calls) == 3


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_every_hosted_mode_gets_a_grounded_answer(
    server: FaultServer, hosted: Callable[..., Any], mode: str
) -> None:
    """The backend holds the model to the schema its own way; the text it returns is
    validated the same way in every mode."""
    summary = hosted(mode=mode).summarize(ARTICLE)
    assert summary.demands and summary.run.usage.calls == 1
    body = server.calls[0].body
    if mode == "tools":
        assert body["tools"][0]["function"]["name"] == "Extraction"
        assert body["tool_choice"]["function"]["name"] == "Extraction"
    elif mode == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
    else:
        assert "JSON schema" in body["messages"][0]["content"]
        assert ("response_format" in body) == (mode == "json")


def test_a_fenced_answer_is_unwrapped() -> None:
    from types import SimpleNamespace

    from summarizer.backends.hosted import completion_of

    message = SimpleNamespace(content='```json\n{"a": 1}\n```', tool_calls=None)
    response = SimpleNamespace(
        choices=[SimpleNamespace(message=message, finish_reason="stop")], usage=None
    )
    assert completion_of(response, 2).text == '{"a": 1}'
    assert completion_of(response, 2).attempts == 2
