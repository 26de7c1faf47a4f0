"""`influencers`: the people who drive the conversation, as a leaderboard.

Rows: rank, rank change, avatar (or initials), name and handle, followers (or reach), mentions,
interactions. Every figure column is a count, whatever the source: followers or reach (people),
mentions (the author's posts in the window), interactions (likes, reposts, replies and quotes those
posts got: what `rank_by: engagement` orders by, and what `LeaderboardEntry.engagement` holds). The
headers and the subtitle say so ("Interactions", "by interactions"), never a bare "Engagement" that
one scenario would read as a rate and another as a count.

The ranking comes from the feed's leaderboard metric (option `metric`, in the source's order unless
`rank_by` asks for another), or, when the feed gives none (or `source: posts`), from its posts: the
store's ranking over every post of the window (`influencers`, `influencers@7d`...:
wall/store/windows.py; the kept window at least `window_minutes` long, which the subtitle names),
else, for a feed the store does not count (the demo), the snapshot's posts by `rank_authors` (by
mentions unless `rank_by` says otherwise).

Rank changes (▲ 2 / ▼ 1 / new) compare with the ranking `compare_minutes` earlier, and are only
shown where that ranking can be derived from the snapshot:
- from posts: the same aggregation over the window ending `compare_minutes` earlier (posts carry
  their publication time; their interaction counts are today's, so an engagement ranking of an
  hour ago is approximate; mentions are exact). No arrow when the snapshot holds no post that old
  (a feed that just started has no past to compare with).
- from the store's ranking over every post: its `previous_rank`s, the ranks in the same window an
  hour earlier (wall/store/windows.py), when `compare_minutes` is 60; another comparison shows no
  arrows rather than an hour's movement under another name.
- from a vendor's leaderboard metric: vendors state no previous ranks, and comparing theirs with
  one computed from posts would show movements that never happened, so no arrows are drawn
  (`compared_with` is empty).

Re-order animation (posts): the ranking is recomputed at each RANK_EVERY_S boundary of the clock; in
the REORDER_S after a boundary where the order changed, rows slide from their previous places to the
new ones in REORDER_STEPS quantised steps. It is a pure function of (snapshot, time): the previous
order is the ranking at the previous boundary, computed from the same snapshot. A leaderboard
metric's previous order is not in the snapshot, so it does not animate (the store's ranking neither).

Rows are as many as keep the smallest text at the room's floor (BuildContext.min_text_px; 4 m
when the wall states no distance); a `count` the room cannot read is reduced, never shrunk below it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import skia
from pydantic import Field

from feeds.model import Author, LeaderboardEntry, Metric, Post

from ..colors import with_alpha
from ..figure_windows import EVERY_POST, window_for, window_name
from ..geometry import DEFAULT_VIEWING_DISTANCE_M, min_font_px
from ..numbers import duration_text, finite, human_number
from ..paint.card import card, card_box
from ..paint.images import local_path
from ..paint.people import avatar_color, draw_avatar, draw_on_baseline, draw_verified, fit_line, initials
from ..paint.status import draw_badge, draw_nothing_to_show
from ..paint.surface import color, fill, raster
from ..paint.text import TextStyle, draw_fitted, fit
from ..paint.title_sizes import HEADER_EM, LINE, title_size
from ..pictures import cached
from .base import BindingBase, BuildContext, DataStatus, data_status, text_floor
from .inline_emoji import draw_emoji, with_emoji, without_slots
from .motion import ease_out, step_progress

NAME = "influencers"
TEXT_BEARING = True

# Sizes as shares of a row's height; "small" is the least text (handles, column labels).
TYPE = {"rank": 0.46, "name": 0.34, "figure": 0.34, "small": 0.27}
CHROME_ROWS = 0.62 + 0.42  # the title and the column labels, in rows
RANK_EVERY_S = 60
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
REORDER_S = 1.0
# what each ranking and figure column counts, as the subtitle ("by ...") and the headers say it
RANK_WORDS = {"mentions": "mentions", "engagement": "interactions", "reach": "reach"}
COLUMN_LABELS = {"mentions": "Mentions", "engagement": "Interactions"}
REORDER_STEPS = 10


class InfluencersOptions(BindingBase):
    widget: Literal["influencers"]
    metric: str = Field(
        default="influencers", min_length=1, max_length=200, description="the feed's leaderboard metric"
    )
    source: Literal["auto", "leaderboard", "posts"] = Field(
        default="auto", description="auto: the leaderboard metric when the feed has one, else computed from posts"
    )
    figure: Literal["followers", "reach"] = Field(default="followers", description="the audience column")
    rank_by: Literal["mentions", "engagement", "reach"] | None = Field(
        default=None,
        description="order of the rows; default: the leaderboard's own order, or mentions when "
        "ranked from posts (engagement: the interactions their posts got; reach: the audience figure)",
    )
    count: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="rows (fewer when they would be too small to read from the room's viewing "
        "distance); default: as many as stay readable, 3 to 10",
    )
    window_minutes: int = Field(
        default=1440, ge=5, le=43_200, description="posts source: the period authors are ranked over"
    )
    compare_minutes: int = Field(
        default=60, ge=5, le=10_080, description="rank changes compare with the ranking this long ago"
    )
    title: str | None = Field(
        default=None, max_length=80, description="header; default: the metric's name or 'Influencers'; '' hides it"
    )


Options = InfluencersOptions  # the name the widget registry looks for


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


# ----------------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class AuthorStats:
    author: Author
    mentions: int
    engagement: float
    reach: int


def _picture_ref(url: str | None) -> str:
    """A bundled demo avatar as it is, a web avatar's cached file once fetched, else '' (initials)."""
    if not url:
        return ""
    return url if local_path(url) is not None else cached(url)


