"""Extraction validation (grounded words, declared parties) and citation resolution."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from fakes import EVALS, FakeBackend, seed
from pydantic import ValidationError

from summarizer.grounding.citations import evidence_for, ground
from summarizer.grounding.extraction import MAX_TEXT, Extraction, support
from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import make_article
from summarizer.pipeline import Pipeline

XI_CALL = seed("us-china-trump-xi-call.txt")
XI_SENTENCES = split_sentences(XI_CALL)
RARE = seed("us-china-rare-earths-tensions.txt")

US = {"name": "United States", "kind": "state", "aliases": ["Washington", "President Trump"]}
CHINA = {"name": "China", "kind": "state", "aliases": ["Beijing", "Mr. Xi"]}


def answer(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parties": [US, CHINA],
        "demands": [
            {
                "by": "Mr. Xi",
                "to": "Washington",
                "what": "withdraw its negative initiatives against China",
            }
        ],
        "concessions": [
            {
                "by": "China",
                "to": "United States",
                "what": "pledged to suspend or remove what it called non-tariff countermeasures",
                "status": "offered",
            }
        ],
        "open_issues": [
            {
                "what": "agreed to hold more trade talks",
                "among": ["China", "the United States"],
            }
        ],
        "summary": "China and the United States agreed to more talks.   Tensions remain.",
    }
    data.update(overrides)
    return copy.deepcopy(data)


def validate(data: dict[str, Any], sentences=XI_SENTENCES) -> Extraction:
    return Extraction.model_validate(data, context={"sentences": sentences})


def sentence_with(fragment: str, sentences=XI_SENTENCES):
    (hit,) = [s for s in sentences if fragment in s.text]
    return hit


# -- validation ---------------------------------------------------------------------------


def test_grounded_answer_validates_and_aliases_resolve() -> None:
    extraction = validate(answer())
    assert extraction.canonical("Mr. Xi") == "China"
    assert extraction.canonical("washington") == "United States"
    assert extraction.canonical("The United States") == "United States"
    assert (
        extraction.summary == "China and the United States agreed to more talks. Tensions remain."
    )


def test_what_not_in_the_article_is_rejected_with_a_useful_message() -> None:
    data = answer(
        demands=[{"by": "China", "to": None, "what": "China demanded reparations from Canada"}]
    )
    with pytest.raises(ValidationError) as info:
        validate(data)
    message = str(info.value)
    assert "demands[0].what" in message
    assert "'China demanded reparations from Canada' is not in the article" in message


def test_undeclared_party_is_rejected_naming_the_declared_ones() -> None:
    data = answer(
        concessions=[
            {
                "by": "European Union",
                "to": "China",
                "what": "agreed to hold more trade talks",
                "status": "agreed",
            }
        ]
    )
    with pytest.raises(ValidationError) as info:
        validate(data)
    message = str(info.value)
    assert "concessions[0] names 'European Union', which is not in parties" in message
    assert "declared: United States, China" in message


def test_undeclared_to_and_among_are_rejected_too() -> None:
    bad_to = answer(
        demands=[{"by": "China", "to": "Taiwan", "what": "agreed to hold more trade talks"}]
    )
    bad_among = answer(
        open_issues=[{"what": "agreed to hold more trade talks", "among": ["Russia"]}]
    )
    for data, needle in [
        (bad_to, "demands[0] names 'Taiwan'"),
        (bad_among, "open_issues[0] names 'Russia'"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(needle)):
            validate(data)


def test_all_problems_are_reported_at_once() -> None:
    data = answer(
        demands=[{"by": "Canada", "to": None, "what": "a moon base"}],
        open_issues=[{"what": "Mars tariffs", "among": ["China"]}],
    )
    with pytest.raises(ValidationError) as info:
        validate(data)
    message = str(info.value)
    for needle in ["demands[0].what", "demands[0] names 'Canada'", "open_issues[0].what"]:
        assert needle in message


def test_words_from_outside_the_chunk_are_rejected() -> None:
    # Validation sees only the chunk's sentences: words from elsewhere do not count.
    first_half = XI_SENTENCES[: len(XI_SENTENCES) // 2]
    late = "withdraw its negative initiatives against China"
    assert sentence_with(late) not in first_half
    with pytest.raises(ValidationError, match="is not in the article"):
        validate(answer(), sentences=first_half)


def test_without_sentences_in_context_only_names_are_checked() -> None:
    data = answer(open_issues=[{"what": "words from nowhere at all", "among": ["China"]}])
    assert Extraction.model_validate(data).open_issues[0].what == "words from nowhere at all"
    with pytest.raises(ValidationError, match="names 'Mars'"):
        Extraction.model_validate(answer(open_issues=[{"what": "x", "among": ["Mars"]}]))


def test_empty_null_to_means_no_addressee() -> None:
    data = answer(demands=[{"by": "China", "to": "  ", "what": "agreed to hold more trade talks"}])
    assert validate(data).demands[0].to is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("demands", 0, "what"), "   "),
        (("parties", 0, "name"), ""),
        (("summary",), " \n "),
        (("demands", 0, "what"), "word " * (MAX_TEXT // 4)),
    ],
)
def test_empty_or_overlong_text_is_rejected(path: tuple, value: str) -> None:
    data = answer()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        validate(data)


def test_blank_aliases_are_dropped() -> None:
    data = answer(parties=[{**US, "aliases": ["", "  ", "Washington"]}, CHINA])
    assert validate(data).parties[0].aliases == ["Washington"]


@pytest.mark.parametrize(
    ("key", "limit", "item"),
    [
        ("parties", 6, None),
        ("demands", 8, {"by": "China", "to": None, "what": "agreed to hold more trade talks"}),
        ("open_issues", 6, {"what": "agreed to hold more trade talks", "among": ["China"]}),
    ],
)
def test_lists_are_bounded(key: str, limit: int, item: dict | None) -> None:
    def make(i: int) -> dict:
        return {"name": f"Party {i}", "kind": "other", "aliases": []} if item is None else item

    # Only the list under test is filled; the others are empty (parties stay declared).
    base = {"demands": [], "concessions": [], "open_issues": []}
    validate(answer(**{**base, key: [make(i) for i in range(limit)]}))
    with pytest.raises(ValidationError, match=f"{key}\n  List should have at most {limit} items"):
        validate(answer(**{**base, key: [make(i) for i in range(limit + 1)]}))


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        validate(answer(sentiment="positive"))


def test_summary_keeps_at_most_three_sentences() -> None:
    extraction = validate(answer(summary="One. Two. Three. Four. Five."))
    assert extraction.summary == "One. Two. Three."


# -- grounding ----------------------------------------------------------------------------


RARE_ANSWER = {
    "parties": [
        {"name": "United States", "kind": "state", "aliases": ["Trump", "Washington"]},
        {"name": "China", "kind": "state", "aliases": ["Beijing", "Xi"]},
    ],
    "demands": [],
    "concessions": [
        {
            "by": "Washington",
            "to": "Beijing",
            "what": "lowering duties on Chinese goods to 30% from up to 145%",
            "status": "implemented",
        }
    ],
    "open_issues": [
        {
            "what": "holding back products that are essential for the industrial supply chains",
            "among": ["China"],
        }
    ],
    "summary": "Tensions flared over rare earths.",
}


@pytest.mark.parametrize(
    ("text", "data"), [(XI_CALL, answer()), (RARE, RARE_ANSWER)], ids=["xi-call", "rare-earths"]
)
def test_ground_maps_every_item_to_evidence_that_slices_back(text: str, data: dict) -> None:
    sentences = split_sentences(text)
    items = ground(validate(data, sentences), sentences)
    grounded = [*items.demands, *items.concessions, *items.open_issues]
    assert len(grounded) == len(data["demands"]) + len(data["concessions"]) + len(
        data["open_issues"]
    )
    for item in grounded:
        (e,) = item.evidence
        assert text[e.start : e.end] == e.text
        assert sentences[e.sentence - 1].start == e.start
        # The item's words come from the cited sentence (modulo quote marks).
        plain = e.text.replace("\u201c", "").replace("\u201d", "")
        assert item.text.replace("\u201c", "").replace("\u201d", "") in plain


def test_ground_uses_canonical_names_and_keeps_items_text() -> None:
    items = ground(validate(answer()), XI_SENTENCES)
    assert [p.name for p in items.parties] == ["United States", "China"]
    (demand,) = items.demands
    assert (demand.party, demand.to) == ("China", "United States")
    assert demand.text == "withdraw its negative initiatives against China"
    assert demand.evidence[0].sentence == sentence_with("withdraw its negative").number
    (concession,) = items.concessions
    assert (concession.party, concession.to, concession.status) == (
        "China",
        "United States",
        "offered",
    )
    (issue,) = items.open_issues
    assert issue.parties == ["China", "United States"]
    assert issue.evidence[0].sentence == 1


def test_ground_drops_repeated_parties_and_self_aliases() -> None:
    data = answer(
        parties=[
            {**US, "aliases": ["United States", "Washington", "Washington"]},
            CHINA,
            {"name": "United States", "kind": "other", "aliases": []},
        ]
    )
    items = ground(validate(data), XI_SENTENCES)
    assert [p.name for p in items.parties] == ["United States", "China"]
    assert items.parties[0].aliases == ["Washington"]
    assert items.parties[0].kind == "state"


def test_open_issue_party_list_is_deduplicated_after_aliasing() -> None:
    data = answer(
        open_issues=[
            {"what": "agreed to hold more trade talks", "among": ["China", "Beijing", "Mr. Xi"]}
        ]
    )
    assert ground(validate(data), XI_SENTENCES).open_issues[0].parties == ["China"]


def test_support_and_evidence_for_refuse_unlocatable_words() -> None:
    with pytest.raises(ValueError, match="no supporting sentence"):
        support("a moon base on Mars", XI_SENTENCES)
    (e,) = evidence_for("revoke visas for some Chinese students", XI_SENTENCES)
    assert XI_CALL[e.start : e.end] == e.text and "revoke visas" in e.text


# -- a validated extraction always fits the public schema -------------------------------


def test_items_in_a_long_seed_sentence_can_be_grounded() -> None:
    text = (EVALS / "us-china-geneva-joint-statement.txt").read_text(encoding="utf-8")
    sentences = split_sentences(text)
    long = max(sentences, key=lambda s: len(s.text))
    assert len(long.text) > 600
    data = {
        "parties": [{"name": "United States", "kind": "state", "aliases": []}],
        "demands": [],
        "concessions": [
            {
                "by": "United States",
                "to": None,
                "what": "suspending 24 percentage points of that rate for an initial period "
                "of 90 days",
                "status": "agreed",
            }
        ],
        "open_issues": [],
        "summary": "Both sides cut tariffs.",
    }
    items = ground(validate(data, sentences), sentences)
    (e,) = items.concessions[0].evidence
    assert text[e.start : e.end] == e.text


def test_a_validated_extraction_always_grounds() -> None:
    long_name = "The United States of America " * 5
    data = answer(parties=[{**US, "name": long_name, "aliases": ["United States"]}, CHINA])
    data["demands"] = []
    try:
        extraction = validate(data)
    except ValidationError as exc:
        # Rejecting the overlong name (so that the model is re-asked) is also correct.
        assert [e["loc"][:1] for e in exc.errors()] == [("parties",)], exc
        return
    items = ground(extraction, XI_SENTENCES)
    assert items.concessions[0].to == items.parties[0].name


def test_a_long_model_summary_does_not_crash_the_pipeline() -> None:
    summary = " ".join(["The two sides " + "talked at length " * 14 + "today."] * 3)
    assert 600 < len(summary) <= 1000

    def respond(article: str, call: int) -> dict[str, Any]:
        return answer(summary=summary)

    result = Pipeline(FakeBackend(respond)).summarize(make_article(XI_CALL))
    assert len(result.summary) <= 600
