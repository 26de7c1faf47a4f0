"""`influencers`'s views and painter; its options and builder are in wall/widgets/influencers.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..colors import with_alpha
from ..numbers import human_number
from ..paint.card import card, card_box
from ..paint.people import draw_avatar, draw_on_baseline, draw_verified, fit_line
from ..paint.status import draw_badge, draw_nothing_to_show
from ..paint.surface import color, fill, raster
from ..paint.text import TextStyle, draw_fitted, fit
from ..paint.title_sizes import HEADER_EM, LINE, title_size
from .base import DataStatus
from .inline_emoji import draw_emoji
from .motion import ease_out

# Sizes as shares of a row's height; "small" is the least text (handles, column labels).
TYPE = {"rank": 0.46, "name": 0.34, "figure": 0.34, "small": 0.27}
COLUMN_LABELS = {"mentions": "Mentions", "engagement": "Interactions"}


@dataclass(frozen=True)
class InfluencerRow:
    key: str
    rank: int
    name: str
    handle: str
    initials: str
    avatar_color: str
    avatar: str  # a local picture reference, or '' to draw initials
    verified: bool
    figure: int | None  # followers or reach (see the view's figure_label); None: unknown
    mentions: int
    engagement: float | None
    movement: str  # up | down | same | new | '' (not known: no arrow)
    places: int  # places gained (up) or lost (down)
    from_slot: int  # where the row slides from during a re-order; -1: enters from below
    name_emoji: tuple[str, ...] = ()  # the cached picture of each custom emoji slot in `name`, in order


@dataclass(frozen=True)
class InfluencersView:
    rows: tuple[InfluencerRow, ...]
    leaving: tuple[InfluencerRow, ...]  # rows sliding out of the list during a re-order
    progress: float  # re-order progress in quantised steps; 1.0 when settled
    slots: int
    source: str  # leaderboard | posts | '' (nothing to rank)
    figure_label: str
    compared_with: str  # e.g. 'vs 1 h ago'; '' when rank changes cannot be derived
    title: str
    subtitle: str
    empty_note: str
    status: DataStatus
    font: str
    background: str
    surface: str
    text: str
    muted: str
    accent: str
    positive: str
    negative: str
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none


def movement(now_rank: int, before: dict[str, int] | None, key: str) -> tuple[str, int]:
    """('up', 2) / ('down', 1) / ('same', 0) / ('new', 0); ('', 0) when there is nothing to compare."""
    if before is None:
        return "", 0
    if key not in before:
        return "new", 0
    delta = before[key] - now_rank
    return ("up" if delta > 0 else "down" if delta < 0 else "same"), abs(delta)


@dataclass(frozen=True)
class _Columns:
    """x positions (left edges and widths) of a row's parts, for the row height and zone width."""

    rank: tuple[float, float]
    move: tuple[float, float]
    avatar: tuple[float, float]
    name: tuple[float, float]
    numbers: tuple[tuple[str, float, float], ...]  # (which, x, w), right-aligned figures


def _columns(x: float, w: float, rh: float, with_moves: bool) -> _Columns:
    rank_w, move_w, av_w = rh * 0.75, (rh * 1.05 if with_moves else rh * 0.2), rh * 0.95
    fixed = rank_w + move_w + av_w
    numbers = ["figure", "mentions", "engagement"]
    num_w = rh * 1.75
    # narrow zones drop engagement, then mentions; the audience figure goes only when even a
    # short name would not fit beside it
    while len(numbers) > 1 and w - fixed - len(numbers) * num_w < rh * 2.6:
        numbers.pop()
    if len(numbers) == 1:
        num_w = rh * 1.3
        if w - fixed - num_w < rh * 1.4:
            numbers.pop()
    name_x = x + rank_w + move_w + av_w
    name_w = w - rank_w - move_w - av_w - len(numbers) * num_w
    nums = tuple((which, name_x + name_w + i * num_w, num_w) for i, which in enumerate(numbers))
    return _Columns((x, rank_w), (x + rank_w, move_w), (x + rank_w + move_w, av_w), (name_x, name_w), nums)


def _number_text(row: InfluencerRow, which: str) -> str:
    if which == "figure":
        return human_number(row.figure)
    if which == "mentions":
        return human_number(row.mentions)
    return human_number(row.engagement)


