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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import skia
from pydantic import Field

from feeds.model import TONES
from feeds.sanitize import plain_text

from ..calendar_names import DAY_ABBR
from ..colors import mix
from ..numbers import as_count, human_number, whole
from ..paint.card import chart_card, fit_caption
from ..paint.curves import smooth_path
from ..paint.status import draw_badge
from ..paint.surface import color, fill, raster, stroke
from ..paint.text import TextStyle, paragraph
from ..paint.title_sizes import LABEL_EM, LINE, title_size
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


@dataclass(frozen=True)
class TimelineLayer:
    name: str  # 'total' or a tone
    label: str
    color: str
    values: tuple[float, ...]  # one per point, not cumulative


@dataclass(frozen=True)
class TimelineSpike:
    index: int  # point index of the burst's peak
    at: str  # ISO time (UTC) of the peak
    position: float  # 0..1 along the time axis
    value: float  # total at the peak
    baseline: float  # rolling median before the burst
    rise: str  # '+230 %'
    time: str  # '07:00' in the axis time zone
    label: str  # what is drawn


@dataclass(frozen=True)
class TimelineTick:
    position: float
    text: str


@dataclass(frozen=True)
class TimelineView:
    status: DataStatus
    placeholder: bool
    label: str
    unit: str
    window: str
    tz: str
    stacked: bool
    positions: tuple[float, ...]  # 0..1 along the time axis, one per point
    layers: tuple[TimelineLayer, ...]  # bottom to top
    y_max: float
    y_ticks: tuple[TimelineTick, ...]  # position 0..1 up the value axis
    x_ticks: tuple[TimelineTick, ...]
    spikes: tuple[TimelineSpike, ...]
    first: str  # ISO times of the first and last points
    last: str
    font: str
    text: str
    muted: str
    grid: str
    accent: str
    surface: str
    frame: str
    note: str = ""
    text_floor: float = 0.0  # smallest legible font size in px (BuildContext.min_text_px)


# ------------------------------------------------------------------ series arithmetic


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


# ------------------------------------------------------------------ painting


def _area(points: list[tuple[float, float]], floor_y: float) -> skia.Path:
    path = smooth_path(points)
    path.lineTo(points[-1][0], floor_y)
    path.lineTo(points[0][0], floor_y)
    path.close()
    return path


