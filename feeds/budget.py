"""How many calls a credential may make: one sliding-window allowance shared by every feed that uses it.

Why shared: vendors count calls per client or token, not per zone (Brandwatch allows 30 calls per 10
minutes per client), so two zones polling the same client must draw from one allowance; and when the
vendor throttles one of them anyway, the fetcher pauses the allowance so every feed on that credential
waits, instead of each finding out with its own refused call.

Never imports `wall`.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable

__all__ = ["RequestBudget"]


class RequestBudget:
    """At most `calls` requests per sliding `window_s` seconds, shared by every feed on one credential.

    Brandwatch, for example, allows 30 calls per 10 minutes per client: two zones polling the same
    client each every minute would blow it, so they draw from one budget. Also holds a pause set by
    the fetcher when the vendor throttles us anyway (so the other feeds stop too).

    Thread-safe for the counters; `acquire` must run on an asyncio loop."""

    def __init__(self, calls: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if calls < 1 or window_s <= 0:
            raise ValueError(f"a request budget needs calls >= 1 and window_s > 0, got {calls} per {window_s} s")
        self.calls = calls
        self.window_s = float(window_s)
        self._clock = clock
        self._stamps: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RequestBudget(calls={self.calls}, window_s={self.window_s:g}, used={self.used()})"

    def _expire(self, now: float) -> None:
        while self._stamps and self._stamps[0] <= now - self.window_s:
            self._stamps.popleft()

    def used(self) -> int:
        """Calls made in the current window (for health: "12/30 calls")."""
        with self._lock:
            self._expire(self._clock())
            return len(self._stamps)

    def wait_time(self) -> float:
        """Seconds until a call would be allowed (0 when one is allowed now)."""
        with self._lock:
            return self._wait_locked(self._clock())

    def _wait_locked(self, now: float) -> float:
        self._expire(now)
        wait = max(self._paused_until - now, 0.0)
        if len(self._stamps) >= self.calls:
            wait = max(wait, self._stamps[0] + self.window_s - now)
        return wait

    def try_acquire(self) -> bool:
        """Take one call now if the budget allows it."""
        with self._lock:
            now = self._clock()
            if self._wait_locked(now) > 0:
                return False
            self._stamps.append(now)
            return True

    async def acquire(self) -> float:
        """Wait until a call is allowed, take it, and return how many seconds that took."""
        if self.try_acquire():
            return 0.0
        started = self._clock()
        while not self.try_acquire():
            # a floor keeps a clock that has not quite reached the boundary from spinning the loop
            await asyncio.sleep(max(self.wait_time(), 0.005))
        return self._clock() - started

    def pause(self, seconds: float) -> None:
        """Allow no call for `seconds` (the vendor said it is throttling this credential)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))
