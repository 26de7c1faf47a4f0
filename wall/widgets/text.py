"""`text`: an operator's message, fitted to its zone at the largest size that fits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from feeds.sanitize import plain_text

from ..config.base import Color
from ..paint.card import card
from ..paint.surface import raster
from ..paint.text import TextStyle, draw_fitted, fit
from .base import BindingBase, BuildContext

NAME = "text"
TEXT_BEARING = True


class TextOptions(BindingBase):
    widget: Literal["text"]
    text: str = Field(max_length=10_000, description="the message; line breaks are kept")
    align: Literal["left", "center", "right"] = "center"
    color: Color | None = Field(default=None, description="text colour; default: the theme's")
    background: Color | None = Field(default=None, description="zone colour; default: the theme's surface")
    bold: bool = True
    max_size_px: int = Field(default=400, ge=8, le=2000, description="never larger than this")


Options = TextOptions  # the name the widget registry looks for


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


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: TextOptions, ctx: BuildContext) -> TextView:
    return TextView(
        text=plain_text(options.text),
        align=options.align,
        color=options.color or ctx.theme.text,
        background=options.background or ctx.theme.surface,
        frame=ctx.theme.background,
        font=ctx.theme.font,
        bold=options.bold,
        max_size_px=options.max_size_px,
        # a margin proportional to the zone keeps text off the zone's edges at every size
        padding_px=max(4, round(min(ctx.width, ctx.height) * 0.06)),
    )


def paint(view: TextView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.background)
        inner_w, inner_h = w - 2 * view.padding_px, h - 2 * view.padding_px
        if inner_w > 4 and inner_h > 4 and view.text:
            style = TextStyle(family=view.font, color=view.color, bold=view.bold, align=view.align)
            fitted = fit(view.text, inner_w, inner_h, style, max_size=view.max_size_px, min_size=8)
            draw_fitted(canvas, fitted, x + view.padding_px, y + view.padding_px, inner_h)
    return pixels
