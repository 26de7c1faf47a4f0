"""The designed looks for data that is missing, old or failing: a zone never goes blank.

- a badge ("data from 14:05 · 12 min ago", "source failing · ...") over the last good data, in a
  place the zone's title, subtitle and legend leave free for it;
- a placeholder when there is no data at all ("Waiting for data", "Source failing");
- a calm note when the data is fine but holds nothing to show ("No posts in the last 4 h").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import skia

from .surface import color
from .text import Fitted, TextStyle, draw_fitted, fit
from .title_sizes import HEADER_EM, title_size

STATE_COLORS = {
    "stale": "#f2a900",
    "failing": "#e5484d",
    "credentials": "#e5484d",
    "loading": "#9aa3b8",
    "unbound": "#9aa3b8",
}


class _Health(Protocol):
    state: str
    note: str


@dataclass(frozen=True)
class Badge:
    """Where a zone's badge goes: its pill (x, y, w, h), and its text laid out."""

    x: float
    y: float
    w: float
    h: float
    text: Fitted

    @property
    def reserve(self) -> float:
        """The width a header leaves free at its right end for the badge (its pill and margins),
        measured from the box's right edge."""
        return self.w + 2 * self.text.size * 0.6


def badge(x: float, y: float, w: float, h: float, state: str, note: str, min_px: float = 0.0) -> Badge | None:
    """The badge of the box (x, y, w, h): a pill in its top-right corner; None when the data is fine.
    Painters lay out their titles, subtitles and legends beside it (`Badge.reserve`), never under it.
    `min_px`: the room's smallest legible size; the note is ellipsised rather than made smaller."""
    if not note or state == "ok":
        return None
    size = max(10.0, min_px, min(h * 0.06, w * 0.035, 40.0))
    # left-aligned: the pill is sized to the text, and a centred line would sit (w*0.7 - line)/2 to the right
    text = fit(
        note,
        w * 0.7,
        size * 1.6,
        TextStyle("Noto Sans", "#111318", True, "left"),
        max_size=size,
        min_size=max(8.0, min(min_px, size)),
    )
    pad = text.size * 0.6
    bw = text.paragraph.LongestLine + 2 * pad
    bh = text.paragraph.Height + pad * 0.8
    return Badge(x + w - bw - pad, y + pad, bw, bh, text)


def badge_reserve(x: float, y: float, w: float, h: float, state: str, note: str, min_px: float = 0.0) -> float:
    """What a header in the box must leave free at its right for the badge: 0 when there is none."""
    b = badge(x, y, w, h, state, note, min_px)
    return b.reserve if b is not None else 0.0


def header_width(box: tuple[float, float, float, float], hx: float, hw: float, status: _Health, min_px: float) -> float:
    """The width a header band starting at hx (at most hw) has when it must end before the badge of
    the card `box` (a gap of half a line): the title and subtitle are fitted beside the badge."""
    b = badge(*box, status.state, status.note, min_px)
    if b is None:
        return hw
    return max(0.0, min(hw, b.x - b.text.size * 0.5 - hx))


def below_badge(box: tuple[float, float, float, float], top: float, status: _Health, min_px: float) -> float:
    """The first y at or after `top` that is clear of the badge of the card `box`: a chart's block
    starts there, so its title and legend never sit under the badge."""
    b = badge(*box, status.state, status.note, min_px)
    return top if b is None else max(top, b.y + b.h + b.text.size * 0.3)


def draw_badge(
    canvas: skia.Canvas, x: float, y: float, w: float, h: float, state: str, note: str, min_px: float = 0.0
) -> None:
    """Paint the box's badge (see `badge`). Nothing when the data is fine."""
    b = badge(x, y, w, h, state, note, min_px)
    if b is None:
        return
    paint = skia.Paint(Color=color(STATE_COLORS.get(state, "#f2a900")), AntiAlias=True)
    canvas.drawRoundRect(skia.Rect.MakeXYWH(b.x, b.y, b.w, b.h), b.h / 2, b.h / 2, paint)
    b.text.paragraph.paint(canvas, b.x + b.text.size * 0.6, b.y + b.text.size * 0.24)


