"""`text`'s views and painter; its options and builder are in wall/widgets/text.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..paint.card import card
from ..paint.surface import raster
from ..paint.text import TextStyle, draw_fitted, fit


@dataclass(frozen=True)
class TextView:
    text: str
    align: str
    color: str
    background: str
    frame: str
    font: str
    bold: bool
    max_size_px: int
    padding_px: int


def paint(view: TextView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.background)
        inner_w, inner_h = w - 2 * view.padding_px, h - 2 * view.padding_px
        if inner_w > 4 and inner_h > 4 and view.text:
            style = TextStyle(family=view.font, color=view.color, bold=view.bold, align=view.align)
            fitted = fit(view.text, inner_w, inner_h, style, max_size=view.max_size_px, min_size=8)
            draw_fitted(canvas, fitted, x + view.padding_px, y + view.padding_px, inner_h)
    return pixels
