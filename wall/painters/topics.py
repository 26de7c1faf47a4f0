"""`topics`'s views and painter; its options and builder are in wall/widgets/topics.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skia

from ..colors import mix
from ..paint.card import card, draw_header, header_height
from ..paint.status import draw_badge, draw_placeholder, header_width
from ..paint.surface import fill, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from .base import DataStatus

MIN_ROW_PX = 48  # a list row is never shorter than this (legibility), so tall zones show more rows


@dataclass(frozen=True)
class TopicItem:
    rank: int
    label: str
    count: int
    count_text: str  # "48.2 k"
    share: float  # count / the top count, 0..1 (bar length, cloud size)


@dataclass(frozen=True)
class TopicsView:
    style: str
    title: str
    subtitle: str
    items: tuple[TopicItem, ...]
    status: DataStatus
    empty: bool  # nothing to rank: paint the placeholder
    skipped: tuple[str, ...]  # topics whose count was NaN/inf (not ranked)
    background: str
    frame: str
    track: str
    text: str
    muted: str
    accent: str
    palette: tuple[str, ...]  # cloud word colours, by rank
    font: str
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none


def min_row(floor: float) -> float:
    """The shortest list row: MIN_ROW_PX, or what keeps a row's text (half its height) at the floor."""
    return max(float(MIN_ROW_PX), 2.0 * floor)


def body_box(x: float, y: float, w: float, h: float, floor: float) -> tuple[float, float, float, float, float, float]:
    """(pad, head_h, body x, body y, body w, body h) inside the card box x, y, w, h."""
    pad = max(4, round(min(w, h) * 0.05))
    head_h = header_height(h, 0.11, floor)
    return pad, head_h, x + pad, y + pad * 0.7 + head_h + pad * 0.5, w - 2 * pad, h - head_h - pad * 1.9


def paint(view: TopicsView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.background)
        if view.empty:
            draw_placeholder(
                canvas,
                x,
                y,
                w,
                h,
                view.status.state,
                view.status.note,
                view.title,
                view.text,
                view.muted,
                view.text_floor,
            )
            return pixels
        floor = view.text_floor
        pad, head_h, *body = body_box(x, y, w, h, floor)
        if head_h <= h - pad * 0.7:  # a card too small for one line at the room's floor shows no header
            draw_header(
                canvas,
                view.title,
                view.subtitle,
                x + pad,
                y + pad * 0.7,
                header_width((x, y, w, h), x + pad, w - 2 * pad, view.status, view.status.min_px),
                head_h,
                view.font,
                view.text,
                view.muted,
                floor,
            )
        if body[2] > 8 and body[3] > 8:
            (_paint_cloud if view.style == "cloud" else _paint_list)(canvas, view, *body)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels


