"""Bluesky: posts matching a search, with their authors' follower counts, from a public AppView.

Built from the AT Protocol lexicons and Bluesky's API docs:
- app.bsky.feed.searchPosts (q, sort, since, lang, limit 1-100, cursor; output {cursor, hitsTotal,
  posts: [app.bsky.feed.defs#postView]}):
  https://docs.bsky.app/docs/api/app-bsky-feed-search-posts and
  https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/searchPosts.json
- postView (uri, cid, author: profileViewBasic, record, embed, replyCount, repostCount, likeCount,
  quoteCount, indexedAt, labels): lexicons/app/bsky/feed/defs.json
- embeds: app.bsky.embed.images#view (images[{thumb, fullsize, alt, aspectRatio}]),
  app.bsky.embed.video#view (playlist, thumbnail, alt, aspectRatio), app.bsky.embed.record#view,
  app.bsky.embed.recordWithMedia#view (record, media): lexicons/app/bsky/embed/*.json
- app.bsky.actor.getProfiles (actors: up to 25 at-identifiers, repeated; output
  {profiles: [profileViewDetailed]} with followersCount): lexicons/app/bsky/actor/getProfiles.json
- hosts: https://docs.bsky.app/docs/advanced-guides/api-directory (public AppView
  https://public.api.bsky.app, no auth); errors are XRPC bodies {"error": "...", "message": "..."};
  rate limits: https://docs.bsky.app/docs/advanced-guides/rate-limits (3000 requests / 5 min per
  IP; 429 with RateLimit-* headers, RateLimit-Reset in epoch seconds).

Polling: searchPosts with sort=latest pages backwards in time; the newest `sortAt` seen (what `since`
filters on: the earlier of createdAt and indexedAt) is kept as the cursor and sent back as `since`
(inclusive, so the newest post of the previous poll comes again; the store dedups it). sort=top is a
ranking, not a stream: each poll returns the whole current top list (`replace=True`), no cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from .adapter import PollContext, PollResult, ServiceURL
from .errors import FeedError
from .http import decode_json
from .mapping import as_list, count_or_zero, iso_datetime, whole_number
from .model import Author, Media, Post, PostMetrics
from .model import web_url as checked_url
from .paging import Pages

log = logging.getLogger("feeds.bluesky")

NAME = "bluesky"
CREDENTIALS: tuple[str, ...] = ()  # the public AppView needs none
BUDGET: tuple[int, float] | None = (3000, 300.0)  # per IP: 3000 requests / 5 min

SEARCH_PATH = "/xrpc/app.bsky.feed.searchPosts"
PROFILES_PATH = "/xrpc/app.bsky.actor.getProfiles"
PROFILES_BATCH = 25  # getProfiles: "actors" maxLength 25
WEB = "https://bsky.app"

# Self-labels and moderation labels whose media a wall must not show unblurred.
SENSITIVE_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore", "!warn"})


class Options(BaseModel):
    """`options:` of a Bluesky feed."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=512,
        description='searchPosts `q`: words, "phrases", #hashtags, from:handle (Lucene-like syntax)',
    )
    sort: Literal["latest", "top"] = Field(
        default="latest", description="latest: a stream polled with `since`; top: the current top list"
    )
    lang: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="only posts in this language (BCP-47, e.g. 'fr')",
    )
    appview: ServiceURL = Field(
        default="https://public.api.bsky.app",
        description="AppView base URL (https://..., or http://127.0.0.1 for tests)",
    )
    limit: int = Field(default=50, ge=1, le=100, description="posts per page (searchPosts allows 1-100)")
    max_pages: int = Field(default=3, ge=1, le=10, description="pages fetched per poll at most")
    followers: bool = Field(
        default=True, description="look up authors' follower counts with getProfiles (1 call per 25 authors)"
    )


# ------------------------------------------------------------------------------------------- parsing

parse_time = iso_datetime  # the vendor writes ISO 8601 / RFC 3339 times


