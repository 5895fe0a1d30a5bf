"""``summarizer summarize PATH... | -``: parse arguments, call the library, render."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from .. import api
from ..batch import BatchItem, Record, run_batch
from ..errors import UsageError
from ..io.cache import default_cache
from ..io.inputs import expand_paths, read_bytes, read_path
from ..io.markdown import to_markdown
from ..schema import NegotiationSummary
from ..settings import Settings
from ..strategies import STRATEGIES


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """``-v`` after the command too (``summarizer summarize x.txt -v``)."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="show the model's phases and more diagnostics on stderr (-vv: SDKs)",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs a model."""
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model",
        default=os.environ.get("SUMMARIZER_MODEL"),
        help="'local' (default: the embedded model, offline), 'local:/path/model.gguf', or a "
        "litellm model such as openai/gpt-4o-mini (env: SUMMARIZER_MODEL)",
    )
    group.add_argument("--api-base", help="base URL of an OpenAI-compatible or other provider")
    group.add_argument("--timeout", type=float, default=120.0, help="seconds per call (120)")
    group.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="articles in parallel: hosted models (default 8), or slots decoded together in "
        "the embedded model's one engine (default 1)",
    )
    group.add_argument("--max-reasks", type=int, default=1, help="re-asks after invalid output (1)")
    group.add_argument(
        "--transport-attempts",
        type=int,
        default=6,
        help="tries per call on timeouts, 429, 5xx, dropped connections (6)",
    )
    group.add_argument(
        "--mode",
        default="tools",
        choices=("tools", "json_schema", "json", "md_json"),
        help="how a hosted model is held to the answer schema: a forced tool call (tools, the "
        "default), a JSON-schema response format (json_schema), or the schema in the prompt "
        "with JSON output (json) or a fenced JSON block (md_json)",
    )
    group.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=None,
        help="how the model is asked: 'staged' (selected sentences, then small calls for the "
        "sides, each sentence's act and the open issues; the default for the embedded model) "
        "or 'single' (one call fills everything; the default for hosted models); the other "
        "names are the ablations of evals/README.md",
    )
    group.add_argument("--no-cache", action="store_true", help="ignore and do not fill the cache")


