"""`testpattern`'s views and painter; its options and builder are in wall/widgets/testpattern.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skia

from ..paint.surface import raster

LINE_WIDTH_PX = 3.0
SPACING_MM = 100.0


@dataclass(frozen=True)
class TestPatternView:
    pattern: str
    origin: tuple[int, int]
    pitch_mm: tuple[float, float]


def _paint_bezel(canvas: skia.Canvas, view: TestPatternView, w: int, h: int) -> None:
    ox, oy = view.origin
    px, py = view.pitch_mm
    paint = skia.Paint(
        Color=skia.ColorWHITE, StrokeWidth=LINE_WIDTH_PX, Style=skia.Paint.kStroke_Style, AntiAlias=False
    )
    # zone extent in wall mm (skia's pixel (i, j) spans [i, i+1): its centre is i + 0.5)
    x0, x1 = ox * px, (ox + w) * px
    y0, y1 = oy * py, (oy + h) * py
    margin = 10.0
    for sign in (-1, 1):  # sign -1: x - y = c ; sign +1: x + y = c
        lo, hi = (x0 + y0, x1 + y1) if sign > 0 else (x0 - y1, x1 - y0)
        for k in range(math.floor(lo / SPACING_MM) - 1, math.ceil(hi / SPACING_MM) + 2):
            c = k * SPACING_MM
            # x_mm = c - sign*y_mm  ->  local px coordinates at the top and bottom beyond the zone
            pts = []
            for ly in (-margin, h + margin):
                y_mm = (oy + ly) * py
                x_mm = c - sign * y_mm
                pts.append((x_mm / px - ox, ly))
            canvas.drawLine(pts[0][0], pts[0][1], pts[1][0], pts[1][1], paint)


def _paint_grid(canvas: skia.Canvas, view: TestPatternView, w: int, h: int) -> None:
    ox, oy = view.origin
    px, py = view.pitch_mm
    thin = skia.Paint(Color=skia.Color(160, 160, 160), StrokeWidth=1, AntiAlias=False)
    bold = skia.Paint(Color=skia.ColorWHITE, StrokeWidth=3, AntiAlias=False)
    k0, k1 = math.floor(ox * px / SPACING_MM), math.ceil((ox + w) * px / SPACING_MM)
    for k in range(k0, k1 + 1):
        x = k * SPACING_MM / px - ox
        canvas.drawLine(x, 0, x, h, bold if k % 10 == 0 else thin)
    k0, k1 = math.floor(oy * py / SPACING_MM), math.ceil((oy + h) * py / SPACING_MM)
    for k in range(k0, k1 + 1):
        y = k * SPACING_MM / py - oy
        canvas.drawLine(0, y, w, y, bold if k % 10 == 0 else thin)
    ring = skia.Paint(Color=skia.Color(255, 121, 0), StrokeWidth=4, Style=skia.Paint.kStroke_Style, AntiAlias=True)
    # one circle of 200 mm radius at the zone centre: any stretch shows as an ellipse
    canvas.drawOval(skia.Rect.MakeXYWH(w / 2 - 200 / px, h / 2 - 200 / py, 400 / px, 400 / py), ring)


def paint(view: TestPatternView, width: int, height: int) -> np.ndarray:
    with raster(width, height, "#000000") as (canvas, pixels):
        if view.pattern == "bezel":
            _paint_bezel(canvas, view, width, height)
        else:
            _paint_grid(canvas, view, width, height)
    return pixels
