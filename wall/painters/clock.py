"""`clock`'s views and painter; its options and builder are in wall/widgets/clock.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..paint.card import card
from ..paint.surface import raster
from ..paint.text import TextStyle, draw_fitted, fit


@dataclass(frozen=True)
class ClockEntry:
    label: str
    time: str
    date: str


@dataclass(frozen=True)
class ClockView:
    entries: tuple[ClockEntry, ...]
    text: str
    muted: str
    background: str
    frame: str
    accent: str


def paint(view: ClockView, width: int, height: int) -> np.ndarray:
    n = len(view.entries)
    with raster(width, height, view.frame) as (canvas, pixels):
        bx, by, bw, bh = card(canvas, width, height, view.background)
        # side by side unless that would make each clock narrower than it is tall
        horizontal = n == 1 or bw / n >= 0.8 * bh
        for i, entry in enumerate(view.entries):
            if horizontal:
                x0, x1, y0, y1 = bx + bw * i // n, bx + bw * (i + 1) // n, by, by + bh
            else:
                x0, x1, y0, y1 = bx, bx + bw, by + bh * i // n, by + bh * (i + 1) // n
            cw, ch = x1 - x0, y1 - y0
            pad = max(2, round(min(cw, ch) * 0.06))
            if cw >= 3.5 * ch and (entry.label or entry.date):
                _paint_beside(canvas, view, entry, x0 + pad, y0 + pad, cw - 2 * pad, ch - 2 * pad)
            else:
                _paint_stacked(canvas, view, entry, x0 + pad, y0 + pad, cw - 2 * pad, ch - 2 * pad)
    return pixels


def _paint_stacked(canvas: skia.Canvas, view: ClockView, entry: ClockEntry, x: float, y: float, w: float, h: float):
    """The time over its caption ("Paris · Mon 23 Nov"), for a cell about as tall as it is wide."""
    caption = " · ".join(s for s in (entry.label, entry.date) if s)
    time_h = h * (0.68 if caption else 1.0)
    big = fit(entry.time, w, time_h, TextStyle("Noto Sans Mono", view.text, True, "center"), min_size=6)
    draw_fitted(canvas, big, x, y, time_h, "bottom")
    if caption:
        cap_h = h - time_h
        small = fit(
            caption,
            w,
            cap_h,
            TextStyle("Noto Sans", view.muted, False, "center"),
            max_size=max(8.0, big.size * 0.4),
            min_size=6,
        )
        draw_fitted(canvas, small, x, y + time_h, cap_h, "top")


def _paint_beside(canvas: skia.Canvas, view: ClockView, entry: ClockEntry, x: float, y: float, w: float, h: float):
    """A wide, short cell (a kiosk's clock strip): the time takes the cell's whole height and its
    place and date stand beside it on two lines, the pair centred; stacked, the time would get
    two thirds of a short height and leave most of the width empty."""
    big = fit(entry.time, w * 0.6, h, TextStyle("Noto Sans Mono", view.text, True, "left"), min_size=6)
    gap = big.size * 0.45
    caption = "\n".join(s for s in (entry.label, entry.date) if s)
    small = fit(
        caption,
        max(1.0, w - big.paragraph.LongestLine - gap),
        h * 0.8,
        TextStyle("Noto Sans", view.muted, False, "left"),
        max_size=max(8.0, big.size * 0.36),
        min_size=6,
    )
    left = x + (w - big.paragraph.LongestLine - gap - small.paragraph.LongestLine) / 2
    draw_fitted(canvas, big, left, y, h, "middle")
    draw_fitted(canvas, small, left + big.paragraph.LongestLine + gap, y, h, "middle")
