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

Feeds as found on the web:
- Undated entries (no pubDate / published / updated, or one that cannot be read; RSS 2.0 makes every
  item element optional) are kept, stamped with the time this feed first listed them, the ones first
  seen together one second apart in the feed's order (the first listed is the newest). The stamp is kept
  in the cursor (MAX_UNDATED entries), so it holds across polls and restarts. It never places an entry
  above dated news: where the document holds dated entries, an undated one shows at most one second
  before the oldest of them (then in the feed's order), and that capped time is what a new entry keeps.
  A feed with no dated entry at all works: its entries in the feed's order, at their first-seen times.
  In a document that is not well-formed XML (feedparser fell back to its loose parser), an undated
  entry with neither a link nor an id is left out: a title alone may be what the parser salvaged from
  a broken document, and a poll's articles replace the zone's.
- Relative URLs are resolved as RFC 3986 section 5 says (urllib.parse.urljoin): the entry's link against
  the document's URL (feedparser does this, xml:base included), an enclosure's or a Media RSS url against
  the entry's link (else the feed's URL), the channel image against the feed's URL. Only http(s) URLs
  are kept (a 'javascript:' link never reaches a screen).
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import json
import logging
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .adapter import PollContext, PollResult, html_to_text, service_url
from .errors import FeedError
from .http import describe_html
from .model import Author, Media, Post, web_url

NAME = "rss"
CREDENTIALS: tuple[str, ...] = ()
BUDGET: tuple[int, float] | None = None  # publishers publish no call allowance; poll_s is the courtesy

SOURCE = "rss"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

log = logging.getLogger("feeds.rss")

UNDATED_KEY = "undated"  # the cursor key of the first-seen stamps of undated entries (JSON: key -> ISO time)
MAX_UNDATED = 500  # stamps kept at most: the current document's entries first, then the most recent others

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


def _http_url(value: Any, base: str) -> str | None:
    """`value` resolved against `base` (RFC 3986 section 5), if the result passes `web_url` (feeds/model.py:
    an http(s) URL with a host; never a file of this machine)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip())
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return web_url(url)


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


def _image(entry: Any, base: str) -> Media | None:
    """The article's picture: an image enclosure, else a Media RSS thumbnail or image content; a
    relative URL is resolved against `base` (the entry's link, else the feed's URL)."""
    for enclosure in entry.get("enclosures") or []:
        url = _http_url(enclosure.get("href") or enclosure.get("url"), base)
        if url and str(enclosure.get("type", "")).startswith("image/"):
            return Media(kind="image", url=url)
    for item in (entry.get("media_thumbnail") or []) + (entry.get("media_content") or []):
        url = _http_url(item.get("url"), base)
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


def _identified(entry: Any) -> bool:
    """The entry names itself (guid / atom:id / link), rather than being known by its title."""
    native = entry.get("id") or entry.get("guid") or entry.get("link")
    return isinstance(native, str) and bool(native.strip())


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


@dataclass(frozen=True)
class FeedRead:
    """A document's articles (newest first) and the first-seen stamps of its undated entries to keep."""

    posts: list[Post]
    undated: dict[str, datetime]


def parse_feed(body: bytes, feed_url: str, **options: Any) -> list[Post]:
    """The articles of an RSS/Atom document, newest first (`read_feed`'s, with the same options)."""
    return read_feed(body, feed_url, **options).posts


