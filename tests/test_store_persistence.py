"""The store on disk: the last good data of every feed survives a restart, so the wall opens on it at
once, offline too ('stale' until a poll answers); a bad file never stops the wall; the render thread
never touches the file."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import wall.store.db as store_db
from feeds import registry
from feeds.model import Author, LeaderboardEntry, Media, Metric, Post, PostMetrics, Sentiment
from wall.config.loader import load_config
from wall.figure_windows import EVERY_POST
from wall.store import SCHEMA_VERSION, Store, StoreDB, default_store_path

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
FEEDS = {"social": ("mastodon", 60.0), "care": ("zendesk", 120.0), "demo": ("demo", 60.0)}
SLOW = 3600.0  # coalesce_s that never elapses in a test: the writer writes when flushed or closed


def post(n: int, *, likes: int = 0, text: str | None = None, minutes_ago: float | None = None) -> Post:
    return Post(
        key=f"mastodon:{n}",
        source="mastodon",
        network="mastodon",
        published_at=T0 - timedelta(minutes=n if minutes_ago is None else minutes_ago),
        text=text if text is not None else f"post {n}",
        author=Author(id=f"a{n}", handle=f"@a{n}", name=f"Author {n}", followers=100 * n),
        metrics=PostMetrics(likes=likes),
    )


def rich_post() -> Post:
    return Post(
        key="mastodon:rich",
        source="mastodon",
        network="mastodon",
        url="https://example.social/@x/1",
        published_at=T0 - timedelta(seconds=30),
        text="Merci 👍🏽 — שלום\nline two",
        lang="fr",
        author=Author(id="x", handle="@x", name="Zoë", verified=True, followers=12_000),
        media=(Media(url="https://example.social/m.jpg", alt="a cat", width=640, height=480),),
        metrics=PostMetrics(likes=5, reposts=2, views=900),
        reach=12_345,
        engagement=7.5,
        sentiment=Sentiment(score=0.6, label="positive"),
        country="FR",
        hashtags=("launch",),
        kind="reply",
        raw={"vendor": "shape"},
    )


def followers(value: float, previous: float | None = None) -> Metric:
    return Metric(
        name="kpi.followers",
        value=value,
        previous=previous,
        window="30d",
        computed_at=T0,
        series=((T0 - timedelta(days=1), value - 10.0), (T0, value)),
    )


def care_metrics() -> dict[str, Metric]:
    return {
        "care.frt": Metric(
            name="care.frt",
            unit="min",
            value=12.0,
            target=15,
            warn=20,
            breach=30,
            higher_is_better=False,
            computed_at=T0,
            provenance="zendesk",
        ),
        "sentiment": Metric(
            name="sentiment", breakdown={"positive": 0.5, "neutral": 0.3, "negative": 0.2}, computed_at=T0
        ),
        "influencers": Metric(
            name="influencers",
            computed_at=T0,
            leaderboard=(LeaderboardEntry(author=Author(id="a1", handle="@a1"), mentions=3, reach=100),),
        ),
    }


def open_store(path: Path, **kw) -> Store:
    kw.setdefault("coalesce_s", SLOW)
    return Store.open(path, FEEDS, **kw)


def raw_rows(path: Path, sql: str) -> list[tuple]:
    c = sqlite3.connect(path)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


# ---------------------------------------------------------------- round trip


def test_restart_restores_posts_metrics_and_cursors_as_stale_with_the_stored_last_success(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    s.put(
        "social",
        [post(1, likes=2), post(2), rich_post()],
        {"kpi.followers": followers(1_284_500, 1_200_000)},
        T0,
        cursors={"since_id": "110"},
    )
    s.put("social", [post(1, likes=30), post(3)], {}, T0 + timedelta(minutes=1))  # re-delivered with more likes
    s.put("care", [], care_metrics(), T0 + timedelta(minutes=1))
    s.save_cursor("care", "etag", 'W/"5f-abc"')
    before = {fid: s.snapshot(fid, T0 + timedelta(minutes=1)) for fid in ("social", "care")}
    s.close()

    s2 = open_store(path)
    try:
        t = T0 + timedelta(minutes=1, seconds=20)  # a quick restart: still 'stale' until a poll answers
        for fid in ("social", "care"):
            snap = s2.snapshot(fid, t)
            assert [p.model_dump() for p in snap.posts] == [p.model_dump() for p in before[fid].posts]
            assert dict(snap.metrics) == dict(before[fid].metrics)
            assert snap.health.state == "stale"
            assert snap.as_of == snap.health.last_success == T0 + timedelta(minutes=1)
        social = s2.snapshot("social", t)
        assert [p.key for p in social.posts] == ["mastodon:rich", "mastodon:1", "mastodon:2", "mastodon:3"]
        assert social.posts[1].metrics.likes == 30
        rich = social.posts[0]
        assert rich.text == "Merci 👍🏽 — שלום\nline two" and rich.media[0].alt == "a cat"
        assert rich.raw is None  # vendor payloads are not kept
        assert s2.load_cursor("social", "since_id") == "110"
        assert s2.load_cursor("care", "etag") == 'W/"5f-abc"'

        # the first poll after the restart merges into the restored buffer and clears 'stale'
        s2.put("social", [post(1, likes=31), post(0)], {}, t)
        snap = s2.snapshot("social", t)
        assert snap.health.state == "ok"
        assert [p.key for p in snap.posts] == ["mastodon:0", "mastodon:rich", "mastodon:1", "mastodon:2", "mastodon:3"]
        assert s2.snapshot("care", t).health.state == "stale"  # not polled yet
    finally:
        s2.close()


def test_a_feed_that_was_failing_restarts_stale_and_keeps_its_last_error(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    s.put("social", [post(1)], {}, T0)
    s.fail("social", "HTTP 503 from example.social", T0 + timedelta(minutes=5))
    assert s.snapshot("social", T0 + timedelta(minutes=5)).health.state == "failing"
    s.close()

    s2 = open_store(path)
    try:
        h = s2.snapshot("social", T0 + timedelta(minutes=6)).health
        assert (h.state, h.last_success, h.last_error) == ("stale", T0, "HTTP 503 from example.social")
        s2.fail("social", "timeout", T0 + timedelta(minutes=7))
        assert s2.snapshot("social", T0 + timedelta(minutes=7)).health.state == "failing"
        assert s2.snapshot("care", T0).health.state == "loading"  # nothing stored for it
    finally:
        s2.close()


def test_a_feed_whose_adapter_changed_is_not_restored_and_demo_is_never_stored(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    s.put("social", [post(1)], {"kpi.followers": followers(5)}, T0, cursors={"since_id": "1"})
    s.put("demo", [post(2)], {}, T0)  # never happens in the wall; even so, nothing of demo is kept
    s.save_cursor("demo", "page", "3")
    s.close()
    assert raw_rows(path, "SELECT DISTINCT feed_id FROM posts") == [("social",)]
    assert raw_rows(path, "SELECT feed_id FROM cursors") == [("social",)]

    rss = {"social": ("rss", 60.0)}  # same id, another source now: its posts and cursors are not this one's
    s2 = Store.open(path, rss, coalesce_s=SLOW)
    assert s2.snapshot("social", T0).posts == () and not s2.snapshot("social", T0).metrics
    assert s2.snapshot("social", T0).health.state == "loading"
    assert s2.load_cursor("social", "since_id") is None
    s2.put("social", [post(7)], {}, T0, cursors={"etag": '"x"'})
    s2.close()
    s3 = Store.open(path, rss, coalesce_s=SLOW)
    try:
        assert [p.key for p in s3.snapshot("social", T0).posts] == ["mastodon:7"]
        assert all(m.provenance.startswith(EVERY_POST) for m in s3.snapshot("social", T0).metrics.values())
        assert (s3.load_cursor("social", "since_id"), s3.load_cursor("social", "etag")) == (None, '"x"')
    finally:
        s3.close()


def test_a_smaller_bound_trims_the_restored_buffer_and_the_file(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    s.put("social", [post(n) for n in range(20)], {}, T0)
    s.close()
    s2 = open_store(path, max_posts=5)
    assert [p.key for p in s2.snapshot("social", T0).posts] == [f"mastodon:{n}" for n in range(5)]
    s2.close()
    assert raw_rows(path, "SELECT count(*) FROM posts") == [(5,)]


# ---------------------------------------------------------------- a restart with the network gone


WALL_YAML = """\
name: Persistence test wall
displays:
  - id: D
    resolution: [1920, 1080]
    active_mm: [1209.6, 680.4]
    bezel_mm: 1
    position_mm: [0, 0]
