"""Merging chunk results: parties unified by alias, duplicates removed, offsets kept."""

from __future__ import annotations

from fakes import seed

from summarizer.grounding.chunking import chunk_sentences
from summarizer.grounding.citations import Items, ground
from summarizer.grounding.extraction import Extraction
from summarizer.grounding.merge import dedupe, merge_items, merge_parties, similar_text
from summarizer.grounding.sentences import split_sentences
from summarizer.schema import (
    MAX_ITEMS,
    MAX_PARTIES,
    Concession,
    Demand,
    Evidence,
    NegotiationSummary,
    OpenIssue,
    Party,
    PromptInfo,
    RunInfo,
    SourceInfo,
)

ARTICLE = (
    "Washington demanded an end to export controls on rare earths. "
    "Beijing offered to review licences for magnet exporters.\n"
    "The United States also demanded that China lift visa rules for students. "
    "Whether tariffs will fall further remains unclear."
)
SENTENCES = split_sentences(ARTICLE)


def ev(number: int) -> Evidence:
    s = SENTENCES[number - 1]
    return Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)


def as_summary(items: Items) -> NegotiationSummary:
    """Validate merged items the way the pipeline does (references must be declared)."""
    return NegotiationSummary(
        summary=items.summary or "x",
        parties=items.parties,
        demands=items.demands,
        concessions=items.concessions,
        open_issues=items.open_issues,
        source=SourceInfo(chars=1, sha256="0" * 64),
        run=RunInfo(model="fake", prompt=PromptInfo(name="p", version="1", sha256="0" * 64)),
    )


# -- parties ------------------------------------------------------------------------------


def test_parties_unify_by_alias_and_the_first_name_wins() -> None:
    first = [
        Party(name="United States", kind="state", aliases=["Washington"]),
        Party(name="China", kind="state", aliases=["Beijing"]),
    ]
    second = [
        Party(name="Washington", kind="other", aliases=["the U.S."]),
        Party(name="Beijing", kind="other", aliases=["Chinese government"]),
        Party(name="European Union", kind="organisation"),
    ]
    merged, canon = merge_parties([first, second])
    assert [p.name for p in merged] == ["United States", "China", "European Union"]
    us, china, eu = merged
    assert us.kind == "state" and "the U.S." in us.aliases and "Washington" in us.aliases
    assert china.aliases == ["Beijing", "Chinese government"]
    assert eu.kind == "organisation"
    # Every spelling maps to the canonical (first) name.
    assert canon["washington"] == canon["us"] == "United States"
    assert canon["chinesegovernment"] == "China"
    # The inputs are not modified.
    assert first[0].aliases == ["Washington"]


def test_party_names_match_ignoring_case_punctuation_and_leading_the() -> None:
    merged, _ = merge_parties(
        [
            [Party(name="United Auto Workers", kind="union", aliases=["U.A.W."])],
            [Party(name="the united auto workers"), Party(name="UAW")],
        ]
    )
    assert [p.name for p in merged] == ["United Auto Workers"]


def test_a_later_kind_fills_in_an_unknown_kind() -> None:
    merged, _ = merge_parties(
        [[Party(name="Acme", kind="other")], [Party(name="Acme", kind="company")]]
    )
    assert merged[0].kind == "company"


def test_unrelated_parties_stay_apart_in_order() -> None:
    merged, _ = merge_parties([[Party(name="Acme")], [Party(name="Union")], [Party(name="Mayor")]])
    assert [p.name for p in merged] == ["Acme", "Union", "Mayor"]


# -- items --------------------------------------------------------------------------------


def test_single_chunk_keeps_its_content() -> None:
    items = Items(parties=[Party(name="A")], summary="One.")
    merged = merge_items([items])
    assert merged.parties == items.parties
    assert merged.summary == "One."


def test_duplicate_demand_from_the_overlap_is_kept_once_with_both_spans() -> None:
    a = Demand(party="United States", text="an end to export controls", evidence=[ev(1)])
    b = Demand(party="United States", text="An end to export controls!", evidence=[ev(3)])
    (kept,) = dedupe([a, b])
    assert kept.text == "an end to export controls"
    assert [e.sentence for e in kept.evidence] == [1, 3]


def test_similar_items_citing_the_same_sentence_are_one_item() -> None:
    a = Demand(party="US", text="an end to export controls on rare earths", evidence=[ev(1)])
    b = Demand(party="US", text="end export controls on rare earths", evidence=[ev(1)])
    assert similar_text(a.text, b.text) >= 0.5
    assert len(dedupe([a, b])) == 1


def test_different_items_are_all_kept() -> None:
    items = [
        # same sentence, different content
        Demand(party="US", text="an end to export controls", evidence=[ev(1)]),
        Demand(party="US", text="rare earths", evidence=[ev(1)]),
        # same text, different party
        Demand(party="China", text="an end to export controls", evidence=[ev(1)]),
        # similar text, different sentences
        Demand(party="US", text="China lift visa rules for students", evidence=[ev(3)]),
        Demand(party="US", text="China lift visa rules", evidence=[ev(1)]),
    ]
    assert dedupe(items) == items


