"""`ticker`: a seamless strip of headlines and a scroll offset that is a pure function of time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.demo import HEADLINES
from feeds.model import Author, Post
from wall.paint.text import record_text_sizes
from wall.painters import ticker as ticker_painter
from wall.widgets import ticker


def article(i: int, title: str, outlet: str = "Reuters", minutes_ago: int = 0) -> Post:
    return Post(
        key=f"press:{i}",
        source="t",
        network="rss",
        published_at=T0 - timedelta(minutes=minutes_ago),
        title=title,
        text=title,
        author=Author(id=f"o{i}", name=outlet),
        kind="article",
    )


def at(view, t: datetime) -> float:
    return ticker.scroll(view, make_ctx(1280, 96, t=t))


# ------------------------------------------------------------------------------- golden


def test_strip_golden():
    view, strip = render("ticker", 1280, 96, data=demo_snapshot())
    assert strip.shape == (96, view.period_px, 4)
    # a 1280-column window across the wrap: the end of the pass, the bullet, then its start again
    assert_golden("ticker_strip", np.concatenate([strip[:, -480:], strip[:, :800]], axis=1))


# ------------------------------------------------------------------------------- the view


def test_demo_headlines_newest_first_with_their_outlet():
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()))
    assert view.headlines == tuple(f"{outlet}: {title}" for outlet, title in HEADLINES)
    texts = [s.text for s in view.segments]
    assert texts[:3] == ["Les Echos", HEADLINES[0][1], "\u2022"]
    assert texts.count("\u2022") == len(HEADLINES)
    assert view.speed == 120.0 and view.status.ok and not view.empty


def test_posts_source_and_hidden_outlets():
    data = demo_snapshot()
    view = build("ticker", make_ctx(1280, 96, data=data), source="posts", limit=5)
    newest = sorted(data.posts, key=lambda p: (p.published_at, p.key), reverse=True)[:5]
    assert view.headlines == tuple(f"{p.author.name}: {(p.text or p.title).split(chr(10))[0][:160]}" for p in newest)
    bare = build("ticker", make_ctx(1280, 96, data=data), show_source=False)
    assert bare.headlines == tuple(title for _, title in HEADLINES)
    assert bare.period_px < build("ticker", make_ctx(1280, 96, data=data)).period_px


def test_period_is_one_pass_repeated_to_cover_the_zone():
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()))
    assert view.repeats == 1 and view.period_px == view.pass_px > 1280
    short = snapshot_with(posts=[article(1, "Short")])
    wide = build("ticker", make_ctx(3000, 96, data=short))
    assert wide.repeats > 1 and wide.period_px == wide.pass_px * wide.repeats >= 3000
    # positions come from measured widths: strictly increasing, inside one pass
    xs = [s.x for s in view.segments]
    assert xs == sorted(xs) and xs[0] == 0 and xs[-1] < view.pass_px


def test_period_measuring_is_cached_so_build_stays_cheap():
    data = demo_snapshot()
    build("ticker", make_ctx(1280, 96, data=data))
    before = ticker.text_width.cache_info()
    again = build("ticker", make_ctx(1280, 96, data=data, t=T0 + timedelta(seconds=7)))
    after = ticker.text_width.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    assert again == build("ticker", make_ctx(1280, 96, data=data))  # time alone never changes the view


# ------------------------------------------------------------------------------- scrolling


def test_scroll_is_a_pure_function_of_time():
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()))
    t = datetime(2026, 11, 23, 8, 30, 12, 345678, tzinfo=UTC)
    assert at(view, t) == at(view, t) == at(view, t.astimezone(timezone(timedelta(hours=1))))
    assert 0 <= at(view, t) < view.period_px
    # 120 px/s: one second later is 120 px further along (modulo the period)
    assert (at(view, t + timedelta(seconds=1)) - at(view, t)) % view.period_px == pytest.approx(120.0)
    assert (at(view, t + timedelta(milliseconds=250)) - at(view, t)) % view.period_px == pytest.approx(30.0)


def test_scroll_wraps_at_the_period():
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()), speed=100)
    t = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert at(view, t + timedelta(seconds=view.period_px / 100)) == pytest.approx(at(view, t), abs=1e-6)
    # the offset is speed * seconds since the epoch, modulo P
    assert at(view, t) == pytest.approx((100 * t.timestamp()) % view.period_px, abs=1e-4)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert at(view, epoch) == 0.0 and at(view, epoch + timedelta(seconds=1)) == 100.0


def test_scroll_is_still_when_speed_is_zero_or_nothing_to_show():
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()), speed=0)
    assert at(view, T0) == at(view, T0 + timedelta(minutes=3)) == 0.0
    empty = build("ticker", make_ctx(1280, 96, data=snapshot_with()))
    assert empty.empty and empty.speed == 0.0 and at(empty, T0 + timedelta(seconds=5)) == 0.0


# ------------------------------------------------------------------------------- the strip


def test_strip_is_as_wide_as_the_period():
    for width in (640, 1280, 3000):
        view = build("ticker", make_ctx(width, 80, data=snapshot_with(posts=[article(1, "Un titre court")])))
        strip = paint("ticker", view, width, 80)
        assert strip.shape == (80, view.period_px, 4) and view.period_px >= width


def test_strip_is_seamless_at_the_wrap():
    """The window that straddles column P (end of the strip, then its start) is exactly what the
    same content shows in the middle of a strip holding two passes, where nothing wraps."""
    view = build("ticker", make_ctx(1280, 96, data=demo_snapshot()))
    p = view.period_px
    strip = paint("ticker", view, 1280, 96)
    doubled = paint("ticker", dataclasses.replace(view, repeats=2, period_px=2 * p), 1280, 96)
    assert np.array_equal(doubled[:, :p], strip)
    k = 400
    across = np.concatenate([strip[:, p - k :], strip[:, :k]], axis=1)
    assert np.array_equal(across, doubled[:, p - k : p + k])
    # and the seam is not blank: text runs up to it and on from it
    assert len(np.unique(strip[20:76, :k, :3].reshape(-1, 3), axis=0)) > 20


def test_repeated_passes_paint_identically():
    short = snapshot_with(posts=[article(1, "Breaking: short headline")])
    view = build("ticker", make_ctx(3000, 96, data=short))
    strip = paint("ticker", view, 3000, 96)
    for r in range(1, view.repeats):
        assert np.array_equal(strip[:, : view.pass_px], strip[:, r * view.pass_px : (r + 1) * view.pass_px])


# ------------------------------------------------------------------------------- bad data and states


def test_a_10000_character_headline_is_cut():
    view, strip = render("ticker", 1280, 96, data=snapshot_with(posts=[article(1, "Crise " * 2000)]))
    (headline,) = view.headlines
    assert len(headline) <= len("Reuters: ") + ticker.MAX_TITLE_CHARS and headline.endswith("\u2026")
    assert strip.shape[1] == view.period_px < 8000


def test_many_headlines_stay_within_one_texture():
    posts = [
        article(i, f"Headline number {i} about the network and the fibre roll-out", minutes_ago=i) for i in range(50)
    ]
    view = build("ticker", make_ctx(1280, 120, data=snapshot_with(posts=posts)), limit=50)
    assert view.period_px <= ticker.MAX_STRIP_PX
    assert 1 <= len(view.headlines) < 50 and view.headlines[0].endswith(
        "number 0 about the network and the fibre roll-out"
    )


def test_control_and_bidi_characters_and_blank_titles():
    posts = [
        article(1, "\u202eevil\u202c title\x07"),
        article(2, "   ", minutes_ago=1),
        article(3, "عنوان عربي", outlet="الجزيرة", minutes_ago=2),
    ]
    view, strip = render("ticker", 1280, 96, data=snapshot_with(posts=posts))
    assert view.headlines == ("Reuters: evil title", "الجزيرة: عنوان عربي")
    assert strip.shape == (96, view.period_px, 4)


def test_articles_only_by_default():
    posts = [
        article(1, "A headline"),
        Post(key="p:1", source="t", published_at=T0, text="a post", author=Author(id="a", name="Someone")),
    ]
    assert build("ticker", make_ctx(1280, 96, data=snapshot_with(posts=posts))).headlines == ("Reuters: A headline",)
    assert len(build("ticker", make_ctx(1280, 96, data=snapshot_with(posts=posts)), source="posts").headlines) == 2


@pytest.mark.parametrize(
    "data,state",
    [
        (None, "unbound"),
        (snapshot_with(state="loading", as_of=None), "loading"),
        (snapshot_with(state="failing", as_of=None, error="timeout"), "failing"),
        (snapshot_with(), "ok"),
    ],
)
def test_nothing_to_show_is_a_still_placeholder_as_wide_as_the_zone(data, state):
    view, strip = render("ticker", 1280, 96, data=data)
    assert view.empty and view.status.state == state and view.period_px == 1280 and view.speed == 0
    assert strip.shape == (96, 1280, 4)
    assert len(np.unique(strip[:, :, :3].reshape(-1, 3), axis=0)) > 10


def test_stale_headlines_carry_the_note_in_the_band():
    stale = snapshot_with(posts=[article(1, "A headline")], state="stale", as_of=T0 - timedelta(minutes=9))
    view, strip = render("ticker", 1280, 96, data=stale)
    assert view.status.state == "stale" and not view.empty
    assert view.segments[0].text.startswith("\u26a0 data from ") and "9 min ago" in view.segments[0].text
    assert view.headlines == ("Reuters: A headline",)


def test_options_are_validated():
    for bad in ({"speed": -1}, {"source": "tv"}, {"limit": 0}, {"separator": ""}, {"sped": 3}):
        with pytest.raises(ValidationError):
            options("ticker", **bad)


@pytest.mark.parametrize("size", [(60, 12), (300, 40), (5760, 160)])
def test_odd_zone_sizes_paint_without_error(size):
    w, h = size
    view, strip = render("ticker", w, h, data=demo_snapshot())
    assert strip.shape == (h, view.period_px, 4) and view.period_px >= w


# ------------------------------------------------------------------------------- the room's legible size


def far(w: int, h: int, data=None, floor: float = 41.3):
    """A zone read from 4 m on 0.63 mm pixels: BuildContext.min_text_px 41.3 (42 in whole px)."""
    return dataclasses.replace(make_ctx(w, h, data=demo_snapshot() if data is None else data), min_text_px=floor)


@pytest.mark.parametrize("h", [80, 96, 135, 160])
def test_no_text_below_the_rooms_floor(h):
    view = build("ticker", far(1920, h))
    assert view.text_floor == 42 and view.font_size >= 42
    with record_text_sizes() as sizes:
        strip = paint("ticker", view, 1920, h)
    assert sizes and min(size for size, _ in sizes) >= 42, sorted(sizes)[:3]
    # the strip logic is unchanged: zone-high, one period wide, at least the zone's width
    assert strip.shape == (h, view.period_px, 4) and view.period_px >= 1920
    assert view.font_size * ticker_painter.LINE_EM <= h - 2 * ticker_painter.edge_px(h)  # a line fits between the edges


def test_a_short_band_is_raised_to_the_floor_and_its_period_follows():
    near = build("ticker", make_ctx(1280, 80, data=demo_snapshot()))
    view = build("ticker", far(1280, 80))
    assert near.font_size == 34 and view.font_size == 42
    assert view.period_px > near.period_px  # measured at the size it is painted
    assert ticker.scroll(view, far(1280, 80)) < view.period_px
    # a band taller than the floor needs is unchanged by it
    assert (
        build("ticker", far(1280, 160)).font_size
        == build("ticker", make_ctx(1280, 160, data=demo_snapshot())).font_size
    )


def test_a_band_too_short_for_the_floor_keeps_what_fits_between_its_edges():
    view = build("ticker", far(1280, 50))
    assert 21 < view.font_size < 42  # the legibility check warns about this zone; the text is not clipped
    assert view.font_size * ticker_painter.LINE_EM <= 50 - 2 * ticker_painter.edge_px(50)
    strip = paint("ticker", view, 1280, 50)
    assert strip.shape == (50, view.period_px, 4)


@pytest.mark.parametrize("data", [None, snapshot_with(state="failing", as_of=None, error="timeout"), snapshot_with()])
def test_the_placeholder_keeps_the_floor_too(data):
    ctx = dataclasses.replace(make_ctx(960, 96, data=data), min_text_px=41.3)
    view = build("ticker", ctx)
    with record_text_sizes() as sizes:
        strip = paint("ticker", view, 960, 96)
    assert view.empty and strip.shape == (96, 960, 4)
    assert sizes and min(size for size, _ in sizes) >= 42
    assert not sizes[-1][1].endswith("\u2026")  # what is painted is whole (the headline alone if need be)
