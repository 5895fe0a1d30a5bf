"""A yes/no check of each open issue a run kept, asked after the open-issue call's own
prompt, and whether a threshold on it would help, chosen leave-one-article-out.

    python bench/oi_verify.py call bench/results/run20/staged out.json   # about 8 minutes
    python bench/oi_verify.py score out.json                              # no model call

``call`` rebuilds, for each gold article, the exact messages of the staged strategy's
open-issue call (system prompt, examples from other reports, the article), replaces
its last line (its cue) with a question about one kept phrase, and reads P(yes) from
one token (``Backend.choose``). The article's prefix is read once and reused by every
question on it. Three wordings are asked (:data:`QUESTIONS`); for ``done`` a low
P(yes) means open. Run 21's file was asked with prompt ``staged-open`` 1.1.

``score`` labels each phrase by what it matches alone (TP: a required gold issue, OPT:
only an optional one, FP: none), prints each wording's area under the ROC curve (TP
against FP) and the open-issue F1 when phrases under a threshold are dropped: the
threshold best on all 17 articles (in-sample, not a result) and, for each article, the
threshold best on the other 16 (leave-one-article-out, the honest figure).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oi_only import (
    EMBEDDERS,
    Counts,
    counts,
    f1,
    open_call,
    prepare,
    recued,
    total,
    write_result,
)

from summarizer.evaluation.gold import Gold, load_gold_dir

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "open": 'Is "{p}" still open at the end of the report: not yet agreed, decided or done? '
    "Answer yes or no.",
    "done": 'Does the report say that "{p}" has already been agreed, settled or done? '
    "Answer yes or no.",
    "leaves": 'Is "{p}" a question that this report leaves open? Answer yes or no.',
}


def call(run: Path, out: Path, gold_dir: Path) -> None:
    from summarizer.backends import make_backend
    from summarizer.backends.base import begin_article
    from summarizer.evaluation.runs import load_predictions
    from summarizer.strategies.staged import StagedStrategy
    from summarizer.strategies.structured import Meter, choose

    predictions = load_predictions(run)
    strategy = StagedStrategy()
    assert strategy.open_examples is not None
    backend = make_backend("local")
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for gold in load_gold_dir(gold_dir):
        prediction = predictions.get(gold.id)
        summary = prediction.summary if prediction is not None else None
        phrases = [o.text for o in summary.open_issues] if summary else []
        if not phrases:
            continue
        request, _ = open_call(strategy, prepare(strategy, gold))
        begin_article(backend)
        for phrase in phrases:
            row: dict[str, Any] = {"id": gold.id, "phrase": phrase}
            for name, question in QUESTIONS.items():
                t = time.perf_counter()
                messages = recued(request, question.format(p=phrase))
                probs = choose(backend, messages, ("yes", "no"), Meter())
                row[name] = round(probs["yes"], 4)
                row[f"{name}_seconds"] = round(time.perf_counter() - t, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    write_result(out, strategy, started, run=str(run), questions=QUESTIONS, rows=rows)


def openness(row: dict[str, Any], question: str) -> float:
    return 1.0 - float(row[question]) if question == "done" else float(row[question])


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    pairs = [(p > n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / len(pairs)


class Scorer:
    """Open-issue counts of an article's kept phrases, for one embedder (cached)."""

    def __init__(self, golds: dict[str, Gold], rows: Sequence[dict[str, Any]], embedder: str):
        self.golds, self.embedder = golds, embedder
        self.by: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            self.by.setdefault(r["id"], []).append(r)
        self.seen: dict[tuple[str, tuple[str, ...]], Counts] = {}

    def count(self, article: str, phrases: tuple[str, ...]) -> Counts:
        if (article, phrases) not in self.seen:
            self.seen[article, phrases] = counts(self.golds[article], phrases, self.embedder)
        return self.seen[article, phrases]

    def kept(self, article: str, question: str, threshold: float) -> Counts:
        rows = self.by.get(article, [])
        phrases = tuple(r["phrase"] for r in rows if openness(r, question) >= threshold)
        return self.count(article, phrases)

    def total(self, articles: Sequence[str], question: str, threshold: float) -> Counts:
        return total([self.kept(a, question, threshold) for a in articles])

    def best(self, articles: Sequence[str], question: str, thresholds: Sequence[float]) -> float:
        """The threshold with the best F1 on ``articles`` (on a tie, the lowest)."""
        return max(thresholds, key=lambda t: (f1(self.total(articles, question, t)), -t))

    def label(self, row: dict[str, Any]) -> str:
        alone = self.count(row["id"], (row["phrase"],))
        return "TP" if alone[0] else "FP" if alone[1] else "OPT"


def score(path: Path, gold_dir: Path) -> None:
    rows: list[dict[str, Any]] = json.loads(path.read_text())["rows"]
    golds: dict[str, Gold] = {g.id: g for g in load_gold_dir(gold_dir)}
    ids = list(golds)
    print(f"# python bench/oi_verify.py score {path}")
    for embedder in EMBEDDERS:
        s = Scorer(golds, rows, embedder)
        every = s.total(ids, "open", -1.0)
        print(f"\n## {embedder}: every phrase kept {list(every)} F1 {f1(every):.3f}")
        labels = [s.label(r) for r in rows]
        if embedder == EMBEDDERS[0]:
            print("label " + " ".join(f"{q:>6}" for q in QUESTIONS) + "  article: phrase")
            for r, label in zip(rows, labels, strict=True):
                values = " ".join(f"{openness(r, q):6.3f}" for q in QUESTIONS)
                print(f"{label:5} {values}  {r['id']}: {r['phrase']}")
        for q in QUESTIONS:
            tp = [openness(r, q) for r, label in zip(rows, labels, strict=True) if label == "TP"]
            fp = [openness(r, q) for r, label in zip(rows, labels, strict=True) if label == "FP"]
            values = sorted({openness(r, q) for r in rows})
            thresholds = [-1.0] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)]
            inside = s.best(ids, q, thresholds)
            c_in = s.total(ids, q, inside)
            chosen = {a: s.best([b for b in ids if b != a], q, thresholds) for a in ids}
            c_loo = total([s.kept(a, q, chosen[a]) for a in ids])
            print(
                f"{q}: AUC {auc(tp, fp):.2f} ({len(tp)} TP, {len(fp)} FP); in-sample "
                f"threshold {inside:.3f}: {list(c_in)} F1 {f1(c_in):.3f}; "
                f"leave-one-article-out: {list(c_loo)} F1 {f1(c_loo):.3f} "
                f"(thresholds {sorted({round(t, 3) for t in chosen.values()})})"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("call", "score"))
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    args = parser.parse_args()
    if args.mode == "call":
        if len(args.paths) != 2:
            parser.error("call takes a run folder and an output file")
        call(args.paths[0], args.paths[1], args.gold)
    else:
        score(args.paths[0], args.gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
