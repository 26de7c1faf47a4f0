"""`timeline`'s views and painter; its options and builder are in wall/widgets/timeline.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skia

from ..colors import mix
from ..paint.card import chart_card, fit_caption
from ..paint.curves import smooth_path
from ..paint.status import draw_badge
from ..paint.surface import color, fill, raster, stroke
from ..paint.text import TextStyle, paragraph
from ..paint.title_sizes import LABEL_EM, LINE, title_size
from .base import DataStatus


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
