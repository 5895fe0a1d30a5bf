"""The staged strategy's sides, alone: parties F1 on the gold articles and on the
written stories.

    python bench/parties.py [--set gold|stories|both] [--out bench/results/parties.json]

Runs stages 1–2 of the staged strategy (the selector's candidates, the sides call on the
embedded model, ``staged.declare_sides``) on:

- the 17 gold articles, scored against their gold parties (the scorer's party
  matching, ``similarity.matching.PartyResolver``);
- the 56 written stories of ``evals/training/sentences.jsonl`` (their sentences in
  order, one text per story), scored against each story's ``parties``. The stories were
  written for the project and never used to write the sides prompt or its code repairs,
  so they are the fairer test.

One engine, nothing else running: about 15 s per text on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from summarizer.backends.local import LocalBackend
from summarizer.errors import SummarizerError
from summarizer.evaluation.gate_training import read_stories
from summarizer.evaluation.gold import load_gold_dir
from summarizer.grounding.sentences import split_sentences
from summarizer.io.inputs import make_article
from summarizer.similarity.matching import PartyResolver
from summarizer.strategies.sides import StagedParties
from summarizer.strategies.staged import StagedStrategy, declare_sides
from summarizer.strategies.structured import Meter, structured

ROOT = Path(__file__).resolve().parents[1]
GoldParties = list[tuple[str, tuple[str, ...], bool]]


def texts(which: str) -> list[tuple[str, str, GoldParties]]:
    out: list[tuple[str, str, GoldParties]] = []
    if which in ("gold", "both"):
        for gold in load_gold_dir(ROOT / "evals"):
            parties = [(p.name, p.aliases, p.optional) for p in gold.parties]
            out.append((gold.id, gold.article, parties))
    if which in ("stories", "both"):
        path = ROOT / "evals" / "training" / "sentences.jsonl"
        for topic, (text, names) in read_stories(path).items():
            out.append((f"story:{topic}", text, [(p, (), False) for p in names]))
    return out


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=("gold", "stories", "both"), default="both")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "parties.json")
    args = parser.parse_args()
    strategy = StagedStrategy()
    backend = LocalBackend()
    results: dict[str, dict[str, Any]] = {}
    for key, text, gold in texts(args.set):
        article = make_article(text)  # the title is the first line, as in `eval run`
        sentences = split_sentences(text)
        candidates = strategy._candidates(article, sentences)
        started = time.perf_counter()
        error = None
        parties = []
        if candidates:
            request = strategy._parties_request(article, sentences, candidates)
            try:
                found = structured(backend, request, Meter())
                assert isinstance(found, StagedParties)
                parties = declare_sides(found, article)
            except SummarizerError as exc:
                error = str(exc)
        scored = PartyResolver(gold, [(p.name, p.aliases) for p in parties]).assignment
        results[key] = {
            "predicted": [p.name for p in parties],
            "gold": [g[0] for g in gold],
            "tp": scored.tp,
            "fp": scored.fp,
            "fn": scored.fn,
            "seconds": round(time.perf_counter() - started, 1),
            "error": error,
        }
        print(
            f"{key[:44]:<44} {[p.name for p in parties]} tp/fp/fn {scored.tp}/{scored.fp}/"
            f"{scored.fn}",
            file=sys.stderr,
            flush=True,
        )
    summary = {}
    for name, prefix in (("gold", False), ("stories", True)):
        rows = [v for k, v in results.items() if k.startswith("story:") == prefix]
        if rows:
            tp, fp, fn = (sum(int(r[k]) for r in rows) for k in ("tp", "fp", "fn"))
            failed = sum(r["error"] is not None for r in rows)
            summary[name] = {
                "texts": len(rows),
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "f1": round(f1(tp, fp, fn), 3),
                "failed": failed,
            }
            print(
                f"{name}: {len(rows)} texts, parties F1 {f1(tp, fp, fn):.3f} "
                f"(tp {tp}, fp {fp}, fn {fn}; {failed} failed)"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "texts": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
