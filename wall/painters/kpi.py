"""`kpi`'s views and painter; its options and builder are in wall/widgets/kpi.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..colors import mix
from ..paint.card import chart_card, fit_caption
from ..paint.curves import smooth_path
from ..paint.figure import draw_number
from ..paint.status import draw_badge
from ..paint.surface import color, fill, raster, stroke
from ..paint.text import TextStyle, draw_fitted, fit
from ..paint.title_sizes import LABEL_EM, LINE, title_size
from .base import DataStatus


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


def _paint_sparkline(
    canvas: skia.Canvas, values: tuple[float, ...], x: float, y: float, w: float, h: float, line: str, surface: str
) -> None:
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
    shade = skia.Paint(
        AntiAlias=True,
        Shader=skia.GradientShader.MakeLinear(
            [skia.Point(0, y), skia.Point(0, y + h)], [color(mix(surface, line, 0.35)), color(surface)]
        ),
    )
    canvas.drawPath(area, shade)
    canvas.drawPath(curve, stroke(line, lw))
    canvas.drawCircle(pts[-1][0], pts[-1][1], r, fill(line))


def paint(view: KpiView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        (x, y, w, h), inner = chart_card(canvas, width, height, view, pad_share=0.07, least=16)
        if inner is None:
            return pixels
        ix, iy, iw, ih = inner
        spark = bool(view.sparkline)
        wide = spark and iw > ih * 2.2  # a strip: the figure on the left, its sparkline on the right
        tw = iw * 0.5 if wide else iw
        floor = view.text_floor
        row = floor * 1.4  # a text row never shorter than the legible size needs
        label_size = title_size(floor, LABEL_EM)  # with a floor, every chart's caption has one size
        label_h = label_size * LINE if label_size else max(ih * (0.14 if spark and not wide else 0.18), row)
        change_h = max(ih * (0.13 if spark and not wide else 0.17), row) if view.change else 0.0
        spark_h = ih * 0.26 if spark and not wide else 0.0
        gap = ih * 0.03
        number_h = ih - label_h - change_h - spark_h - gap * (1 + bool(change_h) + bool(spark_h))
        if number_h < ih * 0.25 and spark_h:  # the legible floor squeezes the figure: drop the sparkline
            number_h, spark_h, spark = number_h + spark_h + gap, 0.0, False
        cap = fit_caption(
            [view.label, view.window],
            tw,
            label_h,
            TextStyle(view.font, view.muted, False, "left"),
            label_size,
            floor,
            max_size=label_h * 0.8,
        )
        draw_fitted(canvas, cap, ix, iy, label_h, "top")
        cy = iy + label_h + gap
        size = draw_number(
            canvas,
            view.number,
            view.unit,
            ix,
            cy,
            tw,
            number_h,
            view.font,
            view.text,
            view.muted,
            max_size=number_h,
            unit_floor=floor,
        )
        cy += number_h + gap
        if change_h:
            csize = max(min(change_h * 0.8, max(10.0, size * 0.36)), floor)
            text = ("= " if view.direction == "flat" else "") + view.change
            offset = 0.0
            if view.direction in ("up", "down"):
                draw_arrow(
                    canvas, ix + csize * 0.45, cy + change_h / 2, csize * 0.8, view.direction == "up", view.change_color
                )
                offset = csize * 1.1
            tail = "" if not view.direction else " vs previous" + (f" {view.window}" if view.window else " period")
            main_fit = fit(
                text,
                tw - offset,
                change_h,
                TextStyle(view.font, view.change_color, True, "left"),
                max_size=csize,
                min_size=max(8.0, floor),
            )
            main = main_fit.paragraph
            rest_w = tw - offset - main.LongestLine
            main.paint(canvas, ix + offset, cy + (change_h - main.Height) / 2)
            if tail and rest_w > csize * 3:
                small = fit(
                    tail,
                    rest_w,
                    change_h,
                    TextStyle(view.font, view.muted, False, "left"),
                    max_size=max(main_fit.size * 0.75, floor),
                    min_size=max(8.0, floor),
                )
                if not small.truncated and small.paragraph.Height <= main.Height + 0.5:
                    base = cy + (change_h - main.Height) / 2 + main.AlphabeticBaseline
                    small.paragraph.paint(
                        canvas, ix + offset + main.LongestLine, base - small.paragraph.AlphabeticBaseline
                    )
            cy += change_h + gap
        if wide and spark:
            _paint_sparkline(
                canvas, view.sparkline, ix + iw * 0.55, iy + ih * 0.12, iw * 0.45, ih * 0.76, view.accent, view.surface
            )
        elif spark:
            _paint_sparkline(canvas, view.sparkline, ix, cy, iw, spark_h, view.accent, view.surface)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
