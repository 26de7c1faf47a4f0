"""`alert`: a full-width banner for crisis mode: severity, title, message, and since when.

Big and unmistakable without being garish: the banner is the theme's surface tinted by the
severity colour (info: the brand accent, warning: the theme's warn, critical: its breach colour),
with a solid severity bar, an icon and a label, so the severity never depends on colour alone.
The bar can pulse; its intensity is a quantised function of the wall-clock time (4 steps per
second on a 2 s cycle, the same on every machine), so the banner is repainted at most 4 times a
second and never per frame.

Legibility: no text is laid out below the room's floor (BuildContext.min_text_px, carried in the
view as `text_floor`, rounded up to whole px): the severity row is given the height its label needs
at the floor, a 'since' line that does not fit whole at the floor drops its elapsed time (then
itself), and a message that has no room for a line at the floor is left out so the title keeps its
size. Only a zone too short for the title at the floor gets a smaller one (and `wallctl check` warns).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from feeds.sanitize import plain_text

from ..colors import INK_DARK, mix
from ..painters.alert import PULSE_STEPS_PER_S, AlertView, pulse_level, since_text
from ..painters.alert import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, DataStatus, LocalOrZone, data_status, text_floor

NAME = "alert"
TEXT_BEARING = True


# Runs across displays by design: its title, message and 'since' line are laid out around the
# mullions (wall/paint/text.py), so the config loader does not warn that the zone spans displays;
# `wallctl check` still warns about any of its text that would meet a bezel.
SPANS_BEZELS = True


# the view changes with time only at the pulse's steps (and whole seconds: "since" texts)
TIME_STEP_S = 1 / PULSE_STEPS_PER_S


class AlertOptions(BindingBase):
    widget: Literal["alert"]
    title: str = Field(min_length=1, max_length=300, description="the headline, e.g. 'Network outage in Île-de-France'")
    message: str = Field(default="", max_length=2000, description="one or two sentences under the title")
    severity: Literal["info", "warning", "critical"] = "critical"
    since: datetime | None = Field(
        default=None,
        description="when the situation started (ISO 8601, e.g. 2026-11-23T09:40:00+01:00); shown as 'since 09:40'",
    )
    tz: LocalOrZone = Field(
        default="local", description="IANA time zone the 'since' time is shown in (and read in, if it has no offset)"
    )
    pulse: bool | None = Field(default=None, description="pulse the severity bar; default: only for critical alerts")
    label: str | None = Field(
        default=None, max_length=40, description="severity label; default 'CRITICAL' / 'WARNING' / 'INFO'"
    )


Options = AlertOptions  # the name the widget registry looks for


def build(options: AlertOptions, ctx: BuildContext) -> AlertView:
    theme = ctx.theme
    tone = {"info": theme.accent, "warning": theme.warn, "critical": theme.breach}[options.severity]
    pulsing = options.pulse if options.pulse is not None else options.severity == "critical"
    # the banner is written by an operator, not read from a feed: no feed bound is the normal case
    status = data_status(ctx.data, ctx.time, ctx.min_text_px) if ctx.data is not None else DataStatus("ok")
    return AlertView(
        severity=options.severity,
        label=plain_text(options.label, keep_newlines=False) if options.label else options.severity.upper(),
        title=plain_text(options.title, keep_newlines=False),
        message=plain_text(options.message),
        since_text=since_text(options.since, ctx.time, options.tz),
        pulse_level=pulse_level(ctx.time) if pulsing else 4,
        pulsing=pulsing,
        status=status,
        tone=tone,
        tint=mix(theme.surface, tone, 0.14 if theme.variant == "dark" else 0.1),
        on_tone=INK_DARK,
        text=theme.text,
        muted=theme.muted,
        frame=theme.background,
        font=theme.font,
        text_floor=text_floor(ctx),
    )
