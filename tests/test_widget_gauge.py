"""`gauge`: care figure on an arc with ok / warn / breach bands, target tick and competitor markers.

The pill follows the target (OK only when it is met), every figure carries its unit, a competitor's
marker carries its name, and one metric has one scale in every scenario of the shipped configs."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.model import Metric
from wall.config.base import rgba
from wall.paint.text import record_text_sizes
from wall.scenes.views import to_json
from wall.widgets.gauge import band_of, derived_breach, scale


def care(value, *, target=15.0, warn=20.0, breach=30.0, higher=False, unit="min", benchmarks=None):
    return snapshot_with(
        metrics={
            "c": Metric(
                name="Average first reply",
                unit=unit,
                value=value,
                target=target,
                warn=warn,
                breach=breach,
                higher_is_better=higher,
                benchmarks=benchmarks,
                window="24h",
                computed_at=T0,
            )
        }
    )


def near(pixels: np.ndarray, hex_color: str, tol: int = 8) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


# ------------------------------------------------------------------------------- goldens


def test_first_reply_lower_is_better_with_benchmarks_golden():
    view, px = render("gauge", 960, 540, data=demo_snapshot(), metric="care.first_reply_min", show_benchmarks=True)
    assert not view.higher_is_better and len(view.benchmarks) == 2
    assert_golden("gauge_first_reply_benchmarks", px)


def test_response_rate_higher_is_better_golden():
    view, px = render("gauge", 800, 450, data=demo_snapshot(), metric="care.response_rate")
    assert view.higher_is_better and view.benchmarks == ()
    assert_golden("gauge_response_rate", px)


# ------------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    "value, band",
    [
        (0, "ok"),
        (10, "ok"),
        (15, "ok"),  # meeting the target exactly is meeting it
        (15.8, "warn"),  # over the target: never OK, even before the feed's warn (20)
        (19.9, "warn"),
        (20, "warn"),
        (29.9, "warn"),
        (30, "breach"),
        (300, "breach"),
    ],
)
def test_bands_lower_is_better(value, band):
    assert band_of(value, 15, 20, 30, higher_is_better=False) == band


@pytest.mark.parametrize(
    "value, band",
    [
        (100, "ok"),
        (95, "ok"),
        (94.9, "warn"),
        (90.1, "warn"),
        (90, "warn"),
        (80.1, "warn"),
        (80, "breach"),
        (0, "breach"),
    ],
)
def test_bands_higher_is_better(value, band):
    assert band_of(value, 95, 90, 80, higher_is_better=True) == band


def test_an_early_warning_before_the_target_warns_while_the_target_is_met():
    # first reply: target 15, warn from 12 (the team wants to hear before the target slips)
    assert band_of(11, 15, 12, 30, False) == "ok"
    assert band_of(13, 15, 12, 30, False) == "warn"
    # response rate: target 95, warn from 97
    assert band_of(98, 95, 97, 80, True) == "ok" and band_of(96, 95, 97, 80, True) == "warn"


def test_band_fallbacks():
    assert band_of(16, 15, None, 30, False) == "warn"  # no warn threshold: missing the target warns
    assert band_of(14, 15, None, 30, False) == "ok"
    assert band_of(25, None, None, 30, False) == "ok" and band_of(31, None, None, 30, False) == "breach"
    assert band_of(25, None, 20, None, False) == "warn"  # no target: warn alone starts the warning band
    assert band_of(25, None, None, None, False) == "none"
    assert band_of(None, 15, 20, 30, False) == "none"


@pytest.mark.parametrize(
    "target, unit, higher, breach, just_warn, critical",
    [
        (15, "min", False, 30, 29.9, 30),  # lower is better: twice the target
        (95, "%", True, 90, 90.1, 90),  # a rate: twice the shortfall from 100 %
        (10, "", True, 5, 5.1, 5),  # a higher-is-better count: half the target
    ],
)
def test_critical_band_derives_from_the_target(target, unit, higher, breach, just_warn, critical):
    assert derived_breach(target, unit, higher) == breach
    assert band_of(just_warn, target, None, None, higher, unit) == "warn"
    assert band_of(critical, target, None, None, higher, unit) == "breach"
    data = care(critical, target=target, warn=None, breach=None, higher=higher, unit=unit)
    view = build("gauge", make_ctx(640, 360, data=data), metric="c")
    assert (view.band, view.breach, view.breach_derived) == ("breach", breach, True)
    assert [b.band for b in view.bands] == (["breach", "warn", "ok"] if higher else ["ok", "warn", "breach"])
    # a breach the feed states wins over the derived one
    stated = care(critical, target=target, warn=None, breach=breach * 0.9, higher=higher, unit=unit)
    view = build("gauge", make_ctx(640, 360, data=stated), metric="c")
    assert (view.breach, view.breach_derived) == (breach * 0.9, False)


def test_demo_first_reply_band():
    view = build("gauge", make_ctx(960, 540, data=demo_snapshot()), metric="care.first_reply_min")
    # demo at T0: 15.8 min against target 18 / warn 22 / breach 30, lower is better: the target is
    # met, so the pill says OK (a warn past the target is held at the target: the band starts there)
    assert (view.value, view.number, view.unit) == (15.8, "15.8", "min")
    assert (view.target, view.warn, view.breach, view.breach_derived) == (18, 18, 30, False)
    assert view.band == "ok" and view.band_color == THEME.ok
    assert view.caption == "target 18 min \u00b7 met"
    assert (view.scale_min, view.scale_max, view.min_text, view.max_text) == (0, 35, "0 min", "35 min")
    assert [(b.band, b.start, b.end) for b in view.bands] == [
        ("ok", 0.0, round(18 / 35, 5)),
        ("warn", round(18 / 35, 5), round(30 / 35, 5)),
        ("breach", round(30 / 35, 5), 1.0),
    ]
    assert view.position == round(15.8 / 35, 5) and view.target_position == round(18 / 35, 5)
    assert view.benchmarks == ()  # not asked for


def test_demo_benchmarks_positions():
    view = build("gauge", make_ctx(960, 540, data=demo_snapshot()), metric="care.first_reply_min", show_benchmarks=True)
    assert [(b.name, b.value, b.text, b.position, b.better) for b in view.benchmarks] == [
        ("Competitor A", 19.0, "19 min", round(19 / 35, 5), False),
        ("Competitor B", 27.5, "27.5 min", round(27.5 / 35, 5), False),
    ]


def test_demo_response_rate_view():
    view = build("gauge", make_ctx(960, 540, data=demo_snapshot()), metric="care.response_rate", show_benchmarks=True)
    assert (view.number, view.unit, view.band) == ("92.4", "%", "ok")  # over its 90 % target
    assert (view.scale_min, view.scale_max) == (75, 100)  # a % scale stops at 100
    assert [b.band for b in view.bands] == ["breach", "warn", "ok"]  # higher is better: ok is the high end
    assert view.caption == "target 90 % \u00b7 met"
    assert [b.position for b in view.benchmarks] == [round(11 / 25, 5), round(3 / 25, 5)]


def test_band_colour_fills_the_arc():
    counts = {}
    for value, band in ((12.0, "ok"), (24.0, "warn"), (33.0, "breach")):
        view, px = render("gauge", 640, 360, data=care(value), metric="c")
        assert view.band == band and view.band_color == getattr(THEME, band)
        counts[band] = {b: near(px, getattr(THEME, b)) for b in ("ok", "warn", "breach")}
    # the thick value arc in the band's colour outweighs the thin band ring of the other colours
    for band, c in counts.items():
        assert c[band] == max(c.values()), (band, c)
    assert counts["breach"]["breach"] > 3 * counts["ok"]["breach"]


def test_scale_defaults_and_overrides():
    assert scale([15.8, 15, 20, 30], "min", None, None) == (0, 35)
    assert scale([92.4, 95, 90, 80], "%", None, None) == (75, 100)
    assert scale([5.0], "", None, None) == (0, 6)
    assert scale([0.0], "", None, None) == pytest.approx((0, 1.2))
    lo, hi = scale([-3.0, 2.0], "", None, None)
    assert lo < -3 and hi > 2
    view = build("gauge", make_ctx(640, 360, data=care(12.0)), metric="c", min=0, max=60)
    assert (view.scale_min, view.scale_max, view.max_text) == (0, 60, "60 min")
    assert build("gauge", make_ctx(640, 360, data=care(12.0)), metric="c", max=5).scale_max == 5


def test_value_beyond_the_scale_pins_the_arc_but_tells_the_truth():
    view = build("gauge", make_ctx(640, 360, data=care(90.0)), metric="c", max=60)
    assert view.position == 1.0 and view.number == "90" and view.band == "breach"


def test_label_override_and_long_names():
    view = build("gauge", make_ctx(640, 360, data=care(12.0)), metric="c", label="Réponse moyenne")
    assert view.label == "Réponse moyenne"
    long = snapshot_with(
        metrics={"c": Metric(name="x" * 10_000, value=1.0, computed_at=T0, benchmarks={"Competitor " * 500: 2.0})}
    )
    view, px = render("gauge", 480, 270, data=long, metric="c", show_benchmarks=True)
    assert len(view.label) <= 200 and len(view.benchmarks[0].name) <= 60
    assert px.shape == (270, 480, 4)


def test_view_is_plain_data():
    view = build("gauge", make_ctx(960, 540, data=demo_snapshot()), metric="care.first_reply_min", show_benchmarks=True)
    hash(view)
    assert pickle.loads(pickle.dumps(view)) == view
    json.dumps(to_json(view), allow_nan=False)


# ------------------------------------------------------------------------------- bad data


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None])
def test_non_finite_value_shows_a_dash(bad):
    view, px = render("gauge", 640, 360, data=care(bad), metric="c")
    assert view.number == "\u2013" and view.value is None and view.position is None and view.band == "none"
    assert view.caption == "target 15 min"
    json.dumps(to_json(view), allow_nan=False)
    assert near(px, THEME.ok) > 0  # the bands are still drawn


def test_bad_thresholds_and_benchmarks_are_ignored():
    data = care(
        12.0,
        target=float("nan"),
        warn=float("inf"),
        breach=30.0,
        benchmarks={"A": float("nan"), "B": 18.0, "C": float("-inf")},
    )
    view = build("gauge", make_ctx(640, 360, data=data), metric="c", show_benchmarks=True)
    assert view.target is None and view.warn is None and view.breach == 30
    assert [b.name for b in view.benchmarks] == ["B"]
    assert [b.band for b in view.bands] == ["ok", "breach"]


def test_inconsistent_thresholds_do_not_crash():
    # thresholds written for the other direction (breach before warn before target): no warn band;
    # the value's band and the drawn bands agree
    view, _ = render("gauge", 640, 360, data=care(3.0, target=15, warn=10, breach=5), metric="c")
    assert view.band == "ok" and [b.band for b in view.bands] == ["ok", "breach"]
    assert build("gauge", make_ctx(640, 360, data=care(7.0, target=15, warn=10, breach=5)), metric="c").band == "breach"
    # a warn past the breach: the breach still counts, the target still decides OK
    view = build("gauge", make_ctx(640, 360, data=care(25.0, target=15, warn=40, breach=30)), metric="c")
    assert view.band == "warn" and [b.band for b in view.bands] == ["ok", "warn", "breach"]


def test_negative_values_on_a_signed_scale():
    view, _ = render(
        "gauge", 640, 360, data=care(-20.0, target=0, warn=-10, breach=-30, higher=True, unit=""), metric="c"
    )
    assert view.band == "warn" and view.scale_min < -30 and view.number == "-20"


@pytest.mark.parametrize("w, h", [(120, 80), (1920, 300), (300, 900)])
def test_any_zone_shape_paints(w, h):
    _, px = render("gauge", w, h, data=demo_snapshot(), metric="care.first_reply_min", show_benchmarks=True)
    assert px.shape == (h, w, 4)


@pytest.mark.parametrize("w, h", [(960, 540), (1920, 540), (1920, 1080)])
def test_text_never_below_the_rooms_legible_size(w, h):
    # BuildContext.min_text_px: secondary text is raised to it (fewer items where room runs out)
    for kw in [dict(metric="care.first_reply_min", show_benchmarks=True), dict(metric="care.response_rate")]:
        ctx = dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=41.3)
        view = build("gauge", ctx, **kw)
        assert view.text_floor == 42  # whole pixels, rounded up
        with record_text_sizes() as sizes:
            paint("gauge", view, w, h)
        assert sizes and min(size for size, _ in sizes) >= 42, (kw, sorted(sizes)[:3])


# ------------------------------------------------------------------------------- states


def test_missing_metric_is_a_placeholder():
    view, px = render("gauge", 640, 360, data=demo_snapshot(), metric="care.nope")
    assert view.placeholder and "care.nope" in view.note and px.std() > 5


def test_unbound_and_loading():
    view = build("gauge", make_ctx(640, 360), metric="c")
    assert view.placeholder and view.status.state == "unbound"
    view = build("gauge", make_ctx(640, 360, data=snapshot_with(state="loading", as_of=None)), metric="c")
    assert view.placeholder and view.status.state == "loading"
    paint("gauge", view, 640, 360)


@pytest.mark.parametrize("state, badge", [("stale", "#f2a900"), ("failing", "#e5484d"), ("credentials", "#e5484d")])
def test_old_data_keeps_showing_with_a_badge(state, badge):
    data = snapshot_with(metrics=care(12.0).metrics, state=state, as_of=T0 - timedelta(minutes=7), error="boom")
    view, px = render("gauge", 960, 540, data=data, metric="c")
    assert not view.placeholder and view.number == "12" and view.status.state == state
    assert near(px[: 540 // 4, 960 // 2 :], badge, 6) > 300


def test_options_are_validated():
    with pytest.raises(ValidationError, match="below max"):
        options("gauge", metric="c", min=10, max=10)
    with pytest.raises(ValidationError):
        options("gauge", metric="c", max=float("nan"))
    with pytest.raises(ValidationError):
        options("gauge", metric="c", needle=True)
    with pytest.raises(ValidationError):
        options("gauge")


# ------------------------------------------------------------------------------- what visitors read


def painted(view, w: int, h: int) -> tuple[np.ndarray, list[str]]:
    """The gauge's pixels and every text it painted."""
    with record_text_sizes() as sizes:
        px = paint("gauge", view, w, h)
    return px, [text for _, text in sizes]


