"""RSS 2.0 and Atom 1.0 feeds for the press review: each entry becomes an article Post.

Formats and parser, from their own documentation:
- RSS 2.0: https://www.rssboard.org/rss-specification (item title/link/description/pubDate (RFC 822)/
  guid (isPermaLink)/enclosure url+type; channel title/language/image);
- Atom 1.0: RFC 4287, https://www.rfc-editor.org/rfc/rfc4287 (entry id/title/summary/content/updated/
  published/link rel="alternate");
- Media RSS thumbnails: https://www.rssboard.org/media-rss (media:thumbnail, media:content);
- feedparser: https://feedparser.readthedocs.io/ (entries[].id/link/title/summary/published_parsed/
  updated_parsed/enclosures/media_thumbnail, feed.title/language/image, bozo/bozo_exception; summaries
  are sanitised HTML; "Wrap untrusted strings in io.BytesIO to avoid network I/O or filesystem access").

The bytes come from the shared Fetcher (timeouts, size cap, ETag/Last-Modified conditional GET, retry
classification); feedparser only ever sees those bytes in a BytesIO, never a URL it could fetch itself.
Each poll returns the feed's whole current content (`replace=True`): a press review shows what the
outlet lists now. A feed with no usable entry is an error, so the zone keeps its last good articles.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
import re
import xml.sax
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .adapter import PollContext, PollResult, html_to_text, service_url
from .errors import FeedError
from .model import Author, Media, Post

NAME = "rss"
CREDENTIALS: tuple[str, ...] = ()
BUDGET: tuple[int, float] | None = None  # publishers publish no call allowance; poll_s is the courtesy

SOURCE = "rss"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

log = logging.getLogger("feeds.rss")

# expat's errors for input that ends inside the document: the body was cut short (a connection closed
# early with no Content-Length to tell), not merely sloppy; what feedparser salvages is a fraction of
# the feed, and replacing the zone's articles with it would drop the rest.
_CUT_SHORT = ("no element found", "unclosed token", "unclosed CDATA section", "partial character")


class Options(BaseModel):
    """The `options:` of an rss feed."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the RSS or Atom feed's URL (https://; http:// only for 127.0.0.1 in tests)")
    outlet: str | None = Field(
        default=None, max_length=120, description="the outlet's name shown as author; default: the feed's own title"
    )
    max_items: int = Field(default=50, ge=1, le=500, description="newest entries kept from the feed")
    max_summary_chars: int = Field(
        default=600, ge=0, le=5000, description="summary text kept per article (0: title only)"
    )
    lang: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}$",
        description="language of the articles when the feed does not say (ISO 639-1)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return service_url(value, "url", base=False)  # a feed URL may carry a query


# ------------------------------------------------------------------------------------------- parsing


def _utc(struct: Any) -> datetime | None:
    """feedparser's *_parsed values are time.struct_time in UTC (or None when the date was unreadable)."""
    if struct is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _plain(obj: Any, key: str) -> Any:
    """obj[key] without FeedParserDict's deprecated fallbacks (it answers `updated_parsed` with
    `published_parsed` and warns)."""
    return dict.get(obj, key) if isinstance(obj, dict) else None


def _http_url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-") + "…"


