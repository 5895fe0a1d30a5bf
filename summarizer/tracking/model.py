"""The tracking schema: a negotiation followed across a series of articles.

``Timeline`` is what ``summarizer track`` writes as JSON (``--format json``); its
``schema_version`` changes whenever a field changes meaning or is removed. A
``Step`` is one article's contribution: the changes it brings against what was known
before it, and the state after it. ``--format jsonl`` writes one ``Step`` per line as
the articles are read, then the series' parties, items and links as a last line.
Every change cites its evidence: a span of its own article, by article id and offsets.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..schema import ConcessionStatus, PartyKind

#: Version of the JSON written by ``summarizer track``.
TRACK_SCHEMA_VERSION = "1.0"

ItemKind = Literal["demand", "concession", "open_issue"]
#: The kinds of change, in the order the views list them.
ChangeKind = Literal[
    "new_demand",
    "demand_met",
    "demand_not_mentioned",
    "new_concession",
    "concession_advanced",
    "issue_opened",
    "issue_resolved",
    "restated",
]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)
#: Where an item stands after an article.
ItemState = Literal["open", "met", "not_mentioned", "resolved"]
STATUS_RANK: dict[str, int] = {"offered": 0, "agreed": 1, "implemented": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Strict):
    """Evidence: ``text == article_text[start:end]`` of the article ``article``."""

    article: str
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    text: str


class ArticleInfo(_Strict):
    """One article of the series, in reading order."""

    id: str
    index: int = Field(ge=0, description="0-based reading position")
    title: str | None = None
    date: str | None = Field(default=None, description="ISO date, when known")
    sha256: str
    summary: str = Field(description="the article's own one-sentence summary")
    error: str | None = Field(default=None, description="why it could not be summarized")


class SeriesParty(_Strict):
    """One side across the series: every name the articles used for it."""

    name: str
    kind: PartyKind = "other"
    aliases: list[str] = Field(default_factory=list)
    first_seen: str


class Item(_Strict):
    """A demand, concession or open issue, with one stable id across the series."""

    id: str = Field(description="D1, C1, I1, ...: stable across the articles")
    kind: ItemKind
    party: str | None = Field(default=None, description="who demands or concedes")
    to: str | None = None
    parties: list[str] = Field(default_factory=list, description="an open issue's sides")
    text: str
    status: ConcessionStatus | None = None
    state: ItemState = "open"
    first_seen: str
    last_seen: str
    evidence: list[Span] = Field(default_factory=list, description="one span per mention")


class Change(_Strict):
    """What one article changed. ``item`` is the changed item's id."""

    article: str
    kind: ChangeKind
    item: str
    item_kind: ItemKind
    party: str | None = None
    to: str | None = None
    text: str
    from_status: ConcessionStatus | None = None
    to_status: ConcessionStatus | None = None
    answers: str | None = Field(
        default=None, description="demand_met / issue_resolved: the id of the earlier item"
    )
    score: float | None = Field(default=None, description="similarity behind the decision")
    reason: str | None = None
    evidence: Span | None = Field(
        default=None, description="a span of this article (none for demand_not_mentioned)"
    )


class Link(_Strict):
    """A concession that answers a demand (in one article or across the series)."""

    concession: str
    demand: str
    article: str = Field(description="where the concession that answers it was read")
    score: float
    reason: str


class State(_Strict):
    """Ids of the items in each state after an article."""

    open_demands: list[str] = Field(default_factory=list)
    met_demands: list[str] = Field(default_factory=list)
    unmentioned_demands: list[str] = Field(default_factory=list)
    concessions: dict[str, ConcessionStatus] = Field(default_factory=dict)
    open_issues: list[str] = Field(default_factory=list)
    resolved_issues: list[str] = Field(default_factory=list)


class Step(_Strict):
    """One article: its changes, the links found in it, and the state after it."""

    article: ArticleInfo
    changes: list[Change] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    state: State = Field(default_factory=State)


class Timeline(_Strict):
    """A whole series: what ``summarizer track --format json`` writes."""

    schema_version: str = TRACK_SCHEMA_VERSION
    parties: list[SeriesParty] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id`` (KeyError if none)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)
