"""`text`: an operator's message, fitted to its zone at the largest size that fits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from feeds.sanitize import plain_text

from ..config.base import Color
from ..painters.text import TextView
from ..painters.text import paint as paint  # the widget's painter
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
