"""The page at ``/`` of ``summarizer serve``, end to end: a real server (a subprocess on
uvicorn, the fault server as its provider) and a headless Chromium driven over the
DevTools protocol (``browser.Browser``) the way a person would use the page: type or
upload an article, click Summarize, watch the progress, read the highlighted summary,
download the JSON, and see the server's problem ``detail`` when something is wrong."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from browser import Browser, Tab, hex_rgb, read_png, require_chromium
from fault_server import Fault, FaultServer, default_key, quote_from

from summarizer.io.html_view import CSS

ARTICLE = (
    "GENEVA, May 12 - The union demanded a five percent raise for every warehouse worker "
    "before the contract expires. Management offered a two percent raise and a one-off "
    "bonus, which the union rejected. Both sides agreed to meet again next week.\n\n"
    "How overtime will be paid remains unresolved, negotiators said. The company said it "
    "would keep the night shift open while the talks continue."
)
FAILING = "BERLIN, June 3 - This article's job fails: the provider refuses every call to it."
MAX_ARTICLE_CHARS = 2000
MAX_BODY_BYTES = 6000
API_KEY = "page-test-key-0123456789"
PROVIDER_DELAY = 2.0  # each model call: long enough for the page to poll at least once
FINAL = ("done", "error")
WARM_UP = "PARIS - The first job of a server. Both sides met and talked for an hour."


# -- real servers -------------------------------------------------------------------------
@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: BinaryIO

    def request(
        self, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"} | ({"X-API-Key": key} if key else {})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.log.seek(0)
                output = self.log.read()[-3000:].decode(errors="replace")
                pytest.fail(f"the server exited {self.process.returncode}: {output}")
            try:
                if self.request("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(fault: FaultServer, tmp: Path, *, keys: str | None = None) -> Service:
    """``summarizer serve`` in a subprocess (--no-auth unless ``keys``), on a free port,
    a fresh job database, no cache, the fault server as its provider."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SUMMARIZER_MODEL", "SUMMARIZER_API_KEYS", "SUMMARIZER_DEBUG")
    }
    env |= {
        "OPENAI_API_KEY": "sk-test-000000000000000",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "SUMMARIZER_CACHE_DIR": str(tmp / "cache"),
        "SUMMARIZER_RETRY_BASE_DELAY": "0.01",
    }
    if keys:
        env["SUMMARIZER_API_KEYS"] = keys
    port = _free_port()
    cmd = [
        *(sys.executable, "-m", "summarizer", "serve"),
        *([] if keys else ["--no-auth"]),
        *("--port", str(port), "--db", str(tmp / "jobs.sqlite3")),
        *("--model", "openai/gpt-4o-mini", "--api-base", fault.url, "--no-cache"),
        *("--max-article-chars", str(MAX_ARTICLE_CHARS), "--max-body-bytes", str(MAX_BODY_BYTES)),
    ]
    log = open(tmp / "server.log", "w+b")  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Service(f"http://127.0.0.1:{port}", process, log)


@pytest.fixture(scope="module")
def fault() -> Iterator[FaultServer]:
    with FaultServer(delay=PROVIDER_DELAY) as fault_server:
        yield fault_server


@pytest.fixture(scope="module")
def services(
    fault: FaultServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Service]]:
    """Two servers, started together: ``open`` (--no-auth) and ``keyed`` (API keys).
    Each gets a warm-up job at once: a server's first job pays for importing the
    provider client (litellm), which takes seconds."""
    started: list[Service] = []
    try:
        for name, keys in (("open", None), ("keyed", f"other-key,{API_KEY}")):
            started.append(launch(fault, tmp_path_factory.mktemp(name), keys=keys))
        for service, key in zip(started, (None, API_KEY), strict=True):
            service.wait_ready()
            status, _, body = service.request("/v1/summaries?wait=0", {"text": WARM_UP}, key)
            assert status in (200, 202), body
        yield dict(zip(("open", "keyed"), started, strict=True))
    finally:
        for service in started:
            service.stop()


