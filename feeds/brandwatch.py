"""Brandwatch Consumer Research: mentions of a query (or query group), its sentiment and volume, its
top authors.

Built from Brandwatch's own documentation:
- https://developers.brandwatch.com/docs/retrieving-mentions (GET /projects/{projectId}/data/mentions,
  queryId / queryGroupId, startDate / endDate "YYYY-MM-DDThh:mm:ss.xxx+xxxx", pageSize 1-5000, orderBy,
  orderDirection; response results / resultsPage / resultsPageSize / resultsTotal / nextCursor)
- https://developers.brandwatch.com/docs/tutorial-polling-for-new-mentions (poll by `added`, the time a
  mention entered the query, newest first on start-up)
- https://developers.brandwatch.com/docs/tutorial-paging-through-historical-mentions (`nextCursor` ->
  `cursor` parameter for the following page)
- https://developers.brandwatch.com/changelog/filtering-with-sinceid (`sinceId` is deprecated and FAILS on
  Consumer Research: this adapter never sends it; the persisted cursor is the last `added` time instead)
- https://developers.brandwatch.com/docs/mention-metadata-field-definitions (resourceId, guid, url, date,
  added, title, snippet, fullText, author, fullname, avatarUrl, sentiment, countryCode (alpha-3),
  language, pageType, threadEntryType, reachEstimate, impressions, impact, twitterFollowers,
  twitterVerified, authorVerifiedType, twitterRetweets, twitterReplyCount, mediaUrls, hashtags)
- https://developers.brandwatch.com/docs/chart-dimensions-and-aggregates (GET
  /projects/{id}/data/volume/sentiment/{hours|days}: results[] per sentiment, values[] per time bucket)
- https://developers.brandwatch.com/docs/top-authors (GET /projects/{id}/data/volume/topauthors/queries
  with limit 0-1000: results[].data {authorName, volume, reachEstimate, twitterFollowers, ...})
- https://developers.brandwatch.com/docs/best-practices (30 calls per 10 minutes per client -> BUDGET)
- https://developers.brandwatch.com/docs/authenticate (Authorization: bearer <token>)

One poll costs 1 to `max_pages` mention calls, plus 2 metric calls when the metrics are due (every
`metrics_interval_s`, remembered in the cursor), so three zones on one client at a one-minute interval
stay inside the 30-per-10-minutes allowance the fetcher's shared budget enforces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import HASHTAG, PollContext, PollResult, ServiceURL, markup_to_text, refuse_reserved
from .errors import FeedError
from .http import decode_json
from .iso_countries import to_alpha2
from .mapping import count_or_zero, iso_datetime, iso_millis, to_count, to_non_negative
from .model import Author, LeaderboardEntry, Media, Metric, Post, PostMetrics, Sentiment, web_url
from .paging import Pages, PostsOnce, latest, posts_and_times

NAME = "brandwatch"
CREDENTIALS = ("token",)
BUDGET = (30, 600.0)  # "API Clients are limited to make 30 calls every 10 minutes" (best practices page)

SOURCE = "brandwatch"
DEFAULT_API = "https://api.brandwatch.com"
# Parameters the adapter owns; a `filters:` entry may not override them.
_RESERVED = frozenset(
    {
        "queryId",
        "queryGroupId",
        "startDate",
        "endDate",
        "pageSize",
        "page",
        "orderBy",
        "orderDirection",
        "cursor",
        "sinceId",
        "limit",
        "access_token",
    }
)


class Options(BaseModel):
    """The `options:` of a brandwatch feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: int = Field(gt=0, description="Brandwatch project id (Projects > Retrieving Projects)")
    query_id: int | None = Field(default=None, gt=0, description="the query whose mentions to show")
    query_group_id: int | None = Field(default=None, gt=0, description="or a query group instead of a query")
    api_base: ServiceURL = Field(default=DEFAULT_API, description="API root; https only (http://127.0.0.1 in tests)")
    page_size: int = Field(default=100, ge=1, le=5000, description="mentions per call (Brandwatch allows 1-5000)")
    max_pages: int = Field(
        default=3, ge=1, le=20, description="most mention calls per poll; the rest waits for the next poll"
    )
    lookback_minutes: int = Field(
        default=60, ge=1, le=10080, description="how far back the very first poll looks for mentions"
    )
    filters: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="extra Brandwatch mention filters, e.g. {pageType: [twitter, news], language: fr}",
    )
    metrics: bool = Field(default=True, description="also fetch the sentiment split and volume series")
    metrics_interval_s: int = Field(
        default=600, ge=60, le=86400, description="seconds between two refreshes of the metrics (budget!)"
    )
    metrics_window_hours: int = Field(default=24, ge=1, le=720, description="window of sentiment/volume")
    volume_granularity: Literal["hours", "days"] = Field(default="hours", description="volume series step")
    top_authors: int = Field(
        default=10, ge=0, le=1000, description="size of the 'influencers' leaderboard (0: do not fetch it)"
    )

    @field_validator("filters")
    @classmethod
    def _no_reserved(cls, v: dict[str, Any]) -> dict[str, Any]:
        return refuse_reserved(v, _RESERVED, "filters")

    @model_validator(mode="after")
    def _one_query(self) -> Options:
        if (self.query_id is None) == (self.query_group_id is None):
            raise ValueError("set exactly one of query_id or query_group_id")
        return self