def _language(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    primary = value.strip().split("-")[0].split("_")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _image(entry: Any) -> Media | None:
    """The article's picture: an image enclosure, else a Media RSS thumbnail or image content."""
    for enclosure in entry.get("enclosures") or []:
        url = _http_url(enclosure.get("href") or enclosure.get("url"))
        if url and str(enclosure.get("type", "")).startswith("image/"):
            return Media(kind="image", url=url)
    for item in (entry.get("media_thumbnail") or []) + (entry.get("media_content") or []):
        url = _http_url(item.get("url"))
        medium = str(item.get("medium") or item.get("type") or "image")
        if url and ("image" in medium or item in (entry.get("media_thumbnail") or [])):
            return Media(kind="image", url=url, width=_dimension(item, "width"), height=_dimension(item, "height"))
    return None


def _dimension(item: Any, name: str) -> int | None:
    """A Media RSS width or height: a positive whole number, else None."""
    try:
        value = int(item.get(name) or 0)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _entry_key(entry: Any, feed_url: str) -> tuple[str, str] | None:
    """(key, native id) from the entry's guid / atom:id, else its link, else its title and date."""
    native = entry.get("id") or entry.get("guid") or entry.get("link")
    if not isinstance(native, str) or not native.strip():
        title = entry.get("title") or ""
        if not title:
            return None
        when = entry.get("published") or entry.get("updated")
        native = "sha1:" + hashlib.sha1(f"{title}|{when}".encode()).hexdigest()
    native = native.strip()
    if ":" in native and not native.startswith("sha1:"):  # an URL, urn: or tag: URI is globally unique
        return f"{SOURCE}:{native}", native
    # a bare guid ("12345") is unique only within its feed
    return f"{SOURCE}:{urlsplit(feed_url).netloc}/{native}", native


def parse_feed(
    body: bytes,
    feed_url: str,
    *,
    now: datetime,
    outlet: str | None = None,
    max_items: int = 50,
    max_summary_chars: int = 600,
    lang: str | None = None,
    content_type: str | None = None,
) -> list[Post]:
    """The articles of an RSS/Atom document, newest first. Raises FeedError(bad_response) when the bytes
    are not a feed at all. Entries with neither a date nor a feed-level date are left out (a press review
    orders by time); dates in the future are brought back to `now` so one bad clock cannot pin an article
    to the top."""
    headers = {"content-location": feed_url}
    if content_type:
        headers["content-type"] = content_type
    # BytesIO: feedparser never reads a URL or a file path out of the bytes we hand it
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        why = parsed.get("bozo_exception")
        detail = f": {str(why)[:160]}" if why else ""
        raise FeedError("bad_response", f"{feed_url} is not an RSS or Atom feed{detail}")
    why = parsed.get("bozo_exception")
    if isinstance(why, xml.sax.SAXParseException) and why.getMessage().startswith(_CUT_SHORT):
        raise FeedError(
            "bad_response",
            f"{feed_url} ends before its document does ({why.getMessage()} at line "
            f"{why.getLineNumber()}): cut short; keeping the last articles",
        )
    if parsed.get("bozo"):
        log.info("feed %s is not well-formed (%s); using what could be read", feed_url, parsed.get("bozo_exception"))

    feed = parsed.get("feed") or {}
    name = outlet or html_to_text(feed.get("title") or "").strip() or urlsplit(feed_url).netloc
    image = feed.get("image") or {}
    author = Author(
        id=f"{SOURCE}:{urlsplit(_http_url(feed.get('link')) or feed_url).netloc}",
        name=name,
        avatar_url=_http_url(image.get("href") or image.get("url")),
    )
    language = _language(feed.get("language")) or (lang.lower() if lang else None)
    feed_date = _utc(_plain(feed, "updated_parsed") or _plain(feed, "published_parsed"))

    posts: list[Post] = []
    seen: set[str] = set()
    for entry in entries:
        identity = _entry_key(entry, feed_url)
        if identity is None:
            continue
        key, native = identity
        if key in seen:
            continue
        published = _utc(_plain(entry, "published_parsed") or _plain(entry, "updated_parsed")) or feed_date
        if published is None:
            continue
        if published > now:
            published = now
        title = html_to_text(entry.get("title") or "").strip() or None
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value") or ""
        text = _clip(" ".join(html_to_text(summary).split()), max_summary_chars) if max_summary_chars else ""
        media = _image(entry)
        seen.add(key)
        posts.append(
            Post(
                key=key,
                source=SOURCE,
                network="rss",
                url=_http_url(entry.get("link")),
                published_at=published,
                title=title,
                text=text or title or "",
                lang=language,
                author=author,
                media=(media,) if media else (),
                kind="article",
                raw={
                    "id": native,
                    "feed": feed_url,
                    "byline": html_to_text(entry.get("author") or "").strip() or None,
                    "categories": [t.get("term") for t in entry.get("tags") or [] if t.get("term")],
                },
            )
        )
    posts.sort(key=lambda p: p.published_at, reverse=True)
    return posts[:max_items]


# ------------------------------------------------------------------------------------------- polling


async def poll(ctx: PollContext) -> PollResult:
    opts: Options = ctx.options
    response = await ctx.fetcher.get(opts.url, headers={"Accept": ACCEPT}, credential_key=ctx.credential_key)
    if response.not_modified:
        return PollResult(not_modified=True)
    if not response.body.strip():
        raise FeedError("bad_response", f"empty body where a feed was expected ({response.url_for_logs})")
    # feedparser is pure-Python and a feed may be megabytes: keep the feeds loop free for the others
    posts = await asyncio.to_thread(
        parse_feed,
        response.body,
        opts.url,
        now=ctx.now + timedelta(minutes=1),
        outlet=opts.outlet,
        max_items=opts.max_items,
        max_summary_chars=opts.max_summary_chars,
        lang=opts.lang,
        content_type=response.headers.get("content-type"),
    )
    if not posts:
        raise FeedError(
            "bad_response", f"the feed at {response.url_for_logs} has no dated entries; keeping the last articles"
        )
    return PollResult(posts=posts, replace=True)
