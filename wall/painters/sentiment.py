"""`sentiment`'s views and painter; its options and builder are in wall/widgets/sentiment.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..paint.card import chart_card, fit_caption
from ..paint.figure import draw_number
from ..paint.status import draw_badge
from ..paint.surface import fill, raster, stroke
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from ..paint.title_sizes import LABEL_EM, LINE, title_size
from .base import DataStatus


@dataclass(frozen=True)
class SentimentPart:
    tone: str  # positive | neutral | negative
    label: str
    count: float
    share: float  # of all mentions, 0..1
    percent: str  # '44 %' (rounded to add up to 100 across parts)
    color: str
    ink: str  # text colour on `color`


@dataclass(frozen=True)
class SentimentView:
    status: DataStatus
    placeholder: bool
    style: str
    label: str
    window: str
    source: str  # 'metric' or 'posts'
    total: float
    total_text: str  # '7,331 mentions'
    parts: tuple[SentimentPart, ...]  # always positive, neutral, negative
    share_of_heart: float | None  # positive / (positive + negative), None when undefined
    share_text: str  # '65 %' or '–'
    font: str
    text: str
    muted: str
    track: str
    surface: str
    frame: str
    note: str = ""
    text_floor: float = 0.0  # smallest legible font size in px (BuildContext.min_text_px)


def share_of_heart(positive: float, negative: float) -> float | None:
    """positive / (positive + negative); None when nobody took a side."""
    opinionated = positive + negative
    return positive / opinionated if opinionated > 0 else None


def _legend(canvas: skia.Canvas, view: SentimentView, x: float, y: float, w: float, h: float, size: float) -> None:
    """Three rows: colour dot, tone name, percentage (right-aligned), each row the same height."""
    row_h = h / 3
    floor = view.text_floor
    size = max(min(size, row_h * 0.62), floor)
    for i, part in enumerate(view.parts):
        ry = y + row_h * i
        dot = size * 0.36
        canvas.drawCircle(x + dot, ry + row_h / 2, dot, fill(part.color))
        pct = paragraph(part.percent, size, w, TextStyle(view.font, view.text, True, "left"))
        name_w = w - dot * 2 - size * 0.5 - pct.LongestLine - size * 0.4
        name = fit(
            part.label,
            max(8.0, name_w),
            max(row_h, size * 1.4),
            TextStyle(view.font, view.muted, False, "left"),
            max_size=max(size * 0.8, floor),
            min_size=max(8.0, floor),
        )
        base = ry + (row_h - pct.Height) / 2 + pct.AlphabeticBaseline
        if not name.truncated:  # a cut name reads worse than the colour dot alone
            name.paragraph.paint(canvas, x + dot * 2 + size * 0.5, base - name.paragraph.AlphabeticBaseline)
        pct.paint(canvas, x + w - pct.LongestLine, ry + (row_h - pct.Height) / 2)


def _center_text(
    canvas, text: str, x, y, w, h, style: TextStyle, max_size: float, min_size: float = 8.0, whole: bool = False
) -> float:
    """Text fitted to its box; with whole=True it is left out rather than cut with an ellipsis."""
    f = fit(text, w, max(h, min_size * 1.4), style, max_size=max(max_size, min_size), min_size=min_size)
    if not (whole and f.truncated):
        draw_fitted(canvas, f, x, y, h, "middle")
    return f.size


def _paint_donut(canvas, view: SentimentView, ix, iy, iw, ih) -> None:
    wide = iw >= ih * 1.25
    if wide:
        d = min(ih, iw * 0.55)
        cx, cy = ix + d / 2, iy + ih / 2
        legend = (ix + d + iw * 0.06, iy + ih * 0.5 - min(ih, d) * 0.38, iw - d - iw * 0.06, min(ih, d) * 0.76)
    else:
        d = min(iw, ih * 0.62)
        cx, cy = ix + iw / 2, iy + d / 2
        lh = ih - d - ih * 0.05
        legend = (ix + iw * 0.1, iy + d + ih * 0.05, iw * 0.8, lh)
    ring = d * 0.16
    r = d / 2 - ring / 2
    oval = skia.Rect.MakeLTRB(cx - r, cy - r, cx + r, cy + r)
    canvas.drawCircle(cx, cy, r, stroke(view.track, ring))
    start = -90.0
    gap = 1.2 if sum(1 for p in view.parts if p.share > 0) > 1 else 0.0  # a hairline between segments
    for part in view.parts:
        sweep = 360.0 * part.share
        if sweep <= 0:
            continue
        path = skia.Path()
        path.addArc(oval, start + gap / 2, max(0.1, sweep - gap))
        canvas.drawPath(path, stroke(part.color, ring, cap="butt"))
        start += sweep
    inner = r - ring / 2
    box_w = inner * 1.6
    size = _center_text(
        canvas,
        view.share_text,
        cx - box_w / 2,
        cy - inner * 0.55,
        box_w,
        inner * 0.66,
        TextStyle(view.font, view.text, True, "center"),
        inner * 0.66,
    )
    _center_text(
        canvas,
        "share of heart",
        cx - box_w / 2,
        cy + inner * 0.12,
        box_w,
        inner * 0.32,
        TextStyle(view.font, view.muted, False, "center"),
        size * 0.4,
        max(8.0, view.text_floor),
        whole=True,
    )
    lx, ly, lw, lh = legend
    if lw > 24 and lh > 24:
        _legend(canvas, view, lx, ly, lw, lh, max(10.0, d * 0.1, view.text_floor))


def _paint_bar(canvas, view: SentimentView, ix, iy, iw, ih) -> None:
    head_h = ih * 0.38
    # the share of heart as the headline figure, its name beside it on the same baseline
    draw_number(
        canvas,
        view.share_text,
        "share of heart",
        ix,
        iy,
        iw,
        head_h,
        view.font,
        view.text,
        view.muted,
        max_size=head_h,
        unit_floor=view.text_floor,
    )
    bar_y, bar_h = iy + head_h + ih * 0.06, ih * 0.24
    radius = bar_h * 0.25
    canvas.save()
    clip = skia.RRect.MakeRectXY(skia.Rect.MakeXYWH(ix, bar_y, iw, bar_h), radius, radius)
    canvas.clipRRect(clip, doAntiAlias=True)
    canvas.drawRect(skia.Rect.MakeXYWH(ix, bar_y, iw, bar_h), fill(view.track))
    bx = ix
    for part in view.parts:
        seg = iw * part.share
        if seg <= 0:
            continue
        canvas.drawRect(skia.Rect.MakeXYWH(bx, bar_y, seg, bar_h), fill(part.color))
        bx += seg
    canvas.restore()
    # percentages inside their segment when they fit, else only in the legend below
    bx = ix
    for part in view.parts:
        seg = iw * part.share
        if seg > bar_h:
            f = fit(
                part.percent,
                seg - bar_h * 0.3,
                bar_h * 0.8,
                TextStyle(view.font, part.ink, True, "center"),
                max_size=max(bar_h * 0.56, view.text_floor),
                min_size=max(10.0, view.text_floor),
            )
            if not f.truncated:
                draw_fitted(canvas, f, bx + bar_h * 0.15, bar_y + bar_h * 0.1, bar_h * 0.8)
        bx += seg
    leg_y = bar_y + bar_h + ih * 0.06
    leg_h = iy + ih - leg_y
    # the legend on one row: three equal columns, one font size for all three, never wrapped
    col = iw / 3
    floor = max(8.0, view.text_floor)
    s = max(min(leg_h * 0.55, col * 0.14), floor)
    dot = s * 0.36
    style = TextStyle(view.font, view.text, False, "left")
    # "Negative 24 %" in each column; where that cannot be read whole, the names alone (the bar shows
    # the percentages); where not even those fit, no legend rather than cut words
    for texts in (
        [f"{part.label}\u00a0{part.percent}".replace(" ", "\u00a0") for part in view.parts],
        [part.label for part in view.parts],
    ):
        fits = [fit(t, col - dot * 2 - s * 0.8, s * 1.5, style, max_size=s, min_size=floor) for t in texts]
        if not any(f.truncated for f in fits):
            break
    else:
        return
    size = min(f.size for f in fits)
    for i, (part, text) in enumerate(zip(view.parts, texts, strict=True)):
        cx0 = ix + col * i
        canvas.drawCircle(cx0 + dot, leg_y + leg_h / 2, dot, fill(part.color))
        f = fit(text, col - dot * 2 - s * 0.8, size * 1.5, style, max_size=size, min_size=floor)
        draw_fitted(canvas, f, cx0 + dot * 2 + s * 0.4, leg_y + (leg_h - size * 1.5) / 2, size * 1.5, "middle")


def paint(view: SentimentView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        (x, y, w, h), inner = chart_card(canvas, width, height, view, pad_share=0.06, least=24)
        if inner is None:
            return pixels
        ix, iy, iw, ih = inner
        label_size = title_size(view.text_floor, LABEL_EM)  # with a floor, every chart's caption has one size
        title_h = label_size * LINE if label_size else ih * 0.13
        t = fit_caption(
            [view.label, view.window, view.total_text],
            iw,
            title_h,
            TextStyle(view.font, view.muted, False, "left"),
            label_size,
            view.text_floor,
            max_size=min(title_h * 0.8, iw * 0.06),
        )
        draw_fitted(canvas, t, ix, iy, title_h, "top")
        body = (ix, iy + title_h * 1.25, iw, ih - title_h * 1.25)
        if view.style == "bar":
            _paint_bar(canvas, view, *body)
        else:
            _paint_donut(canvas, view, *body)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
