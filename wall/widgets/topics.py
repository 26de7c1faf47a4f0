"""`topics`: trending topics / hashtags, as a ranked list with bars or as a word cloud.

The counts come from a breakdown metric (topic -> count: a listening tool's "topics", or the store's
own over every post: "topics" for hashtags, "terms" for words, "topics@7d" for other windows) or,
with `metric: posts`, from the hashtags of the feed's posts: each post counts a tag once; tags are
folded as the store folds them (wall/store/topics.py: case and accents, so '#Réseau' and '#reseau'
are one topic, shown in its most used spelling), and tags without a letter ('#22', '#2024'), of one
character or longer than TAG_MAX are no topics.

The word cloud is laid out by the painter (it needs font measurements) and is deterministic: the
same words and counts in the same zone always give the same picture. Words are placed biggest
first on an Archimedean spiral from the centre, with rectangle collision; if they do not all fit,
the whole cloud is scaled down and laid out again, so every word of the view is drawn.

Legibility: no text is laid out below the room's floor (BuildContext.min_text_px, carried in the
view as `text_floor`, rounded up to whole px). The list shows as many rows as keep their text at
the floor; the cloud's smallest words are at least the floor, it is scaled down only while its
biggest words stay twice the floor (so the ranking still reads), and then the words that find no
room are left out, lowest ranked first, instead of shrinking further. A header subtitle that
cannot be shown whole at the floor is left out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import skia
from pydantic import Field

from feeds.sanitize import plain_text

from ..colors import mix
from ..numbers import human_number
from ..paint.card import card, card_box, draw_header, header_height
from ..paint.status import draw_badge, draw_placeholder, header_width
from ..paint.surface import fill, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from .base import BindingBase, BuildContext, DataStatus, data_status
from .base import text_floor as _floor

NAME = "topics"
TEXT_BEARING = True

POSTS = "posts"  # the `metric` value that counts the posts' hashtags instead of reading a metric
MIN_ROW_PX = 48  # a list row is never shorter than this (legibility), so tall zones show more rows


class TopicsOptions(BindingBase):
    widget: Literal["topics"]
    metric: str = Field(
        default="topics",
        min_length=1,
        description="breakdown metric (topic -> count) in the feed; 'posts' counts the posts' hashtags",
    )
    style: Literal["list", "cloud"] = Field(default="list", description="ranked rows with bars, or a word cloud")
    limit: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="most topics shown; default 10 for a list (fewer if the zone is short), 30 for a cloud",
    )
    title: str | None = Field(default=None, max_length=200, description="heading; default: the metric's name")


Options = TopicsOptions  # the name the widget registry looks for


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


@lru_cache(maxsize=4096)
def _clean(label: str) -> str:
    """A topic as painted: plain text, one line, bounded (cached: build runs every frame)."""
    return plain_text(label, keep_newlines=False, max_chars=120)


# The store's rule for what a hashtag is (wall/store/topics.py: hashtag_topic), spelt out again here
# because widgets sit below the store and may not import it; tests/test_widget_topics.py checks that
# both give the same keys.
TAG_MIN, TAG_MAX = 2, 40
_ACCENTS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=4096)
def _hashtag(tag: str) -> tuple[str, str] | None:
    """(key, label) of a post's hashtag: the key folded (case, accents), the label as written with
    its '#'; None when it is no topic (no letter, too short or too long)."""
    name = tag.strip().lstrip("#").strip()
    key = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFKD", name.casefold())))
    if not (TAG_MIN <= len(key) <= TAG_MAX) or any(c.isspace() for c in key) or not _LETTER.search(key):
        return None
    label = _clean("#" + name)
    return ("#" + key, label) if len(label) > 1 else None


def _from_metric(snapshot, name: str) -> tuple[dict[str, float], list[str], str, str] | None:
    metric = snapshot.metrics.get(name)
    if metric is None or not metric.breakdown:
        return None
    counts, skipped = {}, []
    for raw, value in metric.breakdown.items():
        label = _clean(str(raw))
        if not label:
            continue
        if value is None or not math.isfinite(value):
            skipped.append(label)
            continue
        counts[label] = counts.get(label, 0.0) + max(0.0, float(value))  # a vendor's -1 is 0
    subtitle = " · ".join(s for s in (metric.window or "", metric.unit or "") if s)
    return counts, skipped, metric.name or name, subtitle


def _from_posts(snapshot) -> tuple[dict[str, float], list[str], str, str] | None:
    spelled: dict[str, dict[str, int]] = {}
    counts: dict[str, float] = {}
    for post in snapshot.posts:
        seen = set()
        for tag in post.hashtags:
            found = _hashtag(tag)
            if found is None or found[0] in seen:
                continue
            key, label = found
            seen.add(key)
            counts[key] = counts.get(key, 0) + 1
            forms = spelled.setdefault(key, {})
            forms[label] = forms.get(label, 0) + 1
    if not counts:
        return None
    # the most used spelling of each tag; ties go to the alphabetically first, for determinism
    shown = {min(forms, key=lambda f: (-forms[f], f)): counts[key] for key, forms in spelled.items()}
    n = sum(1 for p in snapshot.posts if p.kind != "article")
    return shown, [], "Trending hashtags", f"{n} posts"


def _min_row(floor: float) -> float:
    """The shortest list row: MIN_ROW_PX, or what keeps a row's text (half its height) at the floor."""
    return max(float(MIN_ROW_PX), 2.0 * floor)


