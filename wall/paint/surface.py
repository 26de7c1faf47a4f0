"""A skia canvas drawing straight into the numpy RGBA array that will be uploaded as a texture, and the
paints painters fill and stroke it with (from the config's '#rrggbb[aa]' colours)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import skia

from ..colors import rgba


def color(hex_color: str) -> int:
    r, g, b, a = rgba(hex_color)
    return skia.Color(r, g, b, a)


# Where a raster's pixels are allocated: zeroed memory of this process, unless a paint worker paints
# straight into the shared memory its picture is handed over in (wall/render/paint_pool.py), which
# spares a copy of every picture and keeps megabyte-sized blocks out of the worker's heap.
Allocate = Callable[[tuple[int, int, int]], np.ndarray]
_allocate: ContextVar[Allocate | None] = ContextVar("raster_allocate", default=None)


@contextmanager
def rasters_in(allocate: Allocate) -> Iterator[None]:
    """Rasters made inside this block take their (zeroed) pixels from `allocate(shape)`."""
    token = _allocate.set(allocate)
    try:
        yield
    finally:
        _allocate.reset(token)


@contextmanager
def raster(width: int, height: int, background: str | None = None) -> Iterator[tuple[skia.Canvas, np.ndarray]]:
    """Yield (canvas, pixels): pixels is (height, width, 4) uint8 RGBA, row 0 at the top.

    Zone textures are opaque: painters always start from a solid background so a blit (which
    cannot blend) gives the same picture as drawing."""
    allocate = _allocate.get()
    shape = (height, width, 4)
    pixels = allocate(shape) if allocate is not None else np.zeros(shape, np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    canvas = surface.getCanvas()
    if background is not None:
        canvas.clear(color(background))
    yield canvas, pixels
    del canvas, surface
    pixels[:, :, 3] = 255


def fill(c: str, alpha: float = 1.0) -> skia.Paint:
    """An antialiased fill in colour c, at `alpha` opacity."""
    p = skia.Paint(Color=color(c), AntiAlias=True)
    if alpha < 1.0:
        p.setAlphaf(alpha)
    return p


def stroke(c: str, width: float, *, cap: str = "round") -> skia.Paint:
    """An antialiased line `width` px wide with round joins, and round or butt ends."""
    p = skia.Paint(Color=color(c), AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=width)
    p.setStrokeCap(skia.Paint.kRound_Cap if cap == "round" else skia.Paint.kButt_Cap)
    p.setStrokeJoin(skia.Paint.kRound_Join)
    return p
