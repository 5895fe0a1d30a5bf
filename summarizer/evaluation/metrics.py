"""Precision/recall/F1 from counts, and bootstrap confidence intervals (pure functions).

Conventions for empty denominators (so that "nothing to find, nothing claimed" is a
perfect score and claiming something where there is nothing is not):
precision = TP / (TP + FP), 1.0 when nothing was predicted (TP + FP = 0);
recall = TP / (TP + FN), 1.0 when there was nothing to find (TP + FN = 0);
F1 = 2 TP / (2 TP + FP + FN), 1.0 when both are empty. F1 equals the harmonic mean
of P and R whenever that is defined. Rates (grounding, evidence hits) with an empty
denominator are undefined (NaN, shown as n/a).

A run is summarised by a count matrix: one row per article, columns ``COLUMNS``.
Micro metrics sum the rows first; the bootstrap resamples rows (articles) with
replacement and recomputes the micro metrics from each resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..schema import FIELDS

COLUMNS = (
    *(f"{f}.{c}" for f in FIELDS for c in ("tp", "fp", "fn")),
    "grounded",
    "spans",
    "evidence_hits",
    "evidence_checked",
    "faithful",
    "items",
)
METRICS = (
    "headline",
    *(f"{f}.{m}" for f in FIELDS for m in ("precision", "recall", "f1")),
    "grounding_rate",
    "faithfulness_rate",
    "evidence_hit_rate",
)
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20250605

Array = NDArray[np.float64]


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def prf(tp: float, fp: float, fn: float) -> PRF:
    """P, R, F1 of one set of counts, with the conventions of the module doc."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return PRF(precision, recall, f1)


def _ratio(num: Array, den: Array, empty: float) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


def metrics_of(counts: Array) -> dict[str, Array]:
    """Every metric of ``METRICS`` from summed counts: shape ``(..., len(COLUMNS))`` in,
    one array of shape ``(...)`` per metric out."""
    col = {name: counts[..., i].astype(np.float64) for i, name in enumerate(COLUMNS)}
    out: dict[str, Array] = {}
    f1s = []
    for f in FIELDS:
        tp, fp, fn = col[f"{f}.tp"], col[f"{f}.fp"], col[f"{f}.fn"]
        out[f"{f}.precision"] = _ratio(tp, tp + fp, 1.0)
        out[f"{f}.recall"] = _ratio(tp, tp + fn, 1.0)
        out[f"{f}.f1"] = _ratio(2 * tp, 2 * tp + fp + fn, 1.0)
        f1s.append(out[f"{f}.f1"])
    out["headline"] = np.mean(np.stack(f1s), axis=0)
    out["grounding_rate"] = _ratio(col["grounded"], col["spans"], np.nan)
    out["faithfulness_rate"] = _ratio(col["faithful"], col["items"], np.nan)
    out["evidence_hit_rate"] = _ratio(col["evidence_hits"], col["evidence_checked"], np.nan)
    return {name: out[name] for name in METRICS}


def micro(counts: Array) -> dict[str, float]:
    """Micro metrics of a run: sum the per-article rows, then compute."""
    summed = np.asarray(counts, dtype=np.float64).reshape(-1, len(COLUMNS)).sum(axis=0)
    return {k: float(v) for k, v in metrics_of(summed).items()}


def _resample_weights(n: int, resamples: int, seed: int) -> NDArray[np.int64]:
    """How often each of ``n`` articles is drawn in each resample (with replacement)."""
    rng = np.random.default_rng(seed)
    weights: NDArray[np.int64] = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
    return weights


def _interval(values: Array, level: float) -> tuple[float, float]:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


def bootstrap_ci(
    counts: Array,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of every micro metric, resampling articles."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, len(COLUMNS))
    if counts.shape[0] == 0:
        return {m: (float("nan"), float("nan")) for m in METRICS}
    sums = _resample_weights(counts.shape[0], resamples, seed) @ counts
    return {m: _interval(v, level) for m, v in metrics_of(sums).items()}


def paired_bootstrap_delta(
    counts_a: Array,
    counts_b: Array,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> dict[str, tuple[float, float, float]]:
    """For each metric: (B - A, CI low, CI high), the same article resamples for both
    runs (rows of ``counts_a`` and ``counts_b`` are the same articles, same order)."""
    a = np.asarray(counts_a, dtype=np.float64).reshape(-1, len(COLUMNS))
    b = np.asarray(counts_b, dtype=np.float64).reshape(-1, len(COLUMNS))
    if a.shape != b.shape:
        raise ValueError(f"paired counts differ in shape: {a.shape} vs {b.shape}")
    point_a, point_b = micro(a), micro(b)
    if a.shape[0] == 0:
        return {m: (float("nan"), float("nan"), float("nan")) for m in METRICS}
    weights = _resample_weights(a.shape[0], resamples, seed)
    ma, mb = metrics_of(weights @ a), metrics_of(weights @ b)
    out: dict[str, tuple[float, float, float]] = {}
    for m in METRICS:
        lo, hi = _interval(mb[m] - ma[m], level)
        out[m] = (point_b[m] - point_a[m], lo, hi)
    return out
