"""`kpi`: big number, change vs previous period coloured by good/bad, sparkline; number formatting."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.model import Metric
from wall.config.base import rgba
from wall.numbers import human_number
from wall.paint.text import record_text_sizes
from wall.scenes.views import to_json
from wall.widgets import kpi


def figure(value, previous=None, *, unit="", higher_is_better=True, series=None, name="Followers", window="30d"):
    return snapshot_with(
        metrics={
            "k": Metric(
                name=name,
                unit=unit,
                value=value,
                previous=previous,
                series=series,
                higher_is_better=higher_is_better,
                window=window,
                computed_at=T0,
            )
        }
    )


def near(pixels: np.ndarray, hex_color: str, tol: int = 40) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


# ------------------------------------------------------------------------------- goldens


def test_followers_with_sparkline_golden():
    view, px = render("kpi", 960, 540, data=demo_snapshot(), metric="kpi.followers", sparkline=True)
    assert view.sparkline and view.number == "1.29 M"
    assert_golden("kpi_followers_sparkline", px)


def test_reach_going_down_golden():
    view, px = render("kpi", 640, 360, data=demo_snapshot(), metric="kpi.reach")
    assert view.direction == "down" and view.good is False
    assert_golden("kpi_reach", px)


# ------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "value, text",
    [
        (1_284_500, "1.28 M"),
        (48_200_000, "48.2 M"),
        (48_200, "48.2 k"),
        (10_000, "10 k"),
        (999_970, "1 M"),
        (7_331, "7,331"),
        (1_000, "1,000"),
        (312, "312"),
        (15.83, "15.8"),
        (3.41, "3.41"),
        (3.4, "3.4"),
        (92.0, "92"),
        (0.0123, "0.0123"),
        (0, "0"),
        (-1_500, "-1,500"),
        (-2_500_000, "-2.5 M"),
        (2.5e9, "2.5 B"),
        (1e13, "10 T"),
        (float("nan"), "\u2013"),
        (float("inf"), "\u2013"),
        (None, "\u2013"),
    ],
)
def test_human_number(value, text):
    assert human_number(value) == text


# ------------------------------------------------------------------------------- the view from demo data


def test_demo_followers_view():
    view = build("kpi", make_ctx(960, 540, data=demo_snapshot()), metric="kpi.followers", sparkline=True)
    assert (view.label, view.window, view.number, view.unit) == ("Followers", "30d", "1.29 M", "")
    assert view.value == 1_285_210 and view.previous == 1_262_300
    assert (view.change, view.direction, view.good) == ("1.8 %", "up", True)
    assert view.change_color == THEME.positive
    assert len(view.sparkline) == 30 and min(view.sparkline) == 0.0 and max(view.sparkline) == 1.0
    assert view.status.ok and not view.placeholder


def test_demo_reach_drop_is_bad_news():
    view = build("kpi", make_ctx(960, 540, data=demo_snapshot()), metric="kpi.reach")
    assert (view.number, view.change, view.direction, view.good) == ("48.6 M", "4.7 %", "down", False)
    assert view.change_color == THEME.negative
    assert view.sparkline == ()  # not asked for


def test_rate_changes_in_points_unless_percent_is_asked():
    ctx = make_ctx(960, 540, data=demo_snapshot())
    view = build("kpi", ctx, metric="kpi.engagement_rate")
    assert (view.number, view.unit, view.change, view.direction) == ("3.54", "%", "0.44 pt", "up")
    assert build("kpi", ctx, metric="kpi.engagement_rate", change="percent").change == "14 %"
    assert build("kpi", ctx, metric="kpi.posts").change == "16 %"


def test_a_drop_is_good_news_where_lower_is_better():
    view = build("kpi", make_ctx(960, 540, data=demo_snapshot()), metric="care.first_reply_min")
    assert (view.number, view.unit, view.direction, view.good) == ("15.8", "min", "down", True)
    assert view.change_color == THEME.positive


def test_no_change_is_flat_and_neutral():
    view = build("kpi", make_ctx(640, 360, data=figure(12.0, 12.0)), metric="k")
    assert (view.direction, view.good, view.change_color) == ("flat", None, THEME.muted)


def test_change_colour_shows_in_pixels():
    _, up = render("kpi", 640, 360, data=figure(110.0, 100.0), metric="k")
    _, down = render("kpi", 640, 360, data=figure(90.0, 100.0), metric="k")
    assert near(up, THEME.positive, 10) > 200 and near(up, THEME.negative, 10) == 0
    assert near(down, THEME.negative, 10) > 200 and near(down, THEME.positive, 10) == 0


def test_view_is_plain_data():
    view = build("kpi", make_ctx(960, 540, data=demo_snapshot()), metric="kpi.followers", sparkline=True)
    hash(view)
    assert pickle.loads(pickle.dumps(view)) == view
    json.dumps(to_json(view), allow_nan=False)


def test_build_is_stable_within_the_minute():
    a = build("kpi", make_ctx(960, 540, data=demo_snapshot(T0)), metric="kpi.followers", sparkline=True)
    b = build(
        "kpi",
        make_ctx(960, 540, data=demo_snapshot(T0 + timedelta(seconds=40)), t=T0 + timedelta(seconds=40)),
        metric="kpi.followers",
        sparkline=True,
    )
    assert a == b


# ------------------------------------------------------------------------------- bad data


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), None])
def test_non_finite_figure_shows_a_dash(bad):
    view, px = render("kpi", 640, 360, data=figure(bad, 100.0), metric="k")
    assert view.number == "\u2013" and view.value is None and view.direction == ""
    assert view.change == "no valid figure" and not view.placeholder
    json.dumps(to_json(view), allow_nan=False)
    assert px.std() > 5


def test_non_finite_previous_gives_no_change():
    view = build("kpi", make_ctx(640, 360, data=figure(5.0, float("nan"))), metric="k")
    assert (view.number, view.change, view.direction) == ("5", "", "")
    assert build("kpi", make_ctx(640, 360, data=figure(5.0, 0.0)), metric="k").change == ""  # no % of zero


def test_negative_count_is_clamped_unless_allowed():
    ctx = make_ctx(640, 360, data=figure(-5.0, 10.0))
    assert build("kpi", ctx, metric="k").number == "0"
    assert build("kpi", ctx, metric="k", allow_negative=True).number == "-5"


def test_sparkline_bad_points():
    series = tuple(
        (T0 - timedelta(days=9 - i), v)
        for i, v in enumerate([1.0, float("nan"), 3.0, float("inf"), -4.0, 5.0, 5.0, 6.0, 7.0, 8.0])
    )
    view, _ = render("kpi", 640, 360, data=figure(8.0, 7.0, series=series), metric="k", sparkline=True)
    assert len(view.sparkline) == 8 and all(0.0 <= v <= 1.0 for v in view.sparkline)
    assert view.sparkline[2] == 0.0  # -4 clamped to 0 is the lowest
    flat = tuple((T0 - timedelta(days=i), 3.0) for i in range(5))
    assert (
        build("kpi", make_ctx(640, 360, data=figure(3.0, series=flat)), metric="k", sparkline=True).sparkline
        == (0.5,) * 5
    )
    one = ((T0, 3.0),)
    assert build("kpi", make_ctx(640, 360, data=figure(3.0, series=one)), metric="k", sparkline=True).sparkline == ()


def test_long_series_is_thinned():
    series = tuple((T0 - timedelta(minutes=10_000 - i), float(i)) for i in range(10_000))
    view = build("kpi", make_ctx(640, 360, data=figure(1.0, series=series)), metric="k", sparkline=True)
    assert len(view.sparkline) == kpi.SPARK_MAX_POINTS and view.sparkline[-1] == 1.0


def test_endless_name_is_cut():
    view, px = render("kpi", 480, 270, data=figure(1.0, name="Followers " * 1000), metric="k")
    assert len(view.label) <= 200
    assert px.shape == (270, 480, 4)


@pytest.mark.parametrize("w, h", [(120, 80), (1920, 200), (300, 900)])
def test_any_zone_shape_paints(w, h):
    _, px = render("kpi", w, h, data=demo_snapshot(), metric="kpi.followers", sparkline=True)
    assert px.shape == (h, w, 4)


@pytest.mark.parametrize("w, h", [(960, 540), (1920, 540), (1920, 1080)])
def test_text_never_below_the_rooms_legible_size(w, h):
    # BuildContext.min_text_px: secondary text is raised to it (fewer items where room runs out)
    for kw in [dict(metric="kpi.followers", sparkline=True), dict(metric="kpi.reach")]:
        ctx = dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=41.3)
        view = build("kpi", ctx, **kw)
        assert view.text_floor == 42  # whole pixels, rounded up
        with record_text_sizes() as sizes:
            paint("kpi", view, w, h)
        assert sizes and min(size for size, _ in sizes) >= 42, (kw, sorted(sizes)[:3])


# ------------------------------------------------------------------------------- states


def test_missing_metric_is_a_placeholder():
    view, px = render("kpi", 640, 360, data=demo_snapshot(), metric="kpi.nope")
    assert view.placeholder and "kpi.nope" in view.note
    assert px.std() > 5  # the designed placeholder, not a blank zone


def test_unbound_and_loading():
    assert build("kpi", make_ctx(640, 360), metric="k").status.state == "unbound"
    view = build("kpi", make_ctx(640, 360, data=snapshot_with(state="loading", as_of=None)), metric="k")
    assert view.placeholder and view.status.state == "loading"
    paint("kpi", view, 640, 360)


@pytest.mark.parametrize("state, badge", [("stale", "#f2a900"), ("failing", "#e5484d")])
def test_old_data_keeps_showing_with_a_badge(state, badge):
    data = figure(110.0, 100.0)
    data = snapshot_with(metrics=data.metrics, state=state, as_of=T0 - timedelta(minutes=12), error="boom")
    view, px = render("kpi", 960, 540, data=data, metric="k")
    assert not view.placeholder and view.number == "110" and view.status.state == state
    assert "12 min ago" in view.status.note
    assert near(px[: 540 // 4, 960 // 2 :], badge, 6) > 300


def test_options_are_validated():
    with pytest.raises(ValidationError):
        options("kpi", metric="")
    with pytest.raises(ValidationError):
        options("kpi", metric="k", change="ratio")
    with pytest.raises(ValidationError):
        options("kpi", metric="k", colour="#fff")
    assert options("kpi", metric="k").sparkline is False
