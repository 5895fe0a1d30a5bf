"""The HTTP API (FastAPI): summaries, durable jobs, batches, health and metrics.

One ``Summarizer`` (one loaded model) serves every request through the workers; jobs
live in SQLite (``store.py``), so a restart loses nothing accepted. Every error is an
RFC 9457 ``application/problem+json`` body. The response schemas are the library's
own pydantic models, so ``/docs`` and the library agree by construction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..api import Summarizer
from ..io.html_view import summary_fragment
from ..schema import NegotiationSummary
from .config import ServiceConfig
from .http import ArticleIn, BatchIn, BatchOut, BodyLimit, JobOut, Problem, job_out, problem
from .page import PAGE
from .runtime import Service
from .store import FINISHED, Job, JobStore

log = logging.getLogger("summarizer")
PROBLEM = "application/problem+json"


def _idempotency(kind: str, key: str | None) -> str | None:
    """The stored key: one namespace per endpoint, so a key reused on the other endpoint
    is a new request there (never another endpoint's job or batch)."""
    return None if key is None else f"{kind}:{key}"


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
        return job_out(current)

    @app.get("/v1/jobs/{job_id}", response_model=JobOut, dependencies=guarded, tags=["jobs"])
    async def get_job(job_id: str) -> JobOut:
        """A job's status, and its summary once done."""
        job = service.store.get(job_id)
        if job is None:
            raise Problem(404, "No such job", f"no job {job_id} (or it expired)")
        return job_out(job)

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
        return job_out(job)

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
                yield job_out(job).model_dump_json(exclude_none=True) + "\n"

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
    outs = [job_out(j) for j in jobs]
    for out in outs:
        out.summary = None  # the results endpoint carries them
    return BatchOut(id=batch_id, size=len(jobs), counts=counts, jobs=outs)
