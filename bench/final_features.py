"""Other features and settings for the selector's final heads: measured, not shipped.

    python bench/final_features.py --run bench/results/run9/staged [--collect]

The final heads (``strategies/selector.py``) see a sentence's MiniLM embedding, its cue
words and the model's four judgements. This script trains them leave-one-article-out
on the gold sentences (``selector_training.fit_head``, as ``summarizer eval
train-selector`` does) with something added or changed, and prints, for each
configuration:

- held-out sentence-level F1 per field;
- the gold set re-decided with those heads from ``--run``'s sides and the cached
  judgements (as ``bench/floor.py`` does, no model call), scored with both embedders.

Configurations: ``shipped`` (the shipped heads' training, up to the float32 rounding of
the stored weights); context features, from the prefilter's held-out scores, which the
runtime has for every sentence: ``position`` (relative position, first two sentences),
``neighbours`` (the scores of the sentences before and after), ``relative`` (score
minus the article's best), ``rank`` (in the article's top three), ``length`` (log word
count), ``position+neighbours`` and ``all context`` (all five); two more one-token
questions to the
model, ``undecided`` ("does the sentence name something the sides have not yet
settled?") and ``asks`` ("does one side ask another to do or give something?"),
asked with their own invented examples; and the heads' L2 penalty at 0.3, 3 and 10
(shipped: 1). ``--collect`` asks the model the two questions about every gold sentence
(about 8 minutes on 2 cores; resumable) into ``--questions``.

Leakage: each article's prefilter scores come from its held-out prefilter, as at run
time; the final heads are trained without the article. Second order, as in
``bench/floor.py``: the training articles' context features come from their own
held-out prefilters, which saw the held-out article's labels, and so do the per-article
floors; this can only favour the context features. Results (with the commit and the
staged strategy's rules revision they were computed at):
``bench/results/run9/final_features.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import floor
import numpy as np

from summarizer.evaluation import selector_training as training
from summarizer.evaluation.gold import load_gold_dir
from summarizer.evaluation.runs import load_predictions
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.grounding.sentences import Sentence
from summarizer.similarity.text import make_similarity
from summarizer.strategies.items import Decision
from summarizer.strategies.judge import judgement_features
from summarizer.strategies.selector import FIELDS, JUDGE_SCALE, load_floors
from summarizer.strategies.staged import RULES_REVISION

ROOT = Path(__file__).resolve().parents[1]
SCALE = 3.0  # as the cue and judgement features
QUESTIONS_SYSTEM = """You read one sentence from a news report about a negotiation and \
answer one question with one word.
- "Undecided?": does the sentence name something the sides have not yet settled, \
decided, agreed or done: a question still open, a next step, a venue or date to be set, \
a vote still to come, a dispute that goes on? yes or no.
- "Asks?": does one side in the sentence ask, urge or require another side to do or \
give something (not a description of what was agreed)? yes or no.

Examples:
Sentence: The date of the next round has not been set.
Undecided? yes. Asks? no.
Sentence: It remains unclear whether parliament will ratify the accord.
Undecided? yes. Asks? no.
Sentence: The ministry urged Lisbon to reopen the port to foreign trawlers.
Undecided? no. Asks? yes.
Sentence: The company agreed to a 9% raise over three years.
Undecided? no. Asks? no.
Sentence: Negotiators will meet again to resolve the remaining disagreements over \
fishing quotas.
Undecided? yes. Asks? no.
Sentence: The two presidents first met in 2019.
Undecided? no. Asks? no."""
QUESTIONS = {"undecided": "Undecided?", "asks": "Asks?"}
CONFIGS: dict[str, tuple[tuple[str, ...], float]] = {
    "shipped": ((), training.L2),
    "position": (("position",), training.L2),
    "neighbours": (("neighbours",), training.L2),
    "relative": (("relative",), training.L2),
    "rank": (("rank",), training.L2),
    "length": (("length",), training.L2),
    "position+neighbours": (("position", "neighbours"), training.L2),
    "all context": (("position", "neighbours", "relative", "rank", "length"), training.L2),
    "undecided": (("undecided",), training.L2),
    "asks": (("asks",), training.L2),
    "undecided+asks": (("undecided", "asks"), training.L2),
    "L2 0.3": ((), 0.3),
    "L2 3": ((), 3.0),
    "L2 10": ((), 10.0),
}
Matrix = np.ndarray


@contextlib.contextmanager
def penalty(l2: float) -> Iterator[None]:
    """``selector_training.fit_logistic``'s L2 penalty set to ``l2`` for the block."""
    before = training.fit_logistic.__defaults__
    training.fit_logistic.__defaults__ = (l2,)
    try:
        yield
    finally:
        training.fit_logistic.__defaults__ = before


def collect(texts: Sequence[str], path: Path) -> None:
    from summarizer.backends.local import LocalBackend
    from summarizer.strategies.structured import Meter, choose

    done: set[tuple[str, str]] = set()
    if path.is_file():
        done = {(r["sha"], r["q"]) for r in map(json.loads, path.read_text().splitlines())}
    backend, meter = LocalBackend(), Meter()
    unique = list(dict.fromkeys(texts))
    with path.open("a", encoding="utf-8") as out:
        for i, text in enumerate(unique):
            sha = training.judgement_key(text)
            for q, word in QUESTIONS.items():
                if (sha, q) in done:
                    continue
                messages = [
                    {"role": "system", "content": QUESTIONS_SYSTEM},
                    {"role": "user", "content": f"Sentence: {' '.join(text.split())}\n{word}"},
                ]
                probs = choose(backend, messages, ("yes", "no"), meter)
                out.write(json.dumps({"sha": sha, "q": q, "probs": probs}) + "\n")
                out.flush()
            if i % 50 == 0:
                print(f"{i}/{len(unique)} sentences", file=sys.stderr, flush=True)