def draw_placeholder(
    canvas: skia.Canvas,
    x: float,
    y: float,
    w: float,
    h: float,
    state: str,
    note: str,
    title: str,
    text_color: str,
    muted: str,
    floor: float = 0.0,
) -> None:
    """Centred message for a zone with no data to show. With the room's floor, its sizes are the
    wall's heading sizes (paint/title_sizes.py), in mm on the panels, instead of pixel caps."""
    heading = title_size(floor, HEADER_EM)
    headline = {
        "loading": "Waiting for data",
        "unbound": "No feed bound",
        "credentials": "Credentials rejected",
        "failing": "Source failing",
        "stale": "No recent data",
    }.get(state, "No data")
    pad = min(w, h) * 0.08
    if w - 2 * pad < 8 or h - 2 * pad < 8:
        return
    head_h = (h - 2 * pad) * 0.35
    t1 = fit(
        title,
        w - 2 * pad,
        head_h * 0.5,
        TextStyle("Noto Sans", muted, False, "center"),
        max_size=heading or 60,
        min_size=max(8, floor),
    )
    draw_fitted(canvas, t1, x + pad, y + pad + head_h * 0.2, head_h * 0.5, "middle")
    t2 = fit(
        headline,
        w - 2 * pad,
        head_h,
        TextStyle("Noto Sans", STATE_COLORS.get(state, text_color), True, "center"),
        max_size=heading * 2 or 120,
        min_size=max(8, floor),
    )
    draw_fitted(canvas, t2, x + pad, y + pad + head_h * 0.7, head_h, "middle")
    if note and note.strip().casefold() != headline.casefold():  # never the headline said twice
        t3 = fit(
            note,
            w - 2 * pad,
            head_h * 0.5,
            TextStyle("Noto Sans", muted, False, "center"),
            max_size=max(8.0, floor, t2.size * 0.45),
            min_size=max(8, floor),
        )
        draw_fitted(canvas, t3, x + pad, y + pad + head_h * 1.8, head_h * 0.5, "top")


def draw_empty(
    canvas: skia.Canvas,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    note: str,
    font: str,
    text_color: str,
    muted: str,
    floor: float = 0.0,
) -> None:
    """The feed is fine but holds nothing to show: the title and the note, centred, calm (not an
    error look). Neither goes below `floor`, the room's smallest legible size; with it, the title has
    the wall's heading size and the note up to twice it (paint/title_sizes.py), in mm on the panels."""
    heading = title_size(floor, HEADER_EM)
    pad = min(w, h) * 0.08
    if w - 2 * pad < 8 or h - 2 * pad < 8:
        return
    band = (h - 2 * pad) * 0.22
    head = fit(
        title,
        w - 2 * pad,
        band * 0.7,
        TextStyle(font, muted, False, "center"),
        max_size=heading or 60,
        min_size=max(8, floor),
    )
    draw_fitted(canvas, head, x + pad, y + h / 2 - band * 1.1, band * 0.7, "bottom")
    line = fit(
        note,
        w - 2 * pad,
        band,
        TextStyle(font, text_color, True, "center"),
        max_size=heading * 2 or 96,
        min_size=max(8, floor),
    )
    draw_fitted(canvas, line, x + pad, y + h / 2 - band * 0.2, band, "top")


class ListLook(Protocol):
    """What a list widget's view carries for its empty and trouble looks."""

    title: str
    empty_note: str
    font: str
    text: str
    muted: str
    text_floor: float

    @property
    def status(self) -> _Health: ...


def draw_nothing_to_show(
    canvas: skia.Canvas, box: tuple[float, float, float, float], view: ListLook, title: str
) -> None:
    """A list zone without items: the calm empty look when its feed is fine ("no posts in the last
    4 h"), the feed's trouble otherwise ("source failing"). `title`: the view's, or the widget's name."""
    x, y, w, h = box
    if view.status.state == "ok":
        draw_empty(canvas, x, y, w, h, title, view.empty_note, view.font, view.text, view.muted, view.text_floor)
    else:
        draw_placeholder(
            canvas, x, y, w, h, view.status.state, view.status.note, title, view.text, view.muted, view.text_floor
        )
