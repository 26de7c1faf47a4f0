"""The systemd notify protocol (sd_notify(3)), without a dependency: one datagram per message.

systemd passes the socket in $NOTIFY_SOCKET (a path, or '@name' for the abstract namespace) and,
when the unit has WatchdogSec=, the watchdog period in $WATCHDOG_USEC. Outside systemd neither is
set and every call here is a no-op, so `wallctl run` behaves the same in a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger("wall.sd_notify")


def _address(raw: str) -> str | bytes:
    # '@name' is the Linux abstract namespace: the address starts with a NUL byte instead
    return b"\0" + raw[1:].encode() if raw.startswith("@") else raw


def notify(*lines: str, environ: dict[str, str] | None = None) -> bool:
    """Send 'KEY=value' lines as one datagram; True when sent, False when there is no socket
    (or sending failed: the wall keeps running, only systemd's view of it is lost)."""
    env = os.environ if environ is None else environ
    raw = env.get("NOTIFY_SOCKET")
    if not raw:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            # never block the render thread: when the receiver's queue is full the message is dropped
            sock.sendto("\n".join(lines).encode(), socket.MSG_DONTWAIT, _address(raw))
        return True
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", raw, exc)
        return False


def ready(status: str | None = None) -> bool:
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def status(text: str) -> bool:
    return notify(f"STATUS={text}")


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings: half of $WATCHDOG_USEC (as sd_watchdog_enabled(3)
    advises), or None when the watchdog is off or meant for another process ($WATCHDOG_PID)."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2_000_000


class Watchdog:
    """Pings WATCHDOG=1 at most once per interval. Called from the frame loop after each frame,
    so pings stop when frames stop and systemd restarts a hung render loop."""

    def __init__(self, environ: dict[str, str] | None = None, clock=time.monotonic):
        self.interval = watchdog_interval(environ)
        self._environ = environ
        self._clock = clock
        self._last: float | None = None

    def frame_done(self) -> None:
        if self.interval is None:
            return
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            notify("WATCHDOG=1", environ=self._environ)
