"""The demo feed in the store: computed from the time asked for (feeds/demo.py), always healthy,
never polled nor kept on disk.

Its data is a pure function of the minute, so a render at any `--time` shows the same picture; but
building one minute's snapshot costs about 4 ms, too much to spend inside a frame when the minute
turns. So when a minute is asked for, the next one is built ahead by a worker thread, and a live
wall's render thread finds it ready: it only looks snapshots up. A minute that was not prepared
(the first frame, a render of an arbitrary instant) is built where it is asked for.

The worker is one long-lived thread, started with the first request: starting a thread per minute
would cost the render thread a GIL hand-over (up to the 5 ms switch interval) while the new thread
builds. It waits on a condition between requests (the render thread only notifies it), ends after
`IDLE_EXIT_S` without one (a tool's store leaves no thread behind), and `close` ends it after the
minute already asked for.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from feeds import demo

from .buffer import FeedHealth, FeedSnapshot
from .tally import PostCounts, count_posts

KEEP_MINUTES = 3  # snapshots kept per demo feed: the minute shown, the next one, and the one before
IDLE_EXIT_S = 150.0  # longer than a minute: a live wall asks once a minute and keeps its worker
CLOSE_TIMEOUT_S = 5.0
ONE_MINUTE = timedelta(minutes=1)


def _minute(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(second=0, microsecond=0)


def build_snapshot(feed_id: str, minute: datetime) -> FeedSnapshot:
    posts = tuple(demo.posts(minute)) + tuple(demo.headlines(minute))
    return FeedSnapshot(
        feed_id, posts, MappingProxyType(demo.metrics(minute)), minute, FeedHealth("ok", last_success=minute)
    )


def demo_post_counts(start: datetime, end: datetime) -> PostCounts:
    """The demo's posts published in [start, end), among those it shows at `end`."""
    shown = demo.posts(end)
    return PostCounts.of_slots(count_posts(shown, start, end), min(p.published_at for p in shown))


class DemoFeed:
    """Demo snapshots by (feed id, minute), the next minute prepared ahead of the render thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: dict[tuple[str, datetime], FeedSnapshot] = {}  # oldest first; replaced, never changed
        self._asked: dict[str, datetime] = {}  # feed id -> the minute last asked of the worker
        self._todo: dict[str, datetime] = {}  # what the worker has not started yet
        self._worker: threading.Thread | None = None
        self._closed = False

    def snapshot(self, feed_id: str, t: datetime) -> FeedSnapshot:
        minute = _minute(t)
        snap = self._ready.get((feed_id, minute))  # no lock on the render thread's path
        if snap is None:
            snap = build_snapshot(feed_id, minute)
            self._keep(feed_id, minute, snap)
        after = minute + ONE_MINUTE
        if self._asked.get(feed_id) != after and (feed_id, after) not in self._ready:
            self._ask(feed_id, after)
        return snap

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Ask for nothing more, and wait for the worker to build what it was asked. Idempotent."""
        with self._cond:
            self._closed = True
            worker = self._worker
            self._cond.notify_all()
        if worker is not None:
            worker.join(timeout)

    def _ask(self, feed_id: str, minute: datetime) -> None:
        with self._cond:
            if self._closed:
                return
            self._asked[feed_id] = self._todo[feed_id] = minute
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="wall-demo", daemon=True)
                self._worker.start()
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._todo or self._closed, IDLE_EXIT_S)
                if not self._todo:  # closed, or idle for long: a later request starts another worker
                    self._worker = None
                    return
                feed_id, minute = self._todo.popitem()
            self._keep(feed_id, minute, build_snapshot(feed_id, minute))

    def _keep(self, feed_id: str, minute: datetime, snap: FeedSnapshot) -> None:
        with self._cond:
            ready = dict(self._ready)  # a new dict: the render thread reads the old one unlocked
            ready[(feed_id, minute)] = snap
            mine = [k for k in ready if k[0] == feed_id]  # oldest first
            for k in mine[: max(0, len(mine) - KEEP_MINUTES)]:
                del ready[k]
            self._ready = ready
