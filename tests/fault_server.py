"""A scriptable, fault-injecting, OpenAI-compatible chat server for tests (stdlib only).

``FaultServer`` listens on 127.0.0.1 (port 0) in a background thread and answers
``POST /v1/chat/completions`` (and ``/chat/completions``). Each request takes the
next behaviour from a per-article script, else from the global script, else from
``default(call)``. Behaviours (see ``Fault``): a good answer, an HTTP status
(429 with or without ``Retry-After``, 5xx, 401 echoing the key), a delay, a dropped
connection, a truncated body, truncated JSON, schema-invalid JSON and an answer
whose ``what`` is not in the article. Every request is recorded, with its headers,
and the server tracks the most requests it ever had in flight at once.

Answers follow the request: tool calls (named after the request's tool) when it
sends ``tools``, message content otherwise (the json modes). Successful answers
carry ``usage`` (``PROMPT_TOKENS``/``COMPLETION_TOKENS`` unless a behaviour says).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 100
COMPLETION_TOKENS = 20

#: Parties every default answer declares (names need not occur in the article).
DEFAULT_PARTIES = [
    {"name": "Management", "kind": "company", "aliases": ["the company"]},
    {"name": "Union", "kind": "union", "aliases": ["the union"]},
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\S+")


@dataclass
class Call:
    """One request the server received."""

    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    article: str
    key: str
    received: float
    finished: float = 0.0
    behaviour: str = ""

    @property
    def tools_mode(self) -> bool:
        return bool(self.body.get("tools"))

    @property
    def tool_name(self) -> str:
        tools = self.body.get("tools") or []
        if tools:
            return str(tools[0]["function"]["name"])
        return "Extraction"


@dataclass
class Reply:
    """What the handler sends: a status, headers and a body, or nothing (``drop``)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False


@dataclass
class Behaviour:
    """A named way to answer one request; ``delay`` seconds pass before answering."""

    name: str
    build: Callable[[Call], Reply]
    delay: float = 0.0


# -- answers ----------------------------------------------------------------------------


