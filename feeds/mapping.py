"""Field mappings by path: how the `json` and `replay` adapters turn a record of unknown shape into a Post.

A wall config names, for each Post field, where it lives in a record: `"content.text"` walks nested
objects, `"media.0.url"` indexes a list (negative indexes count from the end), and a key that itself
contains dots (a CSV column named `author.name`) is matched whole before the path is split. Both the
HTTP JSON adapter (Visibrain and any tool without its own adapter) and the file replay adapter share
these names, so a mapping written for one works for the other.

Values are coerced leniently where vendors differ (numbers as strings, epoch or ISO dates, labels or
scores for sentiment) and strictly where a wrong value would mislead a screen (URLs must be http(s),
countries two letters). A record missing a required path is skipped; a mapping that matches no record
at all is a FeedError naming the path, because that is a config mistake, not a bad record.

Times (`to_datetime`, the adapters' `time_format`, `epoch` and `timezone` options):
- a string is read with `time_format` first when one is given (Python's strptime directives,
  https://docs.python.org/3/library/datetime.html#format-codes, e.g. "%d/%m/%Y %H:%M"), else, or when
  it does not match, as ISO 8601 / RFC 3339 (`datetime.fromisoformat`: '2024-03-14T06:02:11Z',
  '2024-03-14 06:02:11+01:00', ' UTC' suffix too), else as epoch digits;
- a number (or a string of digits) is Unix epoch time, in seconds or milliseconds as `epoch` says:
  "s", "ms", or "auto" (the default): a magnitude above 10^11 is milliseconds (10^11 seconds is the
  year 5138; 10^11 milliseconds is 3 March 1973), so seconds work up to year 5138, milliseconds from 1973;
- a time written without an offset (ISO or strptime) is read in `timezone` (an IANA name; at a
  daylight-saving change, an ambiguous local time is its first occurrence); epoch times are absolute
  and never shifted.

Records become models through `Post.trusted` (feeds/model.py): every value is checked here, once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from .adapter import html_to_text
from .model import Author, Media, Post, PostMetrics, Sentiment, web_url

_MISSING = object()
_PATH = re.compile(r"^[^\s]+$")


class PathError(ValueError):
    """A required path is absent, or its value cannot be read as the field needs."""

    def __init__(self, field: str, path: str, why: str) -> None:
        self.field, self.path, self.why = field, path, why
        super().__init__(f"{field} ({path!r}): {why}")


def check_path(v: str | None) -> str | None:
    if v is None:
        return v
    if not v or not _PATH.match(v) or len(v) > 200:
        raise ValueError(
            f"a path is dotted keys and list indexes without spaces, like 'user.name' or 'media.0.url'; got {v!r}"
        )
    return v


def get_path(record: Any, path: str, default: Any = _MISSING) -> Any:
    """The value at `path` in `record` (dicts and lists), or `default` (a sentinel: absent)."""
    if path in ("", "."):
        return record
    # CSV columns may carry dots: a key present whole wins (a dict first: the ABC check costs more)
    if (type(record) is dict or isinstance(record, Mapping)) and path in record:
        return record[path]
    node = record
    for part in path.split("."):
        if isinstance(node, Mapping):
            if part not in node:
                return default
            node = node[part]
        elif isinstance(node, list):
            try:
                index = int(part)
            except ValueError:
                return default
            if not -len(node) <= index < len(node):
                return default
            node = node[index]
        else:
            return default
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def as_list(value: Any) -> list[Any]:
    """A vendor's list, or [] for anything else it sent in its place (null, a number, true, an object):
    what `value or []` means, without iterating a string's characters or failing on a number."""
    return value if isinstance(value, list) else []


# ------------------------------------------------------------------------------------------- options


