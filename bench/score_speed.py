"""Time the scorer on 1,000 synthetic (gold, prediction) article pairs.

Each pair takes a gold file of evals/ (round robin) and perturbs it into a
prediction: items dropped, texts shortened or reworded, a party renamed to one of
its aliases, spurious items borrowed from another article. Prints the seconds for:
a cold run (empty embedding caches), a warm run (same process, in-memory cache), and
a run in a fresh embedder reading the on-disk embedding cache, and writes them to
bench/results/score_speed.json, which BENCHMARKS.md shows.

    python bench/score_speed.py [--pairs 1000] [--embedder minilm] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from summarizer.evaluation.gold import Gold, GoldItem, load_gold_dir
from summarizer.evaluation.scoring import Prediction, score_run
from summarizer.evaluation.synthetic import make_summary
from summarizer.similarity.text import LexicalSimilarity, MiniLMSimilarity, TextSimilarity

ROOT = Path(__file__).resolve().parents[1]
EVALS = ROOT / "evals"
TARGET_S = 10.0
FIELDS = ("demands", "concessions", "open_issues")


def _reword(text: str, rng: random.Random) -> str:
    words = text.split()
    choice = rng.randrange(4)
    if choice == 0 or len(words) < 4:
        return text
    if choice == 1:  # drop a word
        return " ".join(words[:2] + words[3:])
    if choice == 2:  # shorten
        return " ".join(words[: max(3, len(words) * 2 // 3)])
    return "they " + text  # a prefix, as models often add


def perturb(gold: Gold, other: Gold, rng: random.Random) -> Prediction:
    """A plausible imperfect prediction for ``gold``."""
    items: dict[str, list[GoldItem]] = {}
    for field in FIELDS:
        kept = [g for g in gold.items(field) if rng.random() > 0.2]
        spare = [g for g in other.items(field) if g.party is None]  # no party to resolve
        if spare and rng.random() < 0.3:
            kept.append(replace(rng.choice(spare), parties=(), span=None))
        items[field] = kept
    summary = make_summary(gold, items=items, rewrite=lambda t: _reword(t, rng))
    if summary.parties and summary.parties[0].aliases and rng.random() < 0.3:
        party = summary.parties[0]
        alias = party.aliases[0]
        if alias not in {p.name for p in summary.parties}:  # rename to an alias, keep refs
            party.name, party.aliases = alias, [party.name]
            for item in [*summary.demands, *summary.concessions]:
                if item.party == gold.parties[0].name:
                    item.party = alias
                if item.to == gold.parties[0].name:
                    item.to = alias
            for issue in summary.open_issues:
                issue.parties = [alias if p == gold.parties[0].name else p for p in issue.parties]
    return Prediction(summary)


def build(n: int, seed: int = 7) -> tuple[list[Gold], dict[str, Prediction]]:
    """``n`` synthetic articles (renamed copies of gold files) and their predictions."""
    base = load_gold_dir(EVALS)
    rng = random.Random(seed)
    golds: list[Gold] = []
    predictions: dict[str, Prediction] = {}
    for i in range(n):
        gold = base[i % len(base)]
        copy = Gold(
            id=f"{gold.id}#{i}",
            path=gold.path,
            article=gold.article,
            title=gold.title,
            parties=gold.parties,
            demands=gold.demands,
            concessions=gold.concessions,
            open_issues=gold.open_issues,
        )
        golds.append(copy)
        predictions[copy.id] = perturb(gold, base[(i + 5) % len(base)], rng)
    return golds, predictions


def timed(golds: list[Gold], preds: dict[str, Prediction], sim: TextSimilarity) -> float:
    started = time.perf_counter()
    scores = score_run(golds, preds, sim)
    seconds = time.perf_counter() - started
    print(f"  headline F1 {scores.metrics['headline']:.3f}", file=sys.stderr)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--embedder", choices=("minilm", "lexical"), default="minilm")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "score_speed.json")
    args = parser.parse_args()
    golds, preds = build(args.pairs)
    texts = {
        i.text for p in preds.values() if p.summary for f in FIELDS for i in getattr(p.summary, f)
    } | {g.text for x in golds for f in FIELDS for g in x.items(f)}
    print(f"{args.pairs} article pairs, {len(texts)} distinct item texts", file=sys.stderr)
    if args.embedder == "lexical":
        print(f"lexical: {timed(golds, preds, LexicalSimilarity()):.2f} s")
        return 0
    with tempfile.TemporaryDirectory() as cache:
        sim = MiniLMSimilarity(disk_cache=Path(cache))
        cold = timed(golds, preds, sim)
        print(f"minilm, cold caches (embeds every text): {cold:.2f} s ({sim.model_calls} calls)")
        warm = timed(golds, preds, sim)
        print(f"minilm, warm in-memory cache: {warm:.2f} s")
        fresh = MiniLMSimilarity(disk_cache=Path(cache))
        disk = timed(golds, preds, fresh)
        print(f"minilm, new process, on-disk cache: {disk:.2f} s ({fresh.model_calls} calls)")
    result = {
        "pairs": args.pairs,
        "distinct_texts": len(texts),
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 2),
        "disk_cache_s": round(disk, 2),
        "target_s": TARGET_S,
        "met": cold < TARGET_S,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "command": " ".join(["python bench/score_speed.py", *sys.argv[1:]]),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
