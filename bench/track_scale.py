"""Tracking a long series on the fake backend: seconds and memory.

A synthetic negotiation of N articles (a union and a company; each article restates
some demands, advances some concessions, opens and settles issues). Each article is
summarized by ``MockBackend`` through the whole pipeline (validation, grounding), then
tracked with ``iter_track``; one step at a time, nothing kept but the tracker's items.
Reports wall seconds and the peak RSS after 50 and after N articles: memory that
stays flat as N grows is what "streams in constant memory" means here.

    python bench/track_scale.py --articles 50 500 --out bench/results/track_scale.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import summarizer
from summarizer import MockBackend, Summarizer
from summarizer.io.inputs import make_article
from summarizer.tracking import iter_track, make_tracker
from summarizer.tracking.series import SeriesArticle

TOPICS = ["wages", "pensions", "overtime", "health cover", "shift length", "job security"]


def article(i: int) -> tuple[str, dict[str, Any]]:
    """Article ``i`` and the scripted answer that summarizes it."""
    topic, nxt = TOPICS[i % len(TOPICS)], TOPICS[(i + 1) % len(TOPICS)]
    demand = f"The union demanded a better deal on {topic} in round {i // len(TOPICS)}."
    concession = f"The company offered to improve {topic} for all staff."
    issue = f"The two sides still disagree on {nxt}."
    text = f"Talks resumed on day {i}. {demand} {concession} {issue}"
    answer = {
        "summary": f"Talks resumed on day {i}.",
        "parties": [
            {"name": "union", "kind": "union", "aliases": []},
            {"name": "company", "kind": "company", "aliases": []},
        ],
        "demands": [{"by": "union", "to": "company", "what": demand}],
        "concessions": [{"by": "company", "to": "union", "what": concession, "status": "offered"}],
        "open_issues": [{"among": ["union", "company"], "what": issue}],
    }
    return text, answer


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, embedder: str) -> dict[str, Any]:
    answers = [article(i)[1] for i in range(n)]
    backend = MockBackend(lambda messages, call: answers[call])
    series = (SeriesArticle(f"day-{i:04d}", make_article(article(i)[0]), None) for i in range(n))
    tracker = make_tracker(embedder)
    started = time.perf_counter()
    changes = 0
    rss_at_50 = None
    with Summarizer(backend=backend, strategy="single") as s:
        for k, step in enumerate(iter_track(series, s, tracker), start=1):
            changes += len(step.changes)
            if k == 50:
                rss_at_50 = rss_mb()
    seconds = time.perf_counter() - started
    return {
        "articles": n,
        "embedder": embedder,
        "seconds": round(seconds, 2),
        "articles_per_second": round(n / seconds, 1),
        "changes": changes,
        "items": len(tracker.items),
        "peak_rss_mb_after_50": None if rss_at_50 is None else round(rss_at_50, 1),
        "peak_rss_mb_at_end": round(rss_mb(), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[50])
    parser.add_argument("--embedder", default="minilm", choices=("minilm", "lexical"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    for n in args.articles:
        row = run(n, args.embedder)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    result = {
        "bench": "track_scale",
        "summarizer": summarizer.__version__,
        "python": platform.python_version(),
        "rows": rows,
    }
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
