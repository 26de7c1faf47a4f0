"""A local 127.0.0.1 server for fault tests: each route knows its vendor's good answer, and the server
answers every route with that answer or with one fault, switched by `mode`.

Faults are derived from the good answer where that makes them realistic (the real page with a syntax
error, cut short, padded past the size cap, with one invalid UTF-8 sequence), so a fault test fails
for the fault and never because the fault body happened to have the wrong shape.

Real sockets (tests/http_fixture_server.py) on purpose: a read timeout, a body cut short and a body
over the size cap only behave as in production when httpx reads them from TCP.

POST routes (Radarly's search) go through the same fault switching as GET: `FaultHandler.do_POST` reads
the request body, keeps it on the handler (`h.body`, `h.json()`) so a route can answer from its own
request's body, then dispatches like GET."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from http_fixture_server import FixtureHandler, FixtureServer


@dataclass
class Answer:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


GoodRoute = Callable[[FixtureHandler], Answer]


class FaultHandler(FixtureHandler):
    """FixtureHandler whose POST keeps its body on the handler; GET (and everything else) is unchanged."""

    body: bytes = b""

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        self.body = self.rfile.read(length) if length > 0 else b""
        self._dispatch(self.body)  # recorded in `seen` and routed (through _serve) exactly as a GET is

    def json(self) -> object:
        """This request's body parsed as JSON (a POST search)."""
        return json.loads(self.body.decode("utf-8"))


FAULTS = (
    "timeout",  # headers never come: the client's read timeout fires
    "500",
    "429",  # with Retry-After: 1
    "401",  # the body echoes the credential, as Spring OAuth (Brandwatch) does
    "403",
    "malformed",  # the good document with a syntax error
    "truncated",  # Content-Length says more than is sent, then the connection closes
    "truncated_unframed",  # no Content-Length, no chunking: the body ends when the connection does (HTTP/1.0 style)
    "too_large",  # Content-Length over the cap
    "too_large_streamed",  # chunked, no Content-Length: the cap trips while reading
    "invalid_utf8",  # the good document with one invalid UTF-8 sequence in a string
)

RETRY_AFTER_S = 1  # small: the request budget honours it, and the next step waits that long


class FaultServer:
    """`with FaultServer(routes, size_cap=...) as srv: srv.mode = "500"`; `routes` maps a path to a
    function of the request giving the good answer. `overrides` maps a fault to the Answer to send
    instead of the derived one (a vendor's own error body, a malformed XML document)."""

    def __init__(
        self,
        routes: Callable[[Callable[[str], str]], dict[str, GoodRoute]],
        *,
        size_cap: int,
        overrides: dict[str, Answer] | None = None,
    ) -> None:
        self.mode = "good"
        self.size_cap = size_cap
        self.overrides = dict(overrides or {})
        self._fixture = FixtureServer()
        self._fixture._httpd.RequestHandlerClass = FaultHandler  # POST bodies on the handler; GET as before
        for path, route in routes(self.url).items():
            self._fixture.route(path, lambda h, route=route: self._serve(h, route))

    def url(self, path: str) -> str:
        return self._fixture.url(path)

    @property
    def seen(self):
        return self._fixture.seen

    def __enter__(self) -> FaultServer:
        self._fixture.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.mode = "closed"  # lets a held timeout answer go
        self._fixture.__exit__(*exc)

    # ------------------------------------------------------------------------------------------- answers

    def _serve(self, h: FixtureHandler, route: GoodRoute) -> None:
        mode = self.mode
        good = route(h)
        if mode in ("good", "closed"):
            h.reply(good.status, good.body, good.headers, good.content_type)
            return
        if mode == "timeout":
            self._hold(h, mode)
            return
        if mode in self.overrides:
            o = self.overrides[mode]
            h.reply(o.status, o.body, o.headers, o.content_type)
            return
        if mode == "500":
            h.reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", content_type="text/html")
        elif mode == "429":
            h.reply(429, b'{"error": "Too many requests"}', {"Retry-After": str(RETRY_AFTER_S)})
        elif mode == "401":
            h.reply(401, json.dumps(_echo_credential(h)).encode(), {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        elif mode == "403":
            h.reply(403, b'{"error": "forbidden", "message": "This token may not read this resource"}')
        elif mode == "malformed":
            body = good.body.replace(b"{", b"{,", 1)  # an object that starts with a comma
            assert body != good.body, "no JSON object in the good answer to break"
            h.reply(200, body, good.headers, good.content_type)
        elif mode == "truncated":
            self._raw(h, good, good.body[: len(good.body) // 2], {"Content-Length": str(len(good.body))})
        elif mode == "truncated_unframed":
            self._raw(h, good, good.body[: len(good.body) // 2], {"Connection": "close"})
        elif mode == "too_large":
            padded = good.body + b" " * (self.size_cap + 1 - len(good.body))  # still a valid document
            h.reply(200, padded, good.headers, good.content_type)
        elif mode == "too_large_streamed":
            self._chunked(h, good, good.body + b" " * (self.size_cap + 1))
        elif mode == "invalid_utf8":
            body = good.body.replace(b'": "', b'": "\xc3\x28', 1)  # a lead byte followed by '('
            if body == good.body:  # pretty-printed JSON (Radarly: `"took" : 2`): the same, spaced differently
                body = re.sub(rb'"\s*:\s*"', lambda m: m.group() + b"\xc3\x28", good.body, count=1)
            assert body != good.body, "no JSON string in the good answer to spoil"
            h.reply(200, body, good.headers, good.content_type)
        else:  # pragma: no cover - a typo in a test
            raise AssertionError(f"unknown fault {mode!r}")

    def _hold(self, h: FixtureHandler, mode: str) -> None:
        """Answer nothing until the test moves on (or 30 s), then hang up."""
        deadline = time.monotonic() + 30
        while self.mode == mode and time.monotonic() < deadline:
            time.sleep(0.02)
        h.close_connection = True

    @staticmethod
    def _raw(h: FixtureHandler, good: Answer, sent: bytes, framing: dict[str, str]) -> None:
        h.send_response(200)
        for name, value in {"Content-Type": good.content_type, **good.headers, **framing}.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(sent)
        h.wfile.flush()
        h.close_connection = True

    @staticmethod
    def _chunked(h: FixtureHandler, good: Answer, body: bytes) -> None:
        h.send_response(200)
        for name, value in {"Content-Type": good.content_type, **good.headers, "Transfer-Encoding": "chunked"}.items():
            h.send_header(name, value)
        h.end_headers()
        for start in range(0, len(body), 8192):
            chunk = body[start : start + 8192]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


def _echo_credential(h: FixtureHandler) -> dict[str, object]:
    """An OAuth-style 401 body that repeats the credential it was sent (header value and query)."""
    auth = h.headers.get("Authorization") or ""
    credential = auth.split(" ", 1)[1] if " " in auth else auth
    return {
        "error": "invalid_token",
        "error_description": f"Invalid access token: {credential}",
        "request": {"authorization": auth, "path": h.path},
    }
