"""`holding`: the brand's logo, a calm line and the time: what visitors see while there is nothing
an operator has let through.

Three places show it:
- a scenario that binds it (a kill switch's `fallback_scenario` is one: the demo's `holding`);
- the kill switch without a fallback: the director's built-in holding screen, one of these per
  display (wall/scenes/holding.py), so no line of text ever meets a bezel;
- a zone whose widget has nothing to show because moderation holds it back (posts waiting for
  approval on an approve-first wall, everything while the kill switch is on): the scenes stage
  (wall/scenes/views.py) shows this card in its place, with a line such as "Posts appear here
  once approved".

Visitors never read a technical reason here. The view carries one (`reason`, and how many posts
wait) for state.json, the control API's zone state and the logs; the painter draws only the logo,
the title, the line and the clock.

Sizes follow the zone's physical size: each band is a share of the zone, and no line is taller
than a fixed height in mm (`px_per_mm`), so a 4K panel does not get twice-as-large letters and a
kiosk keeps them legible; nothing goes below the room's floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import skia
from pydantic import Field, field_validator

from feeds.sanitize import plain_text

from ..calendar_names import DAY_ABBR, MONTH_ABBR
from ..paint.card import card
from ..paint.images import PictureUnavailable, local_path, picture
from ..paint.surface import raster
from ..paint.text import Fitted, TextStyle, draw_fitted, fit
from .base import BindingBase, BuildContext, LocalOrZone, text_floor

NAME = "holding"
TEXT_BEARING = True

# the tallest each line may be, in mm on the panel: read from across a room, never shouting
LINE_MAX_MM = 80.0
CLOCK_MAX_MM = 110.0
DATE_MAX_MM = 40.0
TITLE_MAX_MM = 36.0


class HoldingOptions(BindingBase):
    widget: Literal["holding"]
    line: str = Field(
        default="", max_length=200, description="one calm sentence under the logo, e.g. 'Back in a moment'"
    )
    title: str = Field(default="", max_length=120, description="a small heading above the logo; default: none")
    clock: bool = Field(default=True, description="show the time and date under the logo")
    tz: LocalOrZone = Field(default="local", description="IANA time zone of the clock, or 'local'")
    logo: str | None = Field(
        default=None, max_length=1000, description="the picture to show; default: the theme's logo"
    )

    @field_validator("logo")
    @classmethod
    def _local(cls, v: str | None) -> str | None:
        if v is not None and local_path(v.strip()) is None:
            raise ValueError(f"'{v}' is not a local file; write e.g. 'asset:logo/wall-logo.png' or a path")
        return v.strip() if v is not None else None


Options = HoldingOptions  # the name the widget registry looks for


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


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: HoldingOptions, ctx: BuildContext) -> HoldingView:
    return holding_view(
        ctx,
        line=options.line,
        title=options.title,
        clock_tz=options.tz if options.clock else None,
        logo=options.logo,
    )


def holding_view(
    ctx: BuildContext,
    *,
    line: str = "",
    title: str = "",
    clock_tz: str | None = None,
    logo: str | None = None,
    reason: str = "",
    waiting: int = 0,
) -> HoldingView:
    """The holding card for a zone (the scenes stage calls this for zones moderation holds back)."""
    time_text = date_text = ""
    if clock_tz is not None:
        local = ctx.time.astimezone() if clock_tz == "local" else ctx.time.astimezone(ZoneInfo(clock_tz))
        time_text = f"{local.hour:02d}:{local.minute:02d}"
        date_text = f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]}"
    theme = ctx.theme
    return HoldingView(
        logo=local_path(logo or theme.logo) or "",
        title=plain_text(title, keep_newlines=False, max_chars=120),
        line=plain_text(line, keep_newlines=False, max_chars=200),
        time=time_text,
        date=date_text,
        background=theme.surface,
        frame=theme.background,
        text=theme.text,
        muted=theme.muted,
        accent=theme.accent,
        font=theme.font,
        px_per_mm=1.0 / max(ctx.pitch_mm[1], 1e-3),
        text_floor=text_floor(ctx),
        reason=reason,
        waiting=waiting,
    )


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
