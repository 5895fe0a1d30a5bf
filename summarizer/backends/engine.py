"""The embedded engine: llama.cpp's native server, in-process, through ``xllamacpp``.

``xllamacpp`` ships prebuilt wheels (no compile on install). Its ``Server`` runs the
llama.cpp server loop in a thread of this process: OpenAI-style chat completions,
JSON-schema constrained output, prompt caching (a request that shares a prefix with
the slot's last one reuses its KV cache) and continuous batching over ``n_parallel``
slots. It is thread safe, so concurrent callers are batched inside one engine, never
run as two engines on the same cores (see BENCHMARKS.md, "Engines").

One ``Engine`` per (model file, settings) per process; it loads on first use.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ProviderError
from .base import Completion

log = logging.getLogger("summarizer")


def default_threads() -> int:
    """One thread per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class EngineSettings:
    """How the embedded engine runs. ``n_ctx`` is per slot."""

    n_ctx: int = 8192
    n_parallel: int = 1  # slots decoded together (continuous batching)
    n_threads: int = 0  # 0: one per core
    n_batch: int = 512
    n_ubatch: int = 512
    seed: int = 0
    # llama.cpp's host-memory prompt cache (MiB) keeps the KV state of earlier prompts
    # and restores the best match for a new one. Off: with one slot, the slot's own
    # cache already holds the article being read, and states restored from earlier
    # articles made an article's answers depend on what ran before it (and cost RAM).
    cache_ram_mib: int = 0


class _Article:
    """An article's pending "read afresh" mark, shared by the threads its calls run in."""

    def __init__(self) -> None:
        self.fresh = True


#: The article being read in this context (a thread, or an asyncio task and the worker
#: threads ``asyncio.to_thread`` copies its context into), so concurrent articles on
#: one engine each keep their own mark.
_ARTICLE: ContextVar[_Article | None] = ContextVar("summarizer_article", default=None)


def begin_article() -> None:
    """The next request made in this context reads its whole prompt afresh instead of
    reusing the KV cache that earlier requests left in the slot.

    Reusing a cached prefix is exact in principle, but the rest of the prompt is then
    computed in batches that start elsewhere, and float sums in another order can flip
    a greedy choice: the Iran statement lost both its open issues when read after
    three other articles. Starting each article from an empty slot makes its summary
    the same alone (the CLI) as after others (a batch, the eval); its later requests
    still reuse its own prefix. This holds with one slot (the default); with several,
    articles decoded together share batches and that changes the numerics too.
    """
    _ARTICLE.set(_Article())


