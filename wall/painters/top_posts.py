"""`top_posts`'s views and painter; its options and builder are in wall/widgets/top_posts.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skia

from ..colors import with_alpha
from ..numbers import human_number
from ..paint.card import card, card_box
from ..paint.images import PictureUnavailable, draw_picture, draw_picture_icon
from ..paint.people import draw_avatar, draw_on_baseline, draw_verified, fit_line
from ..paint.status import below_badge, draw_badge, draw_nothing_to_show, header_width
from ..paint.surface import color, fill, raster, stroke
from ..paint.text import Fitted, TextStyle, draw_fitted, fit, paragraph
from ..paint.title_sizes import HEADER_EM, title_size
from .base import DataStatus
from .inline_emoji import draw_emoji
from .motion import ease_out

# Sizes as shares of a card's scale u = min(card height, 0.95 x card width). "small" is the least
# text on a card (handle, counts, age, network badge); no text goes below the room's floor either.
TYPE = {"name": 0.072, "small": 0.056, "body_max": 0.1}
OTHER_NETWORK = ("Web", "#5c677d")


@dataclass(frozen=True)
class NetworkBadge:
    network: str
    label: str
    color: str


@dataclass(frozen=True)
class PostCard:
    key: str
    network: str  # the card's own post's network (its first copy)
    network_label: str
    network_color: str
    author: str
    handle: str
    initials: str
    avatar_color: str
    avatar: str  # a local picture reference ('asset:...', a path), or '' to draw initials
    verified: bool
    text: str
    title: str  # articles: the headline (shown bold above the text)
    likes: int | None  # all copies added up; None for an article (no counters: zeros would lie)
    reposts: int | None
    replies: int | None
    age: str
    image: str  # the first picture's URL as the source gave it ('' when none)
    image_local: bool  # a file we can paint; otherwise a placeholder with image_alt
    image_alt: str
    rtl: bool = False
    badges: tuple[NetworkBadge, ...] = ()  # every network the post was seen on, first copy first
    copies: tuple[str, ...] = ()  # keys of the other copies shown as this card (cross-posts)
    # custom emoji drawn inline: the cached picture of each EMOJI_SLOT in `text`, in order
    emoji: tuple[str, ...] = ()
    author_emoji: tuple[str, ...] = ()  # the same for `author` (Mastodon display names carry them too)


@dataclass(frozen=True)
class TopPostsView:
    posts: tuple[PostCard, ...]  # the page on screen
    outgoing: tuple[PostCard, ...]  # the page sliding away (only during a transition)
    progress: float  # transition progress in quantised steps; 1.0 when settled
    transition: str
    page: int
    pages: int
    columns: int  # the grid of this page: a page with fewer posts than the full grid gets one of its own
    rows: int
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
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none
    outgoing_grid: tuple[int, int] = (1, 1)  # (columns, rows) of the page sliding away


def _heart(cx: float, cy: float, s: float) -> skia.Path:
    p = skia.Path()
    p.moveTo(cx, cy + s * 0.42)
    p.cubicTo(cx - s * 0.75, cy - s * 0.05, cx - s * 0.42, cy - s * 0.62, cx, cy - s * 0.22)
    p.cubicTo(cx + s * 0.42, cy - s * 0.62, cx + s * 0.75, cy - s * 0.05, cx, cy + s * 0.42)
    p.close()
    return p


def _repost(cx: float, cy: float, s: float) -> tuple[skia.Path, skia.Path]:
    """Two arrows chasing each other round a loop: (stroke path, arrow heads to fill)."""
    line, heads = skia.Path(), skia.Path()
    w, h = s * 0.42, s * 0.26
    line.moveTo(cx - w, cy + h * 0.2)
    line.lineTo(cx - w, cy - h)
    line.lineTo(cx + w * 0.55, cy - h)
    line.moveTo(cx + w, cy - h * 0.2)
    line.lineTo(cx + w, cy + h)
    line.lineTo(cx - w * 0.55, cy + h)
    a = s * 0.17
    heads.moveTo(cx + w * 0.55 + a, cy - h)
    heads.lineTo(cx + w * 0.55 - a * 0.3, cy - h - a)
    heads.lineTo(cx + w * 0.55 - a * 0.3, cy - h + a)
    heads.close()
    heads.moveTo(cx - w * 0.55 - a, cy + h)
    heads.lineTo(cx - w * 0.55 + a * 0.3, cy + h - a)
    heads.lineTo(cx - w * 0.55 + a * 0.3, cy + h + a)
    heads.close()
    return line, heads


def _reply(cx: float, cy: float, s: float) -> skia.Path:
    p = skia.Path()
    r = skia.Rect.MakeXYWH(cx - s * 0.45, cy - s * 0.36, s * 0.9, s * 0.6)
    p.addRoundRect(r, s * 0.2, s * 0.2)
    p.moveTo(cx - s * 0.22, cy + s * 0.24)
    p.lineTo(cx - s * 0.3, cy + s * 0.44)
    p.lineTo(cx - s * 0.02, cy + s * 0.24)
    return p


def _draw_counts(
    canvas: skia.Canvas, c: PostCard, view: TopPostsView, x: float, y: float, w: float, h: float, size: float
) -> None:
    """Footer: heart / repost / reply icons with their counts on the left, the age on the right
    (an article's footer is its age alone: it has no counters)."""
    icon = size * 1.05
    solid = fill(view.muted)
    line = stroke(view.muted, max(1.5, icon * 0.1))
    age = fit_line(
        c.age,
        w * 0.3,
        size,
        TextStyle(view.font, view.muted, False, "left"),
        min_size=min(size, max(8.0, view.text_floor)),
    )
    age_w = age.paragraph.LongestLine
    baseline = y + h / 2 + size * 0.36
    draw_on_baseline(canvas, age, x + w - age_w, baseline)
    if c.likes is None or c.reposts is None or c.replies is None:
        return
    items = [
        (
            kind,
            fit_line(
                human_number(value),
                w,
                size,
                TextStyle(view.font, view.text, True, "left"),
                min_size=min(size, max(8.0, view.text_floor)),
            ),
        )
        for kind, value in (("like", c.likes), ("repost", c.reposts), ("reply", c.replies))
    ]
    room = w - age_w - icon
    # measured, not guessed: drop replies, then reposts, when the card is too narrow for all three
    while items and sum(icon * 1.3 + t.paragraph.LongestLine for _, t in items) + icon * (len(items) - 1) > room:
        items.pop()
    if not items:
        return
    used = sum(icon * 1.3 + t.paragraph.LongestLine for _, t in items)
    spacing = min(icon * 2.2, (room - used) / max(1, len(items) - 1)) if len(items) > 1 else 0.0
    cx, cy = x, y + h / 2
    for kind, label in items:
        ic = cx + icon / 2
        if kind == "like":
            canvas.drawPath(_heart(ic, cy, icon), fill("#ff5c8a"))
        elif kind == "repost":
            path, heads = _repost(ic, cy, icon)
            canvas.drawPath(path, line)
            canvas.drawPath(heads, solid)
        else:
            canvas.drawPath(_reply(ic, cy, icon), line)
        draw_on_baseline(canvas, label, cx + icon * 1.3, baseline)
        cx += icon * 1.3 + label.paragraph.LongestLine + spacing


def _badge_text(label: str, max_w: float, size: float, floor: float) -> Fitted:
    return fit_line(
        label,
        max(1.0, max_w - size * 1.1),
        size,
        TextStyle("Noto Sans", "#ffffff", True, "left"),
        min_size=min(size, max(7.0, floor)),
    )


def _pill_width(text: Fitted) -> float:
    return text.paragraph.LongestLine + 2 * text.size * 0.55


def _draw_pill(canvas: skia.Canvas, text: Fitted, ink: str, right: float, baseline: float) -> float:
    """One badge: `text` on `baseline`, in a pill of colour `ink` ending at `right`. Returns its width."""
    pad = text.size * 0.55
    bw = _pill_width(text)
    bh = text.size * 1.45
    top = baseline - text.size * 0.36 - bh / 2
    rect = skia.Rect.MakeXYWH(right - bw, top, bw, bh)
    canvas.drawRoundRect(rect, bh / 2, bh / 2, fill(ink))
    canvas.drawRoundRect(
        rect,
        bh / 2,
        bh / 2,
        skia.Paint(Color=color("#ffffff40"), AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=1.0),
    )
    draw_on_baseline(canvas, text, right - bw + pad, baseline)
    return bw


def _draw_networks(
    canvas: skia.Canvas, c: PostCard, right: float, baseline: float, size: float, max_w: float, floor: float = 0.0
) -> float:
    """The network badges at `size` on `baseline`, in posting order, the last one ending at `right`,
    within `max_w`. Several badges may shrink together (to 70% of `size`, never below the room's
    floor) to fit; those that still do not give way to a '+n' pill. Returns the width used."""
    badges = c.badges or (NetworkBadge(c.network, c.network_label, c.network_color),)
    if len(badges) == 1:
        return _draw_pill(canvas, _badge_text(badges[0].label, max_w, size, floor), badges[0].color, right, baseline)
    gap = size * 0.3
    smallest = min(size, max(7.0, floor, size * 0.7))

    def row(n: int, at: float) -> tuple[list[tuple[Fitted, str]], float]:
        pills = [(_badge_text(b.label, max_w, at, floor), b.color) for b in badges[:n]]
        if n < len(badges):
            pills.append((_badge_text(f"+{len(badges) - n}", max_w, at, floor), OTHER_NETWORK[1]))
        return pills, sum(_pill_width(t) for t, _ in pills) + gap * (len(pills) - 1)

    for n in range(len(badges), 0, -1):
        pills, used = row(n, size)
        if used > max_w and size > smallest:
            pills, used = row(n, max(smallest, size * max_w / used))
        if used <= max_w:
            break
    x = right
    for text, ink in reversed(pills):
        x -= _draw_pill(canvas, text, ink, x, baseline) + gap
    return right - x - gap


def _draw_image(
    canvas: skia.Canvas, c: PostCard, view: TopPostsView, x: float, y: float, w: float, h: float, radius: float
) -> None:
    if c.image_local:
        try:
            # a feed's picture: opened only as a bundled demo picture or a file of the picture cache
            draw_picture(canvas, c.image, x, y, w, h, "cover", radius, feed=True)
            return
        except PictureUnavailable:
            pass
    # not fetched (remote), hidden (sensitive) or unreadable: a calm tile that says what is there
    rect = skia.Rect.MakeXYWH(x, y, w, h)
    canvas.drawRoundRect(rect, radius, radius, fill(view.background))
    icon = min(w, h) * 0.3
    caption_h = h * 0.28
    draw_picture_icon(canvas, x + w / 2, y + (h - caption_h) / 2 + icon * 0.15, icon, view.muted)
    alt = fit(
        c.image_alt or "picture",
        w * 0.9,
        caption_h * 0.8,
        TextStyle(view.font, view.muted, False, "center"),
        max_size=max(10.0, min(h * 0.1, 30.0)),
        min_size=max(8, view.text_floor),
    )
    draw_fitted(canvas, alt, x + w * 0.05, y + h - caption_h, caption_h * 0.8, "top")


def _draw_card(canvas: skia.Canvas, c: PostCard, view: TopPostsView, x: float, y: float, w: float, h: float) -> None:
    """One card. Every size follows the card's scale u, in fixed proportions (TYPE), so the
    smallest text (handle, counts, badge) is a known share of the card: what auto-layout plans on."""
    u = min(h, w * 0.95)
    radius = max(6.0, u * 0.045)
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x, y, w, h), radius, radius, fill(view.surface))
    pad = max(6.0, u * 0.06)
    ix, iy, iw, ih = x + pad, y + pad, w - 2 * pad, h - 2 * pad
    if iw < 20 or ih < 20:
        return
    gap = pad * 0.6
    small = max(u * TYPE["small"], view.text_floor)
    size = max(u * TYPE["name"], small * 1.2)
    # header: avatar, name over handle (+ network badge), placed by baselines
    name_base = size * 0.98
    line2 = name_base + size * 0.27 + small * 1.1
    head_h = min(ih * 0.4, line2 + small * 0.3)
    if head_h < line2 + small * 0.3:  # a very small card: squeeze the header proportionally
        k = head_h / (line2 + small * 0.3)
        size, small, name_base, line2 = size * k, small * k, name_base * k, line2 * k
    av = min(head_h, max(u * 0.17, head_h * 0.9))
    draw_avatar(canvas, ix + av / 2, iy + head_h / 2, av / 2, c.initials, c.avatar_color, c.avatar or None)
    name_x = ix + av + gap
    name_w = iw - av - gap
    if name_w > 10:
        verified_r = size * 0.33 if c.verified else 0.0
        name_style = TextStyle(view.font, view.text, True, "left")
        name = fit_line(
            c.author,
            name_w - 3 * verified_r,
            size,
            name_style,
            min_size=min(size, max(10.0, view.text_floor, size * 0.6)),
        )
        draw_on_baseline(canvas, name, name_x, iy + name_base)
        if c.author_emoji:
            top = iy + name_base - name.paragraph.AlphabeticBaseline  # where draw_on_baseline put it
            draw_emoji(canvas, name, c.author_emoji, name_style, name_x, top, name_w - 3 * verified_r)
        if c.verified:
            vx = name_x + name.paragraph.LongestLine + verified_r * 1.6
            draw_verified(canvas, vx, iy + name_base - name.size * 0.36, verified_r, view.accent)
        # second line: the handle, and the network badges at its end
        badges_w = name_w * 0.5
        if len(c.badges) > 1:  # a cross-post: its networks take what the handle leaves (at least 65%)
            badges_w = name_w
            if c.handle:
                style = TextStyle(view.font, view.muted, False, "left")
                badges_w -= min(paragraph(c.handle, small, 100_000, style).LongestLine, name_w * 0.35) + gap
        badge_w = _draw_networks(canvas, c, ix + iw, iy + line2, small, badges_w, view.text_floor)
        if c.handle and name_w - badge_w - gap > 10:
            handle = fit_line(
                c.handle,
                name_w - badge_w - gap,
                small,
                TextStyle(view.font, view.muted, False, "left"),
                min_size=min(small, max(9.0, view.text_floor, small * 0.6)),
            )
            draw_on_baseline(canvas, handle, name_x, iy + line2)
    # footer: counts and age
    foot_h = min(ih * 0.2, small * 1.45)
    _draw_counts(canvas, c, view, ix, iy + ih - foot_h, iw, foot_h, min(small, foot_h * 0.8))
    # body: text, and the picture beside it (wide cards) or under it (tall cards)
    by = iy + head_h + gap
    bh = ih - head_h - foot_h - 2 * gap
    if bh < 10:
        return
    tx, ty, tw, th = ix, by, iw, bh
    if c.image:
        if w / h >= 1.45:
            img_w = iw * 0.42
            _draw_image(canvas, c, view, ix + iw - img_w, by, img_w, bh, radius * 0.7)
            tw = iw - img_w - gap
        else:
            img_h = bh * 0.48
            _draw_image(canvas, c, view, ix, by + bh - img_h, iw, img_h, radius * 0.7)
            th = bh - img_h - gap
    if th < 10 or tw < 20:
        return
    body_max = max(14.0, u * TYPE["body_max"], small * 1.3)
    body_min = max(12.0, min(body_max, small))
    if c.title:
        head_h = th * (0.5 if c.text else 1.0)
        head = fit(
            c.title,
            tw,
            head_h,
            TextStyle(view.font, view.text, True, "start"),
            max_size=body_max * 1.1,
            min_size=body_min,
        )
        draw_fitted(canvas, head, tx, ty, head_h, "top")
        used = head.paragraph.Height + gap * 0.5
        ty, th = ty + used, th - used
    if c.text and th >= body_min:
        style = TextStyle(view.font, view.text, False, "start")
        body = fit(c.text, tw, th, style, max_size=body_max, min_size=body_min)
        draw_fitted(canvas, body, tx, ty, th, "top")
        if c.emoji:
            draw_emoji(canvas, body, c.emoji, style, tx, ty, tw)  # "top": the paragraph starts at ty