@pytest.mark.parametrize(
    "value, higher, word, caption",
    [
        # the gauge: 12 waiting against a target of 5 said OK beside "target 5 · 7 above"
        (12.0, False, "WARNING", "target 5 tickets \u00b7 7 tickets above"),
        (5.0, False, "OK", "target 5 tickets \u00b7 met"),
        (3.0, False, "OK", "target 5 tickets \u00b7 met"),
        (26.0, False, "BREACH", "target 5 tickets \u00b7 21 tickets above"),
        # higher is better: a response rate of 92.4 % against 95 % is not OK
        (92.4, True, "WARNING", "target 95 % \u00b7 2.6 pt below"),
        (97.0, True, "OK", "target 95 % \u00b7 met"),
        (70.0, True, "BREACH", "target 95 % \u00b7 25 pt below"),
    ],
)
def test_the_pill_follows_the_target(value, higher, word, caption):
    if higher:
        data = care(value, target=95, warn=90, breach=80, higher=True, unit="%")
    else:
        data = care(value, target=5, warn=15, breach=25, unit="tickets")
    view = build("gauge", make_ctx(960, 540, data=data), metric="c")
    px, texts = painted(view, 960, 540)
    assert view.caption == caption
    assert word in texts and not {"OK", "WARNING", "BREACH"} - {word} & set(texts)
    band = {"OK": "ok", "WARNING": "warn", "BREACH": "breach"}[word]
    # the pill and the value arc wear the band's colour
    assert near(px[200:420, 330:630], getattr(THEME, band)) > 2000


