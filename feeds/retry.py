"""When to try a feed again, and what an HTTP answer that is not a success means: one retry policy for every feed.

Why one class: vendors throttle, fail and authenticate differently (Talkwalker says "slow down" with a
401, X sends an epoch reset header, Mastodon an ISO 8601 one, a GitHub-style API a 403 with no calls
left), and a wall must treat each of those the same way whichever zone asked. Modelled on
MagicMirror's fetcher, where one class owns the whole retry policy: the fetcher asks `classify` what an
answer means, the poller asks `next_delay` when to try again, and adapters never decide either.

Never imports `wall`.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from .errors import FeedError
from .redaction import redact

__all__ = ["ERROR_BODY_LIMIT", "RetryPolicy"]

# Error bodies are read only to classify them (Talkwalker's code 8) and quote the vendor's message.
ERROR_BODY_LIMIT = 64 * 1024


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
    - server / timeout / network / bad_response / too_large: exponential backoff with full jitter,
      uniform(0, min(cap, base * 2**(attempt-1))), never below `min_delay_s`. An answer over the byte cap
      is usually one burst (a backlog, a vendor's slip), so it is retried like any other fault while the
      zone keeps its last good data; one that stays too large backs off to `cap_s`, and health says
      too_large until the query is narrowed or max_bytes raised;
    - client (other 4xx): a slow retry; these need a config change, not patience.

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
        if kind == "client":
            return self.client_s
        if kind == "throttled":
            if error.retry_after is not None:
                waited = min(max(error.retry_after, 0.0), self.retry_after_cap_s)
                return waited + self.rng.uniform(0.0, self.retry_after_jitter_s)
            return min(self.retry_after_cap_s, max(self.throttled_min_s, self.backoff(attempt)))
        # server, timeout, network, bad_response, too_large: transient until shown otherwise
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
                at = at.replace(tzinfo=UTC)
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