layout:
  grid: [2, 1]
  zones:
    followers: { cells: A1 }
    posts:     { cells: B1 }
feeds:
  social: { adapter: replay, poll_s: 60 }
  demo:   { adapter: demo }
scenarios:
  monitoring:
    zones:
      followers: { widget: kpi, feed: social, metric: kpi.followers }
      posts:     { widget: top_posts, feed: social, rank_by: recency, pages: 1, transition: none }
"""


@pytest.fixture()
def wall_config(tmp_path, monkeypatch):
    # 'replay' is the source a kiosk replays offline; its adapter may not be registered yet, and the
    # store never needs it: here nothing is polled at all.
    monkeypatch.setitem(registry.ADAPTERS, "replay", "replays a recorded day (test)")
    # ...and is not polled here, so its options are not checked against the adapter's own model
    monkeypatch.setattr(registry, "COMPUTED", registry.COMPUTED | {"replay"})
    path = tmp_path / "wall.yaml"
    path.write_text(WALL_YAML)
    return load_config(path)


def test_a_restart_with_the_network_gone_shows_the_last_persisted_data(tmp_path, wall_config):
    from wall.runtime import WallRuntime

    db = tmp_path / "state" / "wall.sqlite3"
    # yesterday's wall: polls came in, then the process ended
    s = Store.from_config(wall_config.config, path=db, coalesce_s=SLOW)
    s.put(
        "social",
        [post(1, likes=12, text="Launch day: the queue is out the door"), post(2, text="Second post")],
        {"kpi.followers": followers(1_284_500, 1_200_000)},
        T0,
    )
    s.close()

    # the restart: no poller runs (no network); the first frame already shows that data, badged stale
    restarted = Store.from_config(wall_config.config, path=db)
    rt = WallRuntime(wall_config, workers=1, store=restarted)
    try:
        rt.use_scenario("monitoring")
        t = T0 + timedelta(hours=1)
        rt.render_at(t)
        _, kpi = rt.views["followers"]
        assert kpi.number == "1.28 M" and kpi.direction == "up"
        assert kpi.status.state == "stale" and "1 h" in kpi.status.note
        _, top = rt.views["posts"]
        assert [c.text for c in top.posts] == ["Launch day: the queue is out the door", "Second post"]
        assert top.status.state == "stale"
        assert all(rt.engine.compositor.has_content(z) for z in ("followers", "posts"))
        assert not rt.engine.errors
    finally:
        rt.close()  # the runtime owns the store it was given
    assert restarted.flush() is False  # closed: its writer is gone


# ---------------------------------------------------------------- bad files


def _damaged(path: Path) -> None:
    s = open_store(path)
    s.put("social", [post(n, text="x" * 400) for n in range(200)], {}, T0)
    s.close()
    with open(path, "r+b") as f:  # scribble over pages past the header
        f.seek(4096 * 3)
        f.write(b"\xde\xad\xbe\xef" * 2048)


def _newer(path: Path) -> None:
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE feeds (x)")
    c.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    c.close()


def _missing_table(path: Path) -> None:
    open_store(path).close()
    c = sqlite3.connect(path)
    c.execute("DROP TABLE posts")
    c.close()


def _foreign(path: Path) -> None:
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE feeds (url TEXT, title TEXT)")  # someone else's SQLite file at that path
    c.close()


BAD_FILES = {
    "another program's database": _foreign,
    "not a database": lambda p: p.write_bytes(b"this is not sqlite, it is a text file\n" * 200),
    "damaged pages": _damaged,
    "newer schema": _newer,
    "missing table": _missing_table,
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_an_unreadable_file_is_moved_aside_and_the_wall_starts_empty(tmp_path, caplog, kind):
    path = tmp_path / "wall.sqlite3"
    BAD_FILES[kind](path)
    bad = path.read_bytes()
    caplog.set_level(logging.WARNING, logger="wall.store")
    s = open_store(path)
    try:
        assert s.path == path  # a fresh file took its place: the wall still keeps its data
        assert s.snapshot("social", T0).health.state == "loading" and s.snapshot("social", T0).posts == ()
        aside = list(tmp_path.glob("wall.sqlite3.corrupt-*"))
        assert [p for p in aside if not p.name.endswith(("-wal", "-shm"))] and aside[0].read_bytes() == bad
        lines = [r.getMessage() for r in caplog.records if r.name == "wall.store"]
        assert len(lines) == 1 and "moved it to wall.sqlite3.corrupt-" in lines[0] and "starting empty" in lines[0]
        s.put("social", [post(1)], {}, T0)
    finally:
        s.close()
    s2 = open_store(path)
    try:
        assert [p.key for p in s2.snapshot("social", T0).posts] == ["mastodon:1"]
    finally:
        s2.close()


def test_a_file_locked_by_another_wall_is_left_alone(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    s.put("social", [post(1)], {}, T0)
    s.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        caplog.set_level(logging.WARNING, logger="wall.store")
        s2 = open_store(path)
        assert s2.path is None  # in memory: this wall runs, without keeping its data
        s2.put("social", [post(2)], {}, T0)
        assert s2.snapshot("social", T0).posts[0].key == "mastodon:2"
        s2.close()
        assert "locked by another process" in caplog.text
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert raw_rows(path, "SELECT key FROM posts") == [("mastodon:1",)]


def test_a_folder_that_cannot_be_created_means_no_persistence_not_a_crash(tmp_path):
    (tmp_path / "afile").write_text("")
    s = open_store(tmp_path / "afile" / "wall.sqlite3")
    assert s.path is None
    s.put("social", [post(1)], {}, T0)
    assert s.snapshot("social", T0).posts
    s.close()


# ---------------------------------------------------------------- threads and writes


def _trace(store: Store) -> list[tuple[int, str]]:
    """Every SQL statement the store's connection runs from now on, with the thread that ran it."""
    seen: list[tuple[int, str]] = []
    store._db._conn.set_trace_callback(lambda sql: seen.append((threading.get_ident(), sql)))
    return seen


