"""A real HTTP server on 127.0.0.1 for feed tests: stdlib ThreadingHTTPServer on a free port, run in a
background thread, answering each path with a handler the test registers.

Real sockets on purpose: timeouts, truncated bodies and size caps only behave like production when
httpx talks to a server over TCP, not to a mock transport."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["FixtureHandler"], None]


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    method: str = "GET"
    body: bytes = b""  # the request body (POST), as received

    def json(self) -> object:
        """The request body parsed as JSON (POST searches)."""
        import json

        return json.loads(self.body.decode("utf-8"))


class FixtureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, as real APIs speak
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        # The body is read in full before routing (Content-Length only: what httpx sends for a JSON body).
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        self._dispatch(self.rfile.read(length) if length > 0 else b"")

    def _dispatch(self, body: bytes) -> None:
        split = urlsplit(self.path)
        self.server.owner.seen.append(
            Seen(
                split.path,
                parse_qs(split.query),
                {k.lower(): v for k, v in self.headers.items()},
                time.monotonic(),
                self.command,
                body,
            )
        )
        route = self.server.owner.routes.get(split.path)
        if route is None:
            self.reply(404, b'{"error": "no such fixture route"}')
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):  # the client hung up: what timeout tests do
            self.close_connection = True

    # -- helpers for route handlers

    @property
    def query(self) -> dict[str, list[str]]:
        """The request's query string, parsed: each parameter's name -> its values."""
        return parse_qs(urlsplit(self.path).query)

    def reply(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        merged = {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FixtureServer

    def handle_error(self, request: object, client_address: object) -> None:
        # clients that hang up mid-answer (timeouts, size caps) are the point of these tests
        pass


class FixtureServer:
    """`with FixtureServer() as srv: srv.route("/x", fn); url = srv.url("/x")`."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.seen: list[Seen] = []
        self._httpd = _Server(("127.0.0.1", 0), FixtureHandler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="http-fixture", daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        """Serve `path` with `handler`; returns its full URL."""
        self.routes[path] = handler
        return self.url(path)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def reset(self) -> None:
        self.routes.clear()
        self.seen.clear()

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