def test_every_figure_carries_its_unit():
    data = care(12.0, target=5, warn=15, breach=25, unit="tickets", benchmarks={"Rival desk": 9.0})
    view = build("gauge", make_ctx(960, 540, data=data), metric="c", show_benchmarks=True)
    _, texts = painted(view, 960, 540)
    assert (view.number, view.unit) == ("12", "tickets")
    assert "12" in texts and "tickets" in texts  # the value, its unit beside it
    assert {"0 tickets", "30 tickets"} <= set(texts)  # the scale's ends
    assert "target 5 tickets \u00b7 7 tickets above" in texts
    assert any("Rival desk" in t and "9 tickets" in t for t in texts)
    # a feed that states no unit: the zone's option gives it
    bare = care(12.0, target=5, warn=15, breach=25, unit="")
    view = build("gauge", make_ctx(960, 540, data=bare), metric="c", unit="chats")
    _, texts = painted(view, 960, 540)
    assert "chats" in texts and view.caption == "target 5 chats \u00b7 7 chats above"


@pytest.mark.parametrize("w, h, floor", [(960, 540, 0), (960, 540, 30), (1920, 300, 0), (640, 640, 0), (480, 270, 0)])
def test_a_benchmark_marker_names_whose_figure_it_is(w, h, floor):
    ctx = dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=floor)
    view = build("gauge", ctx, metric="care.first_reply_min", show_benchmarks=True)
    _, texts = painted(view, w, h)
    for b in view.benchmarks:
        with_figure = [t for t in texts if b.text in t]
        assert all(b.name in t for t in with_figure), (b.name, with_figure)
    if (w, h, floor) == (960, 540, 0):
        assert all(any(b.name in t and b.text in t for t in texts) for b in view.benchmarks)


