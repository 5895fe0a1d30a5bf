"""Is the text a negotiation at all? The article-level gate, measured alone.

    python bench/gate.py [--out bench/results/gate.json]

The probes' hallucinations come from texts that are not negotiations (a football
report, science news, a union's membership newsletter) in which the sentence selector
still finds "acts". This script measures the gate that drops every act of such a
text, with no model call (``summarizer/strategies/gate.py``):

- **features** of a text: ``strategies.gate.gate_features`` (the mean of its sentences'
  MiniLM embeddings, the three best prefilter scores per field, the share of sentences
  with each cue), a gold article's prefilter being its held-out one;
- **training texts**: the 75 written texts of ``evals/training/gate/`` (30
  negotiations, 45 not, original and fictional) and the 56 written stories of
  ``evals/training/sentences.jsonl`` (negotiations); the second model (``*_with_gold``)
  also trains on the gold articles, each gold article scored by a gate trained without
  it (leave-one-article-out);
- a balanced logistic regression (the selector's ``fit_logistic``); a text passes at
  P(negotiation) >= 0.5. The shipped gate (``summarizer eval train-selector
  --gate-only``) is the second model.

Reported: leave-one-out accuracy on the written training texts, the gate's score of
every gold article and of every probe (test data: never trained on).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from summarizer.evaluation.gate_training import train_gate, written_texts
from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.selector_training import fit_logistic
from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import article_sha256
from summarizer.strategies.gate import GateWeights, text_features
from summarizer.strategies.selector import load_selector

ROOT = Path(__file__).resolve().parents[1]
EVALS = ROOT / "evals"
Vector = NDArray[np.float64]


def features(text: str) -> Vector:
    """The shipped gate's features; a gold article's prefilter is its held-out one."""
    sentences = [s.text for s in split_sentences(text)]
    return text_features(sentences, load_selector().heads_for(article_sha256(text)).prefilter)


def fit(x: Vector, y: NDArray[np.int8]) -> GateWeights:
    return GateWeights(*fit_logistic(x, y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gate.json")
    args = parser.parse_args()
    gate_dir = EVALS / "training" / "gate"
    stories = EVALS / "training" / "sentences.jsonl"
    texts, labels = written_texts(gate_dir, stories)
    x = np.stack([features(t) for t in texts])
    y = np.array(labels, dtype=np.int8)
    loo = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        loo.append(fit(x[keep], y[keep]).probability(x[i]))
    accuracy = float(np.mean((np.array(loo) >= 0.5) == (y == 1)))
    gold = {p.stem: features(p.read_text()) for p in sorted(EVALS.glob("*.txt"))}
    probes = {p.stem: features(p.read_text()) for p in sorted((EVALS / "probes").glob("*.txt"))}
    written = fit(x, y)
    shipped = train_gate(load_gold_dir(EVALS), load_selector(), gate_dir, stories)
    everything = shipped.weights["all"]
    result = {
        "training_texts": {"negotiation": int(y.sum()), "not": int(len(y) - y.sum())},
        "loo_accuracy": round(accuracy, 3),
        "gold": {k: round(written.probability(f), 3) for k, f in gold.items()},
        "gold_with_gold_loao": shipped.held_out,
        "probes": {k: round(written.probability(f), 3) for k, f in probes.items()},
        "probes_with_gold": {k: round(everything.probability(f), 3) for k, f in probes.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"leave-one-out accuracy on the training texts: {accuracy:.3f}")
    for name in ("gold", "gold_with_gold_loao"):
        blocked = sorted(k for k, v in result[name].items() if v < 0.5)
        print(f"{name}: {len(blocked)} of {len(gold)} gold articles blocked: {', '.join(blocked)}")
    for name in ("probes", "probes_with_gold"):
        print(name)
        for k, v in result[name].items():
            print(f"  {k:<50} {v:.3f} {'pass' if v >= 0.5 else 'blocked'}")


if __name__ == "__main__":
    main()
