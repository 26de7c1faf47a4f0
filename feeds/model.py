"""The normalised items every feed adapter produces and every widget reads.

`Post` is one piece of content (a toot, a tweet, an article, a mention found by a listening tool);
`Metric` is one computed figure (a care KPI, a sentiment split, a volume series, a leaderboard).
Adapters map each vendor's shape onto these; widgets never see vendor shapes.

Two ways in. Validation (`Post(...)`, `Post.model_validate(...)`) checks every field: what the store
reads back from its SQLite file, tests, anything of unknown origin. `Post.trusted(...)` (and the same on
`Author`, `Media`, `PostMetrics`, `Sentiment`) is for adapters that have checked the vendor's values
themselves, at the edge, as their parsers do: it builds the model without pydantic re-checking each
field (ingest runs at tens of thousands of posts a second, and validation was half of it), yet keeps
what the model guarantees that no adapter should have to remember: text, names and handles cleaned
by `plain_text`, `published_at` in UTC. The result is the same object validation would give.

URLs a feed supplies (a post's link, its pictures, an author's avatar) are web URLs only: `web_url` (in
feeds/urls.py) is the one check, which adapters apply at the edge and validation applies to everything
read from outside, so a feed can never name a file of this machine (`asset:`, `file:`, a path: those
are for the wall's own config). The one exception is `picture_url`'s: the pictures bundled for the demo feed
(`asset:demo/photo1.png`), confined to that folder. Every such URL is a `FeedURL` (also when an adapter
builds a model with `trusted`), a string marked as the feed's, which the painters' picture loader
(wall/paint/images.py) never opens from disk, whatever check it slipped past.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .sanitize import plain_text
from .urls import FeedURL, picture_url, web_url

# The tones a post can carry, in the order every figure lists them (sentiment splits, stacked
# volumes, surge rules): the one definition the store, the figures and the widgets share.
Tone = Literal["positive", "neutral", "negative"]
TONES: tuple[Tone, ...] = ("positive", "neutral", "negative")

Network = Literal[
    "mastodon",
    "bluesky",
    "x",
    "rss",
    "brandwatch",
    "talkwalker",
    "radarly",
    "zendesk",
    "engage_digital",
    "json",
    "replay",
    "demo",
    "other",
]


def _marked(value: Any) -> Any:
    """An adapter's checked URL, marked as a feed's (`trusted` builds models without checks)."""
    return FeedURL(value) if isinstance(value, str) and type(value) is not FeedURL else value


def _required_picture(value: str) -> FeedURL:
    url = picture_url(value)
    if url is None:
        raise ValueError(
            f"a feed's picture must be an http(s) URL, never a local file or another scheme; got {value[:80]!r}"
        )
    return url


def _usable_or_none(check: Any) -> Any:
    """An optional URL a feed supplies: None when it does not pass `check` (a post keeps its text and
    figures without an unusable link or avatar, as adapters drop them at the edge)."""

    def validate(value: Any) -> Any:
        return None if value is None else check(value)

    return BeforeValidator(validate)


# a post's or an author's own link, and a picture, as validation reads them (marked as the feed's)
WebURL = Annotated[str | None, _usable_or_none(web_url), AfterValidator(_marked)]
OptionalPictureURL = Annotated[str | None, _usable_or_none(picture_url), AfterValidator(_marked)]
PictureURL = Annotated[str, AfterValidator(_required_picture)]


_set = object.__setattr__  # what pydantic itself uses to fill a frozen model
_new = object.__new__
# per model class: every field in declaration order with its default (frozen models share them
# safely; a required field holds None until given), the field names, the required ones
_Spec = tuple[dict[str, Any], frozenset[str], frozenset[str]]
_SPECS: dict[type, _Spec] = {}  # filled by each model class's first `trusted` call


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """The model from values the caller has checked (see the module's docstring); no validation."""
        return _assemble(cls, values)

    def replaced(self, **changes: Any) -> Self:
        """A copy with `changes` (already valid), as `model_copy(update=...)` gives, at less cost."""
        fields = self.__dict__.copy()
        fields.update(changes)
        model = _new(self.__class__)
        _set(model, "__dict__", fields)
        _set(model, "__pydantic_fields_set__", self.__pydantic_fields_set__ | changes.keys())
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model


_M = TypeVar("_M", bound=_Model)


def _spec(cls: type[_Model]) -> _Spec:
    fields = cls.model_fields
    template = {
        name: None if f.is_required() else f.get_default(call_default_factory=True) for name, f in fields.items()
    }
    spec = (template, frozenset(fields), frozenset(name for name, f in fields.items() if f.is_required()))
    _SPECS[cls] = spec
    return spec


# BaseModel's own slots, set through their descriptors: what object.__setattr__ finds for them, without
# its lookup of the name along the class's MRO (four of them for every model built at ingest)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _assemble(cls: type[_M], values: dict[str, Any]) -> _M:
    """The model from values already valid for it, as `model_construct` builds one (the same `__dict__`
    in the same order, the same fields-set), without its per-field alias lookups. An unknown or missing
    field is a programming error, refused as validation would refuse it."""
    template, names, required = _SPECS.get(cls) or _spec(cls)
    if not (names.issuperset(values) and required.issubset(values)):
        keys = values.keys()
        unknown, missing = sorted(keys - names), sorted(required - keys)
        raise TypeError(f"{cls.__name__}.trusted: unknown fields {unknown}, missing fields {missing}")
    fields = template.copy()
    fields.update(values)  # keys keep the declaration order
    model = _new(cls)
    _set_dict(model, fields)
    _set_fields_set(model, set(values))
    _set_extra(model, None)
    _set_private(model, None)
    return model


SHORTCODE = re.compile(r"[A-Za-z0-9_]{1,64}")


class CustomEmoji(_Model):
    """A server's own emoji (Mastodon's `emojis`): ':shortcode:' in a text or a name stands for the
    picture at `url` (the static one for an animated emoji). The wall never shows the shortcode."""

    shortcode: str = Field(pattern=SHORTCODE.pattern)
    url: PictureURL

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        if "url" in values:
            values["url"] = _marked(values["url"])
        return _assemble(cls, values)


def without_shortcodes(text: str, emojis: tuple[CustomEmoji, ...]) -> str:
    """`text` with the ':shortcode:' of each custom emoji taken out (spaces it leaves tidied): what a
    wall shows until emoji are drawn as pictures, and what initials are taken from."""
    if not emojis or ":" not in text:
        return text
    codes = {e.shortcode for e in emojis}
    out = re.sub(r":([A-Za-z0-9_]{1,64}):", lambda m: "" if m.group(1) in codes else m.group(0), text)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


class Author(_Model):
    id: str
    handle: str = ""
    name: str = ""
    avatar_url: OptionalPictureURL = None
    followers: int | None = Field(default=None, ge=0)
    verified: bool = False
    emojis: tuple[CustomEmoji, ...] = ()  # custom emoji in the display name

    @field_validator("name", "handle")
    @classmethod
    def _clean(cls, v: str) -> str:
        return plain_text(v, keep_newlines=False, max_chars=200)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        for name in ("name", "handle"):
            if name in values:
                values[name] = plain_text(values[name], keep_newlines=False, max_chars=200)
        if values.get("avatar_url") is not None:
            values["avatar_url"] = _marked(values["avatar_url"])
        return _assemble(cls, values)


class Media(_Model):
    kind: Literal["image", "video", "gif", "link"] = "image"
    url: PictureURL
    alt: str = ""
    width: int | None = None
    height: int | None = None
    sensitive: bool = False

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        if "url" in values:
            values["url"] = _marked(values["url"])
        return _assemble(cls, values)


class PostMetrics(_Model):
    likes: int = Field(default=0, ge=0)
    reposts: int = Field(default=0, ge=0)
    replies: int = Field(default=0, ge=0)
    quotes: int = Field(default=0, ge=0)
    views: int | None = Field(default=None, ge=0)

    @field_validator("likes", "reposts", "replies", "quotes", mode="before")
    @classmethod
    def _no_negative(cls, v: Any) -> Any:
        # Vendors occasionally report -1 for "unknown"; a wall shows 0, never a negative count.
        if isinstance(v, (int, float)) and v < 0:
            return 0
        return v


class Sentiment(_Model):
    score: float = Field(ge=-1.0, le=1.0)
    label: Tone


class Post(_Model):
    key: str = Field(description="source:native_id; unique across feeds")
    source: str
    network: Network = "other"
    url: WebURL = None
    published_at: datetime
    text: str = ""
    lang: str | None = None
    author: Author
    media: tuple[Media, ...] = ()
    metrics: PostMetrics = PostMetrics()
    reach: int | None = Field(default=None, ge=0)
    engagement: float | None = Field(default=None, ge=0)
    sentiment: Sentiment | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    hashtags: tuple[str, ...] = ()
    kind: Literal["post", "reply", "repost", "quote", "article"] = "post"
    content_policy: Literal["full", "ids_only"] = "full"
    title: str | None = None
    emojis: tuple[CustomEmoji, ...] = ()  # custom emoji in the text
    raw: dict[str, Any] | None = Field(default=None, exclude=True)

    @field_validator("text")
    @classmethod
    def _clean_text(cls, v: str) -> str:
        return plain_text(v)

    @field_validator("published_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            return v.replace(tzinfo=UTC)
        return v.astimezone(UTC)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        if "text" in values:
            values["text"] = plain_text(values["text"])
        when = values.get("published_at")
        if isinstance(when, datetime) and when.tzinfo is not UTC:
            values["published_at"] = cls._utc(when)
        if values.get("url") is not None:
            values["url"] = _marked(values["url"])
        return _assemble(cls, values)

    @property
    def total_engagement(self) -> int:
        m = self.metrics
        return m.likes + m.reposts + m.replies + m.quotes


class LeaderboardEntry(_Model):
    author: Author
    mentions: int = Field(default=0, description="the author's posts in the window (a count)")
    reach: int | None = Field(default=None, description="people reached (a count)")
    engagement: float | None = Field(
        default=None,
        description="interactions (likes, reposts, replies, quotes) the author's posts got: a count, "
        "never a rate, so the same column means the same thing from every source",
    )
    previous_rank: int | None = Field(
        default=None, description="rank in the same ranking Metric.compared_s earlier; None: not ranked then"
    )


class Metric(_Model):
    """One figure. Exactly one of value / series / breakdown / leaderboard carries the data."""

    name: str
    unit: str = ""
    value: float | None = None
    previous: float | None = Field(default=None, description="the same figure for the previous period")
    series: tuple[tuple[datetime, float], ...] | None = None
    breakdown: dict[str, float] | None = None
    leaderboard: tuple[LeaderboardEntry, ...] | None = None
    window: str | None = Field(default=None, description="e.g. '24h', '7d'")
    target: float | None = None
    warn: float | None = None
    breach: float | None = None
    higher_is_better: bool = True
    benchmarks: dict[str, float] | None = Field(default=None, description="competitor -> value")
    compared_s: int | None = Field(
        default=None,
        description="leaderboards: previous_rank is each entry's rank this many seconds earlier; None: no "
        "earlier ranking is known (then previous_rank says nothing)",
    )
    computed_at: datetime
    provenance: str = ""
