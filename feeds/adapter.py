"""What a feed adapter is: one module per source, turning a vendor's API into Posts and Metrics.

An adapter module in `feeds/` defines:
- `NAME`: the `adapter:` value in a wall config;
- `Options`: a strict pydantic model of the feed's `options:` mapping (unknown keys are errors);
- `CREDENTIALS`: names of the secrets it needs in the feed's `credentials:` (values come from
  `${ENV_VAR}` references, resolved by the wall; an adapter never sees the config's text);
- `BUDGET`: `(calls, window_s)` the vendor allows per credential, or None;
- `async def poll(ctx: PollContext) -> PollResult`: one poll. It makes its requests with
  `ctx.fetcher` (feeds/http.py: the one place that owns timeouts, size caps and conditional GET;
  feeds/retry.py owns the retry policy), walks a vendor's pages with feeds/paging.py, raises
  `FeedError` (feeds/errors.py) for anything that should count as a failed poll, and returns what
  it found plus the cursor to persist. It never sleeps to retry: the poller does.
- pure `parse_*` functions from vendor JSON/bytes to models, tested against recorded-shape
  fixtures without any network.

Text in Posts is sanitised by the model; HTML content must be turned into plain text by the
adapter first (`html_to_text` below), never passed on as markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ValidationInfo

from .errors import FeedError
from .http import Fetcher
from .model import Metric, Post


@dataclass
class PollContext:
    feed_id: str
    fetcher: Fetcher
    options: Any  # the adapter's validated Options
    credentials: dict[str, str | None]  # name -> secret value (None: the variable is not set)
    cursor: dict[str, str]  # what the last successful poll asked to keep (persisted across restarts)
    now: datetime  # timezone-aware
    credential_key: str | None = None  # identifies the credential for shared request budgets

    def secret(self, name: str) -> str:
        """A credential the adapter cannot work without: its value, kept out of every message the
        fetcher writes; unset, a `credentials` error naming it (the same one poll_once gives)."""
        value = self.credentials.get(name)
        if not value:
            raise missing_credentials([name])
        self.fetcher.add_secret(value)
        return value


def missing_credentials(names: list[str]) -> FeedError:
    return FeedError(
        "credentials",
        f"credential {', '.join(names)} is not set: put it in the environment variable "
        f"this feed's credentials.{names[0]} names",
    )


@dataclass
class Skipped:
    """Items of one poll a source sent but the adapter could not use, for one reason (a duplicate id,
    an unreadable time): how many, and the first few, so the feed's health can say what and where."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    EXAMPLES = 3

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < self.EXAMPLES:
            self.examples.append(example)


@dataclass
class PollResult:
    posts: list[Post] = field(default_factory=list)
    metrics: dict[str, Metric] = field(default_factory=dict)
    cursor: dict[str, str] = field(default_factory=dict)  # keys to update; other keys stay
    replace: bool = False  # the result is the feed's whole current content, not new items
    not_modified: bool = False  # the source said nothing changed (HTTP 304)
    skipped: dict[str, Skipped] = field(default_factory=dict)  # reason -> what this poll could not use
    # more is waiting at the source right now (a backlog over one poll's size): the poller polls again
    # at once instead of after poll_s, so a backlog is delivered whole and in order, never dropped
    more: bool = False

    def skip(self, reason: str, example: str) -> None:
        """Count an item the source sent that cannot be shown, and why (never dropped silently)."""
        self.skipped.setdefault(reason, Skipped()).add(example)


class AdapterModule(Protocol):
    NAME: str
    Options: type[BaseModel]
    CREDENTIALS: tuple[str, ...]
    BUDGET: tuple[int, float] | None

    async def poll(self, ctx: PollContext) -> PollResult: ...


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def service_url(value: str, what: str, *, base: bool = True) -> str:
    """Check a vendor URL from a feed's options: https://, or http:// on this machine's loopback
    (the tests' local servers); never user:password (credentials go in `credentials:`). A `base`
    URL (an API root) has no query or fragment and loses its trailing slash."""
    value = value.strip()
    if base:
        value = value.rstrip("/")
    parts = urlsplit(value)
    local = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise ValueError(f"{what} must be an https:// URL (http:// only for 127.0.0.1 in tests), got {value!r}")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not carry user:password; put secrets in the feed's credentials")
    if base and (parts.query or parts.fragment):
        raise ValueError(f"{what} is a base URL: no query string or fragment, got {value!r}")
    return value


def refuse_reserved(given: dict[str, Any], reserved: frozenset[str], what: str) -> dict[str, Any]:
    """An option that passes extra parameters through to a vendor (`what`: its name), refused when it sets
    one the adapter sets itself or a credential: those come from the adapter and the feed's credentials."""
    clash = sorted(k for k in given if k in reserved or k.lower() in {"access_token", "token"})
    if clash:
        raise ValueError(f"{what} may not set {', '.join(clash)}: the adapter sets them itself")
    return given


def _service_url_option(value: str, info: ValidationInfo) -> str:
    return service_url(value, info.field_name or "url")


# An option naming a vendor's API root (`api_base`, `appview`, `base_url`), checked by `service_url`
# and named in its error by the option's own name.
ServiceURL = Annotated[str, AfterValidator(_service_url_option)]


# A #tag in post text; the look-behind keeps an HTML entity such as &#39; from reading as one.
HASHTAG = re.compile(r"(?<![\w&])#(\w{1,100})", re.UNICODE)
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z]{2,8});")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_DROP = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """Mastodon content, RSS summaries: HTML -> plain text. Scripts and styles are dropped with
    their content, line-level tags become line breaks, every other tag is removed, entities are
    decoded once (so '&lt;b&gt;' shows as the text '<b>', never as markup)."""
    if "<" not in markup:  # no tag to drop, break or remove (names, alt texts, most summaries)
        return html.unescape(markup)  # itself returns the text as it is when it holds no '&'
    text = _DROP.sub("", markup)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


def markup_to_text(text: str) -> str:
    """Text that may or may not be HTML (listening tools mix news and blog snippets with tweets) as plain
    text: put through `html_to_text` only when it really holds a tag or an entity, so a tweet saying
    "I <3 it" keeps its characters."""
    return html_to_text(text) if _MARKUP.search(text) else text