def _author_key(a: Author) -> str:
    return a.id or a.handle.lower() or a.name


def rank_authors(posts: Iterable[Post], start: datetime, end: datetime, rank_by: str = "mentions") -> list[AuthorStats]:
    """Top authors over (start, end]: mentions = their posts, engagement = the interactions those
    posts got, reach = the posts' estimated reach (else the author's followers). Press articles are
    not people and are left out; a post seen twice counts once."""
    seen: set[str] = set()
    groups: dict[str, list[Post]] = {}
    for p in posts:
        if p.kind == "article" or p.key in seen or not (start < p.published_at <= end):
            continue
        seen.add(p.key)
        groups.setdefault(_author_key(p.author), []).append(p)
    stats = []
    for group in groups.values():
        latest = max(group, key=lambda p: p.published_at)
        engagement = sum(
            finite(p.engagement) if finite(p.engagement) is not None else p.total_engagement for p in group
        )
        reach = sum(p.reach if p.reach is not None else (p.author.followers or 0) for p in group)
        stats.append(AuthorStats(latest.author, len(group), float(engagement), int(reach)))
    order = {
        "mentions": lambda s: (-s.mentions, -s.engagement, -s.reach),
        "engagement": lambda s: (-s.engagement, -s.mentions, -s.reach),
        "reach": lambda s: (-s.reach, -s.engagement, -s.mentions),
    }[rank_by]
    stats.sort(key=lambda s: (*order(s), s.author.name, _author_key(s.author)))
    return stats


_memo: OrderedDict[tuple, tuple[tuple[Post, ...], list[AuthorStats]]] = OrderedDict()


def _ranking(posts: tuple[Post, ...], start: datetime, end: datetime, rank_by: str) -> list[AuthorStats]:
    """rank_authors, remembered: build() runs every frame and asks for the same few rankings
    (now, the previous boundary, compare_minutes ago) until the clock reaches the next boundary."""
    key = (id(posts), start, end, rank_by)
    hit = _memo.get(key)
    if hit is not None and hit[0] is posts:  # `is`: an id can be reused once a tuple is freed
        _memo.move_to_end(key)
        return hit[1]
    ranking = rank_authors(posts, start, end, rank_by)
    _memo[key] = (posts, ranking)
    while len(_memo) > 64:
        _memo.popitem(last=False)
    return ranking


def _leaderboard(metric: Metric) -> list[LeaderboardEntry]:
    seen: set[str] = set()
    out = []
    for e in metric.leaderboard or ():
        key = _author_key(e.author)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def movement(now_rank: int, before: dict[str, int] | None, key: str) -> tuple[str, int]:
    """('up', 2) / ('down', 1) / ('same', 0) / ('new', 0); ('', 0) when there is nothing to compare."""
    if before is None:
        return "", 0
    if key not in before:
        return "new", 0
    delta = before[key] - now_rank
    return ("up" if delta > 0 else "down" if delta < 0 else "same"), abs(delta)


def _planning_floor(ctx: BuildContext) -> float:
    """The smallest font size (px) the layout plans for: the room's (ctx.min_text_px) or, when the
    wall states no viewing distance, what the default distance needs on these panels."""
    return ctx.min_text_px or min_font_px(DEFAULT_VIEWING_DISTANCE_M, max(ctx.pitch_mm[1], 1e-3))


