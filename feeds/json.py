"""The `json` adapter: any HTTP JSON API, mapped to Posts and Metrics by paths written in the config.

Why: rooms use tools that have no adapter of their own (Visibrain, an in-house dashboard, a BI export).
Rather than code per tool, the feed's YAML says where things are:

    adapter: json
    options:
      url: https://api.example.com/v1/mentions
      headers: {Authorization: "Bearer {token}"}     # {token} comes from the feed's credentials
      items: data.results
      post: {id: id, text: content.text, published_at: created, author_name: user.name,
             media_url: media.0.url}
      metrics:
        care.first_reply: {name: First reply, value: stats.avg_first_reply, unit: min, scale: 0.01667}

Paths are dotted keys with list indexes (feeds/mapping.py, shared with the `replay` adapter), and times
are read the same way: `time_format` (strptime) for an API that writes "14/03/2024 06:02", epoch seconds
or milliseconds (`epoch`), ISO 8601; `timezone` for times written without an offset.
Credentials are templated into header and query values only (never the URL, whose text is shown in
health), and each resolved value is registered with the fetcher so it is redacted from every message.
Paging follows a next-page URL or cursor found in the response (same origin only, so a response can
never steer our credential headers to another host; the fetcher likewise sends none of them along a
redirect to another origin); `since_param` sends the newest id or time seen
back to the API on the next poll, kept in the cursor across restarts.

A mapping that does not match the response is a FeedError(kind="bad_response") naming the path, so
a typo in a config shows on the wall's health panel instead of as an empty zone.

No public Visibrain API reference could be found (its API documentation is given to customers); the
fixtures follow the common {data: {results: [...]}, paging: {next}} listening-tool shape, and the
mapping is what adapts it. HTTP semantics (ETag, 304, Retry-After) are the fetcher's: RFC 9110 / 9111.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urljoin

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import PollContext, PollResult, service_url
from .errors import FeedError
from .http import decode_json, same_origin
from .mapping import (
    EpochUnit,
    PathError,
    PostMapping,
    TextFormat,
    TimeFormat,
    TimeZoneName,
    check_path,
    get_path,
    is_missing,
    map_posts,
    to_datetime,
    to_number,
    zone,
)
from .model import Metric, Post
from .paging import Pages, PostsOnce

NAME = "json"
CREDENTIALS: tuple[str, ...] = ()  # any names: those the templates use must be in the feed's credentials
BUDGET = None

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SeriesMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: str = Field(description="path to the list of points")
    time: str = Field(description="path of each point's time, inside the point")
    value: str = Field(description="path of each point's value, inside the point")

    @field_validator("*")
    @classmethod
    def _paths(cls, v: str) -> str:
        return check_path(v)


class BreakdownMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: str = Field(description="path to the list of parts (or to an object of name -> number)")
    key: str | None = Field(default=None, description="path of each part's name (lists only)")
    value: str | None = Field(default=None, description="path of each part's number (lists only)")

    @field_validator("*")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return check_path(v)


class MetricMapping(BaseModel):
    """One figure read from the response. Exactly one of value / series / breakdown."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80, description="the label shown on the wall")
    unit: str = Field(default="", max_length=20)
    value: str | None = Field(default=None, description="path to a number")
    previous: str | None = Field(default=None, description="path to the same figure for the previous period")
    series: SeriesMapping | None = None
    breakdown: str | BreakdownMapping | None = None
    scale: float = Field(default=1.0, description="multiplies every number (e.g. 1/60 for seconds -> minutes)")
    window: str | None = Field(default=None, max_length=20)
    target: float | None = None
    warn: float | None = None
    breach: float | None = None
    higher_is_better: bool = True

    @field_validator("value", "previous")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return check_path(v)

    @model_validator(mode="after")
    def _one(self) -> MetricMapping:
        given = [n for n in ("value", "series", "breakdown") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"a metric maps exactly one of value, series, breakdown; got {given or 'none'}")
        if isinstance(self.breakdown, str):
            check_path(self.breakdown)
        return self


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the endpoint: https://..., or http://127.0.0.1 / localhost for tests")
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="query parameters; string values may use {credential} placeholders"
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description='request headers, e.g. Authorization: "Bearer {token}"'
    )
    items: str = Field(default="", description="path to the list of records ('' when the body is the list)")
    post: PostMapping | None = Field(default=None, description="where each Post field is in a record")
    metrics: dict[str, MetricMapping] = Field(default_factory=dict, description="metric id -> mapping")
    source: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.\-]{1,40}$", description="Post key prefix (default: the feed id)"
    )
    network: Literal["mastodon", "bluesky", "x", "rss", "json", "other"] = Field(
        default="json", description="network of records whose mapping gives none"
    )
    text_format: TextFormat = "auto"
    timezone: TimeZoneName = Field(
        default="UTC", description="zone of times written without an offset, whatever their format"
    )
    time_format: TimeFormat | None = Field(
        default=None,
        description="strptime format of the times, e.g. '%d/%m/%Y %H:%M', tried before ISO 8601 and epoch",
    )
    epoch: EpochUnit = Field(default="auto", description="numbers as times: s, ms, or auto (above 10^11: milliseconds)")
    next_page: str | None = Field(default=None, description="path to the next page's URL or cursor token")
    page_param: str | None = Field(default=None, description="query parameter that carries a cursor token")
    max_pages: int = Field(default=1, ge=1, le=20, description="pages read per poll")
    since_param: str | None = Field(default=None, description="query parameter for 'newer than' (from the cursor)")
    since_from: Literal["id", "published_at"] = Field(
        default="published_at", description="what is sent in since_param: the newest record's id or time (ISO)"
    )
    max_items: int = Field(default=500, ge=1, le=5000, description="records kept per poll")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            httpx.URL(v)  # parses, or says why not
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"invalid URL {v!r}: {exc}") from None
        if _PLACEHOLDER.search(v):
            raise ValueError("put credentials in headers or params, never in the URL (it is shown in health)")
        return service_url(v, "url", base=False)

    @field_validator("items", "next_page")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return v if v in ("", None) else check_path(v)

    @model_validator(mode="after")
    def _what(self) -> Options:
        if self.post is None and not self.metrics:
            raise ValueError("map a `post` or at least one entry of `metrics`; otherwise the feed shows nothing")
        if self.since_param and self.post is None:
            raise ValueError("since_param needs a `post` mapping (it sends the newest record's id or time)")
        if self.max_pages > 1 and not self.next_page:
            raise ValueError("max_pages > 1 needs next_page (the path of the next page's URL or cursor)")
        return self

    def placeholders(self) -> set[str]:
        values = [*self.headers.values(), *(v for v in self.params.values() if isinstance(v, str))]
        return {name for value in values for name in _PLACEHOLDER.findall(value)}


