"""Talkwalker Search API: the results of a Talkwalker project's query, and its volume over time.

Built from Talkwalker's own published OpenAPI (https://developer.talkwalker.com/talkwalker-api.yaml, read
as split by the api-evangelist/talkwalker repository) and its developer pages:
- openapi/talkwalker-search-openapi.yml: GET /api/v1/search/p/{project_id}/results with q, time_range
  ("number + time unit", e.g. 30d; s/m/h/d...), offset + hpp (hpp 0-500, hpp + offset < 10000), sort_by
  (published, engagement, ...), sort_order, hl, topic; response {status_code, status_message, request,
  pagination {next, total}, result_content {data: [{data: {url, published (epoch ms), title, content,
  content_snippet, extra_author_attributes {id, name, ...}, extra_source_attributes {world_data
  {country_code}}, sentiment (-5..5), engagement, reach, source_type [...], lang, images, videos,
  article_extended_attributes {...}, external_provider / external_id / external_author_id}}]}}.
- openapi/_original/talkwalker-histogram-openapi.yml and
  https://developer.talkwalker.com/guides/use-histogram-api/results: GET
  /api/v1/search/p/{project_id}/histogram/published with min / max (epoch ms), interval, breakdown=sentiment;
  response result_histogram {data: [{t, v: [...]}], header {v: [POSITIVE, NEUTRAL, NEGATIVE]}}.
- components.securitySchemes.apikeyAuth: the access token is the `access_token` QUERY parameter. The
  Fetcher redacts that parameter from every log line, error and health message; the `pagination.next`
  string (which echoes the token) is never logged, stored or followed verbatim: only its offset is read.
- errors (developer.talkwalker.com/docs/troubleshooting/error-codes): one envelope {status_code,
  status_message, request, request_id}; HTTP 401 status_code 7 = bad token (credentials), HTTP 401
  status_code 8 = "call limit exceeded" (throttled: the Fetcher's RetryPolicy classifies it), 9 = no
  credits left.
- api-restrictions: 60 result calls and 30 histogram calls per minute per account inside a project ->
  BUDGET (30 calls / 60 s for both); 10 credits per histogram call, so metrics refresh only every
  `metrics_interval_s`. X/Twitter documents are exported as ids only (external_id, external_author_id,
  sentiment) -> Post.content_policy "ids_only".

Cursor: `published_since` is the newest `published` (epoch ms) seen. Results are asked newest first
(sort_by=published, sort_order=desc) within a `time_range` in seconds reaching just past that time, so a
poll asks only for what is newer; a result at the cursor's exact millisecond is kept (the store dedups).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import HASHTAG, PollContext, PollResult, ServiceURL, markup_to_text
from .errors import FeedError
from .http import decode_json
from .iso_countries import to_alpha2
from .mapping import as_list, count_or_zero, to_count, to_non_negative, to_number
from .model import Author, Media, Metric, Post, PostMetrics, Sentiment, web_url
from .paging import Pages, PostsOnce, latest, posts_and_times

NAME = "talkwalker"
CREDENTIALS = ("access_token",)
BUDGET = (30, 60.0)  # the histogram allowance inside a project (results allow 60/min): one budget for both

SOURCE = "talkwalker"
DEFAULT_API = "https://api.talkwalker.com"
MAX_WINDOW = 10_000  # "hpp + offset is less than 10.000"
_RESERVED = frozenset(
    {
        "q",
        "offset",
        "hpp",
        "sort_by",
        "sort_order",
        "time_range",
        "access_token",
        "hl",
        "pretty",
        "min",
        "max",
        "interval",
        "breakdown",
        "topic",
    }
)
_PROJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,99}$")
_INTERVAL = re.compile(r"^(\d{1,4}[smhdw]|minute|hour|day|week|month)$")


class Options(BaseModel):
    """The `options:` of a talkwalker feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: str = Field(description="Talkwalker project id (GET /api/v1/search/info lists them)")
    query: str = Field(
        default="", max_length=4000, description="Talkwalker query (q); empty: everything the project collects"
    )
    topics: list[str] = Field(
        default_factory=list, max_length=50, description="project topic ids to restrict to (sent as `topic` parameters)"
    )
    params: dict[str, str | list[str]] = Field(
        default_factory=dict, description="other documented Search API parameters, e.g. {channel: abc}"
    )
    api_base: ServiceURL = Field(default=DEFAULT_API, description="API root; https only (http://127.0.0.1 in tests)")
    hpp: int = Field(default=100, ge=1, le=500, description="results per call (Talkwalker allows up to 500)")
    max_pages: int = Field(
        default=3, ge=1, le=20, description="most result calls per poll; the rest waits for the next poll"
    )
    lookback_minutes: int = Field(
        default=60, ge=1, le=43200, description="how far back the very first poll looks (at most 30 days)"
    )
    metrics: bool = Field(default=True, description="also fetch the published histogram (volume, sentiment)")
    metrics_interval_s: int = Field(
        default=600, ge=60, le=86400, description="seconds between two histogram calls (10 credits each)"
    )
    metrics_window_hours: int = Field(default=24, ge=1, le=720, description="window of the volume series")
    histogram_interval: str = Field(default="hour", description="histogram bin: hour, day, or e.g. 15m, 1h, 1d")

    @field_validator("project_id")
    @classmethod
    def _project(cls, v: str) -> str:
        if not _PROJECT.match(v.strip()):
            raise ValueError(f"project_id must be letters, digits, '-' or '_' (a Talkwalker project id), got {v!r}")
        return v.strip()

    @field_validator("histogram_interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        if not _INTERVAL.match(v.strip()):
            raise ValueError(f"histogram_interval must be minute/hour/day/week/month or like 15m, 1h, 1d; got {v!r}")
        return v.strip()

    @field_validator("params")
    @classmethod
    def _no_reserved(cls, v: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(k for k in v if k.lower() in _RESERVED or k.lower() in {"token", "key"})
        if clash:
            raise ValueError(f"params may not set {', '.join(clash)}: the adapter sets them itself")
        return v

    @model_validator(mode="after")
    def _window(self) -> Options:
        if self.hpp * self.max_pages >= MAX_WINDOW:
            raise ValueError(f"hpp x max_pages must stay under {MAX_WINDOW} (Talkwalker: hpp + offset < 10000)")
        return self


# ------------------------------------------------------------------------------------------- parsing


def parse_epoch_ms(value: object) -> datetime | None:
    """Talkwalker's epoch milliseconds (int, float or digit string) -> aware UTC datetime, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d{1,16}(\.\d+)?", value):
            return None
        value = float(value)
    value = to_number(value, numbers_only=True)  # finite, or None (an integer past any float too)
    if value is None or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_epoch_ms(t: datetime) -> int:
    return int(round(t.astimezone(UTC).timestamp() * 1000))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _ident(value: object) -> str:
    """An id the vendor sent as a string or an integer, as text ('' when it is neither)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _web_url(value: object) -> str | None:
    return web_url(value)  # the one check of a URL a feed supplies (feeds/model.py)


def result_text(value: object) -> str:
    """Content, snippets (with <b> highlights) and titles as plain text; text without markup keeps its
    characters ("I <3 it")."""
    return markup_to_text(_text(value))


def parse_sentiment(value: object) -> Sentiment | None:
    """Talkwalker's -5..5 sentiment -> score in -1..1 (value / 5) and its sign as the label."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    value = to_number(value, numbers_only=True)  # finite, or None (an integer past any float too)
    if value is None:
        return None
    score = max(-1.0, min(1.0, value / 5.0))
    label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
    return Sentiment(score=score, label=label)  # type: ignore[arg-type]


def _country(doc: Mapping[str, Any]) -> str | None:
    for holder in (doc.get("extra_source_attributes"), doc.get("extra_author_attributes")):
        if isinstance(holder, Mapping) and isinstance(holder.get("world_data"), Mapping):
            # Talkwalker writes the United Kingdom as "uk"; to_alpha2 reads it as ISO 3166's GB
            found = to_alpha2(holder["world_data"].get("country_code"))
            if found:
                return found
    return None


def _media(doc: Mapping[str, Any]) -> tuple[Media, ...]:
    out: list[Media] = []
    seen: set[str] = set()
    for field, kind in (("images", "image"), ("videos", "video")):
        items = doc.get(field)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping):
                continue
            url = _web_url(item.get("url"))
            if url is None or url in seen:
                continue
            seen.add(url)
            width = to_count(item.get("width")) or None
            height = to_count(item.get("height")) or None
            out.append(Media(kind=kind, url=url, width=width, height=height))  # type: ignore[arg-type]
    return tuple(out)


_ARTICLE_TYPES = ("ONLINENEWS", "BLOG", "FORUM", "PRINT", "REVIEW", "MESSAGEBOARD")
_NETWORKS = {"TWITTER": "x", "MASTODON": "mastodon", "BLUESKY": "bluesky"}


def _source_types(doc: Mapping[str, Any]) -> list[str]:
    raw = doc.get("source_type")
    return [s.upper() for s in raw if isinstance(s, str)] if isinstance(raw, list) else []


def parse_result(doc: Mapping[str, Any]) -> Post | None:
    """One result's `data` object -> Post, or None when it has no identity or no usable date."""
    provider = _text(doc.get("external_provider")).strip().lower()
    external_id = _ident(doc.get("external_id"))
    url = _web_url(doc.get("url"))
    if provider and external_id:
        native_id = f"{provider}:{external_id}"
    elif url:
        native_id = url
    else:
        return None
    published = parse_epoch_ms(doc.get("published")) or parse_epoch_ms(doc.get("indexed"))
    if published is None:
        return None
    types = _source_types(doc)
    network = next((n for t in types for key, n in _NETWORKS.items() if key in t), None)
    if network is None and provider in ("twitter", "x"):
        network = "x"

    content = result_text(doc.get("content")) or result_text(doc.get("content_snippet"))
    ids_only = not content and provider in ("twitter", "x") and bool(external_id)
    if ids_only and url is None:
        url = f"https://x.com/i/web/status/{external_id}"
    title = result_text(doc.get("title")).strip() or None

    author_doc = doc.get("extra_author_attributes")
    author_doc = author_doc if isinstance(author_doc, Mapping) else {}
    source_doc = doc.get("extra_source_attributes")
    source_id = _ident(source_doc.get("id")) if isinstance(source_doc, Mapping) else ""
    author_key = _ident(author_doc.get("id")) or _ident(doc.get("external_author_id")) or source_id or "unknown"
    name = _text(author_doc.get("name")).strip()
    short = _text(author_doc.get("short_name")).strip()
    followers = None
    for holder in (author_doc, doc.get("source_extended_attributes")):
        if isinstance(holder, Mapping):
            for field in ("followers", "twitter_followers", "instagram_followers"):
                followers = followers if followers is not None else to_count(holder.get(field))
    author = Author(
        id=f"{SOURCE}:{author_key}",
        handle=f"@{short.lstrip('@')}" if short and network == "x" else short or name,
        name=name or short,
        avatar_url=_web_url(author_doc.get("image_url")),
        followers=followers,
        verified=bool(author_doc.get("verified")),
    )

    article = doc.get("article_extended_attributes")
    article = article if isinstance(article, Mapping) else {}
    likes = (
        count_or_zero(article.get("twitter_likes"))
        + count_or_zero(article.get("facebook_likes"))
        + count_or_zero(article.get("instagram_likes"))
        + count_or_zero(article.get("youtube_likes"))
    )
    reposts = count_or_zero(article.get("twitter_retweets")) + count_or_zero(article.get("facebook_shares"))
    views = to_count(article.get("twitter_impressions"))
    if views is None:
        views = to_count(article.get("youtube_views"))
    tags: dict[str, str] = {}
    for tag in HASHTAG.findall(content):
        tags.setdefault(tag.lower(), f"#{tag}")
    kind = "article" if any(t.startswith(_ARTICLE_TYPES) for t in types) else "post"
    return Post(
        key=f"{SOURCE}:{native_id}",
        source=SOURCE,
        network=network or "talkwalker",  # type: ignore[arg-type]
        url=url,
        published_at=published,
        text=content,
        lang=_text(doc.get("lang")).strip().lower() or None,
        author=author,
        media=_media(doc),
        metrics=PostMetrics(
            likes=likes, reposts=reposts, replies=count_or_zero(article.get("num_comments")), views=views
        ),
        reach=to_count(doc.get("reach")),
        engagement=to_non_negative(doc.get("engagement"), numbers_only=True),
        sentiment=parse_sentiment(doc.get("sentiment")),
        country=_country(doc),
        hashtags=tuple(tags.values()),
        kind=kind,  # type: ignore[arg-type]
        content_policy="ids_only" if ids_only else "full",
        title=title,
        raw=dict(doc),
    )


def _check_envelope(doc: object, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise FeedError("bad_response", f"Talkwalker {what}: expected a JSON object")
    code = str(doc.get("status_code", "0")).strip()
    if code not in ("0", ""):
        message = " ".join(_text(doc.get("status_message")).split())[:160]
        raise FeedError("bad_response", f"Talkwalker {what}: status_code {code} {message}".rstrip())
    return doc


def parse_results(doc: object) -> tuple[list[Post], list[datetime], int | None]:
    """A results page -> (posts, the `published` times seen, the next page's offset or None).
    Items without an identity or a date are skipped; a page that is not Talkwalker's shape is a
    bad_response. The `pagination.next` request line carries the access token: only its offset is read."""
    doc = _check_envelope(doc, "results")
    content = doc.get("result_content")
    if not isinstance(content, dict) or not isinstance(content.get("data", []), list):
        raise FeedError("bad_response", "Talkwalker results: expected result_content.data to be a list")
    items = (wrapper.get("data") for wrapper in as_list(content.get("data")) if isinstance(wrapper, dict))
    posts, seen_times = posts_and_times(items, parse_result, lambda item: parse_epoch_ms(item.get("published")))
    return posts, seen_times, _next_offset(doc.get("pagination"))


def _next_offset(pagination: object) -> int | None:
    if not isinstance(pagination, dict):
        return None
    nxt = pagination.get("next")
    if not isinstance(nxt, str) or not nxt.strip():
        return None
    target = nxt.strip().split(" ", 1)[-1]  # "GET /api/...?...&offset=2&..."
    values = parse_qs(urlsplit(target).query).get("offset")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


_SENTIMENT_HEADERS = {"POSITIVE": "positive", "NEUTRAL": "neutral", "NEGATIVE": "negative"}


def parse_histogram(doc: object, now: datetime, window: str) -> dict[str, Metric]:
    """GET histogram/published -> 'volume' (documents per bin, oldest first) and, when the histogram has a
    sentiment breakdown, 'sentiment' (documents per class over the window)."""
    doc = _check_envelope(doc, "histogram")
    hist = doc.get("result_histogram")
    if not isinstance(hist, dict) or not isinstance(hist.get("data", []), list):
        raise FeedError("bad_response", "Talkwalker histogram: expected result_histogram.data to be a list")
    header = hist.get("header")
    labels = header.get("v") if isinstance(header, dict) else None
    labels = [_SENTIMENT_HEADERS.get(str(x).upper()) for x in labels] if isinstance(labels, list) else []
    points: dict[datetime, float] = {}
    breakdown: dict[str, float] = {"positive": 0.0, "neutral": 0.0, "negative": 0.0}
    for row in as_list(hist.get("data")):
        if not isinstance(row, dict):
            continue
        at = parse_epoch_ms(row.get("t"))
        if at is None:
            continue
        values = row.get("v")
        values = values if isinstance(values, list) else [values]
        counts = [float(count_or_zero(v)) for v in values]
        points[at] = points.get(at, 0.0) + sum(counts)
        for label, n in zip(labels, counts, strict=False):  # values the header does not name count in the volume only
            if label:
                breakdown[label] += n
    provenance = "talkwalker histogram/published"
    metrics = {
        "volume": Metric(
            name="Results",
            unit="results",
            series=tuple(sorted(points.items())),
            window=window,
            computed_at=now,
            provenance=provenance,
        )
    }
    if any(labels):
        metrics["sentiment"] = Metric(
            name="Sentiment", unit="results", breakdown=breakdown, window=window, computed_at=now, provenance=provenance
        )
    return metrics


# ------------------------------------------------------------------------------------------- polling


def _base_params(options: Options, token: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(options.params)
    if options.query:
        params["q"] = options.query
    if options.topics:
        params["topic"] = list(options.topics)
    params["access_token"] = token  # Talkwalker's way; the Fetcher redacts it everywhere it could show
    return params


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    token = ctx.secret("access_token")
    now = ctx.now.astimezone(UTC)
    project = f"{options.api_base}/api/v1/search/p/{options.project_id}"

    since_ms = ctx.cursor.get("published_since")
    since = parse_epoch_ms(since_ms) if since_ms else None
    if since is not None and since > now:
        since = now  # a clock that jumped back must not make the window negative
    if since is None:
        time_range = f"{options.lookback_minutes}m"
    else:  # only what is newer than the newest result already shown, plus a minute of slack
        time_range = f"{max(int((now - since).total_seconds()) + 60, 60)}s"
    params = _base_params(options, token) | {
        "sort_by": "published",
        "sort_order": "desc",
        "hpp": options.hpp,
        "time_range": time_range,
        "hl": "false",
    }
    found = PostsOnce(older_than=since)
    newest = since
    pages = Pages(0, options.max_pages)
    for offset in pages:
        response = await ctx.fetcher.get(
            f"{project}/results",
            params=params | {"offset": offset},
            credential_key=ctx.credential_key,
            conditional=False,
        )
        posts, times, next_offset = parse_results(decode_json(response))
        reached_cursor = found.add(posts)
        newest = latest(newest, times)
        if reached_cursor or next_offset is None or next_offset <= offset or len(posts) == 0:
            break
        if next_offset + options.hpp >= MAX_WINDOW:
            break
        pages.follow(next_offset)
    result = PollResult(posts=found.posts)
    if newest is not None:
        result.cursor["published_since"] = str(to_epoch_ms(newest))

    metrics_at = parse_epoch_ms(ctx.cursor.get("metrics_at"))
    due = metrics_at is None or (now - metrics_at).total_seconds() >= options.metrics_interval_s
    if options.metrics and due:
        start = now - timedelta(hours=options.metrics_window_hours)
        hist_params = _base_params(options, token) | {
            "min": to_epoch_ms(start),
            "max": to_epoch_ms(now),
            "interval": options.histogram_interval,
            "breakdown": "sentiment",
        }
        response = await ctx.fetcher.get(
            f"{project}/histogram/published", params=hist_params, credential_key=ctx.credential_key, conditional=False
        )
        result.metrics.update(parse_histogram(decode_json(response), now, f"{options.metrics_window_hours}h"))
        result.cursor["metrics_at"] = str(to_epoch_ms(now))
    return result
