"""Keeping the store in its SQLite file (db.py) without a poller or the render thread ever touching
the disk.

`put` / `fail` / `save_cursor` only mark what changed (`Changes`: feed ids and cursor values) with
the store's writer thread (wall/background_writer.py); it waits for a burst to end (`coalesce_s`),
then reads the changed feeds' rows (by reference: posts tuples and metrics dicts are never mutated)
and writes only the rows that differ from what the file holds, in one transaction. The figures'
counters (windows.py) say themselves which buckets changed; a write that fails gives them back. A cursor is
marked with its feed, under the store's lock, and that feed's rows are read when the cursor is
written, so a restart never resumes past posts the file lost.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from feeds.model import Metric, Post

from ..background_writer import BackgroundWriter
from .db import FeedWrite, StoreDB, StoredFeed
from .windows import FeedWindows

log = logging.getLogger("wall.store")


@dataclass(frozen=True)
class FeedRow:
    """What the file keeps of one feed, read from the store under its lock."""

    adapter: str
    posts: tuple[Post, ...]
    metrics: Mapping[str, Metric]
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    windows: FeedWindows | None = None  # the figures' counters (None: a computed feed)


@dataclass(frozen=True)
class Changes:
    """What changed since the last write: at most every feed and every cursor, whatever the number of
    polls (a feed's rows are read when written, so this bounds what an outage holds in memory)."""

    feeds: frozenset[str] = frozenset()
    cursors: Mapping[tuple[str, str], str | None] = field(default_factory=dict)  # None: delete
    purge: frozenset[str] = frozenset()  # feeds whose stored rows belong to another adapter

    def merged(self, newer: Changes) -> Changes:
        return Changes(self.feeds | newer.feeds, {**self.cursors, **newer.cursors}, self.purge | newer.purge)


def _same(had: object, now: object) -> bool:
    """Whether the row written for `had` still holds `now`: the same object (most of the buffer), or
    an equal re-delivery (sources send overlapping pages; an unchanged post is not rewritten)."""
    return had is now or (had is not None and had == now)


class Persistence:
    """A store's writes to its file. `rows(feed_ids)` reads the current rows of those feeds (the ones
    the store still has) from the store, under its lock."""

    def __init__(self, db: StoreDB, rows: Callable[[Collection[str]], dict[str, FeedRow]], coalesce_s: float):
        self.db = db
        self._rows = rows
        # what the file holds, for the writer thread (models are frozen: the same object is the same row)
        self._written_posts: dict[str, dict[str, Post]] = {}
        self._written_metrics: dict[str, dict[str, Metric]] = {}
        self._writer: BackgroundWriter[Changes] = BackgroundWriter(
            self._write,
            label=f"store {db.path}",
            log=log,
            coalesce_s=coalesce_s,
            expected=(sqlite3.Error,),
            thread_name=f"wall-store:{db.path.name}",
        )

    def load(
        self, adapters: Mapping[str, str]
    ) -> tuple[
        dict[str, StoredFeed],
        dict[tuple[str, str], str],
        dict[str, tuple[datetime | None, list[tuple[int, int, str]]]],
    ]:
        """The stored feeds among `adapters` (feed id -> adapter; see StoreDB.load), the cursors of
        those whose adapter is unchanged, and their figures' counters. Called once, before anything
        is marked."""
        try:
            stored = self.db.load(adapters)
            cursors = self.db.load_cursors()
            counters = self.db.load_windows(adapters)
        except sqlite3.Error as exc:
            log.warning("store: cannot read %s (%s); starting empty", self.db.path, exc)
            return {}, {}, {}
        kept = {fid for fid, sf in stored.items() if sf.adapter == adapters[fid]}
        for fid in kept:
            self._written_posts[fid] = {p.key: p for p in stored[fid].posts}
            self._written_metrics[fid] = dict(stored[fid].metrics)
        # a cursor always has its feed's row (see `changed`): another source's cursors stay out
        return stored, {k: v for k, v in cursors.items() if k[0] in kept}, counters

    def changed(self, feed_id: str, cursors: Mapping[str, str | None] | None = None, *, purge: bool = False) -> None:
        """Mark a feed (and cursors of it: key -> value, None deletes) to be written. Under the store's
        lock, so the file gets a feed's cursors in the order the store took them."""
        self._writer.submit(
            Changes(
                frozenset((feed_id,)),
                {(feed_id, k): v for k, v in (cursors or {}).items()},
                frozenset((feed_id,)) if purge else frozenset(),
            )
        )

    def flush(self, timeout: float | None) -> bool:
        return self._writer.flush(timeout)

    def close(self, timeout: float) -> bool:
        """Write what is pending and stop the writer; False when the disk hangs past timeout."""
        return self._writer.close(timeout)

    def _write(self, changes: Changes) -> None:
        """On the writer thread: the rows that differ from what the file holds, in one transaction."""
        writes, posts_now, metrics_now = [], {}, {}
        taken: list[tuple[FeedWindows, list[tuple[int, int, str]], dict[int, int]]] = []
        for fid, row in self._rows(changes.feeds).items():
            purge = fid in changes.purge  # the file holds nothing of this feed's new source
            had_posts = {} if purge else self._written_posts.get(fid, {})
            had_metrics = {} if purge else self._written_metrics.get(fid, {})
            posts_now[fid] = {p.key: p for p in row.posts}
            metrics_now[fid] = dict(row.metrics)
            buckets: list[tuple[int, int, str]] = []
            keep_from: dict[int, int] = {}
            if row.windows is not None:
                buckets, keep_from = row.windows.take_dirty()
                taken.append((row.windows, buckets, keep_from))
            writes.append(
                FeedWrite(
                    fid,
                    row.adapter,
                    row.last_success,
                    row.last_error,
                    row.last_error_at,
                    purge=purge,
                    upsert_posts=[p for p in row.posts if not _same(had_posts.get(p.key), p)],
                    delete_posts=[k for k in had_posts if k not in posts_now[fid]],
                    upsert_metrics=[m for n, m in row.metrics.items() if not _same(had_metrics.get(n), m)],
                    delete_metrics=[n for n in had_metrics if n not in row.metrics],
                    upsert_buckets=buckets,
                    keep_from=keep_from,
                    counted_since=row.windows.since if row.windows is not None else None,
                )
            )
        try:
            if writes or changes.cursors:
                self.db.write(writes, changes.cursors)
        except BaseException:
            for windows, buckets, keep_from in taken:  # written next time, with what changed since
                windows.requeue(buckets, keep_from)
            raise
        self._written_posts.update(posts_now)
        self._written_metrics.update(metrics_now)
