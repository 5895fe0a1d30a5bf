"""Drive a headless Chromium from tests: find it, dump a page's DOM, take a screenshot,
and decode the PNG (standard library only). For pages that need time or input (a live
server, fetches after load), ``Browser`` drives Chromium over the DevTools protocol on
a pipe: open a tab, type, click, wait for a condition, read the DOM, take a screenshot.

Tests call ``require_chromium()`` (or use a fixture that does): it skips the test when
no Chromium is installed, except under CI (``CI`` set), where a missing browser fails.
Set ``CHROMIUM`` to a binary to use another one.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# -- a live browser over the DevTools protocol (--remote-debugging-pipe) ------------------


#: Put the fds ``argv[1]`` and ``argv[2]`` on 3 and 4 (via copies >= 10, so that neither
#: overwrites the other), close the rest of them, then exec ``argv[3:]``.
_ON_FDS_3_4 = (
    "import fcntl, os, sys\n"
    "fds = [int(fd) for fd in sys.argv[1:3]]\n"
    "a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in fds)\n"
    "os.dup2(a, 3); os.dup2(b, 4)\n"
    "for fd in {a, b, *fds} - {3, 4}: os.close(fd)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class Browser:
    """A headless Chromium driven over the DevTools protocol, on the pipe Chromium reads
    as fd 3 and writes as fd 4 (JSON messages ending in NUL). A context manager::

        with Browser() as browser:
            tab = browser.open("http://127.0.0.1:8000/", width=1280, height=1000)
            tab.type("#text", "An article.")
            tab.click("#submit")
            tab.wait_for("document.querySelector('#status').dataset.state === 'done'")
    """

    def __init__(self, *, binary: str | None = None, timeout: float = TIMEOUT) -> None:
        exe = binary or chromium_path()
        if exe is None:
            raise BrowserError("chromium not found")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        self._log = open(Path(self._profile.name) / "stderr.log", "w+b")  # noqa: SIM115
        to_chrome, self._write = os.pipe()
        self._read, from_chrome = os.pipe()
        flags = [*BASE_FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-pipe"]
        # a tiny Python puts our pipe ends on fds 3 and 4, then becomes Chromium
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _ON_FDS_3_4, str(to_chrome), str(from_chrome)]
            + [exe, *flags, "about:blank"],
            pass_fds=(to_chrome, from_chrome),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            cwd=self._profile.name,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": "disabled:"},
            start_new_session=True,
        )
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._next_id = 0
        try:
            self.call("Browser.getVersion")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command (to a tab's ``session``, or to the browser) and return its
        result; events in between are dropped."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write, data) :]
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, _, self._buffer = self._buffer.partition(b"\0")
                reply = json.loads(raw)
                if reply.get("id") != ident:
                    continue
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise BrowserError(f"{method}: no answer in {self.timeout}s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the pipe: {self.stderr()[-2000:]}")
            self._buffer += chunk

    def open(self, url: str, *, width: int = 1400, height: int = 900) -> Tab:
        """A new tab (its own sessionStorage) with a ``width`` x ``height`` viewport,
        at ``url``, loaded."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tab = Tab(self, target, session)
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        tab.navigate(url)
        return tab

    def stderr(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def close(self) -> None:
        """Close Chromium (politely, then its whole process group) and its profile."""
        if self._proc.poll() is None:
            try:
                message = {"id": self._next_id + 1, "method": "Browser.close", "params": {}}
                os.write(self._write, json.dumps(message).encode() + b"\0")
                self._proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        self._profile.cleanup()


@dataclass
class Tab:
    """One tab of a ``Browser``."""

    browser: Browser
    target: str
    session: str

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression (promises awaited); a JS exception raises."""
        reply = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"{expression!r} threw: {text}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 10.0, every: float = 0.05) -> Any:
        """Evaluate ``expression`` until it is truthy (and return it); fail after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"not true after {timeout}s: {expression}")
            time.sleep(every)

    def navigate(self, url: str, *, timeout: float = 10.0) -> None:
        """Load ``url`` and wait for its load event."""
        self.evaluate("window.__leaving = true")  # the new page's window lacks this
        reply = self.call("Page.navigate", url=_url(url))
        if reply.get("errorText"):
            raise BrowserError(f"cannot load {url}: {reply['errorText']}")
        self.wait_for("!window.__leaving && document.readyState === 'complete'", timeout=timeout)

    def type(self, selector: str, text: str) -> None:
        """Focus the element and insert ``text`` as typing or pasting would (input
        events fire)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (it must be visible there)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def set_files(self, selector: str, *paths: str | Path) -> None:
        """Choose files in an ``<input type=file>`` (as the file dialog would)."""
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        files = [str(Path(p).resolve()) for p in paths]
        self.call("DOM.setFileInputFiles", nodeId=node, files=files)

    def dom(self) -> str:
        """The DOM serialized now."""
        return str(self.evaluate("document.documentElement.outerHTML"))

    def screenshot(self, png: str | Path) -> Path:
        """Save a PNG of the viewport to ``png``."""
        out = Path(png).resolve()
        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        self.browser.call("Target.closeTarget", targetId=self.target)
