"""Open issues alone: the staged strategy's open-issue call on every gold article, or
a run's open issues scored by how many of each article's phrases are kept.

    python bench/oi_only.py call bench/results/run16/oi-A0.json       # about 4 minutes
    SUMMARIZER_PROMPTS_DIR=my-prompts python bench/oi_only.py call out.json
    python bench/oi_only.py score bench/results/run16/oi-A0.json ...  # no model call
    python bench/oi_only.py caps bench/results/run15/staged           # no model call

``call`` runs only step 6 of the staged strategy (``StagedStrategy._open_issues``: the
prompt, the tie, the checks and the re-asks) on the embedded model, with no sides call
(open-issue matching does not use sides), with every phrase the model lists checked and
kept when it stands (the cap is applied when scoring; the shipped code caps the model's
list before the checks, so a third phrase here may also cause a re-ask that changes the
first two), and writes each article's phrases and whether the gate blocks it (or it has
no candidate sentence). ``score`` prints open-issue counts [TP, FP, FN] and F1 for such
files, with MiniLM and lexical, keeping 2 or 3 phrases, with and without the gate (a
blocked article has no open issues). ``caps`` scores a run's open issues keeping the
first 1, 2 or 3 of each article and chooses the cap leave-one-article-out: for each
article, the cap with the best F1 on the other 16 (on a tie, the larger). Both cap the
final items, after the checks and the one-per-sentence rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.evaluation.gold import Gold, load_gold_dir
from summarizer.similarity.matching import assign
from summarizer.similarity.text import make_similarity
from summarizer.similarity.threshold import default_threshold

ROOT = Path(__file__).resolve().parents[1]
EMBEDDERS = ("minilm", "lexical")
Counts = tuple[int, int, int]


def counts(gold: Gold, phrases: Sequence[str], embedder: str) -> Counts:
    """[TP, FP, FN] of ``phrases`` against the article's gold open issues."""
    items = gold.items("open_issues")
    required = sum(not g.optional for g in items)
    if not phrases or not items:
        return 0, len(phrases), required
    sims = make_similarity(embedder).matrix(list(phrases), [g.text for g in items])
    a = assign(sims, sims >= default_threshold(embedder), [g.optional for g in items])
    return a.tp, a.fp, a.fn


def f1(c: Sequence[int]) -> float:
    return 2 * c[0] / (2 * c[0] + c[1] + c[2]) if c[0] else 0.0


def total(rows: Sequence[Counts]) -> Counts:
    return sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows)


@dataclass(frozen=True)
class Prepared:
    """One gold article as the staged strategy sees it before its open-issue call."""

    article: Any
    sentences: list[Any]
    x: Any  # the sentences' vectors
    candidates: list[Any]
    blocked: bool  # the gate blocks it, or it has no candidate sentence


def prepare(strategy: Any, gold: Gold) -> Prepared:
    from summarizer.grounding.sentences import split_sentences
    from summarizer.io.inputs import article_sha256, read_path
    from summarizer.strategies.gate import THRESHOLD

    article = read_path(gold.article_path)
    sentences = split_sentences(article.text)
    sha = article_sha256(article.text)
    x, probs, candidates = strategy._select(sha, sentences)
    blocked = not candidates or strategy.gate.probability(sha, x, probs) < THRESHOLD
    return Prepared(article, sentences, x, candidates, bool(blocked))


def open_call(strategy: Any, p: Prepared) -> tuple[Any, Any]:
    """The article's open-issue request as the staged strategy makes it, and its tie."""
    from summarizer.io.inputs import article_sha256
    from summarizer.strategies.open_issues import Tie, open_request

    text = p.article.text
    examples = strategy.open_examples.choose(article_sha256(text), text, p.x)
    tie = Tie(p.sentences, p.x, frozenset(e.phrase for e in examples))
    shown = [c.sentence for c in p.candidates]
    request = open_request(
        strategy.open_prompt,
        text,
        p.sentences,
        shown,
        tie,
        examples=examples,
        max_reasks=strategy.max_reasks,
    )
    return request, tie


