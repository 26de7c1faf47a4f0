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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from feeds.model import Author, LeaderboardEntry, Metric, Post

from ..figure_windows import EVERY_POST, window_for, window_name
from ..geometry import DEFAULT_VIEWING_DISTANCE_M, min_font_px
from ..numbers import duration_text, finite
from ..paint.images import local_path
from ..paint.people import avatar_color, initials
from ..paint.title_sizes import HEADER_EM, LINE, title_size
from ..painters.influencers import TYPE, InfluencerRow, InfluencersView, movement
from ..painters.influencers import paint as paint  # the widget's painter
from ..painters.motion import step_progress
from ..pictures import cached
from .base import BindingBase, BuildContext, data_status, text_floor
from .emoji_slots import with_emoji, without_slots
from .snapshot_memo import SnapshotMemo

NAME = "influencers"
TEXT_BEARING = True
CHROME_ROWS = 0.62 + 0.42  # the title and the column labels, in rows
RANK_EVERY_S = 60
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
REORDER_S = 1.0


# what each ranking and figure column counts, as the subtitle ("by ...") and the headers say it
RANK_WORDS = {"mentions": "mentions", "engagement": "interactions", "reach": "reach"}
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


# rankings per snapshot: now, the previous boundary's, compare_minutes ago's, the earliest
_memo: SnapshotMemo[list[AuthorStats]] = SnapshotMemo(per_snapshot=32)


def _ranking(data: Any, start: datetime, end: datetime, rank_by: str) -> list[AuthorStats]:
    """rank_authors of the snapshot's posts, remembered while the snapshot lives (snapshot_memo.py):
    build() runs every frame and asks for the same few rankings until the clock reaches the next
    boundary."""
    return _memo.get(data, (start, end, rank_by), lambda: rank_authors(data.posts, start, end, rank_by))


def _leaderboard(metric: Metric) -> list[LeaderboardEntry]:
    seen: set[str] = set()
    out = []
    for e in metric.leaderboard or ():
        key = _author_key(e.author)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


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
    data = ctx.data
    rank_by = options.rank_by or "mentions"
    window = timedelta(minutes=options.window_minutes)
    epoch = math.floor(ctx.time.timestamp() / RANK_EVERY_S) * RANK_EVERY_S
    at = datetime.fromtimestamp(epoch, UTC)
    now = _ranking(data, at - window, at, rank_by)
    then_at = at - timedelta(minutes=options.compare_minutes)
    before = None
    if _ranking(data, _BEGINNING, then_at, rank_by):  # the snapshot reaches back that far
        before = {
            _author_key(s.author): i + 1 for i, s in enumerate(_ranking(data, then_at - window, then_at, rank_by))
        }
    # the re-order animation: the order at the previous boundary, from the same snapshot
    progress, prev_slot = 1.0, None
    into = ctx.time.timestamp() - epoch
    if into < REORDER_S:
        prev_at = at - timedelta(seconds=RANK_EVERY_S)
        prev = [_author_key(s.author) for s in _ranking(data, prev_at - window, prev_at, rank_by)[:slots]]
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
                data, at - window - timedelta(seconds=RANK_EVERY_S), at - timedelta(seconds=RANK_EVERY_S), rank_by
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


def shows_nothing(view: InfluencersView) -> bool:
    """No one ranked (see top_posts.shows_nothing)."""
    return not view.rows and not view.leaving
