"""The prefilter's floor, chosen leave-one-article-out, from cached judgements.

    python bench/floor.py --run bench/results/run6/staged [--write]

The staged strategy asks the model about a sentence only when the prefilter's best
score for it reaches a floor (``Selector.candidates``). With the floor at 0.5 the
candidates held only about 60% of the sentences with gold evidence. This script
re-decides a staged run's articles at each floor of a grid, with no model call:

- the model's judgements of every gold sentence are cached
  (``evals/training/judgements.jsonl``, the same ones the final heads train on);
- each article's sides are the run's (``--run``): the sides call reads the candidates,
  so at another floor a real run may name other sides (the script cannot know how);
  the gate is the strategy's own (held-out weights), and a blocked article gets no
  items at any floor;
- the held-out heads decide, attribution and items are the strategy's own
  (``items.items_of``), and the result is scored like ``summarizer eval run``. The
  open issues are the heads' (variant ``staged-heads-oi``): since run 14 the default
  asks the model for them instead, which this script does not re-run.

Leakage: the floor for each gold article is the one with the best MiniLM headline on
the other sixteen articles (ties: the higher floor, fewer model calls). Those sixteen
are decided by their own held-out heads, which saw the held-out article's labels in
training: second-order leakage that a nested choice would remove (not done; the
floor is one number on a grid of five). The figures are a simulation: confirm a
choice with a real run (``bench/strategies.py``). ``--write``
stores those per-article floors and the floor chosen on every article in
``summarizer/data/floors.json``. Results: ``bench/results/floor.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from summarizer.evaluation.gold import Gold, load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.evaluation.selector_training import judgement_key, load_judgements
from summarizer.grounding.sentences import Sentence, split_sentences
from summarizer.io.inputs import Article as ArticleText
from summarizer.io.inputs import article_sha256, make_article
from summarizer.similarity.text import make_similarity
from summarizer.strategies.gate import THRESHOLD as GATE_THRESHOLD
from summarizer.strategies.gate import load_gate
from summarizer.strategies.items import Decision, items_of
from summarizer.strategies.judge import judgement_features
from summarizer.strategies.selector import ALL, FLOORS_PATH, Candidate, Selector, load_selector
from summarizer.strategies.sides import author_of, speaker_side
from summarizer.strategies.staged import StagedStrategy, attribute_by_roles

ROOT = Path(__file__).resolve().parents[1]
GRID = (0.5, 0.45, 0.4, 0.35, 0.3)
FIELDS = ("parties", "demands", "concessions", "open_issues")
Vector = NDArray[np.float64]
Judgements = dict[str, dict[str, dict[str, float]]]


@dataclass
class Article:
    """What a floor does not change: the gold, its sentences, features, judgements."""

    gold: Gold
    article: ArticleText
    sentences: list[Sentence]
    x: Vector
    probs: Vector
    blocked: bool  # by the gate (held-out weights): no items at any floor


def prepare(golds: list[Gold]) -> list[Article]:
    selector, gate = load_selector(), load_gate()
    out = []
    for gold in golds:
        sentences = split_sentences(gold.article)
        sha = article_sha256(gold.article)
        x, probs = selector.score(sha, sentences)
        blocked = gate.probability(sha, x, probs) < GATE_THRESHOLD
        out.append(Article(gold, make_article(gold.article), sentences, x, probs, blocked))
    return out


def redecide(
    articles: list[Article], run: dict[str, Prediction], table: Judgements, floor: float
) -> dict[str, Prediction]:
    """Every article of ``run`` re-decided with the prefilter at ``floor`` (the run's
    sides kept)."""
    strategy = StagedStrategy()  # its decisions and attribution, the run's sides
    out: dict[str, Prediction] = {}
    for a in articles:
        candidates = candidates_of(a, run, floor)
        judged = [judgement_features(table[judgement_key(c.sentence.text)]) for c in candidates]
        decisions = strategy._decide(a.article, candidates, judged)
        out[a.gold.id] = predicted(a, run, decisions)
    return out


def candidates_of(a: Article, run: dict[str, Prediction], floor: float) -> list[Candidate]:
    """The prefilter's candidates at ``floor``; none when the gate blocks the article or
    the run declared no sides for it."""
    summary = run[a.gold.id].summary
    assert summary is not None, a.gold.id
    if a.blocked or not summary.parties:
        return []
    return Selector.candidates(a.sentences, a.x, a.probs, floor=floor)


def predicted(a: Article, run: dict[str, Prediction], decisions: list[Decision]) -> Prediction:
    """The run's prediction for ``a`` with its items re-made from ``decisions``: the
    run's sides, the strategy's attribution and items."""
    summary = run[a.gold.id].summary
    assert summary is not None, a.gold.id
    speaker = speaker_side(summary.parties, author_of(a.article.title))
    attribute_by_roles(decisions, summary.parties, speaker)
    items = items_of(decisions, summary.parties, a.sentences)
    return Prediction(summary.model_copy(update={f: getattr(items, f) for f in FIELDS}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a staged run directory")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "floor.json")
    parser.add_argument("--write", action="store_true", help="write summarizer/data/floors.json")
    args = parser.parse_args()
    golds = list(load_gold_dir(args.gold))
    run = load_predictions(args.run)
    minilm, lexical = make_similarity("minilm"), make_similarity("lexical")
    ids = [g.id for g in golds]
    articles = prepare(golds)
    table = load_judgements(ROOT / "evals" / "training" / "judgements.jsonl")
    by_floor = {floor: redecide(articles, run, table, floor) for floor in GRID}

    def headline(preds: dict[str, Prediction], keep: set[str]) -> float:
        chosen = [g for g in golds if g.id in keep]
        return score_run(chosen, preds, minilm, resamples=10).metrics["headline"]

    def best(keep: set[str]) -> float:
        return max(GRID, key=lambda f: (round(headline(by_floor[f], keep), 4), f))

    held_out = {gid: best(set(ids) - {gid}) for gid in ids}
    loao = {gid: by_floor[held_out[gid]][gid] for gid in ids}
    report: dict[str, object] = {"run": str(args.run), "grid": {}, "chosen_per_article": held_out}
    for label, preds in [*((f"floor {f}", by_floor[f]) for f in GRID), ("leave-one-out", loao)]:
        row = {}
        for name, sim in (("minilm", minilm), ("lexical", lexical)):
            m = score_run(golds, preds, sim, resamples=10).metrics
            row[name] = {k: round(m[k], 3) for k in ("headline", *(f"{f}.f1" for f in FIELDS))}
        report["grid"][label] = row  # type: ignore[index]
        print(label.ljust(14), json.dumps(row), file=sys.stderr)
    overall = best(set(ids))
    report["chosen_on_all"] = overall
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.write:
        by_sha = {article_sha256(g.article): held_out[g.id] for g in golds}
        data = {ALL: overall, "held_out": by_sha, "chosen_by": "bench/floor.py"}
        FLOORS_PATH.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"floor on every article: {overall}; written: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
