"""The written training sentences in the selector's final heads: measured, not shipped.

    python bench/written_final.py --run bench/results/run9/staged

The final heads (``strategies/selector.py``) train on the gold sentences only, because
only those had the model's judgements. This script adds the 472 distinct written
sentences of ``evals/training/sentences.jsonl`` with their judgements
(``evals/training/judgements-written.jsonl``, collected with
``selector_training.collect_judgements``; about 17 minutes on 2 cores), trains the final
heads leave-one-article-out with ``selector_training.train(final_sentences=...)``, as
``summarizer eval train-selector`` trains them (the written sentences always in
training, thresholds chosen on the gold rows of an inner pass; the prefilter is the
shipped one, so the candidates do not change), and prints:

- held-out sentence-level precision, recall and F1 per field, with and without them;
- the gold set re-decided with those heads from ``--run``'s sides and the cached
  judgements (as ``bench/floor.py`` does, no model call), scored with both embedders.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import floor

from summarizer.evaluation import selector_training as training
from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.io.inputs import article_sha256
from summarizer.similarity.text import make_similarity
from summarizer.strategies import staged
from summarizer.strategies.selector import (
    WEIGHTS_PATH,
    Heads,
    Selector,
    load_floors,
    load_heads,
)

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "evals" / "training"


def final_heads(with_written: bool) -> tuple[dict[str, Heads], dict[str, dict[str, float]]]:
    """Heads trained as ``summarizer eval train-selector`` trains them (with the written
    sentences in the final heads or not), with the shipped prefilter put back: the
    candidates stay the shipped ones. Returns them and the final heads' held-out
    sentence-level precision, recall and F1."""
    golds = list(load_gold_dir(ROOT / "evals"))
    result = training.train(
        golds,
        TRAINING / "judgements.jsonl",
        final_sentences=TRAINING / "sentences.jsonl" if with_written else None,
        final_judgements=TRAINING / "judgements-written.jsonl",
    )
    shipped = load_heads(WEIGHTS_PATH)
    heads = {k: Heads(shipped[k].prefilter, h.final) for k, h in result.heads.items()}
    return heads, result.held_out["final"]


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