def _slots_for(count: int | None, height: int, floor_px: float, cap_px: float = 0.0, heading_h: float = 0.0) -> int:
    """Rows: as many as keep the smallest text (TYPE["small"] of a row) at `floor_px` (up to 10);
    or `count`, fewer where `cap_px` (the room's floor) says they would be unreadable. `heading_h`:
    the title's band when it has the wall's heading size (paint/title_sizes.py), else 0 (the title
    takes a share of a row)."""
    usable = height * 0.93 - heading_h  # less the card's margins
    chrome = CHROME_ROWS - 0.62 if heading_h else CHROME_ROWS

    def fitting(px: float) -> int:
        return int(usable / (px / TYPE["small"]) - chrome)

    if count is None:
        # a room that states its distance gets only readable rows (down to one); otherwise 3 at least
        return max(1 if cap_px > 0 else 3, min(10, fitting(floor_px)))
    return max(1, min(count, fitting(cap_px))) if cap_px > 0 else count


# ----------------------------------------------------------------------------------- build


def _row(
    rank: int,
    author: Author,
    figure: int | None,
    mentions: int,
    engagement: float | None,
    move: tuple[str, int],
    from_slot: int,
) -> InfluencerRow:
    # never ':blobcat:' in a name: its picture, once fetched, or nothing; never in the initials
    name, emoji = with_emoji(author.name, author.emojis)
    plain = without_slots(name)
    return InfluencerRow(
        key=_author_key(author),
        rank=rank,
        name=name if plain else author.handle or "unknown",
        name_emoji=emoji if plain else (),
        handle=author.handle if plain else "",
        initials=initials(plain, author.handle),
        avatar_color=avatar_color(_author_key(author)),
        avatar=_picture_ref(author.avatar_url),
        verified=author.verified,
        figure=figure,
        mentions=max(0, int(mentions)),
        engagement=finite(engagement),
        movement=move[0],
        places=move[1],
        from_slot=from_slot,
    )


def _figure(value: float | int | None) -> int | None:
    v = finite(value)
    return None if v is None else max(0, int(v))


def _from_posts(options: InfluencersOptions, ctx: BuildContext, slots: int):
    posts = ctx.data.posts
    rank_by = options.rank_by or "mentions"
    window = timedelta(minutes=options.window_minutes)
    epoch = math.floor(ctx.time.timestamp() / RANK_EVERY_S) * RANK_EVERY_S
    at = datetime.fromtimestamp(epoch, UTC)
    now = _ranking(posts, at - window, at, rank_by)
    then_at = at - timedelta(minutes=options.compare_minutes)
    before = None
    if _ranking(posts, _BEGINNING, then_at, rank_by):  # the snapshot reaches back that far
        before = {
            _author_key(s.author): i + 1 for i, s in enumerate(_ranking(posts, then_at - window, then_at, rank_by))
        }
    # the re-order animation: the order at the previous boundary, from the same snapshot
    progress, prev_slot = 1.0, None
    into = ctx.time.timestamp() - epoch
    if into < REORDER_S:
        prev_at = at - timedelta(seconds=RANK_EVERY_S)
        prev = [_author_key(s.author) for s in _ranking(posts, prev_at - window, prev_at, rank_by)[:slots]]
        if prev != [_author_key(s.author) for s in now[:slots]]:
            progress = step_progress(into, REORDER_S, REORDER_STEPS)
            prev_slot = {k: i for i, k in enumerate(prev)}
    rows = []
    for i, s in enumerate(now[:slots]):
        key = _author_key(s.author)
        figure = s.author.followers if options.figure == "followers" else s.reach
        from_slot = i if prev_slot is None else prev_slot.get(key, -1)
        rows.append(
            _row(i + 1, s.author, _figure(figure), s.mentions, s.engagement, movement(i + 1, before, key), from_slot)
        )
    leaving = []
    if prev_slot is not None:
        shown = {r.key for r in rows}
        by_key = {
            _author_key(s.author): s
            for s in _ranking(
                posts, at - window - timedelta(seconds=RANK_EVERY_S), at - timedelta(seconds=RANK_EVERY_S), rank_by
            )
        }
        for key, slot in prev_slot.items():
            if key not in shown and key in by_key:
                s = by_key[key]
                figure = s.author.followers if options.figure == "followers" else s.reach
                leaving.append(_row(slot + 1, s.author, _figure(figure), s.mentions, s.engagement, ("", 0), slot))
    how = f"by {RANK_WORDS[rank_by]}"
    compared = f"vs {duration_text(options.compare_minutes)} ago" if before is not None else ""
    subtitle = " · ".join(x for x in (how, f"last {duration_text(options.window_minutes)}", compared) if x)
    return rows, leaving, progress, compared, subtitle


def _windowed_board(options: InfluencersOptions, data: object) -> Metric | None:
    """The store's ranking (by `rank_by`) over every post of the window `window_minutes` asks for, if
    the feed has it."""
    metrics = getattr(data, "metrics", None) or {}
    by = options.rank_by or "mentions"
    m = metrics.get(
        window_name("influencers" if by == "mentions" else f"influencers.{by}", window_for(options.window_minutes))
    )
    return m if m is not None and m.provenance.startswith(EVERY_POST) and m.leaderboard else None


