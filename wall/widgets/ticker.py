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
from functools import lru_cache
from typing import Literal

from pydantic import Field

from feeds.model import CustomEmoji
from feeds.sanitize import plain_text

from ..colors import mix
from ..paint.status import STATE_COLORS
from ..paint.text import ELLIPSIS, TextStyle, paragraph
from ..painters.inline_emoji import EMOJI_SLOT
from ..painters.ticker import Segment, TickerView, font_size
from ..painters.ticker import paint as paint  # the widget's painter
from ..painters.ticker import scroll as scroll  # the strip's offset at a time: the views stage asks for it here
from .base import BindingBase, BuildContext, DataStatus, data_status, text_floor
from .emoji_slots import keep_slots, restore_slots, with_emoji, without_slots

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


def shows_nothing(view: TickerView) -> bool:
    """No item in the strip (see top_posts.shows_nothing)."""
    return view.empty
