"""`sentiment`: the tone of the conversation (positive / neutral / negative) and its share of heart.

Share of heart = positive / (positive + negative): the positive share of the *opinionated*
mentions, neutral ones left out. This is the usual social-listening definition (it answers "of the
people who took a side, how many liked us?" and does not drop when a news story brings a wave of
neutral mentions). It is undefined (shown as "–") when no mention took a side.

The split comes from the metric's breakdown (`metric: sentiment` by default; keys positive /
neutral / negative, any case; other keys ignored; negative, NaN or missing counts count as 0), or,
with `metric: posts`, from counting the sentiment labels of the feed's posts (articles included,
posts without a label left out). Percentages are of all mentions and rounded so they add up to
100 (largest remainder). `style: donut` (default) draws a ring with the share of heart in its
middle; `style: bar` a single stacked bar under the share of heart.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from feeds.model import TONES
from feeds.sanitize import plain_text

from ..colors import ink_on, mix
from ..numbers import DASH, as_count, human_number, whole
from ..painters.sentiment import SentimentPart, SentimentView, share_of_heart
from ..painters.sentiment import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, caption_for, data_status, metric_of
from .base import text_floor as _floor

NAME = "sentiment"
TEXT_BEARING = True
LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
POSTS = "posts"  # the `metric:` value that means "count the posts' own labels"


class SentimentOptions(BindingBase):
    widget: Literal["sentiment"]
    metric: str = Field(
        default="sentiment",
        min_length=1,
        max_length=200,
        description="metric with a positive/neutral/negative breakdown, or 'posts' to count "
        "the sentiment labels of the feed's posts",
    )
    style: Literal["donut", "bar"] = Field(default="donut", description="a ring or a single stacked bar")
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")


Options = SentimentOptions  # the name the widget registry looks for


def split_from_breakdown(breakdown: dict | None) -> dict[str, float]:
    out = dict.fromkeys(TONES, 0.0)
    for key, v in (breakdown or {}).items():
        k = str(key).strip().lower()
        if k in out:
            out[k] += as_count(v)
    return out


def split_from_posts(posts) -> dict[str, float]:
    out = dict.fromkeys(TONES, 0.0)
    for p in posts or ():
        s = getattr(p, "sentiment", None)
        if s is not None and s.label in out:
            out[s.label] += 1
    return out


def rounded_percents(counts: list[float]) -> list[int]:
    """Whole percentages that add up to 100 (largest remainder); all 0 for an empty total."""
    total = sum(counts)
    if total <= 0:
        return [0] * len(counts)
    raw = [100 * c / total for c in counts]
    floors = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[: 100 - sum(floors)]:
        floors[i] += 1
    return floors


def _percent_text(p: int, count: float) -> str:
    return "<1 %" if p == 0 and count > 0 else f"{p} %"


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: SentimentOptions, ctx: BuildContext) -> SentimentView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    from_posts = options.metric == POSTS
    m = None if from_posts else metric_of(ctx.data, options.metric)
    label = caption_for(options.label, m, "Tone" if from_posts else options.metric)
    common = dict(
        status=status,
        text_floor=_floor(ctx),
        style=options.style,
        label=label,
        font=theme.font,
        text=theme.text,
        muted=theme.muted,
        track=mix(theme.surface, theme.text, 0.13),
        surface=theme.surface,
        frame=theme.background,
        source=POSTS if from_posts else "metric",
    )
    if from_posts:
        posts = getattr(ctx.data, "posts", None) or ()
        split = split_from_posts(posts)
        window = ""
        missing = not any(getattr(p, "sentiment", None) for p in posts)
    else:
        split = split_from_breakdown(m.breakdown if m else None)
        window = plain_text(m.window or "", keep_newlines=False, max_chars=20) if m else ""
        missing = m is None or not m.breakdown
    if ctx.data is None or missing:
        if status.ok:
            note = (
                "no post carries a sentiment label" if from_posts else f"no breakdown '{options.metric}' in this feed"
            )
        else:
            note = status.note
        return SentimentView(
            placeholder=True,
            window="",
            total=0.0,
            total_text="",
            parts=(),
            share_of_heart=None,
            share_text=DASH,
            note=note,
            **common,
        )
    counts = [split[t] for t in TONES]
    total = sum(counts)
    percents = rounded_percents(counts)
    colours = {"positive": theme.positive, "neutral": theme.neutral, "negative": theme.negative}
    parts = tuple(
        SentimentPart(
            t, LABELS[t], c, round(c / total, 5) if total else 0.0, _percent_text(p, c), colours[t], ink_on(colours[t])
        )
        for t, c, p in zip(TONES, counts, percents, strict=True)
    )
    soh = share_of_heart(split["positive"], split["negative"])
    share_text = DASH if soh is None else f"{whole(100 * soh)} %"
    return SentimentView(
        placeholder=False,
        window=window,
        total=total,
        total_text=f"{human_number(total)} {'mention' if total == 1 else 'mentions'}",
        parts=parts,
        share_of_heart=None if soh is None else round(soh, 5),
        share_text=share_text,
        **common,
    )