def paint(view: TimelineView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        (x, y, w, h), inner = chart_card(canvas, width, height, view, pad_share=0.05, least=32)
        if inner is None:
            return pixels
        ix, iy, iw, ih = inner
        floor = view.text_floor
        size = max(10.0, min(ih * 0.062, iw * 0.036, 64.0), floor / 0.85)  # axis labels: few, big
        # header: title left, legend right
        label_size = title_size(floor, LABEL_EM)  # with a floor, every chart's caption has one size
        head_h = max(size * 1.9, label_size * LINE)
        legend_w = 0.0
        if view.stacked:
            items = [(layer.label, layer.color) for layer in reversed(view.layers)]
            ps = [paragraph(text, size * 0.9, iw, TextStyle(view.font, view.text, False, "left")) for text, _ in items]
            legend_w = sum(p.LongestLine + size * 1.6 for p in ps)
            if legend_w > iw * 0.55:
                legend_w = 0.0
            else:
                lx = ix + iw - legend_w
                for (_, c), p in zip(items, ps, strict=True):
                    canvas.drawCircle(lx + size * 0.35, iy + head_h / 2, size * 0.32, fill(c))
                    p.paint(canvas, lx + size * 0.85, iy + (head_h - p.Height) / 2)
                    lx += p.LongestLine + size * 1.6
        t = fit_caption(
            [view.label, view.unit, view.tz],
            iw - legend_w - size,
            head_h,
            TextStyle(view.font, view.muted, False, "left"),
            label_size,
            floor,
            max_size=size * 1.1,
        )
        t.paragraph.paint(canvas, ix, iy + (head_h - t.paragraph.Height) / 2)
        # plot box: value labels sit inside the plot at the left, above their grid lines
        axis_h = size * 1.7
        px0, px1 = ix, ix + iw
        top = iy + head_h + size * 1.4  # room for a spike label above the highest point
        bottom = iy + ih - axis_h
        if bottom - top < 16:
            return pixels
        ph = bottom - top

        def to_xy(i: int, v: float) -> tuple[float, float]:
            return px0 + (px1 - px0) * view.positions[i], bottom - ph * min(1.0, v / view.y_max)

        grid = stroke(view.grid, max(1.0, size * 0.06), cap="butt")
        canvas.drawLine(px0, bottom, px1, bottom, grid)
        for tick in view.y_ticks:
            gy = bottom - ph * tick.position
            canvas.drawLine(px0, gy, px1, gy, grid)
        n = len(view.positions)
        # stacked areas, painted from the top layer's cumulative sum down so each layer covers the
        # ones above it up to its own boundary (smoothing can never leave a gap between layers)
        cumulative = []
        acc = [0.0] * n
        for layer in view.layers:
            acc = [a + v for a, v in zip(acc, layer.values, strict=True)]
            cumulative.append(list(acc))
        for layer, cum in reversed(list(zip(view.layers, cumulative, strict=True))):
            pts = [to_xy(i, v) for i, v in enumerate(cum)]
            c = layer.color if view.stacked else view.accent
            if n == 1:
                canvas.drawCircle(pts[0][0], pts[0][1], size * 0.3, fill(c))
                continue
            if view.stacked:
                canvas.drawPath(_area(pts, bottom), fill(c))
                canvas.drawPath(smooth_path(pts), stroke(mix(c, view.surface, 0.35), max(1.5, size * 0.08)))
            else:
                shade = skia.Paint(
                    AntiAlias=True,
                    Shader=skia.GradientShader.MakeLinear(
                        [skia.Point(0, top), skia.Point(0, bottom)],
                        [color(mix(view.surface, c, 0.55)), color(mix(view.surface, c, 0.08))],
                    ),
                )
                canvas.drawPath(_area(pts, bottom), shade)
                canvas.drawPath(smooth_path(pts), stroke(c, max(2.0, size * 0.14)))
        # value labels (over the areas, with a halo of the card colour so they stay legible)
        for tick in view.y_ticks:
            gy = bottom - ph * tick.position
            p = paragraph(tick.text, size * 0.85, iw, TextStyle(view.font, view.text, True, "left"))
            halo = skia.Rect.MakeXYWH(px0, gy - p.Height - size * 0.1, p.LongestLine + size * 0.5, p.Height)
            canvas.drawRoundRect(halo, size * 0.2, size * 0.2, fill(view.surface, 0.75))
            p.paint(canvas, px0 + size * 0.25, gy - p.Height - size * 0.1)
        # time labels under the axis, kept inside the card; one that would touch its neighbour is
        # left out (big labels on a narrow zone: fewer of them, never overlapping)
        right_edge = -math.inf
        for tick in view.x_ticks:
            p = paragraph(tick.text, size, iw, TextStyle(view.font, view.muted, False, "left"))
            tx = px0 + (px1 - px0) * tick.position
            lx = min(max(tx - p.LongestLine / 2, px0), px1 - p.LongestLine)
            if lx < right_edge + size * 0.8:
                continue
            canvas.drawLine(tx, bottom, tx, bottom + size * 0.3, grid)
            p.paint(canvas, lx, bottom + size * 0.35)
            right_edge = lx + p.LongestLine
        # spikes: a ringed dot on the peak, the rise and time above it
        total = cumulative[-1]
        for spike in view.spikes:
            sx, sy = to_xy(spike.index, total[spike.index])
            r = size * 0.42
            canvas.drawCircle(sx, sy, r * 1.5, fill(view.surface))
            canvas.drawCircle(sx, sy, r * 1.2, fill(view.text))
            canvas.drawCircle(sx, sy, r * 0.8, fill(view.accent))
            lines = spike.label.split("\n")
            main = paragraph(lines[0], size * 1.05, iw, TextStyle(view.font, view.text, True, "left"))
            sub = (
                paragraph(lines[1], size * 0.9, iw, TextStyle(view.font, view.muted, False, "left"))
                if len(lines) > 1
                else None
            )
            bw = max(main.LongestLine, sub.LongestLine if sub else 0.0) + size * 0.7
            bh = main.Height + (sub.Height if sub else 0.0) + size * 0.3
            bx = min(max(sx - bw / 2, px0), px1 - bw)
            by = sy - r * 1.6 - bh
            if by < iy + head_h:  # no room above: put it beside the peak
                by = max(iy + head_h, sy - bh / 2)
                bx = sx + r * 2 if sx + r * 2 + bw <= px1 else sx - r * 2 - bw
            canvas.drawRoundRect(skia.Rect.MakeXYWH(bx, by, bw, bh), size * 0.3, size * 0.3, fill(view.surface, 0.88))
            main.paint(canvas, bx + (bw - main.LongestLine) / 2, by + size * 0.15)
            if sub:
                sub.paint(canvas, bx + (bw - sub.LongestLine) / 2, by + size * 0.15 + main.Height)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
