"""An item's text is an exact span or a faithful paraphrase of its evidence sentence.

The cases are the unfaithful items the embedded model wrote on held-out texts
(issue: summary quality), each of which had passed the 60% word-coverage check.
"""

from __future__ import annotations

import pytest

from summarizer.grounding.extraction import Extraction, salvage
from summarizer.grounding.faithfulness import faithful, is_exact_span, problem
from summarizer.grounding.sentences import split_sentences

BUDGET = (
    "The President said he would direct them to act in good faith to reach agreement. "
    "He lowered the deficit by $1.7 trillion in his first two years."
)
CEASEFIRE = "The war in Gaza continues, and the talks in Cairo resume on Monday."
TRUCE = (
    "The truce saw both sides temporarily reducing tariffs for 90 days while negotiators "
    "sought a longer-term resolution."
)


def test_an_exact_span_is_faithful() -> None:
    span = "temporarily reducing tariffs for 90 days"
    assert is_exact_span(span, TRUCE)
    assert problem(span, TRUCE) is None


def test_a_faithful_paraphrase_passes() -> None:
    assert problem("both sides reduced tariffs for 90 days", TRUCE) is None


@pytest.mark.parametrize(
    ("text", "evidence", "reason"),
    [
        ("direct they to act in bad faith to reach agreement", BUDGET, "reverses"),
        ("lowered the deficit by $ 7 trillion inhis first two years", BUDGET, "glues"),
        ("lowered the deficit by $7 trillion in his first two years", BUDGET, "number"),
        ("The war in Egypt continues", CEASEFIRE, "not named"),
        ("The war in the United States continues", CEASEFIRE, "not named"),
        ("for 90days while negotiators seek a longer-termresolution", TRUCE, "glues"),
        ("the sides did not reduce tariffs", TRUCE, "negates"),
    ],
)
def test_unfaithful_paraphrases_are_named(text: str, evidence: str, reason: str) -> None:
    found = problem(text, evidence)
    assert found is not None and reason in found, found
    assert not faithful(text, evidence)


def test_a_name_inside_a_hyphenated_word_is_named() -> None:
    """Seen on the Pentagon report: its title names the Pentagon only in
    "Pentagon-Anthropic", and the open issue tied to it was dropped."""
    title = "Pentagon-Anthropic Dispute over Autonomous Weapon Systems"
    assert problem("whether the Pentagon will allow autonomous weapon systems", title) is None
    found = problem("whether the Pentagon will allow use of Claude", title)
    assert found is not None and "'Claude' is not named" in found


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        (
            "whether the Chinese will lift restrictions on rare earth exports",
            "Officials had expected China to lift restrictions on some rare earth exports.",
        ),
        (
            "whether the EU will pay a tariff rate of 15%",
            "The European Union will pay the United States a tariff rate of 15%.",
        ),
        ("whether the United States will cut tariffs", "The U.S. will cut tariffs."),
        ("whether DOD will keep using Anthropic's models", "DOD uses Anthropic models."),
        ("whether Anthropic will win", "The court denied Anthropic's motion to win."),
        ("whether the United States will cut tariffs", "The US-China talks will cut tariffs."),
        ("whether U.S. tariffs will be cut", "The U.S.-China talks will cut tariffs."),
        ("whether the Ukrainian ports will open", "The Russia-Ukraine talks will open ports."),
        ("whether French farmers will be paid", "France will pay its farmers."),
        ("whether the Korean duty will be cut", "South Korea will cut the duty."),
    ],
)
def test_a_name_in_another_form_is_named(text: str, evidence: str) -> None:
    """Seen on the reference article and the US-EU fact sheet: the rare-earth issue
    ("the Chinese", the sentence says "China") was dropped."""
    assert problem(text, evidence) is None