# ------------------------------------------------------------------------------------------- parsing

UNUSABLE_RECORD = "unusable record"  # the reason the feed's health counts records that do not map


def _number(value: Any, path: str, scale: float) -> float | None:
    if value is None:
        return None
    number = to_number(value)
    if number is None:
        raise PathError("metric", path, f"not a number: {str(value)[:40]!r}")
    return number * scale


def parse_metric(
    doc: Any,
    m: MetricMapping,
    *,
    computed_at: datetime,
    provenance: str,
    tz=UTC,
    time_format: str | None = None,
    epoch: EpochUnit = "auto",
) -> Metric:
    """One metric from a decoded response. Raises PathError naming the path that is absent or unreadable."""

    def need(path: str) -> Any:
        value = get_path(doc, path)
        if is_missing(value):
            raise PathError("metric", path, "absent")
        return value

    value = series = breakdown = None
    if m.value is not None:
        value = _number(need(m.value), m.value, m.scale)
    elif m.series is not None:
        points = need(m.series.items)
        if not isinstance(points, list):
            raise PathError("series", m.series.items, f"not a list but {type(points).__name__}")
        out = []
        for point in points:
            t, v = get_path(point, m.series.time), get_path(point, m.series.value)
            if is_missing(t) or is_missing(v):
                raise PathError("series", m.series.time if is_missing(t) else m.series.value, "absent in a point")
            try:
                when = to_datetime(t, tz, time_format=time_format, epoch=epoch)
            except ValueError as exc:
                raise PathError("series", m.series.time, str(exc)) from None
            number = _number(v, m.series.value, m.scale)
            if number is not None:
                out.append((when, number))
        series = tuple(sorted(out))
    else:
        spec = m.breakdown
        path = spec if isinstance(spec, str) else spec.items
        parts = need(path)
        breakdown = {}
        if isinstance(parts, Mapping):
            for k, v in parts.items():
                number = _number(v, f"{path}.{k}", m.scale)
                if number is not None:
                    breakdown[str(k)] = number
        elif isinstance(parts, list) and isinstance(spec, BreakdownMapping) and spec.key and spec.value:
            for part in parts:
                k, v = get_path(part, spec.key), get_path(part, spec.value)
                if is_missing(k) or is_missing(v):
                    raise PathError("breakdown", spec.key if is_missing(k) else spec.value, "absent in a part")
                number = _number(v, spec.value, m.scale)
                if number is not None:
                    breakdown[str(k)] = number
        else:
            raise PathError("breakdown", path, "needs an object of name -> number, or a list with key and value paths")
    previous = None
    if m.previous is not None:
        previous = _number(need(m.previous), m.previous, m.scale)
    return Metric(
        name=m.name,
        unit=m.unit,
        value=value,
        previous=previous,
        series=series,
        breakdown=breakdown,
        window=m.window,
        target=m.target,
        warn=m.warn,
        breach=m.breach,
        higher_is_better=m.higher_is_better,
        computed_at=computed_at,
        provenance=provenance,
    )


