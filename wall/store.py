"""The store: the latest good data of every feed, and each feed's health, for widgets to read.

Widgets read immutable `FeedSnapshot`s (built on the render thread every frame, so reading one is
a dictionary lookup). Pollers write with `put` / `fail` from their own thread. A failing feed keeps
its last good data: its snapshot says "failing" or "stale" and widgets badge it, they never blank.
The demo feed is computed from the time asked for (see feeds/demo.py) and is always healthy; it is
never kept on disk.

Each feed keeps a bounded buffer of posts, newest first: sources deliver at least once and pages
overlap, so `put` merges by `Post.key` (a re-delivered post replaces its older copy: its like count
moved on) and keeps the newest `max_posts`. Metrics replace by name.

A store opened on a file (`Store.open`, `Store.from_config(config, path=...)`) keeps every feed's
last good data, health and adapter cursors in SQLite (wall/store_db.py), so a restart shows the
last wall at once, offline too: restored feeds read 'stale' (with the stored last success) until
their first poll. The render thread never touches the file: `put` / `fail` / `save_cursor` only mark
what changed; a writer thread waits for a burst to end (`coalesce_s`), then writes only the rows
that changed, in one transaction.

Post counts (for alert rules, wall/alerts.py): the buffer keeps the newest `max_posts`, which on a
busy feed is minutes, not the hours a surge's baseline needs. So each feed also counts its posts per
time bucket and tone (`_Tally`: 10-second buckets for the last 2 h, 5-minute buckets for 48 h,
about 50 KB a feed), fed by `put` when a post enters the buffer (a re-delivered post is not counted
twice), read with `post_counts`. Counts are not kept on disk: a restart counts the restored buffer
again, and `counted_since` says from when counts are complete.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import operator
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterable, Literal, Mapping

from feeds import demo
from feeds.model import Metric, Post

from .aggregate import derived_metrics

from .store_db import FeedWrite, StoreDB, default_store_path

log = logging.getLogger("wall.store")

HealthState = Literal["loading", "ok", "stale", "failing", "credentials"]

# A feed is stale when its last success is older than this many poll intervals.
STALE_AFTER_POLLS = 3
MIN_STALE_AFTER = timedelta(minutes=2)

DEFAULT_MAX_POSTS = 500  # per feed: a top-posts wall shows dozens; 500 leaves room for windows and rankings
DEFAULT_COALESCE_S = 1.0  # the writer waits this long after a change for the rest of the burst
MAX_RETRY_S = 30.0  # a failing disk is retried at most this far apart
CLOSE_TIMEOUT_S = 10.0

__all__ = ["Store", "FeedHealth", "FeedSnapshot", "HealthState", "PostCounts", "default_store_path"]


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
    posts: tuple[Post, ...] = ()  # newest first, unique keys, at most max_posts
    metrics: Mapping[str, Metric] = field(default_factory=dict)  # replaced, never mutated (the writer reads it unlocked)
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    credentials_missing: bool = False
    restored: bool = False  # data read from disk at start; no poll has answered since
    derived: Mapping[str, Metric] = field(default_factory=dict)  # figures computed from the posts (wall/aggregate.py)
    version: int = 0  # bumped by every put (lets put merge outside the lock)
    cache: tuple[datetime, FeedSnapshot] | None = None
    tally: "_Tally | None" = None  # posts per time bucket and tone, since the first put (or the restore)


def _newest_first(p: Post) -> tuple[datetime, str]:
    return p.published_at, p.key


def merge_posts(old: Iterable[Post], new: Iterable[Post], limit: int) -> tuple[Post, ...]:
    """old + new, one post per key (the later delivery wins), newest first, at most `limit`."""
    by_key = {p.key: p for p in old}
    for p in new:
        by_key[p.key] = p
    if len(by_key) > limit:
        return tuple(heapq.nlargest(limit, by_key.values(), key=_newest_first))
    return tuple(sorted(by_key.values(), key=_newest_first, reverse=True))


def _entering(old: tuple[Post, ...], merged: tuple[Post, ...]) -> list[Post]:
    """The posts of `merged` that `old` lacks: each post is counted once, when it enters the buffer
    (a re-delivery or a post too old to be kept is not)."""
    had = {p.key for p in old}
    return [p for p in merged if p.key not in had]


def _same(had, now) -> bool:
    """Whether the row written for `had` still holds `now`: the same object (most of the buffer), or
    an equal re-delivery (sources send overlapping pages; an unchanged post is not rewritten)."""
    return had is now or (had is not None and had == now)


TONES = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class PostCounts:
    """Posts published in a time range, by tone; `any` counts every post, with a tone or without."""

    any: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    counted_since: datetime | None = None  # counts are complete from this time on (None: nothing counted yet)

    def of(self, tone: str) -> int:
        return getattr(self, tone)


class _Ring:
    """Counts [any, positive, neutral, negative] per bucket of `step` seconds, for the `size` buckets up
    to the newest one written; a slot is reused when the ring comes round to it."""

    __slots__ = ("step", "size", "idx", "counts", "hi")

    def __init__(self, step: int, size: int):
        self.step, self.size = step, size
        self.idx = [-1] * size  # the bucket each slot holds
        self.counts = [[0] * size for _ in range(4)]  # per tone, per slot
        self.hi: int | None = None  # the newest bucket written

    def add(self, ts: float, tone: int) -> None:
        b = int(ts // self.step)
        if self.hi is not None and b <= self.hi - self.size:
            return  # older than the ring holds
        slot = b % self.size
        if self.idx[slot] != b:
            self.idx[slot] = b
            for c in self.counts:
                c[slot] = 0
        self.counts[0][slot] += 1
        if tone:
            self.counts[tone][slot] += 1
        if self.hi is None or b > self.hi:
            self.hi = b

    def held_from(self) -> float:
        """The start of the oldest bucket this ring still answers for (call once written to)."""
        assert self.hi is not None
        return (self.hi - self.size + 1) * self.step

    def total(self, start: float, end: float, out: list[int]) -> None:
        """Add the buckets that start in [start, end) to out."""
        if self.hi is None:
            return
        lo = max(math.ceil(start / self.step), self.hi - self.size + 1)  # only what the ring holds
        hi = min(math.ceil(end / self.step), self.hi + 1)
        while lo < hi:  # at most two runs of slots: up to the ring's end, then from its start
            a = lo % self.size
            b = min(self.size, a + hi - lo)
            held = list(map(operator.eq, self.idx[a:b], range(lo, lo + b - a)))  # slot still holds bucket
            for i, c in enumerate(self.counts):
                out[i] += sum(itertools.compress(c[a:b], held))
            lo += b - a


class _Tally:
    """One feed's post counts: fine buckets for the recent past, coarse ones for two days."""

    FINE_S, FINE_N = 10, 720  # 2 h
    COARSE_S, COARSE_N = 300, 576  # 48 h

    def __init__(self, since: datetime):
        self.since = since
        self.fine = _Ring(self.FINE_S, self.FINE_N)
        self.coarse = _Ring(self.COARSE_S, self.COARSE_N)

    def add(self, post: Post, at: datetime) -> None:
        ts = min(post.published_at, at).timestamp()  # a post dated in the future counts as now
        tone = 1 + TONES.index(post.sentiment.label) if post.sentiment is not None else 0
        self.fine.add(ts, tone)
        self.coarse.add(ts, tone)

    def count(self, start: datetime, end: datetime) -> list[int]:
        a, b = start.timestamp(), end.timestamp()
        out = [0, 0, 0, 0]
        if a >= b or self.fine.hi is None:
            return out
        # coarse buckets up to where the fine ring takes over (on a coarse bucket edge), fine after
        split = min(max(a, math.ceil(self.fine.held_from() / self.COARSE_S) * self.COARSE_S), b)
        self.coarse.total(a, split, out)
        self.fine.total(split, b, out)
        return out


