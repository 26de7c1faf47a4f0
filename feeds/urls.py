"""The URLs a feed may supply (a post's link, its pictures, an author's avatar): the one check they pass
(`web_url`, `picture_url`) and the mark (`FeedURL`) that tells the picture loader never to open them from
this machine's files. Plain Python, no pydantic: the paint worker, which loads pictures, imports this
and not the models (feeds/model.py) that apply it to everything a feed sends."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MAX_URL_CHARS = 2048

# The pictures bundled for the demo feed (assets/demo/): a name, no folder, no way out of it.
BUNDLED_PICTURE = re.compile(r"asset:demo/[A-Za-z0-9][A-Za-z0-9_-]{0,99}\.(?:png|jpe?g|webp|gif)")


_WEB_URL = re.compile(r"(?i)https?://([^/?#]+)[/?#]?.*", re.DOTALL)


class FeedURL(str):
    """A URL that came from a feed: a post's link, a picture, an avatar. It compares, hashes, pickles and
    serialises as the plain string; the mark tells the picture loader (wall/paint/images.py) that it
    must never be opened from this machine's files."""

    __slots__ = ()


def web_url(value: Any) -> FeedURL | None:
    """The one check of a URL a feed supplies: an absolute http(s) URL with a host, at most
    MAX_URL_CHARS, without spaces, control characters or backslashes; else None. Never `asset:`,
    `file:`, a path, `javascript:` or `data:`: feed content never names a local file nor runs code."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or not url.isprintable() or " " in url or "\\" in url:
        return None
    m = _WEB_URL.fullmatch(url)  # a regex, not urlsplit: this runs for every link, avatar and picture
    if m is None:
        return None
    authority = m.group(1)
    if "[" in authority or "@" in authority:  # an IPv6 host or credentials: the standard parser decides
        try:
            host = urlsplit(url).hostname
        except ValueError:  # e.g. a malformed IPv6 host
            return None
        return FeedURL(url) if host else None
    return FeedURL(url) if authority.partition(":")[0] else None


def picture_url(value: Any) -> FeedURL | None:
    """A picture a post or an author may name: a web URL (`web_url`), or one of the pictures bundled
    for the demo feed ('asset:demo/photo1.png'); else None. Adapters use `web_url`: a vendor has no
    business naming the demo's pictures; this is what validation accepts (the demo feed's posts are
    stored and sent to a room's nodes like any other)."""
    if isinstance(value, str) and BUNDLED_PICTURE.fullmatch(url := value.strip()):
        return FeedURL(url)
    return web_url(value)
