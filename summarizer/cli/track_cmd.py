"""``summarizer track A.txt B.txt ...``: follow one negotiation across articles."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..similarity.text import EMBEDDERS
from ..tracking.markdown import to_markdown
from ..tracking.model import Step, Timeline
from ..tracking.run import iter_track, make_tracker, series_of
from ..tracking.series import ORDERS, SeriesArticle
from ..tracking.tracker import Tracker
from .summarize_cmd import add_model_options, add_verbose, make_summarizer

FORMATS = ("markdown", "json", "jsonl", "html")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "track",
        help="follow one negotiation across articles: what each article changed",
        description=(
            "Summarize each article in reading order (reusing the cache) and follow the "
            "negotiation: parties unified across articles, each demand, concession and open "
            "issue with a stable id (D1, C1, I1), and after each article its changes (new "
            "demand, demand met, demand not mentioned, new concession, concession advanced, "
            "issue opened or resolved, restated), each citing its evidence, plus which "
            "concession answers which demand."
        ),
        epilog=(
            "Example: summarizer track geneva.txt tensions.txt call.txt --format html -o "
            "timeline.html. JSON schema: summarizer.tracking.model.Timeline (schema_version "
            "in the output). --format jsonl streams one step per line as each article is read, "
            "then a last line with the parties, items and links."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="ARTICLE", help="article files (txt/md/html)")
    parser.add_argument(
        "--dates",
        help="comma-separated dates (YYYY-MM-DD), one per article, to order them by",
    )
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="given",
        help="'given': the order on the command line (default); 'text': by the date in each "
        "article's header (a 'Date: ...' line or a line that is only a date)",
    )
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="output (markdown)")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    parser.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default="minilm",
        help="text similarity that decides when two items are the same (minilm)",
    )
    add_model_options(parser)
    add_verbose(parser)
    parser.set_defaults(handler=cmd_track)


def render(timeline: Timeline, fmt: str) -> str:
    if fmt == "json":
        return timeline.model_dump_json(indent=2) + "\n"
    if fmt == "html":
        from ..tracking.html import render_html

        return render_html(timeline)
    return to_markdown(timeline)


def _progress(started: float) -> Any:
    def show(index: int, total: int, step: Step) -> None:
        seconds = time.monotonic() - started
        if step.article.error:
            what = f"failed: {step.article.error}"
        else:
            real = [c for c in step.changes if c.kind != "restated"]
            what = f"{len(real)} change(s), {len(step.changes) - len(real)} restated"
        print(
            f"summarizer: [{index}/{total}] {step.article.id}: {what} ({seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    return show


def cmd_track(args: argparse.Namespace) -> int:
    dates = [d.strip() for d in args.dates.split(",")] if args.dates else None
    series = series_of(args.paths, dates=dates, by=args.order)
    tracker = make_tracker(args.embedder)
    if args.format == "jsonl":
        return _stream(args, series, tracker)
    with make_summarizer(args) as summarizer:
        progress = _progress(time.monotonic())
        steps = list(iter_track(series, summarizer, tracker, progress=progress, total=len(series)))
    text = render(tracker.timeline(steps), args.format)
    if args.output:
        tmp = args.output.with_name(args.output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.output)
        print(f"summarizer: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 1 if any(step.article.error for step in steps) else 0


def _stream(args: argparse.Namespace, series: list[SeriesArticle], tracker: Tracker) -> int:
    """JSONL: one step per line as each article is read (nothing kept), then a line
    with the series' parties, items and links."""
    failed = False
    with contextlib.ExitStack() as stack:
        summarizer = stack.enter_context(make_summarizer(args))
        out: TextIO = (
            stack.enter_context(args.output.open("w", encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        progress = _progress(time.monotonic())
        for step in iter_track(series, summarizer, tracker, progress=progress, total=len(series)):
            failed = failed or step.article.error is not None
            out.write(step.model_dump_json() + "\n")
            out.flush()
        out.write(tracker.timeline([]).model_dump_json() + "\n")
    return 1 if failed else 0
