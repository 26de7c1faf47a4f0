"""`sentiment`: tone split and share of heart (positive / (positive + negative)), donut and bar."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.model import Author, Metric, Post, Sentiment
from wall.config.base import rgba
from wall.paint.text import record_text_sizes
from wall.scenes.views import to_json
from wall.widgets import sentiment
from wall.widgets.sentiment import rounded_percents, share_of_heart


def tone(breakdown: dict, name: str = "Tone"):
    return snapshot_with(
        metrics={"sentiment": Metric(name=name, unit="posts", breakdown=breakdown, window="24h", computed_at=T0)}
    )


def post(i: int, label: str | None, kind: str = "post") -> Post:
    score = {"positive": 0.8, "neutral": 0.0, "negative": -0.8}.get(label or "", 0.0)
    return Post(
        key=f"t:{i}",
        source="t",
        published_at=T0 - timedelta(minutes=i),
        text=f"post {i}",
        author=Author(id=f"a{i}", name=f"Author {i}"),
        kind=kind,
        sentiment=Sentiment(score=score, label=label) if label else None,
    )


def near(pixels: np.ndarray, hex_color: str, tol: int = 8) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


# ------------------------------------------------------------------------------- goldens


def test_donut_golden():
    view, px = render("sentiment", 960, 540, data=demo_snapshot())
    assert view.style == "donut"
    assert_golden("sentiment_donut", px)


def test_bar_golden():
    view, px = render("sentiment", 800, 450, data=demo_snapshot(), style="bar")
    assert view.style == "bar"
    assert_golden("sentiment_bar", px)


# ------------------------------------------------------------------------------- arithmetic


def test_share_of_heart_arithmetic():
    assert share_of_heart(3, 1) == 0.75
    assert share_of_heart(0, 5) == 0.0
    assert share_of_heart(0, 0) is None  # nobody took a side: undefined, not 0 and not 100
    assert share_of_heart(10, 0) == 1.0


def test_share_of_heart_ignores_neutral_mentions():
    a = build("sentiment", make_ctx(640, 360, data=tone({"positive": 60, "neutral": 0, "negative": 40})))
    b = build("sentiment", make_ctx(640, 360, data=tone({"positive": 60, "neutral": 900, "negative": 40})))
    assert a.share_of_heart == b.share_of_heart == 0.6 and a.share_text == b.share_text == "60 %"


@pytest.mark.parametrize(
    "counts, percents",
    [
        ([1, 1, 1], [34, 33, 33]),
        ([3220, 2352, 1759], [44, 32, 24]),
        ([1, 0, 0], [100, 0, 0]),
        ([0, 0, 0], [0, 0, 0]),
        ([199, 1, 800], [20, 0, 80]),
        ([2, 2, 2], [34, 33, 33]),
    ],
)
def test_percentages_add_up_to_100(counts, percents):
    assert rounded_percents(counts) == percents


def test_demo_view():
    view = build("sentiment", make_ctx(960, 540, data=demo_snapshot()))
    # demo at T0: 3220 positive, 2352 neutral, 1759 negative over 24 h
    assert [(p.tone, p.count, p.percent) for p in view.parts] == [
        ("positive", 3220, "44 %"),
        ("neutral", 2352, "32 %"),
        ("negative", 1759, "24 %"),
    ]
    assert view.share_of_heart == round(3220 / (3220 + 1759), 5) and view.share_text == "65 %"
    assert (view.total, view.total_text, view.label, view.window, view.source) == (
        7331,
        "7,331 mentions",
        "Tone",
        "24h",
        "metric",
    )
    assert [p.color for p in view.parts] == [THEME.positive, THEME.neutral, THEME.negative]
    assert abs(sum(p.share for p in view.parts) - 1) < 1e-4


def test_split_from_posts_labels():
    snap = demo_snapshot()
    view = build("sentiment", make_ctx(960, 540, data=snap), metric="posts")
    labelled = [p.sentiment.label for p in snap.posts if p.sentiment is not None]
    assert view.source == "posts" and view.total == len(labelled)
    assert {p.tone: p.count for p in view.parts} == {t: labelled.count(t) for t in sentiment.TONES}
    pos, neg = labelled.count("positive"), labelled.count("negative")
    assert view.share_of_heart == round(pos / (pos + neg), 5)


def test_posts_without_labels_are_left_out():
    data = snapshot_with(
        posts=[
            post(1, "positive"),
            post(2, "negative"),
            post(3, None),
            post(4, "positive"),
            post(5, None, kind="article"),
        ]
    )
    view = build("sentiment", make_ctx(640, 360, data=data), metric="posts")
    assert [p.count for p in view.parts] == [2, 0, 1] and view.share_text == "67 %"
    empty = build("sentiment", make_ctx(640, 360, data=snapshot_with(posts=[post(1, None)])), metric="posts")
    assert empty.placeholder and "label" in empty.note


def test_theme_colours_are_painted():
    for style in ("donut", "bar"):
        _, px = render("sentiment", 800, 450, data=demo_snapshot(), style=style)
        for c in (THEME.positive, THEME.neutral, THEME.negative):
            assert near(px, c) > 2000, (style, c)


def test_donut_and_bar_differ():
    _, donut = render("sentiment", 800, 450, data=demo_snapshot())
    _, bar = render("sentiment", 800, 450, data=demo_snapshot(), style="bar")
    assert np.abs(donut.astype(int) - bar.astype(int)).mean() > 5


def test_view_is_plain_data():
    view = build("sentiment", make_ctx(960, 540, data=demo_snapshot()))
    hash(view)
    assert pickle.loads(pickle.dumps(view)) == view
    json.dumps(to_json(view), allow_nan=False)


# ------------------------------------------------------------------------------- bad data


def test_bad_counts():
    data = tone({"Positive": 30.0, "NEUTRAL": float("nan"), "negative": -5.0, "mixed": 99.0, "positive ": 10})
    view, px = render("sentiment", 640, 360, data=data)
    # case and spaces in keys tolerated, unknown keys ignored, NaN and negative counts count 0
    assert [p.count for p in view.parts] == [40, 0, 0]
    assert view.share_text == "100 %" and [p.percent for p in view.parts] == ["100 %", "0 %", "0 %"]
    json.dumps(to_json(view), allow_nan=False)
    assert px.std() > 5


def test_nobody_took_a_side():
    view, px = render("sentiment", 640, 360, data=tone({"positive": 0, "neutral": 12, "negative": 0}), style="bar")
    assert view.share_of_heart is None and view.share_text == "\u2013"
    assert view.parts[1].percent == "100 %"


def test_all_zero_still_draws_the_ring():
    view, px = render("sentiment", 640, 360, data=tone({"positive": 0, "neutral": 0, "negative": 0}))
    assert not view.placeholder and view.total == 0 and view.share_text == "\u2013"
    assert near(px, view.track) > 1000


def test_tiny_share_is_not_shown_as_zero():
    view = build("sentiment", make_ctx(640, 360, data=tone({"positive": 990, "neutral": 6, "negative": 4})))
    assert [p.percent for p in view.parts] == ["99 %", "1 %", "<1 %"]


def test_huge_counts_and_long_names():
    view, px = render(
        "sentiment", 480, 270, data=tone({"positive": 4e9, "neutral": 1e9, "negative": 2e9}, name="Tone " * 3000)
    )
    assert view.total_text == "7 B mentions" and len(view.label) <= 200
    assert px.shape == (270, 480, 4)


@pytest.mark.parametrize("style", ["donut", "bar"])
@pytest.mark.parametrize("w, h", [(120, 80), (1920, 240), (300, 900)])
def test_any_zone_shape_paints(style, w, h):
    _, px = render("sentiment", w, h, data=demo_snapshot(), style=style)
    assert px.shape == (h, w, 4)


@pytest.mark.parametrize("w, h", [(960, 540), (1920, 540), (1920, 1080)])
def test_text_never_below_the_rooms_legible_size(w, h):
    # BuildContext.min_text_px: secondary text is raised to it (fewer items where room runs out)
    for kw in [dict(), dict(style="bar")]:
        ctx = dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=41.3)
        view = build("sentiment", ctx, **kw)
        assert view.text_floor == 42  # whole pixels, rounded up
        with record_text_sizes() as sizes:
            paint("sentiment", view, w, h)
        assert sizes and min(size for size, _ in sizes) >= 42, (kw, sorted(sizes)[:3])


# ------------------------------------------------------------------------------- states


def test_missing_or_empty_breakdown_is_a_placeholder():
    view, px = render("sentiment", 640, 360, data=demo_snapshot(), metric="tone.nope")
    assert view.placeholder and "tone.nope" in view.note and px.std() > 5
    assert build("sentiment", make_ctx(640, 360, data=tone({}))).placeholder


def test_unbound_and_loading():
    assert build("sentiment", make_ctx(640, 360)).status.state == "unbound"
    view = build("sentiment", make_ctx(640, 360, data=snapshot_with(state="loading", as_of=None)), metric="posts")
    assert view.placeholder and view.status.state == "loading"
    paint("sentiment", view, 640, 360)


@pytest.mark.parametrize("state, badge", [("stale", "#f2a900"), ("failing", "#e5484d")])
def test_old_data_keeps_showing_with_a_badge(state, badge):
    data = snapshot_with(metrics=demo_snapshot().metrics, state=state, as_of=T0 - timedelta(minutes=30), error="x")
    view, px = render("sentiment", 960, 540, data=data)
    assert not view.placeholder and view.share_text == "65 %" and "30 min ago" in view.status.note
    assert near(px[: 540 // 4, 960 // 2 :], badge, 6) > 300


def test_options_are_validated():
    with pytest.raises(ValidationError):
        options("sentiment", style="pie")
    with pytest.raises(ValidationError):
        options("sentiment", metric="")
    assert options("sentiment").metric == "sentiment" and options("sentiment").style == "donut"
