"""Scrolling zones (tickers): a strip wider than the zone, moved by an offset each frame with
blits only, continuous across displays and bezels, wrapping seamlessly."""

from __future__ import annotations

import numpy as np
import pytest
from test_compositor import BACKGROUND, expected_output, landscape_and_rotated, random_rgba, two_panels

from wall.geometry import Rect
from wall.layout import Zone
from wall.render.compositor import Compositor


@pytest.fixture
def rng():
    return np.random.default_rng(99)


def canvas_with_strip(wall, zone, strip, offset):
    canvas = np.empty((wall.canvas_h, wall.canvas_w, 4), np.uint8)
    canvas[...] = BACKGROUND
    cols = (np.arange(zone.rect.w) + offset) % strip.shape[1]
    canvas[zone.rect.y : zone.rect.y1, zone.rect.x : zone.rect.x1] = strip[:, cols]
    return canvas


@pytest.mark.parametrize("offset", [0, 1, 37, 150, 199, 200, 263, -5])
def test_strip_shows_the_window_at_its_offset_on_every_display(gl_ctx, rng, offset):
    wall = two_panels()
    zone = Zone("ticker", Rect(0, 10, wall.canvas_w, 12), 0)
    strip = random_rgba(rng, 200, 12)  # period 200 > zone width 131: wraps inside the view
    comp = Compositor(gl_ctx, wall, BACKGROUND)
    try:
        comp.set_zones([zone])
        assert comp.upload("ticker", strip, strip=True) == strip.nbytes
        comp.scroll("ticker", offset)
        comp.compose()
        canvas = canvas_with_strip(wall, zone, strip, offset % 200)
        for d in ("A1", "B1"):
            assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d
    finally:
        comp.release()


def test_moving_the_offset_redraws_only_the_ticker_and_nothing_when_still(gl_ctx, rng):
    wall = two_panels()
    ticker = Zone("ticker", Rect(0, 20, wall.canvas_w, 12), 1)
    other = Zone("other", Rect(0, 0, wall.canvas_w, 20), 0)
    comp = Compositor(gl_ctx, wall, BACKGROUND)
    try:
        comp.set_zones([other, ticker])
        comp.upload("other", random_rgba(rng, other.rect.w, 20))
        comp.upload("ticker", random_rgba(rng, 300, 12), strip=True)
        comp.compose()
        comp.scroll("ticker", 4)
        stats = comp.compose()
        assert stats.pixels == 12 * (64 + 64)  # the ticker's visible pixels, nothing else
        comp.scroll("ticker", 4.2)  # rounds to the same column: nothing to do
        assert comp.compose().pixels == 0
    finally:
        comp.release()


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_display_scrolls_through_the_repeating_texture(gl_ctx, rng, rotation):
    wall = landscape_and_rotated(rotation)
    zone = Zone("ticker", Rect(0, 5, wall.canvas_w, 10), 0)
    strip = random_rgba(rng, 150, 10)
    comp = Compositor(gl_ctx, wall, BACKGROUND)
    try:
        comp.set_zones([zone])
        comp.upload("ticker", strip, strip=True)
        comp.scroll("ticker", 120)  # the window wraps inside the rotated display
        comp.compose()
        canvas = canvas_with_strip(wall, zone, strip, 120)
        for d in ("A1", "B1"):
            assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d
    finally:
        comp.release()


def test_a_wider_picture_is_refused_unless_it_is_a_strip(gl_ctx, rng):
    wall = two_panels()
    zone = Zone("z", Rect(0, 0, 50, 10), 0)
    comp = Compositor(gl_ctx, wall, BACKGROUND)
    try:
        comp.set_zones([zone])
        assert comp.upload("z", random_rgba(rng, 80, 10)) == 0
        assert comp.upload("z", random_rgba(rng, 40, 10), strip=True) == 0  # narrower than the zone
        assert comp.upload("z", random_rgba(rng, 80, 10), strip=True) > 0
    finally:
        comp.release()