def _draw_page(
    canvas: skia.Canvas,
    cards: tuple[PostCard, ...],
    view: TopPostsView,
    x: float,
    y: float,
    w: float,
    h: float,
    gutter: float,
    grid: tuple[int, int],
) -> None:
    """The cards in a grid of (columns, rows) that fills the box: rows without cards are not kept,
    and a last row with fewer cards shares its width among them (no hole at its end)."""
    cols, rows = grid
    n = min(len(cards), cols * rows)
    if n == 0:
        return
    used = math.ceil(n / cols)
    ch = (h - (used - 1) * gutter) / used
    for row in range(used):
        in_row = cards[row * cols : min(n, (row + 1) * cols)]
        cw = (w - (len(in_row) - 1) * gutter) / len(in_row)
        for col, c in enumerate(in_row):
            _draw_card(canvas, c, view, x + col * (cw + gutter), y + row * (ch + gutter), cw, ch)


def _draw_header(canvas: skia.Canvas, view: TopPostsView, x: float, y: float, w: float, h: float) -> None:
    dot_r = h * 0.12
    dots_w = (view.pages * 3 - 1) * dot_r if view.pages > 1 else 0.0
    heading = title_size(view.text_floor, HEADER_EM)  # the band is sized for it (paint)
    title = fit(
        view.title,
        w * 0.55,
        h if heading else h * 0.8,
        TextStyle(view.font, view.text, True, "left"),
        max_size=heading or h * 0.62,
        min_size=max(8, view.text_floor),
    )
    draw_fitted(canvas, title, x, y, h)
    sub_x = x + title.paragraph.LongestLine + h * 0.45
    sub_w = w - (sub_x - x) - dots_w - h * 0.5
    if sub_w > 20:
        sub = fit(
            view.subtitle,
            sub_w,
            h,
            TextStyle(view.font, view.muted, False, "left"),
            max_size=max(h * 0.45, min(view.text_floor, h * 0.7)),
            min_size=max(8, view.text_floor),
        )
        draw_fitted(canvas, sub, sub_x, y + (h - sub.paragraph.Height) / 2 + h * 0.05, sub.paragraph.Height, "top")
    for i in range(view.pages if view.pages > 1 else 0):
        cx = x + w - dots_w + dot_r + i * 3 * dot_r
        on = i == view.page
        ink = view.accent if on else with_alpha(view.muted, 0x66)
        canvas.drawCircle(cx, y + h / 2, dot_r, fill(ink))


