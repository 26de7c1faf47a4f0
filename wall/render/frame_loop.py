"""The fixed-rate frame loop, its injectable clock, and frame-time accounting.

Frame n is shown at t0 + n/fps. Its content is computed for exactly that time (never for "now
plus whatever the last frame took"), so animation is a pure function of time, every output of a
frame shows the same instant, and two machines with synchronised clocks show one continuous wall.
A frame whose work overruns its slot makes the loop skip the slots it missed: they are counted
as dropped, and the next frame is computed for its own slot's time.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall_time(self, monotonic: float) -> datetime: ...

    def sleep_until(self, monotonic: float) -> None: ...


class SystemClock:
    """Real time: the wall-clock instant is fixed once against the monotonic clock, so frame
    times advance smoothly even if NTP steps the system clock."""

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._wall0 = datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def wall_time(self, monotonic: float) -> datetime:
        return self._wall0 + timedelta(seconds=monotonic - self._mono0)

    def sleep_until(self, monotonic: float) -> None:
        delay = monotonic - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class SteppedClock:
    """Simulated time for tests and deterministic runs: starts at `start`, moves only when the
    loop sleeps (by exactly the time asked for), so frame n is at start + n/fps."""

    def __init__(self, start: datetime):
        self._start = start
        self._now = 0.0

    def monotonic(self) -> float:
        return self._now

    def wall_time(self, monotonic: float) -> datetime:
        return self._start + timedelta(seconds=monotonic)

    def sleep_until(self, monotonic: float) -> None:
        self._now = max(self._now, monotonic)


# frame work-time buckets (seconds) for /metrics: around a 30 or 60 fps budget
HISTOGRAM_BUCKETS_S = (0.002, 0.004, 0.008, 0.0167, 0.0333, 0.05, 0.1, 0.25, 1.0)


@dataclass
class FrameTimes:
    """Frame-time accounting for the rest of the program (status, metrics, bench)."""

    window: int = 3600

    def __post_init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=self.window)  # seconds of work per frame
        self.frames = 0
        self.dropped = 0
        self.total_s = 0.0
        self.buckets = [0] * len(HISTOGRAM_BUCKETS_S)  # frames at or under each bound, since start
        self._lock = threading.Lock()

    def add(self, seconds: float, dropped: int) -> None:
        with self._lock:
            self.samples.append(seconds)
            self.frames += 1
            self.dropped += dropped
            self.total_s += seconds
            for i, bound in enumerate(HISTOGRAM_BUCKETS_S):
                if seconds <= bound:
                    self.buckets[i] += 1

    def histogram(self) -> tuple[list[tuple[float, int]], int, float]:
        """Cumulative (bound, count) pairs since start, the frame count and the summed seconds:
        a Prometheus histogram."""
        with self._lock:
            return list(zip(HISTOGRAM_BUCKETS_S, self.buckets, strict=True)), self.frames, self.total_s

    def summary(self) -> dict[str, float | int]:
        with self._lock:
            data = np.array(self.samples, dtype=float) * 1000.0
            frames, dropped = self.frames, self.dropped
        return {"frames": frames, "dropped": dropped, **percentiles_ms(data)}


def percentiles_ms(data_ms: np.ndarray) -> dict[str, float]:
    if data_ms.size == 0:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    p50, p95, p99 = np.percentile(data_ms, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "max_ms": round(float(data_ms.max()), 3),
    }


class FrameLoop:
    def __init__(self, fps: float, clock: Clock | None = None):
        self.fps = fps
        self.period = 1.0 / fps
        self.clock = clock or SystemClock()
        self.times = FrameTimes()
        self.stop_event = threading.Event()
        # a frame time that must be drawn even when the loop is behind (a room's announced commit:
        # every machine shows the switch on that frame, so none may drop it); None: nothing to keep
        self.keep: Callable[[], datetime | None] | None = None

    def run(
        self,
        render: Callable[[datetime], object],
        *,
        frames: int | None = None,
        duration: float | None = None,
        after_frame: Callable[[int, float], None] | None = None,
    ) -> None:
        """Call render(t) once per frame slot until stopped, `frames` rendered or `duration` s."""
        start = self.clock.monotonic()
        slot = 0
        rendered = 0
        while not self.stop_event.is_set():
            if frames is not None and rendered >= frames:
                break
            due = start + slot * self.period
            if duration is not None and due - start >= duration:
                break
            self.clock.sleep_until(due)
            began = time.perf_counter()  # work is always measured in real time
            render(self.clock.wall_time(due))
            work = time.perf_counter() - began
            ended = self.clock.monotonic()
            rendered += 1
            # the next slot whose start is still ahead of us; slots in between are dropped, but
            # never the one that holds a kept frame time (drawn late rather than not at all)
            next_slot = max(slot + 1, math.floor((ended - start) / self.period) + 1)
            kept = self.keep() if self.keep is not None and next_slot > slot + 1 else None
            if kept is not None:
                for s in range(slot + 1, next_slot):
                    if self.clock.wall_time(start + s * self.period) >= kept:
                        next_slot = s
                        break
            self.times.add(work, next_slot - slot - 1)
            if after_frame is not None:
                after_frame(rendered, work)
            slot = next_slot

    def stop(self) -> None:
        self.stop_event.set()

    def stop_on_signals(self) -> None:
        """SIGTERM (systemd, kill) and SIGINT (Ctrl-C) end the loop after the current frame, so the
        caller's clean-up runs: paint workers stopped, the store written, windows closed."""
        import signal

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())


class FixedClock(SteppedClock):
    """Paced like real time (the loop really waits for each frame slot), but every frame shows the
    same instant: `wallctl run --fixed-time`, to compare what the screens show with a headless
    render of that instant. Animations stand still; the work per frame is the real work."""

    def __init__(self, instant: datetime):
        super().__init__(instant)
        self._system = SystemClock()

    def monotonic(self) -> float:
        return self._system.monotonic()

    def wall_time(self, monotonic: float) -> datetime:
        return self._start

    def sleep_until(self, monotonic: float) -> None:
        self._system.sleep_until(monotonic)
