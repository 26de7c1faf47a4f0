"""The store's memory on disk: each feed's last good data, its health and its adapter cursors.

One SQLite file per wall (stdlib sqlite3, WAL mode), so a restart shows the last wall at once, with
no network. Only the store's writer thread writes here (see persistence.py); the render thread never
opens, reads or waits on this file.

What is kept: each feed's posts (the model's JSON, `raw` excluded) and metrics, its last success and
last error, and a small key/value table per feed for what an adapter needs to resume (a since_id, a
page cursor, an HTTP ETag / Last-Modified). Why one row per post rather than one blob per feed: a
poll usually brings a handful of new posts, so a flush writes those rows, not the whole buffer.

A file that is corrupt, not a database, or written by a newer wall is moved aside
(`<name>.corrupt-<time>`, kept for a post-mortem) and the wall starts empty: losing a cache is a
nuisance, a wall that does not start is an outage. A file another process holds locked is left alone
(it belongs to a running wall) and this wall runs without persistence.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from feeds.model import Metric, Post

log = logging.getLogger("wall.store")

# 2: the figures' counters (table windows); a file of version 1 gains the table when opened
SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 5.0  # the writer waits this long on a lock held by another connection, then retries later

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    feed_id       TEXT PRIMARY KEY,
    adapter       TEXT NOT NULL,
    last_success  TEXT,
    last_error    TEXT,
    last_error_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS posts (
    feed_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    published_at TEXT NOT NULL,
    json         TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics (
    feed_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    json    TEXT NOT NULL,
    PRIMARY KEY (feed_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cursors (
    feed_id TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS windows (
    feed_id TEXT NOT NULL,
    tier    INTEGER NOT NULL,
    bucket  INTEGER NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (feed_id, tier, bucket)
) WITHOUT ROWID;
"""

# windows row of a feed that holds when its counting began (an ISO time), beside its buckets
SINCE_TIER = -1

_COLUMNS = {
    "feeds": ("feed_id", "adapter", "last_success", "last_error", "last_error_at"),
    "posts": ("feed_id", "key", "published_at", "json"),
    "metrics": ("feed_id", "name", "json"),
    "cursors": ("feed_id", "key", "value"),
    "windows": ("feed_id", "tier", "bucket", "body"),
}

