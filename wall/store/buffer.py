"""Each feed's state in the store: its bounded buffer of posts, its figures, its health, and the
immutable `FeedSnapshot` widgets read.

Sources deliver at least once and pages overlap, so posts merge by `Post.key` (a re-delivered post
replaces its older copy: its like count moved on) and a buffer keeps the newest `max_posts`, newest
first. A failing feed keeps its last good data: its health says "failing" or "stale" and widgets
badge it, they never blank.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from feeds.model import Metric, Post

from .tally import Tally
from .windows import FeedWindows

# degraded: polls succeed and the data is fresh, but the source sent items that could not be used
# (a duplicate id, an unreadable time): counted and shown in the console, never dropped silently
HealthState = Literal["loading", "ok", "degraded", "stale", "failing", "credentials"]

# A feed is stale when its last success is older than this many poll intervals.
STALE_AFTER_POLLS = 3
MIN_STALE_AFTER = timedelta(minutes=2)
STATE_RANK: dict[HealthState, int] = {"ok": 0, "degraded": 1, "loading": 2, "stale": 3, "credentials": 4, "failing": 5}


@dataclass(frozen=True)
class FeedHealth:
    state: HealthState
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    # what the source sent that could not be used, since the feed started: "2 duplicate id (row 17: id 42, ...)"
    notes: tuple[str, ...] = ()


@dataclass
class SkippedItems:
    """One reason's count of unusable items since the feed started, and its first examples."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    EXAMPLES = 3

    def add(self, count: int, examples: Iterable[str]) -> None:
        self.count += count
        for e in examples:
            if len(self.examples) < self.EXAMPLES:
                self.examples.append(e)

    def note(self, reason: str) -> str:
        return f"{self.count} {reason}" + (f" ({'; '.join(self.examples)})" if self.examples else "")


@dataclass(frozen=True)
class FeedSnapshot:
    feed_id: str
    posts: tuple[Post, ...]
    metrics: Mapping[str, Metric]
    as_of: datetime | None  # when the data shown was fetched (None: nothing yet)
    health: FeedHealth

    @property
    def has_data(self) -> bool:
        return bool(self.posts or self.metrics)


@dataclass
class FeedState:
    adapter: str
    poll_s: float
    posts: tuple[Post, ...] = ()  # newest first, unique keys, at most max_posts
    # replaced, never mutated: the writer reads it outside the lock
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    credentials_missing: bool = False
    restored: bool = False  # data read from disk at start; no poll has answered since
    # figures over whole windows, from every post the feed delivered (windows.py), and their counters
    # (None: a feed computed from time or other feeds, never counted itself)
    derived: Mapping[str, Metric] = field(default_factory=dict)
    windows: FeedWindows | None = None
    version: int = 0  # bumped by every put (lets put merge outside the lock)
    cache: tuple[datetime, FeedSnapshot] | None = None
    tally: Tally | None = None  # posts per time bucket and tone, since the first put (or the restore)
    skipped: dict[str, SkippedItems] = field(default_factory=dict)  # reason -> items the source sent, unused

    def health(self, t: datetime) -> FeedHealth:
        if self.restored:  # from disk: old data whose source has not been asked yet
            state: HealthState = "stale" if self.last_success is not None else "loading"
        elif self.last_error and (self.last_success is None or (self.last_error_at or t) >= self.last_success):
            state = "credentials" if self.credentials_missing else "failing"
        elif self.last_success is None:
            state = "loading"
        elif t - self.last_success > max(MIN_STALE_AFTER, timedelta(seconds=STALE_AFTER_POLLS * self.poll_s)):
            state = "stale"
        else:
            state = "degraded" if self.skipped else "ok"
        notes = tuple(s.note(reason) for reason, s in self.skipped.items())
        return FeedHealth(state, self.last_success, self.last_error, self.last_error_at, notes)


def worst_health(members: Mapping[str, FeedState], last_success: datetime | None, t: datetime) -> FeedHealth:
    """Several feeds shown as one are as healthy as the least healthy of them; the error names it."""
    if not members:
        return FeedHealth("loading")
    worst_id, worst = max(((m, st.health(t)) for m, st in members.items()), key=lambda mh: STATE_RANK[mh[1].state])
    error = f"{worst_id}: {worst.last_error}" if worst.last_error else None
    return FeedHealth(worst.state, last_success, error, worst.last_error_at)


# (published_at, key): keys are unique in a buffer, so this orders its posts totally. An attrgetter
# (in C) rather than a function: it runs for every post of the buffer at every put.
_newest_first: Callable[[Post], tuple[datetime, str]] = operator.attrgetter("published_at", "key")


def merge_posts(old: Iterable[Post], new: Iterable[Post], limit: int) -> tuple[Post, ...]:
    """old + new, one post per key (the later delivery wins), newest first, at most `limit`.

    A full sort, not a selection of the `limit` largest: `old` is a buffer already newest first and
    a poll adds a few posts after it, which the sort finds as runs and merges in about one pass (a
    heap selection walks every post in Python). The order is total, so the result is the same."""
    by_key = {p.key: p for p in old}
    for p in new:
        by_key[p.key] = p
    ranked = sorted(by_key.values(), key=_newest_first, reverse=True)
    return tuple(ranked[:limit] if len(ranked) > limit else ranked)


def entering(old: tuple[Post, ...], merged: tuple[Post, ...]) -> list[Post]:
    """The posts of `merged` that `old` lacks: each post is counted once, when it enters the buffer
    (a re-delivery or a post too old to be kept is not)."""
    had = {p.key for p in old}
    return [p for p in merged if p.key not in had]