def _draw_movement(
    canvas: skia.Canvas, row: InfluencerRow, view: InfluencersView, x: float, cy: float, w: float, rh: float
) -> None:
    if not row.movement:
        return
    s = rh * 0.2
    if row.movement == "same":
        canvas.drawRoundRect(
            skia.Rect.MakeXYWH(x + w * 0.18, cy - s * 0.12, s * 1.1, s * 0.24), s * 0.12, s * 0.12, fill(view.muted)
        )
        return
    if row.movement == "new":
        text = fit(
            "NEW",
            w * 0.86,
            rh * 0.4,
            TextStyle("Noto Sans", "#ffffff", True, "center"),
            max_size=rh * TYPE["small"],
            min_size=max(7, view.text_floor),
        )
        bh = text.paragraph.Height * 1.1
        bw = min(w * 0.9, text.paragraph.LongestLine + bh * 0.8)
        rect = skia.Rect.MakeXYWH(x + (w * 0.9 - bw) / 2, cy - bh / 2, bw, bh)
        canvas.drawRoundRect(rect, bh / 2, bh / 2, fill(view.accent))
        text.paragraph.paint(canvas, x, cy - text.paragraph.Height / 2)
        return
    up = row.movement == "up"
    ink = view.positive if up else view.negative
    tri = skia.Path()
    tx = x + w * 0.12
    if up:
        tri.moveTo(tx, cy + s * 0.55)
        tri.lineTo(tx + s * 1.2, cy + s * 0.55)
        tri.lineTo(tx + s * 0.6, cy - s * 0.55)
    else:
        tri.moveTo(tx, cy - s * 0.55)
        tri.lineTo(tx + s * 1.2, cy - s * 0.55)
        tri.lineTo(tx + s * 0.6, cy + s * 0.55)
    tri.close()
    canvas.drawPath(tri, fill(ink))
    label = fit(
        str(row.places),
        w - s * 1.6 - w * 0.12,
        rh * 0.5,
        TextStyle("Noto Sans", ink, True, "left"),
        max_size=rh * TYPE["small"] * 1.1,
        min_size=max(7, view.text_floor),
    )
    draw_fitted(canvas, label, tx + s * 1.45, cy - rh * 0.25, rh * 0.5)


def _draw_row(
    canvas: skia.Canvas,
    row: InfluencerRow,
    view: InfluencersView,
    cols: _Columns,
    y: float,
    rh: float,
    lifted: bool = False,
) -> None:
    cy = y + rh / 2
    if lifted:  # a row on the move covers the rows it passes, like a card lifted off the table
        x0, x1 = (
            cols.rank[0] - rh * 0.12,
            cols.numbers[-1][1] + cols.numbers[-1][2] if cols.numbers else cols.name[0] + cols.name[1],
        )
        rect = skia.Rect.MakeLTRB(x0, y + 1, x1 + rh * 0.12, y + rh - 1)
        shadow = skia.Paint(
            Color=color("#00000055"),
            AntiAlias=True,
            MaskFilter=skia.MaskFilter.MakeBlur(skia.kNormal_BlurStyle, rh * 0.06),
        )
        canvas.drawRoundRect(rect.makeOffset(0, rh * 0.05), rh * 0.18, rh * 0.18, shadow)
        canvas.drawRoundRect(rect, rh * 0.18, rh * 0.18, fill(view.surface))
        canvas.drawRoundRect(rect, rh * 0.18, rh * 0.18, fill(with_alpha(view.text, 0x14)))
    rank_ink = view.accent if row.rank <= 3 else view.text
    rank = fit(
        str(row.rank),
        cols.rank[1] * 0.9,
        rh * 0.7,
        TextStyle(view.font, rank_ink, True, "right"),
        max_size=rh * TYPE["rank"],
        min_size=max(8, view.text_floor),
    )
    draw_fitted(canvas, rank, cols.rank[0], y + rh * 0.15, rh * 0.7)
    _draw_movement(canvas, row, view, cols.move[0] + cols.move[1] * 0.12, cy, cols.move[1] * 0.88, rh)
    r = rh * 0.34
    draw_avatar(canvas, cols.avatar[0] + r, cy, r, row.initials, row.avatar_color, row.avatar or None)
    nx, nw = cols.name[0] + rh * 0.05, cols.name[1] - rh * 0.2
    if nw > 12 and nw < rh * 2.4:
        # a narrow column: the name alone, on up to two lines, rather than cut to 'Tech Re…'
        style = TextStyle(view.font, view.text, True, "left")
        name = fit(
            row.name,
            nw,
            rh * 0.86,
            style,
            max_size=rh * TYPE["small"] * 1.1,
            min_size=max(min(rh * 0.3, 10.0), view.text_floor),
        )
        draw_fitted(canvas, name, nx, y + rh * 0.07, rh * 0.86)
        if row.name_emoji:
            top = y + rh * 0.07 + max(0.0, (rh * 0.86 - name.paragraph.Height) / 2)  # where draw_fitted put it
            draw_emoji(canvas, name, row.name_emoji, style, nx, top, nw)
    elif nw > 12:
        two_lines = bool(row.handle) and rh >= 54
        size = rh * TYPE["name"]
        badge = size * 0.33 if row.verified else 0.0
        style = TextStyle(view.font, view.text, True, "left")
        name = fit_line(
            row.name,
            nw - badge * 3,
            size,
            style,
            min_size=min(size, max(10.0, view.text_floor, size * 0.6)),
        )
        baseline = y + rh * (0.5 if two_lines else 0.62)
        draw_on_baseline(canvas, name, nx, baseline)
        if row.name_emoji:
            top = baseline - name.paragraph.AlphabeticBaseline  # where draw_on_baseline put it
            draw_emoji(canvas, name, row.name_emoji, style, nx, top, nw - badge * 3)
        if row.verified:
            draw_verified(
                canvas, nx + name.paragraph.LongestLine + badge * 1.7, baseline - name.size * 0.36, badge, view.accent
            )
        if two_lines:
            hs = rh * TYPE["small"]
            handle = fit_line(
                row.handle,
                nw,
                hs,
                TextStyle(view.font, view.muted, False, "left"),
                min_size=min(hs, max(9.0, view.text_floor, hs * 0.6)),
            )
            draw_on_baseline(canvas, handle, nx, y + rh * 0.82)
    for which, x, w in cols.numbers:
        value = fit(
            _number_text(row, which),
            w - rh * 0.2,
            rh * 0.6,
            TextStyle(view.font, view.text, which == "figure", "right"),
            max_size=rh * TYPE["figure"],
            min_size=max(8, view.text_floor),
        )
        draw_fitted(canvas, value, x, y + rh * 0.2, rh * 0.6)