def article_of(body: dict[str, Any]) -> str:
    """The article text of a chat request (the part after 'Article:' in the first user turn)."""
    for message in body.get("messages", []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            _, sep, article = content.partition("Article:\n")
            return article if sep else content
    return ""


def quote_from(article: str, *, sentence: int = 0, words: int = 8) -> str:
    """The first ``words`` words of the ``sentence``-th sentence (with >= 4 words)."""
    candidates = [
        s for line in article.splitlines() for s in _SENTENCE_END.split(line.strip()) if s
    ]
    usable = [s for s in candidates if len(_WORD.findall(s)) >= 4] or candidates or ["nothing"]
    chosen = usable[min(sentence, len(usable) - 1)]
    return " ".join(_WORD.findall(chosen)[:words]).rstrip(".,;:!?")


def good_answer(article: str) -> dict[str, Any]:
    """A schema-valid extraction whose items are copied from ``article``."""
    return {
        "parties": DEFAULT_PARTIES,
        "demands": [{"by": "Union", "to": "Management", "what": quote_from(article)}],
        "concessions": [],
        "open_issues": [],
        "summary": "The parties are negotiating.",
    }


def completion(
    call: Call,
    payload: dict[str, Any] | str,
    *,
    finish_reason: str = "stop",
    usage: tuple[int, int] = (PROMPT_TOKENS, COMPLETION_TOKENS),
) -> Reply:
    """A chat completion carrying ``payload`` as tool-call arguments or as content."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if call.tools_mode:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{call.index}",
                    "type": "function",
                    "function": {"name": call.tool_name, "arguments": text},
                }
            ],
        }
        finish_reason = "tool_calls" if finish_reason == "stop" else finish_reason
    data = {
        "id": f"chatcmpl-{call.index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(call.body.get("model", "fake-model")),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }
    return _json_reply(200, data)


def _json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(data).encode()
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, body)


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Reply:
    return _json_reply(status, {"error": {"message": message, "type": kind, "code": None}}, headers)


class Fault:
    """Factories for behaviours. Each returns a fresh ``Behaviour``."""

    @staticmethod
    def ok(
        payload: dict[str, Any] | Callable[[str], dict[str, Any]] | None = None,
        *,
        delay: float = 0.0,
        usage: tuple[int, int] = (PROMPT_TOKENS, COMPLETION_TOKENS),
    ) -> Behaviour:
        """A good answer: ``payload``, or built from the article (``good_answer``)."""

        def build(call: Call) -> Reply:
            if payload is None:
                data = good_answer(call.article)
            elif callable(payload):
                data = payload(call.article)
            else:
                data = payload
            return completion(call, data, usage=usage)

        return Behaviour("ok", build, delay)

    @staticmethod
    def status(
        code: int,
        *,
        retry_after: str | None = None,
        retry_after_ms: str | None = None,
        delay: float = 0.0,
    ) -> Behaviour:
        """An HTTP error (429, 500, 503, 400, ...), optionally with Retry-After."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        kinds = {429: "rate_limit_exceeded", 400: "invalid_request_error"}
        kind = kinds.get(code, "server_error")
        name = f"status_{code}" + ("_retry_after" if headers else "")
        return Behaviour(name, lambda call: _error(code, f"injected {code}", kind, headers), delay)

    @staticmethod
    def echo_auth(code: int = 401) -> Behaviour:
        """An auth error whose message echoes the request's Authorization header."""

        def build(call: Call) -> Reply:
            auth = call.headers.get("authorization", "")
            key = auth.removeprefix("Bearer ").strip()
            return _error(code, f"Incorrect API key provided: {key}", "invalid_request_error")

        return Behaviour(f"echo_auth_{code}", build)

    @staticmethod
    def slow(seconds: float, then: Behaviour | None = None) -> Behaviour:
        """Answer (with ``then``, default a good answer) after ``seconds``."""
        after = then or Fault.ok()
        return Behaviour(f"slow_{after.name}", after.build, seconds)

    @staticmethod
    def drop() -> Behaviour:
        """Close the connection without answering."""
        return Behaviour("drop", lambda call: Reply(drop=True))

    @staticmethod
    def truncated_body() -> Behaviour:
        """HTTP 200 whose JSON body is cut in half (a well-framed, unparseable response)."""

        def build(call: Call) -> Reply:
            reply = Fault.ok().build(call)
            reply.body = reply.body[: len(reply.body) // 2]
            return reply

        return Behaviour("truncated_body", build)

    @staticmethod
    def truncated_json(finish_reason: str = "stop") -> Behaviour:
        """A well-formed response whose answer (arguments/content) is cut-off JSON."""

        def build(call: Call) -> Reply:
            text = json.dumps(good_answer(call.article))
            return completion(call, text[: len(text) // 2], finish_reason=finish_reason)

        return Behaviour(f"truncated_json_{finish_reason}", build)

    @staticmethod
    def invalid_schema() -> Behaviour:
        """Well-formed JSON that violates the schema (bad enum, missing summary)."""

        def build(call: Call) -> Reply:
            data = good_answer(call.article)
            data["parties"] = [{"name": "Union", "kind": "martian", "aliases": []}]
            del data["summary"]
            return completion(call, data)

        return Behaviour("invalid_schema", build)

    @staticmethod
    def ungrounded(what: str = "zebras demand unlimited quantum marmalade") -> Behaviour:
        """Schema-valid JSON whose ``what`` is not in the article (a citation that fails)."""

        def build(call: Call) -> Reply:
            data = good_answer(call.article)
            data["demands"] = [{"by": "Union", "to": "Management", "what": what}]
            return completion(call, data)

        return Behaviour("ungrounded", build)


# -- the server ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # an idle keep-alive connection ends its thread after this

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:  # noqa: N802
        self._send(_error(404, "not found", "invalid_request_error"))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(_error(404, f"no route {self.path}", "invalid_request_error"))
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(_error(400, "body is not JSON", "invalid_request_error"))
            return
        owner = self.server.owner
        call, behaviour = owner._begin(self.path, dict(self.headers.items()), body)
        try:
            delay = behaviour.delay + owner.delay
            if delay > 0 and owner._stopping.wait(delay):
                return  # stopping: leave without answering
            reply = behaviour.build(call)
            if reply.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._send(reply)
        finally:
            owner._end(call)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout) before we answered
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


def default_key(article: str) -> str:
    """The article's first line: enough to tell test articles apart."""
    return article.strip().splitlines()[0][:80] if article.strip() else ""


class FaultServer:
    """The fault-injecting chat server. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        *,
        default: Callable[[Call], Behaviour] | None = None,
        delay: float = 0.0,
        key: Callable[[str], str] = default_key,
    ) -> None:
        self.default = default or (lambda call: Fault.ok())
        self.delay = delay  # added before every answer
        self.key = key
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._by_key: dict[str, deque[Behaviour]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition(self._lock)

    # -- scripting ------------------------------------------------------------------
    def script(self, *behaviours: Behaviour) -> None:
        """Answer the next requests (any article) with these behaviours, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def script_for(self, key: str, *behaviours: Behaviour) -> None:
        """Answer the next requests for the article with this key with these behaviours."""
        with self._lock:
            self._by_key[key].extend(behaviours)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        with self._lock:
            return len(self._script) + sum(len(q) for q in self._by_key.values())

    # -- inspection -----------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    def calls_for(self, key: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.key == key]

    def count_by_key(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        with self._lock:
            for c in self.calls:
                counts[c.key] += 1
        return dict(counts)

    def behaviours(self) -> list[str]:
        with self._lock:
            return [c.behaviour for c in self.calls]

    def wait_for_calls(self, n: int, timeout: float = 10.0) -> bool:
        """Block until at least ``n`` requests have arrived (False on timeout)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.calls) >= n, timeout)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._script.clear()
            self._by_key.clear()
            self.max_in_flight = self.in_flight

    # -- internals (called by the handler) ------------------------------------------
    def _begin(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[Call, Behaviour]:
        article = article_of(body)
        key = self.key(article)
        with self._changed:
            call = Call(
                index=len(self.calls),
                path=path,
                headers={k.lower(): v for k, v in headers.items()},
                body=body,
                article=article,
                key=key,
                received=time.monotonic(),
            )
            queue = self._by_key.get(key)
            if queue:
                behaviour = queue.popleft()
            elif self._script:
                behaviour = self._script.popleft()
            else:
                behaviour = None
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
        if behaviour is None:
            behaviour = self.default(call)
        call.behaviour = behaviour.name
        return call, behaviour

    def _end(self, call: Call) -> None:
        with self._lock:
            call.finished = time.monotonic()
            self.in_flight -= 1

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> FaultServer:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            with self._lock:
                connections = list(self._connections)
            for conn in connections:  # end keep-alive connections still open
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def iter_records(path: Any) -> Iterator[dict[str, Any]]:
    """Every complete JSON line of a JSONL file (a torn last line is skipped)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def _serve_main() -> None:
    """``python tests/fault_server.py [--delay S]``: serve good answers until stdin closes.

    Prints ``URL <url>`` on the first line of stdout. For benchmarks that want the
    server out of the client's process (no shared GIL).
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args()
    with FaultServer(delay=args.delay) as server:
        print(f"URL {server.url}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)
        print(f"CALLS {len(server.calls)} MAX_IN_FLIGHT {server.max_in_flight}", flush=True)


if __name__ == "__main__":
    _serve_main()
