"""``summarizer batch INPUT OUTPUT [--engine local|ray]``: an archive in one run."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .summarize_cmd import add_model_options, add_verbose, make_summarizer, settings_from_args


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "batch",
        help="summarize an archive (folder, JSONL or Parquet) on this machine or on Ray",
        description=(
            "Summarize every article of INPUT (a folder of .txt/.md/.html files, a JSONL file "
            "of {id, text, title} rows, or a Parquet file with those columns) into OUTPUT "
            "(.jsonl, written as each article finishes, or .parquet, written at the end). "
            "One row per article: id, run_key (article hash + model and settings), status, "
            "summary (JSON), error, seconds. A failed article is a row with its reason; a "
            "rerun skips the articles already done and retries the failures. --engine ray "
            "runs the articles on Ray Data actors (the [ray] extra): a local Ray, or the "
            "cluster at RAY_ADDRESS."
        ),
        epilog="Example: summarizer batch archive/ summaries.jsonl --engine ray --actors 4",
    )
    parser.add_argument("input", type=Path, help="folder of articles, .jsonl or .parquet")
    parser.add_argument("output", type=Path, help="results: .jsonl or .parquet")
    parser.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="where to run (local)"
    )
    parser.add_argument("--actors", type=int, default=1, help="Ray actors (1)")
    parser.add_argument(
        "--per-actor",
        type=int,
        default=None,
        help="articles in flight per actor (default: 1 for the embedded model, 8 hosted)",
    )
    parser.add_argument(
        "--actor-cpus",
        type=float,
        default=None,
        help="CPUs reserved per actor (default 1 for the embedded model, 0.5 hosted)",
    )
    parser.add_argument(
        "--actor-memory-gb",
        type=float,
        default=None,
        help="memory reserved per actor, in GiB (2^30 bytes; default 3.5 for the embedded "
        "model, whose actor peaked at 2.99 GiB; none hosted)",
    )
    add_model_options(parser)
    add_verbose(parser)
    parser.set_defaults(handler=cmd_batch)


def _printer(started: float) -> Any:
    count = 0

    def show(row: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        what = "ok" if row["status"] == "ok" else "failed: " + json.loads(row["error"])["message"]
        print(
            f"summarizer: [{count}] {row['id']}: {what} ({time.monotonic() - started:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    return show


def cmd_batch(args: argparse.Namespace) -> int:
    if args.output.suffix not in (".jsonl", ".parquet"):
        raise UsageError(f"{args.output}: the output must end in .jsonl or .parquet")
    if args.actors < 1:
        raise UsageError("--actors must be at least 1")
    started = time.monotonic()
    if args.engine == "ray":
        from ..distributed import run

        memory = int(args.actor_memory_gb * 1024**3) if args.actor_memory_gb else None
        counts = run(
            args.input,
            args.output,
            settings=settings_from_args(args),
            actors=args.actors,
            per_actor=args.per_actor,
            actor_cpus=args.actor_cpus,
            actor_memory=memory,
            on_row=_printer(started),
        )
    else:
        from ..archive import run_local

        with make_summarizer(args) as summarizer:
            counts = run_local(
                args.input,
                args.output,
                summarizer,
                chunk=args.per_actor or summarizer.backend.concurrency,
                on_row=_printer(started),
            )
    print(
        f"summarizer: {counts['ok']} ok, {counts['failed']} failed, {counts['skipped']} already "
        f"done ({time.monotonic() - started:.1f} s) -> {args.output}",
        file=sys.stderr,
    )
    return 1 if counts["failed"] else 0