@dataclass
class _Pending:
    feeds: list[tuple[str, _FeedState]]
    cursors: dict[tuple[str, str], str | None]
    flush_gen: int
    purge: set[str]


# Feeds whose data is computed, never polled nor stored: the demo (from the frame's time) and
# aggregates (several feeds shown as one: posts merged, figures recomputed; see set_aggregate).
COMPUTED = frozenset({"demo", "aggregate"})
STATE_RANK = {"ok": 0, "loading": 1, "stale": 2, "credentials": 3, "failing": 4}


class Store:
    def __init__(self, feeds: Mapping[str, tuple[str, float]] | None = None, *, max_posts: int = DEFAULT_MAX_POSTS,
                 coalesce_s: float = DEFAULT_COALESCE_S):
        """feeds: feed id -> (adapter name, poll interval in s). In memory only; see `Store.open`."""
        if max_posts < 1:
            raise ValueError("max_posts must be at least 1")
        self.max_posts = max_posts
        self._lock = threading.Lock()
        self._feeds: dict[str, _FeedState] = {
            fid: _FeedState(adapter, poll_s) for fid, (adapter, poll_s) in (feeds or {}).items()
        }
        self._cursors: dict[tuple[str, str], str] = {}
        self._aggregates: dict[str, tuple[str, ...]] = {}  # aggregate id -> member feed ids
        # persistence (None: in memory only)
        self._db: StoreDB | None = None
        self._writer: threading.Thread | None = None
        self._wake = threading.Condition(self._lock)
        self._dirty: set[str] = set()
        self._dirty_cursors: dict[tuple[str, str], str | None] = {}
        self._purge: set[str] = set()  # feeds whose stored rows belong to another adapter
        # called with each put's posts on the putting thread (the poller's), so work that follows
        # new posts (moderation normalising their text) is done there, not on the render thread
        self.on_new_posts: Callable[[list[Post]], None] | None = None
        self._closing = False
        self._flush_gen = 0  # flushes asked for
        self._attempt_gen = 0  # flushes attempted (the write that covered them ended)
        self._attempt_ok = True
        self.coalesce_s = coalesce_s
        # writer thread only: what the file holds (models are frozen: the same object is the same row)
        self._written_posts: dict[str, dict[str, Post]] = {}
        self._written_metrics: dict[str, dict[str, Metric]] = {}

    @classmethod
    def open(cls, path: str | Path, feeds: Mapping[str, tuple[str, float]], *, max_posts: int = DEFAULT_MAX_POSTS,
             coalesce_s: float = DEFAULT_COALESCE_S) -> "Store":
        """A store kept in the SQLite file at path, loaded with the last good data of every feed
        given. Never raises for a bad file: it is moved aside (or, when in use elsewhere, left
        alone) and the store starts empty, in memory if no file can be used."""
        store = cls(feeds, max_posts=max_posts, coalesce_s=coalesce_s)
        db = StoreDB.open(path)
        if db is None:
            return store
        try:
            stored = db.load({fid: st.adapter for fid, st in store._feeds.items() if st.adapter not in COMPUTED})
            cursors = db.load_cursors()
        except sqlite3.Error as exc:
            log.warning("store: cannot read %s (%s); starting empty", path, exc)
            stored, cursors = {}, {}
        for fid, sf in stored.items():
            st = store._feeds[fid]
            if sf.adapter != st.adapter:  # another source under this id now: forget the old one's rows
                store._purge.add(fid)
                store._dirty.add(fid)
                continue
            st.posts = merge_posts((), sf.posts, max_posts)
            st.metrics = dict(sf.metrics)
            st.last_success, st.last_error, st.last_error_at = sf.last_success, sf.last_error, sf.last_error_at
            st.derived = derived_metrics(st.posts, st.last_success) if st.last_success else {}
            if st.posts:  # counted again from the restored buffer, complete from its oldest post
                st.tally = _Tally(st.posts[-1].published_at)
                for post in st.posts:
                    st.tally.add(post, st.last_success or post.published_at)
            st.restored = True
            store._written_posts[fid] = {p.key: p for p in sf.posts}  # what the file holds
            store._written_metrics[fid] = dict(sf.metrics)
            if len(st.posts) < len(sf.posts):  # the bound shrank since: trim the file too
                store._dirty.add(fid)
        # cursors of feeds whose source is unchanged (a cursor always has its feed's row: see _set_cursor)
        store._cursors = {k: v for k, v in cursors.items()
                          if k[0] in stored and stored[k[0]].adapter == store._feeds[k[0]].adapter}
        store._db = db
        store._writer = threading.Thread(target=store._write_loop, name=f"wall-store:{Path(path).name}", daemon=True)
        store._writer.start()
        return store

    @classmethod
    def from_config(cls, config, path: str | Path | None = None, **kw) -> "Store":
        """The store for a wall config: in memory (path None: tests, `wallctl render`) or kept in
        the file at path (see `default_store_path(config.name)`)."""
        feeds = {fid: (fc.adapter, fc.poll_s) for fid, fc in config.feeds.items()}
        store = cls(feeds, **kw) if path is None else cls.open(path, feeds, **kw)
        for fid, fc in config.feeds.items():
            if fc.adapter == "aggregate":
                store.set_aggregate(fid, fc.options.get("feeds", ()))
        return store

    def reconfigure(self, config) -> list[str]:
        """Follow a reloaded config's feeds: new ones are added, one whose adapter changed starts
        empty (its stored rows are dropped), a new poll interval is taken; the data of every other
        feed stays. Feeds no longer configured are forgotten. Returns the feed ids that changed."""
        changed = []
        with self._lock:
            for fid, fc in config.feeds.items():
                st = self._feeds.get(fid)
                if st is None or st.adapter != fc.adapter:
                    if st is not None:
                        self._purge.add(fid)
                        self._dirty.add(fid)
                    self._feeds[fid] = _FeedState(fc.adapter, fc.poll_s)
                    changed.append(fid)
                elif st.poll_s != fc.poll_s:
                    st.poll_s = fc.poll_s
                    changed.append(fid)
            for fid in [f for f in self._feeds if f not in config.feeds]:
                del self._feeds[fid]
                changed.append(fid)
            self._aggregates = {}
        for fid, fc in config.feeds.items():
            if fc.adapter == "aggregate":
                self.set_aggregate(fid, fc.options.get("feeds", ()))
        return changed

    def set_aggregate(self, aggregate_id: str, members: Iterable[str]) -> None:
        """Show several feeds as one (`adapter: aggregate`, options {feeds: [...]}): their posts
        merged by key, their own figures side by side, figures from posts recomputed over all."""
        with self._lock:
            self._feeds.setdefault(aggregate_id, _FeedState("aggregate", 60.0))
            self._aggregates[aggregate_id] = tuple(members)
        self._recompute_aggregates(None)

    def _recompute_aggregates(self, member: str | None) -> None:
        """Rebuild the aggregates that contain `member` (all when None). Runs on the writing
        thread (the poller's), never on the render thread."""
        for agg_id, members in list(self._aggregates.items()):
            if member is not None and member not in members:
                continue
            with self._lock:
                parts = [self._feeds[m] for m in members if m in self._feeds]
                posts = [st.posts for st in parts]
                metrics: dict[str, Metric] = {}
                for st in parts:
                    metrics.update(st.metrics)
                last = max((st.last_success for st in parts if st.last_success), default=None)
            merged: tuple[Post, ...] = ()
            for group in posts:
                merged = merge_posts(merged, group, self.max_posts)
            derived = derived_metrics(merged, last) if last else {}
            with self._lock:
                st = self._feeds[agg_id]
                st.posts, st.metrics, st.derived, st.last_success = merged, metrics, derived, last
                st.version += 1
                st.cache = None

    @property
    def path(self) -> Path | None:
        """The file this store is kept in (None: in memory only)."""
        return self._db.path if self._db is not None else None

    # -------------------------------------------------------------- writing (pollers)

    def put(self, feed_id: str, posts: Iterable[Post], metrics: Mapping[str, Metric], at: datetime, *,
            replace: bool = False, cursors: Mapping[str, str | None] | None = None) -> None:
        """A successful poll: merge posts into the feed's buffer (by key, newest first, bounded) and
        replace metrics by name. replace=True: posts and metrics are the feed's complete current
        data (adapters that return full snapshots). cursors (key -> value, None deletes) are kept
        in the same transaction as this data, so a restart never resumes past posts it lost."""
        posts = list(posts)
        with self._lock:
            st = self._feeds[feed_id]
            old, version = st.posts, st.version
        merged = merge_posts(() if replace else old, posts, self.max_posts)  # outside the lock: may be big
        derived = derived_metrics(merged, at) if posts or replace else None  # on the poller's thread
        fresh = _entering(old, merged) if posts else []
        with self._lock:
            if st.version != version:  # another thread put meanwhile: merge again, against its result
                merged = merge_posts(() if replace else st.posts, posts, self.max_posts)
                derived = derived_metrics(merged, at)
                fresh = _entering(st.posts, merged) if posts else []
            if st.tally is None:  # counts are complete from the oldest post of the first poll on
                st.tally = _Tally(min([at, *(p.published_at for p in fresh)]))
            for p in fresh:
                st.tally.add(p, at)
            st.version += 1
            st.posts = merged
            if derived is not None:
                st.derived = derived
            st.metrics = dict(metrics) if replace else {**st.metrics, **metrics}
            st.last_success = at
            st.last_error = None
            st.last_error_at = None
            st.credentials_missing = False
            st.restored = False
            st.cache = None
            for key, value in (cursors or {}).items():
                self._set_cursor(feed_id, key, value)
            self._changed(feed_id, st)
        if self._aggregates:
            self._recompute_aggregates(feed_id)
        if posts and self.on_new_posts is not None:
            self.on_new_posts(posts)

    def fail(self, feed_id: str, error: str, at: datetime, *, credentials: bool = False) -> None:
        with self._lock:
            st = self._feeds[feed_id]
            st.last_error = error
            st.last_error_at = at
            st.credentials_missing = credentials
            st.restored = False
            st.cache = None
            self._changed(feed_id, st)

    def save_cursor(self, feed_id: str, key: str, value: str | None) -> None:
        """Keep an adapter's resume point (a since_id, a page cursor, an ETag...) across restarts.
        None forgets it. Prefer `put(..., cursors=...)` for a cursor that goes with new data."""
        with self._lock:
            self._feeds[feed_id]  # KeyError for an unknown feed, as put and fail
            self._set_cursor(feed_id, key, value)
            if self._db is not None:
                self._wake.notify_all()

    def load_cursor(self, feed_id: str, key: str) -> str | None:
        """The cursor last saved (read from memory: loaded from the file when the store opened)."""
        with self._lock:
            return self._cursors.get((feed_id, key))

    def cursors(self, feed_id: str) -> dict[str, str]:
        """Every cursor kept for a feed (the poller resumes from them after a restart)."""
        with self._lock:
            return {k: v for (fid, k), v in self._cursors.items() if fid == feed_id}

    def _set_cursor(self, feed_id: str, key: str, value: str | None) -> None:
        if value is None:
            self._cursors.pop((feed_id, key), None)
        else:
            self._cursors[(feed_id, key)] = str(value)
        if self._db is not None and feed_id in self._feeds and self._feeds[feed_id].adapter not in COMPUTED:
            self._dirty_cursors[(feed_id, key)] = value
            self._dirty.add(feed_id)  # its feed row names the adapter the cursor belongs to

    def _changed(self, feed_id: str, st: _FeedState) -> None:
        if self._db is not None and st.adapter not in COMPUTED:  # computed from time or other feeds: never stored
            self._dirty.add(feed_id)
            self._wake.notify_all()

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
            health = self._aggregate_health(feed_id, st, t) if feed_id in self._aggregates else self._health(st, t)
            if st.cache is not None and st.cache[1].health == health:
                return st.cache[1]
            # the source's own figures win over those derived from its posts
            snap = FeedSnapshot(feed_id, st.posts, MappingProxyType({**st.derived, **st.metrics}), st.last_success, health)
            st.cache = (t, snap)
            return snap

    def post_counts(self, feed_id: str, start: datetime, end: datetime) -> PostCounts | None:
        """Posts of a feed published in [start, end), by tone: those in the time buckets that start
        in the range (10 s wide within the last 2 h, 5 min beyond, up to 48 h back). None for a feed
        the store does not have. For alert rules, about once a second: never per frame."""
        st = self._feeds.get(feed_id)
        if st is None:
            return None
        if st.adapter == "demo":  # computed from time: count the posts it shows at `end`
            shown = demo.posts(end)
            counts = [0, 0, 0, 0]
            for p in shown:
                if start <= p.published_at < end:
                    counts[0] += 1
                    if p.sentiment is not None:
                        counts[1 + TONES.index(p.sentiment.label)] += 1
            return PostCounts(*counts, counted_since=min(p.published_at for p in shown))
        members = self._aggregates.get(feed_id, (feed_id,))
        total, since = [0, 0, 0, 0], None
        with self._lock:
            for m in members:
                ms = self._feeds.get(m)
                if ms is None or ms.tally is None:
                    continue
                since = ms.tally.since if since is None else max(since, ms.tally.since)
                for i, n in enumerate(ms.tally.count(start, end)):
                    total[i] += n
        return PostCounts(*total, counted_since=since)

    def _aggregate_health(self, agg_id: str, st: _FeedState, t: datetime) -> FeedHealth:
        """An aggregate is as healthy as its least healthy member; the error names the member."""
        members = [(m, self._feeds[m]) for m in self._aggregates[agg_id] if m in self._feeds]
        if not members:
            return FeedHealth("loading")
        healths = [(m, self._health(ms, t)) for m, ms in members]
        worst_id, worst = max(healths, key=lambda mh: STATE_RANK.get(mh[1].state, 0))
        error = f"{worst_id}: {worst.last_error}" if worst.last_error else None
        return FeedHealth(worst.state, st.last_success, error, worst.last_error_at)

    def _health(self, st: _FeedState, t: datetime) -> FeedHealth:
        if st.restored:  # from disk: old data whose source has not been asked yet
            state: HealthState = "stale" if st.last_success is not None else "loading"
        elif st.last_error and (st.last_success is None or (st.last_error_at or t) >= st.last_success):
            state = "credentials" if st.credentials_missing else "failing"
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

    # -------------------------------------------------------------- persistence (writer thread)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Write everything changed so far now, and wait for it. True when it is on disk (or the
        store is in memory). For shutdown paths and tests; never call it on the render thread."""
        with self._lock:
            if self._db is None or self._writer is None or not self._writer.is_alive():
                return self._db is None
            self._flush_gen += 1
            gen = self._flush_gen
            self._wake.notify_all()
            if not self._wake.wait_for(lambda: self._attempt_gen >= gen, timeout):
                return False
            return self._attempt_ok

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Write what is pending, stop the writer and close the file. Idempotent."""
        writer = self._writer
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._wake.notify_all()
        if writer is not None:
            writer.join(timeout)
            if writer.is_alive():  # the disk hangs: leave the connection to the daemon thread
                log.warning("store: %s did not finish writing within %.0f s; its last changes may be lost",
                            self.path, timeout)
                return
        if self._db is not None:
            self._db.close()

    def _has_pending(self) -> bool:
        return bool(self._dirty or self._dirty_cursors)

    def _write_loop(self) -> None:
        failures = 0
        while True:
            with self._lock:
                self._wake.wait_for(lambda: self._has_pending() or self._closing or self._flush_asked())
                if not self._closing and not self._flush_asked():  # let the burst finish
                    deadline = time.monotonic() + self.coalesce_s
                    self._wake.wait_for(lambda: self._closing or self._flush_asked()
                                        or time.monotonic() >= deadline, self.coalesce_s)
                pending = self._take_pending()
                closing = self._closing
            ok = self._write(pending)
            with self._lock:
                if not ok:
                    self._requeue(pending)
                self._attempt_gen = pending.flush_gen
                self._attempt_ok = ok
                self._wake.notify_all()
                if closing:
                    if not ok:
                        log.warning("store: could not save the last changes of %d feed(s) before closing",
                                    len(pending.feeds))
                    return
                if ok:
                    if failures:
                        log.info("store: writing to %s again", self.path)
                    failures = 0
                    continue
                failures += 1
                delay = min(MAX_RETRY_S, self.coalesce_s * 2 ** failures)
                self._wake.wait_for(lambda: self._closing or self._flush_asked(), delay)

    def _flush_asked(self) -> bool:
        return self._flush_gen > self._attempt_gen

    def _take_pending(self) -> _Pending:
        """Under the lock: what changed, by reference (posts tuples and metrics dicts are never mutated)."""
        feeds = [(fid, _FeedState(st.adapter, st.poll_s, st.posts, st.metrics, st.last_success, st.last_error,
                                  st.last_error_at)) for fid in self._dirty if (st := self._feeds.get(fid))]
        pending = _Pending(feeds, self._dirty_cursors, self._flush_gen, self._purge)
        self._purge = set()
        self._dirty = set()
        self._dirty_cursors = {}
        return pending

    def _requeue(self, pending: _Pending) -> None:
        self._dirty.update(fid for fid, _ in pending.feeds)
        self._purge.update(pending.purge)
        for key, value in pending.cursors.items():
            self._dirty_cursors.setdefault(key, value)  # a newer value saved meanwhile wins

    def _write(self, pending: _Pending) -> bool:
        """Outside the lock: the rows that differ from what the file holds, in one transaction."""
        if not pending.feeds and not pending.cursors:
            return True
        assert self._db is not None
        writes, posts_now, metrics_now = [], {}, {}
        for fid, st in pending.feeds:
            had_posts = self._written_posts.get(fid, {})
            had_metrics = self._written_metrics.get(fid, {})
            posts_now[fid] = {p.key: p for p in st.posts}
            metrics_now[fid] = dict(st.metrics)
            writes.append(FeedWrite(
                fid, st.adapter, st.last_success, st.last_error, st.last_error_at, purge=fid in pending.purge,
                upsert_posts=[p for p in st.posts if not _same(had_posts.get(p.key), p)],
                delete_posts=[k for k in had_posts if k not in posts_now[fid]],
                upsert_metrics=[m for n, m in st.metrics.items() if not _same(had_metrics.get(n), m)],
                delete_metrics=[n for n in had_metrics if n not in st.metrics],
            ))
        try:
            self._db.write(writes, pending.cursors)
        except sqlite3.Error as exc:
            if self._attempt_ok:  # one line per outage, not one per retry
                log.warning("store: cannot write to %s (%s); keeping changes in memory and retrying", self.path, exc)
            else:
                log.debug("store: still cannot write to %s (%s)", self.path, exc)
            return False
        except Exception:  # a bug must not kill the writer: the wall keeps running, in memory
            log.exception("store: writing to %s failed", self.path)
            return False
        self._written_posts.update(posts_now)
        self._written_metrics.update(metrics_now)
        return True
