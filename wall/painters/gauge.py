"""`gauge`'s views and painter; its options and builder are in wall/widgets/gauge.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skia

from ..paint.card import chart_card, fit_caption
from ..paint.figure import draw_number
from ..paint.status import draw_badge
from ..paint.surface import fill, raster, stroke
from ..paint.text import TextStyle, draw_fitted, fit, line_width, paragraph
from ..paint.title_sizes import LABEL_EM, LINE, title_size
from .base import DataStatus

START_DEG = 150.0  # skia angles: clockwise from 3 o'clock; the arc opens at the bottom
SWEEP_DEG = 240.0


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
    text: str  # '19 min', '27.5 %': the figure with its unit
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
    warn: float | None  # where the warning band starts (the target unless an earlier warn is set)
    breach: float | None  # where the critical band starts (the metric's, else derived from the target)
    breach_derived: bool  # breach was derived from the target, not stated by the feed
    scale_min: float
    scale_max: float
    min_text: str  # '0 min'
    max_text: str  # '35 min'
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
    columns: tuple[float, float],
    box: skia.Rect,
    size: float,
    view: GaugeView,
    taken: list[skia.Rect],
) -> bool:
    """A competitor's name over its figure beside its tick, outside the arc. A tick near the top gets
    its name and figure on one line over it where the title leaves room, else its label goes to
    the column beside the arc (`columns`: the left one's right edge, the right one's left edge),
    joined to the tick by a thin leader. Where name and figure cannot be read whole, the name alone
    (the tick shows where the figure sits). Kept inside the card and off other labels (and the
    title). Returns whether a label was drawn: a marker without its owner's name is not drawn."""
    dx = math.cos(math.radians(_angle(f)))
    top_tick = abs(dx) <= 0.3
    if top_tick:
        max_w = box.width() * 0.8
        fitted = fit(
            f"{name} \u00b7 {figure}",
            max_w,
            size * 1.55,
            TextStyle(view.font, view.text, False, "center"),
            max_size=size,
            min_size=max(8.0, view.text_floor),
        )
        p = fitted.paragraph
        w, h = p.LongestLine, p.Height
        left = min(max(px - w / 2, box.left()), box.right() - w)
        rect = skia.Rect.MakeXYWH(left, py - h, w, h)
        if not fitted.truncated and rect.top() >= box.top() and not any(skia.Rect.Intersects(rect, o) for o in taken):
            taken.append(rect)
            p.paint(canvas, left - (max_w - w) / 2, py - h)
            return True
    if top_tick:
        sides = ["right", "left"] if dx >= 0 else ["left", "right"]
    else:
        sides = ["left"] if dx < 0 else ["right"]
    for side in sides:
        anchor = (columns[1] if side == "right" else columns[0]) if top_tick else px
        max_w = (box.right() - anchor) if side == "right" else (anchor - box.left())
        if max_w < size * 2:
            continue
        align = "right" if side == "left" else "left"
        for text in [f"{name}\n{figure}", name]:
            fitted = fit(
                text,
                max_w,
                size * (1.45 * (text.count("\n") + 1) + 0.1),
                TextStyle(view.font, view.text, False, align),
                max_size=size,
                min_size=max(8.0, view.text_floor),
            )
            if fitted.truncated:
                continue
            p = fitted.paragraph
            w, h = p.LongestLine, p.Height
            left = anchor - w if side == "left" else anchor
            # beside a side tick: centred on it; in a column: its first line level with the tick,
            # the rest below it (over it is the title)
            top = py - h / 2 if not top_tick else py - size * 0.72
            left = min(max(left, box.left()), box.right() - w)
            top = min(max(top, box.top()), box.bottom() - h)
            rect = skia.Rect.MakeXYWH(left, top, w, h)
            hit = [other for other in taken if skia.Rect.Intersects(rect, other)]
            if hit and top_tick:  # a column label may sit lower, under what is in its way
                top = max(o.bottom() for o in hit) + size * 0.1
                rect = skia.Rect.MakeXYWH(left, top, w, h)
                hit = [o for o in taken if skia.Rect.Intersects(rect, o)] if rect.bottom() <= box.bottom() else [rect]
            if hit:
                continue
            taken.append(rect)
            # the paragraph was laid out at max_w: shift so its aligned line lands in rect
            p.paint(canvas, left - (max_w - w if side == "left" else 0.0), top)
            if top_tick:
                end_x = rect.left() - size * 0.2 if side == "right" else rect.right() + size * 0.2
                leader = stroke(view.muted, max(1.0, size * 0.05))
                canvas.drawLine(px, py, end_x, top + min(h, size * 1.45) / 2, leader)
            return True
    return False


