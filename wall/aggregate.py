"""Figures computed from a feed's posts, for sources that deliver posts but no statistics
(Mastodon, Bluesky, X, RSS, replays): volume over time, tone, topics, countries, top authors.

They carry the same metric names as the listening platforms' figures ('volume', 'sentiment',
'topics', 'countries', 'influencers', 'kpi.posts'), so a wall config works unchanged whichever
source feeds it; a figure the source provides itself always wins (see Store.put). Computed on the
poller's thread when posts arrive, never on the render thread.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from feeds.model import TONES, LeaderboardEntry, Metric, Post

PROVENANCE = "derived from posts"


def _buckets(end: datetime, window: timedelta, step: timedelta) -> list[datetime]:
    step_s = step.total_seconds()
    last = datetime.fromtimestamp((end.timestamp() // step_s) * step_s, end.tzinfo)
    n = int(window / step)
    return [last - step * k for k in range(n, -1, -1)]


def volume_series(
    posts: Iterable[Post],
    end: datetime,
    window: timedelta = timedelta(hours=24),
    step: timedelta = timedelta(minutes=15),
) -> dict[str, tuple[tuple[datetime, float], ...]]:
    """Posts per step over the window: 'all' and, when posts carry a tone, one series per tone."""
    starts = _buckets(end, window, step)
    first = starts[0]
    counts: dict[str, Counter] = defaultdict(Counter)
    step_s = step.total_seconds()
    for p in posts:
        if p.published_at < first or p.published_at > end:
            continue
        i = int((p.published_at - first).total_seconds() // step_s)
        counts["all"][i] += 1
        if p.sentiment is not None:
            counts[p.sentiment.label][i] += 1
    out = {}
    for name, c in counts.items():
        out[name] = tuple((at, float(c.get(i, 0))) for i, at in enumerate(starts))
    return out


def top_authors(posts: Iterable[Post], since: datetime, limit: int = 10) -> tuple[LeaderboardEntry, ...]:
    """Authors by mentions (posts) since a time, then by engagement: the leaderboard when the
    source gives none."""
    mentions: Counter = Counter()
    engagement: Counter = Counter()
    authors = {}
    for p in posts:
        if p.published_at < since or p.kind == "article":
            continue
        key = p.author.id or p.author.handle
        authors[key] = p.author
        mentions[key] += 1
        engagement[key] += p.total_engagement
    ranked = sorted(authors, key=lambda k: (-mentions[k], -engagement[k], authors[k].name))
    return tuple(
        LeaderboardEntry(
            author=authors[k], mentions=mentions[k], reach=authors[k].followers, engagement=float(engagement[k])
        )
        for k in ranked[:limit]
    )


def derived_metrics(posts: Iterable[Post], now: datetime, window: timedelta = timedelta(hours=24)) -> dict[str, Metric]:
    posts = list(posts)
    if not posts:
        return {}
    since = now - window
    recent = [p for p in posts if since <= p.published_at <= now]
    label = f"{int(window.total_seconds() // 3600)}h"
    out: dict[str, Metric] = {}

    def metric(key: str, **kw) -> None:
        out[key] = Metric(computed_at=now, provenance=PROVENANCE, window=label, **kw)

    series = volume_series(posts, now, window)
    if "all" in series:
        metric("volume", name="Mentions", unit="posts/15 min", series=series["all"])
    for tone in TONES:
        if tone in series:
            metric(f"volume.{tone}", name=tone.capitalize(), series=series[tone])
    tones = Counter(p.sentiment.label for p in recent if p.sentiment is not None)
    if tones:
        metric("sentiment", name="Tone", unit="posts", breakdown={t: float(tones.get(t, 0)) for t in TONES})
    tags: Counter[str] = Counter()
    for p in recent:
        for tag in {t.lower() for t in p.hashtags}:
            tags[tag if tag.startswith("#") else f"#{tag}"] += 1
    if tags:
        metric("topics", name="Trending topics", unit="posts", breakdown=dict(tags.most_common(40)))
    countries = Counter(p.country.upper() for p in recent if p.country)
    if countries:
        metric("countries", name="Activity per country", unit="posts", breakdown=dict(countries))
    leaders = top_authors(posts, since)
    if leaders:
        metric("influencers", name="Influencers", leaderboard=leaders)
    previous = sum(1 for p in posts if since - window <= p.published_at < since)
    metric("kpi.posts", name="Posts", value=float(len(recent)), previous=float(previous) if previous else None)
    return out
