"""`gauge`: a customer-care figure (first reply time, response rate, queue) on a 240° arc, with its
target / SLA bands and, optionally, where the competitors stand.

Bands. A metric carries up to three thresholds: `target` (the goal), `warn` (where the warning band
starts) and `breach` (where the SLA is breached). Read in the metric's direction
(`higher_is_better`):
- ok: the value has not reached `warn` (for a lower-is-better metric such as first reply time the ok
  band is the low values, below `warn`; for a response rate it is the high values, above `warn`);
- warn: it has reached `warn` but not `breach`;
- breach: it has reached `breach`.
A missing `warn` falls back to `target`; a metric without `breach` has no breach band; one without
any threshold has no bands and a neutral (accent) arc. The target is drawn as a tick on the arc and
the caption says how far the value is from it, so "ok but above target" is visible at a glance.

The arc fills from the scale's start to the value in the colour of the value's band; the outer ring
shows the bands. Scale: `min`/`max` options, else 0 (when that wastes no more than 40 % of the arc)
or the lowest of value, thresholds and benchmarks, up to the highest, with 20 % headroom, rounded to
a step of 1, 2, 2.5 or 5 x 10^k; a % scale never passes 0 or 100. Everything is vector painting at the
zone's pixel size (no bitmaps scaled), antialiased. There is no sweep animation: the gauge changes
when the figure does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import skia
from pydantic import Field, model_validator

from feeds.sanitize import plain_text

from ..colors import ink_on, mix
from ..numbers import DASH, finite, human_number
from ..paint.card import chart_card, fit_caption
from ..paint.figure import draw_number
from ..paint.status import draw_badge
from ..paint.surface import fill, raster, stroke
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from ..paint.title_sizes import LABEL_EM, LINE, title_size
from .base import BindingBase, BuildContext, DataStatus, caption_for, data_status, format_value, metric_of
from .base import text_floor as _floor

NAME = "gauge"
TEXT_BEARING = True

START_DEG = 150.0  # skia angles: clockwise from 3 o'clock; the arc opens at the bottom
SWEEP_DEG = 240.0
MAX_BENCHMARKS = 6


class GaugeOptions(BindingBase):
    widget: Literal["gauge"]
    metric: str = Field(
        min_length=1, max_length=200, description="metric name in the feed, e.g. 'care.first_reply_min'"
    )
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")
    min: float | None = Field(default=None, allow_inf_nan=False, description="start of the scale; default: derived")
    max: float | None = Field(default=None, allow_inf_nan=False, description="end of the scale; default: derived")
    show_benchmarks: bool = Field(default=False, description="mark the competitors' figures (metric.benchmarks)")

    @model_validator(mode="after")
    def _range(self) -> GaugeOptions:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


Options = GaugeOptions  # the name the widget registry looks for


@dataclass(frozen=True)
class GaugeBand:
    band: str  # ok | warn | breach
    start: float  # fractions of the arc, 0 at the scale's start
    end: float
    color: str


@dataclass(frozen=True)
class GaugeBenchmark:
    name: str
    value: float
    text: str  # '19', '27.5'
    position: float  # fraction of the arc (clamped to the scale)
    better: bool  # whether this competitor does better than us


@dataclass(frozen=True)
class GaugeView:
    status: DataStatus
    placeholder: bool
    label: str
    window: str
    value: float | None
    number: str  # '15.8', '–'
    unit: str
    band: str  # ok | warn | breach | none (no thresholds or no value)
    band_color: str
    band_ink: str  # text colour on band_color
    higher_is_better: bool
    target: float | None
    warn: float | None
    breach: float | None
    scale_min: float
    scale_max: float
    min_text: str
    max_text: str
    position: float | None  # the value's fraction of the arc (clamped)
    target_position: float | None
    bands: tuple[GaugeBand, ...]
    caption: str  # 'target 15 min · 0.8 min above'
    benchmarks: tuple[GaugeBenchmark, ...]
    font: str
    text: str
    muted: str
    track: str
    surface: str
    frame: str
    note: str = ""
    text_floor: float = 0.0  # smallest legible font size in px (BuildContext.min_text_px)


# ------------------------------------------------------------------ the arithmetic


def band_of(
    value: float | None, target: float | None, warn: float | None, breach: float | None, higher_is_better: bool
) -> str:
    """ok / warn / breach for value (see the module docstring); 'none' without value or thresholds."""
    if value is None:
        return "none"
    warn_at = warn if warn is not None else target
    worse = (lambda a, b: a <= b) if higher_is_better else (lambda a, b: a >= b)  # a has reached b
    if breach is not None and worse(value, breach):
        return "breach"
    if warn_at is not None and worse(value, warn_at):
        return "warn"
    return "ok" if warn_at is not None or breach is not None else "none"


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**exp >= raw - 1e-12:
            return m * 10**exp
    return 10 ** (exp + 1)


def scale(values: list[float], unit: str, lo_opt: float | None, hi_opt: float | None) -> tuple[float, float]:
    """The gauge's range (see the module docstring)."""
    vals = [v for v in values if v is not None] or [0.0, 1.0]
    lo, hi = min(vals), max(vals)
    if hi == lo:  # one figure and no thresholds: from zero to a little beyond it
        vals = [min(0.0, lo), max(0.0, hi) or 1.0]
        lo, hi = min(vals), max(vals)
    span = hi - lo
    lo, hi = lo - 0.2 * span, hi + 0.2 * span
    if min(vals) >= 0 and lo <= 0.4 * hi:
        lo = 0.0
    lo = max(lo, 0.0) if min(vals) >= 0 else lo
    step = _nice_step((hi - lo) / 8)
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if unit.strip() == "%" and min(vals) >= 0 and max(vals) <= 100:
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    if lo_opt is not None:
        lo = lo_opt
    if hi_opt is not None:
        hi = hi_opt
    if hi <= lo:  # one override crossed the derived other end
        hi = lo + (step if lo_opt is not None else 0)
        lo = hi - step if lo_opt is None else lo
    return lo, hi