def paint(view: TopPostsView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.background) as (canvas, pixels):
        x, y, w, h = card_box(width, height)
        g = x  # the gutter: between the zone's edge and the cards, and between cards
        if w < 8 or h < 8:
            return pixels
        if not view.posts:
            card(canvas, width, height, view.surface)
            draw_nothing_to_show(canvas, (x, y, w, h), view, view.title or "Top posts")
            return pixels
        header_h = 0.0
        if view.title:
            # with a floor, the heading's size (the same in every zone: paint/card.py) sets the band
            heading = title_size(view.text_floor, HEADER_EM)
            header_h = heading / 0.62 if heading else min(max(22.0, h * 0.095), 130.0)
            hw = header_width((0, 0, width, height), x + g * 0.5, w - g, view.status, view.status.min_px)
            _draw_header(canvas, view, x + g * 0.5, y, hw, header_h)
            header_h += g * 0.6
        # the cards start below the header and below a stale badge, which may be the taller of the two
        gy = max(y + header_h, below_badge((0, 0, width, height), y, view.status, view.status.min_px))
        gh = y + h - gy
        grid = (view.columns, view.rows)
        if view.outgoing and view.progress < 1.0:
            e = ease_out(view.progress)
            canvas.save()
            canvas.clipRect(skia.Rect.MakeXYWH(0, gy, width, gh))
            if view.transition == "fade":
                _draw_page(canvas, view.outgoing, view, x, gy, w, gh, g, view.outgoing_grid)
                canvas.saveLayerAlpha(skia.Rect.MakeXYWH(0, gy, width, gh), round(255 * e))
                canvas.drawColor(color(view.background))
                _draw_page(canvas, view.posts, view, x, gy, w, gh, g, grid)
                canvas.restore()
            else:
                shift = (w + g) * e
                _draw_page(canvas, view.outgoing, view, x - shift, gy, w, gh, g, view.outgoing_grid)
                _draw_page(canvas, view.posts, view, x + (w + g) - shift, gy, w, gh, g, grid)
            canvas.restore()
        else:
            _draw_page(canvas, view.posts, view, x, gy, w, gh, g, grid)
        draw_badge(canvas, 0, 0, width, height, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
