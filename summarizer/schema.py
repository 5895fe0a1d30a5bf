"""The public output schema: a validated, evidence-grounded negotiation summary.

This module knows nothing of models, prompts or backends. Offsets in
``Evidence`` are always computed by code from the article (see ``citations``).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

#: The item lists of a summary, in the order every view shows them.
ITEM_FIELDS = ("demands", "concessions", "open_issues")
#: Every scored field: the parties, then the item lists.
FIELDS = ("parties", *ITEM_FIELDS)

PartyKind = Literal[
    "state", "government_body", "company", "union", "organisation", "person", "other"
]
ConcessionStatus = Literal["offered", "agreed", "implemented"]

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
#: Evidence is a sentence of the article (sentences are capped at 1,200 characters).
SpanText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]

MAX_PARTIES = 16
MAX_SUMMARY = 600
MAX_ITEMS = 40


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Strict):
    """A supporting span of the article: ``text == article[start:end]``."""

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    text: SpanText
    sentence: int | None = Field(default=None, ge=1, description="1-based sentence number")

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if not self.text.strip():
            raise ValueError("evidence text should have at least 1 character")
        if self.end <= self.start:
            raise ValueError(f"evidence end {self.end} must be after start {self.start}")
        return self


EvidenceList = Annotated[list[Evidence], Field(min_length=1, max_length=6)]


class Party(_Strict):
    name: Name
    kind: PartyKind = "other"
    aliases: list[Name] = Field(default_factory=list, max_length=24)


class Demand(_Strict):
    party: Name
    to: Name | None = None
    text: NonEmpty
    evidence: EvidenceList


class Concession(_Strict):
    party: Name
    to: Name | None = None
    text: NonEmpty
    status: ConcessionStatus
    evidence: EvidenceList


class OpenIssue(_Strict):
    text: NonEmpty
    parties: list[Name] = Field(default_factory=list, max_length=MAX_PARTIES)
    evidence: EvidenceList


class SourceInfo(_Strict):
    title: str | None = None
    chars: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PromptInfo(_Strict):
    name: str
    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Usage(_Strict):
    """Token usage over every call, failed attempts included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
        )


class RunInfo(_Strict):
    model: str
    prompt: PromptInfo
    usage: Usage = Field(default_factory=Usage)
    wall_seconds: float = Field(default=0.0, ge=0)
    model_seconds: float = Field(default=0.0, ge=0, description="time spent inside the model")
    chunks: int = Field(default=1, ge=1)
    dropped_items: int = Field(
        default=0, ge=0, description="ungrounded items dropped after the re-ask budget"
    )
    cached: bool = False
    settings: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    cost_usd: float | None = Field(
        default=None,
        ge=0,
        description="USD for every call, failed attempts included (hosted models, from "
        "litellm's offline price map); 0 for local models; null when the price is unknown",
    )


class NegotiationSummary(_Strict):
    """Parties, demands, concessions and open issues of one article, each item grounded."""

    summary: NonEmpty
    parties: list[Party] = Field(default_factory=list, max_length=MAX_PARTIES)
    demands: list[Demand] = Field(default_factory=list, max_length=MAX_ITEMS)
    concessions: list[Concession] = Field(default_factory=list, max_length=MAX_ITEMS)
    open_issues: list[OpenIssue] = Field(default_factory=list, max_length=MAX_ITEMS)
    source: SourceInfo
    run: RunInfo

    @model_validator(mode="after")
    def _references_are_declared(self) -> NegotiationSummary:
        declared = {p.name for p in self.parties}
        if len(declared) != len(self.parties):
            raise ValueError("party names must be unique")
        for field, refs in self._references():
            for ref in refs:
                if ref not in declared:
                    raise ValueError(f"{field} names undeclared party {ref!r}")
        return self

    def _references(self) -> list[tuple[str, list[str]]]:
        refs: list[tuple[str, list[str]]] = []
        for i, d in enumerate(self.demands):
            refs.append((f"demands[{i}]", [d.party] + ([d.to] if d.to else [])))
        for i, c in enumerate(self.concessions):
            refs.append((f"concessions[{i}]", [c.party] + ([c.to] if c.to else [])))
        for i, o in enumerate(self.open_issues):
            refs.append((f"open_issues[{i}]", list(o.parties)))
        return refs

    def evidence(self) -> list[Evidence]:
        """Every evidence span in the summary."""
        items: list[Demand | Concession | OpenIssue] = [
            *self.demands,
            *self.concessions,
            *self.open_issues,
        ]
        return [ev for item in items for ev in item.evidence]

    def ungrounded(self, article: str) -> list[Evidence]:
        """Evidence spans whose offsets do not slice back to their text in ``article``."""
        return [ev for ev in self.evidence() if article[ev.start : ev.end] != ev.text]


def normalize_name(name: str) -> str:
    """Case- and punctuation-insensitive key for a party name or alias."""
    lowered = name.casefold().replace("\u2019", "'")
    lowered = re.sub(r"^(the)\s+", "", lowered)
    return re.sub(r"[^\w]+", "", lowered)
