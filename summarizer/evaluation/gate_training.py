"""Train the negotiation gate (``summarizer.strategies.gate``) without leakage.

Training texts: the written texts of ``evals/training/gate/`` (``negotiation-*.txt``
and ``none-*.txt``), the written stories of ``evals/training/sentences.jsonl`` (one
negotiation text per story) and the gold articles (negotiations). Weights trained on
all of them are shipped for any text; for each gold article, weights trained without
it, whose features come from that article's held-out prefilter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import EvalError
from ..grounding.sentences import split_sentences
from ..io.inputs import article_sha256
from ..strategies.gate import THRESHOLD, GateWeights, text_features
from ..strategies.selector import ALL, Selector
from .gold import Gold
from .selector_training import fit_logistic

Matrix = NDArray[np.float64]


@dataclass
class GateTraining:
    weights: dict[str, GateWeights]
    #: gold article id -> P(negotiation) from the weights trained without it
    held_out: dict[str, float]
    texts: dict[str, int]


def _sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def read_stories(path: Path) -> dict[str, tuple[str, list[str]]]:
    """The written stories of ``sentences.jsonl``: topic -> (its sentences in order, one
    text; its parties). A sentence labeled twice (two acts) is told once."""
    told: dict[str, tuple[list[str], list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            story, _ = told.setdefault(str(record["topic"]), ([], list(record["parties"])))
            if not story or story[-1] != record["sentence"]:
                story.append(str(record["sentence"]))
    return {topic: (" ".join(s), parties) for topic, (s, parties) in told.items()}


def written_texts(gate_dir: Path, stories: Path | None) -> tuple[list[str], list[int]]:
    """The written training texts and their labels (1: a negotiation)."""
    texts: list[str] = []
    labels: list[int] = []
    for label, pattern in ((1, "negotiation-*.txt"), (0, "none-*.txt")):
        for path in sorted(gate_dir.glob(pattern)):
            texts.append(path.read_text(encoding="utf-8"))
            labels.append(label)
    if stories is not None and stories.is_file():
        told = read_stories(stories)
        texts += [text for text, _ in told.values()]
        labels += [1] * len(told)
    if 0 not in labels or 1 not in labels:
        raise EvalError(f"{gate_dir}: the gate needs negotiation-*.txt and none-*.txt texts")
    return texts, labels


def train_gate(
    golds: Sequence[Gold], selector: Selector, gate_dir: Path, stories: Path | None
) -> GateTraining:
    texts, labels = written_texts(gate_dir, stories)
    everyone = selector.heads[ALL].prefilter
    x = np.stack([text_features(_sentences(t), everyone) for t in texts])
    y = np.array(labels, dtype=np.int8)
    shas = [article_sha256(g.article) for g in golds]
    xg = np.stack(
        [
            text_features(_sentences(g.article), selector.heads_for(s).prefilter)
            for g, s in zip(golds, shas, strict=True)
        ]
    ).reshape(len(golds), x.shape[1])
    ones = np.ones(len(golds), dtype=np.int8)

    def fit(keep: NDArray[np.bool_]) -> GateWeights:
        w, b = fit_logistic(np.vstack([x, xg[keep]]), np.concatenate([y, ones[keep]]))
        return GateWeights(w, b)

    weights = {ALL: fit(np.ones(len(golds), dtype=bool))}
    held_out = {}
    for i, (gold, sha) in enumerate(zip(golds, shas, strict=True)):
        keep = np.arange(len(golds)) != i
        weights[sha] = fit(keep)
        held_out[gold.id] = round(weights[sha].probability(xg[i]), 3)
    counts = {"negotiation": int(y.sum()) + len(golds), "not": int(len(y) - y.sum())}
    return GateTraining(weights, held_out, counts)


def blocked(training: GateTraining) -> list[str]:
    """Gold articles their held-out gate would block."""
    return sorted(k for k, p in training.held_out.items() if p < THRESHOLD)
