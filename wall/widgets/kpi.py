"""`kpi`: one big number (followers, engagement rate, posts, estimated reach) with its unit, its
change versus the previous period and, optionally, a sparkline of its recent history.

The change is coloured by whether it is good news: a rise is good for a metric where higher is
better and bad where lower is better (`Metric.higher_is_better`). For a metric measured in % (an
engagement rate) the change is given in percentage points by default, because "3.1 % -> 3.5 %"
reads as "+0.4 pt" to an analyst, not as "+13 %"; `change: percent` forces the relative change.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from feeds.sanitize import plain_text

from ..numbers import DASH, finite, fixed, human_number, whole
from ..painters.kpi import KpiView
from ..painters.kpi import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, caption_for, data_status, format_value, metric_of
from .base import text_floor as _floor

NAME = "kpi"
TEXT_BEARING = True
SPARK_MAX_POINTS = 240  # more points than this cannot be told apart on a sparkline


class KpiOptions(BindingBase):
    widget: Literal["kpi"]
    metric: str = Field(min_length=1, max_length=200, description="metric name in the feed, e.g. 'kpi.followers'")
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")
    sparkline: bool = Field(default=False, description="draw the metric's series as a sparkline under the number")
    change: Literal["auto", "percent", "points"] = Field(
        default="auto",
        description="how the change vs the previous period is given: 'percent' (relative), 'points' "
        "(absolute, in the metric's unit); 'auto': points for % metrics, else percent",
    )
    allow_negative: bool = Field(
        default=False,
        description="show values below zero as they are (net change, NPS); by default a negative count is shown as 0",
    )


Options = KpiOptions  # the name the widget registry looks for


def _change(value: float | None, previous: float | None, unit: str, mode: str) -> tuple[str, str, float | None]:
    """(text, direction, delta) of value vs previous; text without sign (the arrow carries it)."""
    if value is None or previous is None:
        return "", "", None
    points = mode == "points" or (mode == "auto" and unit.strip() == "%")
    if points:
        delta = value - previous
        unit_text = " pt" if unit.strip() == "%" else (f" {unit}" if unit else "")
        shown = human_number(abs(delta))
        text = shown + unit_text
    else:
        if previous == 0:
            return "", "", None
        delta = (value - previous) / abs(previous) * 100
        a = abs(delta)
        shown = fixed(a, 1) if a < 10 else human_number(whole(a))
        text = shown + " %"
    if shown == "0":
        return text, "flat", 0.0
    return text, "up" if delta > 0 else "down", delta


def _spark(series, allow_negative: bool) -> tuple[float, ...]:
    values = [finite(v) for _, v in (series or ())]
    values = [v if allow_negative else max(0.0, v) for v in values if v is not None]
    if len(values) < 2:
        return ()
    if len(values) > SPARK_MAX_POINTS:  # evenly spaced samples, keeping the last (today's) point
        step = (len(values) - 1) / (SPARK_MAX_POINTS - 1)
        values = [values[round(i * step)] for i in range(SPARK_MAX_POINTS)]
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return tuple(0.5 for _ in values)
    return tuple(round((v - lo) / (hi - lo), 4) for v in values)


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: KpiOptions, ctx: BuildContext) -> KpiView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    m = metric_of(ctx.data, options.metric)
    label = caption_for(options.label, m, options.metric)
    common = dict(
        status=status,
        text_floor=_floor(ctx),
        label=label,
        font=theme.font,
        text=theme.text,
        muted=theme.muted,
        accent=theme.accent,
        surface=theme.surface,
        frame=theme.background,
    )
    if m is None:
        note = status.note if not status.ok else f"no figure '{options.metric}' in this feed"
        return KpiView(
            placeholder=True,
            window="",
            value=None,
            number=DASH,
            unit="",
            previous=None,
            change="",
            direction="",
            good=None,
            change_color=theme.muted,
            sparkline=(),
            note=note,
            **common,
        )
    value, previous = finite(m.value), finite(m.previous)
    if not options.allow_negative:
        value = None if value is None else max(0.0, value)
        previous = None if previous is None else max(0.0, previous)
    number, unit = format_value(value, m.unit)
    change, direction, _ = _change(value, previous, unit, options.change)
    if value is None:  # a NaN / inf / missing figure: say so under the dash
        change = "no valid figure"
    good = None if direction in ("", "flat") else (direction == "up") == m.higher_is_better
    change_color = theme.muted if good is None else theme.positive if good else theme.negative
    return KpiView(
        placeholder=False,
        window=plain_text(m.window or "", keep_newlines=False, max_chars=20),
        value=value,
        number=number,
        unit=unit,
        previous=previous,
        change=change,
        direction=direction,
        good=good,
        change_color=change_color,
        sparkline=_spark(m.series, options.allow_negative) if options.sparkline else (),
        **common,
    )