def _bands(lo: float, hi: float, target, warn, breach, higher: bool, theme) -> tuple[GaugeBand, ...]:
    """The coloured stretches of the scale, from its start: same rule as band_of."""
    warn_at = warn if warn is not None else target
    if warn_at is None and breach is None:
        return ()
    if breach is not None and warn_at is not None:  # inconsistent thresholds: the warn band is empty
        warn_at = max(warn_at, breach) if higher else min(warn_at, breach)
    if higher:
        b1 = breach if breach is not None else lo
        w1 = warn_at if warn_at is not None else b1
        segments = (("breach", lo, b1), ("warn", b1, w1), ("ok", w1, hi))
    else:
        w1 = warn_at if warn_at is not None else breach
        b1 = breach if breach is not None else hi
        segments = (("ok", lo, w1), ("warn", w1, b1), ("breach", b1, hi))
    out = []
    for name, a, b in segments:
        s, e = _frac(a, lo, hi), _frac(b, lo, hi)
        if e - s > 1e-6:
            out.append(GaugeBand(name, s, e, getattr(theme, name)))
    return tuple(out)


def _frac(v: float | None, lo: float, hi: float) -> float | None:
    return None if v is None else round(min(1.0, max(0.0, (v - lo) / (hi - lo))), 5)


def _caption(value: float | None, target: float | None, unit: str, higher: bool) -> str:
    if target is None:
        return ""
    unit_sp = f" {unit}" if unit and unit != "%" else (" %" if unit == "%" else "")
    text = f"target {human_number(target)}{unit_sp}"
    if value is None:
        return text
    gap = value - target
    if abs(gap) < 1e-9 or (gap < 0 if not higher else gap > 0):
        return text + " \u00b7 met"
    delta = human_number(abs(gap)) + (" pt" if unit == "%" else unit_sp)
    return text + f" \u00b7 {delta} {'above' if gap > 0 else 'below'}"


