"""`kpi`: one big number (followers, engagement rate, posts, estimated reach) with its unit, its
change versus the previous period and, optionally, a sparkline of its recent history.

The change is coloured by whether it is good news: a rise is good for a metric where higher is
better and bad where lower is better (`Metric.higher_is_better`). For a metric measured in % (an
engagement rate) the change is given in percentage points by default, because "3.1 % -> 3.5 %"
reads as "+0.4 pt" to an analyst, not as "+13 %"; `change: percent` forces the relative change.

This module also holds the number formatting and curve helpers the other chart widgets share
(`human_number`, `format_value`, `smooth_path`, `mix`), so a figure reads the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import skia
from pydantic import Field

from feeds.sanitize import plain_text

from ..config.base import rgba
from ..paint.status import draw_badge, draw_placeholder
from ..paint.surface import card, color, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from .base import BindingBase, BuildContext, DataStatus, data_status, text_floor as _floor

NAME = "kpi"
TEXT_BEARING = True

DASH = "\u2013"  # what a missing or non-finite figure shows
UP, DOWN = "\u25b2", "\u25bc"
SPARK_MAX_POINTS = 240  # more points than this cannot be told apart on a sparkline


# ------------------------------------------------------------------ helpers shared by chart widgets


def finite(x: object) -> float | None:
    """x as a float when it is a finite number, else None (NaN, inf, None, junk)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _sig3(a: float) -> str:
    """a >= 0 with three significant digits, trailing zeros dropped: 15.8, 3.41, 312, 0.0123."""
    if a >= 100:
        text = f"{a:.0f}"
    elif a >= 10:
        text = f"{a:.1f}"
    elif a >= 1:
        text = f"{a:.2f}"
    elif a == 0:
        return "0"
    else:
        text = f"{a:.3g}"
        if "e" in text:  # 0.0000123: a wall never needs this precision
            return "0"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_SUFFIXES = ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k"))


def human_number(x: object) -> str:
    """A figure as a room reads it: 1,284,500 -> '1.28 M', 48,200,000 -> '48.2 M', 48,200 -> '48.2 k',
    7,331 -> '7,331', 15.83 -> '15.8', 3.41 -> '3.41'; NaN/inf/None -> '–'."""
    v = finite(x)
    if v is None:
        return DASH
    sign = "-" if v < 0 else ""
    a = abs(v)
    if a < 1000:
        text = _sig3(a)
    elif a < 10_000:
        text = f"{round(a):,}"
    else:
        text = ""
        for i, (div, suffix) in enumerate(_SUFFIXES):
            if a >= div * 0.99995 or i == len(_SUFFIXES) - 1:
                digits = _sig3(a / div)
                if float(digits) >= 1000 and i > 0:  # 999,970 -> '1 M', not '1000 k'
                    div, suffix = _SUFFIXES[i - 1]
                    digits = _sig3(a / div)
                text = digits + suffix
                break
    return "0" if text == "0" else sign + text


def format_value(x: object, unit: str) -> tuple[str, str]:
    """(number, unit) as shown: the unit is drawn smaller beside the number."""
    return human_number(x), plain_text(unit or "", keep_newlines=False, max_chars=40)


def mix(a: str, b: str, t: float) -> str:
    """The colour t of the way from a to b (both '#rrggbb[aa]'), as '#rrggbb'."""
    ca, cb = rgba(a), rgba(b)
    return "#" + "".join(f"{round(ca[i] + (cb[i] - ca[i]) * t):02x}" for i in range(3))


