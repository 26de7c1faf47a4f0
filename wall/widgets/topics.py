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
from functools import lru_cache
from typing import Literal

from pydantic import Field

from feeds.sanitize import plain_text

from ..colors import mix
from ..numbers import human_number
from ..paint.card import card_box
from ..painters.topics import MIN_ROW_PX, TopicItem, TopicsView, body_box, min_row
from ..painters.topics import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, DataStatus, data_status
from .base import text_floor as _floor

NAME = "topics"
TEXT_BEARING = True
POSTS = "posts"  # the `metric` value that counts the posts' hashtags instead of reading a metric


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


def _rows(options: TopicsOptions, ctx: BuildContext) -> int:
    if options.style == "cloud":
        return options.limit or 30
    # the list shows what fits at a legible row height: the card, a header, then rows
    floor = _floor(ctx)
    if floor <= 0:
        fit_rows = max(1, int(ctx.height * 0.78) // MIN_ROW_PX)
    else:  # the painter's own geometry: every row keeps its text at the floor
        body_h = body_box(*card_box(ctx.width, ctx.height), floor)[5]
        fit_rows = max(1, int(body_h // min_row(floor)))
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


def shows_nothing(view: TopicsView) -> bool:
    """No topic to show (see top_posts.shows_nothing)."""
    return not view.items