# ------------------------------------------------------------------------------------------- parsing

parse_date = iso_datetime  # the vendor writes ISO 8601 / RFC 3339 times


def format_date(t: datetime) -> str:
    """The form Brandwatch documents for startDate / endDate: 2019-01-16T23:56:28.157+0000."""
    return iso_millis(t, utc="+0000")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


_SENTIMENT_SCORE = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}
_VIDEO = re.compile(r"\.(mp4|mov|m3u8|webm)(\?|$)", re.IGNORECASE)
_GIF = re.compile(r"\.gif(\?|$)", re.IGNORECASE)
_NETWORKS = {"twitter": "x", "x": "x", "bluesky": "bluesky", "mastodon": "mastodon"}
_ARTICLE_TYPES = {"news", "blog", "review", "forum"}
_KINDS = {
    "reply": "reply",
    "comment": "reply",
    "retweet": "repost",
    "share": "repost",
    "repost": "repost",
    "quote": "quote",
}


def mention_text(value: object) -> str:
    """Mention text as plain text. News and blog snippets can carry HTML (tags, entities, scripts);
    tweets do not, so text is only put through html_to_text when it really holds markup, and a
    tweet saying "I <3 it" keeps its characters."""
    return markup_to_text(_text(value))


def parse_sentiment(label: object) -> Sentiment | None:
    """Brandwatch classifies (positive / neutral / negative) without a score: the class sets the sign."""
    if not isinstance(label, str) or label.lower() not in _SENTIMENT_SCORE:
        return None
    key = label.lower()
    return Sentiment(score=_SENTIMENT_SCORE[key], label=key)  # type: ignore[arg-type]


def _hashtags(mention: Mapping[str, Any], text: str) -> tuple[str, ...]:
    raw = mention.get("hashtags")
    tags: list[str] = []
    if isinstance(raw, list):
        tags = [t.strip().lstrip("#") for t in raw if isinstance(t, str) and t.strip().lstrip("#")]
    if not tags:
        tags = HASHTAG.findall(text)
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(tag.lower(), f"#{tag}")
    return tuple(seen.values())


def _media(mention: Mapping[str, Any]) -> tuple[Media, ...]:
    urls = mention.get("mediaUrls")
    out: list[Media] = []
    seen: set[str] = set()
    for given in urls if isinstance(urls, list) else []:
        url = web_url(given)
        if url is None or url in seen:
            continue
        seen.add(url)
        kind = "video" if _VIDEO.search(url) else "gif" if _GIF.search(url) else "image"
        out.append(Media(kind=kind, url=url))
    return tuple(out)


