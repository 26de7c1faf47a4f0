"""X (Twitter): posts matching a recent-search query, with authors and media from the expansions.

Built from X's API v2 documentation:
- GET /2/tweets/search/recent (query, since_id, max_results 10-100, next_token, sort_order,
  expansions, tweet.fields, user.fields, media.fields; output {data, includes{users, media}, errors,
  meta{newest_id, oldest_id, result_count, next_token}}): https://docs.x.com/x-api/posts/recent-search
- polling with since_id = the last newest_id, paging with next_token:
  https://docs.x.com/x-api/posts/search/integrate/paginate
- fields (public_metrics, entities.hashtags, attachments.media_keys, referenced_tweets, note_tweet;
  user public_metrics.followers_count, verified, profile_image_url; media type/url/preview_image_url/
  alt_text/width/height): https://docs.x.com/x-api/fundamentals/data-dictionary
- errors: HTTP errors carry RFC 7807 problem bodies ({"title", "detail", "type", "status"}, with an
  `errors` array for invalid requests); a 200 may carry partial `errors` next to `data`:
  https://docs.x.com/x-api/fundamentals/response-codes-and-errors
- rate limits: x-rate-limit-limit / -remaining / -reset (epoch seconds); recent search allows 450
  requests per 15 min per app (lower on the Basic tier, which the 429's reset header then enforces):
  https://docs.x.com/x-api/fundamentals/rate-limits

Tweet text comes HTML-escaped (&amp; &lt; &gt;): it is unescaped once, never parsed as markup.
With `ids_only: true` (licences such as some listening-platform resales allow only post ids to be
shown, to be rendered through X's own embed) posts keep their id, URL, date and author id only.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .adapter import PollContext, PollResult, ServiceURL
from .errors import FeedError
from .http import decode_json
from .mapping import as_list, count_or_zero, iso_datetime, to_count, whole_number
from .model import Author, Media, Post, PostMetrics, web_url
from .paging import Pages, PostsOnce

log = logging.getLogger("feeds.x")

NAME = "x"
CREDENTIALS: tuple[str, ...] = ("bearer_token",)
BUDGET: tuple[int, float] | None = (450, 900.0)  # recent search, app-only auth: 450 / 15 min

SEARCH_PATH = "/2/tweets/search/recent"
WEB = "https://x.com"
EXPANSIONS = "author_id,attachments.media_keys"
TWEET_FIELDS = (
    "created_at,author_id,public_metrics,lang,entities,attachments,referenced_tweets,possibly_sensitive,note_tweet"
)
USER_FIELDS = "public_metrics,verified,profile_image_url,name,username"
MEDIA_FIELDS = "url,preview_image_url,alt_text,width,height,type"

_ID = re.compile(r"^[0-9]{1,20}$")


class Options(BaseModel):
    """`options:` of an X feed."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=4096,
        description="recent-search query with X operators, e.g. '#brand lang:fr -is:retweet' "
        "(512 characters on self-serve access, 4096 on enterprise)",
    )
    max_results: int = Field(default=50, ge=10, le=100, description="posts per page (10-100)")
    max_pages: int = Field(default=3, ge=1, le=10, description="pages fetched per poll at most")
    sort_order: Literal["recency", "relevancy"] = Field(
        default="recency", description="recency: a stream polled with since_id; relevancy: the current top list"
    )
    ids_only: bool = Field(
        default=False,
        description="the licence allows post ids only: keep id, URL, date and author id, drop text and media",
    )
    api_base: ServiceURL = Field(
        default="https://api.x.com", description="API host (https://..., or http://127.0.0.1 for tests)"
    )


# ------------------------------------------------------------------------------------------- parsing

parse_time = iso_datetime  # the vendor writes ISO 8601 / RFC 3339 times


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _http(url: Any) -> str | None:
    return web_url(url)  # the one check of a URL a feed supplies (feeds/model.py)


def index_includes(includes: Any) -> tuple[dict[str, dict], dict[str, dict]]:
    """includes.users by id and includes.media by media_key."""
    users: dict[str, dict] = {}
    media: dict[str, dict] = {}
    if isinstance(includes, dict):
        for user in as_list(includes.get("users")):
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                users[user["id"]] = user
        for item in as_list(includes.get("media")):
            if isinstance(item, dict) and isinstance(item.get("media_key"), str):
                media[item["media_key"]] = item
    return users, media