@pytest.mark.parametrize(
    ("text", "evidence", "name"),
    [
        (
            "whether the Japanese will lift restrictions",
            "China will lift restrictions.",
            "Japanese",
        ),
        ("whether Moscow will lift restrictions", "Russia will lift restrictions.", "Moscow"),
        ("whether Egypt will host the talks", "The talks resume in CAIRO.", "Egypt"),
        ("whether Italy will host the talks", "The talks resume in ROME.", "Italy"),
        ("whether Turkish officials agree", "The turkey was carved as officials agree.", "Turkish"),
        ("whether the US will agree", "Let us agree.", "US"),
    ],
)
def test_another_country_or_a_city_is_still_not_named(text: str, evidence: str, name: str) -> None:
    found = problem(text, evidence)
    assert found is not None and f"{name!r} is not named" in found


def test_a_dropped_negation_is_caught() -> None:
    evidence = "China did not agree to lift the export controls on rare earths."
    found = problem("China agreed to lift the export controls", evidence)
    assert found is not None and "not" in found


def _answer(what: str) -> dict[str, object]:
    return {
        "parties": [
            {"name": "White House", "kind": "government_body", "aliases": []},
            {"name": "Congress", "kind": "government_body", "aliases": []},
        ],
        "demands": [],
        "concessions": [
            {"by": "White House", "to": "Congress", "what": what, "status": "implemented"}
        ],
        "open_issues": [],
        "summary": "Budget talks.",
    }


def test_an_unfaithful_paraphrase_is_a_validation_error_to_re_ask() -> None:
    sentences = split_sentences(BUDGET)
    with pytest.raises(ValueError, match="number"):
        Extraction.model_validate(
            _answer("lowered the deficit by $7 trillion in his first two years"),
            context={"sentences": sentences},
        )


def test_salvage_replaces_an_unfaithful_paraphrase_by_the_exact_span() -> None:
    import json

    sentences = split_sentences(BUDGET)
    text = json.dumps(_answer("lowered the deficit by $7 trillion in his first two years"))
    rescued = salvage(text, sentences)
    assert rescued is not None
    extraction, dropped = rescued
    assert dropped == 0
    assert extraction.concessions[0].what == sentences[1].text


@pytest.mark.parametrize(
    "sentence",
    [
        "The European Union did not agree to purchase military equipment.",
        "The United States is no longer committed to helping achieve the exchange.",
        "China will adopt no administrative measures to suspend the countermeasures.",
        "Leaders reached a milestone but failed to agree on a target.",
        "The union refused to accept the offer.",
    ],
)
def test_a_negated_act_is_no_concession(sentence: str) -> None:
    from summarizer.grounding.faithfulness import negated_act

    assert negated_act(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The European Union confirms that it will not adopt or maintain network usage fees.",
        "Mexico agreed to cut the cheese tariffs by half.",
        "China pledged to suspend or remove the countermeasures.",
    ],
)
def test_a_pledge_or_an_act_is_not_negated(sentence: str) -> None:
    from summarizer.grounding.faithfulness import negated_act

    assert not negated_act(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "China has continued to restrict exports of rare earth minerals.",
        "And, we will continue to impose costs on Iran for their provocative actions.",
        "The ministry still blocks imports of the cheese.",
        "Hungary still blocked the package.",
        "The ministry continues restricting imports of the cheese.",
        "Beijing has continued to withhold export licences.",
    ],
)
def test_a_restriction_that_goes_on_is_no_concession(sentence: str) -> None:
    from summarizer.grounding.faithfulness import ongoing_restriction

    assert ongoing_restriction(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Both sides will continue to lower tariffs on steel.",
        "The US will continue to bankroll the reconstruction fund.",
        "Russia agreed to lift the continued restrictions on grain exports.",
        "Iran will release five Americans still detained in Evin prison.",
        "Iran agreed to continue to limit enrichment to 3.67 percent.",
        "Saudi Arabia pledged to continue to curb oil output.",
        "China will not continue to restrict rare earth exports.",
        "China will continue to restrict rare earths but agreed to issue licences for magnets.",
    ],
)
def test_a_giving_act_or_a_pledge_to_continue_is_not_a_restriction(sentence: str) -> None:
    from summarizer.grounding.faithfulness import ongoing_restriction

    assert not ongoing_restriction(sentence)