def make_summarizer(args: argparse.Namespace, *, phases: bool = False) -> api.Summarizer:
    """The Summarizer the arguments ask for. ``phases``: show the embedded model's
    phases on stderr (a single article: when stderr is a terminal, or with -v)."""
    show = phases and (
        (sys.stderr.isatty() and not getattr(args, "silent", False))
        or bool(getattr(args, "verbose", 0))
    )
    return api.Summarizer(
        settings=settings_from_args(args),
        cache=None if args.no_cache else default_cache(),
        progress=phase_printer() if show else None,
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The ``Settings`` the model options ask for; a bad value is a usage error."""
    values = {
        "model": args.model,
        "api_base": args.api_base,
        "timeout": args.timeout,
        "mode": args.mode,
        "concurrency": args.concurrency,
        "max_reasks": args.max_reasks,
        "transport_attempts": args.transport_attempts,
        "strategy": args.strategy,
        "max_chars": getattr(args, "max_chars", None),
    }
    return Settings.of(values, label=lambda field: "--" + field.replace("_", "-"))


def phase_printer(stream: TextIO | None = None) -> Any:
    """Print the embedded model's phases on stderr: loading the model, each call's
    tokens read and written, and a running count of one-token judgements (updated in
    place on a terminal, one line per four judgements otherwise)."""
    out = stream or sys.stderr
    tty = out.isatty()
    judged = 0

    def show(phase: str, detail: str) -> None:
        nonlocal judged
        if phase == "judging":
            judged += 1
            if tty:
                print(f"\rsummarizer: judging sentences ({judged} answers)", end="", file=out)
                out.flush()
            elif judged % 4 == 0:
                print(f"summarizer: judged {judged // 4} sentence(s)", file=out, flush=True)
            return
        if tty and judged:
            print(file=out)
            judged = 0
        if phase == "loading":
            print(f"summarizer: loading the model {detail} ...", file=out, flush=True)
        elif phase == "reading":
            print(f"summarizer: reading {detail} and writing the answer ...", file=out, flush=True)
        else:
            print(f"summarizer: {phase}: {detail}", file=out, flush=True)

    return show


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "summarize",
        help="summarize one or more articles",
        description=(
            "Summarize negotiation articles. One input prints one JSON summary (or Markdown "
            "with --format markdown). Several inputs, or a directory, run as a batch: one JSON "
            "record per line, written as each article finishes; with -o FILE a rerun resumes "
            "and skips articles already done. A final line on stderr counts successes and "
            "failures; the exit code is 1 if any article failed."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="article files, folders, or -")
    parser.add_argument(
        "-f", "--format", choices=["json", "markdown"], default="json", help="output format"
    )
    parser.add_argument("-o", "--output", help="write results to FILE instead of stdout")
    parser.add_argument("--title", help="the article's title (single input)")
    parser.add_argument(
        "--max-chars", type=int, default=None, help="refuse longer articles (200000)"
    )
    parser.add_argument("-s", "--silent", action="store_true", help="no progress bar")
    add_verbose(parser)
    add_model_options(parser)
    parser.set_defaults(handler=handle)


def _render(summary: NegotiationSummary, fmt: str) -> str:
    if fmt == "markdown":
        return to_markdown(summary)
    return summary.model_dump_json(indent=2) + "\n"


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output)
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def handle(args: argparse.Namespace) -> int:
    paths: list[str] = args.paths
    if "-" in paths and len(paths) > 1:
        raise UsageError("'-' (stdin) cannot be combined with other inputs")
    batch = len(paths) > 1 or any(Path(p).is_dir() for p in paths)
    if not batch:
        return _single(args, paths[0])
    if args.title:
        raise UsageError("--title applies to a single input")
    return _batch(args, expand_paths(paths))


def _single(args: argparse.Namespace, path: str) -> int:
    if path == "-":
        article = read_bytes(sys.stdin.buffer.read(), name="<stdin>", max_chars=args.max_chars)
    else:
        article = read_path(path, max_chars=args.max_chars)
    if args.title:
        article = type(article)(text=article.text, title=args.title, name=article.name)
    summary = make_summarizer(args, phases=True).summarize(article)
    _write(_render(summary, args.format), args.output)
    return 0


class _Progress:
    """A tqdm bar on stderr that steps aside when stderr is not a terminal or --silent."""

    def __init__(self, total: int, silent: bool) -> None:
        self.bar: Any = None
        if not silent and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", file=sys.stderr, dynamic_ncols=True)

    def step(self, record: Record) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{record.key[-30:]} {record.status}")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _stream_to(out: TextIO, fmt: str) -> Any:
    def emit(record: Record) -> None:
        if fmt == "markdown":
            if record.status == "ok" and record.summary is not None:
                summary = NegotiationSummary.model_validate(record.summary)
                out.write(to_markdown(summary, heading=record.key) + "\n")
            else:
                out.write(f"# {record.key}\n\n**failed:** {record.error}\n\n")
        else:
            out.write(record.to_json() + "\n")
        out.flush()

    return emit


def _batch(args: argparse.Namespace, paths: list[str]) -> int:
    if len(set(paths)) != len(paths):
        raise UsageError("the same input is named twice")
    items = [BatchItem(key=p, path=p) for p in paths]
    summarizer = make_summarizer(args)
    progress = _Progress(len(items), args.silent)
    emit = None
    if args.output is None:
        emit = _stream_to(sys.stdout, args.format)
        out = Path(tempfile.mkdtemp(prefix="summarizer-")) / "results.jsonl"
    else:
        if args.format != "json":
            raise UsageError("-o with several inputs writes JSONL records; drop --format")
        out = Path(args.output)

    def on_record(record: Record) -> None:
        progress.step(record)
        if emit is not None:
            emit(record)

    try:
        result = run_batch(
            summarizer.pipeline,
            items,
            out,
            concurrency=args.concurrency,
            max_chars=args.max_chars,
            on_record=on_record,
        )
    finally:
        progress.close()
    for record in result.records:
        if record.status == "failed" and record.error:
            message = record.error["message"]
            print(f"summarizer: failed: {record.key}: {message}", file=sys.stderr)
    skipped = f", {result.skipped} skipped (already done)" if result.skipped else ""
    cost = result.cost_usd
    spent = f"; cost ${cost:.4f}" if cost else ("; cost unknown" if cost is None else "")
    print(
        f"summarizer: {result.ok} summarized, {result.failed} failed{skipped}{spent}"
        + (f"; results in {out}" if args.output else ""),
        file=sys.stderr,
    )
    return 1 if result.failed else 0
