"""A live headless wall in a thread, with its control API on a real 127.0.0.1 socket, for API tests.

The wall runs exactly as `wallctl run` wires it (wall.live.LiveWall: director, moderation,
schedule, alerts, uvicorn, config watcher) in wall.live.BackgroundWall's render thread; only its
clock is injected: frames are paced in real time and time runs on, but the test can jump it to
any instant (`set_time`), so schedules and alert windows can be crossed without waiting hours.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from wall.live import BackgroundWall
from wall.render.frame_loop import SystemClock

OPERATOR = "op-secret-7f3a"
VIEWER = "view-secret-19c2"


class InjectedClock(SystemClock):
    """Real pacing; time runs on in real time from the instant the test set last."""

    def __init__(self, start: datetime):
        super().__init__()
        self.set(start)

    def set(self, t: datetime) -> None:
        self._base, self._at = t, time.monotonic()

    @property
    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._at)

    def wall_time(self, monotonic: float) -> datetime:
        return self._base + timedelta(seconds=monotonic - self._at)


class LiveHarness(BackgroundWall):
    def __init__(self, config: Path | str, start: datetime, store=None, feeds: bool = False):
        super().__init__(
            config, clock=InjectedClock(start), store=store, watch_period=0.2, start_time=start, feeds=feeds
        )

    def set_time(self, t: datetime, settle_frames: int = 3) -> None:
        """Move the wall's clock and wait until a few frames have shown the new instant."""
        self.clock.set(t)
        start = self.loop.times.frames
        deadline = time.monotonic() + 30
        while self.loop.times.frames < start + settle_frames:
            assert time.monotonic() < deadline, "the wall stopped producing frames"
            time.sleep(0.01)

    def client(self, token: str | None = OPERATOR, **headers) -> httpx.Client:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def wait_status(self, predicate, timeout: float = 60.0) -> dict:
        with self.client(VIEWER) as c:
            deadline = time.monotonic() + timeout
            while True:
                s = c.get("/api/status").json()
                if predicate(s):
                    return s
                assert time.monotonic() < deadline, f"status never satisfied the condition: {s}"
                time.sleep(0.05)
