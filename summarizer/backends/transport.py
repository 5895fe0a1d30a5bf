"""Transport retries: timeouts, 429, 5xx and dropped connections, with tenacity.

Exponential backoff with full jitter, capped; a ``Retry-After`` header wins when
the provider sends one. This budget is separate from the validation re-ask
budget (instructor's ``max_retries``).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from ..errors import ProviderError
from ..redaction import redact

log = logging.getLogger("summarizer")

T = TypeVar("T")


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        log.warning("ignoring %s=%r: not a number of seconds", name, value)
        return default
    return max(0.0, seconds)


def _default_base_delay() -> float:
    return _env_seconds("SUMMARIZER_RETRY_BASE_DELAY", 1.0)


def _default_max_delay() -> float:
    return _env_seconds("SUMMARIZER_RETRY_MAX_DELAY", 30.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How transport failures are retried. ``attempts`` counts the first try.

    The backoff before retry *n* is uniform in ``[0, min(max_delay, base_delay * 2**(n-1))]``
    unless the provider sent ``Retry-After`` (capped at ``max_retry_after``). The
    defaults of ``base_delay`` and ``max_delay`` can be set with the environment
    variables ``SUMMARIZER_RETRY_BASE_DELAY`` and ``SUMMARIZER_RETRY_MAX_DELAY``
    (seconds), e.g. to make tests against a local fake server fast.
    """

    attempts: int = 6
    base_delay: float = field(default_factory=_default_base_delay)
    max_delay: float = field(default_factory=_default_max_delay)
    max_retry_after: float = 120.0


_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}


def classify(exc: BaseException) -> str:
    """Name the kind of provider failure: rate_limit, timeout, server_error, ..."""
    name = type(exc).__name__
    status = status_of(exc)
    if status == 429 or "RateLimit" in name:
        return "rate_limit"
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return "timeout"
    if status in (401, 403) or "Authentication" in name or "PermissionDenied" in name:
        return "auth"
    if _lost_connection(exc):  # litellm reports a dropped connection as a 500
        return "connection"
    if (
        status is not None
        and status >= 500
        or name
        in {
            "InternalServerError",
            "ServiceUnavailableError",
            "BadGatewayError",
        }
    ):
        return "server_error"
    if "Connection" in name or isinstance(exc, ConnectionError):
        return "connection"
    if status is not None and 400 <= status < 500 or "BadRequest" in name or "NotFound" in name:
        return "bad_request"
    return "other"


#: Exceptions (openai, httpx, httpcore) that mean the connection failed or was cut
#: before a response arrived. openai's APITimeoutError subclasses APIConnectionError,
#: but timeouts are classified first.
_CONNECTION_ERRORS = frozenset(
    {"APIConnectionError", "RemoteProtocolError", "ConnectError", "ReadError", "WriteError"}
)


def _lost_connection(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionError) or type(cause).__name__ in _CONNECTION_ERRORS:
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def is_transient(exc: BaseException) -> bool:
    kind = classify(exc)
    if kind in {"rate_limit", "timeout", "server_error", "connection"}:
        return True
    return status_of(exc) in _TRANSIENT_STATUS


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the provider asked us to wait (Retry-After), if it said."""
    headers: Mapping[str, str] | None = None
    response = getattr(exc, "response", None)
    if response is not None:
        headers = getattr(response, "headers", None)
    headers = headers or getattr(exc, "litellm_response_headers", None)
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        ms = headers.get("retry-after-ms")
        return float(ms) / 1000 if ms else None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time())


def backoff_delay(policy: RetryPolicy, attempt: int, exc: BaseException | None) -> float:
    """Delay before retry number ``attempt`` (1-based): Retry-After, else full jitter."""
    if exc is not None:
        asked = retry_after_seconds(exc)
        if asked is not None:
            return min(asked, policy.max_retry_after)
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = backoff_delay(policy, state.attempt_number, exc)
        log.info(
            "transport error (%s), retry %d/%d in %.1fs",
            classify(exc) if exc else "?",
            state.attempt_number,
            policy.attempts - 1,
            delay,
        )
        return delay

    return wait


def _final(exc: BaseException, attempts: int) -> ProviderError:
    kind = classify(exc)
    detail = redact(str(exc).splitlines()[0][:300]) if str(exc) else type(exc).__name__
    return ProviderError(
        f"provider failed ({kind}) after {attempts} attempt(s): {detail}",
        provider_cause=kind,
        attempts=attempts,
    )


def call_with_retries(policy: RetryPolicy, func: Callable[..., T], **kwargs: Any) -> tuple[T, int]:
    """``func(**kwargs)`` under the transport retry policy: its result and the number
    of attempts it took (a ``ProviderError`` carrying that number when they are spent)."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    try:
        result = retrying(func, **kwargs)
    except Exception as exc:
        raise _final(exc, retrying.statistics.get("attempt_number", 1)) from exc
    return result, retrying.statistics.get("attempt_number", 1)


async def acall_with_retries(
    policy: RetryPolicy, func: Callable[..., Awaitable[T]], **kwargs: Any
) -> tuple[T, int]:
    """The async form of :func:`call_with_retries`."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    try:
        result: T = await retrying(func, **kwargs)
    except Exception as exc:
        raise _final(exc, retrying.statistics.get("attempt_number", 1)) from exc
    return result, retrying.statistics.get("attempt_number", 1)