def test_a_metric_has_one_scale_in_every_scenario_of_the_shipped_configs():
    from wall.config.loader import load_config
    from wall.scenes.views import SceneViews
    from wall.store import Store

    repo = Path(__file__).resolve().parent.parent
    checked = 0
    for path in sorted((repo / "config").glob("*.yaml")):
        loaded = load_config(path)
        store = Store.from_config(loaded.config)
        try:
            scenes = SceneViews(loaded, store)
            scales: dict[tuple[str, str], set[tuple[float, float]]] = {}
            for name, plan in loaded.scenarios.items():
                frame = scenes.frame(plan, T0)
                for zone_id, zv in frame.views.items():
                    if zv.widget != "gauge" or zv.view.placeholder:
                        continue
                    binding = plan.bindings[zone_id]
                    assert zv.view.unit, f"{path.name}:{name}:{zone_id}: {binding.metric} shows no unit"
                    scales.setdefault((binding.feed, binding.metric), set()).add((zv.view.scale_min, zv.view.scale_max))
                    checked += 1
            for (feed, metric), seen in scales.items():
                assert len(seen) == 1, f"{path.name}: {feed}/{metric} has scales {sorted(seen)}"
        finally:
            store.close()
    assert checked >= 10  # demo and room: four gauges in two scenarios each, plus kiosk and lobby


