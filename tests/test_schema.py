"""The public schema: declared party references, no empty strings, bounded lists, spans."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from pydantic import ValidationError

from summarizer.schema import (
    MAX_ITEMS,
    MAX_PARTIES,
    Evidence,
    NegotiationSummary,
    Party,
    Usage,
    normalize_name,
)

ARTICLE = "Acme offered a 12% raise. The union demanded 20%. Pensions remain unresolved."


def span(fragment: str) -> dict[str, Any]:
    start = ARTICLE.index(fragment)
    return {"start": start, "end": start + len(fragment), "text": fragment}


def summary_data() -> dict[str, Any]:
    return {
        "summary": "Acme and the union are apart on pay.",
        "parties": [
            {"name": "Acme Corp", "kind": "company", "aliases": ["Acme"]},
            {"name": "Machinists Union", "kind": "union"},
        ],
        "demands": [
            {
                "party": "Machinists Union",
                "to": "Acme Corp",
                "text": "a 20% raise",
                "evidence": [span("The union demanded 20%.")],
            }
        ],
        "concessions": [
            {
                "party": "Acme Corp",
                "to": "Machinists Union",
                "text": "a 12% raise",
                "status": "offered",
                "evidence": [span("Acme offered a 12% raise.")],
            }
        ],
        "open_issues": [
            {
                "text": "pensions",
                "parties": ["Acme Corp", "Machinists Union"],
                "evidence": [span("Pensions remain unresolved.")],
            }
        ],
        "source": {
            "title": None,
            "chars": len(ARTICLE),
            "sha256": hashlib.sha256(ARTICLE.encode()).hexdigest(),
        },
        "run": {"model": "fake", "prompt": {"name": "extract", "version": "2", "sha256": "a" * 64}},
    }


def test_valid_summary_round_trips_through_json() -> None:
    summary = NegotiationSummary.model_validate(summary_data())
    assert summary.ungrounded(ARTICLE) == []
    assert len(summary.evidence()) == 3
    again = NegotiationSummary.model_validate_json(summary.model_dump_json())
    assert again == summary


@pytest.mark.parametrize(
    ("path", "ref"),
    [
        (("demands", 0, "party"), "Acme"),  # an alias is not a canonical name
        (("demands", 0, "to"), "Teamsters"),
        (("concessions", 0, "party"), "acme corp"),
        (("concessions", 0, "to"), "Union"),
        (("open_issues", 0, "parties", 1), "Mayor"),
    ],
)
def test_every_party_reference_names_a_declared_party(path: tuple, ref: str) -> None:
    data = summary_data()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = ref
    with pytest.raises(ValidationError, match=f"names undeclared party '{ref}'"):
        NegotiationSummary.model_validate(data)


def test_party_names_must_be_unique() -> None:
    data = summary_data()
    data["parties"].append({"name": "Acme Corp", "kind": "other"})
    with pytest.raises(ValidationError, match="party names must be unique"):
        NegotiationSummary.model_validate(data)


@pytest.mark.parametrize(
    "path",
    [
        ("summary",),
        ("parties", 0, "name"),
        ("parties", 0, "aliases", 0),
        ("demands", 0, "text"),
        ("concessions", 0, "text"),
        ("open_issues", 0, "text"),
        ("demands", 0, "evidence", 0, "text"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_no_empty_strings(path: tuple, blank: str) -> None:
    data = summary_data()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = blank
    with pytest.raises(ValidationError, match="at least 1 character"):
        NegotiationSummary.model_validate(data)


def test_strings_are_stripped() -> None:
    data = summary_data()
    data["summary"] = "  Apart on pay.  "
    assert NegotiationSummary.model_validate(data).summary == "Apart on pay."


@pytest.mark.parametrize(
    ("key", "limit"),
    [("parties", MAX_PARTIES), ("demands", MAX_ITEMS), ("concessions", MAX_ITEMS)],
)
def test_lists_are_bounded(key: str, limit: int) -> None:
    data = summary_data()
    if key == "parties":
        data["parties"] += [{"name": f"Extra {i}"} for i in range(limit - 2)]
    else:
        data[key] = [copy.deepcopy(data[key][0]) for _ in range(limit)]
    NegotiationSummary.model_validate(data)
    data[key].append(
        copy.deepcopy(data[key][-1]) | ({"name": "One too many"} if key == "parties" else {})
    )
    with pytest.raises(ValidationError, match=f"{key}\n  List should have at most {limit} items"):
        NegotiationSummary.model_validate(data)


def test_evidence_list_is_bounded_and_not_empty() -> None:
    data = summary_data()
    data["demands"][0]["evidence"] = []
    with pytest.raises(ValidationError, match="at least 1 item"):
        NegotiationSummary.model_validate(data)
    data["demands"][0]["evidence"] = [span("The union demanded 20%.")] * 7
    with pytest.raises(ValidationError, match="at most 6 items"):
        NegotiationSummary.model_validate(data)


@pytest.mark.parametrize(("start", "end"), [(5, 5), (9, 3), (-1, 4), (0, 0)])
def test_evidence_end_must_follow_start(start: int, end: int) -> None:
    with pytest.raises(ValidationError):
        Evidence(start=start, end=end, text="x")


def test_evidence_order_error_is_explicit() -> None:
    with pytest.raises(ValidationError, match="evidence end 5 must be after start 5"):
        Evidence(start=5, end=5, text="x")
    assert Evidence(start=5, end=6, text="x").end == 6


def test_unknown_fields_and_bad_enums_are_rejected() -> None:
    data = summary_data()
    data["concessions"][0]["status"] = "rumoured"
    with pytest.raises(ValidationError, match="status"):
        NegotiationSummary.model_validate(data)
    data = summary_data()
    data["demands"][0]["confidence"] = 0.9
    with pytest.raises(ValidationError, match="Extra inputs"):
        NegotiationSummary.model_validate(data)
    with pytest.raises(ValidationError, match="kind"):
        Party(name="Acme", kind="corporation")


def test_source_hash_must_be_a_sha256() -> None:
    data = summary_data()
    data["source"]["sha256"] = "not-a-hash"
    with pytest.raises(ValidationError, match="sha256"):
        NegotiationSummary.model_validate(data)


def test_ungrounded_lists_spans_that_do_not_slice_back() -> None:
    data = summary_data()
    bad = data["demands"][0]["evidence"][0]
    bad["start"] += 1
    bad["end"] += 1
    summary = NegotiationSummary.model_validate(data)
    assert [e.text for e in summary.ungrounded(ARTICLE)] == ["The union demanded 20%."]


def test_usage_adds_up() -> None:
    total = Usage(prompt_tokens=3, completion_tokens=4, calls=1) + Usage(
        prompt_tokens=10, completion_tokens=1, calls=2
    )
    assert total == Usage(prompt_tokens=13, completion_tokens=5, calls=3)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("United States", "the united states"),
        ("U.S.", "US"),
        ("China\u2019s government", "China's Government"),
        ("The White House", "white house"),
    ],
)
def test_normalize_name_ignores_case_punctuation_and_the(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_keeps_different_names_apart() -> None:
    assert normalize_name("Theodore Corp") != normalize_name("odore Corp")
    assert normalize_name("United States") != normalize_name("United Kingdom")