def _from_windowed(options: InfluencersOptions, metric: Metric, slots: int):
    """The store's ranking, in its order, with the rank changes it states when they compare with the
    time `compare_minutes` asks for."""
    compared = metric.compared_s is not None and metric.compared_s == options.compare_minutes * 60
    rows = []
    for i, e in enumerate(_leaderboard(metric)[:slots]):
        figure = e.author.followers if options.figure == "followers" else e.reach
        key = _author_key(e.author)
        before = {key: e.previous_rank} if e.previous_rank is not None else {}
        move = movement(i + 1, before, key) if compared else ("", 0)  # not ranked then: new
        rows.append(_row(i + 1, e.author, _figure(figure), e.mentions, e.engagement, move, i))
    vs = f"vs {duration_text(options.compare_minutes)} ago" if compared else ""
    how = f"by {RANK_WORDS[options.rank_by or 'mentions']}"
    span = "" if not metric.window else metric.window if metric.window.startswith("since") else f"last {metric.window}"
    subtitle = " · ".join(x for x in (how, span, vs) if x)
    return rows, [], 1.0, vs, subtitle


def _from_leaderboard(options: InfluencersOptions, metric: Metric, slots: int):
    entries = _leaderboard(metric)
    if options.rank_by is not None:  # re-sorted on request; the sort is stable, so ties keep the source's order
        value = {
            "mentions": lambda e: e.mentions,
            "engagement": lambda e: finite(e.engagement) or 0.0,
            "reach": lambda e: finite(e.reach) or 0.0,
        }[options.rank_by]
        entries.sort(key=lambda e: -value(e))
    rows = []
    for i, e in enumerate(entries[:slots]):
        figure = e.author.followers if options.figure == "followers" else e.reach
        rows.append(_row(i + 1, e.author, _figure(figure), e.mentions, e.engagement, ("", 0), i))
    how = f"by {RANK_WORDS[options.rank_by]}" if options.rank_by else ""
    subtitle = " · ".join(x for x in (how, f"last {metric.window}" if metric.window else "") if x)
    return rows, [], 1.0, "", subtitle


# its view changes with time only at the re-order's steps (rankings change on multiples of them):
# wall/scenes/views.py builds it once a step
TIME_STEP_S = REORDER_S / REORDER_STEPS


def build(options: InfluencersOptions, ctx: BuildContext) -> InfluencersView:
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    heading_h = title_size(text_floor(ctx), HEADER_EM) * LINE if options.title != "" else 0.0
    slots = _slots_for(options.count, ctx.height, _planning_floor(ctx), ctx.min_text_px, heading_h)
    metric = None
    if ctx.data is not None:
        metric = ctx.data.metrics.get(options.metric)
        if metric is not None and metric.provenance.startswith(EVERY_POST):
            metric = None  # the store's own ranking, not a vendor's: read below for the window and order asked
    has_board = metric is not None and bool(metric.leaderboard)
    source = ""
    rows: list[InfluencerRow] = []
    leaving: list[InfluencerRow] = []
    progress, compared, subtitle = 1.0, "", ""
    if ctx.data is not None:
        if options.source == "leaderboard" or (options.source == "auto" and has_board):
            if has_board:
                source = "leaderboard"
                rows, leaving, progress, compared, subtitle = _from_leaderboard(options, metric, slots)
        elif (windowed := _windowed_board(options, ctx.data)) is not None:
            source = "posts"
            rows, leaving, progress, compared, subtitle = _from_windowed(options, windowed, slots)
        else:
            source = "posts"
            rows, leaving, progress, compared, subtitle = _from_posts(options, ctx, slots)
    if options.title is not None:
        title = options.title
    else:
        title = metric.name if source == "leaderboard" and metric.name else "Influencers"
    theme = ctx.theme
    return InfluencersView(
        rows=tuple(rows),
        leaving=tuple(leaving),
        progress=progress,
        slots=slots,
        source=source,
        figure_label="Followers" if options.figure == "followers" else "Reach",
        compared_with=compared,
        title=title,
        subtitle=subtitle,
        empty_note="No influencers to rank yet" if options.source != "leaderboard" else "No leaderboard in this feed",
        status=status,
        font=theme.font,
        background=theme.background,
        surface=theme.surface,
        text=theme.text,
        muted=theme.muted,
        accent=theme.accent,
        positive=theme.positive,
        negative=theme.negative,
        text_floor=text_floor(ctx),
    )


# ----------------------------------------------------------------------------------- paint


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


def shows_nothing(view: InfluencersView) -> bool:
    """No one ranked (see top_posts.shows_nothing)."""
    return not view.rows and not view.leaving