def paint(view: GaugeView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        (x, y, w, h), inner = chart_card(canvas, width, height, view, pad_share=0.05, least=24)
        if inner is None:
            return pixels
        ix, iy, iw, ih = inner
        pad = ix - x
        floor = view.text_floor
        row = floor * 1.4  # a text row never shorter than the legible size needs

        def radius(height: float, above: float) -> float:
            """The largest r whose arc fits `height`: r above the centre (+ room above), r*sin(30°)
            to the open ends, then the end labels (0.2 r, or what the legible size needs)."""
            r_ = height / (1.7 + above)
            if r_ * 0.11 < 1.45 * floor:
                r_ = (height - 1.45 * floor) / (1.59 + above)
            return r_

        def arc_height(r_: float) -> float:
            return (1.5 + above) * r_ + max(0.2 * r_, 1.45 * floor + 0.09 * r_)

        label_size = title_size(floor, LABEL_EM)  # with a floor, every chart's caption has one size
        # competitors' labels (name over figure) need room beside the arc: the arc gives way to them
        style = TextStyle(view.font, view.text, False, "left")
        side_w = 0.0  # the widest label line per px of font size
        for b in view.benchmarks:
            side_w = max(side_w, line_width(b.name, 1.0, style), line_width(b.text, 1.0, style))

        def bench_size(r_: float) -> float:
            return max(9.0, min(r_ * 0.12, 56.0), floor)

        # the figure and its unit must be legible inside the arc: labels give way before it does
        # (the number's box is 1.8 x the inner radius, 0.715 r; see below)
        figure_w = line_width(view.number, 1.0, TextStyle(view.font, view.text, True, "left")) + 0.12
        figure_w += line_width(view.unit, 1.0, style) if view.unit else 0.0
        r_legible = figure_w * floor / (1.8 * 0.715) * 1.05

        def room_above(r_: float) -> float:
            """In units of r: the room over the arc for the competitors' triangles."""
            return max(0.36, 1.2 * bench_size(r_) / r_) if view.benchmarks else 0.04

        def room_beside(r_: float) -> float:
            """In px: the room a label needs beside the arc (triangle, gap, text); a top tick's
            label goes there too."""
            return (side_w + 1.5) * bench_size(r_) if side_w else 0.0

        if iw > ih * 2.0:
            # a wide strip: the arc at the left at full height, title and caption in a column beside it
            side_k = 0.75 if view.benchmarks else 0.08  # competitors' labels beside the arc, in units of r
            above = room_above(max(8.0, radius(ih, 0.36)))
            r = max(8.0, min(radius(ih, above), iw * 0.58 / (2 + 2 * side_k)))
            for _ in range(2):  # settle the arc and its labels' room on each other
                side_k = max(side_k, room_beside(r) / r)
                above = room_above(r)
                r = max(8.0, min(radius(ih, above), iw * 0.58 / (2 + 2 * side_k)))
            r = max(r, min(r_legible, radius(ih, above), iw * 0.58 / 2.16))
            side_k = max(0.08, min(side_k, iw * 0.58 / (2 * r) - 1))
            cx = ix + r * (1 + side_k)
            cy = iy + (ih - arc_height(r)) / 2 + (above + 1.0) * r
            col_x = ix + r * (2 + 2 * side_k) + pad
            col_w = ix + iw - col_x
            title_h = max(ih * 0.28, label_size * LINE)
            caption_h = ih * 0.36 if view.caption else 0.0  # room for the caption on two lines
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
            title_rect = skia.Rect.MakeXYWH(
                col_x, col_top + title_h - t.paragraph.Height, t.paragraph.LongestLine, t.paragraph.Height
            )
            caption_box = (col_x, col_top + title_h, col_w, caption_h, "left", "top")
            label_box = skia.Rect.MakeXYWH(ix, iy, r * (2 + 2 * side_k) + pad * 0.5, ih)
        else:
            # title, arc, caption stacked and centred as one block; a zone taller than the arc
            # needs gives the spare height to the text, within reason
            title_h0 = label_size * LINE if label_size else max(ih * 0.13, row)
            caption_h0 = max(ih * 0.1, row) if view.caption else 0.0
            side = iw * 0.2 if view.benchmarks else iw * 0.05
            arc_h = ih - title_h0 - caption_h0
            above = room_above(max(8.0, radius(arc_h, 0.36)))
            r = max(8.0, min(radius(arc_h, above), (iw - 2 * side) / 2))
            for _ in range(2):  # settle the arc and its labels' room on each other
                side = min(max(side, room_beside(r)), iw * 0.4)
                above = room_above(r)
                r = max(8.0, min(radius(arc_h, above), (iw - 2 * side) / 2))
            r = max(r, min(r_legible, radius(arc_h, above), iw * 0.45))
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
                ix + (iw - t.paragraph.LongestLine) / 2, top, t.paragraph.LongestLine, t.paragraph.Height
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
        # competitors: a small triangle outside the ring pointing at their figure, name beside it
        taken: list[skia.Rect] = [title_rect]
        bsize = bench_size(r)
        for b in view.benchmarks:
            tip = _point(cx, cy, r + ring_w * 0.3, b.position)
            ang = math.radians(_angle(b.position))
            nx, ny, tx, ty = math.cos(ang), math.sin(ang), -math.sin(ang), math.cos(ang)
            s = bsize * 0.75
            lx, ly = tip[0] + nx * s * 1.5, tip[1] + ny * s * 1.5
            gap = ring_w * 0.3 + s * 1.6
            columns = (cx - r - gap, cx + r + gap)
            if not _label_at(canvas, b.name, b.text, lx, ly, b.position, columns, label_box, bsize, view, taken):
                continue  # no room to say whose figure it is: no anonymous marker
            base = (tip[0] + nx * s, tip[1] + ny * s)
            tri = skia.Path()
            tri.moveTo(*tip)
            tri.lineTo(base[0] + tx * s * 0.55, base[1] + ty * s * 0.55)
            tri.lineTo(base[0] - tx * s * 0.55, base[1] - ty * s * 0.55)
            tri.close()
            canvas.drawPath(tri, fill(view.text))
        # the figure in the middle, its unit beside it, the band under it
        inner = r_value - value_w / 2
        # the number sits above the centre, where the arc leaves nearly 2 radii: room for its unit
        num_w, num_h = inner * 1.8, inner * 0.7
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
            unit_required=True,
        )
        pill = None
        if view.band != "none":
            word = {"ok": "OK", "warn": "WARNING", "breach": "BREACH"}[view.band]
            pill_h = max(12.0, min(size * 0.55, inner * 0.32), floor / 0.7)
            p = paragraph(word, pill_h * 0.7, iw, TextStyle(view.font, view.band_ink, True, "left"))
            pw = p.LongestLine + pill_h * 0.9
            top = cy + num_h * 0.36
            pill = skia.Rect.MakeXYWH(cx - pw / 2, top, pw, pill_h)
            canvas.drawRoundRect(pill, pill_h / 2, pill_h / 2, fill(view.band_color))
            p.paint(canvas, cx - p.LongestLine / 2, top + (pill_h - p.Height) / 2)
        # scale ends under the arc's open ends, with their unit: centred under each end where the
        # card leaves room, else moved inwards (never out of the card, never under the other end nor the pill)
        end_size = max(9.0, r * 0.16, floor)
        end_w = r * 1.3
        for f, text in ((0.0, view.min_text), (1.0, view.max_text)):
            px, py = _point(cx, cy, r_value, f)
            p = fit(
                text,
                end_w,
                end_size * 1.4,
                TextStyle(view.font, view.muted, False, "left"),
                max_size=end_size,
                min_size=max(8.0, floor),
            )
            if p.truncated and view.unit and text.endswith(" " + view.unit):  # the number alone, whole
                p = fit(
                    text[: -len(view.unit) - 1],
                    end_w,
                    end_size * 1.4,
                    TextStyle(view.font, view.muted, False, "left"),
                    max_size=end_size,
                    min_size=max(8.0, floor),
                )
            lw, lh = p.paragraph.LongestLine, p.paragraph.Height
            left = min(max(px - lw / 2, x + pad * 0.5), x + w - pad * 0.5 - lw)
            left = min(left, cx - lw - pad * 0.25) if f == 0.0 else max(left, cx + pad * 0.25)
            top = py + value_w * 0.7
            if pill is not None and skia.Rect.Intersects(skia.Rect.MakeXYWH(left, top, lw, lh), pill):
                # beside the pill where the card leaves room, else under it
                left = pill.left() - lw - pad * 0.25 if f == 0.0 else pill.right() + pad * 0.25
                if left < x + pad * 0.5 or left + lw > x + w - pad * 0.5:
                    left = min(max(px - lw / 2, x + pad * 0.5), x + w - pad * 0.5 - lw)
                    top = max(top, pill.bottom() + pad * 0.1)
            p.paragraph.paint(canvas, left, top)
        if caption_h:
            bx, by, bw, bh, align, valign = caption_box
            # on one line where it reads whole, else the gap under the target: never cut off a unit
            one, sep, rest = view.caption.rpartition(" \u00b7 ")
            for text in [view.caption, f"{one}\n{rest}"] if sep else [view.caption]:
                c = fit(
                    text,
                    bw,
                    bh,
                    TextStyle(view.font, view.text, False, align),
                    max_size=max(min(bh * 0.75, r * 0.2), floor),
                    min_size=max(8.0, floor),
                )
                # whole, and on one line unless it is the split text (not wrapped at any space)
                if not c.truncated and ("\n" in text or c.paragraph.MaxIntrinsicWidth <= bw + 0.5):
                    break
            draw_fitted(canvas, c, bx, by, bh, valign)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
