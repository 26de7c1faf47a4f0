"""A figure painted big: the number as large as its box allows, its unit smaller beside it on the
same baseline (the kpi's value, the gauge's centre, the share of heart)."""

from __future__ import annotations

import math

import skia

from .text import TextStyle, fit, paragraph


def draw_number(
    canvas: skia.Canvas,
    number: str,
    unit: str,
    x: float,
    y: float,
    w: float,
    h: float,
    font: str,
    text_color: str,
    unit_color: str,
    align: str = "left",
    max_size: float = 400,
    unit_floor: float = 0.0,
    unit_required: bool = False,
) -> float:
    """The number as large as fits the box, its unit at 45 % of it (never under unit_floor) beside
    it on the same baseline; a unit that would push the number under unit_floor is left out, unless
    `unit_required` (a figure whose meaning needs its unit: the number shrinks instead, to 8 px at
    the least). Returns the number's font size.

    Sizes are solved from widths measured once (text width is proportional to its size), so no
    trial layout at a size that is not painted is ever laid out (the legibility check records
    every paragraph painters make)."""
    style = TextStyle(font, text_color, True, "left")
    unit_style = TextStyle(font, unit_color, False, "left")
    alone = fit(number, w, h, style, max_size=max_size, min_size=8)
    size0 = alone.size
    num_w0 = alone.paragraph.LongestLine / size0  # width per px of size
    num_p, unit_p, gap, size = alone.paragraph, None, 0.0, size0
    if unit:
        ref = max(size0, unit_floor)
        unit_w0 = paragraph(unit, ref, w * 4, unit_style).LongestLine / ref
        # largest s <= size0 with s*num_w0 + 0.12 s + unit_w0 * max(0.45 s, floor) <= w
        s_prop = w / (num_w0 + 0.12 + 0.45 * unit_w0)
        if 0.45 * s_prop < unit_floor:
            s_prop = (w - unit_w0 * unit_floor) / (num_w0 + 0.12)
        size = float(math.floor(min(size0, s_prop)))
        if unit_required:
            size = max(size, 8.0)
        if size >= max(8.0, unit_floor) or unit_required:
            num_p = paragraph(number, size, w * 4, style)
            unit_p = paragraph(unit, min(size, max(size * 0.45, unit_floor)), w * 4, unit_style)
            gap = size * 0.12
            if num_p.LongestLine + gap + unit_p.LongestLine > w + 1.0 and not unit_required:
                unit_p = None  # the proportional estimate missed
        if unit_p is None:
            num_p, gap, size = alone.paragraph, 0.0, size0
    total = num_p.LongestLine + gap + (unit_p.LongestLine if unit_p else 0.0)
    left = {"left": x, "center": x + (w - total) / 2, "right": x + w - total}[align]
    top = y + (h - num_p.Height) / 2
    num_p.paint(canvas, left, top)
    if unit_p:
        base = top + num_p.AlphabeticBaseline
        unit_p.paint(canvas, left + num_p.LongestLine + gap, base - unit_p.AlphabeticBaseline)
    return size
