"""The lobby kiosk (config/kiosk.yaml) reads right whatever the feed holds: its posts fill their
grid with 1, 2, 3 or 5 posts (cards grow, no empty holes), and its clock fits its zone."""

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from zone_kit import load, zones

from wall.paint.card import card_box
from wall.paint.text import record_text_sizes
from wall.widgets.registry import widget

T = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def kiosk():
    return load("config/kiosk.yaml")


def _zone(kiosk, zone_id, t=T):
    return next((ctx, b) for zid, ctx, b in zones(kiosk, "lobby", t) if zid == zone_id)


def _posts_view(kiosk, n, t):
    """The posts zone's view at t with a feed of the demo's n newest distinct posts."""
    ctx, binding = _zone(kiosk, "posts", t)
    module = widget("top_posts")
    posts = ctx.data.posts
    for k in range(n, len(posts) + 1):  # cross-posted copies share a card: take posts until n cards
        data = dataclasses.replace(ctx.data, posts=posts[:k])
        view = module.build(binding, dataclasses.replace(ctx, data=data))
        if view.pages * len(view.posts) >= n or len(view.posts) >= n:
            break
    return ctx, view


def _background_share(pixels, ctx, background):
    """The share of the card area (under the header) left the zone's background colour: gutters only
    when the cards fill their grid, a card's worth more for each hole."""
    x, y, w, h = card_box(ctx.width, ctx.height)
    body = pixels[y + int(h * 0.2) : y + h, x : x + w, :3].astype(int)
    bg = np.array([int(background[i : i + 2], 16) for i in (1, 3, 5)])
    return float((np.abs(body - bg).max(axis=2) <= 3).mean())


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_the_kiosk_posts_fill_their_grid(kiosk, n):
    module = widget("top_posts")
    seen = 0
    for page_start in range(0, 48, 12):  # every page (12 s each), settled: after its transition
        t = T + timedelta(seconds=page_start + 6)
        ctx, view = _posts_view(kiosk, n, t)
        assert view.progress == 1.0
        seen += len(view.posts)
        assert view.columns * view.rows - len(view.posts) < view.columns, (n, view.columns, view.rows)
        pixels = module.paint(view, ctx.width, ctx.height)
        share = _background_share(pixels, ctx, view.background)
        # a hole is a whole card of background (a sixth of the area or more); gutters are a few %
        assert share < 0.08, f"{n} posts, page {view.page}: {share:.0%} of the grid is empty"
    assert seen >= n


@pytest.mark.parametrize("hour", [0, 9, 13, 23])
def test_the_kiosk_clock_fits_its_zone(kiosk, hour):
    ctx, binding = _zone(kiosk, "clock")
    ctx = dataclasses.replace(ctx, time=T.replace(hour=hour, minute=58))
    module = widget("clock")
    view = module.build(binding, ctx)
    with record_text_sizes() as sizes:
        pixels = module.paint(view, ctx.width, ctx.height)
    x, y, w, h = card_box(ctx.width, ctx.height)
    ink = np.abs(pixels[:, :, :3].astype(int) - pixels[h // 2 + y, x + 2, :3].astype(int)).max(axis=2) > 40
    ink[:y] = ink[y + h :] = False  # outside the card: the zone's frame
    ink[:, :x] = ink[:, x + w :] = False
    rows, cols = np.nonzero(ink)
    assert rows.size, "the clock painted nothing"
    # all text inside the card, clear of its edges (not cut, not touching)
    margin = min(w, h) * 0.04
    assert rows.min() > y + margin and rows.max() < y + h - margin, (rows.min(), rows.max(), y, h)
    assert cols.min() > x + margin and cols.max() < x + w - margin, (cols.min(), cols.max(), x, w)
    # the time is the zone's main text: it takes most of the strip's height (stacked over its caption
    # it got under half), and nothing is below the floor
    time_size = max(size for size, text in sizes if ":" in text)
    assert time_size >= 0.55 * h, (time_size, h)
    assert min(size for size, _ in sizes) >= ctx.min_text_px - 1e-6, sizes
    assert not any(text.endswith("\u2026") for _, text in sizes), sizes
