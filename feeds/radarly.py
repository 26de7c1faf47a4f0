"""Linkfluence Radarly: the publications of a project's inbox (its search), newest first.

Radarly has no public OpenAPI. What this adapter relies on comes from Linkfluence's own Python client and
the API documentation shipped with it (github.com/linkfluence/radarly-py, also on PyPI as `radarly`):
- docs/officialdoc/architecture/publication/request.search-for-publications.txt: `POST
  /1.0/projects/{project_id}/inbox/search.json` on https://radarly.linkfluence.com, `Authorization: Bearer
  <access token>`, `Content-Type: application/json`, the search parameters as the JSON body;
  response.search-for-publications.txt: `201` with {took, total, hits: [...], stats} where a hit has uid,
  text, lang, date (ISO 8601), tone, permalink, hashtag [...], isRT, inReplyToStatusId, geo {inferred,
  given} {country}, user {id, name, screenName, followers, profileImg, geo}, origin {platform, source},
  media {image: [...], video}, score {favourite, rt, reply}.
- radarly/publication.py (Publication: uid, origin, permalink, lang, date, impression, reach, tone, user)
  and radarly/parameters: the body fields `query`, `from` / `to` (publication date, ISO 8601),
  `start` / `limit` (PaginationMixin; paging is by offset, there is no cursor), `sortBy` ("date",
  "radar.engagement", ...), `sortOrder`, `focuses` [{id, include}], `platforms`, `languages`, `flag`.
- docs/officialdoc/introduction/searchparameter.rst (the same parameters, documented), format.rst (datetime
  is ISO 8601 "2015-03-31T09:07:29.454Z"), rates.rst ("Search: 180 calls / window", 15-minute sliding
  windows per route and token -> BUDGET; "max 250 posts for search" per call -> page_size <= 250),
  radarly/rate.py (X-Rate-Limit-Limit / -Remaining / -Reset headers: the Fetcher's RetryPolicy reads
  X-Rate-Limit-Reset on a 429), response_status_code.rst (POST answers 201; errors are standard HTTP codes
  with a body "describing both the code and message").

Not documented publicly, so shaped from the client's code and kept lenient here: the exact error body
(radarly/api.py reads `error_type`, e.g. "ExpiredTokenException", and `error_message`; the fixtures use
that shape), whether hits carry `impression` / `reach` / `engagement` at the top level (the client's
Publication docstring lists impression and reach), and the OAuth2 client-credentials exchange
(https://oauth.linkfluence.com/oauth2/token): this adapter takes an already issued access token from the
environment and reports "credentials" when it expires; it does not refresh tokens itself.

Cursor: `date_since` is the newest publication `date` seen; the next poll asks `from` that time, newest
first, and stops paging at the first hit older than it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .adapter import HASHTAG, PollContext, PollResult, ServiceURL, markup_to_text, refuse_reserved
from .errors import FeedError
from .http import decode_json
from .iso_countries import to_alpha2
from .mapping import count_or_zero, iso_datetime, iso_millis, to_count, to_non_negative
from .model import Author, Media, Post, PostMetrics, Sentiment, web_url
from .paging import Pages, PostsOnce, latest, posts_and_times

NAME = "radarly"
CREDENTIALS = ("access_token",)
BUDGET = (180, 900.0)  # "Search: 180 calls / window", windows of 15 minutes per route and token (rates.rst)

SOURCE = "radarly"
DEFAULT_API = "https://radarly.linkfluence.com"
MAX_PAGE = 250  # rates.rst: "max 250 posts for search"
_RESERVED = frozenset(
    {"query", "from", "to", "start", "limit", "sortBy", "sortOrder", "focuses", "platforms", "languages"}
)
Platform = Literal[
    "blog",
    "dailymotion",
    "website",
    "twitter",
    "media",
    "instagram",
    "gplus",
    "facebook",
    "linkedin",
    "vkontakte",
    "youku",
    "wechat",
    "comment",
    "forum",
    "youtube",
    "tiktok",
    "reddit",
    "sinaweibo",
    "pinterest",
    "review",
]


class Options(BaseModel):
    """The `options:` of a radarly feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: int = Field(gt=0, description="Radarly project id (the number in the project's URL)")
    query: str = Field(default="", max_length=4000, description="Radarly query; empty: the whole inbox")
    focuses: list[int] = Field(
        default_factory=list, max_length=100, description="registered query (focus) ids to search into"
    )
    platforms: list[Platform] = Field(default_factory=list, description="restrict to these platforms")
    languages: list[str] = Field(default_factory=list, max_length=50, description="ISO 639-1 codes, e.g. [fr, en]")
    body: dict[str, Any] = Field(
        default_factory=dict, description="other documented search parameters, e.g. {tones: [negative]}"
    )
    api_base: ServiceURL = Field(default=DEFAULT_API, description="API root; https only (http://127.0.0.1 in tests)")
    page_size: int = Field(default=100, ge=1, le=MAX_PAGE, description="publications per call (Radarly: <= 250)")
    max_pages: int = Field(default=3, ge=1, le=20, description="most search calls per poll")
    lookback_minutes: int = Field(default=60, ge=1, le=43200, description="how far back the first poll looks")

    @field_validator("languages")
    @classmethod
    def _iso639(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if not re.fullmatch(r"[a-z]{2}", x)]
        if bad:
            raise ValueError(f"languages must be ISO 639-1 codes like 'fr', got {bad}")
        return v

    @field_validator("body")
    @classmethod
    def _no_reserved(cls, v: dict[str, Any]) -> dict[str, Any]:
        return refuse_reserved(v, _RESERVED, "body")