def iso(when: datetime) -> str:
    """UTC, millisecond precision, 'Z': the form AT Protocol datetimes take."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def rkey_of(uri: str) -> str | None:
    """The record key of an app.bsky.feed.post AT URI (at://<did>/app.bsky.feed.post/<rkey>)."""
    parts = uri.removeprefix("at://").split("/")
    if len(parts) == 3 and parts[1] == "app.bsky.feed.post" and parts[2]:
        return parts[2]
    return None


def web_url(uri: str, handle: str, did: str) -> str | None:
    """https://bsky.app/profile/<handle>/post/<rkey>; the DID stands in for an invalid handle."""
    rkey = rkey_of(uri)
    if rkey is None:
        return None
    who = handle if handle and handle != "handle.invalid" else did
    if not who:
        return None
    return f"{WEB}/profile/{quote(who, safe=':.')}/post/{quote(rkey, safe='')}"


def _aspect(view: dict[str, Any]) -> tuple[int | None, int | None]:
    ratio = view.get("aspectRatio")
    if isinstance(ratio, dict):
        w, h = whole_number(ratio.get("width")), whole_number(ratio.get("height"))
        if w and h:
            return w, h
    return None, None


def parse_media(embed: Any, sensitive: bool = False) -> tuple[Media, ...]:
    """Images and videos of a postView's `embed` (also the media half of recordWithMedia).

    Videos carry their poster frame (`thumbnail`) as url: that is what a wall can paint; the HLS
    playlist is the fallback when there is no thumbnail."""
    if not isinstance(embed, dict):
        return ()
    kind = _str(embed.get("$type"))
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return parse_media(embed.get("media"), sensitive)
    out: list[Media] = []
    if kind.startswith("app.bsky.embed.images"):
        for image in as_list(embed.get("images")):
            if not isinstance(image, dict):
                continue
            url = checked_url(_str(image.get("fullsize")) or _str(image.get("thumb")))
            if url is None:
                continue
            w, h = _aspect(image)
            out.append(Media(kind="image", url=url, alt=_str(image.get("alt")), width=w, height=h, sensitive=sensitive))
    elif kind.startswith("app.bsky.embed.video"):
        url = checked_url(_str(embed.get("thumbnail")) or _str(embed.get("playlist")))
        if url is not None:
            w, h = _aspect(embed)
            out.append(Media(kind="video", url=url, alt=_str(embed.get("alt")), width=w, height=h, sensitive=sensitive))
    return tuple(out)


def _hashtags(record: dict[str, Any]) -> tuple[str, ...]:
    """#tags from the record's richtext facets (app.bsky.richtext.facet#tag) and its `tags`."""
    found: list[str] = []
    for facet in as_list(record.get("facets")):
        if not isinstance(facet, dict):
            continue
        for feature in as_list(facet.get("features")):
            if isinstance(feature, dict) and _str(feature.get("$type")).endswith("#tag"):
                found.append(_str(feature.get("tag")))
    found.extend(_str(t) for t in as_list(record.get("tags")))
    out: list[str] = []
    seen: set[str] = set()
    for tag in found:
        tag = tag.strip().lstrip("#")
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(f"#{tag}")
    return tuple(out)


def _labels(view: dict[str, Any]) -> set[str]:
    vals: set[str] = set()
    for label in as_list(view.get("labels")):
        if isinstance(label, dict) and isinstance(label.get("val"), str) and not label.get("neg"):
            vals.add(label["val"])
    return vals


def sort_at(view: dict[str, Any]) -> datetime | None:
    """When a post sorts in search (what `since` filters on): the earlier of createdAt and indexedAt,
    so a post dated in the future by a wrong clock never sits on top of the wall."""
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    created = parse_time(record.get("createdAt"))
    indexed = parse_time(view.get("indexedAt"))
    if created and indexed:
        return min(created, indexed)
    return created or indexed


def parse_post(view: Any, followers: dict[str, int] | None = None, source: str = NAME) -> Post | None:
    """One app.bsky.feed.defs#postView as a Post, or None when it lacks what a Post needs
    (an app.bsky.feed.post AT URI, an author DID, a usable date)."""
    if not isinstance(view, dict):
        return None
    uri = _str(view.get("uri"))
    author = view.get("author")
    record = view.get("record")
    if not uri.startswith("at://") or rkey_of(uri) is None or not isinstance(author, dict):
        return None
    if not isinstance(record, dict):
        record = {}
    did = _str(author.get("did"))
    if not did.startswith("did:"):
        return None
    published = sort_at(view)
    if published is None:
        return None
    handle = _str(author.get("handle"))
    verification = author.get("verification")
    verified = isinstance(verification, dict) and verification.get("verifiedStatus") == "valid"
    avatar = _str(author.get("avatar")) or None
    known = (followers or {}).get(did)
    embed = view.get("embed")
    embed_type = _str(embed.get("$type")) if isinstance(embed, dict) else ""
    if isinstance(record.get("reply"), dict):
        kind = "reply"
    elif embed_type.startswith(("app.bsky.embed.record#", "app.bsky.embed.recordWithMedia#")):
        kind = "quote"
    else:
        kind = "post"
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    sensitive = bool((_labels(view) | _self_labels(record)) & SENSITIVE_LABELS)
    return Post(
        key=f"{source}:{uri}",
        source=source,
        network="bluesky",
        url=web_url(uri, handle, did),
        published_at=published,
        text=_str(record.get("text")),  # plain text already: never unescaped nor stripped of '<'
        lang=lang,
        author=Author(
            id=f"bluesky:{did}",
            handle=f"@{handle}" if handle and handle != "handle.invalid" else "",
            name=_str(author.get("displayName")),
            avatar_url=checked_url(avatar),
            followers=whole_number(known),
            verified=verified,
        ),
        media=parse_media(embed, sensitive),
        metrics=PostMetrics(
            likes=count_or_zero(view.get("likeCount")),
            reposts=count_or_zero(view.get("repostCount")),
            replies=count_or_zero(view.get("replyCount")),
            quotes=count_or_zero(view.get("quoteCount")),
        ),
        hashtags=_hashtags(record),
        kind=kind,
        raw=view,
    )


def _self_labels(record: dict[str, Any]) -> set[str]:
    # a record's own labels: {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": ...}]}
    labels = record.get("labels")
    if not isinstance(labels, dict):
        return set()
    return {v["val"] for v in as_list(labels.get("values")) if isinstance(v, dict) and isinstance(v.get("val"), str)}


def parse_search_page(doc: Any) -> tuple[list[dict[str, Any]], str | None]:
    """searchPosts output -> (postViews, next cursor). FeedError when it is not that shape."""
    if not isinstance(doc, dict) or not isinstance(doc.get("posts"), list):
        raise FeedError("bad_response", "searchPosts answer has no `posts` list; is `appview` a Bluesky AppView?")
    cursor = doc.get("cursor")
    return doc["posts"], cursor if isinstance(cursor, str) and cursor else None


def parse_profiles(doc: Any) -> dict[str, int]:
    """getProfiles output -> {did: followersCount} (profiles without a usable count are left out)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), list):
        raise FeedError("bad_response", "getProfiles answer has no `profiles` list")
    out: dict[str, int] = {}
    for profile in doc["profiles"]:
        if isinstance(profile, dict) and isinstance(profile.get("did"), str):
            count = whole_number(profile.get("followersCount"))
            if count is not None:
                out[profile["did"]] = count
    return out


# ------------------------------------------------------------------------------------------- polling


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def fetch_followers(ctx: PollContext, dids: list[str]) -> dict[str, int]:
    """Follower counts for `dids`, 25 per getProfiles call. A failed lookup leaves counts out (the
    posts still show) rather than failing the poll; it is logged."""
    options: Options = ctx.options
    out: dict[str, int] = {}
    for batch in _batches(dids, PROFILES_BATCH):
        try:
            response = await ctx.fetcher.get(
                options.appview + PROFILES_PATH,
                params={"actors": batch},
                credential_key=ctx.credential_key,
                conditional=False,
            )
            out.update(parse_profiles(decode_json(response)))
        except FeedError as exc:
            log.warning("feed %s: follower counts unavailable (%s): %s", ctx.feed_id, exc.kind, exc)
            if exc.kind in ("throttled", "credentials"):
                break  # the next batch would be refused the same way
    return out


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    latest = options.sort == "latest"
    since = parse_time(ctx.cursor.get("since")) if latest else None
    params: dict[str, Any] = {"q": options.query, "sort": options.sort, "limit": options.limit}
    if options.lang:
        params["lang"] = options.lang
    if since is not None:
        params["since"] = iso(since)

    by_uri: dict[str, dict[str, Any]] = {}  # a page may repeat a post of the one before: the first copy wins
    pages = Pages(params, options.max_pages)
    for page_params in pages:
        response = await ctx.fetcher.get(
            options.appview + SEARCH_PATH,
            params=page_params,
            credential_key=ctx.credential_key,
            conditional=False,
        )
        page, page_cursor = parse_search_page(decode_json(response))
        for view in page:
            uri = view.get("uri") if isinstance(view, dict) else None
            if isinstance(uri, str):
                by_uri.setdefault(uri, view)
        if not page or not page_cursor:
            break
        pages.follow(dict(params, cursor=page_cursor))
    views = list(by_uri.values())

    followers: dict[str, int] = {}
    if options.followers:
        dids = list(
            dict.fromkeys(
                v["author"]["did"]
                for v in views
                if isinstance(v.get("author"), dict) and isinstance(v["author"].get("did"), str)
            )
        )
        followers = await fetch_followers(ctx, dids)

    posts: list[Post] = []
    skipped = 0
    for view in views:
        try:
            post = parse_post(view, followers)
        except ValueError as exc:  # pydantic: a field out of range; one bad post must not sink the rest
            log.debug("feed %s: skipped a post: %s", ctx.feed_id, exc)
            post = None
        if post is None:
            skipped += 1
        else:
            posts.append(post)
    if skipped:
        log.info("feed %s: skipped %d post(s) without a usable uri, author or date", ctx.feed_id, skipped)

    cursor: dict[str, str] = {}
    if latest and posts:
        newest = max(p.published_at for p in posts)
        if since is None or newest > since:
            cursor["since"] = iso(newest)
    return PollResult(posts=posts, cursor=cursor, replace=not latest)