class PostMapping(BaseModel):
    """Where each Post field lives in one record. Only `id` and `published_at` are required."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the record's own id (the Post key is '<source>:<id>')")
    published_at: str = Field(description="a time as time_format says, ISO 8601, or epoch seconds / milliseconds")
    text: str | None = Field(default=None, description="the post text (see text_format)")
    title: str | None = Field(default=None, description="a headline, for articles")
    url: str | None = Field(default=None, description="link to the original (http/https only)")
    lang: str | None = Field(default=None, description="language code such as 'fr' or 'pt-BR'")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country code")
    network: str | None = Field(default=None, description="network name: twitter/x, mastodon, bluesky, ...")
    kind: str | None = Field(default=None, description="post/reply/repost/quote/article (retweet -> repost)")
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    author_avatar_url: str | None = None
    author_followers: str | None = None
    author_verified: str | None = None
    likes: str | None = None
    reposts: str | None = None
    replies: str | None = None
    quotes: str | None = None
    views: str | None = None
    reach: str | None = None
    engagement: str | None = None
    sentiment: str | None = Field(
        default=None, description="a score in -1..1 or a label (positive/neutral/negative, pos/neg, positif, ...)"
    )
    hashtags: str | None = Field(
        default=None, description="a list of tags or one string of tags; unmapped: #tags are read from the text"
    )
    media: str | None = Field(
        default=None, description="a list of media; media_url/media_alt/media_kind are then read in each element"
    )
    media_url: str | None = Field(default=None, description="a media URL (in each `media` element, if given)")
    media_alt: str | None = None
    media_kind: str | None = Field(default=None, description="image/video/gif/link (photo -> image)")

    @field_validator("*")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return check_path(v)


TextFormat = Literal["auto", "text", "html"]


def zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'") from None


def _known_zone(name: str) -> str:
    zone(name)
    return name


# The `timezone:` option of the adapters that read times written without an offset (json, replay).
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]

# The `epoch:` option: how a number is read as a time (see the module's docstring).
EpochUnit = Literal["auto", "s", "ms"]
EPOCH_MS_ABOVE = 1e11  # "auto": magnitudes above are milliseconds


def _known_time_format(value: str) -> str:
    """A strptime format that reads back what it writes, so a typo ('%Q', no directive at all) is a
    config error, not every row skipped."""
    if "%" not in value:
        raise ValueError(f"time_format {value!r} has no strptime directive; e.g. '%d/%m/%Y %H:%M'")
    sample = datetime(2024, 3, 14, 6, 2, 11)
    try:
        datetime.strptime(sample.strftime(value), value)
    except ValueError as exc:
        raise ValueError(
            f"time_format {value!r} cannot read the times it writes ({exc}); see "
            "https://docs.python.org/3/library/datetime.html#format-codes"
        ) from None
    return value


# The `time_format:` option of the adapters that read times (json, replay).
TimeFormat = Annotated[str, AfterValidator(_known_time_format)]


# strptime costs about 6 µs a time (a lock, a locale check, a loop over every directive, a weekday and
# a day of the year it then throws away), a tenth of a replayed row's cost. A format made only of the
# numeric directives below and literal separators ('%d/%m/%Y %H:%M:%S', '%Y-%m-%d %H:%M') is read by
# the regular expression strptime itself builds for it (CPython's _strptime: the same subpatterns,
# regex characters escaped, whitespace as \s+, case ignored, a match that must end with the text) and
# the datetime it would build: the same times, and the same ValueError for what it refuses.
_NUMERIC_DIRECTIVES = {
    "d": r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1]\d|\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "M": r"(?P<M>[0-5]\d|\d)",
    "S": r"(?P<S>6[0-1]|[0-5]\d|\d)",
    "Y": r"(?P<Y>\d\d\d\d)",
}
_FORMAT_PART = re.compile(r"%(.)|([^%]+)", re.DOTALL)
_REGEX_CHARS = re.compile(r"([\\.^$*+?\(\){}\[\]|])")
_numeric_formats: dict[str, re.Pattern[str] | None] = {}


def _numeric_format(time_format: str) -> re.Pattern[str] | None:
    """strptime's pattern for `time_format` when it holds %Y, %m and %d once each, %H %M %S at most
    once, and literal text without '%'; else None (strptime reads it)."""
    if time_format in _numeric_formats:
        return _numeric_formats[time_format]
    pattern: str | None = ""
    seen: set[str] = set()
    for directive, literal in _FORMAT_PART.findall(time_format):
        if literal:
            pattern += re.sub(r"\s+", r"\\s+", _REGEX_CHARS.sub(r"\\\1", literal))
        elif directive in _NUMERIC_DIRECTIVES and directive not in seen:
            seen.add(directive)
            pattern += _NUMERIC_DIRECTIVES[directive]
        else:
            pattern = None
            break
    found = re.compile(pattern, re.IGNORECASE) if pattern is not None and {"Y", "m", "d"} <= seen else None
    if len(_numeric_formats) < 64:  # formats come from configs: a handful
        _numeric_formats[time_format] = found
    return found


def strptime(text: str, time_format: str) -> datetime:
    """`datetime.strptime(text, time_format)`, faster for numeric formats (see `_numeric_format`)."""
    regex = _numeric_format(time_format)
    if regex is None:
        return datetime.strptime(text, time_format)
    m = regex.match(text)
    if m is None or m.end() != len(text):
        raise ValueError(f"time data {text!r} does not match format {time_format!r}")
    g = m.groupdict()
    return datetime(
        int(g["Y"]), int(g["m"]), int(g["d"]), int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0)
    )


# ------------------------------------------------------------------------------------------- values

_HTML_HINT = re.compile(
    r"<\s*/?\s*(p|br|a|b|i|u|em|strong|span|div|script|style|img|ul|ol|li|h[1-6]|blockquote|iframe|pre|code)\b[^>]*>"
    r"|&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"(?<![\w#&])#(\w[\w\u200c\u200d]*)")
_TAG_SEPARATORS = re.compile(r"[\s,;]+")
_LANG = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*")  # BCP 47's language[-region...] as vendors write it
_COUNTRY = re.compile(r"[A-Z]{2}")
_NETWORKS = {
    "twitter": "x",
    "x": "x",
    "tweet": "x",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "rss": "rss",
    "atom": "rss",
    "press": "rss",
    "news": "rss",
}
_KINDS = {
    "post": "post",
    "status": "post",
    "original": "post",
    "reply": "reply",
    "comment": "reply",
    "repost": "repost",
    "retweet": "repost",
    "rt": "repost",
    "reblog": "repost",
    "share": "repost",
    "quote": "quote",
    "article": "article",
    "news": "article",
}
_MEDIA_KINDS = {
    "image": "image",
    "photo": "image",
    "picture": "image",
    "video": "video",
    "gif": "gif",
    "animated_gif": "gif",
    "gifv": "gif",
    "link": "link",
}
_SENTIMENT_LABELS = {
    "positive": 1.0,
    "pos": 1.0,
    "positif": 1.0,
    "positivo": 1.0,
    "+": 1.0,
    "negative": -1.0,
    "neg": -1.0,
    "negatif": -1.0,
    "négatif": -1.0,
    "negativo": -1.0,
    "-": -1.0,
    "neutral": 0.0,
    "neu": 0.0,
    "neutre": 0.0,
    "neutro": 0.0,
    "mixed": 0.0,
    "none": 0.0,
}


def to_text(value: Any, text_format: TextFormat = "auto") -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    text = str(value)
    if text_format == "html" or (text_format == "auto" and _HTML_HINT.search(text)):
        text = html_to_text(text)
    return text


def iso_datetime(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 string ('...Z', '+0000' too) as an aware UTC datetime; None for
    anything else. Naive times are UTC (what vendors mean when they leave the offset out)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def iso_millis(when: datetime, utc: str = "Z") -> str:
    """`when` in UTC to the millisecond, as search APIs take times in a query: 2024-04-20T10:05:00.000Z
    (`utc` is how the zero offset is written: "+0000" where a vendor documents that form)."""
    t = when.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}{utc}"


def to_datetime(value: Any, tz: tzinfo = UTC, *, time_format: str | None = None, epoch: EpochUnit = "auto") -> datetime:
    """A time as the module's docstring says: `time_format` (strptime) first for strings, then ISO
    8601, then epoch `epoch` units; naive times are read in `tz`. An aware UTC datetime, or ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer past any float: no time at all
            raise ValueError(f"epoch time out of range: {str(value)[:40]}...") from None
        return _epoch(number, value, epoch)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {type(value).__name__}")
    text = value.strip()
    if time_format is not None:
        try:
            when = strptime(text, time_format)
        except ValueError:
            pass
        else:
            return _utc(when if when.tzinfo is not None else when.replace(tzinfo=tz), text)
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        return _epoch(number, value, epoch)
    try:
        when = datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        if time_format:
            raise ValueError(f"neither time_format {time_format!r} nor ISO 8601 or epoch: {text[:40]!r}") from None
        raise ValueError(f"not an ISO 8601 time or epoch: {text[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return _utc(when, text)


def _utc(when: datetime, text: str) -> datetime:
    """`when` in UTC, or ValueError when that falls outside the years 1-9999 ('0001-01-01T00:00+01:00')."""
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"time out of range: {text[:40]!r}") from None


