"""The HTTP API (FastAPI): summaries, durable jobs, batches, health and metrics.

One ``Summarizer`` (one loaded model) serves every request through the workers; jobs
live in SQLite (``store.py``), so a restart loses nothing accepted. Every error is an
RFC 9457 ``application/problem+json`` body. The response schemas are the library's
own pydantic models, so ``/docs`` and the library agree by construction.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..api import Summarizer
from ..backends import Backend
from ..io.html_view import summary_fragment
from ..redaction import register_secret
from ..schema import NegotiationSummary
from .config import ServiceConfig
from .metrics import Metrics
from .page import PAGE
from .store import FINISHED, Job, JobStore
from .worker import Workers

log = logging.getLogger("summarizer")
PROBLEM = "application/problem+json"


# -- request and response models ----------------------------------------------------------
class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="the article, plain text")
    title: str | None = Field(default=None, max_length=300)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(min_length=1)


class JobOut(BaseModel):
    """A job: its status, and its summary once done (or its error)."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    created: float
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    title: str | None = None
    batch: str | None = None
    position: int | None = None
    summary: NegotiationSummary | None = None
    error: dict[str, str] | None = None


class BatchOut(BaseModel):
    id: str
    size: int
    counts: dict[str, int]
    jobs: list[JobOut]