def parse_items(doc: Any, options: Options, *, source: str) -> tuple[list[Post], list[PathError]]:
    """The records at `options.items` as Posts. Raises PathError when the list is absent or no record maps."""
    records = get_path(doc, options.items)
    if is_missing(records):
        raise PathError("items", options.items, "absent")
    if not isinstance(records, list):
        raise PathError("items", options.items, f"not a list but {type(records).__name__}")
    assert options.post is not None
    return map_posts(
        records,
        options.post,
        what=f"'{options.items or '(the body)'}'",
        source=source,
        network=options.network,
        text_format=options.text_format,
        tz=zone(options.timezone),
        time_format=options.time_format,
        epoch=options.epoch,
    )


# ------------------------------------------------------------------------------------------- polling


def _render(template: str, credentials: Mapping[str, str | None]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = credentials.get(name)
        if not value:
            raise FeedError(
                "credentials",
                f"credential {name!r} is not set; set the environment variable the feed's credentials name for it",
            )
        return value

    return _PLACEHOLDER.sub(fill, template)


def _bad(path_error: PathError, url: str, secrets: tuple[str, ...]) -> FeedError:
    return FeedError(
        "bad_response",
        f"the mapping does not match the response from {url}: {path_error}; check the feed's paths",
        secrets=secrets,
    )


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    source = options.source or ctx.feed_id
    credentials = ctx.credentials or {}
    headers = {k: _render(v, credentials) for k, v in options.headers.items()}
    params: dict[str, Any] = {
        k: _render(v, credentials) if isinstance(v, str) else v for k, v in options.params.items()
    }
    used = [credentials[n] for n in options.placeholders() if credentials.get(n)]
    for secret in used:
        ctx.fetcher.add_secret(secret)
    secrets = tuple(s for s in used if s)
    auth_params = {k for k, v in options.params.items() if isinstance(v, str) and _PLACEHOLDER.search(v)}
    if options.since_param and ctx.cursor.get("since"):
        params[options.since_param] = ctx.cursor["since"]

    base = httpx.URL(options.url)
    found = PostsOnce()  # a record repeated across pages is emitted once
    unusable: list[str] = []  # records that did not map: counted in the feed's health, never dropped silently
    metrics: dict[str, Metric] = {}
    pages = Pages((options.url, params), options.max_pages)
    for page, (url, params) in enumerate(pages):
        response = await ctx.fetcher.get(url, params=params, headers=headers, credential_key=ctx.credential_key)
        if response.not_modified:
            if page == 0:
                return PollResult(not_modified=True)
            break
        doc = decode_json(response)
        try:
            if page == 0:
                for metric_id, mapping in options.metrics.items():
                    metrics[metric_id] = parse_metric(
                        doc,
                        mapping,
                        computed_at=ctx.now,
                        provenance=f"json:{base.host}",
                        tz=zone(options.timezone),
                        time_format=options.time_format,
                        epoch=options.epoch,
                    )
            if options.post is not None:
                page_posts, skipped = parse_items(doc, options, source=source)
                found.add(page_posts)
                unusable += [f"page {page + 1}: {exc}" for exc in skipped]
        except PathError as exc:
            raise _bad(exc, response.url_for_logs, secrets) from None
        if len(found.posts) >= options.max_items or not options.next_page:
            break
        token = get_path(doc, options.next_page, None)
        if token in (None, "") or isinstance(token, (dict, list, bool)):
            break
        token = str(token)
        if token.lower().startswith(("http://", "https://", "/")):
            next_url = httpx.URL(urljoin(str(response.url_for_logs), token) if token.startswith("/") else token)
            if not same_origin(next_url, base):
                raise FeedError(
                    "bad_response",
                    f"the next page points to another host ({next_url.host}); "
                    f"refusing to send this feed's credentials there",
                    secrets=secrets,
                )
            # the next URL carries the query; only the credential parameters are added again
            pages.follow((str(next_url), {k: v for k, v in params.items() if k in auth_params}))
        elif options.page_param:
            pages.follow((url, {**params, options.page_param: token}))
        else:
            raise FeedError(
                "bad_response",
                f"next page {options.next_page!r} is a cursor token, not a URL; "
                f"set page_param to the query parameter that carries it",
                secrets=secrets,
            )

    posts = sorted(found.posts, key=lambda p: p.published_at, reverse=True)[: options.max_items]
    cursor: dict[str, str] = {}
    if options.since_param and posts:
        newest = posts[0]
        if options.since_from == "id":
            cursor["since"] = newest.key.split(":", 1)[1]
        else:
            cursor["since"] = newest.published_at.isoformat().replace("+00:00", "Z")
    result = PollResult(posts=posts, metrics=metrics, cursor=cursor, replace=not options.since_param)
    for example in unusable:
        result.skip(UNUSABLE_RECORD, example)
    return result
