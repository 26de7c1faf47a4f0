"""`map`: country classes, legend, unknown codes, the shipped Natural Earth shapes, painting."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.demo import COUNTRIES
from feeds.model import Metric
from wall.config.base import rgba
from wall.paint.text import record_text_sizes
from wall.painters import map as world_painter
from wall.widgets import map as world


def countries(values: dict, name: str = "Activity per country") -> dict:
    return {"countries": Metric(name=name, unit="posts", window="24h", breakdown=values, computed_at=T0)}


def pixels_of(px: np.ndarray, hex_color: str) -> int:
    return int((px[:, :, :3] == np.array(rgba(hex_color)[:3], np.uint8)).all(axis=2).sum())


# ------------------------------------------------------------------------------- goldens


def test_world_golden():
    _, px = render("map", 960, 540, data=demo_snapshot())
    assert_golden("map_world", px)


def test_europe_africa_golden():
    view, px = render("map", 960, 540, data=demo_snapshot(), region="europe_africa")
    assert view.legend and len(view.break_labels) == 6
    assert_golden("map_europe_africa", px)


# ------------------------------------------------------------------------------- the view


def test_demo_classes_put_france_and_spain_at_the_top():
    view = build("map", make_ctx(960, 540, data=demo_snapshot()))
    cls = {c.code: c.klass for c in view.countries}
    assert set(cls) == set(COUNTRIES)  # every demo country can be drawn
    assert len(view.class_colors) == 5 and len(view.breaks) == 6
    assert cls["FR"] == 4 and cls["ES"] == 4
    assert cls["GW"] == 0 and cls["CF"] == 0  # the smallest volumes
    # quantile classes: each holds about a fifth of the 30 countries
    sizes = np.bincount(list(cls.values()), minlength=5)
    assert sizes.min() >= 4 and sizes.max() <= 8
    assert [t.code for t in view.top][:2] == ["FR", "ES"] and view.top[0].name == "France"
    assert view.unknown_codes == () and view.status.ok
    assert view.title == "Activity per country" and view.subtitle == "24h · posts"


def test_classes_follow_the_values_and_the_legend_bounds():
    view = build(
        "map",
        make_ctx(
            960,
            540,
            data=snapshot_with(
                metrics=countries({"FR": 1000, "ES": 400, "DE": 100, "IT": 50, "PT": 10, "BE": 5, "NL": 1})
            ),
        ),
    )
    cls = {c.code: c.klass for c in view.countries}
    assert cls["FR"] == 4 and cls["NL"] == 0
    order = ["NL", "BE", "PT", "IT", "DE", "ES", "FR"]
    assert [cls[c] for c in order] == sorted(cls[c] for c in order)
    assert list(view.breaks) == sorted(view.breaks) and view.breaks[0] == 1 and view.breaks[-1] == 1000
    for c in view.countries:  # each value lies within its class's bounds
        assert view.breaks[c.klass] <= c.value <= view.breaks[c.klass + 1]


def test_log_scale_steps_are_geometric():
    data = snapshot_with(metrics=countries({"FR": 100_000, "ES": 10_000, "DE": 1000, "IT": 100, "PT": 10, "BE": 1}))
    view = build("map", make_ctx(960, 540, data=data), scale="log")
    assert view.breaks == (1, 10, 100, 1000, 10_000, 100_000)
    assert view.break_labels == ("1", "10", "100", "1,000", "10 k", "100 k")
    cls = {c.code: c.klass for c in view.countries}
    assert (cls["BE"], cls["PT"], cls["IT"], cls["DE"], cls["ES"], cls["FR"]) == (0, 1, 2, 3, 4, 4)


def test_the_colour_ramp_runs_from_surface_towards_accent():
    view = build("map", make_ctx(960, 540, data=demo_snapshot()))
    theme = make_ctx(1, 1).theme
    assert view.class_colors[-1] == theme.accent
    acc, surf = np.array(rgba(theme.accent)[:3]), np.array(rgba(theme.surface)[:3])
    dist = [np.abs(np.array(rgba(c)[:3]) - acc).sum() for c in view.class_colors]
    assert dist == sorted(dist, reverse=True)  # each class closer to the accent
    assert view.no_data not in view.class_colors and view.no_data != theme.surface
    assert np.abs(np.array(rgba(view.class_colors[0])[:3]) - surf).sum() > 60  # class 1 is not "empty"


def test_unknown_codes_are_listed_and_ignored():
    data = snapshot_with(
        metrics=countries({"FR": 100, "ZZ": 50, "XX": 7, "-99": 3, "SG": 9, " es ": 40, "UK": 20, "": 1})
    )
    view = build("map", make_ctx(960, 540, data=data))
    assert {c.code for c in view.countries} == {"FR", "ES", "GB"}  # lower case, spaces and UK are understood
    assert view.unknown_codes == ("(blank)", "-99", "SG", "XX", "ZZ")  # SG: too small for the 1:110m shapes


def test_nan_inf_and_negative_values_are_bounded():
    data = snapshot_with(metrics=countries({"FR": math.nan, "ES": math.inf, "DE": -40, "IT": 10}))
    view, px = render("map", 960, 540, data=data)
    vals = {c.code: c.value for c in view.countries}
    assert vals == {"DE": 0.0, "IT": 10.0} and view.skipped_codes == ("ES", "FR")
    assert px.shape == (540, 960, 4)


def test_one_country_or_equal_values_make_one_class():
    view, px = render("map", 960, 540, data=snapshot_with(metrics=countries({"FR": 7, "ES": 7})))
    assert len(view.class_colors) == 1 and {c.klass for c in view.countries} == {0}
    assert pixels_of(px, view.class_colors[0]) > 1000


def test_options_are_validated():
    for bad in ({"region": "mars"}, {"classes": 9}, {"scale": "linear"}, {"top": -1}):
        with pytest.raises(ValidationError):
            options("map", **bad)


# ------------------------------------------------------------------------------- geometry


def test_shipped_shapes_are_small_public_domain_and_keyed_by_iso_alpha2():
    doc = json.loads(world_painter.GEO_FILE.read_text(encoding="utf-8"))
    assert world_painter.GEO_FILE.stat().st_size < 300_000
    assert "public domain" in doc["licence"]
    readme = (world_painter.GEO_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "public domain" in readme and "make_world_geo.py" in readme
    names = world.country_names()
    assert len(names) > 170
    assert names["FR"] == "France" and names["NO"] == "Norway" and names["XK"] == "Kosovo"  # "-99" in Natural Earth
    assert all(len(code) == 2 and code.isupper() for code in names)


@pytest.mark.parametrize("code", ["FR", "NO"])
def test_france_and_norway_are_coloured(code):
    view, px = render("map", 960, 540, data=snapshot_with(metrics=countries({code: 100})), region="europe", top=0)
    assert pixels_of(px, view.class_colors[0]) > 2000


def test_projection_is_natural_earth():
    x, y = world_painter.natural_earth(np.array([0.0, 180.0, 0.0]), np.array([0.0, 0.0, 90.0]))
    assert x[0] == 0 and y[0] == 0
    assert x[1] == pytest.approx(math.pi * 0.8707, rel=1e-4)
    assert y[2] == pytest.approx(1.4224, abs=1e-3)  # the flat pole of the Natural Earth projection


def test_geometry_is_parsed_once_per_process():
    render("map", 320, 180, data=demo_snapshot())
    before = world_painter._projected.cache_info()
    render("map", 320, 180, data=demo_snapshot())
    after = world_painter._projected.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert world_painter.world_countries.cache_info().currsize == 1


@pytest.mark.parametrize("region", list(world.REGIONS))
def test_every_region_paints(region):
    view, px = render("map", 640, 360, data=demo_snapshot(), region=region)
    assert view.region == region and px.shape == (360, 640, 4)
    assert pixels_of(px, view.no_data) > 500  # land is drawn


def test_a_tall_zone_drops_the_side_list_but_keeps_the_legend():
    view, px = render("map", 400, 700, data=demo_snapshot())
    assert px.shape == (700, 400, 4) and pixels_of(px, view.class_colors[-1]) > 100


# ------------------------------------------------------------------------------- states


def test_missing_metric_or_no_known_code_shows_the_placeholder():
    for data in (snapshot_with(metrics={}), snapshot_with(metrics=countries({"ZZ": 4}))):
        view, px = render("map", 960, 540, data=data)
        assert view.empty and view.status.note and px.shape == (540, 960, 4)
    view = build("map", make_ctx(960, 540, data=snapshot_with(metrics=countries({"ZZ": 4}))))
    assert view.unknown_codes == ("ZZ",)


def test_no_feed_and_failing_without_data_show_placeholders():
    for data, state in ((None, "unbound"), (snapshot_with(state="failing", as_of=None, error="HTTP 503"), "failing")):
        view, px = render("map", 640, 360, data=data)
        assert view.empty and view.status.state == state
        assert len(np.unique(px[:, :, :3].reshape(-1, 3), axis=0)) > 10


def test_stale_data_is_drawn_with_a_badge():
    vals = countries({"FR": 10, "ES": 5})
    view, px = render(
        "map", 960, 540, data=snapshot_with(metrics=vals, state="stale", as_of=T0 - timedelta(minutes=30))
    )
    fresh_view, fresh = render("map", 960, 540, data=snapshot_with(metrics=vals))
    assert view.status.state == "stale" and view.countries == fresh_view.countries
    assert np.abs(px[:60, 600:].astype(int) - fresh[:60, 600:]).max() > 100
    assert np.array_equal(px[150:, :600], fresh[150:, :600])


@pytest.mark.parametrize("size", [(60, 40), (40, 300), (1280, 120)])
def test_odd_zone_sizes_paint_without_error(size):
    w, h = size
    _, px = render("map", w, h, data=demo_snapshot(), region="europe_africa")
    assert px.shape == (h, w, 4)


# ------------------------------------------------------------------------------- the room's legible size


def far(w: int, h: int):
    """A zone read from 4 m on 0.63 mm pixels: BuildContext.min_text_px 41.3 (42 in whole px)."""
    return dataclasses.replace(make_ctx(w, h, data=demo_snapshot()), min_text_px=41.3)


@pytest.mark.parametrize(
    "w, h, region",
    [
        (1920, 945, "europe_africa"),
        (1920, 1080, "world"),
        (960, 540, "world"),
        (1280, 720, "europe_africa"),
        (640, 360, "europe"),
        (400, 700, "world"),
        (3840, 1080, "europe"),
    ],
)
def test_no_text_below_the_rooms_floor(w, h, region):
    view = build("map", far(w, h), region=region, top=10)
    assert view.text_floor == 42  # whole pixels, rounded up
    with record_text_sizes() as sizes:
        paint("map", view, w, h)
    assert sizes and min(size for size, _ in sizes) >= 42, sorted(sizes)[:3]


def test_the_side_list_shows_as_many_countries_as_fit_at_the_floor():
    near = build("map", make_ctx(1920, 945, data=demo_snapshot()), region="europe_africa", top=10)
    view = build("map", far(1920, 945), region="europe_africa", top=10)
    assert len(near.top) == 10 and 0 < len(view.top) < 10
    assert [t.code for t in view.top] == [t.code for t in near.top][: len(view.top)]  # the leaders
    plan = world.layout(1920, 945, "europe_africa", True, 10, 42.0)
    assert plan.rows == len(view.top) and plan.side is not None
    with record_text_sizes() as sizes:
        paint("map", view, 1920, 945)
    painted = {text for _, text in sizes}
    assert {t.name for t in view.top} <= painted and "24h · posts" in painted
    assert set(view.break_labels) <= painted  # this legend has room for every bound at the floor


def test_where_the_column_is_too_narrow_at_the_floor_the_map_takes_the_room():
    assert world.layout(960, 540, "world", True, 5, 0.0).side is not None
    plan = world.layout(960, 540, "world", True, 5, 42.0)
    assert plan.side is None and plan.rows == 0 and plan.legend is not None
    # fewer class bounds are labelled, each whole, instead of all of them shrunk
    view = build("map", far(960, 540))
    with record_text_sizes() as sizes:
        paint("map", view, 960, 540)
    bounds = [text for size, text in sizes if text in view.break_labels and size == 42]
    assert view.break_labels[0] in bounds and view.break_labels[-1] in bounds