def test_the_render_thread_never_touches_the_file_even_while_it_is_locked(tmp_path, monkeypatch):
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    seen = _trace(s)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another connection holds the write lock
    try:
        for i in range(50):  # polls and frames go on, whatever the disk does
            s.put("social", [post(i)], {"kpi.followers": followers(1000 + i)}, T0, cursors={"since_id": str(i)})
            s.fail("care", "HTTP 500", T0)
            snap = s.snapshot("social", T0 + timedelta(seconds=i))
            assert snap.posts[0].key == "mastodon:0" and snap.metrics["kpi.followers"].value == 1000 + i
            assert s.load_cursor("social", "since_id") == str(i)
        assert seen == []  # nothing above ran a single statement
        assert s.flush(timeout=30) is False  # the writer tried, met the lock, kept the changes
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert s.flush(timeout=30) is True  # ...and wrote them once the lock went
    s.close()
    main = threading.get_ident()
    assert seen and all(thread != main for thread, _ in seen)
    assert raw_rows(path, "SELECT count(*) FROM posts") == [(50,)]
    assert raw_rows(path, "SELECT value FROM cursors") == [("49",)]


def test_a_burst_of_changes_is_written_in_one_transaction_of_only_the_changed_rows(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path, max_posts=100)
    s.put("social", [post(n, minutes_ago=1000 + n) for n in range(100)], {"kpi.followers": followers(1)}, T0)
    assert s.flush()
    seen = _trace(s)
    for i in range(30):  # a burst: 30 polls, each bringing one new post and re-delivering 4 older ones
        again = [post(n, minutes_ago=1000 + n) for n in range(3)] + [post(3, likes=i, minutes_ago=1003)]
        s.put("social", [post(1000 + i, minutes_ago=i)] + again, {}, T0)
        s.save_cursor("social", "since_id", str(i))
    assert s.flush()
    sql = [q for _, q in seen]
    assert sql.count("BEGIN IMMEDIATE") == 1  # coalesced
    inserts = [q for q in sql if q.startswith("INSERT OR REPLACE INTO posts")]
    deletes = [q for q in sql if q.startswith("DELETE FROM posts")]
    cursors = [q for q in sql if q.startswith("INSERT OR REPLACE INTO cursors")]
    # 30 new posts in, the 30 oldest out, and the one re-delivered post whose likes moved; the
    # unchanged re-deliveries and the 66 untouched posts are not rewritten
    assert (
        len(inserts) == 31
        and len(deletes) == 30
        and cursors == ["INSERT OR REPLACE INTO cursors VALUES ('social', 'since_id', '29')"]
    )
    assert not any(q.startswith("INSERT OR REPLACE INTO metrics") for q in sql)  # metrics did not change
    s.close()
    assert raw_rows(path, "SELECT count(*) FROM posts") == [(100,)]