def build(options: GaugeOptions, ctx: BuildContext) -> GaugeView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    m = metric_of(ctx.data, options.metric)
    label = caption_for(options.label, m, options.metric)
    track = mix(theme.surface, theme.text, 0.13)
    common = dict(
        status=status,
        text_floor=_floor(ctx),
        label=label,
        font=theme.font,
        text=theme.text,
        muted=theme.muted,
        track=track,
        surface=theme.surface,
        frame=theme.background,
    )
    if m is None:
        note = status.note if not status.ok else f"no figure '{options.metric}' in this feed"
        return GaugeView(
            placeholder=True,
            window="",
            value=None,
            number=DASH,
            unit="",
            band="none",
            band_color=theme.muted,
            band_ink=ink_on(theme.muted),
            higher_is_better=True,
            target=None,
            warn=None,
            breach=None,
            scale_min=0.0,
            scale_max=1.0,
            min_text="",
            max_text="",
            position=None,
            target_position=None,
            bands=(),
            caption="",
            benchmarks=(),
            note=note,
            **common,
        )
    value = finite(m.value)
    target, warn, breach = finite(m.target), finite(m.warn), finite(m.breach)
    higher = m.higher_is_better
    number, unit = format_value(value, m.unit)
    bench = []
    for name, v in list((m.benchmarks or {}).items())[:MAX_BENCHMARKS]:
        fv = finite(v)
        if fv is not None:
            bench.append((plain_text(str(name), keep_newlines=False, max_chars=60) or "?", fv))
    shown = [v for _, v in bench] if options.show_benchmarks else []
    lo, hi = scale([value, target, warn, breach, *shown], unit, options.min, options.max)
    band = band_of(value, target, warn, breach, higher)
    band_color = {"ok": theme.ok, "warn": theme.warn, "breach": theme.breach}.get(band, theme.accent)
    benchmarks = (
        tuple(
            GaugeBenchmark(
                name,
                v,
                human_number(v),
                _frac(v, lo, hi),
                better=(v > value if higher else v < value) if value is not None else False,
            )
            for name, v in bench
        )
        if options.show_benchmarks
        else ()
    )
    return GaugeView(
        placeholder=False,
        window=plain_text(m.window or "", keep_newlines=False, max_chars=20),
        value=value,
        number=number,
        unit=unit,
        band=band,
        band_color=band_color if value is not None else theme.muted,
        band_ink=ink_on(band_color if value is not None else theme.muted),
        higher_is_better=higher,
        target=target,
        warn=warn,
        breach=breach,
        scale_min=lo,
        scale_max=hi,
        min_text=human_number(lo),
        max_text=human_number(hi),
        position=_frac(value, lo, hi),
        target_position=_frac(target, lo, hi) if target is not None and lo <= target <= hi else None,
        bands=_bands(lo, hi, target, warn, breach, higher, theme),
        caption=_caption(value, target, unit, higher),
        benchmarks=benchmarks,
        **common,
    )


# ------------------------------------------------------------------ painting


def _angle(f: float) -> float:
    return START_DEG + SWEEP_DEG * f


def _point(cx: float, cy: float, r: float, f: float) -> tuple[float, float]:
    a = math.radians(_angle(f))
    return cx + r * math.cos(a), cy + r * math.sin(a)


def _arc(canvas: skia.Canvas, cx, cy, r, f0, f1, paint: skia.Paint) -> None:
    if f1 - f0 <= 0:
        return
    oval = skia.Rect.MakeLTRB(cx - r, cy - r, cx + r, cy + r)
    path = skia.Path()
    path.addArc(oval, _angle(f0), SWEEP_DEG * (f1 - f0))
    canvas.drawPath(path, paint)


def _label_at(
    canvas,
    name: str,
    figure: str,
    px: float,
    py: float,
    f: float,
    box: skia.Rect,
    size: float,
    view: GaugeView,
    taken: list[skia.Rect],
) -> None:
    """A competitor's name and figure beside its tick, outside the arc: on one line above a tick
    near the top, on two lines beside a tick on the sides. Kept inside the card; a label that would
    cover another one (or the title) is left out rather than drawn over it."""
    ang = math.radians(_angle(f))
    dx = math.cos(ang)
    side = "left" if dx < -0.3 else "right" if dx > 0.3 else "top"
    max_w = (box.right() - px) if side == "right" else (px - box.left()) if side == "left" else box.width() * 0.45
    if max_w < size * 2:
        return
    align = {"left": "right", "right": "left", "top": "center"}[side]
    # the name and figure on one line above a top tick, on two beside a side tick; where that cannot
    # be read whole, the figure alone; where not even that fits, nothing (the view still lists it)
    candidates = [f"{name} \u00b7 {figure}", f"{name}\n{figure}"] if side == "top" else [f"{name}\n{figure}"]
    for text in [*candidates, figure]:
        fitted = fit(
            text,
            max_w,
            size * (1.45 * (text.count("\n") + 1) + 0.1),
            TextStyle(view.font, view.text, False, align),
            max_size=size,
            min_size=max(8.0, view.text_floor),
        )
        if not fitted.truncated:
            break
    else:
        return
    p = fitted.paragraph
    w, h = p.LongestLine, p.Height
    left = px - w if side == "left" else px if side == "right" else px - w / 2
    top = py - h if side == "top" else py - h / 2
    left = min(max(left, box.left()), box.right() - w)
    top = min(max(top, box.top()), box.bottom() - h)
    rect = skia.Rect.MakeXYWH(left, top, w, h)
    if any(skia.Rect.Intersects(rect, other) for other in taken):
        return
    taken.append(rect)
    # the paragraph was laid out at max_w: shift so its aligned line lands in rect
    offset = {"left": max_w - w, "right": 0.0, "top": (max_w - w) / 2}[side]
    p.paint(canvas, left - offset, top)