def ink_on(background: str) -> str:
    """Near-black or white, whichever reads better on background (WCAG relative luminance)."""
    def lin(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b, _ = rgba(background)
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111318" if (lum + 0.05) / 0.0557 >= 1.05 / (lum + 0.05) else "#ffffff"


def _tangents(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """Fritsch-Carlson tangents: the cubic through the points never overshoots them, so a smoothed
    volume curve never dips below zero or invents a peak that is not in the data."""
    n = len(xs)
    d = [(ys[i + 1] - ys[i]) / ((xs[i + 1] - xs[i]) or 1e-9) for i in range(n - 1)]
    m = [d[0]] + [0.0 if d[i - 1] * d[i] <= 0 else (d[i - 1] + d[i]) / 2 for i in range(1, n - 1)] + [d[-1]]
    for i in range(n - 1):
        if d[i] == 0:
            m[i] = m[i + 1] = 0.0
            continue
        a, b = m[i] / d[i], m[i + 1] / d[i]
        s = a * a + b * b
        if s > 9:
            k = 3 / math.sqrt(s)
            m[i], m[i + 1] = k * a * d[i], k * b * d[i]
    return m


def smooth_path(points: Sequence[tuple[float, float]], path: skia.Path | None = None) -> skia.Path:
    """A smooth curve through points (x increasing) in pixels: monotone cubic segments."""
    path = path if path is not None else skia.Path()
    if not points:
        return path
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if path.countVerbs() == 0:
        path.moveTo(xs[0], ys[0])
    else:
        path.lineTo(xs[0], ys[0])
    if len(points) < 3:
        for x, y in points[1:]:
            path.lineTo(x, y)
        return path
    m = _tangents(xs, ys)
    for i in range(len(points) - 1):
        h = xs[i + 1] - xs[i]
        path.cubicTo(xs[i] + h / 3, ys[i] + m[i] * h / 3, xs[i + 1] - h / 3, ys[i + 1] - m[i + 1] * h / 3,
                     xs[i + 1], ys[i + 1])
    return path


def fill(c: str, alpha: float = 1.0) -> skia.Paint:
    p = skia.Paint(Color=color(c), AntiAlias=True)
    if alpha < 1.0:
        p.setAlphaf(alpha)
    return p


def stroke(c: str, width: float, *, cap: str = "round") -> skia.Paint:
    p = skia.Paint(Color=color(c), AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=width)
    p.setStrokeCap(skia.Paint.kRound_Cap if cap == "round" else skia.Paint.kButt_Cap)
    p.setStrokeJoin(skia.Paint.kRound_Join)
    return p


def metric_of(data: object, name: str):
    """The named Metric in a FeedSnapshot, or None."""
    metrics = getattr(data, "metrics", None)
    return metrics.get(name) if metrics is not None else None


# ------------------------------------------------------------------ the widget


class KpiOptions(BindingBase):
    widget: Literal["kpi"]
    metric: str = Field(min_length=1, max_length=200, description="metric name in the feed, e.g. 'kpi.followers'")
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")
    sparkline: bool = Field(default=False, description="draw the metric's series as a sparkline under the number")
    change: Literal["auto", "percent", "points"] = Field(
        default="auto",
        description="how the change vs the previous period is given: 'percent' (relative), 'points' "
                    "(absolute, in the metric's unit); 'auto': points for % metrics, else percent")
    allow_negative: bool = Field(
        default=False, description="show values below zero as they are (net change, NPS); by default a "
                                   "negative count is shown as 0")


Options = KpiOptions  # the name the widget registry looks for




@dataclass(frozen=True)
class KpiView:
    status: DataStatus
    placeholder: bool  # no figure to show at all: the designed empty look
    label: str
    window: str  # '24h', '' when unknown
    value: float | None  # the figure (None: missing or not finite)
    number: str  # '1.28 M', '–'
    unit: str  # '%', 'min', '' ...
    previous: float | None
    change: str  # '1.8 %', '0.44 pt', '' when there is nothing to compare with
    direction: str  # up | down | flat | ''
    good: bool | None  # whether the change is good news (None: flat or unknown)
    change_color: str
    sparkline: tuple[float, ...]  # the series scaled to 0..1 (empty: no sparkline)
    font: str
    text: str
    muted: str
    accent: str
    surface: str
    frame: str
    note: str = ""  # placeholder detail
    text_floor: float = 0.0  # smallest legible font size in px (BuildContext.min_text_px)


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
        shown = f"{a:.1f}".rstrip("0").rstrip(".") if a < 10 else human_number(round(a))
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


def build(options: KpiOptions, ctx: BuildContext) -> KpiView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    m = metric_of(ctx.data, options.metric)
    label = plain_text(options.label if options.label is not None else (m.name if m else options.metric),
                       keep_newlines=False, max_chars=200)
    common = dict(status=status, text_floor=_floor(ctx),
                  label=label, font=theme.font, text=theme.text, muted=theme.muted,
                  accent=theme.accent, surface=theme.surface, frame=theme.background)
    if m is None:
        note = status.note if not status.ok else f"no figure '{options.metric}' in this feed"
        return KpiView(placeholder=True, window="", value=None, number=DASH, unit="", previous=None, change="",
                       direction="", good=None, change_color=theme.muted, sparkline=(), note=note, **common)
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
        placeholder=False, window=plain_text(m.window or "", keep_newlines=False, max_chars=20), value=value,
        number=number, unit=unit, previous=previous, change=change, direction=direction, good=good,
        change_color=change_color, sparkline=_spark(m.series, options.allow_negative) if options.sparkline else (),
        **common,
    )


# ------------------------------------------------------------------ painting


def draw_number(canvas: skia.Canvas, number: str, unit: str, x: float, y: float, w: float, h: float,
                font: str, text_color: str, unit_color: str, align: str = "left", max_size: float = 400,
                unit_floor: float = 0.0) -> float:
    """The number as large as fits the box, its unit at 45 % of it (never under unit_floor) beside
    it on the same baseline; a unit that would push the number under unit_floor is left out.
    Returns the number's font size.

    Sizes are solved from widths measured once (text width is proportional to its size), so no
    trial layout at a size that is not painted is ever laid out (the legibility check records
    every paragraph painters make)."""
    style = TextStyle(font, text_color, True, "left")
    unit_style = TextStyle(font, unit_color, False, "left")
    alone = fit(number, w, h, style, max_size=max_size, min_size=8)
    size0 = alone.size
    num_w0 = alone.paragraph.LongestLine / size0  # width per px of size
    num_p, unit_p, gap, size = alone.paragraph, None, 0.0, size0
    if unit:
        ref = max(size0, unit_floor)
        unit_w0 = paragraph(unit, ref, w * 4, unit_style).LongestLine / ref
        # largest s <= size0 with s*num_w0 + 0.12 s + unit_w0 * max(0.45 s, floor) <= w
        s_prop = w / (num_w0 + 0.12 + 0.45 * unit_w0)
        if 0.45 * s_prop < unit_floor:
            s_prop = (w - unit_w0 * unit_floor) / (num_w0 + 0.12)
        size = float(math.floor(min(size0, s_prop)))
        if size >= max(8.0, unit_floor):
            num_p = paragraph(number, size, w * 4, style)
            unit_p = paragraph(unit, min(size, max(size * 0.45, unit_floor)), w * 4, unit_style)
            gap = size * 0.12
            if num_p.LongestLine + gap + unit_p.LongestLine > w + 1.0:  # the proportional estimate missed
                unit_p = None
        if unit_p is None:
            num_p, gap, size = alone.paragraph, 0.0, size0
    total = num_p.LongestLine + gap + (unit_p.LongestLine if unit_p else 0.0)
    left = {"left": x, "center": x + (w - total) / 2, "right": x + w - total}[align]
    top = y + (h - num_p.Height) / 2
    num_p.paint(canvas, left, top)
    if unit_p:
        base = top + num_p.AlphabeticBaseline
        unit_p.paint(canvas, left + num_p.LongestLine + gap, base - unit_p.AlphabeticBaseline)
    return size


def draw_arrow(canvas: skia.Canvas, cx: float, cy: float, size: float, up: bool, c: str) -> None:
    """A solid triangle (the shipped text fonts have no ▲▼ glyphs in the chosen family)."""
    half = size / 2
    path = skia.Path()
    if up:
        path.moveTo(cx - half, cy + half * 0.8)
        path.lineTo(cx + half, cy + half * 0.8)
        path.lineTo(cx, cy - half * 0.9)
    else:
        path.moveTo(cx - half, cy - half * 0.8)
        path.lineTo(cx + half, cy - half * 0.8)
        path.lineTo(cx, cy + half * 0.9)
    path.close()
    canvas.drawPath(path, fill(c))


def _paint_sparkline(canvas: skia.Canvas, values: tuple[float, ...], x: float, y: float, w: float, h: float,
                     line: str, surface: str) -> None:
    n = len(values)
    lw = max(2.0, min(h * 0.045, 10.0))
    r = lw * 1.6
    x0, x1 = x + r, x + w - r
    top, bottom = y + r, y + h - r
    pts = [(x0 + (x1 - x0) * i / (n - 1), bottom - (bottom - top) * v) for i, v in enumerate(values)]
    curve = smooth_path(pts)
    area = skia.Path(curve)
    area.lineTo(pts[-1][0], y + h)
    area.lineTo(pts[0][0], y + h)
    area.close()
    shade = skia.Paint(AntiAlias=True, Shader=skia.GradientShader.MakeLinear(
        [skia.Point(0, y), skia.Point(0, y + h)], [color(mix(surface, line, 0.35)), color(surface)]))
    canvas.drawPath(area, shade)
    canvas.drawPath(curve, stroke(line, lw))
    canvas.drawCircle(pts[-1][0], pts[-1][1], r, fill(line))


def paint(view: KpiView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.surface)
        if view.placeholder:
            draw_placeholder(canvas, x, y, w, h, view.status.state, view.note, view.label, view.text, view.muted)
            return pixels
        pad = max(4.0, min(w, h) * 0.07)
        ix, iy, iw, ih = x + pad, y + pad, w - 2 * pad, h - 2 * pad
        if iw < 16 or ih < 16:
            return pixels
        spark = bool(view.sparkline)
        wide = spark and iw > ih * 2.2  # a strip: the figure on the left, its sparkline on the right
        tw = iw * 0.5 if wide else iw
        floor = view.text_floor
        row = floor * 1.4  # a text row never shorter than the legible size needs
        label_h = max(ih * (0.14 if spark and not wide else 0.18), row)
        change_h = max(ih * (0.13 if spark and not wide else 0.17), row) if view.change else 0.0
        spark_h = ih * 0.26 if spark and not wide else 0.0
        gap = ih * 0.03
        number_h = ih - label_h - change_h - spark_h - gap * (1 + bool(change_h) + bool(spark_h))
        if number_h < ih * 0.25 and spark_h:  # the legible floor squeezes the figure: drop the sparkline
            number_h, spark_h, spark = number_h + spark_h + gap, 0.0, False
        caption = view.label + (f" \u00b7 {view.window}" if view.window else "")
        cap = fit(caption, tw, label_h, TextStyle(view.font, view.muted, False, "left"),
                  max_size=max(label_h * 0.8, floor), min_size=max(8.0, floor))
        draw_fitted(canvas, cap, ix, iy, label_h, "top")
        cy = iy + label_h + gap
        size = draw_number(canvas, view.number, view.unit, ix, cy, tw, number_h, view.font, view.text, view.muted,
                           max_size=number_h, unit_floor=floor)
        cy += number_h + gap
        if change_h:
            csize = max(min(change_h * 0.8, max(10.0, size * 0.36)), floor)
            text = ("= " if view.direction == "flat" else "") + view.change
            offset = 0.0
            if view.direction in ("up", "down"):
                draw_arrow(canvas, ix + csize * 0.45, cy + change_h / 2, csize * 0.8, view.direction == "up",
                           view.change_color)
                offset = csize * 1.1
            tail = "" if not view.direction else " vs previous" + (f" {view.window}" if view.window else " period")
            main_fit = fit(text, tw - offset, change_h, TextStyle(view.font, view.change_color, True, "left"),
                           max_size=csize, min_size=max(8.0, floor))
            main = main_fit.paragraph
            rest_w = tw - offset - main.LongestLine
            main.paint(canvas, ix + offset, cy + (change_h - main.Height) / 2)
            if tail and rest_w > csize * 3:
                small = fit(tail, rest_w, change_h, TextStyle(view.font, view.muted, False, "left"),
                            max_size=max(main_fit.size * 0.75, floor), min_size=max(8.0, floor))
                if not small.truncated and small.paragraph.Height <= main.Height + 0.5:
                    base = cy + (change_h - main.Height) / 2 + main.AlphabeticBaseline
                    small.paragraph.paint(canvas, ix + offset + main.LongestLine,
                                          base - small.paragraph.AlphabeticBaseline)
            cy += change_h + gap
        if wide and spark:
            _paint_sparkline(canvas, view.sparkline, ix + iw * 0.55, iy + ih * 0.12, iw * 0.45, ih * 0.76,
                             view.accent, view.surface)
        elif spark:
            _paint_sparkline(canvas, view.sparkline, ix, cy, iw, spark_h, view.accent, view.surface)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
