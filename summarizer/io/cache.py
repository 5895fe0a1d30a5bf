"""On-disk cache of finished summaries, keyed by model, prompt, article and settings.

Only successes are stored (failures never reach ``put``). Entries are written
atomically (temp file + rename), so a killed run leaves no half-written entry.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pydantic import ValidationError

from ..schema import NegotiationSummary

log = logging.getLogger("summarizer")


class Cache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> NegotiationSummary | None:
        path = self._path(key)
        try:
            return NegotiationSummary.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None

    def put(self, key: str, summary: NegotiationSummary) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(summary.model_dump_json(), encoding="utf-8")
        os.replace(tmp, path)


def default_cache() -> Cache:
    from ..backends.model_files import cache_dir

    return Cache(cache_dir() / "summaries")
