"""The HTTP fetch layer every network adapter goes through: one shared client, one retry policy.

Why one place: vendors throttle, fail and authenticate differently (Talkwalker says "slow down" with a
401, Brandwatch counts calls per client, X sends an epoch reset header), and a wall must treat each of
those the same way whichever zone asked. Modelled on MagicMirror's fetcher, where one class owns the
whole retry policy, so adapters only say *what* to fetch and health only says *what happened*.

- `Fetcher.get` makes ONE attempt and either returns a `Response` (bytes, never decoded here) or raises
  a `FeedError` whose `kind` says what went wrong. It does not sleep and retry by itself: the poller asks
  `RetryPolicy.next_delay(error, attempt)` when to try again, so a zone keeps showing its last good data
  instead of a request hanging for minutes.
- `Fetcher.post` / `Fetcher.request` do the same for search APIs that take a JSON body (Radarly): same
  budget, timeouts, size cap, classification and redaction; conditional GET stays a GET-only affair.
- `RequestBudget` is the per-credential call allowance shared by every feed using that credential.
- Secrets (tokens in query strings, Authorization headers) are redacted from every message, log line and
  repr this module produces, and from httpx's own log lines.

Never imports `wall`.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FEED_ERROR_KINDS",
    "SECRET_PARAM_NAMES",
    "FeedError",
    "Fetcher",
    "RequestBudget",
    "Response",
    "RetryPolicy",
    "decode_json",
    "redact",
    "redact_headers",
]

log = logging.getLogger("feeds.http")

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 8 * MIB
# Error bodies are read only to classify them (Talkwalker's code 8) and quote the vendor's message.
ERROR_BODY_LIMIT = 64 * 1024

FEED_ERROR_KINDS = frozenset(
    {"credentials", "throttled", "server", "timeout", "network", "too_large", "bad_response", "client"}
)

# ------------------------------------------------------------------------------------------- secrets

SECRET_PARAM_NAMES = frozenset(
    {
        "access_token",
        "token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "password",
        "client_secret",
        "refresh_token",
        "auth_token",
    }
)
SECRET_HEADER_NAMES = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"}
)
REDACTED = "***"

_names = "|".join(sorted(map(re.escape, SECRET_PARAM_NAMES), key=len, reverse=True))
_header_names = "|".join(sorted(map(re.escape, SECRET_HEADER_NAMES), key=len, reverse=True))
# name=value in a query string or form body; the look-behind keeps `monkey=` from matching `key=`;
# `(?!\*\*\*)` keeps a second pass from eating what follows an already-redacted value.
# Punctuation that ends a sentence (`...?token=abc: rate limit`) is left outside the redacted value.
_QUERY_SECRET = re.compile(
    rf"(?i)(?<![A-Za-z0-9_.\-])({_names})=(?!\*\*\*)([^&#\s\"'<>\\]*?)(?=[:;,.)\]]*(?:[&#\s\"'<>\\]|$))"
)
# "name": "value" in JSON (Talkwalker echoes the request, token included, in its error bodies).
_JSON_SECRET = re.compile(rf'(?i)("(?:{_names})"\s*:\s*")((?:[^"\\]|\\.)*)(")')
# Header: value, as text or as httpcore's debug tuples (b'Authorization', b'Bearer ...').
_HEADER_SECRET = re.compile(
    rf"(?i)(?<![A-Za-z0-9\-])((?:{_header_names})\s*[:=]\s*)([^\r\n\"',}}]+?)(?=[;.)\]]*(?:[\r\n\"',}}]|$))"
)
_HEADER_TUPLE_SECRET = re.compile(rf"(?i)(b?['\"](?:{_header_names})['\"]\s*,\s*b?['\"])([^'\"]*)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s@]+@")


def redact(url_or_text: object, secrets: Iterable[str] = ()) -> str:
    """`url_or_text` as a string with every secret replaced by ***.

    Removes the explicit `secrets` (also in their percent-encoded forms), then whatever looks like one:
    values of query/JSON parameters named in SECRET_PARAM_NAMES, Authorization-like header values,
    bearer tokens and user:password@ in URLs. Safe to call twice."""
    text = str(url_or_text)
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
    for form in sorted(forms, key=len, reverse=True):  # longest first: one secret may contain another
        text = text.replace(form, REDACTED)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _HEADER_TUPLE_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _HEADER_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def redact_headers(headers: Mapping[str, str] | httpx.Headers | None) -> dict[str, str]:
    """A copy of `headers` safe to log: Authorization, cookies and API-key headers become ***."""
    if not headers:
        return {}
    return {k: (REDACTED if k.lower() in SECRET_HEADER_NAMES else redact(v)) for k, v in headers.items()}


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message through `redact` (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACTING_FILTER = _RedactingFilter()
# Filters do not inherit down the logger tree, so each logger that can print a URL or a header gets one.
for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
              "httpcore.socks", "feeds.http"):
    _logger = logging.getLogger(_name)
    if _REDACTING_FILTER not in _logger.filters:
        _logger.addFilter(_REDACTING_FILTER)


def _secrets_in(params: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> tuple[str, ...]:
    found: list[str] = []
    for name, value in (params or {}).items():
        if name.lower() in SECRET_PARAM_NAMES and value is not None:
            values = value if isinstance(value, (list, tuple)) else [value]
            found.extend(str(v) for v in values)
    for name, value in (headers or {}).items():
        if name.lower() in SECRET_HEADER_NAMES and value:
            found.append(str(value))
            # "Bearer abc": the token alone may show up elsewhere (an echoed request, a vendor message)
            found.extend(part for part in str(value).split()[1:] if len(part) >= 4)
    return tuple(found)


_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})


def _secrets_in_body(doc: Any) -> tuple[str, ...]:
    """Values of secret-named keys in a JSON request body (top level and one level down), so a vendor
    that echoes the request in its error body cannot leak them."""
    found: list[str] = []
    stack = [(doc, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Mapping) or depth > 1:
            continue
        for name, value in item.items():
            if isinstance(name, str) and name.lower() in SECRET_PARAM_NAMES and isinstance(value, (str, int)):
                found.append(str(value))
            elif isinstance(value, Mapping):
                stack.append((value, depth + 1))
    return tuple(found)


def _encode_json_body(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


# ------------------------------------------------------------------------------------------- errors


class FeedError(Exception):
    """One failed fetch, told in a way health can show and the retry policy can act on.

    `kind` is one of FEED_ERROR_KINDS; `status` the HTTP status when there was one; `retry_after`
    the seconds the server asked us to wait (already capped), if it said. The message is redacted
    when the error is made, so str(), repr() and logs never carry a secret."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        if kind not in FEED_ERROR_KINDS:
            raise ValueError(f"unknown FeedError kind {kind!r}; expected one of {sorted(FEED_ERROR_KINDS)}")
        self.kind = kind
        self.message = redact(message, secrets)
        self.status = status
        self.retry_after = retry_after
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # copy/pickle: rebuilt from its fields, not from Exception.args
        return (type(self), (self.kind, self.message), {"status": self.status, "retry_after": self.retry_after})

    def __repr__(self) -> str:
        return (
            f"FeedError(kind={self.kind!r}, status={self.status!r}, "
            f"retry_after={self.retry_after!r}, message={self.message!r})"
        )


