"""Series tracking: the Tracker on hand-built summaries, the seed pair on gold-derived
summaries (MiniLM), series ordering, ``summarizer track`` on a fake backend, a long
series streamed lazily, and the public ``summarizer.track``.

Nothing here loads the embedded model: summaries are built by hand or by a fake backend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import EVALS, FakeBackend, union_company_responder

import summarizer
from summarizer import Summarizer
from summarizer.cli import track_cmd
from summarizer.cli.main import main
from summarizer.errors import UsageError
from summarizer.evaluation.gold import Gold, check_gold_file
from summarizer.evaluation.synthetic import make_summary
from summarizer.io.inputs import Article
from summarizer.schema import (
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
from summarizer.similarity.text import LexicalSimilarity, make_similarity
from summarizer.similarity.threshold import default_threshold
from summarizer.tracking import series
from summarizer.tracking.model import TRACK_SCHEMA_VERSION, Change, Step, Timeline
from summarizer.tracking.parties import PartyBook
from summarizer.tracking.run import iter_track, make_tracker, series_of
from summarizer.tracking.series import SeriesArticle
from summarizer.tracking.tracker import Tracker

# -- building grounded summaries by hand --------------------------------------------------


def evidence(text: str, quote: str) -> list[Evidence]:
    start = text.index(quote)
    return [Evidence(start=start, end=start + len(quote), text=quote)]


def build(
    text: str,
    parties: list[Party],
    *,
    demands: tuple[tuple[str, str | None, str], ...] = (),
    concessions: tuple[tuple[str, str | None, str, str], ...] = (),
    issues: tuple[tuple[tuple[str, ...], str], ...] = (),
    summary: str = "The sides negotiated.",
) -> NegotiationSummary:
    """A validated summary of ``text``; every item's text is its evidence quote.

    demands: (party, to, quote); concessions: (party, to, quote, status);
    issues: (parties, quote)."""
    return NegotiationSummary(
        summary=summary,
        parties=parties,
        demands=[Demand(party=p, to=t, text=q, evidence=evidence(text, q)) for p, t, q in demands],
        concessions=[
            Concession(party=p, to=t, text=q, status=s, evidence=evidence(text, q))  # type: ignore[arg-type]
            for p, t, q, s in concessions
        ],
        open_issues=[
            OpenIssue(text=q, parties=list(ps), evidence=evidence(text, q)) for ps, q in issues
        ],
        source=SourceInfo(
            title=None, chars=len(text), sha256=hashlib.sha256(text.encode()).hexdigest()
        ),
        run=RunInfo(model="hand", prompt=PromptInfo(name="hand", version="0", sha256="0" * 64)),
    )


def lexical_tracker() -> Tracker:
    return Tracker(LexicalSimilarity(), default_threshold("lexical"))


# -- a four-article series (plus one failed article) read with lexical similarity --------

A1_D_RARE = "Washington demanded that Beijing lift export curbs on rare earth magnets."
A1_D_STEEL = "Washington also demanded an end to state subsidies for steel mills."
A1_C_FISH = "Beijing offered to extend the fishing moratorium in the Yellow Sea."
A1_I_PORT = "Whether the port inspection schedule will change remains unresolved."
A2_D_RARE = "The United States again demanded that China lift export curbs on rare earth magnets."
A2_C_FISH = "China agreed to extend the fishing moratorium in the Yellow Sea."
A3_C_FISH = "The PRC has now extended the fishing moratorium in the Yellow Sea."
A3_C_RARE = "The PRC agreed to lift export curbs on rare earth magnets."
A3_C_PORT = "The U.S. agreed to a new port inspection schedule."
A4_D_STEEL = "Washington renewed its demand for an end to state subsidies for steel mills."

ARTICLES = {
    "a1": f"Trade talks open\n\n{A1_D_RARE} {A1_D_STEEL} {A1_C_FISH} {A1_I_PORT}\n",
    "a2": f"Talks continue\n\nNegotiators met for a second day. {A2_D_RARE} {A2_C_FISH}\n",
    "a3": f"A breakthrough\n\n{A3_C_FISH} {A3_C_RARE} Officials said {A3_C_PORT}\n",
    "a4": f"Steel back on the table\n\nAfter a pause, {A4_D_STEEL} No date was set.\n",
}
FAILED = "broken"
FAILURE = "the model timed out"


def hand_summaries() -> dict[str, NegotiationSummary]:
    a1, a2, a3, a4 = (ARTICLES[k] for k in ("a1", "a2", "a3", "a4"))
    w, b = "Washington", "Beijing"
    us, cn = "United States", "China"
    return {
        "a1": build(
            a1,
            [Party(name=w, kind="state", aliases=["U.S."]), Party(name=b, kind="state")],
            demands=((w, b, A1_D_RARE), (w, b, A1_D_STEEL)),
            concessions=((b, w, A1_C_FISH, "offered"),),
            issues=(((w, b), A1_I_PORT),),
        ),
        "a2": build(
            a2,
            [Party(name=us, aliases=["America"]), Party(name=cn, aliases=["PRC"])],
            demands=((us, cn, A2_D_RARE),),
            concessions=((cn, us, A2_C_FISH, "agreed"),),
        ),
        "a3": build(
            a3,
            [Party(name="PRC"), Party(name="U.S.")],
            concessions=(
                ("PRC", "U.S.", A3_C_FISH, "implemented"),
                ("PRC", "U.S.", A3_C_RARE, "agreed"),
                ("U.S.", "PRC", A3_C_PORT, "agreed"),
            ),
        ),
        "a4": build(
            a4,
            [Party(name=w), Party(name=b)],
            demands=((w, b, A4_D_STEEL),),
        ),
    }


class SeriesRun:
    """The four hand-built articles, with a failed article between a2 and a3."""

    def __init__(self) -> None:
        summaries = hand_summaries()
        self.tracker = lexical_tracker()
        self.steps: dict[str, Step] = {}
        for article in ("a1", "a2"):
            self.steps[article] = self.tracker.step(article, summaries[article])
        self.items_before_failure = [it.model_dump() for it in self.tracker.items]
        self.links_before_failure = [link.model_dump() for link in self.tracker.links]
        self.steps[FAILED] = self.tracker.step(FAILED, None, error=FAILURE)
        self.items_after_failure = [it.model_dump() for it in self.tracker.items]
        self.links_after_failure = [link.model_dump() for link in self.tracker.links]
        for article in ("a3", "a4"):
            self.steps[article] = self.tracker.step(article, summaries[article])
        self.timeline = self.tracker.timeline(list(self.steps.values()))

    def item_id(self, kind: str, first_text: str) -> str:
        """The id of the item first read with ``first_text``."""
        found = [it.id for it in self.timeline.items if it.kind == kind and it.text == first_text]
        assert len(found) == 1, (kind, first_text, [i.text for i in self.timeline.items])
        return found[0]

    def changes(self, article: str, kind: str | None = None) -> list[Change]:
        return [c for c in self.steps[article].changes if kind is None or c.kind == kind]


@pytest.fixture(scope="module")
def run() -> SeriesRun:
    return SeriesRun()


def test_first_article_items_are_all_new(run: SeriesRun) -> None:
    kinds = sorted(c.kind for c in run.changes("a1"))
    assert kinds == ["issue_opened", "new_concession", "new_demand", "new_demand"]
    ids = [c.item for c in run.changes("a1")]
    assert len(set(ids)) == len(ids)
    assert {i[0] for i in ids} == {"D", "C", "I"}  # documented id prefixes


def test_parties_unify_across_names(run: SeriesRun) -> None:
    # Washington / United States / U.S. and Beijing / China / PRC are two sides.
    names = [p.name for p in run.timeline.parties]
    assert sorted(names) == ["China", "United States"]
    china = next(p for p in run.timeline.parties if p.name == "China")
    us = next(p for p in run.timeline.parties if p.name == "United States")
    assert {"Beijing", "PRC"} <= set(china.aliases)
    assert {"Washington", "U.S."} <= set(us.aliases)
    assert not {"Washington", "U.S.", "America"} & set(china.aliases)
    assert not {"Beijing", "PRC"} & set(us.aliases)
    for step in run.steps.values():
        for c in step.changes:
            assert c.party in (None, "China", "United States"), c
            assert c.to in (None, "China", "United States"), c
    # the side of each item is the series name, whatever the article called it
    rare = run.timeline.item(run.item_id("demand", A1_D_RARE))
    assert (rare.party, rare.to) == ("United States", "China")
    fish = run.timeline.item(run.item_id("concession", A1_C_FISH))
    assert (fish.party, fish.to) == ("China", "United States")


def test_a_demand_said_again_keeps_its_id_and_gains_evidence(run: SeriesRun) -> None:
    rare = run.item_id("demand", A1_D_RARE)
    again = [c for c in run.changes("a2") if c.item == rare]
    assert [c.kind for c in again] == ["restated"]
    assert again[0].evidence is not None and again[0].evidence.text == A2_D_RARE
    assert not run.changes("a2", "new_demand")  # not a second item
    item = run.timeline.item(rare)
    assert [(s.article, s.text) for s in item.evidence] == [("a1", A1_D_RARE), ("a2", A2_D_RARE)]
    assert item.first_seen == "a1"


def test_concession_advances_offered_agreed_implemented(run: SeriesRun) -> None:
    fish = run.item_id("concession", A1_C_FISH)
    assert run.steps["a1"].state.concessions[fish] == "offered"
    for article, before, after, quote in (
        ("a2", "offered", "agreed", A2_C_FISH),
        ("a3", "agreed", "implemented", A3_C_FISH),
    ):
        moved = [c for c in run.changes(article) if c.item == fish]
        assert [c.kind for c in moved] == ["concession_advanced"], article
        assert (moved[0].from_status, moved[0].to_status) == (before, after)
        assert moved[0].evidence is not None and moved[0].evidence.text == quote
        assert run.steps[article].state.concessions[fish] == after
    assert run.timeline.item(fish).status == "implemented"
    assert len([i for i in run.timeline.items if i.kind == "concession"]) == 3


def test_other_sides_concession_meets_an_earlier_demand(run: SeriesRun) -> None:
    rare = run.item_id("demand", A1_D_RARE)
    conceded = run.item_id("concession", A3_C_RARE)
    met = run.changes("a3", "demand_met")
    assert len(met) == 1
    assert met[0].answers == rare
    assert met[0].item == conceded
    assert (met[0].party, met[0].to) == ("China", "United States")
    assert met[0].evidence is not None and met[0].evidence.text == A3_C_RARE
    assert met[0].reason
    links = [(x.concession, x.demand, x.article) for x in run.steps["a3"].links]
    assert (conceded, rare, "a3") in links
    assert (conceded, rare, "a3") in [
        (x.concession, x.demand, x.article) for x in run.timeline.links
    ]
    assert rare in run.steps["a3"].state.met_demands
    assert rare not in run.steps["a3"].state.open_demands
    # the fishing and port concessions answer nothing the US asked of China
    assert len(run.timeline.links) == 1
    # a met demand is not "not mentioned" afterwards
    assert rare not in [c.item for c in run.changes("a4", "demand_not_mentioned")]
    assert rare in run.steps["a4"].state.met_demands


def test_unmentioned_demand_once_then_restated(run: SeriesRun) -> None:
    steel = run.item_id("demand", A1_D_STEEL)
    quiet = [c for c in run.changes("a2") if c.item == steel]
    assert [c.kind for c in quiet] == ["demand_not_mentioned"]
    assert quiet[0].evidence is None
    assert (quiet[0].party, quiet[0].to) == ("United States", "China")
    assert run.steps["a2"].state.unmentioned_demands == [steel]
    # not said again in a3: not repeated, still unmentioned
    assert not [c for c in run.changes("a3") if c.item == steel]
    assert steel in run.steps["a3"].state.unmentioned_demands
    # said again in a4: restated, open again, with evidence from a1 and a4
    back = [c for c in run.changes("a4") if c.item == steel]
    assert [c.kind for c in back] == ["restated"]
    assert back[0].evidence is not None and back[0].evidence.text == A4_D_STEEL
    assert steel in run.steps["a4"].state.open_demands
    assert steel not in run.steps["a4"].state.unmentioned_demands
    assert [s.article for s in run.timeline.item(steel).evidence] == ["a1", "a4"]
    assert run.timeline.item(steel).state == "open"


def test_open_issue_settled_by_an_agreed_concession(run: SeriesRun) -> None:
    port = run.item_id("open_issue", A1_I_PORT)
    assert run.steps["a2"].state.open_issues == [port]  # silence does not settle it
    resolved = run.changes("a3", "issue_resolved")
    assert len(resolved) == 1
    assert resolved[0].item == port and resolved[0].answers == port
    assert resolved[0].evidence is not None and resolved[0].evidence.text == A3_C_PORT
    assert run.steps["a3"].state.resolved_issues == [port]
    assert run.steps["a3"].state.open_issues == []
    assert run.timeline.item(port).state == "resolved"


def test_second_article_changes_are_exactly_the_diff(run: SeriesRun) -> None:
    got = sorted((c.kind, c.item) for c in run.changes("a2"))
    want = sorted(
        [
            ("restated", run.item_id("demand", A1_D_RARE)),
            ("concession_advanced", run.item_id("concession", A1_C_FISH)),
            ("demand_not_mentioned", run.item_id("demand", A1_D_STEEL)),
        ]
    )
    assert got == want


def test_every_change_cites_its_own_article(run: SeriesRun) -> None:
    seen = 0
    for article, step in run.steps.items():
        assert step.article.id == article
        for c in step.changes:
            assert c.article == article
            if c.kind == "demand_not_mentioned":
                assert c.evidence is None
                continue
            span = c.evidence
            assert span is not None, c
            assert span.article == c.article
            assert ARTICLES[article][span.start : span.end] == span.text
            seen += 1
    assert seen >= 10
    for item in run.timeline.items:
        for span in item.evidence:
            assert ARTICLES[span.article][span.start : span.end] == span.text


def test_failed_article_changes_nothing(run: SeriesRun) -> None:
    step = run.steps[FAILED]
    assert step.article.error == FAILURE
    assert step.article.index == 2
    assert step.changes == [] and step.links == []
    assert step.state == run.steps["a2"].state
    assert run.items_after_failure == run.items_before_failure
    assert run.links_after_failure == run.links_before_failure
    assert run.steps["a3"].article.index == 3


def test_timeline_round_trips_as_json(run: SeriesRun) -> None:
    data = json.loads(run.timeline.model_dump_json())
    assert data["schema_version"] == TRACK_SCHEMA_VERSION
    assert Timeline.model_validate(data) == run.timeline


# -- links: who concedes to whom ----------------------------------------------------------

U_TEXT = "The Machinists Union demanded a four-day week at every Acme plant."
U_SAME = "The Machinists Union agreed to a four-day week trial at every Acme plant."
U_WRONG_TO = "Acme Corp agreed to a four-day week at every Globex plant it runs."
U_RIGHT = "Acme Corp agreed to a four-day week at every Acme plant."
UNION, ACME, GLOBEX = "Machinists Union", "Acme Corp", "Globex"


def test_concession_by_the_demanding_side_or_to_someone_else_does_not_link() -> None:
    b1 = f"Talks\n\n{U_TEXT}\n"
    b2 = f"Day two\n\n{U_SAME} {U_WRONG_TO}\n"
    b3 = f"Deal\n\n{U_RIGHT}\n"
    parties = [Party(name=UNION, kind="union"), Party(name=ACME, kind="company")]
    tracker = lexical_tracker()
    tracker.step("b1", build(b1, parties, demands=((UNION, ACME, U_TEXT),)))
    s2 = tracker.step(
        "b2",
        build(
            b2,
            [*parties, Party(name=GLOBEX, kind="company")],
            concessions=((UNION, ACME, U_SAME, "agreed"), (ACME, GLOBEX, U_WRONG_TO, "agreed")),
        ),
    )
    sim = LexicalSimilarity()
    threshold = default_threshold("lexical")
    # the texts are similar enough: only the sides keep them apart
    assert sim.pair(U_SAME, U_TEXT) >= threshold and sim.pair(U_WRONG_TO, U_TEXT) >= threshold
    assert s2.links == [] and not [c for c in s2.changes if c.kind == "demand_met"]
    assert [c.kind for c in s2.changes if c.item_kind == "demand"] == ["demand_not_mentioned"]
    # control: the other side, conceding to the demander, does meet it
    s3 = tracker.step("b3", build(b3, parties, concessions=((ACME, UNION, U_RIGHT, "agreed"),)))
    met = [c for c in s3.changes if c.kind == "demand_met"]
    assert len(met) == 1 and met[0].answers == "D1"
    assert [(x.demand, x.article) for x in s3.links] == [("D1", "b3")]
    assert s3.state.met_demands == ["D1"]


# -- parties: a wrong alias does not merge two sides ---------------------------------------


def test_other_sides_capital_as_alias_does_not_merge() -> None:
    t1 = "Opening\n\nThe United States demanded lower tariffs on soybeans.\n"
    t2 = "Reply\n\nBeijing agreed to lower tariffs on soybeans.\n"
    tracker = lexical_tracker()
    us = Party(name="United States", aliases=["Washington", "Beijing"])  # a wrong alias
    tracker.step(
        "t1",
        build(t1, [us], demands=(("United States", None, t1.split("\n\n")[1].strip()),)),
    )
    quote = "Beijing agreed to lower tariffs on soybeans."
    step = tracker.step(
        "t2", build(t2, [Party(name="Beijing")], concessions=(("Beijing", None, quote, "agreed"),))
    )
    parties = {p.name: p for p in tracker.book.parties}
    assert sorted(parties) == ["China", "United States"]
    assert "Beijing" not in parties["United States"].aliases
    assert "Beijing" in parties["China"].aliases
    conceded = [c for c in step.changes if c.item_kind == "concession"]
    assert conceded and all(c.party == "China" for c in conceded)
    # so China's concession can answer the US demand
    assert [c.answers for c in step.changes if c.kind == "demand_met"] == ["D1"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            [Party(name="China", aliases=["Beijing", "Washington"])],
            [Party(name="Washington")],
        ),
        (
            [Party(name="China", aliases=["Beijing", "Washington"]), Party(name="United States")],
            [Party(name="Washington"), Party(name="Beijing")],
        ),
    ],
    ids=["later-article", "same-article"],
)
def test_capital_alias_in_party_book(first: list[Party], second: list[Party]) -> None:
    book = PartyBook()
    book.add(first, "x1")
    mapping = book.add(second, "x2")
    assert mapping["Washington"] == "United States"
    names = {p.name: p for p in book.parties}
    assert sorted(names) == ["China", "United States"]
    assert "Washington" not in names["China"].aliases


def test_other_sides_short_name_as_alias_does_not_merge() -> None:
    book = PartyBook()
    book.add([Party(name="United States")], "x1")
    mapping = book.add([Party(name="China", aliases=["Beijing", "US"])], "x2")
    assert mapping["China"] == "China"
    assert sorted(p.name for p in book.parties) == ["China", "United States"]


# -- the seed pair, from their gold files (MiniLM) -----------------------------------------

SEED_IDS = ("us-china-rare-earths-tensions", "us-china-trump-xi-call")


def gold(name: str) -> Gold:
    found, problems = check_gold_file(EVALS / f"{name}.yaml")
    assert found is not None, problems
    return found


@pytest.fixture(scope="module")
def seed_timeline() -> tuple[Timeline, dict[str, str]]:
    golds = [gold(name) for name in SEED_IDS]
    similarity = make_similarity("minilm", disk_cache=False)
    assert similarity.name == "minilm"
    tracker = Tracker(similarity, default_threshold("minilm"))
    steps = [tracker.step(g.id, make_summary(g)) for g in golds]
    return tracker.timeline(steps), {g.id: g.article for g in golds}


def test_seed_pair_carries_the_rare_earth_dispute(
    seed_timeline: tuple[Timeline, dict[str, str]],
) -> None:
    timeline, texts = seed_timeline
    first, second = SEED_IDS
    assert sorted(p.name for p in timeline.parties if p.name != "Stimson Center") == [
        "China",
        "United States",
    ]
    carried = [
        it
        for it in timeline.items
        if re.search(r"rare.earth", it.text, re.IGNORECASE)
        and it.first_seen == first
        and it.last_seen == second
        and it.state in ("open", "met")
    ]
    assert carried, [(i.id, i.text, i.first_seen, i.last_seen, i.state) for i in timeline.items]
    # the dispute itself is still open after the call
    assert any(it.kind == "open_issue" and it.state == "open" for it in carried)
    for it in carried:
        assert {s.article for s in it.evidence} == {first, second}
        for span in it.evidence:
            assert texts[span.article][span.start : span.end] == span.text
        again = [c for c in timeline.steps[1].changes if c.item == it.id and c.kind == "restated"]
        assert again and again[0].evidence is not None
        assert again[0].evidence.article == second
    # the rare-earth demand itself is among them, and both sides are right
    demands = [it for it in carried if it.kind == "demand"]
    assert [(d.party, d.to) for d in demands] == [("United States", "China")]
    # Trump implies the call settled it: a concession of the second article answers it
    if demands[0].state == "met":
        met = [c for c in timeline.steps[1].changes if c.kind == "demand_met"]
        assert [c.answers for c in met] == [demands[0].id]
        assert met[0].evidence is not None and met[0].evidence.article == second


def test_seed_pair_second_article_agrees_to_more_talks(
    seed_timeline: tuple[Timeline, dict[str, str]],
) -> None:
    timeline, texts = seed_timeline
    second = SEED_IDS[1]
    step = timeline.steps[1]
    assert step.article.id == second
    talks = [
        c
        for c in step.changes
        if c.item_kind == "concession"
        and c.kind in ("new_concession", "concession_advanced")
        and re.search(r"\btalks\b", c.text)
    ]
    assert talks, [(c.kind, c.text) for c in step.changes]
    assert {c.party for c in talks} == {"United States", "China"}
    for c in talks:
        assert c.evidence is not None and c.evidence.article == second
        assert texts[second][c.evidence.start : c.evidence.end] == c.evidence.text
        assert "talks" in c.evidence.text
    for c in step.changes:
        if c.evidence is not None:
            assert texts[c.article][c.evidence.start : c.evidence.end] == c.evidence.text


# -- series ordering -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025-06-04", dt.date(2025, 6, 4)),
        ("June 4, 2025", dt.date(2025, 6, 4)),
        ("june 4 2025", dt.date(2025, 6, 4)),
        ("4 June 2025", dt.date(2025, 6, 4)),
        ("Jan. 5, 2025", dt.date(2025, 1, 5)),
        ("Sept. 4, 2025", dt.date(2025, 9, 4)),
        ("4 Dec. 2025", dt.date(2025, 12, 4)),
        ("Published on 2025-12-31 at noon", dt.date(2025, 12, 31)),
        ("2025-02-30", None),
        ("Smith 4, 2025", None),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, want: dt.date | None) -> None:
    assert series.parse_date(text) == want


BODY = (
    "On May 12, 2025, negotiators met in Geneva and agreed to cut tariffs for 90 days, "
    "officials said.\nThe truce, agreed on 2025-05-12, runs out on 2025-08-12 unless extended.\n"
)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (f"Date: 2025-06-04\n\n{BODY}", dt.date(2025, 6, 4)),
        (f"Trade talks resume\n\n  June 4, 2025  \n\n{BODY}", dt.date(2025, 6, 4)),
        (f"Trade talks resume\nPublished: 4 June 2025\n{BODY}", dt.date(2025, 6, 4)),
        (f"Trade talks resume\n\n{BODY}", None),  # the story's own dates are events
        ("Title\n" + "A line.\n" * 6 + "June 4, 2025\n", None),  # past the header
    ],
    ids=["date-line", "bare-date-line", "published", "dates-in-body", "too-late"],
)
def test_header_date(text: str, want: dt.date | None) -> None:
    assert series.header_date(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "Tariff pause ends July 9, 2025\n\nOfficials said the pause could be extended.\n",
        "Trade talks resume\n\nNegotiators met in Geneva.\nThe deadline is 2025-08-12.\n",
    ],
    ids=["headline", "short-body-line"],
)
def test_header_date_ignores_short_lines_with_an_event_date(text: str) -> None:
    assert series.header_date(text) is None


def sa(name: str, text: str) -> SeriesArticle:
    found = series.header_date(text)
    return SeriesArticle(name, Article(text=text), found.isoformat() if found else None)


def test_order_by_given_dates() -> None:
    arts = [sa("b", "B\n"), sa("a", "A\n"), sa("c", "C\n")]
    got = series.order(arts, dates=["2025-06-05", "May 12, 2025", "2025-06-10"])
    assert [(a.id, a.date) for a in got] == [
        ("a", "2025-05-12"),
        ("b", "2025-06-05"),
        ("c", "2025-06-10"),
    ]
    assert [a.id for a in series.order(arts)] == ["b", "a", "c"]  # given order by default
    with pytest.raises(UsageError, match="2 dates given for 3 articles"):
        series.order(arts, dates=["2025-06-05", "2025-06-06"])
    with pytest.raises(UsageError, match="not a date"):
        series.order(arts, dates=["2025-06-05", "soon", "2025-06-06"])
    with pytest.raises(UsageError, match="unknown order"):
        series.order(arts, "alphabetical")


def test_order_by_header_dates() -> None:
    arts = [
        sa("late", "Date: 2025-06-05\n\nText.\n"),
        sa("early", "Headline\nMay 12, 2025\n\nText.\n"),
        sa("same-day", "Date: 2025-06-05\n\nMore.\n"),
    ]
    got = series.order(arts, "text")
    assert [a.id for a in got] == ["early", "late", "same-day"]  # stable for equal dates
    assert got[0].date == "2025-05-12"
    undated = [
        *arts,
        sa("x", "Headline\n\nOn June 1, 2025, talks resumed in Geneva, aides said.\n"),
    ]
    undated.append(sa("y", "No date at all.\n"))
    with pytest.raises(UsageError) as caught:
        series.order(undated, "text")
    message = str(caught.value)
    assert "x" in message.split(":", 1)[1] and "y" in message
    assert "late" not in message and "early" not in message


def test_series_of_reads_paths(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = tmp_path / "one" / "talks.txt"
    second = tmp_path / "two" / "talks.txt"
    first.write_text("Date: 2025-06-09\n\nThe union demanded a raise.\n", encoding="utf-8")
    second.write_text("Date: 2025-06-02\n\nAcme offered a bonus.\n", encoding="utf-8")
    given = series_of([first, second])
    assert [a.id for a in given] == ["talks", "talks-2"]  # stems made unique
    assert [a.date for a in given] == ["2025-06-09", "2025-06-02"]
    assert [a.id for a in series_of([first, second], by="text")] == ["talks-2", "talks"]


# -- the command line, on a fake backend ---------------------------------------------------

CLI_ARTICLES = {
    "mon": "Date: 2025-06-02\n\nThe union demanded a pension guarantee for retired welders. "
    "Acme offered a signing bonus of two thousand dollars.\n",
    "tue": "Date: 2025-06-03\n\nThe union demanded a pension guarantee for retired welders. "
    "Acme offered extra vacation days after ten years.\n",
    "wed": "Date: 2025-06-04\n\nThe union demanded tuition support for apprentices. "
    "Acme offered new lockers in every break room.\n",
}


def garbled_responder(article: str, call: int) -> dict[str, Any]:
    if "GARBLED" in article:
        return "this is not JSON"  # type: ignore[return-value]  # MockBackend takes raw text
    return union_company_responder(article, call)


Capsys = pytest.CaptureFixture[str]
FakeCli = tuple[list[FakeBackend], list[Path]]


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeCli:
    """Route ``summarizer track`` to a new fake backend per run; write three articles."""
    backends: list[FakeBackend] = []

    def make(args: Any, **_: Any) -> Summarizer:
        backends.append(FakeBackend(garbled_responder))
        return Summarizer(backend=backends[-1])

    monkeypatch.setattr(track_cmd, "make_summarizer", make)
    paths = []
    for name, text in CLI_ARTICLES.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return backends, paths


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def progress_lines(err: str, total: int) -> list[str]:
    lines = err.strip().splitlines()
    assert all(line.startswith("summarizer: ") for line in lines), err
    return [line for line in lines if re.match(rf"summarizer: \[\d+/{total}\] ", line)]


def test_cli_json(capsys: Capsys, fake_cli: FakeCli) -> None:
    _, paths = fake_cli
    code, out, err = cli(capsys, "track", *paths, "--format", "json", "--embedder", "lexical")
    assert code == 0, err
    assert json.loads(out)["schema_version"] == TRACK_SCHEMA_VERSION
    timeline = Timeline.model_validate_json(out)
    assert [s.article.id for s in timeline.steps] == ["mon", "tue", "wed"]
    assert [s.article.date for s in timeline.steps] == ["2025-06-02", "2025-06-03", "2025-06-04"]
    # the fake names the sides differently after its first call: still two parties
    assert sorted(p.name for p in timeline.parties) == ["Acme Corp", "Machinists Union"]
    pension = [c for c in timeline.steps[1].changes if "pension" in c.text]
    assert [c.kind for c in pension] == ["restated"]
    assert len(progress_lines(err, 3)) == 3
    assert "summarizer:" not in out


def test_cli_jsonl_streams_steps_then_items(
    capsys: Capsys, fake_cli: FakeCli, tmp_path: Path
) -> None:
    _, paths = fake_cli
    code, out, err = cli(capsys, "track", *paths, "--format", "jsonl", "--embedder", "lexical")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 4
    steps = [Step.model_validate_json(line) for line in lines[:3]]
    assert [s.article.id for s in steps] == ["mon", "tue", "wed"]
    assert [s.article.index for s in steps] == [0, 1, 2]
    last = Timeline.model_validate_json(lines[3])
    assert last.steps == [] and last.items and last.parties
    assert last.schema_version == TRACK_SCHEMA_VERSION
    ids = {c.item for s in steps for c in s.changes}
    assert ids == {it.id for it in last.items}
    # the same to a file
    target = tmp_path / "out.jsonl"
    code, out, err = cli(
        capsys, "track", *paths, "--format", "jsonl", "--embedder", "lexical", "-o", target
    )
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8").splitlines() == lines


def test_cli_markdown_and_html(capsys: Capsys, fake_cli: FakeCli, tmp_path: Path) -> None:
    _, paths = fake_cli
    code, out, err = cli(capsys, "track", *paths, "--embedder", "lexical")  # markdown default
    assert code == 0, err
    assert out.startswith("# ")
    for name in CLI_ARTICLES:
        assert f"`{name}`" in out
    assert "pension guarantee" in out
    assert "summarizer:" not in out and "[1/3]" not in out
    assert len(progress_lines(err, 3)) == 3
    target = tmp_path / "timeline.html"
    code, out, err = cli(
        capsys, "track", *paths, "--format", "html", "-o", target, "--embedder", "lexical"
    )
    assert code == 0, err
    assert out == ""
    html = target.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "pension guarantee" in html and "</html>" in html
    assert f"wrote {target}" in err
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_dates_reorder(capsys: Capsys, fake_cli: FakeCli) -> None:
    _, paths = fake_cli
    code, out, err = cli(
        capsys,
        "track",
        *paths,
        "--format",
        "json",
        "--embedder",
        "lexical",
        "--dates",
        "2025-07-03,2025-07-01,2025-07-02",
    )
    assert code == 0, err
    timeline = Timeline.model_validate_json(out)
    assert [s.article.id for s in timeline.steps] == ["tue", "wed", "mon"]
    assert [s.article.date for s in timeline.steps] == ["2025-07-01", "2025-07-02", "2025-07-03"]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("summarizer: error: "), err
    return lines[0]


def test_cli_missing_file_is_one_error_line(
    capsys: Capsys, fake_cli: FakeCli, tmp_path: Path
) -> None:
    backends, paths = fake_cli
    missing = tmp_path / "missing.txt"
    code, out, err = cli(capsys, "track", paths[0], missing, "--format", "json")
    assert code == 1 and out == ""
    assert one_error_line(err) == f"summarizer: error: {missing}: no such file"
    assert backends == []  # no model was made


def test_cli_wrong_number_of_dates_is_a_usage_error(capsys: Capsys, fake_cli: FakeCli) -> None:
    backends, paths = fake_cli
    code, out, err = cli(capsys, "track", *paths, "--dates", "2025-06-01,2025-06-02")
    assert code == 2 and out == ""
    assert "2 dates given for 3 articles" in one_error_line(err)
    code, out, err = cli(capsys, "track", *paths, "--dates", "2025-06-01,tomorrow,2025-06-03")
    assert code == 2 and out == ""
    assert "not a date" in one_error_line(err)
    assert backends == []  # no model was made


def test_cli_a_failed_article_is_a_step_and_exit_1(
    capsys: Capsys, fake_cli: FakeCli, tmp_path: Path
) -> None:
    _, paths = fake_cli
    bad = tmp_path / "bad.txt"
    bad.write_text("GARBLED wire copy\n\nThe union demanded a raise.\n", encoding="utf-8")
    code, out, err = cli(
        capsys, "track", paths[0], bad, paths[1], "--format", "json", "--embedder", "lexical"
    )
    assert code == 1
    timeline = Timeline.model_validate_json(out)
    assert [s.article.id for s in timeline.steps] == ["mon", "bad", "tue"]
    failed = timeline.steps[1]
    assert failed.article.error and failed.changes == []
    assert failed.state == timeline.steps[0].state
    assert timeline.steps[2].changes  # the series went on
    assert any("bad: failed" in line for line in progress_lines(err, 3))


# -- a long series, streamed ----------------------------------------------------------------

TOPICS = (
    "a pension guarantee for retired welders",
    "overtime pay on national holidays",
    "safety training for night crews",
    "paid parental leave of sixteen weeks",
    "a cap on mandatory weekend shifts",
)
OFFERS = (
    "a signing bonus of two thousand dollars",
    "new lockers in every break room",
    "a review of cafeteria prices",
    "extra vacation days after ten years",
    "upgraded ventilation in building seven",
)


def long_series_text(i: int) -> str:
    return (
        f"Session {i}\n\nThe union demanded {TOPICS[i % len(TOPICS)]}.\n"
        f"Acme offered {OFFERS[(i * 2) % len(OFFERS)]}.\n"
        f"Reporters waited outside meeting room {1000 + i} until late.\n"
    )


def test_fifty_articles_stream_one_at_a_time() -> None:
    backend = FakeBackend(union_company_responder)
    pulled: list[int] = []

    def articles() -> Iterator[SeriesArticle]:
        for i in range(50):
            pulled.append(i)
            yield SeriesArticle(f"s{i:02d}", Article(text=long_series_text(i)), None)

    seen: list[tuple[int, int, str]] = []
    tracker = make_tracker("lexical")
    with Summarizer(backend=backend) as s:
        stream = iter_track(
            articles(),
            s,
            tracker,
            total=50,
            progress=lambda i, n, step: seen.append((i, n, step.article.id)),
        )
        assert isinstance(stream, Generator)  # lazy, not a list
        assert pulled == [] and backend.calls == []  # nothing happens until asked
        first = next(stream)
        assert first.article.id == "s00"
        assert pulled == [0] and len(backend.calls) == 1
        assert seen == [(1, 50, "s00")]
        second = next(stream)
        assert second.article.id == "s01" and pulled == [0, 1]
        rest = list(stream)
    steps = [first, second, *rest]
    assert [st.article.id for st in steps] == [f"s{i:02d}" for i in range(50)]
    assert [st.article.index for st in steps] == list(range(50))
    assert len(seen) == 50 and seen[-1] == (50, 50, "s49")
    assert all(st.article.error is None for st in steps)
    # five demands cycle: five demand items, each restated nine times after its first
    demands = [it for it in tracker.items if it.kind == "demand"]
    assert len(demands) == len(TOPICS)
    assert all(len(d.evidence) == 10 for d in demands)
    # the tracker holds spans, never whole articles
    held = pickle.dumps((tracker.items, tracker.links, tracker.book.parties))
    for i in (0, 25, 49):
        assert f"meeting room {1000 + i}".encode() not in held
    timeline = tracker.timeline(steps).model_dump_json()
    assert "Reporters waited" not in timeline


# -- the public API ---------------------------------------------------------------------------


def test_public_track(tmp_path: Path) -> None:
    assert summarizer.track is summarizer.tracking.track
    assert summarizer.Timeline is Timeline
    assert {"track", "Timeline"} <= set(summarizer.__all__)
    paths = []
    for name, text in CLI_ARTICLES.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    backend = FakeBackend(union_company_responder)
    s = Summarizer(backend=backend)
    timeline = summarizer.track(list(reversed(paths)), summarizer=s, embedder="lexical")
    assert isinstance(timeline, Timeline)
    assert [st.article.id for st in timeline.steps] == ["wed", "tue", "mon"]
    assert len(backend.calls) == 3
    assert not backend.closed  # a summarizer passed in is the caller's to close
    by_text = summarizer.track(paths[::-1], summarizer=s, embedder="lexical", by="text")
    assert [st.article.id for st in by_text.steps] == ["mon", "tue", "wed"]
    articles = [Article(text=t) for t in CLI_ARTICLES.values()]
    from_objects = summarizer.track(articles, summarizer=s)  # MiniLM, the default
    assert [st.article.id for st in from_objects.steps] == ["article-1", "article-2", "article-3"]
    assert from_objects.items
    s.close()


def test_an_item_said_again_is_open_again() -> None:
    """A resolved issue raised again is open again; so is a met demand asked anew."""
    issue = "Whether the port inspection schedule will change remains unresolved."
    settle = "The union agreed to a new port inspection schedule."
    again = "Whether the port inspection schedule will change remains unresolved, again."
    texts = {"x1": f"T\n\n{issue}\n", "x2": f"T\n\n{settle}\n", "x3": f"T\n\n{again}\n"}
    parties = [Party(name=UNION, kind="union"), Party(name=ACME, kind="company")]
    tracker = lexical_tracker()
    tracker.step("x1", build(texts["x1"], parties, issues=(((UNION, ACME), issue),)))
    s2 = tracker.step(
        "x2", build(texts["x2"], parties, concessions=((UNION, ACME, settle, "agreed"),))
    )
    assert [c.kind for c in s2.changes if c.item == "I1"] == ["issue_resolved"]
    assert s2.state.resolved_issues == ["I1"]
    s3 = tracker.step("x3", build(texts["x3"], parties, issues=(((UNION, ACME), again),)))
    assert [c.kind for c in s3.changes if c.item == "I1"] == ["restated"]
    assert s3.state.open_issues == ["I1"] and s3.state.resolved_issues == []


def test_a_date_line_is_not_the_title(tmp_path: Path) -> None:
    from summarizer.io.inputs import read_path

    path = tmp_path / "a.txt"
    path.write_text("Date: 2025-06-01\nTalks resume in Geneva\n\nThe sides met.\n")
    assert read_path(path).title == "Talks resume in Geneva"