def _body(x: float, y: float, w: float, h: float, floor: float) -> tuple[float, float, float, float, float, float]:
    """(pad, head_h, body x, body y, body w, body h) inside the card box x, y, w, h."""
    pad = max(4, round(min(w, h) * 0.05))
    head_h = header_height(h, 0.11, floor)
    return pad, head_h, x + pad, y + pad * 0.7 + head_h + pad * 0.5, w - 2 * pad, h - head_h - pad * 1.9


def _rows(options: TopicsOptions, ctx: BuildContext) -> int:
    if options.style == "cloud":
        return options.limit or 30
    # the list shows what fits at a legible row height: the card, a header, then rows
    floor = _floor(ctx)
    if floor <= 0:
        fit_rows = max(1, int(ctx.height * 0.78) // MIN_ROW_PX)
    else:  # the painter's own geometry: every row keeps its text at the floor
        body_h = _body(*card_box(ctx.width, ctx.height), floor)[5]
        fit_rows = max(1, int(body_h // _min_row(floor)))
    return min(options.limit or 10, fit_rows)


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: TopicsOptions, ctx: BuildContext) -> TopicsView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    found = None
    if ctx.data is not None:
        found = _from_posts(ctx.data) if options.metric == POSTS else _from_metric(ctx.data, options.metric)
    counts, skipped, title, subtitle = found or ({}, [], "Trending topics", "")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))[: _rows(options, ctx)]
    top = ranked[0][1] if ranked else 0.0
    items = tuple(
        TopicItem(
            rank=i + 1,
            label=label,
            count=int(round(n)),
            count_text=human_number(n),
            share=round(n / top, 4) if top > 0 else 0.0,
        )
        for i, (label, n) in enumerate(ranked)
    )
    if not items and status.ok:
        note = (
            "no hashtags in the feed's posts"
            if options.metric == POSTS
            else f"no '{options.metric}' breakdown in the feed"
        )
        status = DataStatus("ok", note)
    return TopicsView(
        style=options.style,
        title=plain_text(options.title, keep_newlines=False) if options.title else title,
        subtitle=subtitle,
        items=items,
        status=status,
        empty=not items,
        skipped=tuple(sorted(skipped)),
        background=theme.surface,
        frame=theme.background,
        track=mix(theme.surface, theme.text, 0.08),
        text=theme.text,
        muted=theme.muted,
        accent=theme.accent,
        palette=(theme.accent, theme.text, mix(theme.accent, theme.text, 0.45), theme.muted),
        font=theme.font,
        text_floor=_floor(ctx),
    )


# ---------------------------------------------------------------------------------------- painting


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
        pad, head_h, *body = _body(x, y, w, h, floor)
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
        items = items[: int(h // _min_row(floor))]
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


def shows_nothing(view: TopicsView) -> bool:
    """No topic to show (see top_posts.shows_nothing)."""
    return not view.items