def paint(view: InfluencersView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.background) as (canvas, pixels):
        x, y, w, h = card_box(width, height)
        if w < 8 or h < 8:
            return pixels
        card(canvas, width, height, view.surface)
        if not view.rows:
            draw_nothing_to_show(canvas, (x, y, w, h), view, view.title or "Influencers")
            return pixels
        pad = max(4.0, min(w, h) * 0.035)
        ix, iw = x + pad, w - 2 * pad
        top = y + pad * 0.8
        # every height follows the row height, so the title and labels keep their proportion to the rows
        chrome = (0.62 if view.title else 0.0) + 0.42
        room = y + h - pad * 0.6 - top - (pad * 0.4 if view.title else 0.0)
        rh = room / (max(1, view.slots) + chrome)
        # with a floor, the heading has its size in every zone (paint/title_sizes.py): its band is its
        # line (measured) or the usual share of a row, whichever is taller, and the rows share the rest
        # (build planned them with a full LINE for it)
        heading = title_size(view.text_floor, HEADER_EM) if view.title else 0.0
        if view.title:
            style = TextStyle(view.font, view.text, True, "left")
            floor = max(8, view.text_floor)
            if heading:
                title = fit(view.title, iw * 0.6, heading * LINE, style, max_size=heading, min_size=floor)
                head_h = max(title.paragraph.Height, rh * 0.62)
                rh = (room - head_h) / (max(1, view.slots) + 0.42)
            else:
                head_h = rh * 0.62
                title = fit(view.title, iw * 0.6, head_h, style, max_size=rh * 0.44, min_size=floor)
            draw_fitted(canvas, title, ix, top, head_h)
            if view.subtitle:
                sx = ix + title.paragraph.LongestLine + rh * 0.3
                if ix + iw - sx > 20:
                    sub = fit_line(
                        view.subtitle,
                        ix + iw - sx,
                        rh * TYPE["small"],
                        TextStyle(view.font, view.muted, False, "left"),
                        min_size=max(8, view.text_floor),
                    )
                    draw_on_baseline(canvas, sub, sx, top + head_h / 2 + title.size * 0.36)
            top += head_h + pad * 0.4
        label_h = rh * 0.42
        cols = _columns(ix, iw, rh, with_moves=any(r.movement for r in view.rows))
        for which, cx, cw in cols.numbers:
            text = view.figure_label if which == "figure" else COLUMN_LABELS[which]
            label = fit(
                text,
                cw - rh * 0.12,
                label_h,
                TextStyle(view.font, view.muted, False, "right"),
                max_size=rh * TYPE["small"],
                min_size=max(8, view.text_floor),
            )
            draw_fitted(canvas, label, cx, top, label_h, "bottom")
        top += label_h
        stripe = fill(with_alpha(view.text, 0x0B))
        for i in range(view.slots):
            if i % 2 == 0:
                canvas.drawRoundRect(
                    skia.Rect.MakeXYWH(ix - pad * 0.4, top + i * rh, iw + pad * 0.8, rh), rh * 0.18, rh * 0.18, stripe
                )
        canvas.save()
        canvas.clipRect(skia.Rect.MakeXYWH(x, top, w, view.slots * rh))
        e = ease_out(view.progress)

        def slot_of(row: InfluencerRow, target: float) -> float:
            start = view.slots if row.from_slot < 0 else row.from_slot
            return start + (target - start) * e

        moving = [r for r in view.rows if view.progress < 1 and r.from_slot != r.rank - 1]
        for row in [r for r in view.rows if r not in moving]:
            _draw_row(canvas, row, view, cols, top + (row.rank - 1) * rh, rh)
        for row in view.leaving:
            _draw_row(canvas, row, view, cols, top + slot_of(row, view.slots) * rh, rh, lifted=True)
        # rows going down first, climbers last: the rise is the news, so it passes in front
        climb = lambda r: (view.slots if r.from_slot < 0 else r.from_slot) - (r.rank - 1)  # noqa: E731
        for row in sorted(moving, key=climb):
            _draw_row(canvas, row, view, cols, top + slot_of(row, row.rank - 1) * rh, rh, lifted=True)
        canvas.restore()
        draw_badge(canvas, 0, 0, width, height, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