def extra_features(
    groups: Sequence[str], probs: Matrix, sentences: Sequence[Sentence], asked: dict
) -> Matrix:
    n = len(sentences)
    idx = np.arange(n)
    cols: list[Matrix] = []
    if "position" in groups:
        cols += [idx / max(1, n - 1), (idx < 2).astype(float)]
    if "neighbours" in groups:
        before = np.vstack([np.zeros((1, 3)), probs[:-1]])
        after = np.vstack([probs[1:], np.zeros((1, 3))])
        cols += [*before.T, *after.T]
    if "relative" in groups:
        cols += [*(probs - probs.max(axis=0, keepdims=True)).T]
    if "rank" in groups:
        ranks = np.argsort(np.argsort(-probs, axis=0), axis=0)
        cols += [*(ranks < 3).astype(float).T]
    if "length" in groups:
        cols += [np.log1p([len(s.text.split()) for s in sentences]) / 3]
    for q in QUESTIONS:
        if q in groups:
            cols.append(np.array([asked[(training.judgement_key(s.text), q)] for s in sentences]))
    return np.array(cols).T * SCALE if cols else np.zeros((n, 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a staged run directory")
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    parser.add_argument(
        "--questions", type=Path, default=ROOT / "bench" / "results" / "run9" / "questions.jsonl"
    )
    parser.add_argument("--collect", action="store_true", help="ask the two questions first")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "run9" / "final_features.json"
    )
    args = parser.parse_args()
    golds = list(load_gold_dir(args.gold))
    articles = floor.prepare(golds)
    if args.collect:
        collect([s.text for a in articles for s in a.sentences], args.questions)
    asked = {}
    if args.questions.is_file():
        for record in map(json.loads, args.questions.read_text().splitlines()):
            asked[(record["sha"], record["q"])] = record["probs"]["yes"]
    table = training.load_judgements(ROOT / "evals" / "training" / "judgements.jsonl")
    run = load_predictions(args.run)
    floors = load_floors()
    labels = training.gold_examples(golds).labels
    shas = [floor.article_sha256(a.gold.article) for a in articles]
    minilm, lexical = make_similarity("minilm"), make_similarity("lexical")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    report: dict[str, object] = {
        "run": str(args.run),
        "commit": commit,
        "rules_revision": RULES_REVISION,
    }
    base = []  # each article's embedding, cue and judgement features: the same for every config
    for a in articles:
        judged = [judgement_features(table[training.judgement_key(s.text)]) for s in a.sentences]
        base.append(np.hstack([a.x, np.array(judged) * JUDGE_SCALE]))
    article_of = np.concatenate(
        [[s] * len(a.sentences) for s, a in zip(shas, articles, strict=True)]
    )
    for name, (groups, l2) in CONFIGS.items():
        if any(q in groups for q in QUESTIONS) and not asked:
            print(f"{name}: skipped (no {args.questions}; use --collect)", file=sys.stderr)
            continue
        with penalty(l2):
            per = [
                np.hstack([xa, extra_features(groups, a.probs, a.sentences, asked)])
                for a, xa in zip(articles, base, strict=True)
            ]
            x = np.vstack(per)
            assert len(x) == len(labels), "gold rows and sentences differ"
            counts = np.zeros((3, 3))
            preds: dict[str, Prediction] = {}
            start = 0
            for a, sha, xa in zip(articles, shas, per, strict=True):
                keep = article_of != sha
                head = training.fit_head(x[keep], labels[keep], list(article_of[keep]))
                truth = labels[start : start + len(xa)] == 1
                start += len(xa)
                chosen = head.scores(xa) >= head.threshold
                counts += np.stack(
                    [(chosen & truth).sum(0), (chosen & ~truth).sum(0), (~chosen & truth).sum(0)]
                )
                row = {s.number: i for i, s in enumerate(a.sentences)}
                decisions = []
                for c in floor.candidates_of(a, run, floors.for_article(sha)):
                    p = head.scores(xa[row[c.sentence.number]][None])[0]
                    fields = tuple(f for j, f in enumerate(FIELDS) if p[j] >= head.threshold[j])
                    if fields:
                        decisions.append(Decision(c, fields))
                preds[a.gold.id] = floor.predicted(a, run, decisions)
        f1 = {f: round(training.prf(*counts[:, j]).f1, 3) for j, f in enumerate(FIELDS)}
        row_out: dict[str, object] = {"sentence_f1": f1}
        for label, sim in (("minilm", minilm), ("lexical", lexical)):
            m = score_run(golds, preds, sim, resamples=10).metrics
            row_out[label] = {
                k: round(m[k], 3) for k in ("headline", *(f"{f}.f1" for f in floor.FIELDS))
            }
        report[name] = row_out
        print(name.ljust(20), json.dumps(row_out), file=sys.stderr)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
