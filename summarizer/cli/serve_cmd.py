"""``summarizer serve``: the HTTP service on uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..redaction import RedactingFilter
from .summarize_cmd import add_model_options, add_verbose, make_summarizer


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the HTTP service (needs the [service] extra)",
        description=(
            "Serve summaries over HTTP with one loaded model: POST /v1/summaries (200 with the "
            "summary within --wait seconds, else 202 and a job to poll at /v1/jobs/{id}), "
            "POST /v1/batches, /healthz, /readyz, /metrics (Prometheus), OpenAPI at /docs and "
            "a page at /. Jobs persist in SQLite (--db): a restart, even after kill -9, "
            "loses no accepted job. API keys come from SUMMARIZER_API_KEYS (comma-separated); "
            "--no-auth runs without keys, on 127.0.0.1 only."
        ),
        epilog="Example: SUMMARIZER_API_KEYS=secret summarizer serve --port 8000",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks one)")
    parser.add_argument(
        "--db", type=Path, default=Path("summarizer-jobs.sqlite3"), help="job database file"
    )
    parser.add_argument(
        "--no-auth", action="store_true", help="no API keys (allowed on 127.0.0.1 only)"
    )
    parser.add_argument(
        "--wait", type=float, default=10.0, help="seconds a POST waits before answering 202 (10)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="jobs run at once (default: the model's bound)"
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=1_000_000, help="request body limit, 413 (1 MB)"
    )
    parser.add_argument(
        "--max-article-chars", type=int, default=100_000, help="article limit, 422 (100,000)"
    )
    parser.add_argument("--queue-limit", type=int, default=1000, help="queued jobs before 429")
    parser.add_argument(
        "--queue-timeout", type=float, default=3600.0, help="seconds a job may wait queued"
    )
    parser.add_argument(
        "--retention", type=float, default=7 * 24 * 3600.0, help="seconds results are kept (7 d)"
    )
    add_model_options(parser)
    add_verbose(parser)
    parser.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..service.app import create_app
        from ..service.config import ServiceConfig, keys_from_env
    except ImportError as exc:
        raise ConfigError(
            f"the service needs the [service] extra: pip install 'summarizer[service]' ({exc})"
        ) from exc
    config = ServiceConfig(
        host=args.host,
        port=args.port,
        db=args.db,
        api_keys=keys_from_env(),
        no_auth=args.no_auth,
        max_body_bytes=args.max_body_bytes,
        max_article_chars=args.max_article_chars,
        queue_limit=args.queue_limit,
        wait_seconds=args.wait,
        queue_timeout=args.queue_timeout,
        retention_seconds=args.retention,
        workers=args.workers or 1,
    ).check()
    summarizer = make_summarizer(args)
    if args.workers is None:
        config = config.model_copy(update={"workers": summarizer.backend.concurrency})
    app = create_app(config, summarizer)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactingFilter())
    print(
        f"summarizer: serving {summarizer.settings.model or 'local'} on "
        f"http://{config.host}:{config.port} (jobs in {config.db})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")
    return 0
