"""The figures' counters (wall/store/windows.py): every post counted once, in buckets that merge into
any window; bounded whatever the volume, with the bound said where it bites; kept on disk."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from feeds.model import Author, Post, PostMetrics, Sentiment
from wall.store import Store
from wall.store import windows as w
from wall.store.windows import FeedWindows

T = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def post(i: int, at: datetime, *, author: str = "a", tone: str = "positive", tags=("fibre",), country="FR") -> Post:
    return Post(
        key=f"m:{i}",
        source="m",
        network="mastodon",
        published_at=at,
        text=f"post {i}",
        author=Author(id=f"m:{author}", handle=f"@{author}", name=author.title()),
        metrics=PostMetrics(likes=2, reposts=1),
        sentiment=Sentiment(score=0.5 if tone == "positive" else -0.5, label=tone),
        hashtags=tags,
        country=country,
    )


def test_a_re_delivered_post_counts_once():
    counters = FeedWindows()
    page = [post(i, T - timedelta(minutes=i)) for i in range(40)]
    assert counters.add(page, T) == 40
    assert counters.add(page[:20] + [post(99, T)], T) == 1  # overlapping page: only the new post
    assert counters.figures(T)["kpi.posts"].value == 41


def test_windows_count_what_was_published_inside_them():
    counters = FeedWindows()
    posts = [post(i, T - timedelta(minutes=7 * i)) for i in range(1000)]  # every 7 minutes for ~4.9 days
    counters.add(posts, T)
    figures = counters.figures(T)
    for window, length in (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7))):
        step = 900 if length <= timedelta(hours=48) else 3600
        start = datetime.fromtimestamp(((T - length).timestamp() // step) * step, UTC)
        want = sum(1 for p in posts if start <= p.published_at <= T)
        name = w.window_name("kpi.posts", window)
        assert figures[name].value == want, window
    # the week window merges the hours before the last 48 h with the quarters after
    assert figures["kpi.posts@7d"].value == 1000


def test_quarters_roll_into_hours_without_counting_twice():
    counters = FeedWindows()
    posts = [post(i, T - timedelta(minutes=20 * i)) for i in range(100)]  # 33 h
    counters.add(posts, T)
    before = counters.figures(T)["kpi.posts@7d"].value
    later = T + timedelta(hours=30)  # most quarters are now older than 48 h: they join their hours
    counters.add([post(1000, later)], later)
    assert counters.tiers[w.QUARTERS] and counters.tiers[w.HOURS]
    assert counters.figures(later)["kpi.posts@7d"].value == before + 1


def test_a_flood_of_distinct_authors_is_bounded_and_says_by_how_much():
    counters = FeedWindows()
    at = T - timedelta(minutes=5)
    flood = [post(i, at, author=f"p{i}") for i in range(3 * w.QUARTER_KEPT)]
    heavy = [post(10_000 + i, at, author="loud") for i in range(40)]
    counters.add(heavy + flood, T)
    quarter = counters.tiers[w.QUARTERS][int(at.timestamp() // w.QUARTER_S)]
    assert len(quarter.authors) < 2 * w.QUARTER_KEPT  # pruned: memory stays bounded
    board = counters.figures(T)["influencers"]
    assert board.leaderboard[0].author.handle == "@loud" and board.leaderboard[0].mentions == 40
    assert "counts may be low by up to 1" in board.provenance  # the bound, where it bites


def test_topics_and_people_and_tones_over_the_day():
    counters = FeedWindows()
    posts = [post(i, T - timedelta(minutes=i), author="ana" if i % 3 else "bo", tone="negative" if i % 4 == 0 else
                  "positive", tags=("Panne", "fibre") if i % 2 else ("22",)) for i in range(200)]  # fmt: skip
    counters.add(posts, T)
    f = counters.figures(T)
    assert f["sentiment"].breakdown == {"positive": 150.0, "neutral": 0.0, "negative": 50.0}
    assert [e.author.handle for e in f["influencers"].leaderboard] == ["@ana", "@bo"]
    assert [e.mentions for e in f["influencers"].leaderboard] == [133, 67]
    assert set(f["topics"].breakdown.values()) == {100.0}  # '#22' is not a topic
    assert f["countries"].breakdown == {"FR": 200.0}
    assert f["networks"].breakdown == {"mastodon": 200.0}
    assert f["volume"].unit == "posts/15 min" and len(f["volume"].series) == 97


def test_counters_survive_a_restart_in_the_stores_file(tmp_path):
    path = tmp_path / "wall.sqlite3"
    feeds = {"m": ("mastodon", 60.0)}
    store = Store.open(path, feeds)
    store.put("m", [post(i, T - timedelta(minutes=3 * i), author=f"u{i % 7}") for i in range(600)], {}, T)
    store.settle_figures()
    before = store.snapshot("m", T).metrics
    store.close()
    again = Store.open(path, feeds)
    after = again.snapshot("m", T).metrics
    for name in ("kpi.posts", "kpi.posts@7d", "sentiment", "topics", "influencers", "volume"):
        assert after[name] == before[name], name
    assert after["kpi.posts"].value == 481  # 24 h of a post every 3 minutes: more than the 500-post buffer shows
    # a source re-delivering its newest page after the restart does not count it again
    again.put("m", [post(i, T - timedelta(minutes=3 * i), author=f"u{i % 7}") for i in range(40)], {}, T)
    again.settle_figures()
    assert again.snapshot("m", T).metrics["kpi.posts"].value == 481
    again.close()


def test_a_file_from_before_the_counters_counts_its_kept_posts(tmp_path):
    path = tmp_path / "wall.sqlite3"
    store = Store.open(path, {"m": ("mastodon", 60.0)})
    store.put("m", [post(i, T - timedelta(minutes=i)) for i in range(30)], {}, T)
    store.close()
    with sqlite3.connect(path) as conn:  # what a wall of the previous version left
        conn.execute("DROP TABLE windows")
        conn.execute("PRAGMA user_version=1")
    old = Store.open(path, {"m": ("mastodon", 60.0)})
    assert old.snapshot("m", T).metrics["kpi.posts"].value == 30
    old.close()


def test_figures_after_each_poll_match_a_fresh_count_late_posts_included():
    """Merged totals are reused between recomputations (only the filling bucket is merged again):
    a late post landing in an older bucket must still show, and nothing may count twice."""
    counters = FeedWindows()
    counters.add([post(i, T - timedelta(minutes=9 * i), author=f"u{i % 5}") for i in range(300)], T)
    counters.figures(T)  # fills the reuse
    at = T + timedelta(minutes=2)
    late = [post(1000 + i, T - timedelta(hours=3), author="late") for i in range(50)]  # an old bucket
    counters.add([post(999, at, author="u1"), *late], at)
    reused = counters.figures(at)
    fresh = w.figures_of([counters], at)  # no reuse: everything merged anew
    assert {k: m.model_dump() for k, m in reused.items()} == {k: m.model_dump() for k, m in fresh.items()}
    assert reused["influencers"].leaderboard[0].author.handle == "@late"
    assert reused["influencers"].leaderboard[0].previous_rank == 1  # posted 3 h ago: already first an hour ago
    assert reused["kpi.posts@1h"].value == fresh["kpi.posts@1h"].value


def test_leaders_moving_over_the_hour_and_by_engagement():
    counters = FeedWindows()
    early = [post(i, T - timedelta(hours=2, minutes=i), author="ana") for i in range(5)]
    recent = [post(100 + i, T - timedelta(minutes=i), author="bo") for i in range(8)]
    counters.add(early + recent + [post(200, T - timedelta(minutes=3), author="cy")], T)
    f = counters.figures(T)
    board = [(e.author.handle, e.mentions, e.previous_rank) for e in f["influencers"].leaderboard]
    assert board == [("@bo", 8, None), ("@ana", 5, 1), ("@cy", 1, None)]  # bo and cy: not ranked an hour ago
    assert f["influencers"].compared_s == 3600
    assert [e.author.handle for e in f["influencers.engagement"].leaderboard] == ["@bo", "@ana", "@cy"]
    assert f["influencers@1h"].leaderboard[0].author.handle == "@bo"