# sqlite result codes that mean "someone else is using this file", not "this file is bad".
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def default_store_path(config_name: str) -> Path:
    """Where a wall named config_name keeps its data: ${XDG_STATE_HOME:-~/.local/state}/wall/<slug>.sqlite3."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    slug = re.sub(r"[^a-z0-9]+", "-", config_name.lower()).strip("-") or "wall"
    return Path(base) / "wall" / f"{slug}.sqlite3"


class UnreadableStore(Exception):
    """The file is not a wall store this program can read (corrupt, not SQLite, newer schema)."""


@dataclass
class StoredFeed:
    """One feed as it was last written."""

    adapter: str
    posts: list[Post] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    skipped: int = 0  # rows that no longer validate (the model changed since they were written)


@dataclass
class FeedWrite:
    """What changed for one feed since the last flush (computed by the store's writer, persistence.py)."""

    feed_id: str
    adapter: str
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    purge: bool = False  # drop every row of this feed first (its adapter changed)
    upsert_posts: list[Post] = field(default_factory=list)
    delete_posts: list[str] = field(default_factory=list)
    upsert_metrics: list[Metric] = field(default_factory=list)
    delete_metrics: list[str] = field(default_factory=list)
    # the figures' counters: changed buckets (tier, bucket, JSON), each tier's first bucket still kept
    # (older ones are deleted), and when counting began
    upsert_buckets: list[tuple[int, int, str]] = field(default_factory=list)
    keep_from: dict[int, int] = field(default_factory=dict)
    counted_since: datetime | None = None


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _time(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


class StoreDB:
    """A wall's SQLite store. Not for the render thread. Safe to share between threads: every call
    holds one lock (the Store uses it from its writer thread only, after loading at start)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str | Path) -> StoreDB | None:
        """Open (or create) the store at path. A bad file is moved aside and a new one started;
        None when no file can be used at all (persistence off, said in one log line)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("store: cannot create %s (%s); the wall runs without keeping its data", path.parent, exc)
            return None
        try:
            return cls._open(path)
        except UnreadableStore as exc:
            reason = str(exc)
        except (sqlite3.Error, OSError) as exc:
            if _disk_full(path, exc):
                log.warning(
                    "store: the disk holding %s is full; the wall runs without keeping its data "
                    "(free some space and restart it to keep it again)",
                    path,
                )
                return None
            if getattr(exc, "sqlite_errorcode", None) in _BUSY_CODES:
                log.warning(
                    "store: %s is locked by another process (another wall running this config?); "
                    "this wall runs without keeping its data",
                    path,
                )
                return None
            reason = f"{type(exc).__name__}: {exc}"
        aside = _move_aside(path)
        if aside is None:
            log.warning(
                "store: %s is unreadable (%s) and cannot be moved aside; the wall runs without keeping its data",
                path,
                reason,
            )
            return None
        log.warning("store: %s is unreadable (%s); moved it to %s and starting empty", path, reason, aside.name)
        try:
            return cls._open(path)
        except (sqlite3.Error, UnreadableStore) as exc:
            log.warning("store: cannot create %s (%s); the wall runs without keeping its data", path, exc)
            return None

    @classmethod
    def _open(cls, path: Path) -> StoreDB:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # NOTADB surfaces here
            if version > SCHEMA_VERSION:
                raise UnreadableStore(f"written by a newer wall (schema {version}, this one reads {SCHEMA_VERSION})")
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise UnreadableStore(f"integrity check failed: {check}")
            if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise UnreadableStore("an SQLite file with tables of its own, not a wall store")
            # the tables this program reads are all there, with their columns
            for table, columns in _COLUMNS.items() if version == SCHEMA_VERSION else ():
                conn.execute(f"SELECT {', '.join(columns)} FROM {table} LIMIT 0")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.info("store: %s stays in journal mode %s (WAL unavailable here)", path, mode)
            # NORMAL in WAL mode: an application crash loses nothing; a power cut loses at most the
            # last flush, which the next poll brings back.
            conn.execute("PRAGMA synchronous=NORMAL")
            if version < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                _create(conn)  # not executescript: it would commit the BEGIN above
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return cls(path, conn)

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            except sqlite3.Error:  # pragma: no cover - closing never matters enough to fail
                pass

    # ---------------------------------------------------------------- reading (at start)

    def load(self, feeds: Mapping[str, str]) -> dict[str, StoredFeed]:
        """The stored data of the feeds given (feed id -> adapter). A feed whose adapter changed since
        it was stored comes back empty, with the adapter it had (the caller purges it): another
        source's posts, or its cursors, under the same feed id would mislead."""
        out: dict[str, StoredFeed] = {}
        with self._lock:
            rows = self._conn.execute(
                "SELECT feed_id, adapter, last_success, last_error, last_error_at FROM feeds"
            ).fetchall()
            for feed_id, adapter, ok_at, error, error_at in rows:
                if feed_id not in feeds:
                    continue  # not in this config: left as it is (the feed may come back)
                if feeds[feed_id] != adapter:
                    out[feed_id] = StoredFeed(adapter)
                    continue
                out[feed_id] = StoredFeed(adapter, [], {}, _time(ok_at), error, _time(error_at))
            posts = self._conn.execute("SELECT feed_id, json FROM posts ORDER BY feed_id, published_at DESC")
            for feed_id, body in posts:
                sf = out.get(feed_id)
                if sf is None or sf.adapter != feeds[feed_id]:
                    continue
                try:
                    sf.posts.append(Post.model_validate_json(body))
                except (ValidationError, ValueError):
                    sf.skipped += 1
            for feed_id, name, body in self._conn.execute("SELECT feed_id, name, json FROM metrics"):
                sf = out.get(feed_id)
                if sf is None or sf.adapter != feeds[feed_id]:
                    continue
                try:
                    sf.metrics[name] = Metric.model_validate_json(body)
                except (ValidationError, ValueError):
                    sf.skipped += 1
        for feed_id, sf in out.items():
            if sf.skipped:
                log.warning(
                    "store: %d stored item(s) of feed '%s' no longer read as posts/metrics; dropped",
                    sf.skipped,
                    feed_id,
                )
        return out

    def load_windows(self, feeds: Mapping[str, str]) -> dict[str, tuple[datetime | None, list[tuple[int, int, str]]]]:
        """The figures' counters of the feeds given (feed id -> adapter, as `load`): feed ->
        (counting began, [(tier, bucket, JSON)])."""
        out: dict[str, tuple[datetime | None, list[tuple[int, int, str]]]] = {}
        with self._lock:
            adapters = dict(self._conn.execute("SELECT feed_id, adapter FROM feeds").fetchall())
            kept = {fid for fid, adapter in adapters.items() if feeds.get(fid) == adapter}
            for feed_id, tier, bucket, body in self._conn.execute(
                "SELECT feed_id, tier, bucket, body FROM windows ORDER BY feed_id, tier, bucket"
            ):
                if feed_id not in kept:
                    continue
                since, rows = out.setdefault(feed_id, (None, []))
                if tier == SINCE_TIER:
                    out[feed_id] = (_time(body), rows)
                else:
                    rows.append((tier, bucket, body))
        return out

    def load_cursors(self) -> dict[tuple[str, str], str]:
        with self._lock:
            return {(f, k): v for f, k, v in self._conn.execute("SELECT feed_id, key, value FROM cursors")}

    def load_cursor(self, feed_id: str, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM cursors WHERE feed_id=? AND key=?", (feed_id, key)).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- writing (the Store's writer thread)

    def save_cursor(self, feed_id: str, key: str, value: str | None) -> None:
        self.write([], {(feed_id, key): value})

    def write(self, feeds: Iterable[FeedWrite], cursors: Mapping[tuple[str, str], str | None] | None = None) -> None:
        """Apply one flush in one transaction: all of it lands, or none of it (a cursor never gets
        ahead of the posts it was saved with)."""
        purges, feed_rows, post_rows, post_dels, metric_rows, metric_dels = [], [], [], [], [], []
        bucket_rows, bucket_dels = [], []
        for fw in feeds:
            if fw.purge:
                purges.append((fw.feed_id,))
            feed_rows.append((fw.feed_id, fw.adapter, _iso(fw.last_success), fw.last_error, _iso(fw.last_error_at)))
            post_rows += [(fw.feed_id, p.key, p.published_at.isoformat(), p.model_dump_json()) for p in fw.upsert_posts]
            post_dels += [(fw.feed_id, k) for k in fw.delete_posts]
            metric_rows += [(fw.feed_id, m.name, m.model_dump_json()) for m in fw.upsert_metrics]
            metric_dels += [(fw.feed_id, n) for n in fw.delete_metrics]
            bucket_rows += [(fw.feed_id, tier, b, body) for tier, b, body in fw.upsert_buckets]
            bucket_dels += [(fw.feed_id, tier, first) for tier, first in fw.keep_from.items()]
            if fw.counted_since is not None:
                bucket_rows.append((fw.feed_id, SINCE_TIER, 0, fw.counted_since.isoformat()))
        cursor_rows = [(f, k, v) for (f, k), v in (cursors or {}).items() if v is not None]
        cursor_dels = [(f, k) for (f, k), v in (cursors or {}).items() if v is None]
        with self._lock:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                for table in ("posts", "metrics", "cursors", "windows"):
                    c.executemany(f"DELETE FROM {table} WHERE feed_id=?", purges)
                c.executemany(
                    "INSERT INTO feeds VALUES (?, ?, ?, ?, ?) ON CONFLICT(feed_id) DO UPDATE SET "
                    "adapter=excluded.adapter, last_success=excluded.last_success, "
                    "last_error=excluded.last_error, last_error_at=excluded.last_error_at",
                    feed_rows,
                )
                c.executemany("DELETE FROM posts WHERE feed_id=? AND key=?", post_dels)
                c.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?)", post_rows)
                c.executemany("DELETE FROM metrics WHERE feed_id=? AND name=?", metric_dels)
                c.executemany("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?)", metric_rows)
                c.executemany("DELETE FROM cursors WHERE feed_id=? AND key=?", cursor_dels)
                c.executemany("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", cursor_rows)
                c.executemany("DELETE FROM windows WHERE feed_id=? AND tier=? AND bucket<?", bucket_dels)
                c.executemany("INSERT OR REPLACE INTO windows VALUES (?, ?, ?, ?)", bucket_rows)
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise


def _create(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _disk_full(path: Path, exc: BaseException) -> bool:
    """Whether an error opening the store is a full disk (never a reason to call the file corrupt)."""
    if getattr(exc, "sqlite_errorcode", None) == 13 or getattr(exc, "errno", None) == errno.ENOSPC:  # SQLITE_FULL
        return True
    if "disk is full" in str(exc).lower() or "no space left" in str(exc).lower():
        return True
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


def _move_aside(path: Path) -> Path | None:
    """Rename path (and its -wal / -shm companions) to <name>.corrupt-<UTC time>; None if impossible."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        if path.exists():
            path.rename(aside)
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            if companion.exists():
                companion.rename(aside.with_name(aside.name + suffix))
    except OSError:
        return None
    return aside