def test_close_writes_what_is_pending(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)  # the writer would wait an hour for the burst to end
    s.put("social", [post(1)], {}, T0)
    s.close()
    assert raw_rows(path, "SELECT key FROM posts") == [("mastodon:1",)]


def test_a_cursor_saved_with_its_data_lands_in_the_same_transaction(tmp_path):
    path = tmp_path / "wall.sqlite3"
    s = open_store(path)
    seen = _trace(s)
    s.put("social", [post(1)], {}, T0, cursors={"since_id": "1", "etag": '"v1"'})
    s.close()
    sql = [q for _, q in seen]
    begin, commit = sql.index("BEGIN IMMEDIATE"), sql.index("COMMIT")
    assert sql.count("BEGIN IMMEDIATE") == 1
    assert any(q.startswith("INSERT OR REPLACE INTO cursors") for q in sql[begin:commit])
    assert any(q.startswith("INSERT OR REPLACE INTO posts") for q in sql[begin:commit])
    db = StoreDB.open(path)
    assert db.load_cursor("social", "etag") == '"v1"'
    db.close()


def test_the_file_is_in_wal_mode_and_versioned(tmp_path):
    path = tmp_path / "wall.sqlite3"
    open_store(path).close()
    assert raw_rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert raw_rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


# ---------------------------------------------------------------- where the file lives


def test_default_store_path(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_store_path("Social Hub demo") == tmp_path / "wall" / "social-hub-demo.sqlite3"
    assert default_store_path("Über ++ wall!").name == "ber-wall.sqlite3"
    assert default_store_path("???").name == "wall.sqlite3"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store_path("Lobby") == tmp_path / "home" / ".local" / "state" / "wall" / "lobby.sqlite3"


def test_from_config_is_in_memory_without_a_path(wall_config, tmp_path):
    s = Store.from_config(wall_config.config)
    assert s.path is None
    s.close()
    s = Store.from_config(wall_config.config, path=tmp_path / "x.sqlite3")
    assert s.path == tmp_path / "x.sqlite3"
    s.close()
