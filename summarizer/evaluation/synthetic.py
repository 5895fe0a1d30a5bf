"""Build NegotiationSummary objects from gold files (for tests, benchmarks and sanity
checks: a summary made from a gold file must score 1.0 against it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ..schema import (
    ITEM_FIELDS,
    Concession,
    Demand,
    Evidence,
    NegotiationSummary,
    OpenIssue,
    Party,
    PromptInfo,
    RunInfo,
    SourceInfo,
    Usage,
)
from .gold import Gold, GoldItem

Rewrite = Callable[[str], str]


def evidence_of(gold: Gold, item: GoldItem) -> list[Evidence]:
    """The item's gold evidence as a grounded span (the article's opening if it has none)."""
    start, end = item.span if item.span is not None else (0, min(len(gold.article), 40))
    return [Evidence(start=start, end=end, text=gold.article[start:end])]


def make_summary(
    gold: Gold,
    *,
    items: dict[str, Sequence[GoldItem]] | None = None,
    rewrite: Rewrite | None = None,
    model: str = "gold",
    usage: Usage | None = None,
) -> NegotiationSummary:
    """A summary holding the gold parties and ``items`` (default: every gold item),
    texts passed through ``rewrite``."""
    rw = rewrite or (lambda text: text)
    chosen = items or {f: gold.items(f) for f in ITEM_FIELDS}
    return NegotiationSummary(
        summary=gold.title or gold.id,
        parties=[Party(name=p.name, aliases=list(p.aliases)[:24]) for p in gold.parties],
        demands=[
            Demand(party=g.party or "", to=g.to, text=rw(g.text), evidence=evidence_of(gold, g))
            for g in chosen.get("demands", ())
        ],
        concessions=[
            Concession(
                party=g.party or "",
                to=g.to,
                text=rw(g.text),
                status=g.status or "agreed",  # type: ignore[arg-type]
                evidence=evidence_of(gold, g),
            )
            for g in chosen.get("concessions", ())
        ],
        open_issues=[
            OpenIssue(text=rw(g.text), parties=list(g.parties), evidence=evidence_of(gold, g))
            for g in chosen.get("open_issues", ())
        ],
        source=SourceInfo(
            title=gold.title,
            chars=len(gold.article),
            sha256=hashlib.sha256(gold.article.encode("utf-8")).hexdigest(),
        ),
        run=RunInfo(
            model=model,
            prompt=PromptInfo(name="gold", version="0", sha256="0" * 64),
            usage=usage or Usage(),
        ),
    )