def test_open_issues_dedupe_without_regard_to_parties() -> None:
    a = OpenIssue(text="whether tariffs will fall", parties=["US"], evidence=[ev(4)])
    b = OpenIssue(text="Whether tariffs will fall", parties=["China"], evidence=[ev(4)])
    assert len(dedupe([a, b])) == 1


def test_dedupe_caps_the_item_count() -> None:
    items = [
        Concession(party="A", text=f"clause{i}", status="offered", evidence=[ev(2)])
        for i in range(MAX_ITEMS + 5)
    ]
    assert len(dedupe(items)) == MAX_ITEMS


def test_merge_renames_references_and_validates() -> None:
    chunk1 = Items(
        parties=[
            Party(name="United States", kind="state", aliases=["Washington"]),
            Party(name="China", kind="state", aliases=["Beijing"]),
        ],
        demands=[
            Demand(
                party="United States",
                to="China",
                text="an end to export controls",
                evidence=[ev(1)],
            )
        ],
        concessions=[
            Concession(
                party="China",
                to="United States",
                text="review licences",
                status="offered",
                evidence=[ev(2)],
            )
        ],
        summary="The two sides are talking. Controls remain.",
    )
    chunk2 = Items(
        parties=[
            Party(name="Washington", aliases=["United States"]),
            Party(name="Beijing", aliases=["China"]),
        ],
        demands=[
            Demand(
                party="Washington", to="Beijing", text="An end to export controls", evidence=[ev(1)]
            ),
            Demand(party="Washington", to="Beijing", text="lift visa rules", evidence=[ev(3)]),
        ],
        concessions=[
            Concession(
                party="Beijing",
                to="Washington",
                text="review licences",
                status="offered",
                evidence=[ev(2)],
            )
        ],
        open_issues=[
            OpenIssue(
                text="whether tariffs will fall",
                parties=["Washington", "United States"],
                evidence=[ev(4)],
            )
        ],
        summary="Controls remain. Tariffs are unsettled.",
    )
    merged = merge_items([chunk1, chunk2])
    assert [p.name for p in merged.parties] == ["United States", "China"]
    assert [(d.party, d.to, d.text) for d in merged.demands] == [
        ("United States", "China", "an end to export controls"),
        ("United States", "China", "lift visa rules"),
    ]
    assert [(c.party, c.to) for c in merged.concessions] == [("China", "United States")]
    assert merged.open_issues[0].parties == ["United States"]
    assert merged.summary == "The two sides are talking. Controls remain. Tariffs are unsettled."
    summary = as_summary(merged)
    assert summary.ungrounded(ARTICLE) == []


def test_overlapping_seed_chunks_merge_to_global_offsets() -> None:
    text = seed("us-china-trump-xi-call.txt")
    sentences = split_sentences(text)
    chunks = chunk_sentences(text, sentences, max_chars=2500, overlap_chars=700)
    assert len(chunks) >= 3
    # An item in the overlap of the first two chunks, extracted by both.
    shared = [s for s in chunks[1] if s in chunks[0]]
    assert shared, "the chunks overlap"
    target = shared[-1]
    what = " ".join(target.text.split()[:8])

    def extraction(name: str, chunk: list) -> Extraction:
        data = {
            "parties": [{"name": name, "kind": "state", "aliases": ["Beijing", "China"]}],
            "demands": [],
            "concessions": [],
            "open_issues": [{"what": what, "among": [name]}],
            "summary": "The call eased tensions.",
        }
        return Extraction.model_validate(data, context={"sentences": chunk})

    parts = [ground(extraction("China", chunks[0]), chunks[0])]
    parts.append(ground(extraction("Beijing", chunks[1]), chunks[1]))
    merged = merge_items(parts)
    assert [p.name for p in merged.parties] == ["China"]
    (issue,) = merged.open_issues
    assert issue.parties == ["China"]
    assert [(e.start, e.end, e.sentence) for e in issue.evidence] == [
        (target.start, target.end, target.number)
    ]
    assert text[issue.evidence[0].start : issue.evidence[0].end] == issue.evidence[0].text
    assert merged.summary == "The call eased tensions."


def test_merge_never_leaves_references_to_dropped_parties() -> None:
    chunks = []
    for c in range(3):
        parties = [Party(name=f"Party {c}-{i}") for i in range(6)]
        chunks.append(
            Items(
                parties=parties,
                demands=[Demand(party=parties[-1].name, text=f"demand {c}", evidence=[ev(1)])],
                summary="Talks.",
            )
        )
    merged = merge_items(chunks)
    assert len(merged.parties) <= MAX_PARTIES
    declared = {p.name for p in merged.parties}
    assert {d.party for d in merged.demands} <= declared
    as_summary(merged)