@pytest.fixture(scope="module")
def service(services: dict[str, Service]) -> Service:
    return services["open"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with Browser() as chromium:
        yield chromium


# -- driving the page ---------------------------------------------------------------------
STATE = (
    "[document.querySelector('#status').dataset.state,"
    " document.querySelector('#status-text').textContent]"
)


def submit(tab: Tab, *, timeout: float = 15.0) -> list[tuple[str, str]]:
    """Click Summarize and watch ``#status`` until it settles; every (state, text) seen."""
    tab.evaluate("document.querySelector('#status').dataset.state = 'clicked'")
    tab.click("#submit")
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, text = tab.evaluate(STATE)
        if not seen or seen[-1] != (state, text):
            seen.append((state, text))
        if state in FINAL:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the page did not settle in {timeout}s: {seen}")


def error_shown(tab: Tab) -> str:
    """``#error``'s text; it must be visible (laid out, not hidden)."""
    visible = tab.evaluate(
        "(() => { const e = document.querySelector('#error');"
        " return !e.hidden && e.getClientRects().length > 0; })()"
    )
    assert visible, "#error is not visible"
    return str(tab.evaluate("document.querySelector('#error').textContent"))


@dataclass
class Finished:
    tab: Tab
    seen: list[tuple[str, str]]
    job: dict[str, Any]


@pytest.fixture(scope="module")
def finished(browser: Browser, service: Service) -> Iterator[Finished]:
    """The page after summarizing ``ARTICLE`` (typed in, title given, Summarize clicked)."""
    tab = browser.open(service.url + "/", width=1280, height=1000)
    tab.type("#text", ARTICLE)
    tab.type("#title", "Warehouse talks")
    seen = submit(tab)
    job_id = tab.evaluate("document.querySelector('#status').dataset.job")
    status, _, body = service.request(f"/v1/jobs/{job_id}")
    assert status == 200, body
    yield Finished(tab, seen, json.loads(body))
    tab.close()


# -- the tests ----------------------------------------------------------------------------
class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, tuple[str, dict[str, str | None]]] = {}
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.by_id[str(found["id"])] = (tag, found)
        self.urls += [str(v) for k, v in attrs if k in ("src", "href", "action") and v]


def test_page_is_served_and_self_contained(service: Service) -> None:
    status, headers, body = service.request("/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    page = body.decode()
    parser = _Elements()
    parser.feed(page)
    kinds = {name: tag for name, (tag, _) in parser.by_id.items()}
    for name, tag in {
        "form": "form",
        "text": "textarea",
        "file": "input",
        "title": "input",
        "key": "input",
        "submit": "button",
        "status": "div",
        "error": "div",
        "result": "div",
        "download": "a",
    }.items():
        assert kinds.get(name) == tag, (name, kinds)
    assert parser.by_id["file"][1]["type"] == "file"
    assert parser.by_id["download"][1]["download"] == "summary.json"
    assert parser.by_id["key"][1]["type"] == "password"
    # nothing is loaded from elsewhere: no external URLs, stylesheets or scripts
    assert parser.urls == []
    assert "link" not in parser.tags and "iframe" not in parser.tags
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page
    # the marks are styled as in the eval report (the shared renderer's CSS)
    assert CSS.strip() in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", ["the request body does not fit the schema", "text: "], id="empty"),
        pytest.param("   \n ", ["Empty article", "empty or only whitespace"], id="blank"),
        pytest.param(
            "x" * (MAX_ARTICLE_CHARS + 500),
            ["Article too long", f"the limit is {MAX_ARTICLE_CHARS:,}"],
            id="422-too-long",
        ),
        pytest.param(
            "y" * (MAX_BODY_BYTES + 1000),
            ["Body too large", f"the limit is {MAX_BODY_BYTES}"],
            id="413",
        ),
    ],
)
def test_a_problem_shows_its_detail(
    browser: Browser, service: Service, text: str, expected: list[str]
) -> None:
    tab = browser.open(service.url + "/", width=1000, height=800)
    try:
        if text:
            tab.type("#text", text)
        seen = submit(tab)
        assert seen[-1][0] == "error", seen
        shown = error_shown(tab)
        for part in expected:
            assert part in shown, shown
        assert tab.evaluate("document.querySelector('#result').childElementCount") == 0
        assert tab.evaluate("document.querySelector('#download').hidden") is True
        assert tab.evaluate("document.querySelector('#submit').disabled") is False
        background = tab.evaluate(
            "getComputedStyle(document.querySelector('#error')).backgroundColor"
        )
        assert background == "rgb(255, 235, 233)"  # styled as an error
    finally:
        tab.close()


def test_a_txt_file_is_read_into_the_form(
    browser: Browser, service: Service, tmp_path: Path
) -> None:
    upload = tmp_path / "Port strike talks.txt"
    content = "ROTTERDAM - Dock workers demanded safer cranes; the port said “yes”.\n"
    upload.write_text(content, encoding="utf-8")
    tab = browser.open(service.url + "/")
    try:
        tab.set_files("#file", upload)
        assert tab.wait_for("document.querySelector('#text').value") == content
        assert tab.evaluate("document.querySelector('#title').value") == "Port strike talks"
    finally:
        tab.close()


