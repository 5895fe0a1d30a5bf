"""Each article starts from an empty KV cache: the requests the engine is sent.

The real engine's side (a fresh request reads its whole prompt, later ones reuse it)
is in ``test_local_model.py``; here a recording stand-in for xllamacpp's server shows
which requests ask for the cache, for one article, concurrent articles (threads and
asyncio tasks) and a failed first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer import Summarizer, SummarizerError
from summarizer.backends import engine as engine_module
from summarizer.backends.engine import Engine, EngineSettings, begin_article
from summarizer.backends.local import LocalBackend
from summarizer.errors import ProviderError

OK = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]}


class RecordingServer:
    """Answers every chat request (or fails the first ``fail`` ones) and records it."""

    def __init__(self, fail: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail = fail
        self._lock = threading.Lock()

    def handle_chat_completions(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(request)
            if self.fail:
                self.fail -= 1
                return {"error": {"message": "the context is full"}}
        return OK

    def cached(self, marker: str) -> list[bool]:
        """``cache_prompt`` of each request whose user message holds ``marker``."""
        return [r["cache_prompt"] for r in self.requests if marker in r["messages"][-1]["content"]]


def ask(engine: Engine, text: str) -> None:
    engine.chat([{"role": "user", "content": text}], schema=None, max_tokens=1)


@pytest.fixture
def engine() -> Iterator[tuple[Engine, RecordingServer]]:
    server = RecordingServer()
    one = Engine(Path("stand-in.gguf"), EngineSettings())
    one._server = server
    outside = engine_module._ARTICLE.set(None)  # no article begun by an earlier test
    yield one, server
    engine_module._ARTICLE.reset(outside)
    one._server = None


@pytest.fixture
def local(engine: tuple[Engine, RecordingServer]) -> Iterator[tuple[LocalBackend, RecordingServer]]:
    """A local backend whose process-wide engine is the recorded one."""
    one, server = engine
    key = (str(one.path), one.settings)
    engine_module._ENGINES[key] = one
    yield LocalBackend(str(one.path), one.settings), server
    engine_module._ENGINES.pop(key, None)


def test_an_articles_first_request_reads_afresh_and_the_rest_reuse_the_cache(
    engine: tuple[Engine, RecordingServer],
) -> None:
    one, server = engine
    ask(one, "before any article")
    begin_article()
    for _ in range(3):
        ask(one, "article A")
    begin_article()
    ask(one, "article B")
    assert server.cached("before") == [True]
    assert server.cached("article A") == [False, True, True]
    assert server.cached("article B") == [False]


def test_a_failed_first_request_leaves_the_next_one_fresh(
    engine: tuple[Engine, RecordingServer],
) -> None:
    one, server = engine
    server.fail = 1
    begin_article()
    with pytest.raises(ProviderError):
        ask(one, "article")
    ask(one, "article")
    ask(one, "article")
    assert server.cached("article") == [False, False, True]


def test_concurrent_articles_in_threads_each_start_fresh(
    engine: tuple[Engine, RecordingServer],
) -> None:
    one, server = engine
    both_begun = threading.Barrier(2)

    def read(name: str) -> None:
        begin_article()
        both_begun.wait()  # the two marks are set before either is used
        ask(one, name)
        ask(one, name)

    threads = [threading.Thread(target=read, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.cached("first") == [False, True]
    assert server.cached("second") == [False, True]


def test_concurrent_articles_as_asyncio_tasks_each_start_fresh(
    local: tuple[LocalBackend, RecordingServer],
) -> None:
    backend, server = local

    async def read(name: str) -> None:
        backend.begin_article()
        await asyncio.sleep(0)  # the other task begins too
        for _ in range(2):
            await backend.acomplete([{"role": "user", "content": name}], max_tokens=1)

    async def both() -> None:
        await asyncio.gather(read("first"), read("second"))

    asyncio.run(both())
    assert server.cached("first") == [False, True]
    assert server.cached("second") == [False, True]


def test_the_pipeline_begins_each_article_on_the_engine(
    local: tuple[LocalBackend, RecordingServer],
) -> None:
    backend, server = local
    with Summarizer(backend=backend, strategy="single", salvage=True) as s:
        for text in ("The union demanded a raise.", "The city offered a new lease."):
            with contextlib.suppress(SummarizerError):  # "{}" is no summary
                s.summarize(text)
    firsts = [r["cache_prompt"] for r in server.requests]
    assert firsts[0] is False
    assert firsts.count(False) == 2, firsts