# ------------------------------------------------------------------------------------------- policy


def _header_map(headers: Mapping[str, str] | httpx.Headers | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _vendor_message(body: bytes, secrets: Iterable[str]) -> str:
    """The vendor's own short explanation from an error body, redacted, or ''."""
    if not body:
        return ""
    text = body[:ERROR_BODY_LIMIT].decode("utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = None
    message = ""
    if isinstance(doc, dict):
        for key in ("status_message", "message", "error_description", "error", "detail", "title", "errors"):
            value = doc.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail") or value.get("title")
            if isinstance(value, str) and value.strip():
                message = value
                break
    elif doc is None and not text.lstrip().startswith("<"):  # plain text, not an HTML error page
        message = text
    message = " ".join(message.split())
    if len(message) > 160:
        message = message[:157] + "..."
    return redact(message, secrets)


def _is_talkwalker_throttle(body: bytes) -> bool:
    """Talkwalker answers "too many calls" with HTTP 401 and {"status_code": "8", "status_message": ...}."""
    if not body or len(body) > ERROR_BODY_LIMIT:
        return False
    try:
        doc = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and str(doc.get("status_code", "")).strip() == "8"


@dataclass
class RetryPolicy:
    """Every "when do we try again" decision for every feed.

    `classify` turns an HTTP answer into a FeedError (or None when it is a success); `next_delay` says
    how many seconds to wait before attempt `attempt + 1` after `attempt` consecutive failures.

    - credentials (401/403): a slow, fixed retry, so a rotated token is picked up without hammering
      the vendor's auth endpoint (some lock accounts after repeated failures);
    - throttled (429, Talkwalker's 401 + status_code 8, 403 with rate-limit-remaining 0): exactly what
      the server asked (Retry-After seconds or HTTP-date, else an X-RateLimit-Reset style header), capped,
      plus a little positive jitter so feeds sharing a credential do not all wake on the same tick;
    - server / timeout / network / bad_response: exponential backoff with full jitter,
      uniform(0, min(cap, base * 2**(attempt-1))), never below `min_delay_s`;
    - client (other 4xx) and too_large: a slow retry; these need a config change, not patience.

    Pass `rng=random.Random(seed)` for deterministic jitter and `clock` (epoch seconds) to pin the
    reading of HTTP-date and epoch reset headers."""

    base_s: float = 5.0
    cap_s: float = 300.0
    min_delay_s: float = 1.0
    credentials_s: float = 900.0
    client_s: float = 600.0
    throttled_min_s: float = 60.0
    retry_after_cap_s: float = 3600.0
    retry_after_jitter_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    # -- when

    def backoff_ceiling(self, attempt: int) -> float:
        """The upper bound of the jittered backoff after `attempt` consecutive failures."""
        exponent = min(max(attempt, 1) - 1, 62)  # 2**62 * base is already far past any cap
        return min(self.cap_s, self.base_s * (2.0**exponent))

    def backoff(self, attempt: int) -> float:
        return max(self.min_delay_s, self.rng.uniform(0.0, self.backoff_ceiling(attempt)))

    def next_delay(self, error: FeedError, attempt: int) -> float:
        kind = error.kind
        if kind == "credentials":
            return self.credentials_s
        if kind in ("client", "too_large"):
            return self.client_s
        if kind == "throttled":
            if error.retry_after is not None:
                waited = min(max(error.retry_after, 0.0), self.retry_after_cap_s)
                return waited + self.rng.uniform(0.0, self.retry_after_jitter_s)
            return min(self.retry_after_cap_s, max(self.throttled_min_s, self.backoff(attempt)))
        # server, timeout, network, bad_response: transient until shown otherwise
        delay = self.backoff(attempt)
        if error.retry_after is not None:  # a 503 that says when it will be back
            delay = max(delay, min(error.retry_after, self.retry_after_cap_s))
        return delay

    # -- what

    def retry_after(self, headers: Mapping[str, str] | httpx.Headers | None) -> float | None:
        """Seconds to wait as the server asked, capped at `retry_after_cap_s`, or None if it did not say.

        Reads Retry-After (delta-seconds or HTTP-date), then X-RateLimit-Reset / x-rate-limit-reset
        (epoch seconds, epoch milliseconds, or delta-seconds when small), then RateLimit-Reset (delta)."""
        h = _header_map(headers)
        seconds = self._parse_retry_after(h.get("retry-after"))
        if seconds is None:
            for name in ("x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset"):
                seconds = self._parse_reset(h.get(name))
                if seconds is not None:
                    break
        if seconds is None:
            return None
        return min(max(seconds, 0.0), self.retry_after_cap_s)

    def _parse_retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        value = value.strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:  # HTTP-dates are GMT; a naive one is not an HTTP-date
            return None
        return max(when.timestamp() - self.clock(), 0.0)

    def _parse_reset(self, value: str | None) -> float | None:
        if not value:
            return None
        try:
            number = float(value.strip())
        except ValueError:
            # Mastodon sends an ISO 8601 time: X-RateLimit-Reset: 2024-05-02T10:25:00.000000Z
            try:
                at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
            if at.tzinfo is None:
                at = at.replace(tzinfo=timezone.utc)
            return max(at.timestamp() - self.clock(), 0.0)
        if number > 1e12:  # epoch milliseconds
            number /= 1000.0
        if number > 1e9:  # epoch seconds
            return max(number - self.clock(), 0.0)
        return max(number, 0.0)  # already a delta

    def classify(
        self,
        status: int,
        headers: Mapping[str, str] | httpx.Headers | None,
        body: bytes,
        *,
        url: str | None = None,
        secrets: Iterable[str] = (),
    ) -> FeedError | None:
        """None for a usable answer (2xx, 304), else the FeedError that describes it."""
        if 200 <= status < 300 or status == 304:
            return None
        secrets = tuple(secrets)
        where = f" from {redact(url, secrets)}" if url else ""
        said = _vendor_message(body, secrets)
        said = f": {said}" if said else ""
        h = _header_map(headers)

        def error(kind: str, text: str, retry_after: float | None = None) -> FeedError:
            return FeedError(kind, text, status=status, retry_after=retry_after, secrets=secrets)

        if status == 401 and _is_talkwalker_throttle(body):
            wait = self.retry_after(h)
            return error(
                "throttled",
                f"throttled (HTTP 401 with Talkwalker status_code 8){where}{said}; {_wait_text(wait)}",
                wait,
            )
        if status == 429 or (status == 403 and _ratelimit_exhausted(h)):
            wait = self.retry_after(h)
            return error("throttled", f"throttled (HTTP {status}){where}{said}; {_wait_text(wait)}", wait)
        if status in (401, 403):
            return error(
                "credentials",
                f"credentials refused (HTTP {status}){where}{said}; check the token or key set in the "
                f"environment for this feed (retrying every {self.credentials_s:g} s)",
            )
        if status == 408:
            return error("timeout", f"the server timed out waiting for the request (HTTP 408){where}")
        if 400 <= status < 500:
            return error(
                "client",
                f"request refused (HTTP {status}){where}{said}; check the feed's URL and parameters",
            )
        if status >= 500:
            return error("server", f"server error (HTTP {status}){where}{said}", self.retry_after(h))
        return error("bad_response", f"unexpected HTTP {status}{where}; expected 2xx or 304")


def _ratelimit_exhausted(h: Mapping[str, str]) -> bool:
    # GitHub-style: a 403 that is really "out of calls" says so in its rate-limit headers.
    return any(h.get(n, "").strip() == "0" for n in ("x-ratelimit-remaining", "x-rate-limit-remaining"))


def _wait_text(wait: float | None) -> str:
    return f"the server asked to wait {wait:g} s" if wait is not None else "the server gave no retry time"


# ------------------------------------------------------------------------------------------- budget


class RequestBudget:
    """At most `calls` requests per sliding `window_s` seconds, shared by every feed on one credential.

    Brandwatch, for example, allows 30 calls per 10 minutes per client: two zones polling the same
    client each every minute would blow it, so they draw from one budget. Also holds a pause set by
    the fetcher when the vendor throttles us anyway (so the other feeds stop too).

    Thread-safe for the counters; `acquire` must run on an asyncio loop."""

    def __init__(self, calls: int, window_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if calls < 1 or window_s <= 0:
            raise ValueError(
                f"a request budget needs calls >= 1 and window_s > 0, got {calls} per {window_s} s"
            )
        self.calls = calls
        self.window_s = float(window_s)
        self._clock = clock
        self._stamps: collections.deque[float] = collections.deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RequestBudget(calls={self.calls}, window_s={self.window_s:g}, used={self.used()})"

    def _expire(self, now: float) -> None:
        while self._stamps and self._stamps[0] <= now - self.window_s:
            self._stamps.popleft()

    def used(self) -> int:
        """Calls made in the current window (for health: "12/30 calls")."""
        with self._lock:
            self._expire(self._clock())
            return len(self._stamps)

    def wait_time(self) -> float:
        """Seconds until a call would be allowed (0 when one is allowed now)."""
        with self._lock:
            return self._wait_locked(self._clock())

    def _wait_locked(self, now: float) -> float:
        self._expire(now)
        wait = max(self._paused_until - now, 0.0)
        if len(self._stamps) >= self.calls:
            wait = max(wait, self._stamps[0] + self.window_s - now)
        return wait

    def try_acquire(self) -> bool:
        """Take one call now if the budget allows it."""
        with self._lock:
            now = self._clock()
            if self._wait_locked(now) > 0:
                return False
            self._stamps.append(now)
            return True

    async def acquire(self) -> float:
        """Wait until a call is allowed, take it, and return how many seconds that took."""
        if self.try_acquire():
            return 0.0
        started = self._clock()
        while not self.try_acquire():
            # a floor keeps a clock that has not quite reached the boundary from spinning the loop
            await asyncio.sleep(max(self.wait_time(), 0.005))
        return self._clock() - started

    def pause(self, seconds: float) -> None:
        """Allow no call for `seconds` (the vendor said it is throttling this credential)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))


# ------------------------------------------------------------------------------------------- fetcher


@dataclass(frozen=True, repr=False)
class Response:
    """One usable answer. `body` is raw bytes (empty when `not_modified`); decode with `decode_json`."""

    status: int
    headers: httpx.Headers
    body: bytes
    not_modified: bool
    url_for_logs: str
    # the request's secrets, so `decode_json` can redact a snippet of a body that echoes them
    secrets: tuple[str, ...] = field(default=(), compare=False)

    def __repr__(self) -> str:
        return (
            f"Response(status={self.status}, bytes={len(self.body)}, "
            f"not_modified={self.not_modified}, url={self.url_for_logs!r})"
        )


class Fetcher:
    """Makes single GET (or POST) attempts over one shared `httpx.AsyncClient`.

    Owns what every request needs and no adapter should redo: timeouts (connect, read, and a total
    deadline against servers that trickle bytes), a response size cap enforced while streaming,
    conditional GET (ETag / Last-Modified remembered per key, exportable for persistence), the request
    budget of the request's credential, status classification through `policy`, and redaction."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        policy: RetryPolicy | None = None,
        budgets: Mapping[str, RequestBudget] | None = None,
        secrets: Iterable[str] = (),
        user_agent: str = "wall-feeds/0.1 (social-room video wall)",
        max_validators: int = 1024,
    ) -> None:
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.policy = policy or RetryPolicy()
        self._budgets: dict[str, RequestBudget] = dict(budgets or {})
        self._secrets: set[str] = {s for s in secrets if s}
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=True, headers={"User-Agent": user_agent}
        )
        # key -> {"etag": ..., "last_modified": ...}; bounded because since_id-style URLs change each poll
        self._validators: collections.OrderedDict[str, dict[str, str]] = collections.OrderedDict()
        self.max_validators = max_validators

    def __repr__(self) -> str:
        return (
            f"Fetcher(max_bytes={self.max_bytes}, validators={len(self._validators)}, "
            f"budgets={sorted(self._budgets)})"
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if this fetcher made it (a shared one belongs to whoever passed it)."""
        if self._owns_client:
            await self.client.aclose()

    # -- configuration

    def register_budget(self, credential_key: str, budget: RequestBudget) -> None:
        self._budgets[credential_key] = budget

    def budget(self, credential_key: str | None) -> RequestBudget | None:
        return self._budgets.get(credential_key) if credential_key else None

    def add_secret(self, value: str) -> None:
        """A value to scrub from every message even where it does not look like one."""
        if value:
            self._secrets.add(value)

    # -- conditional GET validators

    def validators(self) -> dict[str, dict[str, str]]:
        """The remembered ETag / Last-Modified per conditional key, as plain JSON-able data."""
        return {key: dict(value) for key, value in self._validators.items()}

    def load_validators(self, data: Mapping[str, Mapping[str, str]]) -> None:
        """Restore what `validators()` exported (e.g. after a restart). Unknown fields are dropped."""
        if not isinstance(data, Mapping):
            raise ValueError(
                f"validators must be a mapping of key -> {{etag, last_modified}}, got {type(data).__name__}"
            )
        for key, value in data.items():
            if not isinstance(key, str) or not isinstance(value, Mapping):
                raise ValueError(f"validator entry {key!r} must map a string key to {{etag, last_modified}}")
            entry = {f: str(value[f]) for f in ("etag", "last_modified") if value.get(f)}
            if entry:
                self._remember(redact(key), entry)

    def _remember(self, key: str, entry: dict[str, str]) -> None:
        self._validators[key] = entry
        self._validators.move_to_end(key)
        while len(self._validators) > self.max_validators:
            self._validators.popitem(last=False)

    # -- fetching

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
        conditional_key: str | None = None,
        conditional: bool = True,
    ) -> Response:
        """One GET attempt. Returns a Response (2xx, or 304 as `not_modified=True`) or raises FeedError.

        `credential_key` names the budget to draw from (and to pause when the vendor throttles);
        `conditional_key` names where this request's validators live (default: the URL without
        secrets); `conditional=False` neither sends nor remembers them (cursor-paged calls)."""
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            credential_key=credential_key,
            conditional_key=conditional_key,
            conditional=conditional,
        )

    async def post(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
    ) -> Response:
        """One POST attempt with a JSON body (search APIs that take their query as a document, e.g.
        Radarly's inbox search). Same budget, timeouts, size cap, classification and redaction as `get`;
        never conditional."""
        return await self.request(
            "POST", url, json=json, params=params, headers=headers, credential_key=credential_key
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
        conditional_key: str | None = None,
        conditional: bool | None = None,
    ) -> Response:
        """One attempt of any method. `json`, when given, is sent as the UTF-8 JSON body (with
        `Content-Type: application/json` unless `headers` set one). Conditional GET applies to GET only
        (`conditional` defaults to True for GET and must not be True for anything else): a POST search
        answers with new content for the same URL, so validators would be meaningless there."""
        method = str(method).upper()
        if method not in _METHODS:
            raise ValueError(f"unsupported HTTP method {method!r}; use one of {sorted(_METHODS)}")
        if conditional is None:
            conditional = method == "GET"
        elif conditional and method != "GET":
            raise ValueError(f"conditional requests are for GET only, not {method}")
        secrets = (*self._secrets, *_secrets_in(params, headers), *_secrets_in_body(json))
        body: bytes | None = None
        if json is not None:
            try:
                body = _encode_json_body(json)
            except (TypeError, ValueError) as exc:
                raise FeedError("client", f"{method} {redact(url, secrets)}: the JSON body cannot be encoded "
                                          f"({exc})", secrets=secrets) from None
        try:
            request_url = httpx.URL(url)
            if params:  # merged into any query the URL already has, as httpx's client does
                request_url = request_url.copy_merge_params(params)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FeedError("client", f"invalid URL {redact(url, secrets)}: {exc}", secrets=secrets) from None
        shown = redact(request_url, secrets)
        key = redact(conditional_key, secrets) if conditional_key else shown

        send_headers = dict(headers or {})
        lowered = {k.lower() for k in send_headers}
        if body is not None and "content-type" not in lowered:
            send_headers["Content-Type"] = "application/json"
        cached = self._validators.get(key) if conditional else None
        if cached:
            if "etag" in cached and "if-none-match" not in lowered:
                send_headers["If-None-Match"] = cached["etag"]
            if "last_modified" in cached and "if-modified-since" not in lowered:
                send_headers["If-Modified-Since"] = cached["last_modified"]

        budget = self.budget(credential_key)
        if budget is not None:
            waited = await budget.acquire()
            if waited > 0.05:
                log.debug("waited %.2f s for the %s budget before %s %s", waited, credential_key, method, shown)

        started = time.monotonic()
        try:
            response = await self._fetch(request_url, send_headers, shown, secrets, method=method, content=body)
        except FeedError as exc:
            log.info("%s %s failed after %.2f s: %s", method, shown, time.monotonic() - started, exc)
            if exc.kind == "throttled" and budget is not None and exc.retry_after is not None:
                budget.pause(exc.retry_after)
            raise

        if conditional and response.status == 200:
            entry = {}
            if etag := response.headers.get("etag"):
                entry["etag"] = etag
            if last_modified := response.headers.get("last-modified"):
                entry["last_modified"] = last_modified
            if entry:
                self._remember(key, entry)
            else:
                self._validators.pop(key, None)  # the server stopped sending validators
        elif conditional and response.not_modified and key in self._validators:
            self._validators.move_to_end(key)
        log.debug(
            "%s %s -> %d%s (%d bytes, %.2f s)",
            method,
            shown,
            response.status,
            " not modified" if response.not_modified else "",
            len(response.body),
            time.monotonic() - started,
        )
        return response

    async def _fetch(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        shown: str,
        secrets: tuple[str, ...],
        *,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Response:
        received = 0
        expected: int | None = None
        in_body = False
        try:
            async with asyncio.timeout(self.total_timeout):
                async with self.client.stream(method, url, headers=headers, content=content,
                                              timeout=self.timeout) as r:
                    final_url = redact(r.url, secrets)
                    if r.status_code == 304:
                        return Response(304, r.headers, b"", True, final_url, secrets)
                    ok = 200 <= r.status_code < 300
                    limit = self.max_bytes if ok else ERROR_BODY_LIMIT
                    expected = _content_length(r.headers)
                    if ok and expected is not None and expected > limit:
                        raise FeedError(
                            "too_large",
                            f"response from {final_url} declares {expected} bytes, over the "
                            f"{limit}-byte cap; narrow the query or raise max_bytes",
                            status=r.status_code,
                            secrets=secrets,
                        )
                    chunks: list[bytes] = []
                    in_body = True
                    async for chunk in r.aiter_bytes():
                        received += len(chunk)
                        if received > limit:
                            if not ok:  # an error page only needs its start to be classified
                                chunks.append(chunk[: limit - (received - len(chunk))])
                                break
                            raise FeedError(
                                "too_large",
                                f"response from {final_url} passed the {limit}-byte cap while streaming; "
                                f"stopped reading; narrow the query or raise max_bytes",
                                status=r.status_code,
                                secrets=secrets,
                            )
                        chunks.append(chunk)
                    body = b"".join(chunks)
                    error = self.policy.classify(
                        r.status_code, r.headers, body, url=final_url, secrets=secrets
                    )
                    if error is not None:
                        raise error
                    return Response(r.status_code, r.headers, body, False, final_url, secrets)
        except FeedError:
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            what = "the total deadline" if isinstance(exc, TimeoutError) else _timeout_phase(exc)
            raise FeedError("timeout", f"{method} {shown} timed out ({what})", secrets=secrets) from None
        except httpx.RemoteProtocolError as exc:
            if in_body:
                of = f" of {expected}" if expected is not None else ""
                raise FeedError(
                    "bad_response",
                    f"truncated body from {shown}: the connection closed after {received}{of} bytes",
                    secrets=secrets,
                ) from None
            raise FeedError(
                "network", f"{method} {shown}: the server broke the exchange ({exc})", secrets=secrets
            ) from None
        except httpx.DecodingError as exc:
            raise FeedError(
                "bad_response", f"{method} {shown}: undecodable content encoding ({exc})", secrets=secrets
            ) from None
        except httpx.TooManyRedirects:
            raise FeedError("bad_response", f"{method} {shown}: too many redirects", secrets=secrets) from None
        except httpx.UnsupportedProtocol as exc:
            raise FeedError("client", f"{method} {shown}: unsupported URL ({exc})", secrets=secrets) from None
        except (httpx.TransportError, OSError) as exc:
            detail = str(exc) or type(exc).__name__
            raise FeedError("network", f"{method} {shown} failed: {detail}", secrets=secrets) from None
        except httpx.InvalidURL as exc:
            raise FeedError("client", f"{method} {shown}: invalid URL ({exc})", secrets=secrets) from None


def _content_length(headers: httpx.Headers) -> int | None:
    try:
        value = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for data",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a free connection",
    }.get(type(exc), "timeout")


# ------------------------------------------------------------------------------------------- decoding


def decode_json(response: Response) -> Any:
    """The body parsed as JSON (UTF-8, strict), or FeedError(kind="bad_response") saying what is wrong."""

    def bad(text: str) -> FeedError:
        return FeedError("bad_response", f"{text} ({response.url_for_logs})", status=response.status,
                         secrets=response.secrets)

    if response.not_modified:
        raise bad("no body to decode: the server answered 304 Not Modified; keep the last data")
    body = response.body
    if not body.strip():
        raise bad("empty body where JSON was expected")
    try:
        text = body.decode("utf-8-sig", errors="strict")  # a BOM is tolerated, nothing else is
    except UnicodeDecodeError as exc:
        raise bad(f"invalid UTF-8 at byte {exc.start} of {len(body)}: {exc.reason}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise bad(f"truncated JSON: the body ends before the document does ({len(body)} bytes)") from None
        near = redact(text[max(exc.pos - 20, 0) : exc.pos + 20], response.secrets)
        where = f"line {exc.lineno} column {exc.colno}"
        raise bad(f"malformed JSON at {where}: {exc.msg} near {near!r}") from None
    except RecursionError:
        raise bad("JSON nested too deeply to decode") from None