def read_feed(
    body: bytes,
    feed_url: str,
    *,
    now: datetime,
    outlet: str | None = None,
    max_items: int = 50,
    max_summary_chars: int = 600,
    lang: str | None = None,
    content_type: str | None = None,
    seen_at: datetime | None = None,
    undated: dict[str, datetime] | None = None,
) -> FeedRead:
    """The articles of an RSS/Atom document, newest first. Raises FeedError(bad_response) when the bytes
    are not a feed at all. Dates in the future are brought back to `now` so one bad clock cannot pin an
    article to the top. Undated entries are stamped as the module's docstring says: `undated` holds the
    stamps given by earlier polls (by key), `seen_at` is this poll's time (default: `now`)."""
    headers = {"content-location": feed_url}
    if content_type:
        headers["content-type"] = content_type
    # BytesIO: feedparser never reads a URL or a file path out of the bytes we hand it
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except Exception as exc:  # feedparser's own slips on hostile bytes (a ValueError in its SAX handler)
        raise FeedError(
            "bad_response", f"{feed_url} cannot be read as an RSS or Atom feed ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        page = describe_html(body, content_type)
        if page is not None:  # a captive portal, a proxy's error page, a feed moved to a web page
            raise FeedError(
                "bad_response",
                f"{feed_url} is not an RSS or Atom feed: got {page} (Content-Type: {content_type or 'none'}): "
                "a captive portal, a proxy's error page or a feed that moved?",
            )
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
    loose = isinstance(why, xml.sax.SAXParseException)  # read by the loose parser: salvage, not a document

    feed = parsed.get("feed") or {}
    name = outlet or html_to_text(feed.get("title") or "").strip() or urlsplit(feed_url).netloc
    image = feed.get("image") or {}
    author = Author(
        id=f"{SOURCE}:{urlsplit(_http_url(feed.get('link'), feed_url) or feed_url).netloc}",
        name=name,
        avatar_url=_http_url(image.get("href") or image.get("url"), feed_url),
    )
    language = _language(feed.get("language")) or (lang.lower() if lang else None)

    # (key, native id, entry, its own date or None), in the feed's order, one per key
    found: list[tuple[str, str, Any, datetime | None]] = []
    seen: set[str] = set()
    for entry in entries:
        identity = _entry_key(entry, feed_url)
        if identity is None:
            continue
        key, native = identity
        if key in seen:
            continue
        seen.add(key)
        published = _utc(_plain(entry, "published_parsed") or _plain(entry, "updated_parsed"))
        if published is None and loose and not _identified(entry):
            continue
        found.append((key, native, entry, min(published, now) if published is not None else None))
    stamps = _undated_stamps(found, undated or {}, seen_at or now)
    dated = [published for _, _, _, published in found if published is not None]
    ceiling = min(dated) - timedelta(seconds=1) if dated else None  # undated entries stay below dated news

    posts: list[Post] = []
    for key, native, entry, published in found:
        when = published if published is not None else stamps[key]
        if published is None and ceiling is not None:
            when = min(when, ceiling)
        title = html_to_text(entry.get("title") or "").strip() or None
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value") or ""
        text = _clip(" ".join(html_to_text(summary).split()), max_summary_chars) if max_summary_chars else ""
        link = _http_url(entry.get("link"), feed_url)
        media = _image(entry, link or feed_url)
        posts.append(
            Post(
                key=key,
                source=SOURCE,
                network="rss",
                url=link,
                published_at=when,
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
    posts.sort(key=lambda p: p.published_at, reverse=True)  # stable: equal times keep the feed's order
    return FeedRead(posts[:max_items], dict(list(stamps.items())[:MAX_UNDATED]))


def _undated_stamps(
    found: list[tuple[str, str, Any, datetime | None]], known: dict[str, datetime], seen_at: datetime
) -> dict[str, datetime]:
    """Key -> stamp of every undated entry of the document: the one an earlier poll gave it, else its
    first-seen time (at most one second before the oldest dated entry of this document), the new ones
    one second apart in the feed's order. The document's stamps first, then the most recent of the
    others up to MAX_UNDATED (the caller keeps MAX_UNDATED at most)."""
    dated = [published for _, _, _, published in found if published is not None]
    first = min(seen_at, min(dated) - timedelta(seconds=1)) if dated else seen_at
    stamps: dict[str, datetime] = {}
    fresh = 0
    for key, _, _, published in found:
        if published is not None:
            continue
        if key in known:
            stamps[key] = known[key]
        else:
            stamps[key] = first - timedelta(seconds=fresh)
            fresh += 1
    others = sorted(((k, t) for k, t in known.items() if k not in stamps), key=lambda kt: kt[1], reverse=True)
    for key, stamp in others[: max(0, MAX_UNDATED - len(stamps))]:
        stamps[key] = stamp
    return stamps


def _read_stamps(value: str | None) -> dict[str, datetime]:
    """The cursor's stamps; anything unreadable in it is forgotten (those entries are first seen again)."""
    try:
        doc = json.loads(value) if value else {}
    except ValueError:
        return {}
    stamps: dict[str, datetime] = {}
    if isinstance(doc, dict):
        for key, text in doc.items():
            try:
                when = datetime.fromisoformat(text) if isinstance(text, str) else None
            except ValueError:
                continue
            if when is not None and when.tzinfo is not None:
                stamps[str(key)] = when.astimezone(UTC)
    return stamps


# ------------------------------------------------------------------------------------------- polling


async def poll(ctx: PollContext) -> PollResult:
    opts: Options = ctx.options
    response = await ctx.fetcher.get(opts.url, headers={"Accept": ACCEPT}, credential_key=ctx.credential_key)
    if response.not_modified:
        return PollResult(not_modified=True)
    if not response.body.strip():
        raise FeedError("bad_response", f"empty body where a feed was expected ({response.url_for_logs})")
    known = _read_stamps(ctx.cursor.get(UNDATED_KEY))
    # feedparser is pure-Python and a feed may be megabytes: keep the feeds loop free for the others
    read = await asyncio.to_thread(
        read_feed,
        response.body,
        opts.url,
        now=ctx.now + timedelta(minutes=1),
        outlet=opts.outlet,
        max_items=opts.max_items,
        max_summary_chars=opts.max_summary_chars,
        lang=opts.lang,
        content_type=response.headers.get("content-type"),
        seen_at=ctx.now,
        undated=known,
    )
    if not read.posts:
        raise FeedError(
            "bad_response",
            f"the feed at {response.url_for_logs} has no usable entries (no dated entries, and no undated "
            "ones with an id, link or title); keeping the last articles",
        )
    cursor: dict[str, str] = {}
    if read.undated != known:
        cursor[UNDATED_KEY] = json.dumps({k: t.isoformat() for k, t in read.undated.items()})
    return PollResult(posts=read.posts, replace=True, cursor=cursor)
