"""A skia canvas drawing straight into the numpy RGBA array that will be uploaded as a texture."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import skia

from ..config.base import rgba


def color(hex_color: str) -> int:
    r, g, b, a = rgba(hex_color)
    return skia.Color(r, g, b, a)


@contextmanager
def raster(width: int, height: int, background: str | None = None) -> Iterator[tuple[skia.Canvas, np.ndarray]]:
    """Yield (canvas, pixels): pixels is (height, width, 4) uint8 RGBA, row 0 at the top.

    Zone textures are opaque: painters always start from a solid background so a blit (which
    cannot blend) gives the same picture as drawing."""
    pixels = np.zeros((height, width, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    canvas = surface.getCanvas()
    if background is not None:
        canvas.clear(color(background))
    yield canvas, pixels
    del canvas, surface
    pixels[:, :, 3] = 255


def card(canvas: skia.Canvas, width: int, height: int, fill: str) -> tuple[int, int, int, int]:
    """A rounded card inset from the zone's edges, so neighbouring zones read as separate panels.
    Returns the card's inner box (x, y, w, h) for content."""
    gutter = max(3, round(min(width, height) * 0.022))
    radius = gutter * 1.6
    rect = skia.Rect.MakeXYWH(gutter, gutter, width - 2 * gutter, height - 2 * gutter)
    canvas.drawRoundRect(rect, radius, radius, skia.Paint(Color=color(fill), AntiAlias=True))
    return gutter, gutter, width - 2 * gutter, height - 2 * gutter
