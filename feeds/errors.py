"""How a feed says what went wrong: one exception whose `kind` health shows and the retry policy acts on.

Why its own module: every adapter raises FeedError, the poller catches it, the fetcher makes most of
them, and none of those should need the HTTP machinery to name a failure (the replay adapter reads a
file). The message is redacted when the error is made, so an error can be logged, shown on the health
panel and persisted without ever carrying a secret.

Never imports `wall`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .redaction import redact

__all__ = ["FEED_ERROR_KINDS", "FeedError"]

FEED_ERROR_KINDS = frozenset(
    {"credentials", "throttled", "server", "timeout", "network", "too_large", "bad_response", "client"}
)


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
