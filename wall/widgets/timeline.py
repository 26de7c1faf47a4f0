"""`timeline`: volume of mentions over time, optionally stacked by tone, with its spikes marked.

Data: the series of `metric` (default "volume"); with `stacked: true` the series of
`<metric>.positive`, `<metric>.neutral` and `<metric>.negative`, stacked on the times of the
positive layer (a layer missing at a time counts 0; if no layer exists the plain series is drawn).
Negative, NaN and infinite points count as 0 (they are counts); points are sorted by time.

Spikes. A point is a spike when it exceeds the median of the `spike_window` points before it by
at least `spike_k` times their MAD (median absolute deviation from that median) *and* by at least
`spike_min_rise` of that median (default 30 %). The median/MAD rule is robust: neither the daily
rhythm nor an earlier burst moves it the way a mean and standard deviation would. The relative
floor is there because on a quiet, regular stretch the MAD is tiny and ordinary noise alone would
clear k x MAD (on the demo data, without it, a dozen "+10 %" blips a day would be marked). A window
whose median is 0 judges nothing. Consecutive spike points form one burst, marked once at its
highest point with a dot, its rise over the median before the burst started ("+230 %") and its
time; the `max_spikes` largest bursts are marked. Detection runs on the total (all layers summed).

Times. The wall's local time zone is not known to a feed, so axis labels are in UTC unless `tz`
names an IANA zone; the zone's name is shown with the axis. Labels are few and big: at most five
along the time axis, three along the value axis.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from feeds.model import TONES
from feeds.sanitize import plain_text

from ..calendar_names import DAY_ABBR
from ..colors import mix
from ..numbers import as_count, human_number, whole
from ..painters.timeline import TimelineLayer, TimelineSpike, TimelineTick, TimelineView
from ..painters.timeline import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, DataStatus, TimeZone, caption_for, data_status, metric_of
from .base import text_floor as _floor

NAME = "timeline"
TEXT_BEARING = True
MAX_POINTS = 720  # a zone is never wider than this many useful samples; longer series are bucketed


class TimelineOptions(BindingBase):
    widget: Literal["timeline"]
    metric: str = Field(default="volume", min_length=1, max_length=200, description="series metric in the feed")
    stacked: bool = Field(default=False, description="stack <metric>.positive / .neutral / .negative")
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")
    tz: TimeZone = Field(default="UTC", description="IANA time zone for the time axis, e.g. 'Europe/Paris'")
    spikes: bool = Field(default=True, description="mark spikes (see spike_k / spike_window)")
    spike_k: float = Field(
        default=4.0,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="a spike exceeds the rolling median by at least this many MADs",
    )
    spike_window: int = Field(default=8, ge=3, le=500, description="points before each point that make its baseline")
    spike_min_rise: float = Field(
        default=0.3,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="a spike also exceeds the rolling median by this share of it (0.3: +30 %)",
    )
    max_spikes: int = Field(default=3, ge=0, le=10, description="mark at most this many bursts (the largest)")
    spike_label: Literal["percent", "time", "both"] = Field(default="both", description="what a spike's label says")


Options = TimelineOptions  # the name the widget registry looks for


def _points(series) -> list[tuple[datetime, float]]:
    """Sorted (time, value) with bad values as 0; one value per time (the last given)."""
    by_time: dict[datetime, float] = {}
    for item in series or ():
        try:
            t, v = item
        except (TypeError, ValueError):
            continue
        if not isinstance(t, datetime):
            continue
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        by_time[t] = as_count(v)
    return sorted(by_time.items())


def _bucket(times: list[datetime], layers: list[list[float]]) -> tuple[list[datetime], list[list[float]]]:
    """Long series folded into MAX_POINTS buckets (sum per bucket keeps volumes comparable)."""
    n = len(times)
    if n <= MAX_POINTS:
        return times, layers
    size = math.ceil(n / MAX_POINTS)
    out_t = [times[min(n - 1, i + size - 1)] for i in range(0, n, size)]
    out_l = [[sum(layer[i : i + size]) for i in range(0, n, size)] for layer in layers]
    return out_t, out_l


def detect_spikes(values: list[float], k: float, window: int, min_rise: float = 0.3) -> list[tuple[int, float]]:
    """Bursts as (peak index, baseline): see the module docstring for the rule."""
    flagged: list[tuple[int, float]] = []
    for i in range(window, len(values)):
        prev = values[i - window : i]
        med = median(prev)
        if med <= 0:
            continue
        mad = median(abs(p - med) for p in prev)
        if values[i] - med >= k * mad and values[i] >= (1 + min_rise) * med:
            flagged.append((i, med))
    bursts: list[tuple[int, float]] = []
    run_start = None
    for j, (i, med) in enumerate(flagged):
        if j == 0 or i != flagged[j - 1][0] + 1:
            run_start = med
            bursts.append((i, run_start))
        elif values[i] > values[bursts[-1][0]]:
            bursts[-1] = (i, run_start)
    return bursts


def _nice_max(v: float) -> tuple[float, float]:
    """(axis max, tick step): the smallest 1/2/2.5/5 x 10^k step giving <= 4 intervals above v."""
    if v <= 0:
        return 1.0, 0.5
    for exp in range(math.floor(math.log10(v)) - 1, math.floor(math.log10(v)) + 2):
        for m in (1, 2, 2.5, 5):
            step = m * 10**exp
            top = math.ceil(v / step - 1e-9) * step
            if top / step <= 4:
                return top, step
    return v, v / 2


_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080)


def _x_ticks(first: datetime, last: datetime, tz: ZoneInfo, most: int = 5) -> tuple[TimelineTick, ...]:
    span = (last - first).total_seconds()
    if span <= 0:
        return (TimelineTick(0.5, first.astimezone(tz).strftime("%H:%M")),)
    step = next((s for s in _STEPS_MIN if span / (s * 60) <= most), _STEPS_MIN[-1])
    local = first.astimezone(tz)
    if step < 1440:
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        minutes = (local - midnight).total_seconds() / 60
        t = midnight + timedelta(minutes=math.ceil(minutes / step - 1e-9) * step)
    else:
        t = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if t < local:
            t += timedelta(days=1)
    ticks = []
    multi_day = span > 36 * 3600
    while t <= last.astimezone(tz):
        pos = (t - first).total_seconds() / span
        # a time axis over days names the day at midnight, the hour elsewhere
        if step >= 1440 or (multi_day and t.hour == 0 and t.minute == 0):
            text = f"{DAY_ABBR[t.weekday()]} {t.day}"
        else:
            text = t.strftime("%H:%M")
        ticks.append(TimelineTick(round(pos, 5), text))
        t = (t + timedelta(minutes=step)).astimezone(tz)  # wall-clock steps across DST changes
    return tuple(ticks)


# build() runs every frame; the series only change when the feed does. The last views built are
# kept with the metric objects they came from (held, so their ids cannot be reused) and reused
# while the snapshot hands out the very same objects.
_MEMO: dict[tuple, tuple[tuple, TimelineView]] = {}
_MEMO_SIZE = 64


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: TimelineOptions, ctx: BuildContext) -> TimelineView:
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    m = metric_of(ctx.data, options.metric)
    layers_m = [metric_of(ctx.data, f"{options.metric}.{t}") for t in TONES] if options.stacked else []
    refs = (m, *layers_m)
    key = (tuple(id(r) for r in refs), options, ctx.theme, _floor(ctx))
    hit = _MEMO.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], refs, strict=True)):
        view = hit[1]
        return view if view.status == status else replace(view, status=status)
    view = _build(options, ctx, status, m, layers_m)
    if not view.placeholder:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = (refs, view)
    return view


def _build(options: TimelineOptions, ctx: BuildContext, status: DataStatus, m, layers_m) -> TimelineView:
    theme = ctx.theme
    stacked = options.stacked and any(lm is not None and lm.series for lm in layers_m)
    label = caption_for(options.label, m, options.metric)
    common = dict(
        status=status,
        text_floor=_floor(ctx),
        label=label,
        tz=options.tz,
        font=theme.font,
        text=theme.text,
        muted=theme.muted,
        grid=mix(theme.surface, theme.text, 0.14),
        accent=theme.accent,
        surface=theme.surface,
        frame=theme.background,
    )
    empty = dict(
        placeholder=True,
        unit="",
        window="",
        stacked=False,
        positions=(),
        layers=(),
        y_max=1.0,
        y_ticks=(),
        x_ticks=(),
        spikes=(),
        first="",
        last="",
    )
    colours = {"positive": theme.positive, "neutral": theme.neutral, "negative": theme.negative}
    if stacked:
        per_tone = {
            t: dict(_points(lm.series if lm is not None else ())) for t, lm in zip(TONES, layers_m, strict=True)
        }
        base = next(t for t in TONES if per_tone[t])
        times = sorted(per_tone[base])
        values = [[per_tone[t].get(at, 0.0) for at in times] for t in TONES]
        names = list(TONES)
    else:
        pts = _points(m.series if m is not None else ())
        times = [t for t, _ in pts]
        values = [[v for _, v in pts]]
        names = ["total"]
    if not times:
        note = status.note if not status.ok else f"no series '{options.metric}' in this feed"
        return TimelineView(note=note, **empty, **common)
    times, values = _bucket(times, values)
    totals = [sum(col) for col in zip(*values, strict=True)]
    first, last = times[0], times[-1]
    span = (last - first).total_seconds()
    positions = tuple(round((t - first).total_seconds() / span, 5) if span > 0 else 0.5 for t in times)
    y_max, y_step = _nice_max(max(totals) * 1.08)
    n_ticks = round(y_max / y_step)
    stride = 2 if n_ticks > 3 else 1  # at most three labels up the side
    y_ticks = tuple(
        TimelineTick(round(i * y_step / y_max, 5), human_number(i * y_step)) for i in range(stride, n_ticks + 1, stride)
    )
    tz = ZoneInfo(options.tz)
    spikes: list[TimelineSpike] = []
    if options.spikes and options.max_spikes:
        bursts = detect_spikes(totals, options.spike_k, options.spike_window, options.spike_min_rise)
        bursts.sort(key=lambda b: (totals[b[0]] - b[1]) / b[1], reverse=True)
        for i, baseline in sorted(bursts[: options.max_spikes]):
            rise = f"+{human_number(whole(100 * (totals[i] - baseline) / baseline))} %"
            when = times[i].astimezone(tz).strftime("%H:%M")
            text = {"percent": rise, "time": when, "both": f"{rise}\n{when}"}[options.spike_label]
            spikes.append(
                TimelineSpike(
                    i, times[i].astimezone(UTC).isoformat(), positions[i], totals[i], baseline, rise, when, text
                )
            )
    layer_views = tuple(
        TimelineLayer(n, n.capitalize() if n != "total" else label, colours.get(n, theme.accent), tuple(v))
        for n, v in zip(names, values, strict=True)
    )
    unit = plain_text((m.unit if m is not None else "") or "", keep_newlines=False, max_chars=40)
    window = plain_text((m.window if m is not None else "") or "", keep_newlines=False, max_chars=20)
    return TimelineView(
        placeholder=False,
        unit=unit,
        window=window,
        stacked=stacked,
        positions=positions,
        layers=layer_views,
        y_max=y_max,
        y_ticks=y_ticks,
        x_ticks=_x_ticks(first, last, tz),
        spikes=tuple(spikes),
        first=first.astimezone(UTC).isoformat(),
        last=last.astimezone(UTC).isoformat(),
        **common,
    )
