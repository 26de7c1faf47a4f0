"""`identify`'s views and painter; its options and builder are in wall/widgets/identify.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..paint.surface import color, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph

TEXT = "#ffffff"
FRAME = "#facc15"


@dataclass(frozen=True)
class IdentifyView:
    display: str
    lines: tuple[str, ...]
    background: str


def _one_line(text: str, width: float, height: float, style: TextStyle, max_size: float):
    """Fitted at the largest size at which `text` stays on one line (an id broken over two lines
    reads as two ids)."""
    lo, hi = 6, int(max(6, min(max_size, height)))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        p = paragraph(text, mid, 1e6, style)
        if p.LongestLine <= width and p.Height <= height:
            lo = mid
        else:
            hi = mid - 1
    return fit(text, width, height, style, max_size=lo, min_size=min(lo, 6))


def paint(view: IdentifyView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.background) as (canvas, pixels):
        short = min(width, height)
        frame = max(6, round(short * 0.025))
        paint_ = skia.Paint(Color=color(FRAME), Style=skia.Paint.kStroke_Style, StrokeWidth=frame, AntiAlias=False)
        canvas.drawRect(skia.Rect.MakeXYWH(frame / 2, frame / 2, width - frame, height - frame), paint_)
        pad = frame * 2 + round(short * 0.04)
        x, y, w, h = pad, pad, width - 2 * pad, height - 2 * pad
        if w <= 0 or h <= 0:
            return pixels
        # the id takes most of the panel, the other lines share what is left; the block is centred
        big = _one_line(
            view.display,
            w,
            h * (0.62 if view.lines else 1.0),
            TextStyle("Noto Sans", TEXT, True, "center"),
            max_size=4000,
        )
        band = h * 0.38 / max(1, len(view.lines))
        small = [
            _one_line(
                line, w, band * 0.85, TextStyle("Noto Sans", TEXT, i == 0, "center"), max_size=max(6.0, big.size * 0.3)
            )
            for i, line in enumerate(view.lines)
        ]
        gap = big.size * 0.08
        total = big.paragraph.Height + sum(f.paragraph.Height + gap for f in small)
        top = y + max(0.0, (h - total) / 2)
        draw_fitted(canvas, big, x, top, big.paragraph.Height, "top")
        top += big.paragraph.Height
        for f in small:
            top += gap
            draw_fitted(canvas, f, x, top, f.paragraph.Height, "top")
            top += f.paragraph.Height
    return pixels
