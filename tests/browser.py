"""Drive a headless Chromium from tests: find it, dump a page's DOM, take a screenshot,
and decode the PNG (standard library only).

Tests call ``require_chromium()`` (or use a fixture that does): it skips the test when
no Chromium is installed, except under CI (``CI`` set), where a missing browser fails.
Set ``CHROMIUM`` to a binary to use another one.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Flags for a quiet, offline, reproducible run as root in a container. ``--headless=new``
#: works on every Chromium since 109 (before it, the value is ignored: old headless).
BASE_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-sync",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",  # exact CSS colours in screenshots
    "--force-device-scale-factor=1",
)
TIMEOUT = 30.0


class BrowserError(RuntimeError):
    """Chromium failed, timed out, or wrote nothing."""


def chromium_path() -> str | None:
    """The Chromium binary: ``$CHROMIUM`` if set, else the first one on PATH, else None."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium binary; skip the test if absent, fail instead when ``CI`` is set."""
    path = chromium_path()
    if path is None:
        message = "headless chromium not found (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    return path


def run_chromium(
    args: Sequence[str], *, timeout: float = TIMEOUT, binary: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Chromium with ``BASE_FLAGS`` + ``args`` and a throwaway profile; kill its
    whole process group on timeout (renderers included)."""
    exe = binary or chromium_path()
    if exe is None:
        raise BrowserError("chromium not found")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [exe, *BASE_FLAGS, f"--user-data-dir={profile}", *args]
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=profile,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise BrowserError(f"chromium timed out after {timeout}s: {cmd}") from None
    if proc.returncode != 0:
        raise BrowserError(f"chromium exited {proc.returncode}: {err[-2000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _url(page: str | Path) -> str:
    text = str(page)
    return text if "://" in text else Path(text).resolve().as_uri()


def dump_dom(
    page: str | Path, *, width: int = 1400, height: int = 900, timeout: float = TIMEOUT
) -> str:
    """The page's DOM serialized after load (inline scripts have run)."""
    result = run_chromium(
        [f"--window-size={width},{height}", "--dump-dom", _url(page)], timeout=timeout
    )
    if "<html" not in result.stdout.lower():
        raise BrowserError(f"no DOM dumped: {result.stderr[-2000:]}")
    return result.stdout


def screenshot(
    page: str | Path,
    png: str | Path,
    *,
    width: int = 1400,
    height: int = 900,
    timeout: float = TIMEOUT,
) -> Path:
    """Save a ``width`` x ``height`` PNG of the page's viewport to ``png``."""
    out = Path(png).resolve()
    out.unlink(missing_ok=True)
    run_chromium(
        [f"--window-size={width},{height}", f"--screenshot={out}", _url(page)], timeout=timeout
    )
    if not out.is_file() or out.stat().st_size == 0:
        raise BrowserError(f"no screenshot written to {out}")
    return out


@dataclass(frozen=True)
class Image:
    """A decoded 8-bit PNG: ``rows[y][x]`` is an (r, g, b) tuple (alpha dropped)."""

    width: int
    height: int
    rows: list[list[tuple[int, int, int]]]

    def colours(self) -> Counter[tuple[int, int, int]]:
        return Counter(px for row in self.rows for px in row)


def _unfilter(ftype: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    """Undo one scanline's PNG filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth)."""
    if ftype == 0:
        return line
    if ftype == 2:
        return bytearray((x + b) & 0xFF for x, b in zip(line, prev, strict=True))
    if ftype not in (1, 3, 4):
        raise ValueError(f"bad PNG filter type {ftype}")
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        if ftype == 1:
            line[i] = (line[i] + a) & 0xFF
            continue
        b = prev[i]
        if ftype == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xFF
            continue
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[i] = (line[i] + pred) & 0xFF
    return line


def read_png(path: str | Path) -> Image:
    """Decode a non-interlaced, 8-bit grey / RGB / grey+alpha / RGBA PNG."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", header[:13])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}")
    raw, stride, bpp = zlib.decompress(bytes(idat)), width * channels, channels
    prev, pos = bytearray(stride), 0
    rows: list[list[tuple[int, int, int]]] = []
    for _ in range(height):
        ftype, line = raw[pos], bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        line = _unfilter(ftype, line, prev, bpp)
        prev = line
        red = line[0::channels]
        green, blue = (line[1::channels], line[2::channels]) if channels >= 3 else (red, red)
        rows.append(list(zip(red, green, blue, strict=True)))
    return Image(width, height, rows)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``"#d97706"`` -> ``(217, 119, 6)``."""
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
