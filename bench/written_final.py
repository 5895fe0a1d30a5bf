"""The written training sentences in the selector's final heads: measured, not shipped.

    python bench/written_final.py --run bench/results/run9/staged

The final heads (``strategies/selector.py``) train on the gold sentences only, because
only those had the model's judgements. This script adds the 472 distinct written
sentences of ``evals/training/sentences.jsonl`` with their judgements
(``evals/training/judgements-written.jsonl``, collected with
``selector_training.collect_judgements``; about 17 minutes on 2 cores), trains the final
heads leave-one-article-out as ``summarizer eval train-selector`` does (the written
sentences always in training, thresholds chosen on the gold rows of an inner pass; the
prefilter is the shipped one, so the candidates do not change), and prints:

- held-out sentence-level precision, recall and F1 per field, with and without them;
- the gold set re-decided with those heads from ``--run``'s sides and the cached
  judgements (as ``bench/floor.py`` does, no model call), scored with both embedders.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import floor
import numpy as np
from numpy.typing import NDArray

from summarizer.evaluation import selector_training as training
from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.io.inputs import article_sha256
from summarizer.similarity.text import make_similarity
from summarizer.strategies import staged
from summarizer.strategies.judge import judgement_features
from summarizer.strategies.selector import (
    ALL,
    FIELDS,
    JUDGE_SCALE,
    WEIGHTS_PATH,
    Heads,
    Selector,
    base_features,
    load_floors,
    load_heads,
)

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "evals" / "training"
Matrix = NDArray[np.float64]


def final_heads(with_written: bool) -> tuple[dict[str, Heads], dict[str, str]]:
    golds = list(load_gold_dir(ROOT / "evals"))
    table = training.load_judgements(TRAINING / "judgements.jsonl")
    table.update(training.load_judgements(TRAINING / "judgements-written.jsonl"))
    gold = training.gold_examples(golds)
    x = np.hstack([base_features(gold.texts), _judged(gold.texts, table)])
    y = gold.labels
    groups = list(gold.groups)
    if with_written:
        written = training.synthetic_examples(TRAINING / "sentences.jsonl")
        labels: dict[str, NDArray[np.int8]] = {}
        for text, row in zip(written.texts, written.labels, strict=True):
            labels[text] = np.maximum(labels.get(text, row), row)  # two acts, one sentence
        texts = list(labels)
        x = np.vstack([x, np.hstack([base_features(texts), _judged(texts, table)])])
        y = np.concatenate([y, np.array([labels[t] for t in texts], dtype=np.int8)])
        groups += ["synthetic"] * len(texts)
    shipped = load_heads(WEIGHTS_PATH)
    arr = np.array(groups)

    def pair(held: str | None) -> Heads:
        keep = arr != held
        prefilter = shipped[held or ALL].prefilter
        final = training.fit_head(x[keep], y[keep], [g for g in groups if g != held])
        return Heads(prefilter=prefilter, final=final)

    heads = {ALL: pair(None)}
    counts = np.zeros((3, 3))
    for g in golds:
        sha = article_sha256(g.article)
        heads[sha] = held = pair(sha)
        test = arr == sha
        truth = y[test] == 1
        pred = held.final.scores(x[test]) >= held.final.threshold
        counts[0] += (pred & truth).sum(0)
        counts[1] += (pred & ~truth).sum(0)
        counts[2] += (~pred & truth).sum(0)
    report = {}
    for j, f in enumerate(FIELDS):
        tp, fp, fn = counts[:, j]
        report[f] = f"P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f} F1 " + (
            f"{2 * tp / max(1, 2 * tp + fp + fn):.3f}"
        )
    return heads, report


def _judged(texts: list[str], table: floor.Judgements) -> Matrix:
    rows = [judgement_features(table[training.judgement_key(t)]) for t in texts]
    return np.array(rows, dtype=np.float64) * JUDGE_SCALE


def redecide(heads: dict[str, Heads], run: Path) -> dict[str, float]:
    golds = list(load_gold_dir(ROOT / "evals"))
    selector = Selector(heads, "written-final")
    original = staged.load_selector
    staged.load_selector = lambda *a, **k: selector  # type: ignore[assignment]
    try:
        articles = floor.prepare(golds)
        table = training.load_judgements(TRAINING / "judgements.jsonl")
        floors = load_floors()
        predictions = load_predictions(run)
        preds: dict[str, Prediction] = {}
        for a in articles:
            at = floors.for_article(article_sha256(a.gold.article))
            preds.update(floor.redecide([a], predictions, table, at))
    finally:
        staged.load_selector = original
    out = {}
    for name in ("minilm", "lexical"):
        metrics = score_run(golds, preds, make_similarity(name), resamples=10).metrics
        for k in ("headline", "demands.f1", "concessions.f1", "open_issues.f1"):
            out[f"{name} {k}"] = round(metrics[k], 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a staged run directory")
    args = parser.parse_args()
    for with_written in (False, True):
        heads, report = final_heads(with_written)
        label = "gold + written sentences" if with_written else "gold sentences (shipped)"
        print(json.dumps({"final heads": label, "held-out sentence F1": report}))
        print(json.dumps({"final heads": label, "re-decided": redecide(heads, args.run)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
