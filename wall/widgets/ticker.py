"""`ticker`: scrolling headlines (a press review), or the latest posts, separated by bullets.

The scroll is a pure function of the wall-clock time, never accumulated per frame, so every
machine of a wall (and every display and bezel gap in between) shows one continuous band:

- `paint(view, width, height)` returns a STRIP, not a zone-sized picture: shape (height, P, 4)
  where P = `view.period_px` is one full pass of the headlines plus its trailing gap (the pass is
  repeated until P >= the zone's width). The strip is seamless: column P-1 flows into column 0.
- `scroll(view, ctx)` gives the strip column shown at the zone's left edge at ctx.time:
  (speed * seconds since the Unix epoch) mod P. The compositor shows columns
  [offset, offset + zone width) of the strip, wrapping around.

The view changes only when the headlines do, so the strip is painted once and then only scrolled.

Legibility: the band's text is 42 % of the zone's height, and never below the room's floor
(BuildContext.min_text_px, carried in the view as `text_floor`, rounded up to whole px) while one
line at the floor fits between the band's edge lines; a band too short even for that keeps the
largest size it holds (and `wallctl check` warns: give the zone more height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import skia
from pydantic import Field

from feeds.model import CustomEmoji
from feeds.sanitize import plain_text

from ..colors import mix
from ..paint.status import STATE_COLORS
from ..paint.surface import color, raster
from ..paint.text import ELLIPSIS, TextStyle, draw_fitted, fit, paragraph
from .base import BindingBase, BuildContext, DataStatus, data_status, text_floor
from .inline_emoji import EMOJI_SLOT, draw_emoji_in, keep_slots, restore_slots, with_emoji, without_slots

NAME = "ticker"
TEXT_BEARING = True
# Runs across displays by design (bezel-compensated, like a line seen through a window frame):
# `wallctl check` does not warn that its text crosses bezels.
SPANS_BEZELS = True

MAX_TITLE_CHARS = 160  # a headline longer than this is cut (a 10,000-character "title" is a feed bug)
MAX_STRIP_PX = 16_384  # a strip is one texture: stay within what every GL driver uploads


class TickerOptions(BindingBase):
    widget: Literal["ticker"]
    source: Literal["articles", "posts"] = Field(
        default="articles", description="press articles (title + outlet) or every post (text + author)"
    )
    speed: float = Field(
        default=120.0, ge=0.0, le=2000.0, description="scroll speed in canvas pixels per second (0: still)"
    )
    limit: int = Field(default=12, ge=1, le=50, description="most items in one pass, newest first")
    show_source: bool = Field(default=True, description="show the outlet (or author) before each headline")
    separator: str = Field(default="\u2022", min_length=1, max_length=3, description="between items")


Options = TickerOptions  # the name the widget registry looks for


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


@lru_cache(maxsize=4096)
def text_width(text: str, size: int, bold: bool, family: str) -> int:
    """Advance width of one line of text in whole pixels (rounded up), through the same paragraph
    engine (and font fallback) that paints it. build() needs the strip's period, which depends on
    these widths; measuring is ~0.1-1 ms per text, so it is cached per process: a ticker's texts are
    measured once, the first time they are seen, and every later frame is a dictionary lookup."""
    p = paragraph(text, size, 1_000_000, TextStyle(family, "#000000", bold, "left"))
    return int(math.ceil(p.MaxIntrinsicWidth))


@lru_cache(maxsize=2048)
def _clip(text: str) -> str:
    # cached: build() runs every frame and sanitising is most of its cost; the same headlines
    # come back frame after frame
    text = plain_text(text, keep_newlines=False)
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rstrip() + ELLIPSIS


Line = tuple[str, tuple[str, ...]]  # a text with custom emoji slots, and their pictures


def _with_emoji(text: str, emojis: tuple[CustomEmoji, ...], first_line: bool = False) -> Line:
    """A ticker line's text cleaned and clipped, its ':shortcode:' drawn as the emoji's picture once
    fetched, or left out (never shown as text)."""
    text, pictures = with_emoji(text, emojis)
    if first_line:
        text = text.split("\n", 1)[0]
    text = restore_slots(_clip(keep_slots(text)))
    return text, pictures[: text.count(EMOJI_SLOT)]


def _items(snapshot, options: TickerOptions) -> list[tuple[Line, Line]]:
    if options.source == "articles":
        posts = [p for p in snapshot.posts if p.kind == "article"]
    else:
        posts = list(snapshot.posts)
    posts.sort(key=lambda p: (p.published_at, p.key), reverse=True)
    out = []
    for p in posts:
        if options.source == "articles" and p.title:
            body = _with_emoji(p.title, ())
        else:
            body = _with_emoji(p.text, p.emojis, first_line=options.source == "posts")
            if not without_slots(body[0]) and p.title:
                body = _with_emoji(p.title, ())
        if not without_slots(body[0]):
            continue
        who: Line = ("", ())
        if options.show_source:
            who = _with_emoji(p.author.name, p.author.emojis)
            if not without_slots(who[0]):
                who = (_clip(p.author.handle), ())
        out.append((who, body))
        if len(out) == options.limit:
            break
    return out


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: TickerOptions, ctx: BuildContext) -> TickerView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    items = _items(ctx.data, options) if ctx.data is not None else []
    floor = text_floor(ctx)
    size = font_size(ctx.height, floor)
    font = theme.font
    gap = round(size * 0.6)
    segments: list[Segment] = []
    x = 0
    if items and not status.ok and status.note:
        note = f"\u26a0 {status.note}"
        segments.append(Segment(x, note, STATE_COLORS.get(status.state, theme.warn), True))
        x += text_width(note, size, True, font) + gap * 2
    sep = plain_text(options.separator, keep_newlines=False) or "\u2022"
    sep_w = text_width(sep, size, False, font)
    shown = []
    for (who, who_emoji), (body, body_emoji) in items:
        parts = []
        if who:
            parts.append((who, theme.accent, True, who_emoji))
        parts.append((body, theme.text, False, body_emoji))
        widths = [text_width(t, size, b, font) for t, _, b, _ in parts]
        item_w = sum(widths) + gap * (len(parts) - 1) + gap + sep_w + gap
        if shown and x + item_w > MAX_STRIP_PX:
            break  # the texture limit: later (older) items wait for a later pass
        for (t, c, b, e), tw in zip(parts, widths, strict=True):
            segments.append(Segment(x, t, c, b, e))
            x += tw + gap
        segments.append(Segment(x, sep, theme.muted, False))
        x += sep_w + gap
        # what the ticker reads out (state.json, the API): the words, without the pictures' places
        shown.append(f"{without_slots(who)}: {without_slots(body)}" if who else without_slots(body))
    if not shown:
        if status.ok:
            status = DataStatus("ok", f"no {options.source} in the feed")
        # the placeholder stands still: a zone-wide strip that never scrolls
        return TickerView(
            (),
            (),
            ctx.width,
            1,
            max(1, ctx.width),
            0.0,
            size,
            status,
            True,
            theme.surface,
            theme.accent,
            theme.text,
            theme.muted,
            font,
            text_floor=floor,
        )
    pass_px = max(1, x)
    repeats = max(1, math.ceil(ctx.width / pass_px))
    return TickerView(
        segments=tuple(segments),
        headlines=tuple(shown),
        pass_px=pass_px,
        repeats=repeats,
        period_px=pass_px * repeats,
        speed=float(options.speed),
        font_size=size,
        status=status,
        empty=False,
        background=theme.surface,
        edge=mix(theme.surface, theme.accent, 0.85),
        text=theme.text,
        muted=theme.muted,
        font=font,
        text_floor=floor,
    )


def scroll(view: TickerView, ctx: BuildContext) -> float:
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


def shows_nothing(view: TickerView) -> bool:
    """No item in the strip (see top_posts.shows_nothing)."""
    return view.empty
