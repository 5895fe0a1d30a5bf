"""Entry point: ``summarizer summarize ...`` and ``summarizer eval ...``.

Errors become one line on stderr and an exit code (1 failure, 2 usage). Set
SUMMARIZER_DEBUG=1 to see the full traceback instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import SummarizerError
from ..redaction import RedactingFilter, redact
from . import batch_cmd, eval_cmd, serve_cmd, summarize_cmd, track_cmd


def _setup_logging(verbose: int) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("summarizer: %(message)s"))
    handler.addFilter(RedactingFilter())
    ours = logging.getLogger("summarizer")
    ours.handlers[:] = [handler]
    ours.propagate = False
    ours.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    # Third-party chatter (instructor logs every failed attempt at ERROR) stays quiet
    # unless asked for: our own messages already say what failed.
    for name in ("instructor", "LiteLLM", "litellm", "httpx", "openai"):
        other = logging.getLogger(name)
        other.handlers[:] = [handler] if verbose > 1 else [logging.NullHandler()]
        other.propagate = False
        other.setLevel(logging.DEBUG if verbose > 2 else logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarizer",
        description=(
            "Structured summaries of negotiation articles: parties, demands, concessions and "
            "open issues, each grounded in the sentence of the article that supports it. "
            "Runs offline on an embedded model by default."
        ),
        epilog="Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted. "
        "SUMMARIZER_DEBUG=1 shows tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"summarizer {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more diagnostics on stderr (-vv: SDKs)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    summarize_cmd.register(commands)
    track_cmd.register(commands)
    serve_cmd.register(commands)
    batch_cmd.register(commands)
    eval_cmd.register(commands)
    return parser


def _debug() -> bool:
    """SUMMARIZER_DEBUG=1 (or true/yes/on) re-raises errors with their traceback."""
    value = os.environ.get("SUMMARIZER_DEBUG", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    _setup_logging(args.verbose)
    try:
        code: int = args.handler(args)
        return code
    except SummarizerError as exc:
        if _debug():
            raise
        print(f"summarizer: error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("summarizer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `summarizer ... | head`
        return 1


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