class Engine:
    """One loaded model serving chat completions (thread safe, batched)."""

    def __init__(self, path: Path, settings: EngineSettings) -> None:
        self.path = path
        self.settings = settings
        self._server: Any = None
        self._lock = threading.Lock()
        self.load_seconds = 0.0

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def _load(self) -> Any:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(
                "the local backend needs xllamacpp: pip install 'summarizer[local]'"
            ) from exc
        if not self.path.is_file():
            raise ConfigError(f"model file not found: {self.path}", path=str(self.path))
        s = self.settings
        threads = s.n_threads or default_threads()
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_parallel = max(1, s.n_parallel)
        params.n_ctx = s.n_ctx * params.n_parallel  # the context is shared by the slots
        params.n_batch = s.n_batch
        params.n_ubatch = s.n_ubatch
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.seed = s.seed
        params.warmup = False
        params.cache_prompt = True
        params.cache_ram_mib = s.cache_ram_mib
        params.cache_idle_slots = s.cache_ram_mib > 0  # idle slots are saved to that cache
        # llama.cpp logs every request to fd 2; SUMMARIZER_ENGINE_LOG=1 keeps that.
        params.verbosity = 1 if os.environ.get("SUMMARIZER_ENGINE_LOG") else -1
        log.info(
            "loading %s (n_ctx=%d, slots=%d, threads=%d)",
            self.path.name,
            s.n_ctx,
            params.n_parallel,
            threads,
        )
        started = time.perf_counter()
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:
            raise ConfigError(
                f"could not load model {self.path}: {exc}", path=str(self.path)
            ) from exc
        self.load_seconds = time.perf_counter() - started
        return server

    def server(self) -> Any:
        with self._lock:
            if self._server is None:
                self._server = self._load()
            return self._server

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float = 0.0,
    ) -> Completion:
        """One chat completion, constrained to ``schema`` when given."""
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": self.settings.seed,
        }
        if schema is not None:
            request["grammar"] = compact_json_grammar(schema)
        return _completion(self._send(request))

    def choice_probs(
        self, messages: list[dict[str, str]], options: Sequence[str]
    ) -> tuple[dict[str, float], Completion]:
        """The probability of each option as the answer's first word (case and leading
        space ignored), renormalised over the options, from one generated token."""
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 20,
        }
        answer = self._send(request)
        content = (answer["choices"][0].get("logprobs") or {}).get("content") or []
        top = content[0].get("top_logprobs", []) if content else []
        return option_probs(top, options), _completion(answer)

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one chat request, reusing the KV cache unless it is the first of an
        article begun in this context (``begin_article``); that mark is used up only
        by an answer, so after a failure the next request still reads afresh."""
        article = _ARTICLE.get()
        fresh = article is not None and article.fresh
        answer = self.server().handle_chat_completions({**request, "cache_prompt": not fresh})
        if not isinstance(answer, dict) or "choices" not in answer:
            detail = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise ProviderError(
                f"the local engine failed: {str(detail)[:300]}", provider_cause="engine", attempts=1
            )
        if article is not None:
            article.fresh = False
        return answer

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        del server  # the server's destructor stops its loop and frees the model


def _completion(answer: dict[str, Any]) -> Completion:
    choice = answer["choices"][0]
    usage = answer.get("usage") or {}
    timings = answer.get("timings") or {}
    return Completion(
        text=choice["message"].get("content") or "",
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
        cached_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)),
        prompt_seconds=float(timings.get("prompt_ms", 0.0)) / 1000,
        generation_seconds=float(timings.get("predicted_ms", 0.0)) / 1000,
    )


def option_probs(top: Sequence[dict[str, Any]], options: Sequence[str]) -> dict[str, float]:
    """Sum the probabilities of the top tokens that start each option, renormalised.

    A token counts for an option when, lower-cased and stripped, it is a non-empty
    prefix of the option ("con" counts for "concession"). With no option among the
    top tokens, every option gets the same share.
    """
    mass = dict.fromkeys(options, 0.0)
    for entry in top:
        token = str(entry.get("token", "")).strip().casefold()
        if not token:
            continue
        for option in options:
            if option.casefold().startswith(token):
                mass[option] += math.exp(float(entry.get("logprob", -100.0)))
                break
    total = sum(mass.values())
    if total <= 0:
        return dict.fromkeys(options, 1.0 / len(options))
    return {k: v / total for k, v in mass.items()}


def compact_json_grammar(schema: dict[str, Any]) -> str:
    """An llguidance grammar for ``schema`` that allows no whitespace between tokens.

    llama.cpp turns a ``response_format`` schema into the same ``%json`` grammar but
    with flexible whitespace, and the model then spends about a third of its tokens
    on newlines and indentation.
    """
    constrained = {**closed(schema), "x-guidance": {"whitespace_flexible": False}}
    return "%llguidance {}\nstart: %json " + json.dumps(constrained, separators=(",", ":"))


def closed(schema: Any) -> Any:
    """``schema`` with every object that lists its properties closed to others
    (``additionalProperties: false``) unless it says otherwise.

    Pydantic's schemas leave objects open, and a grammar built from an open object lets
    the model go on after the last field: the open-issue call on the UK fact sheet wrote
    its list, then the same list again under "decisions", "votes" and "talks" (words of
    its instructions), until the token limit cut the answer off and it was lost.
    """
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: closed(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


_ENGINES: dict[tuple[str, EngineSettings], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(path: Path, settings: EngineSettings) -> Engine:
    """The process-wide engine for ``path`` and ``settings``."""
    key = (str(path), settings)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = Engine(path, settings)
        return _ENGINES[key]


def release_engine(path: Path, settings: EngineSettings) -> None:
    """Close the process-wide engine for ``path`` and ``settings`` (frees the model)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.pop((str(path), settings), None)
    if engine is not None:
        engine.close()


@atexit.register
def _close_engines() -> None:
    for engine in list(_ENGINES.values()):
        try:
            engine.close()
        except Exception:  # pragma: no cover - best effort at exit
            pass
    _ENGINES.clear()
