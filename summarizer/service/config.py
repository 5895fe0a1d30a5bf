"""The service's settings, checked once at start-up."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ServiceError

KEYS_ENV = "SUMMARIZER_API_KEYS"


class ServiceConfig(BaseModel):
    """Everything ``summarizer serve`` can set (the model's own settings aside)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    db: Path = Field(default=Path("summarizer-jobs.sqlite3"), description="job database")
    api_keys: tuple[str, ...] = Field(default=(), repr=False)
    no_auth: bool = Field(default=False, description="run without keys (127.0.0.1 only)")
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    max_article_chars: int = Field(default=100_000, ge=1)
    max_batch: int = Field(default=1000, ge=1)
    queue_limit: int = Field(default=1000, ge=1, description="queued jobs before 429")
    wait_seconds: float = Field(default=10.0, ge=0, description="POST waits this long for 200")
    queue_timeout: float = Field(default=3600.0, gt=0, description="queued longer: failed")
    retention_seconds: float = Field(default=7 * 24 * 3600, gt=0, description="keep results")
    workers: int = Field(default=1, ge=1, description="jobs run at once")

    @property
    def purge_seconds(self) -> float:
        """How often expired results are deleted: every minute, or twice per retention
        time when that is shorter (so a short retention is honoured within 1.5x)."""
        return min(60.0, max(0.05, self.retention_seconds / 2))

    @property
    def housekeeping_seconds(self) -> float:
        """How often queued jobs are checked against the queue timeout (and the purge
        is considered): a quarter of the queue timeout, at most the purge interval."""
        return min(self.purge_seconds, max(0.05, self.queue_timeout / 4))

    def check(self) -> ServiceConfig:
        """Refuse to run without keys unless asked to, and then only on loopback."""
        if not self.api_keys and not self.no_auth:
            raise ServiceError(
                f"no API keys: set {KEYS_ENV}=key1,key2 (or --no-auth, on 127.0.0.1 only)"
            )
        if self.no_auth and not _loopback(self.host):
            raise ServiceError(f"--no-auth is allowed only on 127.0.0.1, not on {self.host}")
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keys_from_env() -> tuple[str, ...]:
    """``SUMMARIZER_API_KEYS``: comma-separated keys (blank entries ignored)."""
    raw = os.environ.get(KEYS_ENV, "")
    return tuple(k.strip() for k in raw.split(",") if k.strip())
