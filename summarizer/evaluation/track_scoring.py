"""Score a tracked series against its series gold (evals/SERIES_FORMAT.md).

A predicted change matches a gold change of the same kind and the same article, whose
text reaches the calibrated similarity threshold and, when the gold names a party,
whose party resolves to it (``PartyResolver``, as for article items). Matching is
one-to-one (``assign``): a prediction absorbed by an optional gold change is neither a
true nor a false positive. Only the articles after the first are scored (the first
sets the starting state). ``restated`` is reported on its own and left out of the
overall figure: labeling it is optional. Links match when both ends do (article,
party, text). Parties are scored as unified across the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..similarity.matching import PartyResolver, assign
from ..similarity.text import TextSimilarity
from ..tracking.model import CHANGE_KINDS, Change, Timeline
from .metrics import prf
from .series_gold import GoldChange, GoldLink, SeriesGold

SCORED = tuple(k for k in CHANGE_KINDS if k != "restated")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Tally) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict[str, float]:
        m = prf(self.tp, self.fp, self.fn)
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(m.precision, 3),
            "recall": round(m.recall, 3),
            "f1": round(m.f1, 3),
        }


@dataclass
class SeriesScore:
    id: str
    kinds: dict[str, Tally] = field(default_factory=dict)
    parties: Tally = field(default_factory=Tally)
    links: Tally = field(default_factory=Tally)
    matched: list[tuple[str, str, str]] = field(default_factory=list)  # kind, pred, gold
    missed: list[GoldChange] = field(default_factory=list)
    spurious: list[Change] = field(default_factory=list)

    @property
    def overall(self) -> Tally:
        out = Tally()
        for kind in SCORED:
            out.add(self.kinds.get(kind, Tally()))
        return out


def _resolver(gold: SeriesGold, timeline: Timeline) -> PartyResolver:
    return PartyResolver(
        [(p.name, p.aliases, p.optional) for p in gold.parties],
        [(p.name, tuple(p.aliases)) for p in timeline.parties],
    )


def _party_ok(
    resolver: PartyResolver, gold: SeriesGold, pred: str | None, want: str | None
) -> bool:
    if want is None:
        return True
    if pred is None:
        return False
    index = resolver.resolve(pred)
    return index is not None and gold.parties[index].name == want


def score_series(
    gold: SeriesGold, timeline: Timeline, similarity: TextSimilarity, threshold: float
) -> SeriesScore:
    """Match one tracked series to its gold (see the module doc)."""
    out = SeriesScore(gold.id)
    resolver = _resolver(gold, timeline)
    out.parties = Tally(resolver.assignment.tp, resolver.assignment.fp, resolver.assignment.fn)
    later = set(gold.articles[1:])
    predicted = [c for s in timeline.steps if s.article.id in later for c in s.changes]
    for kind in CHANGE_KINDS:
        tally = Tally()
        for article in gold.articles[1:]:
            p = [c for c in predicted if c.kind == kind and c.article == article]
            g = [c for c in gold.changes if c.kind == kind and c.article == article]
            sims = similarity.matrix([c.text for c in p], [c.text for c in g])
            allowed = sims >= threshold
            for i, pc in enumerate(p):
                for j, gc in enumerate(g):
                    allowed[i, j] &= _party_ok(resolver, gold, pc.party, gc.party)
            result = assign(sims, allowed, [c.optional for c in g])
            tally.add(Tally(result.tp, result.fp, result.fn))
            out.matched += [(kind, p[m.pred].text, g[m.gold].text) for m in result.matched]
            out.missed += [g[j] for j in result.missed]
            out.spurious += [p[i] for i in result.spurious]
        out.kinds[kind] = tally
    out.links = _score_links(gold, timeline, resolver, similarity, threshold)
    return out


def _score_links(
    gold: SeriesGold,
    timeline: Timeline,
    resolver: PartyResolver,
    similarity: TextSimilarity,
    threshold: float,
) -> Tally:
    items = {it.id: it for it in timeline.items}
    pred = [(items[x.concession], items[x.demand], x.article) for x in timeline.links]
    g: list[GoldLink] = list(gold.links)
    conc_sims = similarity.matrix([c.text for c, _, _ in pred], [x.concession.text for x in g])
    dem_sims = similarity.matrix([d.text for _, d, _ in pred], [x.demand.text for x in g])
    sims = (conc_sims + dem_sims) / 2
    allowed = np.zeros((len(pred), len(g)), dtype=bool)
    for i, (conc, dem, article) in enumerate(pred):
        for j, gl in enumerate(g):
            allowed[i, j] = (
                conc_sims[i, j] >= threshold
                and dem_sims[i, j] >= threshold
                and article == gl.concession.article
                and dem.first_seen == gl.demand.article
                and _party_ok(resolver, gold, conc.party, gl.concession.party)
                and _party_ok(resolver, gold, dem.party, gl.demand.party)
            )
    result = assign(sims, allowed, [x.optional for x in g])
    return Tally(result.tp, result.fp, result.fn)


@dataclass
class TrackScores:
    series: list[SeriesScore]
    embedder: str
    threshold: float
    source: str

    def kinds(self) -> dict[str, Tally]:
        out = {k: Tally() for k in CHANGE_KINDS}
        for s in self.series:
            for k, t in s.kinds.items():
                out[k].add(t)
        return out

    def total(self, attr: str) -> Tally:
        out = Tally()
        for s in self.series:
            out.add(getattr(s, attr))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "embedder": self.embedder,
            "threshold": self.threshold,
            "overall": self.total("overall").as_dict(),
            "kinds": {k: t.as_dict() for k, t in self.kinds().items()},
            "parties": self.total("parties").as_dict(),
            "links": self.total("links").as_dict(),
            "series": {
                s.id: {
                    "overall": s.overall.as_dict(),
                    "parties": s.parties.as_dict(),
                    "links": s.links.as_dict(),
                    "kinds": {k: t.as_dict() for k, t in s.kinds.items()},
                }
                for s in self.series
            },
        }


def score_track(
    golds: Sequence[SeriesGold],
    timelines: dict[str, Timeline],
    similarity: TextSimilarity,
    threshold: float,
    source: str,
) -> TrackScores:
    """Scores of every series (micro-averaged over series in the totals)."""
    return TrackScores(
        [score_series(g, timelines[g.id], similarity, threshold) for g in golds],
        similarity.name,
        threshold,
        source,
    )


def markdown(scores: TrackScores) -> str:
    """The report: totals by kind, per series, then what was missed and spurious."""

    def row(name: str, t: Tally) -> str:
        d = t.as_dict()
        return (
            f"| {name} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | "
            f"{t.tp} | {t.fp} | {t.fn} |"
        )

    head = ["| | P | R | F1 | tp | fp | fn |", "|---|---|---|---|---|---|---|"]
    lines = [
        "# Tracking scores",
        "",
        f"Summaries: {scores.source}. Similarity: {scores.embedder}, threshold "
        f"{scores.threshold:.3f}. Articles after the first of each series are scored; "
        "`restated` is left out of the overall row (optional to label).",
        "",
        *head,
        row("**overall (changes)**", scores.total("overall")),
    ]
    lines += [row(k, t) for k, t in scores.kinds().items()]
    lines += [row("parties", scores.total("parties")), row("links", scores.total("links"))]
    lines += ["", "## Per series", "", *head]
    lines += [row(s.id, s.overall) for s in scores.series]
    for s in scores.series:
        lines += ["", f"### {s.id}", ""]
        lines += [f"- matched {k}: {_short(p)} ≈ {_short(g)}" for k, p, g in s.matched]
        lines += [f"- missed {c.kind} ({c.article}): {_short(c.text)}" for c in s.missed]
        lines += [
            f"- spurious {c.kind} `{c.item}`: {_short(c.text)}"
            for c in s.spurious
            if c.kind != "restated"
        ]
    return "\n".join(lines) + "\n"


def _short(text: str, n: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"
