"""Merge the grounded items of several chunks into one set.

Parties are unified when any name or alias matches (case/punctuation-insensitive);
the first chunk's name wins. Items are deduplicated when they have the same
party and either the same normalised text, or overlapping evidence and similar text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from ..schema import MAX_ITEMS, MAX_PARTIES, Concession, Demand, Evidence, OpenIssue, Party
from ..schema import normalize_name as _key
from .citations import Items
from .extraction import clip_summary

_WORD = re.compile(r"[a-z0-9%]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def similar_text(a: str, b: str) -> float:
    """Jaccard overlap of word sets (0..1)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def merge_parties(groups: Sequence[list[Party]]) -> tuple[list[Party], dict[str, str]]:
    """Unified parties, and a map from every normalised name/alias to its canonical name."""
    merged: list[Party] = []
    index: dict[str, int] = {}
    for parties in groups:
        for party in parties:
            keys = [_key(n) for n in [party.name, *party.aliases] if _key(n)]
            hit = next((index[k] for k in keys if k in index), None)
            if hit is None:
                if len(merged) >= MAX_PARTIES:
                    continue
                merged.append(party.model_copy(deep=True))
                hit = len(merged) - 1
            else:
                target = merged[hit]
                names = [target.name, *target.aliases]
                extra = [n for n in [party.name, *party.aliases] if n not in names]
                target.aliases = (target.aliases + extra)[:24]
                if target.kind == "other":
                    target.kind = party.kind
            for k in keys:
                index.setdefault(k, hit)
    canon = {k: merged[i].name for k, i in index.items()}
    return merged, canon


_Item = TypeVar("_Item", Demand, Concession, OpenIssue)


def _sentences(item: Demand | Concession | OpenIssue) -> set[int]:
    return {e.start for e in item.evidence}


def _same(a: _Item, b: _Item) -> bool:
    if isinstance(a, Demand | Concession) and isinstance(b, Demand | Concession):
        if a.party != b.party:
            return False
    if _words(a.text) == _words(b.text):
        return True
    return bool(_sentences(a) & _sentences(b)) and similar_text(a.text, b.text) >= 0.5


def _union_evidence(a: list[Evidence], b: list[Evidence]) -> list[Evidence]:
    seen = {(e.start, e.end) for e in a}
    out = list(a) + [e for e in b if (e.start, e.end) not in seen]
    return sorted(out, key=lambda e: e.start)[:6]


def dedupe(items: list[_Item]) -> list[_Item]:
    kept: list[_Item] = []
    for item in items:
        twin = next((k for k in kept if _same(k, item)), None)
        if twin is None:
            kept.append(item)
        else:
            twin.evidence = _union_evidence(twin.evidence, item.evidence)
    return kept[:MAX_ITEMS]


def _rename(name: str | None, canon: dict[str, str]) -> str | None:
    if name is None:
        return None
    return canon.get(_key(name), name)


def merge_items(chunks: Sequence[Items]) -> Items:
    """One Items from one or more chunks: parties unified, repeated items removed.

    Items whose party did not make it into the bounded party list are dropped;
    references to such a party in ``to`` or ``parties`` are removed.
    """
    parties, canon = merge_parties([c.parties for c in chunks])
    declared = {p.name for p in parties}

    def known(name: str | None) -> str | None:
        renamed = _rename(name, canon)
        return renamed if renamed in declared else None

    demands: list[Demand] = []
    concessions: list[Concession] = []
    open_issues: list[OpenIssue] = []
    for c in chunks:
        for d in c.demands:
            if known(d.party):
                demands.append(d.model_copy(update={"party": known(d.party), "to": known(d.to)}))
        for k in c.concessions:
            if known(k.party):
                update = {"party": known(k.party), "to": known(k.to)}
                concessions.append(k.model_copy(update=update))
        for o in c.open_issues:
            names = [n for n in (known(p) for p in o.parties) if n]
            open_issues.append(o.model_copy(update={"parties": list(dict.fromkeys(names))}))
    sentences: list[str] = []
    for c in chunks:
        for s in re.split(r"(?<=[.!?])\s+", c.summary.strip()):
            if s and s not in sentences:
                sentences.append(s)
    return Items(
        parties=parties,
        demands=dedupe(demands),
        concessions=dedupe(concessions),
        open_issues=dedupe(open_issues),
        summary=clip_summary(" ".join(sentences)),
    )
