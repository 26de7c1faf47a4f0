"""The card a widget paints on: a rounded panel inset from the zone's edges, so neighbouring zones read
as separate panels; the header band many cards open with; and the frame of the chart widgets (kpi,
gauge, sentiment, timeline): their placeholder when there is no figure, else the padded box the
chart fills.
"""

from __future__ import annotations

from typing import Any

import skia

from .status import below_badge, draw_placeholder
from .surface import fill
from .text import Fitted, TextStyle, draw_fitted, fit, fits
from .title_sizes import HEADER_EM, LINE, title_size

Box = tuple[float, float, float, float]  # x, y, w, h in px


def _gutter(width: float, height: float) -> int:
    return max(3, round(min(width, height) * 0.022))


def card_box(width: float, height: float) -> tuple[int, int, int, int]:
    """The card's box (x, y, w, h) in a zone of width x height, without painting it (a builder
    plans its layout with it)."""
    gutter = _gutter(width, height)
    return gutter, gutter, width - 2 * gutter, height - 2 * gutter


def card_radius(width: float, height: float) -> float:
    """The card's corner radius: what is drawn to its edges (a picture, an outline) follows it."""
    return _gutter(width, height) * 1.6


def card(canvas: skia.Canvas, width: int, height: int, colour: str) -> tuple[int, int, int, int]:
    """Paint the card in `colour`; returns its box (x, y, w, h) for content."""
    x, y, w, h = card_box(width, height)
    radius = card_radius(width, height)
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x, y, w, h), radius, radius, fill(colour))
    return x, y, w, h


def chart_card(
    canvas: skia.Canvas, width: int, height: int, view: Any, pad_share: float, least: float
) -> tuple[Box, Box | None]:
    """The card of a chart widget, and the box its chart fills: inset by `pad_share` of the card's
    smaller side (4 px at least). The box is None when the view is a placeholder (painted here
    from its status, note, label, text and muted fields) or when it is under `least` px either way.
    With a badge (stale or failing data) the box starts below it.
    `view` has the chart views' common fields: surface, placeholder, status, note, label, text, muted."""
    box = card(canvas, width, height, view.surface)
    x, y, w, h = box
    if view.placeholder:
        floor = getattr(view, "text_floor", 0.0)
        draw_placeholder(canvas, x, y, w, h, view.status.state, view.note, view.label, view.text, view.muted, floor)
        return box, None
    pad = max(4.0, min(w, h) * pad_share)
    top = below_badge(box, y + pad, view.status, view.status.min_px)  # a stale badge gets its own place
    inner = (x + pad, top, w - 2 * pad, y + h - pad - top)
    return box, inner if inner[2] >= least and inner[3] >= least else None


def fit_caption(
    parts: list[str], w: float, h: float, style: TextStyle, size: float, floor: float, max_size: float
) -> Fitted:
    """A chart's caption ("Tone · 24h · 7,331 mentions") at its rank's `size`: trailing parts that do
    not fit (a total, a window, a time zone) are left out before the caption is made smaller, so
    every caption of a wall keeps one size. `size` 0 (no floor): the whole caption fitted to the box,
    at most `max_size`."""
    parts = [p for p in parts if p]
    if size > 0:
        for n in range(len(parts), 0, -1):
            text = " \u00b7 ".join(parts[:n])
            if fits(text, size, w, h, style):
                return fit(text, w, h, style, max_size=size, min_size=size)
    return fit(" \u00b7 ".join(parts), w, h, style, max_size=size or max_size, min_size=max(8.0, floor))


def header_height(h: float, share: float, floor: float) -> float:
    """A header band: one line of the heading's size in a room with a floor (the same band in every
    zone), else `share` of the card's height."""
    if floor > 0:
        return max(12.0, title_size(floor, HEADER_EM) * LINE)
    return max(12.0, h * share)


def draw_header(
    canvas: skia.Canvas,
    title: str,
    subtitle: str,
    x: float,
    y: float,
    w: float,
    h: float,
    font: str,
    text: str,
    muted: str,
    floor: float = 0.0,
) -> None:
    """The title (bold, left; the heading's size where the room has a floor) and a muted subtitle
    (right, at most 70 % of the title's size) on one band of height h. Neither goes below `floor`;
    a subtitle that cannot be shown whole at the floor is left out rather than cut."""
    sub_w = w * 0.3 if subtitle else 0.0
    style = TextStyle(font, text, True, "start")
    most = title_size(floor, HEADER_EM) or 400.0
    head = fit(title, w - sub_w, h, style, max_size=most, min_size=max(8.0, floor))
    sub = None
    if subtitle:
        sub = fit(
            subtitle,
            sub_w,
            h,
            TextStyle(font, muted, False, "right"),
            max_size=max(head.size * 0.7, floor),
            min_size=max(8.0, floor),
        )
        if floor > 0 and (sub.truncated or head.truncated):  # at the floor the title comes first
            sub = None
            if head.truncated:
                head = fit(title, w, h, style, max_size=most, min_size=max(8.0, floor))
    draw_fitted(canvas, head, x, y, h)
    if sub is not None:
        draw_fitted(canvas, sub, x + w - sub_w, y, h)