def _epoch(number: float, value: Any, unit: EpochUnit) -> datetime:
    if not math.isfinite(number):
        raise ValueError(f"not a time: {value!r}")
    if unit == "ms" or (unit == "auto" and abs(number) > EPOCH_MS_ABOVE):
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch time out of range: {value!r}") from None


def to_number(value: Any, *, numbers_only: bool = False) -> float | None:
    """A finite number, or None. Text such as "1,234" is read as a number, unless `numbers_only`: an API
    that documents a field as a JSON number sent something else, which is malformed, not a count."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer past any float (10**400): not a count a wall can show
            return None
    elif isinstance(value, str) and not numbers_only:
        try:
            # most counts are plain digits; float() reads them as the cleaning below would
            number = float(value)
        except ValueError:
            stripped = value.strip()
            text = stripped.replace(",", "").replace("_", "").replace("\u202f", "").replace(" ", "")
            if not text or text == stripped:  # nothing to clean: float() has said no already ("positive")
                return None
            try:
                number = float(text)
            except ValueError:
                return None
    else:
        return None
    return number if math.isfinite(number) else None


# The largest count (likes, followers, reach, a picture's width) a feed may give: past 2**53 a float, in
# which figures are summed, no longer holds every integer, and past about 10**308 it holds none (the
# store's figures would fail converting one). No real count comes near: a larger one is malformed.
MAX_COUNT = 2**53


def to_count(value: Any, *, numbers_only: bool = False) -> int | None:
    """A non-negative integer up to MAX_COUNT, or None (absent, unreadable, a vendor's -1 for 'unknown',
    or a number no count can be)."""
    if value is None:  # an unmapped or empty field, the common case: no further call
        return None
    number = to_number(value, numbers_only=numbers_only)
    if number is None or number < 0 or number > MAX_COUNT:
        return None
    return int(number)


def whole_number(value: Any) -> int | None:
    """A JSON integer a vendor documents as a count or a size, as it is: 0 <= n <= MAX_COUNT, not a
    boolean; None for anything else."""
    return value if type(value) is int and 0 <= value <= MAX_COUNT else None


def count_or_zero(value: Any, *, numbers_only: bool = False) -> int:
    """A post's like/repost/reply count: absent, unreadable or a vendor's -1 shows as 0."""
    if value is None:
        return 0
    return to_count(value, numbers_only=numbers_only) or 0


def to_non_negative(value: Any, *, numbers_only: bool = False) -> float | None:
    """A finite number >= 0 (an engagement score, a rate), or None: a negative one means 'unknown'."""
    number = to_number(value, numbers_only=numbers_only)
    return number if number is not None and number >= 0 else None


def to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t", "verified")
    return bool(value)


def to_web_url(value: Any) -> str | None:
    """http(s) URLs only, by the one check of a URL a feed supplies (`web_url`, feeds/model.py): a
    'javascript:' link must never reach a screen, and a record never names a file of this machine
    ('asset:', 'file:', a path), whether for a link, a picture or an avatar."""
    return web_url(value)


def to_sentiment(value: Any) -> Sentiment | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, str):
        # a label, the common case: no label reads as a number, so this is what the lines below give,
        # one shared Sentiment per label (frozen) instead of a failed float() and a validation a row
        labelled = _LABELLED.get(value.strip().lower())
        if labelled is not None:
            return labelled
    score = to_number(value)
    if score is None:
        score = _SENTIMENT_LABELS.get(str(value).strip().lower())
        if score is None:
            return None
    return _scored(score)


def _scored(score: float) -> Sentiment:
    score = max(-1.0, min(1.0, score))
    label = "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"
    # validated, not `trusted`: two plain fields without a Python validator are checked by pydantic-core
    # faster than Python assembles the object
    return Sentiment(score=score, label=label)


_LABELLED = {text: _scored(score) for text, score in _SENTIMENT_LABELS.items()}


def to_hashtags(value: Any, text: str) -> tuple[str, ...]:
    if value is None:
        raw = [m.group(1) for m in _HASHTAG.finditer(text)]
    elif isinstance(value, list):
        raw = [
            str(v.get("tag") or v.get("text") or v.get("name") or "") if isinstance(v, dict) else str(v) for v in value
        ]
    else:
        raw = _TAG_SEPARATORS.split(str(value))
    seen: dict[str, None] = {}
    for tag in raw:
        tag = tag.strip().lstrip("#")
        if tag and len(tag) <= 100:
            seen.setdefault("#" + tag, None)
    return tuple(seen)[:30]


def to_network(value: Any, default: str) -> str:
    if value is None:
        return default
    return _NETWORKS.get(str(value).strip().lower(), "other")


def to_kind(value: Any) -> str:
    if value is None:
        return "post"
    return _KINDS.get(str(value).strip().lower(), "post")


def to_lang(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    lang = value.strip()
    return lang if _LANG.fullmatch(lang) else None


def to_country(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _COUNTRY.fullmatch(code) else None


# ------------------------------------------------------------------------------------------- records


def _media(record: Any, m: PostMapping) -> tuple[Media, ...]:
    if m.media is not None:
        items = get_path(record, m.media, None)
        if isinstance(items, (str, dict)):
            items = [items]
        if not isinstance(items, list):
            return ()
    elif m.media_url is not None:
        items = [record]
    else:
        return ()
    out: list[Media] = []
    for item in items[:8]:
        if isinstance(item, str) and m.media is not None:
            url, alt, kind = item, "", None
        else:
            url = get_path(item, m.media_url or "url", None)
            alt = get_path(item, m.media_alt, "") if m.media_alt else ""
            kind = get_path(item, m.media_kind, None) if m.media_kind else None
        url = to_web_url(url)
        if url is None:
            continue
        out.append(
            Media.trusted(
                kind=_MEDIA_KINDS.get(str(kind).lower(), "image") if kind is not None else "image",
                url=url,
                alt=to_text(alt, "text")[:500],
            )
        )
    return tuple(out)


def map_post(
    record: Any,
    m: PostMapping,
    *,
    source: str,
    network: str,
    text_format: TextFormat = "auto",
    tz: tzinfo = UTC,
    time_format: str | None = None,
    epoch: EpochUnit = "auto",
    keep_raw: bool = True,
) -> Post:
    """One record -> Post. Raises PathError when `id` or `published_at` is absent or unreadable.
    Times are read as `to_datetime` says, with `tz`, `time_format` and `epoch`."""
    opt = _reader(record)
    native = get_path(record, m.id)
    if is_missing(native) or native is None or native == "" or isinstance(native, (dict, list, bool)):
        raise PathError("id", m.id, "absent" if is_missing(native) else f"not an id: {str(native)[:40]!r}")
    when = get_path(record, m.published_at)
    if is_missing(when):
        raise PathError("published_at", m.published_at, "absent")
    try:
        published = to_datetime(when, tz, time_format=time_format, epoch=epoch)
    except ValueError as exc:
        raise PathError("published_at", m.published_at, str(exc)) from None

    text = to_text(opt(m.text), text_format)
    title = to_text(opt(m.title), text_format) or None
    handle = opt(m.author_handle)
    name = opt(m.author_name)
    author_native = opt(m.author_id) or handle or name or "unknown"
    net = to_network(opt(m.network), network)
    handle_text = str(handle).strip() if handle is not None else ""
    if handle_text and not handle_text.startswith("@") and net in ("x", "mastodon", "bluesky"):
        handle_text = "@" + handle_text
    # every value below is coerced and checked by the to_* readers: the models are built without
    # re-validation (feeds/model.py), and still clean the text and names themselves
    author = Author.trusted(
        id=f"{source}:{author_native}",
        handle=handle_text,
        name=str(name) if name is not None else "",
        avatar_url=to_web_url(opt(m.author_avatar_url)),
        followers=to_count(opt(m.author_followers)),
        verified=to_bool(opt(m.author_verified)) if m.author_verified else False,
    )
    metrics = PostMetrics.trusted(
        likes=count_or_zero(opt(m.likes)),
        reposts=count_or_zero(opt(m.reposts)),
        replies=count_or_zero(opt(m.replies)),
        quotes=count_or_zero(opt(m.quotes)),
        views=to_count(opt(m.views)),
    )
    return Post.trusted(
        key=f"{source}:{native}",
        source=source,
        network=net,
        url=to_web_url(opt(m.url)),
        published_at=published,
        text=text,
        lang=to_lang(opt(m.lang)),
        author=author,
        media=_media(record, m),
        metrics=metrics,
        reach=to_count(opt(m.reach)),
        engagement=to_non_negative(opt(m.engagement)),
        sentiment=to_sentiment(opt(m.sentiment)),
        country=to_country(opt(m.country)),
        hashtags=to_hashtags(opt(m.hashtags), text),
        kind=to_kind(opt(m.kind)),
        title=title,
        raw=dict(record) if keep_raw and isinstance(record, Mapping) else None,
    )


def _reader(record: Any) -> Callable[[str | None], Any]:
    """The value at an optional path of `record`, None when unmapped, absent or empty ("")."""
    if type(record) is dict:  # a JSON object or a CSV row: a whole key first, as get_path reads it

        def flat(path: str | None) -> Any:
            if path is None:
                return None
            value = record[path] if path in record and path != "." else get_path(record, path, None)
            return None if value == "" else value

        return flat

    def nested(path: str | None) -> Any:
        if path is None:
            return None
        value = get_path(record, path, None)
        return None if value == "" else value

    return nested


def map_posts(records: Iterable[Any], m: PostMapping, *, what: str, **kw: Any) -> tuple[list[Post], list[PathError]]:
    """Every record that maps, newest duplicates dropped (first occurrence wins), plus what was skipped.

    Raises PathError when records exist but none maps: the mapping, not the data, is wrong."""
    posts: list[Post] = []
    skipped: list[PathError] = []
    seen: set[str] = set()
    count = 0
    for record in records:
        count += 1
        try:
            post = map_post(record, m, **kw)
        except PathError as exc:
            skipped.append(exc)
            continue
        if post.key in seen:
            continue
        seen.add(post.key)
        posts.append(post)
    if count and not posts:
        first = skipped[0]
        raise PathError(first.field, first.path, f"{first.why} in every one of the {count} records of {what}")
    return posts, skipped
