"""The store in memory: per-feed buffers merged by key (sources deliver at least once), newest
first and bounded; metrics replaced by name; health; cursors. Persistence: test_store_persistence.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.model import Author, Metric, Post, PostMetrics
from wall.figure_windows import EVERY_POST
from wall.store import Store, merge_posts

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def post(n: int, *, likes: int = 0, minutes_ago: float | None = None, source: str = "mastodon") -> Post:
    """Post n, published n minutes before T0 unless told otherwise."""
    ago = n if minutes_ago is None else minutes_ago
    return Post(
        key=f"{source}:{n}",
        source=source,
        published_at=T0 - timedelta(minutes=ago),
        text=f"post {n}",
        author=Author(id=f"a{n}", handle=f"@a{n}"),
        metrics=PostMetrics(likes=likes),
    )


def metric(name: str, value: float) -> Metric:
    return Metric(name=name, value=value, computed_at=T0)


def store(**kw) -> Store:
    return Store({"social": ("mastodon", 60.0)}, **kw)


def keys(snap) -> list[str]:
    return [p.key for p in snap.posts]


# ---------------------------------------------------------------- posts: merge, dedup, order, bound


def test_repeated_deliveries_merge_by_key_and_the_latest_copy_wins():
    s = store()
    s.put("social", [post(1, likes=3), post(2)], {}, T0)
    s.put("social", [post(1, likes=40), post(3)], {}, T0 + timedelta(minutes=1))  # at least once: 1 again
    snap = s.snapshot("social", T0 + timedelta(minutes=1))
    assert keys(snap) == ["mastodon:1", "mastodon:2", "mastodon:3"]  # newest first, each once
    assert snap.posts[0].metrics.likes == 40  # the re-delivered copy replaced the older one


def test_overlapping_pages_and_duplicates_within_a_page_keep_one_post_per_key():
    s = store()
    page1 = [post(n) for n in range(0, 20)]
    page2 = [post(n) for n in range(15, 35)] + [post(30, likes=9)]  # overlaps page 1; 30 twice in one page
    s.put("social", page1, {}, T0)
    s.put("social", page2, {}, T0)
    snap = s.snapshot("social", T0)
    assert keys(snap) == [f"mastodon:{n}" for n in range(35)]
    assert snap.posts[30].metrics.likes == 9  # within a page, the later item wins too


def test_posts_are_kept_newest_first_whatever_order_they_arrive_in():
    s = store()
    s.put("social", [post(5), post(1), post(9)], {}, T0)
    s.put("social", [post(3), post(0)], {}, T0)
    assert keys(s.snapshot("social", T0)) == [f"mastodon:{n}" for n in (0, 1, 3, 5, 9)]


def test_the_buffer_keeps_the_newest_posts_up_to_its_bound():
    s = store(max_posts=10)
    for batch in range(5):  # 50 posts in 5 polls, newest last
        s.put(
            "social",
            [post(n, minutes_ago=1000 - 10 * batch - i) for i, n in enumerate(range(batch * 10, batch * 10 + 10))],
            {},
            T0,
        )
    snap = s.snapshot("social", T0)
    assert len(snap.posts) == 10
    assert keys(snap) == [f"mastodon:{n}" for n in range(49, 39, -1)]
    # an old post delivered late does not push a newer one out
    s.put("social", [post(999, minutes_ago=5000)], {}, T0)
    assert "mastodon:999" not in keys(s.snapshot("social", T0))


def test_the_default_bound_is_500_per_feed():
    s = Store({"a": ("mastodon", 60.0), "b": ("rss", 60.0)})
    s.put("a", [post(n) for n in range(700)], {}, T0)
    s.put("b", [post(n, source="rss") for n in range(3)], {}, T0)
    assert len(s.snapshot("a", T0).posts) == 500
    assert len(s.snapshot("b", T0).posts) == 3  # bounds are per feed


def test_replace_takes_the_posts_given_as_the_whole_feed():
    s = store()
    s.put("social", [post(1), post(2)], {"a": metric("a", 1)}, T0)
    s.put("social", [post(3)], {"b": metric("b", 2)}, T0, replace=True)
    snap = s.snapshot("social", T0)
    assert keys(snap) == ["mastodon:3"]
    assert {k for k, m in snap.metrics.items() if not m.provenance.startswith(EVERY_POST)} == {"b"}


def test_merge_posts_with_equal_times_is_deterministic():
    a, b = post(1, minutes_ago=0), post(2, minutes_ago=0)
    assert merge_posts([a], [b], 10) == merge_posts([b], [a], 10)
    assert len(merge_posts([a], [b], 1)) == 1


def test_max_posts_must_be_positive():
    with pytest.raises(ValueError):
        Store({}, max_posts=0)


# ---------------------------------------------------------------- metrics


def test_metrics_replace_by_name_and_keep_the_others():
    s = store()
    s.put("social", [], {"care.frt": metric("care.frt", 12), "care.waiting": metric("care.waiting", 4)}, T0)
    s.put("social", [], {"care.frt": metric("care.frt", 9)}, T0 + timedelta(minutes=1))
    m = s.snapshot("social", T0 + timedelta(minutes=1)).metrics
    assert m["care.frt"].value == 9 and m["care.waiting"].value == 4


def test_a_snapshot_does_not_change_when_the_store_does():
    s = store()
    s.put("social", [post(1)], {"x": metric("x", 1)}, T0)
    before = s.snapshot("social", T0)
    s.put("social", [post(2)], {"x": metric("x", 2)}, T0)
    assert keys(before) == ["mastodon:1"] and before.metrics["x"].value == 1
    assert keys(s.snapshot("social", T0)) == ["mastodon:1", "mastodon:2"]


# ---------------------------------------------------------------- health


def test_health_follows_polls_and_failures():
    s = store()
    assert s.snapshot("social", T0).health.state == "loading"
    s.put("social", [post(1)], {}, T0)
    assert s.snapshot("social", T0).health.state == "ok"
    assert s.snapshot("social", T0 + timedelta(minutes=10)).health.state == "stale"
    s.fail("social", "HTTP 500", T0 + timedelta(minutes=1))
    snap = s.snapshot("social", T0 + timedelta(minutes=1))
    assert snap.health.state == "failing" and keys(snap) == ["mastodon:1"]  # last good data stays
    s.fail("social", "HTTP 401", T0 + timedelta(minutes=2), credentials=True)
    assert s.snapshot("social", T0 + timedelta(minutes=2)).health.state == "credentials"
    s.put("social", [], {}, T0 + timedelta(minutes=3))
    snap = s.snapshot("social", T0 + timedelta(minutes=3))
    assert snap.health.state == "ok" and snap.health.last_error is None
    assert keys(snap) == ["mastodon:1"]  # an empty poll keeps the buffer


def test_the_demo_feed_is_computed_from_time_not_from_puts():
    s = Store({"demo": ("demo", 60.0)})
    snap = s.snapshot("demo", T0)
    assert snap.health.state == "ok" and snap.posts


# ---------------------------------------------------------------- cursors


def test_cursors_in_memory():
    s = store()
    assert s.load_cursor("social", "since_id") is None
    s.save_cursor("social", "since_id", "110")
    s.put("social", [post(1)], {}, T0, cursors={"etag": 'W/"abc"', "since_id": "111"})
    assert s.load_cursor("social", "since_id") == "111"
    assert s.load_cursor("social", "etag") == 'W/"abc"'
    s.save_cursor("social", "etag", None)
    assert s.load_cursor("social", "etag") is None
    assert s.path is None and s.flush() is True
    s.close()
    s.close()  # idempotent


def test_figures_are_derived_from_posts_when_the_source_gives_none():
    from feeds.model import Author, Post, Sentiment

    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    store = Store({"m": ("mastodon", 60.0)})
    posts = [
        Post(
            key=f"mastodon:{i}",
            source="mastodon",
            published_at=t0 + timedelta(minutes=i * 10),
            text="x",
            author=Author(id=f"a{i % 3}", name=f"A{i % 3}"),
            hashtags=("#Fibre",) if i % 2 else ("#5G",),
            sentiment=Sentiment(score=0.5 if i % 3 else -0.5, label="positive" if i % 3 else "negative"),
            country="FR" if i < 4 else "SN",
        )
        for i in range(6)
    ]
    now = t0 + timedelta(hours=1)
    store.put("m", posts, {}, now)
    m = store.snapshot("m", now).metrics
    assert m["sentiment"].breakdown == {"positive": 4.0, "neutral": 0.0, "negative": 2.0}
    assert m["topics"].breakdown == {"#fibre": 3, "#5g": 3}
    assert m["countries"].breakdown == {"FR": 4, "SN": 2}
    assert [e.author.name for e in m["influencers"].leaderboard] == ["A0", "A1", "A2"]
    assert sum(v for _, v in m["volume"].series) == 6
    assert m["kpi.posts"].value == 6
    # a figure the source sends itself wins over the derived one
    from feeds.model import Metric

    store.put("m", [], {"sentiment": Metric(name="Tone", breakdown={"positive": 1.0}, computed_at=now)}, now)
    assert store.snapshot("m", now).metrics["sentiment"].breakdown == {"positive": 1.0}


def test_an_aggregate_shows_several_feeds_as_one():
    from feeds.model import Author, Metric, Post, Sentiment

    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    store = Store({"fr": ("mastodon", 60.0), "sn": ("bluesky", 60.0)})
    store.set_aggregate("social", ["fr", "sn"])
    assert store.snapshot("social", t0).health.state == "loading"

    def p(key, minutes, label):
        return Post(
            key=key,
            source="x",
            published_at=t0 + timedelta(minutes=minutes),
            text=key,
            author=Author(id=key, name=key),
            sentiment=Sentiment(score=0.5, label=label),
        )

    store.put("fr", [p("mastodon:1", 1, "positive"), p("both:9", 2, "positive")], {}, t0 + timedelta(minutes=5))
    store.put(
        "sn",
        [p("bluesky:1", 3, "negative"), p("both:9", 2, "positive")],
        {"care.waiting": Metric(name="Waiting", value=3.0, computed_at=t0)},
        t0 + timedelta(minutes=5),
    )
    snap = store.snapshot("social", t0 + timedelta(minutes=6))
    assert [x.key for x in snap.posts] == ["bluesky:1", "both:9", "mastodon:1"]  # merged, deduplicated
    assert snap.metrics["sentiment"].breakdown == {"positive": 2.0, "neutral": 0.0, "negative": 1.0}
    assert snap.metrics["care.waiting"].value == 3.0  # a member's own figure
    assert snap.health.state == "ok"
    store.fail("sn", "server: HTTP 503", t0 + timedelta(minutes=7))
    health = store.snapshot("social", t0 + timedelta(minutes=7)).health
    assert health.state == "failing" and health.last_error == "sn: server: HTTP 503"
    assert len(store.snapshot("social", t0 + timedelta(minutes=7)).posts) == 3  # the last good data stays


def test_unusable_items_make_the_feed_degraded_counted_once_per_snapshot():
    """A snapshot feed (replace=True) re-sends the same bad record every poll: its health names it once;
    an incremental feed's bad items add up; a snapshot without any clears the note."""
    from feeds.adapter import Skipped

    def bad(example: str) -> dict[str, Skipped]:
        s = Skipped()
        s.add(example)
        return {"unusable record": s}

    store = Store({"snap": ("json", 60.0), "inc": ("replay", 60.0)})
    for minute in range(3):
        at = T0 + timedelta(minutes=minute)
        store.put("snap", [post(1)], {}, at, replace=True, skipped=bad("page 2: published_at ('created'): 31/02"))
        store.put("inc", [post(10 + minute)], {}, at, skipped=bad(f"row {minute + 2}: no time"))
    snap, inc = store.snapshot("snap", at).health, store.snapshot("inc", at).health
    assert snap.state == "degraded" and snap.notes == ("1 unusable record (page 2: published_at ('created'): 31/02)",)
    assert inc.state == "degraded" and inc.notes == (
        "3 unusable record (row 2: no time; row 3: no time; row 4: no time)",
    )
    store.put("snap", [post(1)], {}, at, replace=True)  # the source fixed its record
    assert store.snapshot("snap", at).health.state == "ok"
    store.close()