def test_check_warns_when_one_figure_gets_two_scales(tmp_path):
    """Options are the one way a figure could get two scales: `wallctl check` says where."""
    from wall.config.loader import load_config

    wall = tmp_path / "wall.yaml"
    wall.write_text(
        """\
displays:
  grid: {cols: 1, rows: 1, panel: {resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9}}
feeds:
  demo: { adapter: demo }
layout:
  zones:
    a: {cells: A1:A1}
scenarios:
  day:
    zones:
      a: { widget: gauge, feed: demo, metric: care.response_rate }
  night:
    zones:
      a: { widget: gauge, feed: demo, metric: care.response_rate, min: 0, max: 100 }
  same:
    zones:
      a: { widget: gauge, feed: demo, metric: care.first_reply_min }
"""
    )
    warnings = [str(w) for w in load_config(wall).warnings]
    scales = [w for w in warnings if "one scale" in w]
    assert len(scales) == 1, warnings
    assert "scenario 'night'" in scales[0] and "min 0, max 100" in scales[0] and "min derived, max derived" in scales[0]
    assert "wall.yaml:" in scales[0]  # file and line, as every config warning
    # the shipped configs give every figure one scale
    for path in sorted((Path(__file__).resolve().parent.parent / "config").glob("*.yaml")):
        assert not [w for w in load_config(path).warnings if "one scale" in str(w)], path.name
