"""What keeps the control API (and so the wall's process) standing when the network misbehaves.

uvicorn, as configured out of the box, waits forever for a request that is sent one byte at a time,
accepts as many connections as the process has file descriptors (the paint workers' shared memory
then fails with "Too many open files"), and reads a request's whole body before the application can
say no. So:

- `GuardedH11`: uvicorn's HTTP/1.1 protocol with a cap on open connections (beyond it a connection is
  closed at once, before anything is read) and a time limit for a whole request, headers and body
  (a slow or half-sent request is cut; a keep-alive connection's idle time is uvicorn's own limit);
- `Guard`, an ASGI middleware in front of the app: the bearer token is checked from the headers
  before any body is read (401 for a missing, wrong or malformed credential), a body is capped by
  its declared length and again while it streams (413), and every response carries the security
  headers (CSP, nosniff, no framing, no referrer);
- `Throttled`: a logging filter that lets one line of each kind through per interval and counts the
  rest, so a flood cannot fill the journal;
- `raise_open_file_limit`: the soft limit up to the hard one at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("wall.control")

MAX_CONNECTIONS = 256  # the console, wallctl and a few monitors need a handful; far under any fd limit
REQUEST_S = 10.0  # a whole request (headers and body) must arrive within this
MAX_BODY = 64 * 1024  # the API's bodies are small JSON commands
MAX_HEADER_BYTES = 16 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def raise_open_file_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit (no privilege needed); returns (soft, hard) now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard_cap = 1 << 20
    else:
        hard_cap = hard
    if soft != resource.RLIM_INFINITY and soft < hard_cap:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard_cap, hard))
            soft = hard_cap
        except (ValueError, OSError):
            pass
    return soft, hard


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 with a connection cap and a time limit per request (see the module)."""

    max_connections = MAX_CONNECTIONS
    request_s = REQUEST_S
    refused = 0  # connections closed at once because the cap was reached (for the log and tests)
    cut = 0  # requests cut because they did not arrive in time

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) >= self.max_connections:
            GuardedH11.refused += 1
            log.warning("control API: %d connections open, refusing more", len(self.connections))
            transport.abort()
            return
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if getattr(self, "transport", None) is None:
            return  # refused in connection_made: uvicorn never saw it
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.DONE or self.transport.is_closing():
            self._disarm()
        elif self._deadline is None:
            self._arm()  # a keep-alive connection's next request starts its own clock

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.request_s, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            assert self._deadline is not None
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            GuardedH11.cut += 1
            log.warning("control API: a request did not arrive within %.0f s; connection closed", self.request_s)
            self.transport.abort()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class Guard:
    """ASGI middleware: credentials before bodies, bounded bodies, security headers everywhere.
    `authorized(header)` says whether an Authorization header value grants any role; `public(path)`
    whether a path is served without one (the console's page and files: it asks for the token)."""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        authorized: Callable[[bytes | None], bool],
        public: Callable[[str], bool],
        max_body: int = MAX_BODY,
        tls: bool = False,
    ):
        self.app = app
        self.authorized = authorized
        self.public = public
        self.max_body = max_body
        self.headers = list(SECURITY_HEADERS)
        if tls:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        if not self.public(scope["path"]) and not self.authorized(_header(scope, b"authorization")):
            await _reply(
                send_with_headers,
                401,
                "a bearer token is required (Authorization: Bearer <token>)",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _reply(send_with_headers, 400, "Content-Length is not a number")
                return
            if declared > self.max_body:
                await _reply(send_with_headers, 413, f"the body is over {self.max_body} bytes")
                return
        seen = 0

        async def bounded_receive() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _reply(send_with_headers, 413, f"the body is over {self.max_body} bytes")


class _TooLarge(Exception):
    pass


async def _reply(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Throttled(logging.Filter):
    """At most one record per message per `every` seconds; the next one says how many were dropped."""

    def __init__(self, every: float = 10.0):
        super().__init__()
        self.every = every
        self._last: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        last, dropped = self._last.get(key, (0.0, 0))
        if now - last < self.every:
            self._last[key] = (last, dropped + 1)
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} (and {dropped} more like it in the last {self.every:g} s)"
        return True


_throttle = Throttled()


def throttle_logs() -> None:
    """Every logger a flood can make talk: uvicorn's and ours."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "wall.control"):
        logger = logging.getLogger(name)
        if _throttle not in logger.filters:
            logger.addFilter(_throttle)
