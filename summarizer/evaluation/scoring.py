"""Score predictions against gold: per article (matching, counts) and per run (micro
metrics with bootstrap intervals). See evals/README.md, "Scoring"."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..grounding.faithfulness import supported
from ..schema import FIELDS, ITEM_FIELDS, Evidence, NegotiationSummary
from ..similarity.matching import Assignment, PartyResolver, assign
from ..similarity.text import TextSimilarity
from ..similarity.threshold import default_threshold
from .gold import Gold, GoldItem
from .metrics import (
    COLUMNS,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_ci,
    metrics_of,
    micro,
)

PredItem = Any  # schema.Demand | schema.Concession | schema.OpenIssue


@dataclass(frozen=True)
class Prediction:
    """What a run produced for one article: a summary, or why there is none
    (``failed``: the summarizer failed; ``missing``: no record; ``invalid``: unreadable)."""

    summary: NegotiationSummary | None
    status: str = "ok"
    error: str | None = None


@dataclass
class FieldScore:
    """The matching of one field of one article, and its evidence-hit counts."""

    field: str
    assignment: Assignment
    evidence_hits: int = 0
    evidence_checked: int = 0


@dataclass
class ArticleScore:
    """Everything scored for one article (keeps its gold and prediction for reports)."""

    gold: Gold
    prediction: Prediction
    fields: dict[str, FieldScore]
    grounded: int = 0
    spans: int = 0
    faithful: int = 0  # predicted items whose text their evidence supports
    items: int = 0

    @property
    def id(self) -> str:
        return self.gold.id

    def counts(self) -> list[float]:
        """One row of the count matrix, in ``metrics.COLUMNS`` order."""
        row: list[float] = []
        for f in FIELDS:
            a = self.fields[f].assignment
            row += [a.tp, a.fp, a.fn]
        hits = sum(s.evidence_hits for s in self.fields.values())
        checked = sum(s.evidence_checked for s in self.fields.values())
        return [*row, self.grounded, self.spans, hits, checked, self.faithful, self.items]

    def metrics(self) -> dict[str, float]:
        return {k: float(v) for k, v in metrics_of(np.array(self.counts())).items()}


@dataclass
class Scores:
    """A scored run: per-article scores, micro metrics and their bootstrap intervals."""

    articles: list[ArticleScore]
    embedder: str
    threshold: float
    metrics: dict[str, float]
    ci: dict[str, tuple[float, float]]
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    extra: dict[str, Any] = field(default_factory=dict)

    def count_matrix(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([a.counts() for a in self.articles], dtype=np.float64).reshape(
            -1, len(COLUMNS)
        )

    @property
    def failures(self) -> list[ArticleScore]:
        return [a for a in self.articles if a.prediction.status != "ok"]

    def to_json(self) -> dict[str, Any]:
        """Metrics, intervals and per-article counts as JSON-ready data (NaN -> null)."""
        return {
            "embedder": self.embedder,
            "threshold": self.threshold,
            "resamples": self.resamples,
            "seed": self.seed,
            "articles_scored": len(self.articles),
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "ci95": {k: [_num(lo), _num(hi)] for k, (lo, hi) in self.ci.items()},
            "failures": [
                {"id": a.id, "status": a.prediction.status, "error": a.prediction.error}
                for a in self.failures
            ],
            "articles": [
                {
                    "id": a.id,
                    "status": a.prediction.status,
                    "counts": dict(zip(COLUMNS, a.counts(), strict=True)),
                    "metrics": {k: _num(v) for k, v in a.metrics().items()},
                }
                for a in self.articles
            ],
        }


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def _overlaps(spans: Sequence[Evidence], gold: tuple[int, int]) -> bool:
    return any(ev.start < gold[1] and gold[0] < ev.end for ev in spans)


def _pred_items(summary: NegotiationSummary | None, name: str) -> list[PredItem]:
    return list(getattr(summary, name)) if summary is not None else []


def score_article(
    gold: Gold, prediction: Prediction, similarity: TextSimilarity, threshold: float
) -> ArticleScore:
    """Match one prediction to its gold file and count TP/FP/FN, grounding, evidence hits."""
    summary = prediction.summary
    pred_parties = summary.parties if summary is not None else []
    resolver = PartyResolver(
        [(p.name, p.aliases, p.optional) for p in gold.parties],
        [(p.name, p.aliases) for p in pred_parties],
    )
    fields = {"parties": FieldScore("parties", resolver.assignment)}
    party_index = {p.name: i for i, p in enumerate(gold.parties)}
    for name in ITEM_FIELDS:
        gold_items: tuple[GoldItem, ...] = gold.items(name)
        preds = _pred_items(summary, name)
        sims = similarity.matrix([p.text for p in preds], [g.text for g in gold_items])
        allowed = sims >= threshold
        if name != "open_issues" and preds and gold_items:
            resolved = np.array([_resolve(resolver, p.party) for p in preds])
            wanted = np.array([party_index.get(g.party or "", -2) for g in gold_items])
            allowed &= resolved[:, None] == wanted[None, :]
        result = assign(sims, allowed, [g.optional for g in gold_items])
        score = FieldScore(name, result)
        for pair in result.matched:
            span = gold_items[pair.gold].span
            if span is not None:
                score.evidence_checked += 1
                score.evidence_hits += _overlaps(preds[pair.pred].evidence, span)
        fields[name] = score
    spans = len(summary.evidence()) if summary is not None else 0
    grounded = spans - len(summary.ungrounded(gold.article)) if summary is not None else 0
    items = [item for name in ITEM_FIELDS for item in _pred_items(summary, name)]
    return ArticleScore(
        gold,
        prediction,
        fields,
        grounded=grounded,
        spans=spans,
        faithful=sum(supported(i) for i in items),
        items=len(items),
    )


def _resolve(resolver: PartyResolver, name: str) -> int:
    found = resolver.resolve(name)
    return -1 if found is None else found


def score_run(
    golds: Sequence[Gold],
    predictions: Mapping[str, Prediction],
    similarity: TextSimilarity,
    *,
    threshold: float | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Scores:
    """Score every gold article (a missing prediction counts as empty) and the run."""
    if threshold is None:
        threshold = default_threshold(similarity.name)
    texts: list[str] = []
    for gold in golds:
        summary = predictions.get(gold.id, Prediction(None, "missing")).summary
        for name in ITEM_FIELDS:
            texts += [g.text for g in gold.items(name)]
            texts += [p.text for p in _pred_items(summary, name)]
    similarity.prepare(texts)  # one batched pass over every text of the run
    articles = [
        score_article(
            gold,
            predictions.get(gold.id, Prediction(None, "missing", "no prediction in the run")),
            similarity,
            threshold,
        )
        for gold in golds
    ]
    counts = np.array([a.counts() for a in articles], dtype=np.float64).reshape(-1, len(COLUMNS))
    return Scores(
        articles=articles,
        embedder=similarity.name,
        threshold=threshold,
        metrics=micro(counts),
        ci=bootstrap_ci(counts, resamples=resamples, seed=seed),
        resamples=resamples,
        seed=seed,
    )


@dataclass
class Comparison:
    """Run B against run A on the same articles: metric values and B - A with a paired
    bootstrap interval."""

    a: Scores
    b: Scores
    deltas: dict[str, tuple[float, float, float]]
    articles: list[str]

    def to_json(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if x != x else round(x, 6)

        return {
            "articles": self.articles,
            "embedder": self.a.embedder,
            "threshold": self.a.threshold,
            "metrics": {
                m: {
                    "a": num(self.a.metrics[m]),
                    "b": num(self.b.metrics[m]),
                    "delta": num(d),
                    "ci95": [num(lo), num(hi)],
                }
                for m, (d, lo, hi) in self.deltas.items()
            },
        }
