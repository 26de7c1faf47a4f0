"""`timeline`: volume over time, stacked by tone, spikes by rolling median + k x MAD, axis in UTC or tz."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.model import Metric
from wall.calendar_names import DAY_ABBR
from wall.config.base import rgba
from wall.paint.text import record_text_sizes
from wall.scenes.views import to_json
from wall.widgets import timeline
from wall.widgets.timeline import detect_spikes


def series_snapshot(values, *, step_min: int = 15, name: str = "Mentions", end=T0, **extra):
    pts = tuple((end - timedelta(minutes=step_min * (len(values) - 1 - i)), v) for i, v in enumerate(values))
    return snapshot_with(
        metrics={"volume": Metric(name=name, unit="posts/15 min", series=pts, window="24h", computed_at=T0), **extra}
    )


def near(pixels: np.ndarray, hex_color: str, tol: int = 8) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


# ------------------------------------------------------------------------------- goldens


def test_stacked_with_the_demo_spike_golden():
    view, px = render("timeline", 960, 540, data=demo_snapshot(), stacked=True)
    assert view.stacked and len(view.spikes) == 1
    assert_golden("timeline_stacked_spike", px)


def test_line_in_paris_time_golden():
    view, px = render("timeline", 640, 360, data=demo_snapshot(), tz="Europe/Paris")
    assert not view.stacked and view.spikes[0].time == "08:00"
    assert_golden("timeline_line_paris", px)


# ------------------------------------------------------------------------------- the demo spike


def test_demo_spike_is_found_where_the_demo_puts_it():
    view = build("timeline", make_ctx(960, 540, data=demo_snapshot()), stacked=True)
    (spike,) = view.spikes
    peak = datetime.fromisoformat(spike.at)
    # the demo's burst peaks 95 min before 'now' (08:30); samples are every 15 min: 07:00 is nearest
    assert peak == T0 - timedelta(minutes=90)
    assert spike.time == "07:00" and spike.rise == "+323 %" and spike.label == "+323 %\n07:00"
    assert spike.value == 235 and spike.baseline == 55.5
    assert spike.position == pytest.approx(1 - 90 / (24 * 60), abs=1e-4)


@pytest.mark.parametrize("hours", [0, 3, 7, 11, 13, 17, 21])
def test_demo_spike_and_nothing_else_all_day(hours):
    t = T0 + timedelta(hours=hours, minutes=7 * hours)
    view = build("timeline", make_ctx(960, 540, t=t, data=demo_snapshot(t)))
    assert len(view.spikes) == 1
    minutes_before_now = (t - datetime.fromisoformat(view.spikes[0].at)).total_seconds() / 60
    assert abs(minutes_before_now - 95) <= 15


# ------------------------------------------------------------------------------- the spike rule


def test_rule_flat_series_with_a_jump():
    values = [10.0, 11, 9, 10, 10, 11, 9, 10, 10, 40, 10, 10]
    assert detect_spikes(values, 4, 8) == [(9, 10.0)]


def test_rule_needs_k_mads_and_the_minimum_rise():
    noisy = [10.0, 20, 5, 25, 8, 18, 12, 22, 30]  # median 15, MAD 6: 30 is only 2.5 MADs up
    assert detect_spikes(noisy, 4, 8) == []
    assert detect_spikes(noisy, 2, 8) == [(8, 15.0)]
    quiet = [100.0] * 8 + [110.0]  # MAD 0, but +10 % is noise, not a spike
    assert detect_spikes(quiet, 4, 8) == []
    assert detect_spikes(quiet, 4, 8, min_rise=0.05) == [(8, 100.0)]


def test_rule_one_burst_one_marker_at_its_peak():
    values = [10.0] * 8 + [30, 60, 45, 10, 10]
    assert detect_spikes(values, 4, 8) == [(9, 10.0)]  # the run 30, 60, 45: peak 60, baseline from its start


def test_rule_zero_baseline_judges_nothing():
    assert detect_spikes([0.0] * 8 + [5.0], 4, 8) == []


def test_spike_options():
    data = series_snapshot([10.0] * 8 + [40, 10, 10, 10] + [10.0] * 4 + [25, 10])
    ctx = make_ctx(640, 360, data=data)
    assert [s.rise for s in build("timeline", ctx).spikes] == ["+300 %", "+150 %"]
    assert [s.rise for s in build("timeline", ctx, max_spikes=1).spikes] == ["+300 %"]
    assert build("timeline", ctx, spikes=False).spikes == ()
    assert build("timeline", ctx, spike_min_rise=2.0).spikes[0].rise == "+300 %"
    assert len(build("timeline", ctx, spike_min_rise=4.0).spikes) == 0
    assert build("timeline", ctx, spike_label="time").spikes[0].label == "06:15"
    assert build("timeline", ctx, spike_label="percent").spikes[0].label == "+300 %"


# ------------------------------------------------------------------------------- the view


def test_stacked_layers_add_up_to_the_volume():
    snap = demo_snapshot()
    view = build("timeline", make_ctx(960, 540, data=snap), stacked=True)
    assert [layer.name for layer in view.layers] == ["positive", "neutral", "negative"]
    assert [layer.color for layer in view.layers] == [THEME.positive, THEME.neutral, THEME.negative]
    totals = [sum(col) for col in zip(*(layer.values for layer in view.layers), strict=True)]
    assert totals == [v for _, v in snap.metrics["volume"].series]
    assert len(view.positions) == 97 and view.positions[0] == 0.0 and view.positions[-1] == 1.0
    assert view.first == "2026-11-22T08:30:00+00:00" and view.last == "2026-11-23T08:30:00+00:00"


def test_axes_are_few_and_labelled():
    view = build("timeline", make_ctx(960, 540, data=demo_snapshot()), stacked=True)
    assert [t.text for t in view.x_ticks] == ["12:00", "18:00", "00:00", "06:00"]
    assert (view.y_max, [t.text for t in view.y_ticks]) == (300, ["100", "200", "300"])
    assert (view.label, view.unit, view.tz) == ("Mentions", "posts/15 min", "UTC")
    paris = build("timeline", make_ctx(960, 540, data=demo_snapshot()), tz="Europe/Paris")
    assert [t.text for t in paris.x_ticks] == ["12:00", "18:00", "00:00", "06:00"]
    assert paris.x_ticks[0].position == pytest.approx(view.x_ticks[0].position - 1 / 24, abs=1e-4)
    tokyo = build("timeline", make_ctx(960, 540, data=demo_snapshot()), tz="Asia/Tokyo")
    assert tokyo.spikes[0].time == "16:00"


def test_week_long_axis_names_days():
    values = [float(50 + i % 7) for i in range(7 * 24)]
    view = build("timeline", make_ctx(960, 540, data=series_snapshot(values, step_min=60)))
    assert len(view.x_ticks) <= 5 and all(t.text[:3] in DAY_ABBR for t in view.x_ticks)


def test_the_spike_is_marked_in_the_picture():
    with_spike, px = render("timeline", 960, 540, data=demo_snapshot(), stacked=True)
    _, without = render("timeline", 960, 540, data=demo_snapshot(), stacked=True, spikes=False)
    assert near(px, THEME.accent) > 50 and near(without, THEME.accent) == 0
    x = int(960 * 0.05 + (960 * 0.9) * with_spike.spikes[0].position)  # roughly where the peak is
    assert near(px[:, x - 60 : x + 60], THEME.negative) > 1000  # the negative layer's burst


def test_view_is_plain_data_and_reused():
    snap = demo_snapshot()
    ctx = make_ctx(960, 540, data=snap)
    view = build("timeline", ctx, stacked=True)
    hash(view)
    assert pickle.loads(pickle.dumps(view)) == view
    json.dumps(to_json(view), allow_nan=False)
    assert build("timeline", ctx, stacked=True) is view  # the same series: the same view, no recomputation
    stale = snapshot_with(metrics=snap.metrics, state="stale", as_of=T0 - timedelta(minutes=9))
    again = build("timeline", make_ctx(960, 540, data=stale), stacked=True)
    assert again.status.state == "stale" and again.layers == view.layers


# ------------------------------------------------------------------------------- bad data


def test_bad_points():
    pts = (
        (T0, 5.0),
        (T0 - timedelta(minutes=30), float("nan")),
        (T0 - timedelta(minutes=15), -3.0),
        (T0 - timedelta(minutes=45), float("inf")),
        (T0 - timedelta(minutes=15), 7.0),
        (datetime(2026, 11, 23, 7, 0), 4.0),
    )  # naive: read as UTC
    data = snapshot_with(metrics={"volume": Metric(name="Mentions", series=pts, computed_at=T0)})
    view, px = render("timeline", 640, 360, data=data)
    assert view.layers[0].values == (4.0, 0.0, 0.0, 7.0, 5.0)  # sorted, bad as 0, last of duplicates
    assert view.first == "2026-11-23T07:00:00+00:00"
    json.dumps(to_json(view), allow_nan=False)
    assert px.std() > 5


def test_single_point_and_all_zero():
    view, px = render("timeline", 640, 360, data=series_snapshot([12.0]))
    assert view.positions == (0.5,) and not view.placeholder
    view, _ = render("timeline", 640, 360, data=series_snapshot([0.0] * 20))
    assert view.y_max > 0 and view.spikes == ()


def test_stacked_without_layers_draws_the_total():
    view = build("timeline", make_ctx(640, 360, data=series_snapshot([1.0, 2.0, 3.0])), stacked=True)
    assert not view.stacked and [layer.name for layer in view.layers] == ["total"]


def test_stacked_with_a_missing_layer_counts_it_zero():
    snap = demo_snapshot()
    metrics = {k: v for k, v in snap.metrics.items() if k != "volume.neutral"}
    view = build("timeline", make_ctx(640, 360, data=snapshot_with(metrics=metrics)), stacked=True)
    assert view.stacked and set(view.layers[1].values) == {0.0}


def test_very_long_series_is_bucketed():
    values = [float(i % 50) for i in range(20_000)]
    view, _ = render("timeline", 640, 360, data=series_snapshot(values, step_min=1))
    assert len(view.positions) <= timeline.MAX_POINTS
    assert sum(view.layers[0].values) == sum(values)  # bucketing sums, nothing lost


def test_long_name():
    view, px = render("timeline", 480, 270, data=series_snapshot([1.0, 2.0], name="Mentions " * 2000))
    assert len(view.label) <= 200 and px.shape == (270, 480, 4)


@pytest.mark.parametrize("w, h", [(120, 80), (1920, 200), (300, 900)])
def test_any_zone_shape_paints(w, h):
    _, px = render("timeline", w, h, data=demo_snapshot(), stacked=True)
    assert px.shape == (h, w, 4)


@pytest.mark.parametrize("w, h", [(960, 540), (1920, 540), (1920, 1080)])
def test_text_never_below_the_rooms_legible_size(w, h):
    # BuildContext.min_text_px: secondary text is raised to it (fewer items where room runs out)
    for kw in [dict(stacked=True), dict(tz="Europe/Paris")]:
        ctx = dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=41.3)
        view = build("timeline", ctx, **kw)
        assert view.text_floor == 42  # whole pixels, rounded up
        with record_text_sizes() as sizes:
            paint("timeline", view, w, h)
        assert sizes and min(size for size, _ in sizes) >= 42, (kw, sorted(sizes)[:3])


# ------------------------------------------------------------------------------- states


def test_missing_or_empty_series_is_a_placeholder():
    view, px = render("timeline", 640, 360, data=demo_snapshot(), metric="mentions")
    assert view.placeholder and "mentions" in view.note and px.std() > 5
    assert build("timeline", make_ctx(640, 360, data=series_snapshot([]))).placeholder


def test_unbound_and_loading():
    assert build("timeline", make_ctx(640, 360)).status.state == "unbound"
    view = build("timeline", make_ctx(640, 360, data=snapshot_with(state="loading", as_of=None)))
    assert view.placeholder and view.status.state == "loading"
    paint("timeline", view, 640, 360)


@pytest.mark.parametrize("state, badge", [("stale", "#f2a900"), ("failing", "#e5484d")])
def test_old_data_keeps_showing_with_a_badge(state, badge):
    data = snapshot_with(
        metrics=series_snapshot([5.0, 6.0, 7.0]).metrics, state=state, as_of=T0 - timedelta(hours=3), error="x"
    )
    view, px = render("timeline", 960, 540, data=data)
    assert not view.placeholder and "3 h ago" in view.status.note
    assert near(px[: 540 // 4, 960 // 2 :], badge, 6) > 300


def test_options_are_validated():
    with pytest.raises(ValidationError, match="time zone"):
        options("timeline", tz="Mars/Olympus")
    with pytest.raises(ValidationError):
        options("timeline", spike_k=0)
    with pytest.raises(ValidationError):
        options("timeline", spike_window=1)
    with pytest.raises(ValidationError):
        options("timeline", spike_k=float("nan"))
    assert options("timeline").spike_k == 4 and options("timeline").tz == "UTC"
