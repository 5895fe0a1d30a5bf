"""P/R/F1 arithmetic, the 0/0 conventions, micro sums and the bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from summarizer.evaluation.metrics import (
    COLUMNS,
    bootstrap_ci,
    micro,
    paired_bootstrap_delta,
    prf,
)


def row(**counts: float) -> list[float]:
    """A count row with the given columns (``parties_tp=2`` -> ``parties.tp``), rest 0."""
    named = {
        k.replace("_tp", ".tp").replace("_fp", ".fp").replace("_fn", ".fn"): v
        for k, v in counts.items()
    }
    return [float(named.get(c, 0.0)) for c in COLUMNS]


def test_prf_by_hand() -> None:
    # TP=3, FP=1, FN=2: P = 3/4 = 0.75, R = 3/5 = 0.6, F1 = 2*3/(2*3+1+2) = 6/9 = 0.6667
    result = prf(3, 1, 2)
    assert result.precision == pytest.approx(0.75)
    assert result.recall == pytest.approx(0.6)
    assert result.f1 == pytest.approx(6 / 9)
    # the harmonic mean gives the same: 2*0.75*0.6/(0.75+0.6) = 0.9/1.35 = 0.6667
    assert result.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_zero_denominator_conventions() -> None:
    # gold empty, prediction empty: nothing to find, nothing claimed -> perfect
    assert tuple(vars(prf(0, 0, 0)).values()) == (1.0, 1.0, 1.0)
    # gold empty, 2 predictions: P = 0/2 = 0, R = 0/0 -> 1, F1 = 0/(0+2+0) = 0
    assert tuple(vars(prf(0, 2, 0)).values()) == (0.0, 1.0, 0.0)
    # 3 gold items, no prediction: P = 0/0 -> 1, R = 0/3 = 0, F1 = 0/(0+0+3) = 0
    assert tuple(vars(prf(0, 0, 3)).values()) == (1.0, 0.0, 0.0)


def test_micro_sums_counts_over_articles() -> None:
    # article 1: demands TP=2 FP=0 FN=1; article 2: demands TP=0 FP=2 FN=1
    # micro: TP=2 FP=2 FN=2 -> P = 2/4 = 0.5, R = 2/4 = 0.5, F1 = 4/(4+2+2) = 0.5
    # (the mean of per-article F1s would be (4/5 + 0)/2 = 0.4: micro is not that)
    counts = np.array(
        [row(demands_tp=2, demands_fn=1), row(demands_fp=2, demands_fn=1)], dtype=np.float64
    )
    m = micro(counts)
    assert m["demands.precision"] == pytest.approx(0.5)
    assert m["demands.recall"] == pytest.approx(0.5)
    assert m["demands.f1"] == pytest.approx(0.5)
    # parties, concessions, open issues are all empty on both sides -> F1 1.0 each;
    # headline = mean of the four fields' F1 = (1 + 0.5 + 1 + 1) / 4 = 0.875
    assert m["headline"] == pytest.approx(0.875)
    # no predicted evidence at all: the rates are undefined
    assert math.isnan(m["grounding_rate"]) and math.isnan(m["evidence_hit_rate"])


def test_rates() -> None:
    # 9 of 10 spans resolve; 3 of 4 matched items cite the gold evidence
    counts = np.array(
        [
            row(grounded=4, spans=5, evidence_hits=1, evidence_checked=2),
            row(grounded=5, spans=5, evidence_hits=2, evidence_checked=2),
        ]
    )
    m = micro(counts)
    assert m["grounding_rate"] == pytest.approx(0.9)
    assert m["evidence_hit_rate"] == pytest.approx(0.75)


def _varied(n: int = 30, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        tp, fp, fn = rng.integers(0, 6, size=3)
        rows.append(
            row(
                parties_tp=3,
                demands_tp=tp,
                demands_fp=fp,
                demands_fn=fn,
                concessions_tp=tp + 1,
                concessions_fn=fp,
                open_issues_tp=1,
                open_issues_fp=fn % 2,
                grounded=tp,
                spans=tp + fp,
            )
        )
    return np.array(rows, dtype=np.float64)


def test_bootstrap_is_deterministic_and_contains_the_estimate() -> None:
    counts = _varied()
    first = bootstrap_ci(counts, resamples=500, seed=3)
    again = bootstrap_ci(counts, resamples=500, seed=3)
    assert math.isnan(first["evidence_hit_rate"][0])  # no evidence checked: undefined
    assert math.isnan(first["faithfulness_rate"][0])  # no items counted: undefined
    for undefined in ("evidence_hit_rate", "faithfulness_rate"):
        del first[undefined], again[undefined]
    assert first == again
    point = micro(counts)
    for metric in ("headline", "demands.f1", "concessions.recall", "grounding_rate"):
        lo, hi = first[metric]
        assert lo <= point[metric] <= hi
        assert hi - lo > 0  # the articles vary, so the interval has width
    # a different seed gives (slightly) different intervals
    other = bootstrap_ci(counts, resamples=500, seed=4)
    assert other["demands.f1"] != first["demands.f1"]


def test_bootstrap_of_identical_articles_is_a_point() -> None:
    counts = np.array([row(demands_tp=2, demands_fp=1)] * 10)
    lo, hi = bootstrap_ci(counts, resamples=200)["demands.precision"]
    assert lo == pytest.approx(2 / 3) and hi == pytest.approx(2 / 3)


def test_paired_delta() -> None:
    a = _varied(seed=1)
    b = a.copy()
    b[:, COLUMNS.index("demands.fp")] = 0  # B removes every false positive of demands
    deltas = paired_bootstrap_delta(a, b, resamples=300, seed=5)
    delta, lo, hi = deltas["demands.precision"]
    assert delta == pytest.approx(micro(b)["demands.precision"] - micro(a)["demands.precision"])
    assert 0 < lo <= delta <= hi
    # a run compared with itself: every delta and interval is exactly 0
    same = paired_bootstrap_delta(a, a, resamples=100)
    assert same["headline"] == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap_delta(a, a[:-1])