def parse_media(item: dict[str, Any], sensitive: bool = False) -> Media | None:
    """One media object. Photos carry `url`; videos and GIFs only a poster (`preview_image_url`),
    which is what a wall can paint."""
    kind = _str(item.get("type"))
    if kind == "photo":
        url, mkind = _http(item.get("url")), "image"
    elif kind in ("video", "animated_gif"):
        url, mkind = _http(item.get("preview_image_url")), ("video" if kind == "video" else "gif")
    else:
        return None
    if url is None:
        return None
    w, h = item.get("width"), item.get("height")
    return Media(
        kind=mkind,
        url=url,
        alt=_str(item.get("alt_text")),
        width=whole_number(w) or None,
        height=whole_number(h) or None,
        sensitive=sensitive,
    )


def _author(author_id: str, user: dict[str, Any] | None) -> Author:
    if not user:
        return Author(id=f"x:{author_id}")
    username = _str(user.get("username"))
    metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
    return Author(
        id=f"x:{author_id}",
        handle=f"@{username}" if username else "",
        name=_str(user.get("name")),
        avatar_url=_http(user.get("profile_image_url")),
        followers=to_count(metrics.get("followers_count"), numbers_only=True),
        verified=user.get("verified") is True,
    )


def _kind(tweet: dict[str, Any]) -> str:
    references = tweet.get("referenced_tweets")
    types = (
        {r["type"] for r in references if isinstance(r, dict) and isinstance(r.get("type"), str)}
        if isinstance(references, list)
        else set()
    )
    if "retweeted" in types:
        return "repost"
    if "quoted" in types:
        return "quote"
    if "replied_to" in types:
        return "reply"
    return "post"


def _hashtags(tweet: dict[str, Any]) -> tuple[str, ...]:
    entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    note_entities = note.get("entities") if isinstance(note.get("entities"), dict) else {}
    out: list[str] = []
    seen: set[str] = set()
    for source in (entities, note_entities):
        for tag in as_list(source.get("hashtags")):
            name = _str(tag.get("tag")).strip().lstrip("#") if isinstance(tag, dict) else ""
            if name and name.lower() not in seen:
                seen.add(name.lower())
                out.append(f"#{name}")
    return tuple(out)


def parse_tweet(
    tweet: Any,
    users: dict[str, dict] | None = None,
    media: dict[str, dict] | None = None,
    *,
    ids_only: bool = False,
    source: str = NAME,
) -> Post | None:
    """One Tweet object (with the response's indexed includes) as a Post, or None when it lacks an
    id, an author id or a usable created_at."""
    if not isinstance(tweet, dict):
        return None
    tweet_id = _str(tweet.get("id"))
    author_id = _str(tweet.get("author_id"))
    published = parse_time(tweet.get("created_at"))
    if not _ID.match(tweet_id) or not author_id or published is None:
        return None
    user = (users or {}).get(author_id)
    username = _str(user.get("username")) if user else ""
    # x.com/i/web/status/<id> opens any post when the username is unknown
    url = f"{WEB}/{username}/status/{tweet_id}" if username else f"{WEB}/i/web/status/{tweet_id}"
    if ids_only:
        return Post(
            key=f"{source}:{tweet_id}",
            source=source,
            network="x",
            url=url,
            published_at=published,
            author=Author(id=f"x:{author_id}"),
            kind=_kind(tweet),
            content_policy="ids_only",
        )
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = _str(note.get("text")) or _str(tweet.get("text"))  # long posts: the full note text
    sensitive = tweet.get("possibly_sensitive") is True
    attachments = tweet.get("attachments") if isinstance(tweet.get("attachments"), dict) else {}
    found: list[Media] = []
    for key in as_list(attachments.get("media_keys")):
        item = (media or {}).get(key) if isinstance(key, str) else None
        parsed = parse_media(item, sensitive) if item else None
        if parsed is not None:
            found.append(parsed)
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    lang = _str(tweet.get("lang"))
    return Post(
        key=f"{source}:{tweet_id}",
        source=source,
        network="x",
        url=url,
        published_at=published,
        text=html.unescape(text),  # X escapes &, < and > in text; unescaped once, shown as characters
        lang=lang if lang and lang not in ("und", "qme", "qht", "zxx") else None,
        author=_author(author_id, user),
        media=tuple(found),
        metrics=PostMetrics(
            likes=count_or_zero(metrics.get("like_count")),
            reposts=count_or_zero(metrics.get("retweet_count")),
            replies=count_or_zero(metrics.get("reply_count")),
            quotes=count_or_zero(metrics.get("quote_count")),
            views=to_count(metrics.get("impression_count"), numbers_only=True),
        ),
        hashtags=_hashtags(tweet),
        kind=_kind(tweet),
        raw=tweet,
    )


