"""`clock`: the time in one or several time zones. Driven by the frame's time only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from ..calendar_names import DAY_ABBR, MONTH_ABBR
from ..config.base import StrictModel
from ..painters.clock import ClockEntry, ClockView
from ..painters.clock import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, LocalOrZone

NAME = "clock"
TEXT_BEARING = True


class ClockZone(StrictModel):
    tz: LocalOrZone = Field(default="local", description="IANA time zone, e.g. 'Europe/Paris', or 'local'")
    label: str | None = Field(default=None, description="shown under the time; default: the city of tz")


class ClockOptions(BindingBase):
    widget: Literal["clock"]
    zones: list[ClockZone] = Field(default_factory=lambda: [ClockZone()], min_length=1, max_length=8)
    seconds: bool = False
    hour_format: Literal["24h", "12h"] = "24h"
    show_date: bool = True


Options = ClockOptions  # the name the widget registry looks for


def _label(zone: ClockZone) -> str:
    if zone.label is not None:
        return zone.label
    if zone.tz == "local":
        return ""
    return zone.tz.rsplit("/", 1)[-1].replace("_", " ")


def _entry(zone: ClockZone, now: datetime, options: ClockOptions) -> ClockEntry:
    local = now.astimezone() if zone.tz == "local" else now.astimezone(ZoneInfo(zone.tz))
    if options.hour_format == "12h":
        hour = local.hour % 12 or 12
        suffix = " AM" if local.hour < 12 else " PM"
    else:
        hour, suffix = local.hour, ""
    time_text = f"{hour:02d}:{local.minute:02d}" + (f":{local.second:02d}" if options.seconds else "") + suffix
    date_text = f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]}" if options.show_date else ""
    return ClockEntry(_label(zone), time_text, date_text)


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: ClockOptions, ctx: BuildContext) -> ClockView:
    return ClockView(
        entries=tuple(_entry(z, ctx.time, options) for z in options.zones),
        text=ctx.theme.text,
        muted=ctx.theme.muted,
        background=ctx.theme.surface,
        frame=ctx.theme.background,
        accent=ctx.theme.accent,
    )
