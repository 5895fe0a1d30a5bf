"""A run's open issues scored twice: with their text as written (the model's phrase),
then with their evidence sentence as the text.

    python bench/oi_text.py bench/results/run14/staged > bench/results/run14/phrase-or-sentence.txt

Prints, for each scorer (MiniLM, lexical) and each form, the headline and the
open-issue F1, then every open issue of the run. No model call.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.similarity.text import make_similarity

ROOT = Path(__file__).resolve().parents[1]


def as_sentences(run: dict[str, Prediction]) -> dict[str, Prediction]:
    """``run`` with each open issue's text replaced by its evidence sentence."""
    out = {}
    for key, prediction in run.items():
        summary = prediction.summary
        if summary is None:
            out[key] = prediction
            continue
        issues = [
            o.model_copy(update={"text": o.evidence[0].text.strip()[:600]})
            for o in summary.open_issues
        ]
        out[key] = Prediction(summary.model_copy(update={"open_issues": issues}))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run directory (predictions.jsonl)")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    args = parser.parse_args()
    golds = list(load_gold_dir(args.gold))
    run = load_predictions(args.run)
    print(f"# python bench/oi_text.py {args.run}")
    print("# scorer, text, headline, open issues F1")
    for name in ("minilm", "lexical"):
        sim = make_similarity(name)
        for label, preds in (("phrase", run), ("sentence", as_sentences(run))):
            m = score_run(golds, preds, sim, resamples=10).metrics
            print(name, label, round(m["headline"], 3), round(m["open_issues.f1"], 3))
    for g in golds:
        summary = run[g.id].summary
        for o in summary.open_issues if summary else []:
            print(f"{g.id} | {o.text} | [{o.evidence[0].sentence}] {o.evidence[0].text.strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
