"""The HTTP side of the service: request and response models, problem documents
(RFC 9457 ``application/problem+json``) and the body-size limit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..schema import NegotiationSummary
from .store import Job

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


def job_out(job: Job) -> JobOut:
    return JobOut.model_validate(job.public())


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
