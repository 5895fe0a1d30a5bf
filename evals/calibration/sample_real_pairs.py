"""Sample (gold item, predicted item) pairs from real runs of the pipeline, for judging.

    python evals/calibration/sample_real_pairs.py RUN_DIR [RUN_DIR ...] --out FILE

For each article and field of each run, every prediction is paired with the gold
item most similar to it, and every gold item with the prediction most similar to
it (MiniLM similarity, the scorer's own). Pairs are deduplicated and sampled by
similarity band (more near the threshold), with a fixed seed. The output holds the
two texts only: annotators judge "same item or not" without seeing any similarity.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from summarizer.evaluation import load_gold_dir
from summarizer.evaluation.embeddings import make_similarity
from summarizer.evaluation.runs import load_predictions

BANDS = [(0.0, 0.3, 25), (0.3, 0.42, 45), (0.42, 0.5, 45), (0.5, 0.6, 45), (0.6, 1.01, 40)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--gold", type=Path, default=Path("evals"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    golds = {g.id: g for g in load_gold_dir(args.gold)}
    sim = make_similarity("minilm")
    pairs: dict[tuple[str, str, str, str], float] = {}
    for run in args.runs:
        for key, prediction in load_predictions(run).items():
            gold, summary = golds.get(key), prediction.summary
            if gold is None or summary is None:
                continue
            for field in ("demands", "concessions", "open_issues"):
                preds = [p.text for p in getattr(summary, field)]
                gitems = [g.text for g in gold.items(field)]
                if not preds or not gitems:
                    continue
                m = sim.matrix(preds, gitems)
                for i, p in enumerate(preds):
                    j = int(m[i].argmax())
                    pairs[(key, field, gitems[j], p)] = float(m[i, j])
                for j, g in enumerate(gitems):
                    i = int(m[:, j].argmax())
                    pairs[(key, field, g, preds[i])] = float(m[i, j])
    rng = random.Random(args.seed)
    chosen = []
    for lo, hi, n in BANDS:
        band = sorted(k for k, v in pairs.items() if lo <= v < hi)
        chosen += rng.sample(band, min(n, len(band)))
    rng.shuffle(chosen)
    with args.out.open("w", encoding="utf-8") as fh:
        for i, (article, field, gold_text, predicted) in enumerate(chosen, 1):
            row = {"id": f"r{i:03d}", "article": article, "field": field, "gold": gold_text,
                   "predicted": predicted}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} pairs of {len(pairs)} -> {args.out}")


if __name__ == "__main__":
    main()