# ------------------------------------------------------------------------------------------- parsing

parse_date = iso_datetime  # the vendor writes ISO 8601 / RFC 3339 times


format_date = iso_millis  # format.rst: datetimes are ISO 8601, "2015-03-31T09:07:29.454Z"


def _null(value: object) -> object:
    """Radarly serialises missing values as the string "null" (see the documented response)."""
    return None if value is None or (isinstance(value, str) and value.strip().lower() in ("null", "")) else value


def _text(value: object) -> str:
    value = _null(value)
    return value if isinstance(value, str) else ""


def _web_url(value: object) -> str | None:
    return web_url(_null(value))  # the one check of a URL a feed supplies (feeds/model.py)


def publication_text(value: object) -> str:
    """Blog and forum publications can carry HTML; tweets do not ("I <3 it" keeps its characters)."""
    return markup_to_text(_text(value))


_TONES = {
    "positive": (1.0, "positive"),
    "negative": (-1.0, "negative"),
    "neutral": (0.0, "neutral"),
    "mixed": (0.0, "neutral"),
}


def parse_tone(value: object) -> Sentiment | None:
    """Radarly's tone (positive / negative / neutral / mixed) -> Sentiment; mixed shows as neutral."""
    found = _TONES.get(_text(value).strip().lower())
    return Sentiment(score=found[0], label=found[1]) if found else None  # type: ignore[arg-type]


_NETWORKS = {"twitter": "x", "x": "x", "mastodon": "mastodon", "bluesky": "bluesky"}
_ARTICLE = {"blog", "media", "website", "forum", "review", "comment"}


def _country(hit: Mapping[str, Any]) -> str | None:
    places = []
    geo = hit.get("geo")
    if isinstance(geo, Mapping):
        places += [geo.get("inferred"), geo.get("given")]
    user = hit.get("user")
    if isinstance(user, Mapping):
        places.append(user.get("geo"))
    for place in places:
        if isinstance(place, Mapping):
            found = to_alpha2(_text(place.get("country")))  # "UK" too: to_alpha2 reads it as GB
            if found:
                return found
    return None


def _media(hit: Mapping[str, Any]) -> tuple[Media, ...]:
    media = hit.get("media")
    if not isinstance(media, Mapping):
        return ()
    out: list[Media] = []
    seen: set[str] = set()
    images = media.get("image")
    for url in images if isinstance(images, list) else []:
        url = _web_url(url)
        if url and url not in seen:
            seen.add(url)
            out.append(Media(kind="image", url=url))
    videos = media.get("video")
    for video in videos if isinstance(videos, list) else []:
        url = _web_url(video.get("url") if isinstance(video, Mapping) else video)
        if url and url not in seen:
            seen.add(url)
            out.append(Media(kind="video", url=url))
    return tuple(out)