def _paint_list(canvas: skia.Canvas, view: TopicsView, x: float, y: float, w: float, h: float) -> None:
    floor = view.text_floor
    items = view.items
    if floor > 0:  # build sized the list for this zone; a view painted elsewhere still keeps the floor
        items = items[: int(h // min_row(floor))]
    n = len(items)
    row_h = h / max(n, 1)
    size = max(min(row_h * 0.5, w * 0.06, 96.0), floor)
    rank_w = size * 1.9
    count_style = TextStyle(view.font, view.text, True, "right")
    count_w = size * 3.6
    if floor > 0:  # the labels cannot shrink: the counts' column is only as wide as the widest count
        widest = max((paragraph(i.count_text, size, 100_000, count_style).LongestLine for i in items), default=0.0)
        count_w = min(count_w, widest + size * 0.4)
    label_x, label_w = x + rank_w, max(8.0, w - rank_w - count_w)
    bar_h = max(3.0, row_h * 0.12)
    text_h = row_h - bar_h - row_h * 0.14
    low = max(8.0, floor)
    for i, item in enumerate(items):
        ry = y + i * row_h
        top = i == 0
        rank_style = TextStyle(view.font, view.accent if top else view.muted, True, "left")
        rank = fit(str(item.rank), rank_w * 0.9, text_h, rank_style, max_size=size, min_size=low)
        draw_fitted(canvas, rank, x, ry, text_h, "bottom")
        label = fit(
            item.label,
            label_w - size * 0.4,
            text_h,
            TextStyle(view.font, view.text, top, "start"),
            max_size=size,
            min_size=max(low, size * 0.75),
        )
        draw_fitted(canvas, label, label_x, ry, text_h, "bottom")
        count = fit(item.count_text, count_w, text_h, count_style, max_size=size, min_size=low)
        draw_fitted(canvas, count, x + w - count_w, ry, text_h, "bottom")
        by = ry + text_h + row_h * 0.06
        track = skia.Rect.MakeXYWH(label_x, by, w - rank_w, bar_h)
        canvas.drawRoundRect(track, bar_h / 2, bar_h / 2, fill(view.track))
        bar_w = max(bar_h, (w - rank_w) * item.share)
        bar = view.accent if top else mix(view.background, view.accent, 0.75)
        canvas.drawRoundRect(skia.Rect.MakeXYWH(label_x, by, bar_w, bar_h), bar_h / 2, bar_h / 2, fill(bar))


@dataclass(frozen=True)
class Placed:
    label: str
    size: float
    x: float
    y: float
    w: float
    h: float
    color: str
    bold: bool


def _spiral(w: float, h: float, step: float = 3.0, turn_gap: float = 4.0) -> tuple[np.ndarray, np.ndarray, float]:
    """An Archimedean spiral from the centre as (r, theta, aspect): points about `step` px apart,
    turns `turn_gap` px apart, reaching far enough to cover the box once x is stretched by
    `aspect` (so the cloud fills a wide zone instead of a circle in its middle)."""
    b = turn_gap / (2 * math.pi)
    aspect = max(w, 1.0) / max(h, 1.0)
    reach = 0.5 * math.hypot(w / aspect, h) + turn_gap
    k = np.arange(int(reach * reach / (2 * b * step)) + 1, dtype=np.float64)
    theta = np.sqrt(2 * k * step / b)  # arc length of r = b*theta is ~ b*theta^2/2
    return b * theta, theta, aspect


def layout_cloud(view: TopicsView, w: float, h: float) -> list[Placed]:
    """Deterministic word-cloud layout in a w x h box (coordinates relative to its top-left)."""
    if not view.items:
        return []
    spiral = _spiral(w, h)
    big = min(h * 0.24, w * 0.16, 220.0)
    small = max(10.0, big * 0.26)
    floor = view.text_floor
    scale = 1.0
    tried = None
    for _attempt in range(14):
        b, s = big * scale, max(8.0, small * scale)
        if floor > 0:
            if tried is not None and b < 2 * floor:
                break  # shrinking on would flatten the ranking against the floor: leave words out instead
            b, s = max(b, floor), max(s, floor)
        placed = _try_layout(view, w, h, spiral, b, s, floor=floor)
        if placed is not None:
            return placed
        tried = (b, s)
        scale *= 0.88
    if floor > 0:
        return _try_layout(view, w, h, spiral, *tried, drop=True, floor=floor) or []
    return _try_layout(view, w, h, spiral, big * scale, 8.0, drop=True) or []


def _try_layout(
    view: TopicsView,
    w: float,
    h: float,
    spiral: tuple[np.ndarray, np.ndarray, float],
    big: float,
    small: float,
    drop: bool = False,
    floor: float = 0.0,
) -> list[Placed] | None:
    """Every word placed (None: one found no room), or with `drop` the words that find room.
    A word too long for the box even at the floor size is always left out (no shrinking helps)."""
    r, theta, aspect = spiral
    rects = np.zeros((0, 4))  # x0, y0, x1, y1 of placed words, margin included
    out: list[Placed] = []
    cx, cy = w / 2, h / 2
    for i, item in enumerate(view.items):
        size = round(small + (big - small) * math.sqrt(item.share), 1)
        colour = view.palette[0] if i < 3 else view.palette[1 + (i - 3) % (len(view.palette) - 1)]
        bold = i < 3
        p = paragraph(item.label, size, 100_000, TextStyle(view.font, colour, bold, "left"))
        tw, th = p.LongestLine, p.Height
        gap = size * 0.12
        if tw + gap > w or th > h:
            if drop or (floor > 0 and size <= floor):
                continue
            return None
        # each word starts its search at a different angle (the golden angle apart), so the
        # cloud grows evenly on all sides instead of along one arm of the spiral
        angle = theta + i * 2.399963
        x0 = cx + r * np.cos(angle) * aspect - tw / 2
        y0 = cy + r * np.sin(angle) - th / 2
        ok = (x0 >= 0) & (y0 >= 0) & (x0 + tw <= w) & (y0 + th <= h)
        if len(rects):
            hit = (
                (x0[:, None] - gap < rects[None, :, 2])
                & (x0[:, None] + tw + gap > rects[None, :, 0])
                & (y0[:, None] < rects[None, :, 3])
                & (y0[:, None] + th > rects[None, :, 1])
            )
            ok &= ~hit.any(axis=1)
        where = np.flatnonzero(ok)
        if not len(where):
            if drop:
                continue
            return None
        j = where[0]
        rects = np.vstack([rects, [x0[j], y0[j], x0[j] + tw, y0[j] + th]])
        out.append(Placed(item.label, size, float(x0[j]), float(y0[j]), tw, th, colour, bold))
    return out


def _paint_cloud(canvas: skia.Canvas, view: TopicsView, x: float, y: float, w: float, h: float) -> None:
    for word in layout_cloud(view, w, h):
        p = paragraph(word.label, word.size, 100_000, TextStyle(view.font, word.color, word.bold, "left"))
        p.paint(canvas, x + word.x, y + word.y)