def recued(request: Any, line: str) -> list[dict[str, str]]:
    """``request``'s messages with the prompt's last line (its cue) replaced by ``line``;
    the article before it is unchanged, so the engine reuses its cached prefix."""
    *head, last = request.messages
    asked = last["content"].rstrip().rpartition("\n")[0]
    return [*head, {**last, "content": f"{asked}\n{line}"}]


def write_result(out: Path, strategy: Any, started: float, **data: Any) -> None:
    """A call's results, stamped with the open-issue prompt and the whole run's time."""
    info = strategy.open_prompt
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "prompt": {"version": info.version, "sha256": info.sha256},
        "seconds": round(time.perf_counter() - started, 1),
        **data,
    }
    out.write_text(json.dumps(result, indent=1) + "\n")


def call(out: Path, gold_dir: Path) -> None:
    import summarizer.strategies.open_issues as open_issues
    from summarizer.backends import make_backend
    from summarizer.strategies.open_issues import MAX_LISTED
    from summarizer.strategies.staged import StagedStrategy
    from summarizer.strategies.structured import Meter

    open_issues.MAX_KEPT = MAX_LISTED  # every phrase; the cap is applied when scoring
    strategy = StagedStrategy()
    assert strategy.gate is not None
    backend = make_backend("local")
    records: list[dict[str, Any]] = []
    started = time.perf_counter()
    for gold in load_gold_dir(gold_dir):
        p = prepare(strategy, gold)
        meter, t = Meter(), time.perf_counter()
        items = strategy._open_issues(backend, p.article, p.sentences, p.x, p.candidates, [], meter)
        record = {
            "id": gold.id,
            "blocked": p.blocked,
            "phrases": [o.text for o in items],
            "evidence": [o.evidence[0].text for o in items],
            "seconds": round(time.perf_counter() - t, 1),
            "dropped": meter.dropped_items,
        }
        records.append(record)
        print(gold.id, record["phrases"], file=sys.stderr, flush=True)
    write_result(out, strategy, started, records=records)


def score(paths: Sequence[Path], gold_dir: Path) -> None:
    golds = {g.id: g for g in load_gold_dir(gold_dir)}
    print("# file, seconds; per embedder: kept phrases (g: the gate applied) [TP, FP, FN] F1")
    for path in paths:
        data = json.loads(path.read_text())
        line = [path.name, f"{data['seconds']:.0f} s"]
        for embedder in EMBEDDERS:
            for cap in (2, 3):
                for gated in (False, True):
                    rows = [
                        counts(
                            golds[r["id"]],
                            [] if gated and r["blocked"] else r["phrases"][:cap],
                            embedder,
                        )
                        for r in data["records"]
                    ]
                    c = total(rows)
                    line.append(f"{embedder} {cap}{'g' if gated else ''} {list(c)} {f1(c):.3f}")
        print(" | ".join(line))


def caps(run: Path, gold_dir: Path) -> None:
    from summarizer.evaluation.runs import load_predictions

    golds = load_gold_dir(gold_dir)
    predictions = load_predictions(run)
    print(f"# python bench/oi_only.py caps {run}")
    for embedder in EMBEDDERS:
        by: dict[tuple[str, int], Counts] = {}
        for g in golds:
            prediction = predictions.get(g.id)
            summary = prediction.summary if prediction is not None else None
            phrases = [o.text for o in summary.open_issues] if summary else []
            for cap in (1, 2, 3):
                by[g.id, cap] = counts(g, phrases[:cap], embedder)
        ids = [g.id for g in golds]
        for cap in (1, 2, 3):
            c = total([by[i, cap] for i in ids])
            print(f"{embedder} keep {cap}: {list(c)} F1 {f1(c):.3f}")
        chosen = []
        for i in ids:
            rest = [j for j in ids if j != i]
            chosen.append(max((1, 2, 3), key=lambda k: (f1(total([by[j, k] for j in rest])), k)))
        c = total([by[i, k] for i, k in zip(ids, chosen, strict=True)])
        print(f"{embedder} leave-one-article-out: {list(c)} F1 {f1(c):.3f}; caps chosen {chosen}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("call", "score", "caps"))
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--gold", type=Path, default=ROOT / "evals")
    args = parser.parse_args()
    if args.mode == "call":
        call(args.paths[0], args.gold)
    elif args.mode == "score":
        score(args.paths, args.gold)
    else:
        caps(args.paths[0], args.gold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
