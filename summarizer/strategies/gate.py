"""Is the text a negotiation at all? An article-level gate, before any model call.

Texts that are not negotiations (a match report, science news, a union's membership
newsletter) use the words of one ("conceded", "agree", "demanding"), and the sentence
selector, trained on negotiation articles only, finds "acts" in them. The gate reads
the whole text and says whether it reports a negotiation; when it does not, the staged
strategy extracts nothing (no sides call, no judgements). Naming the sides of a
blocked text was measured in run 7 and withdrawn: it gave a product review the party
"Lumera Trail 14 laptop" and science news "coral larvae" (evals/README.md, "Run 7").

- **Features:** the mean of the sentences' MiniLM embeddings (unit length), the mean
  of the three best prefilter scores of each field (``selector.py``), and the share of
  sentences with each cue word.
- **Weights:** balanced logistic regression, trained by ``summarizer eval
  train-selector`` on texts written for the project (``evals/training/gate/``: 30
  negotiations and 45 texts that are not; the 56 written stories of
  ``evals/training/sentences.jsonl``) and the gold articles. A text passes at
  P(negotiation) >= 0.5.
- **Beside** ``relevance.py``: the pipeline's word-list guard runs for every strategy
  after extraction (no negotiation word: empty lists); the gate is the staged
  strategy's learned check, before any model call.
- **No leakage:** like the selector's heads, ``data/gate.npz`` holds one set of
  weights per gold article trained without it (and fed by that article's held-out
  prefilter), used whenever that text is summarized.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .encoder import DIM
from .selector import ALL, Head, base_features, save_arrays, weights_digest

GATE_PATH = Path(__file__).parents[1] / "data" / "gate.npz"
THRESHOLD = 0.5
TOP = 3
SCALE = 3.0

Vector = NDArray[np.float64]


def gate_features(x: Vector, probs: Vector) -> Vector:
    """The gate's features of a text, from its sentences' features ``x`` and prefilter
    scores ``probs`` (``Selector.score``)."""
    mean = x[:, :DIM].mean(axis=0)
    mean = mean / (np.linalg.norm(mean) + 1e-9)
    top = np.sort(probs, axis=0)[-TOP:].mean(axis=0)
    cues = (x[:, DIM:] > 0).mean(axis=0)
    out: Vector = np.concatenate([mean, top * SCALE, cues * SCALE])
    return out


def text_features(sentences: Sequence[str], prefilter: Head) -> Vector:
    """The gate's features of a text given as its sentences (for training)."""
    x = base_features(list(sentences) or [""])
    return gate_features(x, prefilter.scores(x))


@dataclass(frozen=True)
class GateWeights:
    w: Vector
    b: float

    def probability(self, features: Vector) -> float:
        return float(1.0 / (1.0 + np.exp(-(features @ self.w + self.b))))


class Gate:
    """Held-out weights for gold articles, else the weights trained on everything."""

    def __init__(self, weights: dict[str, GateWeights], sha256: str) -> None:
        self.weights = weights
        self.sha256 = sha256

    def probability(self, article_sha256: str, x: Vector, probs: Vector) -> float:
        """P(the text reports a negotiation), from ``Selector.score`` of its sentences."""
        weights = self.weights.get(article_sha256, self.weights[ALL])
        return weights.probability(gate_features(x, probs))


def save_gate(path: Path, weights: dict[str, GateWeights]) -> None:
    arrays = {}
    for key, value in weights.items():
        arrays[f"w:{key}"] = value.w
        arrays[f"b:{key}"] = np.array([value.b])
    save_arrays(path, arrays)


@functools.lru_cache(maxsize=2)
def load_gate(path: Path = GATE_PATH) -> Gate:
    """The shipped gate (loaded once)."""
    digest = weights_digest(path, "gate weights")
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files}
    keys = {k.split(":", 1)[1] for k in data if k.startswith("w:")}
    weights = {
        k: GateWeights(data[f"w:{k}"].astype(np.float64), float(data[f"b:{k}"][0])) for k in keys
    }
    return Gate(weights, digest)