class Problem(Exception):
    """An RFC 9457 problem: ``status``, a short ``title`` and the ``detail``."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _job_out(job: Job) -> JobOut:
    return JobOut.model_validate(job.public())


def _idempotency(kind: str, key: str | None) -> str | None:
    """The stored key: one namespace per endpoint, so a key reused on the other endpoint
    is a new request there (never another endpoint's job or batch)."""
    return None if key is None else f"{kind}:{key}"


class BodyLimit:
    """413 once a request body passes ``limit`` bytes, with or without Content-Length
    (a chunked body is counted as it is read)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # FastAPI re-raises an HTTPException from the body
                    raise StarletteHTTPException(
                        413, f"the body is over the limit of {self.limit} bytes"
                    )
            return message

        await self.app(scope, counted, send)


def load_model(backend: Backend) -> None:
    """Load the model now: the backends load it on their first call, and the service
    reports ready only once it is loaded (the embedded model takes a while)."""
    from ..backends.hosted import HostedBackend, _litellm
    from ..backends.local import LocalBackend

    if isinstance(backend, LocalBackend):
        backend.engine()
    elif isinstance(backend, HostedBackend):
        _litellm()  # the SDK import, seconds on a busy machine
    else:
        load = getattr(backend, "llama", None)  # the llama-cpp-python engine
        if callable(load):
            load()


# -- the app ------------------------------------------------------------------------------
class Service:
    """The parts one app holds: config, store, model, workers, metrics."""

    def __init__(self, config: ServiceConfig, summarizer: Summarizer) -> None:
        self.config = config.check()
        for key in config.api_keys:
            register_secret(key)
        self.store = JobStore(config.db)
        self.summarizer = summarizer
        self.metrics = Metrics()
        self.workers = Workers(
            self.store,
            summarizer,
            self.metrics,
            threads=config.workers,
            queue_timeout=config.queue_timeout,
        )
        self.ready = threading.Event()
        self.load_error: str | None = None
        self._stopping = threading.Event()
        self._housekeeper = threading.Thread(
            target=self._housekeeping, daemon=True, name="summarizer-housekeeping"
        )

    def start(self) -> None:
        threading.Thread(target=self._load, daemon=True, name="summarizer-load").start()
        self._housekeeper.start()

    def _load(self) -> None:
        """Load the model, then start the workers, then report ready (health answers
        meanwhile, and jobs queue). The workers wait for the load: several threads
        importing the SDK at once (litellm, openai) can break its import."""
        try:
            load_model(self.summarizer.backend)
        except Exception as exc:  # the jobs report it too; readiness says why
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("the model failed to load: %s", self.load_error)
        if self._stopping.is_set():
            return
        self.workers.start()
        if self.load_error is None:
            self.ready.set()

    def stop(self) -> None:
        self._stopping.set()
        if self._housekeeper.is_alive():
            self._housekeeper.join(10)
        self.workers.stop()
        self.summarizer.close()
        self.store.close()

    def _housekeeping(self) -> None:
        """Expire jobs queued too long, and delete results kept long enough, on a timer
        (``ServiceConfig.housekeeping_seconds`` and ``purge_seconds``)."""
        next_purge = 0.0
        while True:
            try:
                self.workers.expire()
                if time.monotonic() >= next_purge:
                    self.store.purge(time.time() - self.config.retention_seconds)
                    next_purge = time.monotonic() + self.config.purge_seconds
            except Exception:  # retried next time, never fatal
                log.exception("housekeeping failed")
            if self._stopping.wait(self.config.housekeeping_seconds):
                return

    def authorize(self, authorization: str | None, api_key: str | None) -> None:
        if self.config.no_auth:
            return
        given = api_key
        if given is None and authorization and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        ok = False
        for key in self.config.api_keys:  # every key compared, in constant time
            ok |= hmac.compare_digest((given or "").encode(), key.encode())
        if not ok:
            raise Problem(
                401,
                "Unauthorized",
                "a valid API key is required (Authorization: Bearer KEY, or X-API-Key)",
                {"WWW-Authenticate": "Bearer"},
            )

    def check_article(self, article: ArticleIn) -> dict[str, Any]:
        if len(article.text) > self.config.max_article_chars:
            raise Problem(
                422,
                "Article too long",
                f"the article has {len(article.text):,} characters; the limit is "
                f"{self.config.max_article_chars:,}",
            )
        if not article.text.strip():
            raise Problem(422, "Empty article", "the article text is empty or only whitespace")
        return article.model_dump()

    def check_room(self, adding: int) -> None:
        queued = self.store.depth()["queued"]
        if queued + adding > self.config.queue_limit:
            retry = max(1, int(queued * 2 / max(1, self.config.workers)))
            raise Problem(
                429,
                "Queue full",
                f"{queued} jobs are queued (limit {self.config.queue_limit}); retry later",
                {"Retry-After": str(min(retry, 600))},
            )


def create_app(config: ServiceConfig, summarizer: Summarizer) -> FastAPI:
    """The FastAPI app over one ``Summarizer``; the model is released at shutdown."""
    service = Service(config, summarizer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="summarizer",
        version=__version__,
        description="Structured, evidence-grounded summaries of negotiation articles.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)

    @app.middleware("http")
    async def limits_and_metrics(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > config.max_body_bytes:
            response: Response = problem(
                413,
                "Body too large",
                f"the body is {length} bytes; the limit is {config.max_body_bytes}",
            )
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        service.metrics.request(request.method, path, response.status_code)
        return response

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        response = problem(exc.status, exc.title, exc.detail)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return problem(
            422, "Invalid request", "the request body does not fit the schema", errors=errors
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the exception; the client gets a problem, not a traceback.
        return problem(500, "Internal error", "the server failed to answer; see its log")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {413: "Body too large"}
        try:
            title = titles.get(exc.status_code, HTTPStatus(exc.status_code).phrase)
        except ValueError:
            title = str(exc.detail)
        response = problem(exc.status_code, title, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def auth(
        authorization: str | None = Header(default=None),
        x_api_key: str | None = Header(default=None),
    ) -> None:
        service.authorize(authorization, x_api_key)

    guarded = [Depends(auth)]

    # -- endpoints --------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> str:
        return PAGE

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Ready: the model is loaded and the workers run (503 otherwise)."""
        if service.ready.is_set():
            return JSONResponse({"status": "ready", "model": summarizer.settings.model or "local"})
        if service.load_error is not None:
            return problem(503, "Not ready", f"the model failed to load: {service.load_error}")
        return problem(503, "Not ready", "the model is still loading")

    @app.get("/metrics", response_class=PlainTextResponse, tags=["health"])
    async def metrics() -> str:
        """Prometheus metrics: requests, queue depth, latency, tokens, failures."""
        return service.metrics.render(service.store.depth(), service.ready.is_set())

    @app.post(
        "/v1/summaries",
        response_model=JobOut,
        status_code=200,
        dependencies=guarded,
        tags=["summaries"],
        responses={202: {"model": JobOut, "description": "accepted; poll /v1/jobs/{id}"}},
    )
    async def create_summary(
        article: ArticleIn,
        response: Response,
        wait: float | None = Query(default=None, ge=0, le=300, description="seconds to wait"),
        idempotency_key: str | None = Header(default=None, max_length=200),
    ) -> JobOut:
        """Summarize one article: 200 with the summary if it is ready within ``wait``
        seconds (default: the server's bound), else 202 with a job to poll."""
        request = service.check_article(article)
        key = _idempotency("summary", idempotency_key)
        if not service.store.known(key):
            service.check_room(1)
        job, created = service.store.create(request, key=key)
        if created:
            service.workers.notify()
        elif job.request != request:
            raise _reused(idempotency_key)
        seconds = config.wait_seconds if wait is None else wait
        current = await _await_job(service.store, job.id, seconds) or job
        response.status_code = 200 if current.status == "done" else 202
        if response.status_code == 202:
            response.headers["Location"] = f"/v1/jobs/{job.id}"
        return _job_out(current)

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, dependencies=guarded, tags=["jobs"])
    async def get_job(job_id: str) -> JobOut:
        """A job's status, and its summary once done."""
        job = service.store.get(job_id)
        if job is None:
            raise Problem(404, "No such job", f"no job {job_id} (or it expired)")
        return _job_out(job)

    @app.get(
        "/v1/jobs/{job_id}/view",
        response_class=HTMLResponse,
        dependencies=guarded,
        tags=["jobs"],
    )
    async def view_job(job_id: str) -> str:
        """The summary as HTML: items, with their evidence marked in the article."""
        job = service.store.get(job_id)
        if job is None or job.result is None:
            raise Problem(404, "No summary", f"job {job_id} has no summary (yet)")
        summary = NegotiationSummary.model_validate(job.result)
        return summary_fragment(job.request["text"], summary)

    @app.delete("/v1/jobs/{job_id}", response_model=JobOut, dependencies=guarded, tags=["jobs"])
    async def cancel_job(job_id: str) -> JobOut:
        """Cancel a queued job (409 if it is already running or finished)."""
        job = service.store.cancel(job_id)
        if job is None:
            raise Problem(404, "No such job", f"no job {job_id} (or it expired)")
        if job.status != "cancelled":
            raise Problem(409, "Not cancellable", f"job {job_id} is {job.status}")
        return _job_out(job)

    @app.post(
        "/v1/batches",
        response_model=BatchOut,
        status_code=202,
        dependencies=guarded,
        tags=["batches"],
    )
    async def create_batch(
        batch: BatchIn,
        response: Response,
        idempotency_key: str | None = Header(default=None, max_length=200),
    ) -> BatchOut:
        """Queue many articles; poll ``/v1/batches/{id}``, read ``/v1/batches/{id}/results``."""
        if len(batch.articles) > config.max_batch:
            raise Problem(
                422, "Batch too large", f"{len(batch.articles)} articles; limit {config.max_batch}"
            )
        requests = [service.check_article(a) for a in batch.articles]
        key = _idempotency("batch", idempotency_key)
        if not service.store.known(key):
            service.check_room(len(requests))
        batch_id, created = service.store.create_batch(requests, key=key)
        if not created and [j.request for j in service.store.batch(batch_id) or []] != requests:
            raise _reused(idempotency_key)
        service.workers.notify()
        response.headers["Location"] = f"/v1/batches/{batch_id}"
        return _batch_out(service, batch_id)

    @app.get(
        "/v1/batches/{batch_id}", response_model=BatchOut, dependencies=guarded, tags=["batches"]
    )
    async def get_batch(batch_id: str) -> BatchOut:
        """Per-article status of a batch."""
        return _batch_out(service, batch_id)

    @app.get("/v1/batches/{batch_id}/results", dependencies=guarded, tags=["batches"])
    async def batch_results(batch_id: str) -> StreamingResponse:
        """JSONL: one line per article, in order (status, and summary or error)."""
        jobs = service.store.batch(batch_id)
        if jobs is None:
            raise Problem(404, "No such batch", f"no batch {batch_id} (or it expired)")

        def lines() -> Any:
            for job in jobs:
                yield _job_out(job).model_dump_json(exclude_none=True) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return app


def _reused(key: str | None) -> Problem:
    return Problem(
        422,
        "Idempotency key reused",
        f"the Idempotency-Key {key!r} was used for a different request; use a new key",
    )


async def _await_job(store: JobStore, job_id: str, seconds: float) -> Job | None:
    """The job once finished, or as it stands after ``seconds``: polled on the event
    loop (short SQLite reads, backing off to 0.25 s), so waiting requests hold no
    thread."""
    deadline = time.monotonic() + seconds
    delay = 0.02
    while True:
        job = store.get(job_id)
        left = deadline - time.monotonic()
        if job is None or job.status in FINISHED or left <= 0:
            return job
        await asyncio.sleep(min(delay, left))
        delay = min(delay * 1.5, 0.25)


def _batch_out(service: Service, batch_id: str) -> BatchOut:
    jobs = service.store.batch(batch_id)
    if jobs is None:
        raise Problem(404, "No such batch", f"no batch {batch_id} (or it expired)")
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    outs = [_job_out(j) for j in jobs]
    for out in outs:
        out.summary = None  # the results endpoint carries them
    return BatchOut(id=batch_id, size=len(jobs), counts=counts, jobs=outs)
