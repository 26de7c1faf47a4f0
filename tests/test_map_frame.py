"""The map frames the countries that have data: a world map whose activity is all in Europe shows
Europe, big; a country alone is shown among its neighbours; without data, or with `frame: region`,
the configured region is shown whole."""

import numpy as np
from widget_kit import T0, build, render, snapshot_with

from feeds.model import Metric
from wall.widgets import map as world


def countries(values: dict) -> dict:
    return {"countries": Metric(name="Activity", unit="posts", window="24h", breakdown=values, computed_at=T0)}


EUROPE = {"FR": 900, "DE": 500, "ES": 400, "PL": 300, "IT": 250, "GB": 200, "RO": 90, "SE": 60}


def painted_share(view, px) -> float:
    """The share of the zone painted in the classes' colours: the countries with data (legend off)."""
    rgb = px[:, :, :3].reshape(-1, 3)
    inks = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in view.class_colors])
    return float((np.abs(rgb[:, None, :].astype(int) - inks[None, :, :]).max(axis=2) <= 2).any(axis=1).mean())


def test_a_world_map_with_european_data_shows_europe():
    data = snapshot_with(metrics=countries(EUROPE))
    framed, px = render("map", 960, 540, data=data, region="world", top=0, legend=False)
    whole, px_whole = render("map", 960, 540, data=data, region="world", frame="region", top=0, legend=False)
    west, east, south, north, _ = framed.extent
    assert whole.extent == world.REGIONS["world"]
    # every country with data inside the frame, and the frame not much more than Europe
    for code in EUROPE:
        w, e, s, n = world.country_extents()[code]
        assert west <= w and e <= east and south <= s and n <= north, code
    # Europe's latitudes (the frame grows only in longitude, to the zone's wide shape)
    assert north - south <= 45 and east - west <= 150, framed.extent
    tight = world.data_frame(sorted(EUROPE), "world")  # the countries' own box, before it fills the zone
    assert tight[1] - tight[0] <= 70 and tight[3] - tight[2] <= 45, tight
    # what a visitor sees: the countries with activity take several times the room they had
    assert painted_share(framed, px) > 4 * painted_share(whole, px_whole) > 0


def test_one_country_is_shown_among_its_neighbours():
    west, east, south, north, _ = world.data_frame(["FR"], "world")
    assert east - west >= world.MIN_SPAN[0] and north - south >= world.MIN_SPAN[1]
    w, e, s, n = world.country_extents()["FR"]  # mainland France, not French Guiana
    assert west <= w and e <= east and south <= s and n <= north and east - west < 50
    view = build("map", _ctx(snapshot_with(metrics=countries({"FR": 120}))), region="world")
    assert view.extent[3] - view.extent[2] < 45  # the zone shows France's part of Europe, not the world


def test_the_frame_stays_within_the_region_and_follows_the_set_of_countries():
    # Egypt and Spain in a Europe map: the frame never leaves Europe's box
    view = build("map", _ctx(snapshot_with(metrics=countries({"ES": 5, "EG": 9}))), region="europe")
    west, east, south, north, _ = view.extent
    rw, re_, rs, rn, _ = world.REGIONS["europe"]
    assert rw <= west and east <= re_ and rs <= south and north <= rn
    # other figures for the same countries: the same frame (the map does not jump as counts change)
    again = build("map", _ctx(snapshot_with(metrics=countries({"ES": 500, "EG": 1}))), region="europe")
    assert again.extent == view.extent


def test_without_data_the_region_is_shown():
    view = build("map", _ctx(snapshot_with(metrics=countries({}))), region="europe_africa")
    assert view.extent == world.REGIONS["europe_africa"]


def _ctx(data):
    from widget_kit import make_ctx

    return make_ctx(960, 540, data=data)
