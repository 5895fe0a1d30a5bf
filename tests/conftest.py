"""Shared fixtures: an isolated environment for every test, and the fault server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_server import FaultServer

#: The fake key tests run with; it must never show up in any output.
FAKE_KEY = "sk-test-FAKEKEY0123456789abcdef"
MODEL = "openai/fake-model"


#: Loggers whose handlers ``cli.main`` replaces on every call.
_CLI_LOGGERS = ("summarizer", "instructor", "LiteLLM", "litellm", "httpx", "openai")


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Never touch the user's cache, never pick up a real key or model; undo the
    CLI's logging setup (its handlers write to the test's captured, then closed, stderr)."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(cache))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for name in ("OPENAI_API_KEY", "SUMMARIZER_MODEL", "SUMMARIZER_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    saved = {}
    for name in _CLI_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.handlers[:], logger.propagate, logger.level)
    yield cache
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate, logger.level = handlers, propagate, level


@pytest.fixture
def cache_dir(_isolated_env: Path) -> Path:
    return _isolated_env


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    """A running fault server, a fake OPENAI_API_KEY and fast transport backoff."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("SUMMARIZER_RETRY_BASE_DELAY", "0.01")
    with FaultServer() as fault_server:
        yield fault_server


@pytest.fixture
def hosted(server: FaultServer) -> Callable[..., Any]:
    """Build a Pipeline on the fault server: ``hosted(max_reasks=1, attempts=3, ...)``.

    Strict by default (``salvage=False``): a persistent invalid answer fails, so the
    fault matrix sees every error; salvaging is tested on its own.
    """
    from summarizer.backends.hosted import HostedBackend
    from summarizer.backends.transport import RetryPolicy
    from summarizer.pipeline import Pipeline
    from summarizer.settings import Settings

    def build(
        *,
        attempts: int = 3,
        timeout: float = 5.0,
        concurrency: int = 8,
        mode: str = "tools",
        cache: Any = None,
        base_delay: float = 0.01,
        salvage: bool = False,
        **options: Any,
    ) -> Pipeline:
        backend = HostedBackend(
            model=MODEL,
            api_base=server.api_base,
            timeout=timeout,
            mode=mode,
            concurrency=concurrency,
            retry=RetryPolicy(attempts=attempts, base_delay=base_delay, max_delay=0.05),
        )
        opts = Settings(transport_attempts=attempts, salvage=salvage, **options)
        return Pipeline(backend, opts, cache=cache)

    return build