def parse_mention(mention: Mapping[str, Any]) -> Post | None:
    """One Brandwatch mention -> Post, or None when it has no id or no usable date."""
    native_id = mention.get("resourceId") or mention.get("guid")
    if native_id is None or str(native_id).strip() == "":
        return None
    published = parse_date(mention.get("date")) or parse_date(mention.get("added"))
    if published is None:
        return None
    # fullText where licensing allows it, else the snippet (X/Twitter often gives only the snippet)
    text = mention_text(mention.get("fullText")) or mention_text(mention.get("snippet"))
    title = mention_text(mention.get("title")).strip() or None
    page_type = _text(mention.get("pageType")).lower()
    handle = _text(mention.get("author")).strip()
    name = _text(mention.get("fullname")).strip() or handle
    avatar = mention.get("avatarUrl")
    author = Author(
        id=f"{SOURCE}:{page_type or 'web'}:{handle or _text(mention.get('domain')) or 'unknown'}",
        handle=f"@{handle}" if handle and page_type in _NETWORKS else handle,
        name=name,
        avatar_url=web_url(avatar),
        followers=to_count(mention.get("twitterFollowers")),
        verified=bool(mention.get("twitterVerified")) or bool(mention.get("authorVerifiedType")),
    )
    entry_type = _text(mention.get("threadEntryType")).lower()
    kind = _KINDS.get(entry_type) or ("article" if page_type in _ARTICLE_TYPES else "post")
    lang = _text(mention.get("language")).strip().lower() or None
    url = mention.get("url") or mention.get("originalUrl")
    return Post(
        key=f"{SOURCE}:{native_id}",
        source=SOURCE,
        network=_NETWORKS.get(page_type, "brandwatch"),  # type: ignore[arg-type]
        url=web_url(url),
        published_at=published,
        text=text,
        lang=lang,
        author=author,
        media=_media(mention),
        metrics=PostMetrics(
            likes=count_or_zero(mention.get("likes")),
            reposts=count_or_zero(mention.get("twitterRetweets")),
            replies=count_or_zero(mention.get("twitterReplyCount")),
            views=to_count(mention.get("impressions")),
        ),
        reach=to_count(mention.get("reachEstimate")),
        engagement=to_non_negative(mention.get("engagementScore"), numbers_only=True),
        sentiment=parse_sentiment(mention.get("sentiment")),
        country=to_alpha2(mention.get("countryCode")),
        hashtags=_hashtags(mention, text),
        kind=kind,  # type: ignore[arg-type]
        title=title,
        raw=dict(mention),
    )


def parse_mentions(doc: object) -> tuple[list[Post], list[datetime], str | None]:
    """A mentions page -> (posts, the `added` times seen, nextCursor). Items without an id or a date
    are skipped (a wall shows the rest); a page that is not Brandwatch's shape is a bad_response."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise FeedError("bad_response", "Brandwatch mentions: expected an object with a 'results' list")
    posts, added = posts_and_times(doc["results"], parse_mention, lambda item: parse_date(item.get("added")))
    cursor = doc.get("nextCursor")
    return posts, added, cursor if isinstance(cursor, str) and cursor else None


def parse_sentiment_chart(doc: object, now: datetime, window: str) -> dict[str, Metric]:
    """GET data/volume/sentiment/{hours|days} -> 'sentiment' (counts per class), 'volume' (all classes
    per time bucket, oldest first) and 'volume.<class>' series."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise FeedError("bad_response", "Brandwatch chart: expected an object with a 'results' list")
    breakdown: dict[str, float] = {"positive": 0.0, "neutral": 0.0, "negative": 0.0}
    per_class: dict[str, dict[datetime, float]] = {k: {} for k in breakdown}
    for row in doc["results"]:
        if not isinstance(row, dict):
            continue
        label = _text(row.get("id") or row.get("name")).lower()
        if label not in breakdown:
            continue
        values = row.get("values")
        for value in values if isinstance(values, list) else []:
            if not isinstance(value, dict):
                continue
            at = parse_date(value.get("id"))
            n = float(count_or_zero(value.get("value")))
            breakdown[label] += n
            if at is not None:
                per_class[label][at] = per_class[label].get(at, 0.0) + n
    buckets = sorted(set().union(*(d.keys() for d in per_class.values())))
    provenance = "brandwatch data/volume/sentiment"
    metrics = {
        "sentiment": Metric(
            name="Sentiment",
            unit="mentions",
            breakdown=breakdown,
            window=window,
            computed_at=now,
            provenance=provenance,
        ),
        "volume": Metric(
            name="Mentions",
            unit="mentions",
            series=tuple((b, sum(per_class[k].get(b, 0.0) for k in per_class)) for b in buckets),
            window=window,
            computed_at=now,
            provenance=provenance,
        ),
    }
    for label, points in per_class.items():
        metrics[f"volume.{label}"] = Metric(
            name=label.capitalize(),
            unit="mentions",
            series=tuple((b, points.get(b, 0.0)) for b in buckets),
            window=window,
            computed_at=now,
            provenance=provenance,
        )
    return metrics


