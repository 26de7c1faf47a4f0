"""`topics`: ranking from a breakdown metric or from the posts' hashtags, list and word cloud."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.demo import TOPICS
from feeds.model import Author, Metric, Post
from wall.paint.text import record_text_sizes
from wall.painters import topics as topics_painter
from wall.widgets import topics


def breakdown(values: dict, name: str = "Trending topics") -> dict:
    return {"topics": Metric(name=name, unit="posts", window="24h", breakdown=values, computed_at=T0)}


def post(i: int, tags: tuple[str, ...], kind: str = "post") -> Post:
    return Post(
        key=f"t:{i}",
        source="t",
        published_at=T0 - timedelta(minutes=i),
        text=f"post {i}",
        author=Author(id=f"a{i}", name=f"Author {i}"),
        hashtags=tags,
        kind=kind,
    )


# ------------------------------------------------------------------------------- goldens


def test_list_golden():
    _, px = render("topics", 960, 540, data=demo_snapshot(), style="list")
    assert_golden("topics_list", px)


def test_cloud_golden():
    _, px = render("topics", 960, 540, data=demo_snapshot(), style="cloud")
    assert_golden("topics_cloud", px)


# ------------------------------------------------------------------------------- the view


def test_demo_ranking_follows_the_counts():
    view = build("topics", make_ctx(960, 540, data=demo_snapshot()))
    assert [i.label for i in view.items] == TOPICS[:8]  # as many rows as fit 540 px legibly
    assert [i.rank for i in view.items] == list(range(1, 9))
    counts = [i.count for i in view.items]
    assert counts == sorted(counts, reverse=True)
    assert view.items[0].share == 1.0 and all(0 < i.share <= 1 for i in view.items)
    assert view.title == "Trending topics" and view.subtitle == "24h · posts"
    assert view.status.ok and not view.empty


def test_counts_are_formatted_for_people():
    view = build(
        "topics",
        make_ctx(
            960,
            540,
            data=snapshot_with(
                metrics=breakdown(
                    {"#a": 48_213, "#b": 1_300_000, "#c": 412, "#d": 999_999, "#e": 1000, "#f": 999.6, "#g": 123_456}
                )
            ),
        ),
    )
    assert {i.label: i.count_text for i in view.items} == {
        "#b": "1.3 M",
        "#d": "1 M",
        "#g": "123 k",
        "#a": "48.2 k",
        "#e": "1,000",
        "#f": "1,000",
        "#c": "412",
    }


def test_ties_rank_alphabetically_so_the_order_never_flickers():
    view = build("topics", make_ctx(960, 540, data=snapshot_with(metrics=breakdown({"#b": 5, "#a": 5, "#c": 9}))))
    assert [i.label for i in view.items] == ["#c", "#a", "#b"]


def test_a_short_zone_shows_fewer_rows_and_limit_caps_them():
    data = demo_snapshot()
    assert len(build("topics", make_ctx(960, 200, data=data)).items) == 3
    assert len(build("topics", make_ctx(960, 1080, data=data), limit=4).items) == 4
    assert len(build("topics", make_ctx(960, 1080, data=data), style="cloud").items) == len(TOPICS)


def test_hashtags_from_posts_merge_case_and_count_each_post_once():
    posts = [
        post(1, ("#Fibre", "#fibre")),
        post(2, ("#fibre",)),
        post(3, ("#fibre", "#5G")),
        post(4, ("#5g",)),
        post(5, ("#FIBRE",)),
        post(6, (), kind="article"),
    ]
    view = build("topics", make_ctx(960, 540, data=snapshot_with(posts=posts)), metric="posts")
    assert [(i.label, i.count) for i in view.items] == [("#fibre", 4), ("#5G", 2)]
    assert view.subtitle == "5 posts" and view.title == "Trending hashtags"


def test_hashtags_from_demo_posts():
    data = demo_snapshot()
    expected = Counter(t.casefold() for p in data.posts for t in set(p.hashtags))
    view = build("topics", make_ctx(960, 540, data=data), metric="posts", style="cloud")
    assert {i.label.casefold(): i.count for i in view.items} == dict(expected)
    assert view.items[0].count == max(expected.values())


def test_options_are_validated():
    with pytest.raises(ValidationError):
        options("topics", style="bubbles")
    with pytest.raises(ValidationError):
        options("topics", limit=0)
    with pytest.raises(ValidationError):
        options("topics", colour="#ffffff")


# ------------------------------------------------------------------------------- bad data


def test_nan_inf_negative_and_huge_labels_stay_bounded():
    long = "#" + "x" * 10_000
    data = snapshot_with(
        metrics=breakdown({"#ok": 10, "#nan": math.nan, "#inf": math.inf, "#neg": -5, long: 3, "\u202e#evil\u202c": 2})
    )
    view, px = render("topics", 960, 540, data=data)
    labels = [i.label for i in view.items]
    assert labels[0] == "#ok"
    assert "#nan" not in labels and "#inf" not in labels and view.skipped == ("#inf", "#nan")
    assert [i.count for i in view.items if i.label == "#neg"] == [0]
    assert "#evil" in labels  # bidi override characters are stripped, the tag stays
    assert all(len(i.label) <= 120 for i in view.items)
    assert px.shape == (540, 960, 4)
    _, cloud = render("topics", 960, 540, data=data, style="cloud")
    assert cloud.shape == (540, 960, 4)


def test_all_zero_counts_still_rank_and_paint():
    view, px = render("topics", 960, 540, data=snapshot_with(metrics=breakdown({"#a": 0, "#b": 0})))
    assert [i.share for i in view.items] == [0.0, 0.0] and px.shape == (540, 960, 4)


@pytest.mark.parametrize(
    "data",
    [
        snapshot_with(metrics={}),
        snapshot_with(metrics=breakdown({})),
        snapshot_with(posts=[post(1, ())]),
    ],
)
def test_nothing_to_rank_shows_the_placeholder(data):
    metric = "posts" if data.posts else "topics"
    view, px = render("topics", 960, 540, data=data, metric=metric)
    assert view.empty and view.items == () and view.status.note
    assert px.shape == (540, 960, 4)


def test_no_feed_loading_and_failing_without_data_show_placeholders():
    for data, state in (
        (None, "unbound"),
        (snapshot_with(state="loading", as_of=None), "loading"),
        (snapshot_with(state="failing", as_of=None, error="HTTP 500"), "failing"),
    ):
        view, px = render("topics", 640, 360, data=data)
        assert view.empty and view.status.state == state
        assert len(np.unique(px[:, :, :3].reshape(-1, 3), axis=0)) > 10  # words, not a blank zone


def test_stale_data_is_shown_with_a_badge():
    stale = snapshot_with(metrics=breakdown({"#a": 5, "#b": 3}), state="stale", as_of=T0 - timedelta(minutes=12))
    view, px = render("topics", 960, 540, data=stale)
    fresh_view, fresh = render("topics", 960, 540, data=snapshot_with(metrics=breakdown({"#a": 5, "#b": 3})))
    assert view.status.state == "stale" and "12 min ago" in view.status.note
    assert view.items == fresh_view.items
    # the badge sits in the top-right corner; the rows are the same
    assert np.abs(px[:60, 600:].astype(int) - fresh[:60, 600:]).max() > 100
    assert np.array_equal(px[200:, :], fresh[200:, :])


# ------------------------------------------------------------------------------- the cloud layout


def _overlaps(words) -> bool:
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h:
                return True
    return False


def test_cloud_layout_is_deterministic_bounded_and_without_overlaps():
    view = build("topics", make_ctx(960, 540, data=demo_snapshot()), style="cloud")
    a = topics_painter.layout_cloud(view, 860, 400)
    b = topics_painter.layout_cloud(view, 860, 400)
    assert a == b
    assert [w.label for w in a] == [i.label for i in view.items]  # every word is placed
    assert not _overlaps(a)
    assert all(w.x >= 0 and w.y >= 0 and w.x + w.w <= 860 and w.y + w.h <= 400 for w in a)
    sizes = [w.size for w in a]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 2 * sizes[-1]


def test_a_crowded_cloud_shrinks_to_fit_every_word():
    many = {f"#topic{i:02d}": 1000 - i * 15 for i in range(60)}
    view = build("topics", make_ctx(480, 270, data=snapshot_with(metrics=breakdown(many))), style="cloud", limit=60)
    placed = topics_painter.layout_cloud(view, 430, 190)
    assert len(placed) == 60 and not _overlaps(placed)
    assert all(w.x + w.w <= 430 and w.y + w.h <= 190 for w in placed)


def test_tiny_zones_paint_without_error():
    for style in ("list", "cloud"):
        _, px = render("topics", 60, 40, data=demo_snapshot(), style=style)
        assert px.shape == (40, 60, 4)


# ------------------------------------------------------------------------------- the room's legible size


def far(w: int, h: int, data=None):
    """A zone read from 4 m on 0.63 mm pixels: BuildContext.min_text_px 41.3 (42 in whole px)."""
    return dataclasses.replace(make_ctx(w, h, data=demo_snapshot() if data is None else data), min_text_px=41.3)


@pytest.mark.parametrize("style", ["list", "cloud"])
@pytest.mark.parametrize("w, h", [(960, 539), (1920, 676), (640, 360), (1920, 1080)])
def test_no_text_below_the_rooms_floor(style, w, h):
    view = build("topics", far(w, h), style=style)
    assert view.text_floor == 42  # whole pixels, rounded up
    with record_text_sizes() as sizes:
        paint("topics", view, w, h)
    assert sizes and min(size for size, _ in sizes) >= 42, sorted(sizes)[:3]


def test_the_list_shows_fewer_rows_at_the_floor():
    near = build("topics", make_ctx(960, 540, data=demo_snapshot()))
    view = build("topics", far(960, 540))
    assert len(near.items) == 8 and len(view.items) == 4
    assert [i.label for i in view.items] == TOPICS[:4]  # the leaders, not a sample
    assert len(build("topics", far(960, 1080)).items) > len(view.items)  # a taller zone shows more
    with record_text_sizes() as sizes:
        paint("topics", view, 960, 540)
    painted = {text for _, text in sizes}
    assert set(TOPICS[:4]) <= painted and "24h · posts" in painted


def test_the_cloud_leaves_words_out_rather_than_go_below_the_floor():
    many = {f"#topic{i:02d}": 1000 - i * 15 for i in range(60)}
    view = build("topics", far(480, 270, snapshot_with(metrics=breakdown(many))), style="cloud", limit=60)
    placed = topics_painter.layout_cloud(view, 430, 190)
    labels = [w.label for w in placed]
    assert 0 < len(placed) < 60 and labels[0] == "#topic00"
    ranked = [i.label for i in view.items]
    assert labels == [label for label in ranked if label in labels]  # in rank order: the leaders first
    assert min(w.size for w in placed) >= 42 and not _overlaps(placed)
    assert all(w.x >= 0 and w.y >= 0 and w.x + w.w <= 430 and w.y + w.h <= 190 for w in placed)


def test_the_cloud_at_the_floor_keeps_its_ranking_and_drops_an_unfittable_word():
    data = snapshot_with(metrics=breakdown({"#big": 900, "#mid": 400, "#" + "x" * 119: 300, "#small": 10}))
    view = build("topics", far(960, 540, data), style="cloud")
    placed = topics_painter.layout_cloud(view, 860, 400)
    assert [w.label for w in placed] == ["#big", "#mid", "#small"]  # 120 characters never fit at 42 px
    sizes = [w.size for w in placed]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 42 and sizes[0] >= 2 * 42


# ------------------------------------------------------------------------------- topics that mean something


def test_hashtags_from_posts_fold_accents_and_leave_numbers_out():
    posts = [
        post(1, ("#Réseau", "#22")),
        post(2, ("#reseau", "#2024")),
        post(3, ("#réseau", "#panne")),
        post(4, ("#RESEAU", "#a")),
        post(5, ("#Réseau",)),
    ]
    view = build("topics", make_ctx(960, 540, data=snapshot_with(posts=posts)), metric="posts")
    # one topic, shown in its most used spelling; '#22', '#2024' and '#a' are no topics
    assert [(i.label, i.count) for i in view.items] == [("#Réseau", 5), ("#panne", 1)]


def test_the_widget_counts_hashtags_as_the_store_does():
    from wall.store.topics import hashtag_topic

    tags = [
        "#Fibre",
        "#RÉSEAU",
        "5G",
        "#22",
        "#2024_03",
        "#a",
        "#🔥",
        "#خدمة",
        "#网络",
        "#ﬁbre",
        "#" + "x" * 41,
        "#Ünïcödé",
    ]
    for tag in tags:
        mine = topics._hashtag(tag)
        store = hashtag_topic(tag)
        assert (mine is None) == (store is None), tag
        assert mine is None or mine[0] == store[0], tag


def _open_wall_snapshot():
    """What an open (monitoring) wall's topics zone receives once the operator blocked 'panne':
    posts with the word stay (a care room answers them), the word leaves every topic figure."""
    from types import SimpleNamespace

    from wall.moderation import Moderator

    metrics = {
        **breakdown({"#Panne": 90, "#fibre": 50, "#merci": 20}),
        "terms": Metric(name="Frequent terms", unit="posts", breakdown={"panne": 70, "réseau": 40}, computed_at=T0),
        "topics@7d": Metric(name="Trending topics", unit="posts", breakdown={"#PANNÉ": 9, "#5G": 8}, computed_at=T0),
    }
    data = snapshot_with(
        posts=[post(1, ("#panne", "#fibre")), post(2, ("#Panne",)), post(3, ("#merci",))], metrics=metrics
    )
    shown = Moderator(terms=["panne"]).filter(data, SimpleNamespace(name="monitoring", moderation="open"))
    assert len(shown.posts) == len(data.posts)
    return shown


@pytest.mark.parametrize("style", ["list", "cloud"])
def test_a_blocked_term_never_shows_in_topics_even_on_an_open_wall(style):
    shown = _open_wall_snapshot()
    view, px = render("topics", 960, 540, data=shown, style=style)
    assert [i.label for i in view.items] == ["#fibre", "#merci"]
    # the picture is the one of a feed that never had the word: nothing of it is drawn
    clean = snapshot_with(metrics=breakdown({"#fibre": 50, "#merci": 20}))
    assert np.array_equal(px, render("topics", 960, 540, data=clean, style=style)[1])
    terms = build("topics", make_ctx(960, 540, data=shown), metric="terms", style=style)
    assert [i.label for i in terms.items] == ["réseau"] and terms.title == "Frequent terms"
    week = build("topics", make_ctx(960, 540, data=shown), metric="topics@7d", style=style)
    assert [i.label for i in week.items] == ["#5G"]
    from_posts = build("topics", make_ctx(960, 540, data=shown), metric="posts", style=style)
    assert [(i.label, i.count) for i in from_posts.items] == [("#fibre", 1), ("#merci", 1)]
