"""``summarizer eval track``: score tracking against the series gold."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import SummarizerError
from ..schema import NegotiationSummary
from ..similarity.text import EMBEDDERS
from .summarize_cmd import add_model_options, make_summarizer


def register(commands: Any) -> None:
    track = commands.add_parser(
        "track",
        help="track every gold series and score its changes (evals/series)",
        description="Follow each series of evals/series (evals/SERIES_FORMAT.md) and score the "
        "changes found after each article against the series gold: P/R/F1 by kind of change, "
        "party unification and demand-concession links. Writes report.md, scores.json and "
        "each series' timeline (JSON, Markdown, HTML) into --out. The summaries come from a "
        "saved eval run (--run, no model call), from the gold files (--gold-items: the "
        "tracker alone on perfect extraction), or from the model now (model options).",
    )
    track.add_argument(
        "--series-dir",
        type=Path,
        default=Path("evals/series"),
        help="series gold files (default evals/series)",
    )
    track.add_argument("--gold-dir", type=Path, default=Path("evals"), help="article golds")
    source = track.add_mutually_exclusive_group()
    source.add_argument("--run", type=Path, help="eval run folder with predictions.jsonl")
    source.add_argument("--gold-items", action="store_true", help="summaries from gold files")
    track.add_argument("--out", type=Path, required=True, help="report folder")
    track.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default="minilm",
        help="text similarity for tracking and for matching gold (minilm)",
    )
    add_model_options(track)
    track.set_defaults(handler=cmd_track)


def cmd_track(args: argparse.Namespace) -> int:
    from ..evaluation.gold import Gold, load_gold_dir
    from ..evaluation.series_gold import load_series_dir
    from ..evaluation.track_eval import from_gold, from_run, run_track_eval
    from ..evaluation.track_scoring import markdown

    golds = {g.id: g for g in load_gold_dir(args.gold_dir)}
    series = load_series_dir(args.series_dir, golds)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.run:
        source, label = from_run(args.run), f"run {args.run}"
        scores = run_track_eval(series, golds, source, label, args.out, embedder=args.embedder)
    elif args.gold_items:
        scores = run_track_eval(
            series, golds, from_gold(), "gold items", args.out, embedder=args.embedder
        )
    else:
        with make_summarizer(args) as summarizer:

            def summarize(gold: Gold) -> NegotiationSummary | None:
                print(f"summarizer: summarizing {gold.id}", file=sys.stderr, flush=True)
                try:
                    return summarizer.summarize(gold.article, title=gold.title)
                except SummarizerError as exc:
                    print(f"summarizer: {gold.id} failed: {exc}", file=sys.stderr)
                    return None

            label = f"model {summarizer.settings.model or 'local'}"
            scores = run_track_eval(
                series, golds, summarize, label, args.out, embedder=args.embedder
            )
    sys.stdout.write(markdown(scores).split("\n## Per series")[0] + "\n")
    print(f"summarizer: wrote {args.out / 'report.md'}", file=sys.stderr)
    return 0
