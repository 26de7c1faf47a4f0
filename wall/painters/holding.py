"""`holding`'s views and painter; its options and builder are in wall/widgets/holding.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..paint.card import card
from ..paint.images import PictureUnavailable, picture
from ..paint.surface import raster
from ..paint.text import Fitted, TextStyle, draw_fitted, fit

# the tallest each line may be, in mm on the panel: read from across a room, never shouting
LINE_MAX_MM = 80.0
CLOCK_MAX_MM = 110.0
DATE_MAX_MM = 40.0
TITLE_MAX_MM = 36.0


@dataclass(frozen=True)
class HoldingView:
    logo: str  # the file (resolved path; "" when none)
    title: str
    line: str
    time: str  # "09:30", or "" without a clock
    date: str  # "Mon 23 Nov", or ""
    background: str
    frame: str
    text: str
    muted: str
    accent: str
    font: str
    px_per_mm: float
    text_floor: float = 0.0
    # for state.json, the API and logs only: why the zone holds (never painted)
    reason: str = ""
    waiting: int = 0  # posts waiting for an operator's approval, when that is the reason


def paint(view: HoldingView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.background)
        pad = min(w, h) * 0.08
        iw, ih = w - 2 * pad, h - 2 * pad
        if iw < 8 or ih < 8:
            return pixels
        floor = max(8.0, view.text_floor)
        mm = view.px_per_mm

        def line(text: str, ink: str, bold: bool, share: float, max_mm: float, family: str = "") -> Fitted:
            # as large as its share of the card allows, never past max_mm on the panel nor below the floor
            cap = max(floor, min(ih * share, max_mm * mm))
            return fit(
                text, iw, cap * 1.4, TextStyle(family or view.font, ink, bold, "center"), max_size=cap, min_size=floor
            )

        # the blocks, top to bottom, each sized to its content; the stack is centred in the card
        above = [line(view.title, view.muted, False, 0.06, TITLE_MAX_MM)] if view.title else []
        below: list[Fitted] = []
        if view.line:
            below.append(line(view.line, view.text, True, 0.13, LINE_MAX_MM))
        date = None
        if view.time:
            below.append(line(view.time, view.text, True, 0.26, CLOCK_MAX_MM, "Noto Sans Mono"))
            if view.date:
                date = line(view.date, view.muted, False, 0.07, DATE_MAX_MM)
                below.append(date)
        gap = ih * 0.05
        logo = None
        if view.logo:
            texts_h = sum(f.paragraph.Height for f in above + below)
            room = ih - texts_h - gap * len(above + below)
            try:  # contained in at most 70 % of the width and 42 % of the height: calm, not a splash
                logo = picture(view.logo, round(iw * 0.7), round(max(1.0, min(room, ih * 0.42))), "contain")
            except PictureUnavailable:
                logo = None  # no logo file: the line and the clock still say "this wall is fine"
        blocks: list[Fitted | skia.Image] = [*above, *([logo] if logo is not None else []), *below]
        heights = [float(b.height()) if isinstance(b, skia.Image) else b.paragraph.Height for b in blocks]
        gaps = [0.0 if b is date else gap for b in blocks[1:]] + [0.0]  # the date sits right under its clock
        top = y + pad + max(0.0, (ih - sum(heights) - sum(gaps)) / 2)
        for b, bh, after in zip(blocks, heights, gaps, strict=True):
            if isinstance(b, skia.Image):
                canvas.drawImage(b, round(x + pad + (iw - b.width()) / 2), round(top))
            else:
                draw_fitted(canvas, b, x + pad, top, bh, "top")
            top += bh + after
    return pixels
