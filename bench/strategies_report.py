"""Tables from the runs of ``bench/strategies.py``: F1 per field with 95% CIs (both
embedders), seconds and tokens per article, peak RSS, paired differences, probes.

    python bench/strategies_report.py bench/results/strategies > bench/results/strategies/tables.md

Nothing is re-run and no run folder is rewritten: predictions are re-scored in memory.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from report import gigabytes

from summarizer.evaluation import load_gold_dir, score_run
from summarizer.evaluation.metrics import paired_bootstrap_delta
from summarizer.evaluation.runs import load_predictions
from summarizer.similarity.text import make_similarity

FIELDS = ("parties", "demands", "concessions", "open_issues")
ORDER = ("today", "single", "staged-selector", "staged-choice", "staged", "staged-c2")
LABELS = {
    "today": "today's default: single call, llama-cpp-python + own decoder",
    "single": "single call, xllamacpp",
    "staged-selector": "staged, selector only (no judgements)",
    "staged-choice": "staged, model picks the side (multiple choice)",
    "staged": "**staged (new default)**",
    "staged-c2": "staged, two articles decoded together (`--concurrency 2`)",
}


def ci(scores: Any, key: str) -> str:
    lo, hi = scores.ci[key]
    return f"{scores.metrics[key]:.3f} [{lo:.2f}, {hi:.2f}]"


def headline(scores: Any) -> float:
    return float(scores.metrics["headline"])


def main() -> None:
    root = Path(sys.argv[1])
    gold = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("evals")
    golds = load_gold_dir(gold)
    runs = [c for c in ORDER if (root / c / "predictions.jsonl").is_file()]
    scored: dict[str, dict[str, Any]] = {}
    for embedder in ("minilm", "lexical"):
        sim = make_similarity(embedder)
        for config in runs:
            scored.setdefault(config, {})[embedder] = score_run(
                golds, load_predictions(root / config), sim
            )
    print(
        "| strategy | headline | parties | demands | concessions | open issues | "
        "s/article (median) | prompt tokens (mostly cached) / written per article | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for config in runs:
        s = scored[config]["minilm"]
        meta = json.loads((root / config / "run.json").read_text())
        bench = json.loads((root / config / "bench.json").read_text())
        secs = list(meta["seconds_per_article"].values())
        tokens = meta.get("tokens", {})
        n = max(1, len(secs))
        print(
            f"| {LABELS[config]} | {headline(s):.3f} [{s.ci['headline'][0]:.2f}, "
            f"{s.ci['headline'][1]:.2f}] | "
            + " | ".join(ci(s, f"{f}.f1") for f in FIELDS)
            + f" | {statistics.median(secs):.1f} | "
            f"{tokens.get('prompt_tokens', 0) / n:,.0f} / "
            f"{tokens.get('completion_tokens', 0) / n:,.0f} "
            f"| {gigabytes(bench['peak_rss_mb']):.2f} GB |"
        )
    print()
    print("Lexical embedder (same predictions):")
    print()
    print("| strategy | headline | parties | demands | concessions | open issues |")
    print("|---|---|---|---|---|---|")
    for config in runs:
        s = scored[config]["lexical"]
        print(
            f"| {LABELS[config]} | {headline(s):.3f} | "
            + " | ".join(f"{s.metrics[f'{f}.f1']:.3f}" for f in FIELDS)
            + " |"
        )
    if "today" in runs:
        print()
        print("Paired differences against today's default (B − A, 95% paired bootstrap CI):")
        print()
        print("| B | embedder | headline | demands | concessions | open issues |")
        print("|---|---|---|---|---|---|")
        for config in runs:
            if config == "today":
                continue
            for embedder in ("minilm", "lexical"):
                a = scored["today"][embedder]
                b = scored[config][embedder]
                d = paired_bootstrap_delta(a.count_matrix(), b.count_matrix())
                cells = [
                    f"{d[k][0]:+.3f} [{d[k][1]:+.2f}, {d[k][2]:+.2f}]"
                    for k in ("headline", "demands.f1", "concessions.f1", "open_issues.f1")
                ]
                print(f"| {config} | {embedder} | " + " | ".join(cells) + " |")
    print()
    print("Throughput (wall time of the whole run, 17 articles, one process each):")
    print()
    print("| configuration | run seconds | articles per minute |")
    print("|---|---|---|")
    for config in runs:
        bench = json.loads((root / config / "bench.json").read_text())
        meta = json.loads((root / config / "run.json").read_text())
        n = meta["articles"]["total"]
        print(f"| {LABELS[config]} | {bench['seconds']:.0f} | {60 * n / bench['seconds']:.2f} |")


if __name__ == "__main__":
    main()
