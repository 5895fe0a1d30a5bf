"""Markdown rendering: parties, items and their citations, for a person to read."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import FakeBackend, empty_answer, seed

from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import make_article
from summarizer.io.markdown import to_markdown
from summarizer.pipeline import Pipeline
from summarizer.schema import Evidence, NegotiationSummary

XI_CALL = seed("us-china-trump-xi-call.txt")


def xi_answer(article: str, call: int) -> dict[str, Any]:
    return {
        "parties": [
            {"name": "United States", "kind": "state", "aliases": ["Washington", "Mr. Trump"]},
            {"name": "China", "kind": "state", "aliases": ["Beijing", "Mr. Xi"]},
        ],
        "demands": [
            {"by": "Mr. Xi", "to": "Washington", "what": "withdraw its negative initiatives"}
        ],
        "concessions": [
            {
                "by": "China",
                "to": "United States",
                "what": "pledged to suspend or remove what it called non-tariff countermeasures",
                "status": "agreed",
            }
        ],
        "open_issues": [
            {"what": "agreed to hold more trade talks", "among": ["China", "United States"]}
        ],
        "summary": "China and the United States agreed to hold more trade talks.",
    }


@pytest.fixture(scope="module")
def xi_summary() -> NegotiationSummary:
    return Pipeline(FakeBackend(xi_answer)).summarize(make_article(XI_CALL))


def sentence_with(fragment: str):
    (hit,) = [s for s in split_sentences(XI_CALL) if fragment in s.text]
    return hit


def test_markdown_has_summary_parties_items_and_citations(xi_summary) -> None:
    md = to_markdown(xi_summary)
    lines = md.splitlines()
    assert lines[0] == "# Negotiation summary"
    assert "China and the United States agreed to hold more trade talks." in lines
    assert "- **United States** \u2014 state (also: Washington, Mr. Trump)" in lines
    assert "- **China** \u2014 state (also: Beijing, Mr. Xi)" in lines

    demand = sentence_with("withdraw its negative initiatives")
    assert "- **China** \u2192 United States: withdraw its negative initiatives  " in lines, md
    # The citation names the sentence number and quotes the article's own sentence.
    cite = next(line for line in lines if line.startswith(f"  [{demand.number}] "))
    assert demand.text[:100] in cite

    concession = sentence_with("non-tariff countermeasures")
    assert any(
        line.startswith("- **China** \u2192 United States: pledged to suspend")
        and line.endswith("\u2014 *agreed*  ")
        for line in lines
    )
    assert any(line.startswith(f"  [{concession.number}] _\u201c") for line in lines)

    assert "- agreed to hold more trade talks (China, United States)  " in lines
    assert "  [1] _\u201cChina and the United States on Wednesday agreed" in md


def test_sections_appear_in_order_with_a_footer(xi_summary) -> None:
    md = to_markdown(xi_summary, heading="Trump and Xi")
    order = [
        md.index(h)
        for h in ("# Trump and Xi", "## Parties", "## Demands", "## Concessions", "## Open issues")
    ]
    assert order == sorted(order)
    footer = md.rstrip().splitlines()[-1]
    run = xi_summary.run
    assert f"prompt {run.prompt.name} v{run.prompt.version} ({run.prompt.sha256[:12]})" in footer
    assert "model `fake`" in footer and "in 1 call(s)" in footer


def test_long_quotes_are_shortened(xi_summary) -> None:
    md = to_markdown(xi_summary)
    long = sentence_with("non-tariff countermeasures")
    assert len(long.text) > 160
    assert long.text not in md
    assert long.text[:100] in md and "...\u201d_" in md


def test_empty_summary_says_so() -> None:
    summary = Pipeline(FakeBackend(lambda a, c: empty_answer())).summarize(
        make_article("The weather was fine on Tuesday.", title="Weather")
    )
    md = to_markdown(summary)
    assert md.startswith("# Weather\n")
    assert "_None identified._" in md
    assert md.count("_None reported._") == 3


def test_evidence_without_a_sentence_number_cites_its_offset(xi_summary) -> None:
    data = xi_summary.model_dump()
    data["demands"][0]["evidence"] = [Evidence(start=7, end=30, text=XI_CALL[7:30]).model_dump()]
    data["run"]["cached"] = True
    md = to_markdown(NegotiationSummary.model_validate(data))
    assert f"  @7 _\u201c{XI_CALL[7:30]}\u201d_" in md
    assert "\u00b7 cached" in md


def test_an_item_that_is_its_sentence_is_not_quoted_twice() -> None:
    from summarizer.io.markdown import to_markdown
    from summarizer.schema import (
        Concession,
        Evidence,
        NegotiationSummary,
        Party,
        PromptInfo,
        RunInfo,
        SourceInfo,
    )

    sentence = "Mexico agreed to cut the cheese tariffs by half."
    ev = Evidence(start=0, end=len(sentence), text=sentence, sentence=3)
    summary = NegotiationSummary(
        summary="Talks.",
        parties=[Party(name="Mexico"), Party(name="Canada")],
        concessions=[
            Concession(party="Mexico", to="Canada", text=sentence, status="agreed", evidence=[ev])
        ],
        source=SourceInfo(chars=len(sentence), sha256="0" * 64),
        run=RunInfo(model="m", prompt=PromptInfo(name="p", version="1", sha256="0" * 64)),
    )
    text = to_markdown(summary)
    assert text.count(sentence) == 1
    assert "(sentence [3], quoted)" in text


def test_a_quote_that_opens_with_a_quotation_mark_is_not_quoted_twice() -> None:
    from summarizer.io.markdown import _cite

    said = "\u201cThey want to wait and see how things go\u201d with trade negotiations."
    cited = _cite([Evidence(start=0, end=len(said), text=said, sentence=28)], "whether")
    assert cited == f"[28] _{said}_"
    plain = "China agreed to talk."
    cited = _cite([Evidence(start=0, end=len(plain), text=plain, sentence=3)], "talks")
    assert cited == "[3] _\u201cChina agreed to talk.\u201d_"
