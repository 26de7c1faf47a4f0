"""The store: the latest good data of every feed, and each feed's health, for widgets to read.

Widgets read immutable `FeedSnapshot`s (built on the render thread every frame, so reading one is
a dictionary lookup). Pollers write with `put` / `fail` from their own thread. Each feed keeps a
bounded buffer of posts, merged by key, and its figures (buffer.py); posts are also counted per time
bucket and tone for alert rules (tally.py). Metrics replace by name. The demo feed is computed from
the time asked for and prepared ahead of the render thread (demo.py).

A store opened on a file (`Store.open`, `Store.from_config(config, path=...)`) keeps every feed's
last good data, health and adapter cursors in SQLite (db.py), so a restart shows the last wall at
once, offline too: restored feeds read 'stale' (with the stored last success) until their first
poll. The render thread never touches the file: `put` / `fail` / `save_cursor` only mark what
changed, and a writer thread writes it (persistence.py).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from feeds.model import TONES, Metric, Post

from ..background_writer import CLOSE_TIMEOUT_S
from .buffer import FeedSnapshot, FeedState, SkippedItems, entering, merge_posts, worst_health
from .db import StoreDB
from .demo import DemoFeed, demo_post_counts
from .persistence import FeedRow, Persistence
from .tally import PostCounts, Tally
from .windows import FeedWindows

log = logging.getLogger("wall.store")

DEFAULT_MAX_POSTS = 500  # per feed: a top-posts wall shows dozens; 500 leaves room for windows and rankings
DEFAULT_COALESCE_S = 1.0  # the writer waits this long after a change for the rest of the burst
# Figures over whole windows (windows.py) are recomputed after each poll, on the polling thread, while
# that costs at most FIGURES_SHARE of its time; a flood of polls beyond that is recomputed by the
# figures thread every FIGURES_EVERY_S per feed, so figures lag a flood by that at most.
FIGURES_SHARE = 0.1
FIGURES_EVERY_S = 0.5

# Feeds whose data is computed, never polled nor stored: the demo (from the frame's time) and
# aggregates (several feeds shown as one: posts merged, figures recomputed; see set_aggregate).
COMPUTED = frozenset({"demo", "aggregate"})

NewPosts = Callable[[list[Post]], None]


@dataclass(frozen=True)
class FeedCopy:
    """A feed's data and health as a hub hands them to the machines of its room (wall/room/): the
    posts (all of the buffer, or those new since the last copy), every figure (the vendor's and
    those counted from every post: a node counts nothing itself), and what its health is made of."""

    posts: tuple[Post, ...]
    metrics: Mapping[str, Metric]
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    credentials_missing: bool = False
    restored: bool = False
    skipped: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)  # reason -> (count, examples)


class Store:
    def __init__(
        self,
        feeds: Mapping[str, tuple[str, float]] | None = None,
        *,
        max_posts: int = DEFAULT_MAX_POSTS,
        coalesce_s: float = DEFAULT_COALESCE_S,
        on_new_posts: NewPosts | None = None,
    ):
        """feeds: feed id -> (adapter name, poll interval in s). In memory only; see `Store.open`.
        on_new_posts: called with each put's posts on the putting thread (the poller's), so work that
        follows new posts (moderation normalising their text) is done there, not on the render thread."""
        if max_posts < 1:
            raise ValueError("max_posts must be at least 1")
        self.max_posts = max_posts
        self.coalesce_s = coalesce_s
        self._on_new_posts = on_new_posts
        self._lock = threading.Lock()
        self._feeds: dict[str, FeedState] = {
            fid: _feed_state(adapter, poll_s) for fid, (adapter, poll_s) in (feeds or {}).items()
        }
        self._cursors: dict[tuple[str, str], str] = {}
        self._aggregates: dict[str, tuple[str, ...]] = {}  # aggregate id -> member feed ids
        self._demo = DemoFeed()
        self._db: StoreDB | None = None  # persistence (None: in memory only)
        self._persist: Persistence | None = None
        self._closed = False
        self._figures = _FiguresWorker(self._refresh_figures)

    @classmethod
    def open(
        cls,
        path: str | Path,
        feeds: Mapping[str, tuple[str, float]],
        *,
        max_posts: int = DEFAULT_MAX_POSTS,
        coalesce_s: float = DEFAULT_COALESCE_S,
        on_new_posts: NewPosts | None = None,
    ) -> Store:
        """A store kept in the SQLite file at path, loaded with the last good data of every feed
        given. Never raises for a bad file: it is moved aside (or, when in use elsewhere, left
        alone) and the store starts empty, in memory if no file can be used."""
        store = cls(feeds, max_posts=max_posts, coalesce_s=coalesce_s, on_new_posts=on_new_posts)
        db = StoreDB.open(path)
        if db is None:
            return store
        persist = Persistence(db, store._rows, coalesce_s)
        stored, store._cursors, counted = persist.load(
            {fid: st.adapter for fid, st in store._feeds.items() if st.adapter not in COMPUTED}
        )
        store._db, store._persist = db, persist
        with store._lock:
            for fid, sf in stored.items():
                st = store._feeds[fid]
                if sf.adapter != st.adapter:  # another source under this id now: forget the old one's rows
                    persist.changed(fid, purge=True)
                    continue
                st.posts = merge_posts((), sf.posts, max_posts)
                st.metrics = dict(sf.metrics)
                st.last_success, st.last_error, st.last_error_at = sf.last_success, sf.last_error, sf.last_error_at
                if fid in counted:  # the figures' counters, as the last run left them
                    since, rows = counted[fid]
                    st.windows = FeedWindows.restore(since, rows, st.posts)
                elif st.windows is not None and st.posts:  # a file from before counters were kept
                    st.windows.add(st.posts, st.last_success or st.posts[0].published_at)
                if st.windows is not None and st.last_success is not None:
                    st.derived = st.windows.figures(st.last_success)
                if st.posts:  # counted again from the restored buffer, complete from its oldest post
                    st.tally = Tally(st.posts[-1].published_at)
                    for post in st.posts:
                        st.tally.add(post, st.last_success or post.published_at)
                st.restored = True
                if len(st.posts) < len(sf.posts):  # the bound shrank since: trim the file too
                    persist.changed(fid)
        return store

    @classmethod
    def from_config(cls, config: Any, path: str | Path | None = None, **kw: Any) -> Store:
        """The store for a wall config: in memory (path None: tests, `wallctl render`) or kept in
        the file at path (see `default_store_path(config.name)`)."""
        feeds = {fid: (fc.adapter, fc.poll_s) for fid, fc in config.feeds.items()}
        store = cls(feeds, **kw) if path is None else cls.open(path, feeds, **kw)
        store._set_aggregates(config)
        return store

    def reconfigure(self, config: Any) -> list[str]:
        """Follow a reloaded config's feeds: new ones are added, one whose adapter changed starts
        empty (its stored rows are dropped), a new poll interval is taken; the data of every other
        feed stays. Feeds no longer configured are forgotten. Returns the feed ids that changed."""
        changed = []
        with self._lock:
            for fid, fc in config.feeds.items():
                st = self._feeds.get(fid)
                if st is None or st.adapter != fc.adapter:
                    self._feeds[fid] = _feed_state(fc.adapter, fc.poll_s)
                    if st is not None and self._persist is not None:
                        self._persist.changed(fid, purge=True)
                    changed.append(fid)
                elif st.poll_s != fc.poll_s:
                    st.poll_s = fc.poll_s
                    changed.append(fid)
            for fid in [f for f in self._feeds if f not in config.feeds]:
                del self._feeds[fid]
                changed.append(fid)
            self._aggregates = {}
        self._set_aggregates(config)
        return changed

    def _set_aggregates(self, config: Any) -> None:
        for fid, fc in config.feeds.items():
            if fc.adapter == "aggregate":
                self.set_aggregate(fid, fc.options.get("feeds", ()))

    def set_aggregate(self, aggregate_id: str, members: Iterable[str]) -> None:
        """Show several feeds as one (`adapter: aggregate`, options {feeds: [...]}): their posts
        merged by key, their own figures side by side, figures from posts recomputed over all."""
        with self._lock:
            st = self._feeds.setdefault(aggregate_id, _feed_state("aggregate", 60.0))
            self._aggregates[aggregate_id] = tuple(members)
            # its own counters (a post two members deliver counts once), from what they counted so far
            st.windows = FeedWindows.merged([m.windows for f in members if (m := self._feeds.get(f)) and m.windows])
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
                counters = self._feeds[agg_id].windows
            merged: tuple[Post, ...] = ()
            for group in posts:
                merged = merge_posts(merged, group, self.max_posts)
            derived = counters.figures(last) if last and counters is not None else {}
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

    def put(
        self,
        feed_id: str,
        posts: Iterable[Post],
        metrics: Mapping[str, Metric],
        at: datetime,
        *,
        replace: bool = False,
        cursors: Mapping[str, str | None] | None = None,
        skipped: Mapping[str, Any] | None = None,
    ) -> None:
        """A successful poll: merge posts into the feed's buffer (by key, newest first, bounded) and
        replace metrics by name. replace=True: posts and metrics are the feed's complete current
        data (adapters that return full snapshots). cursors (key -> value, None deletes) are kept
        in the same transaction as this data, so a restart never resumes past posts it lost.
        skipped: reason -> (count, examples) of items the source sent that could not be used
        (feeds.adapter.Skipped); counted into the feed's health, which then says "degraded" (with
        replace=True they replace the previous poll's: a full snapshot names its own)."""
        posts = list(posts)
        with self._lock:
            st = self._feeds[feed_id]
            old, version = st.posts, st.version
        merged = merge_posts(() if replace else old, posts, self.max_posts)  # outside the lock: may be big
        fresh = entering(old, merged) if posts else []
        if st.windows is not None and posts:
            st.windows.add(posts, at)  # every post, once, into the figures' counters (its own lock)
            for agg_id, members in list(self._aggregates.items()):
                agg = self._feeds.get(agg_id) if feed_id in members else None
                if agg is not None and agg.windows is not None:
                    agg.windows.add(posts, at)
        with self._lock:
            if st.version != version:  # another thread put meanwhile: merge again, against its result
                merged = merge_posts(() if replace else st.posts, posts, self.max_posts)
                fresh = entering(st.posts, merged) if posts else []
            if st.tally is None:  # counts are complete from the oldest post of the first poll on
                st.tally = Tally(min([at, *(p.published_at for p in fresh)]))
            for p in fresh:
                st.tally.add(p, at)
            st.version += 1
            st.posts = merged
            st.metrics = dict(metrics) if replace else {**st.metrics, **metrics}
            st.last_success = at
            st.last_error = st.last_error_at = None
            st.credentials_missing = st.restored = False
            if replace:  # a snapshot's unusable items are the current ones, not more of the same
                st.skipped = {}
            for reason, what in (skipped or {}).items():
                st.skipped.setdefault(reason, SkippedItems()).add(what.count, what.examples)
            st.cache = None
            self._set_cursors(feed_id, cursors or {})
            self._changed(feed_id, st, cursors)
        if st.windows is not None and (posts or replace):
            self._figures.due(feed_id, at)
        elif self._aggregates:
            self._recompute_aggregates(feed_id)
        if posts and self._on_new_posts is not None:
            self._on_new_posts(posts)

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
            st = self._feeds[feed_id]  # KeyError for an unknown feed, as put and fail
            self._set_cursors(feed_id, {key: value})
            self._changed(feed_id, st, {key: value})

    def load_cursor(self, feed_id: str, key: str) -> str | None:
        """The cursor last saved (read from memory: loaded from the file when the store opened)."""
        with self._lock:
            return self._cursors.get((feed_id, key))

    def cursors(self, feed_id: str) -> dict[str, str]:
        """Every cursor kept for a feed (the poller resumes from them after a restart)."""
        with self._lock:
            return {k: v for (fid, k), v in self._cursors.items() if fid == feed_id}

    def _set_cursors(self, feed_id: str, cursors: Mapping[str, str | None]) -> None:
        for key, value in cursors.items():
            if value is None:
                self._cursors.pop((feed_id, key), None)
            else:
                self._cursors[(feed_id, key)] = str(value)

    def _changed(self, feed_id: str, st: FeedState, cursors: Mapping[str, str | None] | None = None) -> None:
        """Under the lock: mark the feed (its row names the adapter its cursors belong to) for the file."""
        if self._persist is not None and st.adapter not in COMPUTED:  # computed from time or other feeds: never stored
            self._persist.changed(feed_id, cursors)

    # -------------------------------------------------------------- a room's hub and nodes

    def revision(self, feed_id: str) -> tuple[int, datetime | None, int, bool]:
        """Changes whenever what `copy` would give changes: a put, a failure, new figures."""
        with self._lock:
            st = self._feeds[feed_id]
            return st.version, st.last_error_at, id(st.derived), st.restored

    def copy(self, feed_id: str) -> FeedCopy:
        """The feed as a node needs it (the hub, off the render thread)."""
        with self._lock:
            st = self._feeds[feed_id]
            return FeedCopy(
                st.posts,
                {**st.derived, **st.metrics},
                st.last_success,
                st.last_error,
                st.last_error_at,
                st.credentials_missing,
                st.restored,
                {reason: (s.count, tuple(s.examples)) for reason, s in st.skipped.items()},
            )

    def mirror(self, feed_id: str, data: FeedCopy, *, whole: bool) -> None:
        """Take a feed as the room's hub has it (a node's reader thread). whole: `data.posts` is the
        hub's whole buffer; otherwise the posts new since the last copy, merged in. Figures and health
        are the hub's, as they are: a node polls and counts nothing."""
        with self._lock:
            st = self._feeds.get(feed_id)
            if st is None:
                return  # a feed the hub has and this node's config has not (configs out of step)
            old = st.posts
            st.posts = merge_posts(() if whole else old, data.posts, self.max_posts)
            fresh = entering(old, st.posts)
            st.metrics, st.derived = dict(data.metrics), {}
            st.last_success, st.last_error, st.last_error_at = data.last_success, data.last_error, data.last_error_at
            st.credentials_missing, st.restored = data.credentials_missing, data.restored
            st.skipped = {reason: SkippedItems(count, list(ex)) for reason, (count, ex) in data.skipped.items()}
            st.version += 1
            st.cache = None
            self._changed(feed_id, st)
        if fresh and self._on_new_posts is not None:
            self._on_new_posts(fresh)

    # -------------------------------------------------------------- figures (off the render thread)

    def _refresh_figures(self, feed_id: str, at: datetime) -> None:
        """Recompute a feed's windowed figures as of `at` (the putting thread, or the figures thread
        for a flood's trailing polls), then the aggregates that show it."""
        with self._lock:
            st = self._feeds.get(feed_id)
        if st is None or st.windows is None:
            return
        figures = st.windows.figures(at)
        with self._lock:
            st.derived = figures
            st.cache = None
        if self._aggregates:
            self._recompute_aggregates(feed_id)

    def settle_figures(self) -> None:
        """Bring every feed's figures up to its last poll now (renders and tests: the live wall never
        waits for this; its figures lag a flood of polls by FIGURES_EVERY_S at most)."""
        self._figures.run_pending()

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
            return self._demo.snapshot(feed_id, t)
        with self._lock:
            if feed_id in self._aggregates:
                members = {m: self._feeds[m] for m in self._aggregates[feed_id] if m in self._feeds}
                health = worst_health(members, st.last_success, t)
            else:
                health = st.health(t)
            if st.cache is not None and st.cache[1].health == health:
                return st.cache[1]
            # the source's own figures win over those derived from its posts
            figures = MappingProxyType({**st.derived, **st.metrics})
            snap = FeedSnapshot(feed_id, st.posts, figures, st.last_success, health)
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
            return demo_post_counts(start, end)
        members = self._aggregates.get(feed_id, (feed_id,))
        total, since = [0] * (1 + len(TONES)), None
        with self._lock:
            for m in members:
                ms = self._feeds.get(m)
                if ms is None or ms.tally is None:
                    continue
                since = ms.tally.since if since is None else max(since, ms.tally.since)
                for i, n in enumerate(ms.tally.count(start, end)):
                    total[i] += n
        return PostCounts.of_slots(total, since)

    # -------------------------------------------------------------- persistence (writer thread)

    def _rows(self, feed_ids: Collection[str]) -> dict[str, FeedRow]:
        """What the file should hold of these feeds now (for the writer; posts and metrics by reference)."""
        with self._lock:
            return {
                fid: FeedRow(
                    st.adapter, st.posts, st.metrics, st.last_success, st.last_error, st.last_error_at, st.windows
                )
                for fid in feed_ids
                if (st := self._feeds.get(fid)) is not None
            }

    def flush(self, timeout: float | None = CLOSE_TIMEOUT_S) -> bool:
        """Write everything changed so far now, and wait for it. True when it is on disk (or the
        store is in memory). For shutdown paths and tests; never call it on the render thread."""
        return self._persist.flush(timeout) if self._persist is not None else True

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Stop preparing the demo feed, write what is pending, stop the writer and close the file.
        Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._figures.close()
        self._demo.close()
        if self._persist is not None and not self._persist.close(timeout):
            log.warning(
                "store: %s did not finish writing within %.0f s; its last changes may be lost", self.path, timeout
            )
            return  # the disk hangs: the connection stays with the writer thread
        if self._db is not None:
            self._db.close()