def parse_top_authors(doc: object, now: datetime, window: str) -> Metric:
    """GET data/volume/topauthors/queries -> the 'influencers' leaderboard, in Brandwatch's order."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise FeedError("bad_response", "Brandwatch top authors: expected an object with a 'results' list")
    entries: list[LeaderboardEntry] = []
    seen: set[str] = set()
    for row in doc["results"]:
        if not isinstance(row, dict) or not isinstance(row.get("data"), dict):
            continue
        data = row["data"]
        name = _text(data.get("authorName")).strip() or _text(row.get("name")).strip()
        if not name:
            continue
        domain = _text(data.get("domain")).strip()
        author_id = f"{SOURCE}:{domain or 'web'}:{name}"
        if author_id in seen:
            continue
        seen.add(author_id)
        avatar = data.get("twitterAvatar")
        followers = to_count(data.get("twitterFollowers"))
        entries.append(
            LeaderboardEntry(
                author=Author(
                    id=author_id,
                    handle=name,
                    name=name,
                    avatar_url=web_url(avatar),
                    followers=followers or None,  # 0 here means "not an X author", not "no followers"
                    verified=bool(data.get("twitterVerified")),
                ),
                mentions=count_or_zero(
                    data.get("volume") if data.get("volume") is not None else data.get("authorVolume")
                ),
                reach=to_count(data.get("reachEstimate")),
            )
        )
    return Metric(
        name="Top authors",
        unit="mentions",
        leaderboard=tuple(entries),
        window=window,
        computed_at=now,
        provenance="brandwatch data/volume/topauthors",
    )


# ------------------------------------------------------------------------------------------- polling


def _base_params(options: Options) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if options.query_id is not None:
        params["queryId"] = options.query_id
    else:
        params["queryGroupId"] = options.query_group_id
    params.update(options.filters)
    return params


async def _get_json(ctx: PollContext, url: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> Any:
    response = await ctx.fetcher.get(
        url, params=params, headers=headers, credential_key=ctx.credential_key, conditional=False
    )
    return decode_json(response)


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    token = ctx.secret("token")
    headers = {"Authorization": f"Bearer {token}"}
    now = ctx.now.astimezone(UTC)
    project = f"{options.api_base}/projects/{options.project_id}"

    since = parse_date(ctx.cursor.get("added_since"))
    newest = since
    params = _base_params(options) | {"endDate": format_date(now), "pageSize": options.page_size, "orderBy": "added"}
    if since is None:
        # start-up: the newest page of the look-back window (the polling tutorial's first call)
        params |= {
            "startDate": format_date(now - timedelta(minutes=options.lookback_minutes)),
            "orderDirection": "desc",
            "page": 0,
        }
        max_pages = 1
    else:
        # later polls: everything added since the last one, oldest first, following nextCursor
        params |= {"startDate": format_date(since), "orderDirection": "asc"}
        max_pages = options.max_pages
    found = PostsOnce()
    used_cursors: set[str] = set()
    pages = Pages(params, max_pages)
    for params in pages:
        doc = await _get_json(ctx, f"{project}/data/mentions", params, headers)
        posts, added, next_cursor = parse_mentions(doc)
        found.add(posts)
        newest = latest(newest, added)
        if next_cursor is None or next_cursor in used_cursors or len(doc["results"]) < options.page_size:
            break
        used_cursors.add(next_cursor)
        pages.follow({k: v for k, v in params.items() if k != "page"} | {"cursor": next_cursor})
    result = PollResult(posts=found.posts)
    if newest is not None:
        result.cursor["added_since"] = format_date(newest)

    metrics_at = parse_date(ctx.cursor.get("metrics_at"))
    due = metrics_at is None or (now - metrics_at).total_seconds() >= options.metrics_interval_s
    if due and (options.metrics or options.top_authors):
        window = f"{options.metrics_window_hours}h"
        span = _base_params(options) | {
            "startDate": format_date(now - timedelta(hours=options.metrics_window_hours)),
            "endDate": format_date(now),
        }
        if options.metrics:
            chart = await _get_json(ctx, f"{project}/data/volume/sentiment/{options.volume_granularity}", span, headers)
            result.metrics.update(parse_sentiment_chart(chart, now, window))
        if options.top_authors:
            top = await _get_json(
                ctx, f"{project}/data/volume/topauthors/queries", span | {"limit": options.top_authors}, headers
            )
            result.metrics["influencers"] = parse_top_authors(top, now, window)
        result.cursor["metrics_at"] = format_date(now)
    return result