def parse_search_page(doc: Any) -> tuple[list[dict], dict[str, dict], dict[str, dict], dict[str, Any]]:
    """A recent-search answer -> (tweets, users by id, media by key, meta). FeedError if not that shape.

    A 200 that carries only `errors` (no `data`, no `meta`) is a failed request, not an empty page."""
    if not isinstance(doc, dict):
        raise FeedError("bad_response", "recent search answer is not a JSON object")
    data = doc.get("data", [])
    meta = doc.get("meta", {})
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise FeedError("bad_response", "recent search answer has a malformed `data` or `meta`")
    if "data" not in doc and "meta" not in doc:
        errors = doc.get("errors")
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        said = _str(first.get("detail")) or _str(first.get("message")) or _str(doc.get("detail"))
        raise FeedError("bad_response", f"recent search answered without data{': ' + said if said else ''}")
    users, media = index_includes(doc.get("includes"))
    return data, users, media, meta


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two post ids (ids grow with time; compared as numbers, not strings)."""
    ids = [i for i in (a, b) if i and _ID.match(i)]
    return max(ids, key=int) if ids else None


# ------------------------------------------------------------------------------------------- polling


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    token = ctx.secret("bearer_token")
    stream = options.sort_order == "recency"
    since_id = ctx.cursor.get("since_id") if stream else None
    if since_id is not None and not _ID.match(since_id):
        log.warning("feed %s: ignoring a corrupt since_id cursor", ctx.feed_id)
        since_id = None

    params: dict[str, Any] = {
        "query": options.query,
        "max_results": options.max_results,
        "sort_order": options.sort_order,
        "expansions": EXPANSIONS,
        "tweet.fields": TWEET_FIELDS,
        "user.fields": USER_FIELDS,
        "media.fields": MEDIA_FIELDS,
    }
    if since_id:
        params["since_id"] = since_id
    headers = {"Authorization": f"Bearer {token}"}

    found = PostsOnce()
    newest: str | None = None
    skipped = 0
    pages = Pages(params, options.max_pages)
    for page_params in pages:
        response = await ctx.fetcher.get(
            options.api_base + SEARCH_PATH,
            params=page_params,
            headers=headers,
            credential_key=ctx.credential_key,
            conditional=False,
        )
        tweets, users, media, meta = parse_search_page(decode_json(response))
        newest = _newer(newest, _str(meta.get("newest_id")) or None)
        for tweet in tweets:
            try:
                post = parse_tweet(tweet, users, media, ids_only=options.ids_only)
            except ValueError as exc:  # pydantic: a field out of range; one bad post must not sink the rest
                log.debug("feed %s: skipped a post: %s", ctx.feed_id, exc)
                post = None
            if post is None:
                skipped += 1
                continue
            newest = _newer(newest, post.key.split(":", 1)[1])
            found.add([post])
        next_token = meta.get("next_token")
        if not tweets or not isinstance(next_token, str) or not next_token:
            break
        pages.follow(dict(params, next_token=next_token))
    if skipped:
        log.info("feed %s: skipped %d post(s) without a usable id, author or date", ctx.feed_id, skipped)

    cursor: dict[str, str] = {}
    # Polling as X documents it: the next poll asks for posts newer than the newest seen. When
    # max_pages cut the paging short, older matches in between are skipped: a wall shows the newest.
    if stream and newest and newest != since_id and _newer(newest, since_id) == newest:
        cursor["since_id"] = newest
    return PollResult(posts=found.posts, cursor=cursor, replace=not stream)
