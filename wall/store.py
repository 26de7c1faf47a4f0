"""The store: the latest good data of every feed, and each feed's health, for widgets to read.

Widgets read immutable `FeedSnapshot`s (built on the render thread every frame, so reading one is
a dictionary lookup). Pollers write with `put` / `fail` from their own thread. A failing feed keeps
its last good data: its snapshot says "failing" or "stale" and widgets badge it, they never blank.
The demo feed is computed from the time asked for (see feeds/demo.py) and is always healthy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal, Mapping

from feeds import demo
from feeds.model import Metric, Post

HealthState = Literal["loading", "ok", "stale", "failing", "credentials"]

# A feed is stale when its last success is older than this many poll intervals.
STALE_AFTER_POLLS = 3
MIN_STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class FeedHealth:
    state: HealthState
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class FeedSnapshot:
    feed_id: str
    posts: tuple[Post, ...]
    metrics: Mapping[str, Metric]
    as_of: datetime | None  # when the data shown was fetched (None: nothing yet)
    health: FeedHealth

    @property
    def has_data(self) -> bool:
        return bool(self.posts or self.metrics)


@dataclass
class _FeedState:
    adapter: str
    poll_s: float
    posts: tuple[Post, ...] = ()
    metrics: dict[str, Metric] = field(default_factory=dict)
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    credentials_missing: bool = False
    cache: tuple[datetime, FeedSnapshot] | None = None


class Store:
    def __init__(self, feeds: Mapping[str, tuple[str, float]] | None = None):
        """feeds: feed id -> (adapter name, poll interval in s)."""
        self._lock = threading.Lock()
        self._feeds: dict[str, _FeedState] = {
            fid: _FeedState(adapter, poll_s) for fid, (adapter, poll_s) in (feeds or {}).items()
        }

    @classmethod
    def from_config(cls, config) -> "Store":
        return cls({fid: (fc.adapter, fc.poll_s) for fid, fc in config.feeds.items()})

    # -------------------------------------------------------------- writing (pollers)

    def put(self, feed_id: str, posts: list[Post], metrics: dict[str, Metric], at: datetime) -> None:
        with self._lock:
            st = self._feeds[feed_id]
            st.posts = tuple(posts)
            st.metrics = dict(metrics)
            st.last_success = at
            st.last_error = None
            st.cache = None

    def fail(self, feed_id: str, error: str, at: datetime, *, credentials: bool = False) -> None:
        with self._lock:
            st = self._feeds[feed_id]
            st.last_error = error
            st.last_error_at = at
            st.credentials_missing = credentials
            st.cache = None

    # -------------------------------------------------------------- reading (render thread)

    def feed_ids(self) -> list[str]:
        return list(self._feeds)

    def snapshot(self, feed_id: str | None, t: datetime) -> FeedSnapshot | None:
        if feed_id is None:
            return None
        st = self._feeds.get(feed_id)
        if st is None:
            return None
        if st.adapter == "demo":
            return self._demo_snapshot(feed_id, st, t)
        with self._lock:
            health = self._health(st, t)
            if st.cache is not None and st.cache[1].health == health:
                return st.cache[1]
            snap = FeedSnapshot(feed_id, st.posts, MappingProxyType(dict(st.metrics)), st.last_success, health)
            st.cache = (t, snap)
            return snap

    def _health(self, st: _FeedState, t: datetime) -> FeedHealth:
        if st.last_error and (st.last_success is None or (st.last_error_at or t) >= st.last_success):
            state: HealthState = "credentials" if st.credentials_missing else "failing"
        elif st.last_success is None:
            state = "loading"
        elif t - st.last_success > max(MIN_STALE_AFTER, timedelta(seconds=STALE_AFTER_POLLS * st.poll_s)):
            state = "stale"
        else:
            state = "ok"
        return FeedHealth(state, st.last_success, st.last_error, st.last_error_at)

    def _demo_snapshot(self, feed_id: str, st: _FeedState, t: datetime) -> FeedSnapshot:
        minute = t.astimezone(timezone.utc).replace(second=0, microsecond=0)
        cached = st.cache
        if cached is not None and cached[0] == minute:
            return cached[1]
        posts = tuple(demo.posts(t)) + tuple(demo.headlines(t))
        snap = FeedSnapshot(feed_id, posts, MappingProxyType(demo.metrics(t)), minute,
                            FeedHealth("ok", last_success=minute))
        st.cache = (minute, snap)
        return snap