def paint(view: GaugeView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        (x, y, w, h), inner = chart_card(canvas, width, height, view, pad_share=0.05, least=24)
        if inner is None:
            return pixels
        ix, iy, iw, ih = inner
        pad = ix - x
        floor = view.text_floor
        row = floor * 1.4  # a text row never shorter than the legible size needs
        above = 0.36 if view.benchmarks else 0.04  # room over the arc for competitors' labels

        def radius(height: float) -> float:
            """The largest r whose arc fits `height`: r above the centre (+ room above), r*sin(30°)
            to the open ends, then the end labels (0.2 r, or what the legible size needs)."""
            r_ = height / (1.7 + above)
            if r_ * 0.11 < 1.45 * floor:
                r_ = (height - 1.45 * floor) / (1.59 + above)
            return r_

        def arc_height(r_: float) -> float:
            return (1.5 + above) * r_ + max(0.2 * r_, 1.45 * floor + 0.09 * r_)

        label_size = title_size(floor, LABEL_EM)  # with a floor, every chart's caption has one size
        if iw > ih * 2.0:
            # a wide strip: the arc at the left at full height, title and caption in a column beside it
            side_k = 0.75 if view.benchmarks else 0.08  # competitors' labels beside the arc, in units of r
            r = max(8.0, min(radius(ih), iw * 0.58 / (2 + 2 * side_k)))
            cx = ix + r * (1 + side_k)
            cy = iy + (ih - arc_height(r)) / 2 + (above + 1.0) * r
            col_x = ix + r * (2 + 2 * side_k) + pad
            col_w = ix + iw - col_x
            title_h = max(ih * 0.3, label_size * LINE)
            caption_h = ih * 0.24 if view.caption else 0.0
            col_top = iy + (ih - title_h - caption_h) / 2
            t = fit_caption(
                [view.label, view.window],
                col_w,
                title_h,
                TextStyle(view.font, view.muted, False, "left"),
                label_size,
                floor,
                max_size=min(title_h * 0.6, r * 0.3),
            )
            draw_fitted(canvas, t, col_x, col_top, title_h, "bottom")
            title_rect = skia.Rect.MakeXYWH(col_x, col_top, t.paragraph.LongestLine, title_h)
            caption_box = (col_x, col_top + title_h, col_w, caption_h, "left", "top")
            label_box = skia.Rect.MakeXYWH(ix, iy, r * (2 + 2 * side_k) + pad * 0.5, ih)
        else:
            # title, arc, caption stacked and centred as one block; a zone taller than the arc
            # needs gives the spare height to the text, within reason
            title_h0 = label_size * LINE if label_size else max(ih * 0.13, row)
            caption_h0 = max(ih * 0.1, row) if view.caption else 0.0
            side = iw * 0.2 if view.benchmarks else iw * 0.05
            arc_h = ih - title_h0 - caption_h0
            r = max(8.0, min(radius(arc_h), (iw - 2 * side) / 2))
            title_h = (
                title_h0 if label_size else max(min(title_h0 + max(0.0, arc_h - arc_height(r)) / 2, r * 0.45), row)
            )
            caption_h = max(min(caption_h0 * 2, r * 0.3), row) if view.caption else 0.0
            top = iy + max(0.0, (ih - title_h - caption_h - arc_height(r)) / 2)
            t = fit_caption(
                [view.label, view.window],
                iw,
                title_h,
                TextStyle(view.font, view.muted, False, "center"),
                label_size,
                floor,
                max_size=min(title_h * 0.8, iw * 0.09),
            )
            draw_fitted(canvas, t, ix, top, title_h, "top")
            title_rect = skia.Rect.MakeXYWH(
                ix + (iw - t.paragraph.LongestLine) / 2, top, t.paragraph.LongestLine, title_h
            )
            cx = ix + iw / 2
            cy = top + title_h + (above + 1.0) * r
            caption_box = (ix, top + title_h + arc_height(r), iw, caption_h, "center", "middle")
            label_box = skia.Rect.MakeXYWH(ix, iy, iw, ih)
        ring_w = r * 0.055
        value_w = r * 0.17
        r_bands = r - ring_w / 2
        r_value = r - ring_w - r * 0.06 - value_w / 2
        # bands ring (outer, thin) and the track + value arc (inner, thick)
        for b in view.bands:
            _arc(canvas, cx, cy, r_bands, b.start, b.end, stroke(b.color, ring_w, cap="butt"))
        if not view.bands:
            _arc(canvas, cx, cy, r_bands, 0.0, 1.0, stroke(view.track, ring_w, cap="butt"))
        _arc(canvas, cx, cy, r_value, 0.0, 1.0, stroke(view.track, value_w))
        if view.position is not None:
            end = max(view.position, 0.004)
            _arc(canvas, cx, cy, r_value, 0.0, end, stroke(view.band_color, value_w))
            kx, ky = _point(cx, cy, r_value, end)
            canvas.drawCircle(kx, ky, value_w * 0.62, fill(view.band_color))
            canvas.drawCircle(kx, ky, value_w * 0.3, fill(view.surface))
        if view.target_position is not None:
            a0 = _point(cx, cy, r + ring_w * 0.6, view.target_position)
            a1 = _point(cx, cy, r_value - value_w * 0.6, view.target_position)
            canvas.drawLine(a0[0], a0[1], a1[0], a1[1], stroke(view.surface, max(3.0, r * 0.03)))
            canvas.drawLine(a0[0], a0[1], a1[0], a1[1], stroke(view.text, max(1.5, r * 0.014)))
        # scale ends under the arc's open ends
        end_size = max(9.0, r * 0.16, floor)
        for f, text in ((0.0, view.min_text), (1.0, view.max_text)):
            px, py = _point(cx, cy, r_value, f)
            p = fit(
                text,
                r * 0.6,
                end_size * 1.4,
                TextStyle(view.font, view.muted, False, "center"),
                max_size=end_size,
                min_size=max(8.0, floor),
            )
            p.paragraph.paint(canvas, px - r * 0.3, py + value_w * 0.7)
        # competitors: a small triangle outside the ring pointing at their figure, name beside it
        taken: list[skia.Rect] = [title_rect]
        bsize = max(9.0, min(r * 0.12, 56.0), floor)
        for b in view.benchmarks:
            tip = _point(cx, cy, r + ring_w * 0.3, b.position)
            ang = math.radians(_angle(b.position))
            nx, ny, tx, ty = math.cos(ang), math.sin(ang), -math.sin(ang), math.cos(ang)
            s = bsize * 0.75
            base = (tip[0] + nx * s, tip[1] + ny * s)
            tri = skia.Path()
            tri.moveTo(*tip)
            tri.lineTo(base[0] + tx * s * 0.55, base[1] + ty * s * 0.55)
            tri.lineTo(base[0] - tx * s * 0.55, base[1] - ty * s * 0.55)
            tri.close()
            canvas.drawPath(tri, fill(view.text))
            lx, ly = tip[0] + nx * s * 1.5, tip[1] + ny * s * 1.5
            _label_at(
                canvas,
                b.name,
                b.text + (f" {view.unit}" if view.unit else ""),
                lx,
                ly,
                b.position,
                label_box,
                bsize,
                view,
                taken,
            )
        # the figure in the middle, its unit beside it, the band under it
        inner = r_value - value_w / 2
        num_w, num_h = inner * 1.55, inner * 0.7
        size = draw_number(
            canvas,
            view.number,
            view.unit,
            cx - num_w / 2,
            cy - num_h * 0.72,
            num_w,
            num_h,
            view.font,
            view.text,
            view.muted,
            align="center",
            max_size=num_h,
            unit_floor=floor,
        )
        if view.band != "none":
            word = {"ok": "OK", "warn": "WARNING", "breach": "BREACH"}[view.band]
            pill_h = max(12.0, min(size * 0.55, inner * 0.32), floor / 0.7)
            p = paragraph(word, pill_h * 0.7, iw, TextStyle(view.font, view.band_ink, True, "left"))
            pw = p.LongestLine + pill_h * 0.9
            top = cy + num_h * 0.36
            canvas.drawRoundRect(
                skia.Rect.MakeXYWH(cx - pw / 2, top, pw, pill_h), pill_h / 2, pill_h / 2, fill(view.band_color)
            )
            p.paint(canvas, cx - p.LongestLine / 2, top + (pill_h - p.Height) / 2)
        if caption_h:
            bx, by, bw, bh, align, valign = caption_box
            c = fit(
                view.caption,
                bw,
                bh,
                TextStyle(view.font, view.text, False, align),
                max_size=max(min(bh * 0.75, r * 0.2), floor),
                min_size=max(8.0, floor),
            )
            draw_fitted(canvas, c, bx, by, bh, valign)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
