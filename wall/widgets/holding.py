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

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from feeds.sanitize import plain_text

from ..calendar_names import DAY_ABBR, MONTH_ABBR
from ..paint.images import local_path
from ..painters.holding import HoldingView
from ..painters.holding import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, LocalOrZone, text_floor

NAME = "holding"
TEXT_BEARING = True


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
