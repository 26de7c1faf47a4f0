"""`top_posts`: the posts of the moment as cards, ranked, in pages that turn by themselves.

A card shows the author (avatar or initials, name, handle), a network mark, the post's text (in its
own direction: Arabic and Hebrew read from the right), its first picture, like / repost / reply
counts and its age. Posts are ranked by engagement, recency or reach over a recent window.

Press articles (kind "article", with `include_articles`) are cards without counters: the outlet,
its network mark, the headline, the summary, the picture and the age. A feed gives no likes for an
article; a row of zeros would say nobody cared.

One post, one card: the same text by the same person posted on several networks (or twice on one)
within feeds.crossposts.WINDOW of its first copy shows once, as that first copy (the original: its age is
the post's, and the card does not change hands as engagement moves between networks), with every
network's mark, counts that add up all copies, and ranked by that sum (reach: the sum of the
copies' reach; recency: the first copy's time). Same person: the same display name once folded (case,
accents, spaces), or the same handle without '@', Mastodon's '@instance' and Bluesky's '.domain'.
Same text: equal once case, runs of spaces, URLs (each network shortens them its own way) and the
hashtags at the end (a cross-poster adds each network's) are left aside. Exact duplicates (one key)
are one post already.

Pages turn as a pure function of time: page = floor(epoch / page_seconds) % pages, so every
machine of a wall turns together and a render at --time is reproducible. Each turn slides (or fades)
for TRANSITION_S in TRANSITION_STEPS quantised steps. Ranking and ages are taken as of the page's
start, so between turns the view is constant (the zone is not repainted); it changes mid-page only
when the feed's data does. `pages` is the most there are: fewer when the window holds fewer posts.

Cards per page: as many as keep the smallest text (handle, counts) at the room's floor
(BuildContext.min_text_px; what 4 m needs when the wall states no distance); a `count` the room
cannot read is reduced. Pictures: 'asset:' and local files are painted (decoded in the painter);
http(s) pictures (and avatars) are fetched by the picture service (wall/pictures.py) off the render
thread; the card carries the cached file once it is there, and until then (or when it failed) a
placeholder with the alt text (initials for an avatar).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from feeds.crossposts import cross_posted, identities
from feeds.model import Post, Tone

from ..geometry import DEFAULT_VIEWING_DISTANCE_M, min_font_px
from ..numbers import duration_text
from ..paint.images import local_path
from ..paint.people import age_text, avatar_color, initials
from ..paint.text import ELLIPSIS
from ..painters.inline_emoji import EMOJI_SLOT
from ..painters.motion import step_progress
from ..painters.top_posts import OTHER_NETWORK, NetworkBadge, PostCard, TopPostsView
from ..painters.top_posts import paint as paint  # the widget's painter
from ..pictures import cached
from .base import BindingBase, BuildContext, data_status, text_floor
from .emoji_slots import with_emoji
from .snapshot_memo import SnapshotMemo

NAME = "top_posts"
TEXT_BEARING = True
TRANSITION_S = 0.6
TRANSITION_STEPS = 8
MAX_TEXT_CHARS = 600  # more never fits a card; cutting here bounds the painter's work on a 10,000-char post
FUTURE_SKEW = timedelta(minutes=2)  # posts stamped slightly ahead of our clock still show


# The smallest card that still holds its text at a given smallest size f: 17 f wide (the counts
# row with room to breathe), 9.5 f tall (header, two lines of text, footer).
CARD_MIN_EM = (17.0, 9.5)
NETWORKS = {  # network -> (label, badge colour); no trademarked logos, a clean label instead
    "x": ("X", "#1d2129"),
    "mastodon": ("Mastodon", "#6364ff"),
    "bluesky": ("Bluesky", "#1185fe"),
    "rss": ("RSS", "#e8590c"),
}


class TopPostsOptions(BindingBase):
    widget: Literal["top_posts"]
    rank_by: Literal["engagement", "recency", "reach"] = Field(
        default="engagement",
        description="engagement: likes + reposts + replies + quotes (or the source's engagement score); "
        "recency: newest first; reach: the post's estimated reach (else its author's followers)",
    )
    count: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="cards per page (fewer when they would be too small to read from the "
        "room's viewing distance); default: as many as stay readable, 1 to 6",
    )
    pages: int = Field(default=3, ge=1, le=20, description="pages to rotate through (fewer when posts run out)")
    page_seconds: float = Field(default=12.0, ge=3.0, le=3600.0, description="seconds each page stays")
    window_minutes: int = Field(default=240, ge=1, le=43_200, description="only posts newer than this")
    include_articles: bool = Field(default=False, description="also show press articles (RSS headlines)")
    transition: Literal["slide", "fade", "none"] = Field(default="slide", description="how pages turn")
    show_images: bool = Field(default=True, description="show each post's first picture")
    tone: list[Tone] | None = Field(
        default=None,
        min_length=1,
        description="only posts of these tones, e.g. [negative, neutral] on a crisis wall (what the room must "
        "answer); posts without a tone show only without this option",
    )
    title: str | None = Field(
        default=None, max_length=80, description="header text; default 'Top posts'; an empty string hides the header"
    )


Options = TopPostsOptions  # the name the widget registry looks for


def _engagement(p: Post) -> float:
    if p.engagement is not None and math.isfinite(p.engagement):
        return p.engagement
    return float(p.total_engagement)


def _reach(p: Post) -> float:
    return float(p.reach if p.reach is not None else (p.author.followers or 0))


def rank_cards(
    posts: tuple[Post, ...] | list[Post],
    t: datetime,
    rank_by: str,
    window_minutes: int,
    include_articles: bool = False,
    tones: frozenset[str] | None = None,
) -> list[tuple[Post, ...]]:
    """The cards worth showing, best first, each as its posts (first copy first; see the module's
    docstring): inside the window, of `tones` (when given), with something to show, no duplicates,
    cross-posts merged."""
    oldest, newest = t - timedelta(minutes=window_minutes), t + FUTURE_SKEW
    seen: set[str] = set()
    keep = []
    for p in posts:
        if p.key in seen or not (oldest <= p.published_at <= newest):
            continue
        if tones is not None and (p.sentiment is None or p.sentiment.label not in tones):
            continue
        if p.kind == "article" and not include_articles:
            continue
        if not (p.text or p.title or p.media):
            continue  # e.g. an ids-only post whose text the source may not show
        seen.add(p.key)
        keep.append(p)
    cards = [tuple(g) for g in cross_posted(keep)]
    newest_first = lambda g: -g[0].published_at.timestamp()  # noqa: E731
    if rank_by == "recency":
        cards.sort(key=lambda g: (newest_first(g), g[0].key))
    elif rank_by == "reach":
        cards.sort(key=lambda g: (-sum(map(_reach, g)), newest_first(g), g[0].key))
    else:
        cards.sort(key=lambda g: (-sum(map(_engagement, g)), newest_first(g), g[0].key))
    return _once(cards)


def _once(cards: list[tuple[Post, ...]]) -> list[tuple[Post, ...]]:
    """The same person's same words posted again later (a repeated line, a bot, a campaign) show
    once, as their best-ranked card: two equal cards on one page look like a broken wall."""
    said: set[tuple[str, str]] = set()
    out = []
    for g in cards:
        ids = identities(g[0])
        if ids and not said.isdisjoint(ids):
            continue
        said.update(ids)
        out.append(g)
    return out


def rank_posts(
    posts: tuple[Post, ...] | list[Post], t: datetime, rank_by: str, window_minutes: int, include_articles: bool = False
) -> list[Post]:
    """The posts worth a card, best first (`rank_cards`, each card as its first copy)."""
    return [g[0] for g in rank_cards(posts, t, rank_by, window_minutes, include_articles)]


# rankings per snapshot: a zone asks for its page's and, while a page turns, the previous page's
_memo: SnapshotMemo[list[tuple[Post, ...]]] = SnapshotMemo(per_snapshot=16)


def _ranked(data: Any, t: datetime, options: TopPostsOptions) -> list[tuple[Post, ...]]:
    """rank_cards of the snapshot's posts as of t (a page's start), remembered while the snapshot
    lives (snapshot_memo.py): build() runs every frame, and sorting a few thousand posts per zone
    per frame would eat the frame budget."""
    tones = frozenset(options.tone) if options.tone else None
    key = (t, options.rank_by, options.window_minutes, options.include_articles, tones)
    return _memo.get(
        data,
        key,
        lambda: rank_cards(data.posts, t, options.rank_by, options.window_minutes, options.include_articles, tones),
    )


def planning_floor(ctx: BuildContext) -> float:
    """The smallest font size (px) the layout plans for: the room's (ctx.min_text_px) or, when the
    wall states no viewing distance, what the default distance needs on these panels."""
    return ctx.min_text_px or min_font_px(DEFAULT_VIEWING_DISTANCE_M, max(ctx.pitch_mm[1], 1e-3))


def grid_for(
    count: int | None, width: int, height: int, floor_px: float = 41.0, cap_px: float = 0.0
) -> tuple[int, int]:
    """(columns, rows) of cards. Automatic (count None): as many cards as keep text at `floor_px`
    or more, 1 to 6. Given a count: that many (fewer where `cap_px`, the room's floor, says they
    would not be readable), arranged so cards are closest to square, with few empty places."""

    def fits(px: float) -> tuple[int, int]:
        min_w, min_h = CARD_MIN_EM[0] * px, CARD_MIN_EM[1] * px
        return max(1, int(width * 0.97 // max(min_w, 1.0))), max(1, int(height * 0.9 // max(min_h, 1.0)))

    if count is None:
        cols, rows = fits(floor_px)
        return min(3, cols), min(2, rows)
    max_cols, max_rows = fits(cap_px) if cap_px > 0 else (count, count)
    count = max(1, min(count, max_cols * max_rows))
    best = None
    for cols in range(1, min(count, max_cols) + 1):
        rows = math.ceil(count / cols)
        if rows > max_rows or (cols - 1) * rows >= count:
            continue  # too many rows for the room, or a whole empty column
        aspect = (width / cols) / max(1.0, height / rows)
        score = abs(math.log(aspect)) + (cols * rows - count) / count  # holes look unfinished
        if best is None or score < best[0]:
            best = (score, cols, rows)
    if best is None:
        return min(count, max_cols), 1
    return best[1], best[2]


def _cut(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + ELLIPSIS


def _is_rtl(text: str) -> bool:
    from ..paint.text import is_rtl

    return is_rtl(text)


def _picture_ref(url: str | None) -> str:
    """What a painter can open for a feed's picture: a bundled demo picture, or the web picture's
    cached file once the picture service has it ('' until then: initials / the placeholder)."""
    if not url:
        return ""
    return url if local_path(url) is not None else cached(url)


def card_for(p: Post, t: datetime, show_images: bool, copies: tuple[Post, ...] = ()) -> PostCard:
    """The card of post `p`, and of its `copies` on other networks when it was cross-posted."""
    label, badge = NETWORKS.get(p.network, OTHER_NETWORK)
    a = p.author
    avatar_ref = _picture_ref(a.avatar_url)
    image, image_local, alt = "", False, ""
    if show_images:
        first = next((m for m in p.media if m.kind in ("image", "gif")), None)
        if first is not None:
            image = first.url
            alt = first.alt or "picture"
            if first.sensitive:
                image_local, alt = False, "sensitive picture hidden"
            else:
                cached_image = _picture_ref(first.url)
                image, image_local = (cached_image, True) if cached_image else (image, False)
    title = _cut(p.title or "", 200) if p.kind == "article" else ""
    body, emoji = with_emoji(p.text, p.emojis)  # never ':blobcat:' on a wall
    text = "" if title and body.strip() == title.strip() else _cut(body)
    emoji = emoji[: text.count(EMOJI_SLOT)]
    name, name_emoji = with_emoji(a.name or "", a.emojis)
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    if p.kind != "article":
        every = (p, *copies)
        likes = sum(max(0, int(c.metrics.likes)) for c in every)
        reposts = sum(max(0, int(c.metrics.reposts)) for c in every)
        replies = sum(max(0, int(c.metrics.replies)) for c in every)
    networks = dict.fromkeys(c.network for c in (p, *copies))
    return PostCard(
        key=p.key,
        network=p.network,
        network_label=label,
        network_color=badge,
        author=name or a.handle or "unknown",
        handle=a.handle if name else "",
        initials=initials(name, a.handle),
        avatar_color=avatar_color(a.id or a.handle or a.name),
        avatar=avatar_ref,
        verified=a.verified,
        text=text,
        title=title,
        likes=likes,
        reposts=reposts,
        replies=replies,
        age=age_text((t - p.published_at).total_seconds()),
        image=image,
        image_local=image_local,
        image_alt=alt,
        rtl=_is_rtl(title or text),
        badges=tuple(NetworkBadge(n, *NETWORKS.get(n, OTHER_NETWORK)) for n in networks),
        copies=tuple(c.key for c in copies),
        emoji=emoji,
        author_emoji=name_emoji if name else (),
    )


# its view changes with time only at a page turn's steps (pages turn on multiples of them):
# wall/scenes/views.py builds it once a step
TIME_STEP_S = TRANSITION_S / TRANSITION_STEPS


def build(options: TopPostsOptions, ctx: BuildContext) -> TopPostsView:
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    cols, rows = grid_for(options.count, ctx.width, ctx.height, planning_floor(ctx), ctx.min_text_px)
    per_page = min(options.count or cols * rows, cols * rows)
    # Ranking and ages are taken as of the page's start, so a page stays exactly as it came up
    # (no age ticking over, no card swapping places) until the next turn or new data.
    epoch = ctx.time.timestamp()
    slot = math.floor(epoch / options.page_seconds)
    as_of = datetime.fromtimestamp(slot * options.page_seconds, UTC)
    ranked: list[tuple[Post, ...]] = []
    if ctx.data is not None:
        ranked = _ranked(ctx.data, as_of, options)[: per_page * options.pages]
    pages = max(1, math.ceil(len(ranked) / per_page))
    page = slot % pages
    posts = ranked[page * per_page : (page + 1) * per_page]
    outgoing: list[tuple[Post, ...]] = []
    outgoing_as_of = as_of
    progress = 1.0
    into = epoch - slot * options.page_seconds
    if pages > 1 and options.transition != "none" and into < TRANSITION_S:
        progress = step_progress(into, TRANSITION_S, TRANSITION_STEPS)
        # the page leaving looks exactly as it did: ranked and aged as of its own start
        before = (
            _ranked(ctx.data, as_of - timedelta(seconds=options.page_seconds), options)[: per_page * options.pages]
            if ctx.data is not None
            else []
        )
        prev = (slot - 1) % max(1, math.ceil(len(before) / per_page))
        outgoing = before[prev * per_page : (prev + 1) * per_page]
        outgoing_as_of = as_of - timedelta(seconds=options.page_seconds)
    how = {"engagement": "most engaging", "recency": "latest", "reach": "widest reach"}[options.rank_by]

    def page_grid(n: int) -> tuple[int, int]:
        # a page with fewer posts than the grid holds (a quiet feed, the last page) gets the grid
        # of its own count, so its cards grow into the zone instead of leaving holes
        if n == 0 or n >= cols * rows:
            return cols, rows
        return grid_for(n, ctx.width, ctx.height, planning_floor(ctx), ctx.min_text_px)

    columns, page_rows = page_grid(len(posts))
    theme = ctx.theme
    return TopPostsView(
        posts=tuple(card_for(g[0], as_of, options.show_images, g[1:]) for g in posts),
        outgoing=tuple(card_for(g[0], outgoing_as_of, options.show_images, g[1:]) for g in outgoing),
        progress=progress,
        transition=options.transition,
        page=page,
        pages=pages,
        columns=columns,
        rows=page_rows,
        title="Top posts" if options.title is None else options.title,
        subtitle=f"{how} · last {duration_text(options.window_minutes)}",
        empty_note=f"No posts in the last {duration_text(options.window_minutes)}",
        status=status,
        font=theme.font,
        background=theme.background,
        surface=theme.surface,
        text=theme.text,
        muted=theme.muted,
        accent=theme.accent,
        text_floor=text_floor(ctx),
        outgoing_grid=page_grid(len(outgoing)),
    )


def shows_nothing(view: TopPostsView) -> bool:
    """No card on screen (the scenes stage shows a holding card instead when moderation holds the
    posts back: wall/scenes/views.py)."""
    return not view.posts and not view.outgoing
