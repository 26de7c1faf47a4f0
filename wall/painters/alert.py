"""`alert`'s views and painter; its options and builder are in wall/widgets/alert.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import skia

from ..calendar_names import DAY_ABBR, MONTH_ABBR
from ..colors import mix
from ..paint.card import card, card_radius
from ..paint.status import draw_badge
from ..paint.surface import color, fill, raster
from ..paint.text import TextStyle, draw_fitted, fit
from .base import DataStatus

PULSE_STEPS_PER_S = 4
PULSE_CYCLE_STEPS = 8  # a 2 s breath: 0, 1/4, 1/2, 3/4, 1, 3/4, 1/2, 1/4


@dataclass(frozen=True)
class AlertView:
    severity: str
    label: str
    title: str
    message: str
    since_text: str  # "since 09:40 · 50 min", or ""
    pulse_level: int  # 0..4 (bar intensity in quarters); 4 when not pulsing
    pulsing: bool
    status: DataStatus
    tone: str  # the severity colour
    tint: str  # the banner's fill
    on_tone: str  # text on the severity colour
    text: str
    muted: str
    frame: str
    font: str
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none


def _zone(tz: str):
    return None if tz == "local" else ZoneInfo(tz)


def _elapsed(minutes: int) -> str:
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        h, m = divmod(minutes, 60)
        return f"{h} h {m:02d}" if m else f"{h} h"
    return f"{minutes // (24 * 60)} days"


def since_text(since: datetime | None, now: datetime, tz: str) -> str:
    """'since 09:40 · 50 min' (minute steps, so the view changes once a minute at most)."""
    if since is None:
        return ""
    zone = _zone(tz)
    if since.tzinfo is None:
        since = since.replace(tzinfo=zone) if zone else since.astimezone()
    local = since.astimezone(zone) if zone else since.astimezone()
    now_local = now.astimezone(zone) if zone else now.astimezone()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() != now_local.date():
        clock = f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]} {clock}"
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 0:
        return f"from {clock}"
    return f"since {clock} · {_elapsed(minutes)}"


def pulse_level(t: datetime) -> int:
    """Bar intensity in quarters (0..4), a triangle wave over the epoch: every machine agrees."""
    step = int(t.timestamp() * PULSE_STEPS_PER_S) % PULSE_CYCLE_STEPS
    return step if step <= PULSE_CYCLE_STEPS // 2 else PULSE_CYCLE_STEPS - step


def paint(view: AlertView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.tint)
        level = view.pulse_level / 4
        # the bar and the outline breathe between 45 % and 100 % of the severity colour
        bar = mix(view.tint, view.tone, 0.45 + 0.55 * level)
        radius = card_radius(width, height)
        outline = skia.Paint(
            Color=color(bar), AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=max(2.0, min(w, h) * 0.018)
        )
        inset = outline.getStrokeWidth() / 2
        canvas.drawRoundRect(
            skia.Rect.MakeXYWH(x + inset, y + inset, w - 2 * inset, h - 2 * inset), radius, radius, outline
        )
        bar_w = max(6.0, min(h * 0.09, w * 0.03))
        canvas.save()
        canvas.clipRRect(skia.RRect.MakeRectXY(skia.Rect.MakeXYWH(x, y, w, h), radius, radius), doAntiAlias=True)
        canvas.drawRect(skia.Rect.MakeXYWH(x, y, bar_w, h), skia.Paint(Color=color(bar)))
        canvas.restore()

        pad = max(4.0, min(w, h) * 0.1)
        icon = min(h * 0.46, w * 0.12)
        ix = x + bar_w + pad
        _icon(canvas, view, ix, y + (h - icon) / 2, icon)
        tx = ix + icon + pad
        tw = x + w - pad - tx
        if tw < 16:
            return pixels
        inner_h = h - 2 * pad * 0.8
        ty = y + pad * 0.8
        floor = view.text_floor
        line = floor * 1.4  # one line of text at the room's floor
        # the severity row holds its label at the floor; with no room for it and a title line, the
        # title comes first (the icon still says the severity)
        meta_h = max(inner_h * 0.2, floor * 1.8)
        if floor > 0 and inner_h - meta_h * 1.2 < line:
            meta_h = 0.0
        if meta_h and not _meta(canvas, view, tx, ty, tw, meta_h):
            meta_h = 0.0  # the label does not fit whole at the floor: the title takes the row
        body_y = ty + meta_h + inner_h * 0.04 if meta_h else ty
        body_h = inner_h - (meta_h + inner_h * 0.04 if meta_h else 0.0)
        message = view.message
        title_h = body_h * (0.6 if message else 1.0)
        if message and floor > 0:  # the message keeps a line at the floor, or is left out
            title_h = body_h - max(body_h * 0.4, line * 1.05)
            if title_h < line:
                message, title_h = "", body_h
        # never smaller than legible from the back of the room: a longer title is cut with an ellipsis
        # (below the floor only where the zone cannot hold one line at it)
        title = fit(
            view.title,
            tw,
            title_h,
            TextStyle(view.font, view.text, True, "start"),
            min_size=max(10.0, min(title_h * 0.42, 48.0), min(floor, title_h / 1.4)),
        )
        draw_fitted(canvas, title, tx, body_y, title_h, "middle" if not message else "bottom")
        if message:
            msg_h = body_h - title_h
            msg = fit(
                message,
                tw,
                msg_h,
                TextStyle(view.font, view.text, False, "start"),
                max_size=max(10.0, title.size * 0.62, floor),
                min_size=max(10.0, min(msg_h * 0.3, 32.0), floor),
            )
            draw_fitted(canvas, msg, tx, body_y + title_h + msg_h * 0.05, msg_h * 0.95, "top")
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels


def _meta(canvas: skia.Canvas, view: AlertView, x: float, y: float, w: float, h: float) -> bool:
    """The severity label in a pill, then 'since 09:40 · 50 min' (at the room's floor, only what fits
    whole of it: 'since 09:40', or nothing)."""
    floor = view.text_floor
    chip = fit(
        view.label, w * 0.4, h * 0.78, TextStyle(view.font, view.on_tone, True, "left"), min_size=max(8.0, floor)
    )
    if floor > 0 and chip.truncated:
        return False  # a pill reading '…' says nothing: the icon and colour carry the severity
    pad = chip.size * 0.55
    cw = chip.paragraph.LongestLine + 2 * pad
    ch = chip.paragraph.Height + pad * 0.5
    cy = y + (h - ch) / 2
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x, cy, cw, ch), ch / 2, ch / 2, fill(view.tone))
    chip.paragraph.paint(canvas, x + pad, cy + pad * 0.25)
    if view.since_text:
        sx = x + cw + pad * 1.5
        style = TextStyle(view.font, view.muted, True, "left")
        if x + w - sx <= 16:
            return True
        for text in (view.since_text, view.since_text.split(" \u00b7 ")[0]):
            since = fit(text, x + w - sx, h, style, max_size=max(chip.size * 1.1, floor), min_size=max(8.0, floor))
            if floor <= 0 or not since.truncated:
                draw_fitted(canvas, since, sx, y, h)
                break
    return True


def _icon(canvas: skia.Canvas, view: AlertView, x: float, y: float, s: float) -> None:
    """A warning triangle (warning, critical) or a disc (info), with a '!' or an 'i' cut in dark."""
    tone = fill(view.tone)
    mark = fill(view.on_tone)
    if view.severity == "info":
        canvas.drawCircle(x + s / 2, y + s / 2, s / 2, tone)
        canvas.drawCircle(x + s / 2, y + s * 0.28, s * 0.07, mark)
        canvas.drawRoundRect(
            skia.Rect.MakeXYWH(x + s * 0.44, y + s * 0.42, s * 0.12, s * 0.36), s * 0.04, s * 0.04, mark
        )
        return
    tri = skia.Path()
    tri.moveTo(x + s / 2, y + s * 0.04)
    tri.lineTo(x + s * 0.98, y + s * 0.92)
    tri.lineTo(x + s * 0.02, y + s * 0.92)
    tri.close()
    round_corners = skia.Paint(tone)
    round_corners.setStyle(skia.Paint.kStrokeAndFill_Style)
    round_corners.setStrokeJoin(skia.Paint.kRound_Join)
    round_corners.setStrokeWidth(s * 0.08)
    canvas.drawPath(tri, round_corners)
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x + s * 0.44, y + s * 0.32, s * 0.12, s * 0.34), s * 0.05, s * 0.05, mark)
    canvas.drawCircle(x + s / 2, y + s * 0.78, s * 0.07, mark)
