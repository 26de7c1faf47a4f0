"""`ticker`'s views and painter; its options and builder are in wall/widgets/ticker.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import skia

from ..paint.surface import color, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from .base import DataStatus
from .inline_emoji import draw_emoji_in


class Timed(Protocol):
    """What `scroll` reads of the builder's context (wall/widgets/base.py's BuildContext): its time."""

    @property
    def time(self) -> datetime: ...


@dataclass(frozen=True)
class Segment:
    x: int  # left edge in the strip (px); a segment never straddles column P
    text: str
    color: str
    bold: bool
    emoji: tuple[str, ...] = ()  # the cached picture of each custom emoji slot in `text`, in order


@dataclass(frozen=True)
class TickerView:
    segments: tuple[Segment, ...]  # one pass, repeated `repeats` times to make the strip
    headlines: tuple[str, ...]  # what is shown, for state.json: "outlet: title"
    pass_px: int
    repeats: int
    period_px: int  # strip width P = pass_px * repeats >= zone width
    speed: float  # px/s; 0 when there is nothing to scroll
    font_size: int
    status: DataStatus
    empty: bool
    background: str
    edge: str
    text: str
    muted: str
    font: str
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none


LINE_EM = 1.37  # a line of the shipped fonts is ~1.36 em tall (Noto Sans: ascent + descent)


def edge_px(height: int) -> float:
    """Thickness of the accent lines along the band's top and bottom edges."""
    return max(2.0, height * 0.045)


def font_size(height: int, floor: float = 0.0) -> int:
    """The band's text size: 42 % of its height (10 to 200 px), raised to the room's floor where a
    line at the floor still fits between the edge lines."""
    size = max(10, min(200, round(height * 0.42)))
    if floor > size:
        fits = int((height - 2 * edge_px(height)) / LINE_EM)
        size = max(size, min(int(math.ceil(floor)), fits))
    return size


def scroll(view: TickerView, ctx: Timed) -> float:
    """Strip column at the zone's left edge at ctx.time, in [0, period_px). Pure: the same view and
    time give the same offset on every machine, frame after frame, with no state carried."""
    if view.speed <= 0 or view.period_px <= 0:
        return 0.0
    # integer microseconds keep the product exact for centuries; the float only holds the remainder
    us = round(ctx.time.timestamp() * 1_000_000)
    period_us = view.period_px * 1_000_000
    return (round(view.speed * 1000) * us // 1000 % period_us) / 1_000_000


def paint(view: TickerView, width: int, height: int) -> np.ndarray:
    """The strip: (height, view.period_px, 4). `width` is the zone's width (the strip is at least
    that wide)."""
    strip_w = max(view.period_px, 1)
    with raster(strip_w, height, view.background) as (canvas, pixels):
        line = edge_px(height)
        edge = skia.Paint(Color=color(view.edge))
        canvas.drawRect(skia.Rect.MakeXYWH(0, 0, strip_w, line), edge)
        canvas.drawRect(skia.Rect.MakeXYWH(0, height - line, strip_w, line), edge)
        if view.empty:
            _placeholder(canvas, view, min(width, strip_w), height)
            return pixels
        for r in range(view.repeats):
            for seg in view.segments:
                style = TextStyle(view.font, seg.color, seg.bold, "left")
                p = paragraph(seg.text, view.font_size, 1_000_000, style)
                y = (height - p.Height) / 2
                x = seg.x + r * view.pass_px
                p.paint(canvas, x, y)
                if seg.emoji:
                    draw_emoji_in(canvas, seg.text, view.font_size, seg.emoji, style, x, y, 1_000_000)
                if x + p.MaxIntrinsicWidth + view.font_size > strip_w:
                    p.paint(canvas, x - strip_w, y)  # glyph overhang at the end wraps to the start
    return pixels


_WAITING = {
    "loading": "Waiting for headlines",
    "unbound": "No feed bound",
    "credentials": "Credentials rejected",
    "failing": "Headline source failing",
    "stale": "No recent headlines",
}


def _placeholder(canvas: skia.Canvas, view: TickerView, width: int, height: int) -> None:
    """The band's 'no data' look: one still line, as big as the headlines would be."""
    headline = _WAITING.get(view.status.state, "No headlines yet")
    note = view.status.note if view.status.state not in ("loading", "unbound") else ""  # those say it already
    line = f"{headline} \u00b7 {note}" if note else headline
    pad = view.font_size
    style = TextStyle(view.font, view.muted, True, "center")
    if view.text_floor <= 0:
        text = fit(line, width - 2 * pad, height * 0.8, style, max_size=view.font_size, min_size=8)
        draw_fitted(canvas, text, pad, height * 0.1, height * 0.8)
        return
    # at the room's floor: the whole line, or the headline alone, between the edge lines
    edge = edge_px(height)
    low = max(8.0, min(view.text_floor, view.font_size))
    for candidate in dict.fromkeys((line, headline)):
        text = fit(candidate, width - 2 * pad, height - 2 * edge, style, max_size=view.font_size, min_size=low)
        if not text.truncated:
            break
    draw_fitted(canvas, text, pad, edge, height - 2 * edge)
