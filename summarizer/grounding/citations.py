"""Map a validated Extraction to grounded summary items with code-computed offsets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..schema import Concession, Demand, Evidence, OpenIssue, Party
from .extraction import Extraction, support
from .sentences import Sentence


@dataclass
class Items:
    """The grounded content of a summary, before metadata is attached."""

    parties: list[Party] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    concessions: list[Concession] = field(default_factory=list)
    open_issues: list[OpenIssue] = field(default_factory=list)
    summary: str = ""
    chunks: int = 1


def sentence_evidence(s: Sentence) -> Evidence:
    """A whole sentence as an Evidence span (offsets from the article)."""
    return Evidence(start=s.start, end=s.end, text=s.text, sentence=s.number)


def evidence_for(what: str, sentences: Sequence[Sentence]) -> list[Evidence]:
    """The supporting sentence of ``what`` as an Evidence span (offsets from the article)."""
    return [sentence_evidence(support(what, sentences).sentence)]


def ground(extraction: Extraction, sentences: Sequence[Sentence]) -> Items:
    """Ground every item of ``extraction`` in ``sentences`` (the chunk's sentences).

    Party references become canonical names; a repeated party is dropped.
    """
    canon = extraction.canonical

    parties: list[Party] = []
    seen: set[str] = set()
    for p in extraction.parties:
        if p.name in seen:
            continue
        seen.add(p.name)
        aliases = [a for a in dict.fromkeys(p.aliases) if a != p.name]
        parties.append(Party(name=p.name, kind=p.kind, aliases=aliases))

    demands = [
        Demand(
            party=canon(d.by),
            to=canon(d.to) if d.to else None,
            text=d.what,
            evidence=evidence_for(d.what, sentences),
        )
        for d in extraction.demands
    ]
    concessions = [
        Concession(
            party=canon(c.by),
            to=canon(c.to) if c.to else None,
            text=c.what,
            status=c.status,
            evidence=evidence_for(c.what, sentences),
        )
        for c in extraction.concessions
    ]
    open_issues = [
        OpenIssue(
            text=o.what,
            parties=list(dict.fromkeys(canon(n) for n in o.among)),
            evidence=evidence_for(o.what, sentences),
        )
        for o in extraction.open_issues
    ]
    return Items(parties, demands, concessions, open_issues, extraction.summary)