def _feed_state(adapter: str, poll_s: float) -> FeedState:
    """A feed's state; polled feeds count their posts for the windowed figures."""
    return FeedState(adapter, poll_s, windows=None if adapter in COMPUTED else FeedWindows())


class _FiguresWorker:
    """Recomputes windowed figures after polls. While recomputing costs little next to the polls (a
    wall polling every few seconds, a test), each poll's figures are recomputed at once on the
    putting thread, so what a zone shows follows the poll. The time spent is metered (a token bucket
    refilled at FIGURES_SHARE of real time): in a flood of polls, once it is spent, polls only mark
    their feed, and this thread recomputes each marked feed every FIGURES_EVERY_S (so the last poll
    of a burst is never left out)."""

    def __init__(self, refresh: Callable[[str, datetime], None]) -> None:
        self._refresh = refresh
        self._cond = threading.Condition()
        self._last: dict[str, float] = {}  # feed -> monotonic time of its last recomputation
        self._pending: dict[str, datetime] = {}  # feed -> the poll time its figures must reach
        self._thread: threading.Thread | None = None
        self._closed = False
        self._credit = FIGURES_SHARE  # seconds of recomputation the putting thread may still spend
        self._credited_at = time.monotonic()

    def due(self, feed_id: str, at: datetime) -> None:
        now = time.monotonic()
        with self._cond:
            if self._closed:
                return
            self._credit = min(FIGURES_SHARE, self._credit + (now - self._credited_at) * FIGURES_SHARE)
            self._credited_at = now
            if self._credit > 0 and feed_id not in self._pending:
                self._last[feed_id] = now
                run_now = True
            else:
                self._pending[feed_id] = at
                run_now = False
                if self._thread is None:
                    self._thread = threading.Thread(target=self._work, name="wall-figures", daemon=True)
                    self._thread.start()
                self._cond.notify_all()
        if run_now:
            started = time.monotonic()
            self._refresh(feed_id, at)
            with self._cond:
                self._credit -= time.monotonic() - started

    def run_pending(self) -> None:
        with self._cond:
            pending, self._pending = self._pending, {}
            now = time.monotonic()
            for feed_id in pending:
                self._last[feed_id] = now
        for feed_id, at in pending.items():
            self._refresh(feed_id, at)

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                if not self._pending:
                    self._cond.wait(FIGURES_EVERY_S * 4)
                    if not self._pending:
                        self._thread = None  # idle: a later flood starts another
                        return
                    continue
                now = time.monotonic()
                ready = {
                    f: at for f, at in self._pending.items() if now - self._last.get(f, -math.inf) >= FIGURES_EVERY_S
                }
                if not ready:
                    wait = min(FIGURES_EVERY_S - (now - self._last.get(f, now)) for f in self._pending)
                    self._cond.wait(max(wait, 0.01))
                    continue
                for feed_id in ready:
                    del self._pending[feed_id]
                    self._last[feed_id] = now
            for feed_id, at in ready.items():
                try:
                    self._refresh(feed_id, at)
                except Exception:  # a bug in one feed's figures must not stop the others'
                    log.exception("figures of feed %s failed", feed_id)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join(5)