def test_summarize_shows_progress_and_highlighted_summary(
    finished: Finished, service: Service, fault: FaultServer
) -> None:
    tab, seen = finished.tab, finished.seen
    states = [state for state, _ in seen]
    assert states[-1] == "done", seen
    # progress: the job was seen waiting, with the elapsed seconds, before it was done
    waiting = [text for state, text in seen if state in ("queued", "running")]
    assert waiting, seen
    assert any(text.startswith("running") and text.endswith(" s") for text in waiting), seen
    assert any(text.split()[-2].isdigit() and int(text.split()[-2]) >= 1 for text in waiting)
    assert tab.evaluate("'busy' in document.querySelector('#status').dataset") is False
    assert tab.evaluate("document.querySelector('#error').hidden") is True
    assert tab.evaluate("document.querySelector('#submit').disabled") is False

    # the result is the server's fragment: items, and the article with evidence marked
    quote = quote_from(ARTICLE)
    marks = tab.evaluate(
        "[...document.querySelectorAll('#result .article mark.p')].map(m => m.textContent)"
    )
    assert marks, tab.dom()
    marked = "".join(marks)
    assert quote in marked and marked in ARTICLE, marks  # the evidence of D1, in the article
    article = tab.evaluate("document.querySelector('#result .article').textContent")
    assert article == ARTICLE  # the whole article, unchanged by the highlighting
    demand = tab.evaluate("document.querySelector('#result li[data-item=D1]').textContent")
    assert quote in demand
    lede = tab.evaluate("document.querySelector('#result .lede').textContent")
    assert lede == finished.job["summary"]["summary"]
    assert '<mark class="p"' in tab.dom()

    # Download JSON: the job's summary, pretty-printed, as summary.json
    link = tab.evaluate(
        "(() => { const a = document.querySelector('#download');"
        " return [a.hidden, a.getAttribute('download'), a.href]; })()"
    )
    assert link[0] is False and link[1] == "summary.json" and link[2].startswith("blob:"), link
    text = tab.evaluate("fetch(document.querySelector('#download').href).then(r => r.text())")
    assert json.loads(text) == finished.job["summary"]
    assert "\n  " in text  # pretty
    assert finished.job["status"] == "done" and finished.job["title"] == "Warehouse talks"
    assert any(default_key(ARTICLE) == default_key(call.article) for call in fault.calls)


def test_screenshot_shows_the_highlighted_evidence(finished: Finished, tmp_path: Path) -> None:
    png = finished.tab.screenshot(tmp_path / "page.png")
    image = read_png(png)
    assert (image.width, image.height) == (1280, 1000)
    colours = image.colours()
    assert len(colours) > 50  # text, boxes, marks: not a blank page
    highlighted = colours[hex_rgb("#cfe3ff")]
    assert highlighted >= 1500, f"{highlighted} pixels of mark.p's colour"
    assert colours[hex_rgb("#2f6fde")] >= 100  # its underline
    assert colours[hex_rgb("#ffebe9")] == 0  # no error box


def test_a_failed_job_shows_its_error(
    browser: Browser, service: Service, fault: FaultServer
) -> None:
    fault.script_for(default_key(FAILING), *[Fault.status(400) for _ in range(10)])
    tab = browser.open(service.url + "/")
    try:
        tab.type("#text", FAILING)
        seen = submit(tab)
        assert seen[-1][0] == "error", seen
        shown = error_shown(tab)
        assert shown.startswith("The job failed: "), shown
        assert "provider" in shown, shown
        assert tab.evaluate("document.querySelector('#result').childElementCount") == 0
    finally:
        tab.close()


def test_the_page_asks_for_a_key_and_keeps_it(
    browser: Browser, services: dict[str, Service]
) -> None:
    keyed = services["keyed"]
    tab = browser.open(keyed.url + "/")
    try:
        assert tab.evaluate("document.querySelector('#keyrow').hidden") is True
        tab.type("#text", ARTICLE)
        seen = submit(tab)
        assert seen[-1][0] == "error", seen
        shown = error_shown(tab)
        assert "a valid API key is required" in shown and "Enter an API key" in shown, shown
        assert tab.evaluate("document.querySelector('#keyrow').hidden") is False

        tab.type("#key", API_KEY)
        seen = submit(tab)
        assert seen[-1][0] == "done", seen
        assert tab.evaluate("document.querySelector('#error').hidden") is True
        assert tab.evaluate("document.querySelectorAll('#result mark.p').length") > 0
        assert tab.evaluate("sessionStorage.getItem('summarizer-api-key')") == API_KEY
        # a reload keeps the key for this tab (sessionStorage), and shows its field
        tab.navigate(keyed.url + "/")
        assert tab.evaluate("document.querySelector('#key').value") == API_KEY
        assert tab.evaluate("document.querySelector('#keyrow').hidden") is False
    finally:
        tab.close()