def parse_publication(hit: Mapping[str, Any]) -> Post | None:
    """One search hit -> Post, or None when it has no uid or no usable date."""
    uid = _null(hit.get("uid"))
    if uid is None or isinstance(uid, (dict, list, bool)) or str(uid).strip() == "":
        return None
    published = parse_date(hit.get("date"))
    if published is None:
        return None
    origin = hit.get("origin") if isinstance(hit.get("origin"), Mapping) else {}
    platform = _text(origin.get("platform")).strip().lower()
    network = _NETWORKS.get(platform, "radarly")
    user = hit.get("user") if isinstance(hit.get("user"), Mapping) else {}
    screen = _text(user.get("screenName")).strip()
    name = _text(user.get("name")).strip() or screen
    user_id = _null(user.get("id"))
    if user_id is None or isinstance(user_id, (dict, list, bool)):
        user_id = screen.lstrip("@") or "unknown"
    at_handles = network in ("x", "mastodon", "bluesky") or platform in ("instagram", "tiktok")
    author = Author(
        id=f"{SOURCE}:{platform or 'web'}:{user_id}",
        handle=f"@{screen.lstrip('@')}" if screen and at_handles else screen,
        name=name,
        avatar_url=_web_url(user.get("profileImg")),
        followers=to_count(user.get("followers")),
        verified=_null(user.get("verified")) is True,
    )
    text = publication_text(hit.get("text"))
    title = publication_text(hit.get("title")).strip() or None
    in_reply = _null(hit.get("inReplyToStatusId"))
    if _null(hit.get("isRT")) is True:
        kind = "repost"
    elif in_reply not in (None, -1, "-1", 0, "0") and not isinstance(in_reply, bool):
        kind = "reply"
    elif platform in _ARTICLE:
        kind = "article"
    else:
        kind = "post"
    score = hit.get("score") if isinstance(hit.get("score"), Mapping) else {}
    raw_tags = hit.get("hashtag")
    tags = [t for t in raw_tags if isinstance(t, str) and t.strip("# ")] if isinstance(raw_tags, list) else []
    if not tags:
        tags = HASHTAG.findall(text)
    unique: dict[str, str] = {}
    for tag in tags:
        unique.setdefault(tag.strip().lstrip("#").lower(), f"#{tag.strip().lstrip('#')}")
    lang = _text(hit.get("lang")).strip().lower()
    return Post(
        key=f"{SOURCE}:{uid}",
        source=SOURCE,
        network=network,  # type: ignore[arg-type]
        url=_web_url(hit.get("permalink")),
        published_at=published,
        text=text,
        lang=lang if lang and lang not in ("xx", "und") else None,
        author=author,
        media=_media(hit),
        metrics=PostMetrics(
            likes=count_or_zero(score.get("favourite")),
            reposts=count_or_zero(score.get("rt")),
            replies=count_or_zero(score.get("reply")),
            views=to_count(hit.get("impression")),
        ),
        reach=to_count(hit.get("reach")),
        engagement=to_non_negative(hit.get("engagement"), numbers_only=True),
        sentiment=parse_tone(hit.get("tone")),
        country=_country(hit),
        hashtags=tuple(unique.values()),
        kind=kind,  # type: ignore[arg-type]
        title=title,
        raw=dict(hit),
    )


def parse_search(doc: object) -> tuple[list[Post], list[datetime], int | None, int]:
    """A search answer -> (posts, the dates seen, total, number of hits). Hits without a uid or a date
    are skipped; an answer that is not Radarly's shape is a bad_response."""
    if not isinstance(doc, dict) or not isinstance(doc.get("hits"), list):
        raise FeedError("bad_response", "Radarly search: expected an object with a 'hits' list")
    posts, dates = posts_and_times(doc["hits"], parse_publication, lambda hit: parse_date(hit.get("date")))
    total = doc.get("total")
    total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
    return posts, dates, total, len(doc["hits"])


# ------------------------------------------------------------------------------------------- polling


def search_body(options: Options, since: datetime, until: datetime, start: int) -> dict[str, Any]:
    body: dict[str, Any] = dict(options.body)
    if options.query:
        body["query"] = options.query
    if options.focuses:
        body["focuses"] = [{"id": f, "include": True} for f in options.focuses]
    if options.platforms:
        body["platforms"] = list(options.platforms)
    if options.languages:
        body["languages"] = list(options.languages)
    body |= {
        "from": format_date(since),
        "to": format_date(until),
        "sortBy": "date",
        "sortOrder": "desc",
        "start": start,
        "limit": options.page_size,
    }
    return body


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    token = ctx.secret("access_token")
    now = ctx.now.astimezone(UTC)
    since = parse_date(ctx.cursor.get("date_since"))
    cursor_since = since
    if since is None or since > now:
        since = now - timedelta(minutes=options.lookback_minutes) if since is None else now
    url = f"{options.api_base}/1.0/projects/{options.project_id}/inbox/search.json"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    found = PostsOnce(older_than=cursor_since)
    newest = cursor_since
    pages = Pages(0, options.max_pages)
    for start in pages:
        response = await ctx.fetcher.post(
            url, json=search_body(options, since, now, start), headers=headers, credential_key=ctx.credential_key
        )
        posts, dates, total, count = parse_search(decode_json(response))
        reached = found.add(posts)
        newest = latest(newest, (when for when in dates if when <= now))
        start += options.page_size
        if reached or count < options.page_size or (total is not None and start >= total):
            break
        pages.follow(start)
    result = PollResult(posts=found.posts)
    if newest is not None:
        result.cursor["date_since"] = format_date(newest)
    return result
