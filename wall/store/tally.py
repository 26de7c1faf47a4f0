"""Post counts per feed, for alert rules (wall/scenes/alerts.py).

The buffer keeps the newest `max_posts`, which on a busy feed is minutes, not the hours a surge's
baseline needs. So each feed also counts its posts per time bucket and tone (`Tally`: 10-second
buckets for the last 2 h, 5-minute buckets for 48 h, about 50 KB a feed), fed by `Store.put` when a
post enters the buffer (a re-delivered post is not counted twice), read with `Store.post_counts`.
Counts are not kept on disk: a restart counts the restored buffer again, and `counted_since` says
from when counts are complete.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feeds.model import TONES, Post


@dataclass(frozen=True)
class PostCounts:
    """Posts published in a time range, by tone; `any` counts every post, with a tone or without."""

    any: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    counted_since: datetime | None = None  # counts are complete from this time on (None: nothing counted yet)

    @classmethod
    def of_slots(cls, counts: Sequence[int], counted_since: datetime | None) -> PostCounts:
        """From counts in the order [any, *TONES]."""
        every, positive, neutral, negative = counts
        return cls(every, positive, neutral, negative, counted_since)

    def of(self, tone: str) -> int:
        return getattr(self, tone)


def tone_slot(post: Post) -> int:
    """Where a post counts in [any, *TONES]: 0 for a post without a tone, else 1 + its tone's index."""
    return 1 + TONES.index(post.sentiment.label) if post.sentiment is not None else 0


def count_posts(posts: Iterable[Post], start: datetime, end: datetime) -> list[int]:
    """[any, *TONES] of the posts published in [start, end)."""
    counts = [0] * (1 + len(TONES))
    for p in posts:
        if start <= p.published_at < end:
            counts[0] += 1
            if tone := tone_slot(p):
                counts[tone] += 1
    return counts


class _Ring:
    """Counts [any, *TONES] per bucket of `step` seconds, for the `size` buckets up to the newest one
    written; a slot is reused when the ring comes round to it."""

    __slots__ = ("step", "size", "idx", "counts", "hi")

    def __init__(self, step: int, size: int):
        self.step, self.size = step, size
        self.idx = [-1] * size  # the bucket each slot holds
        self.counts = [[0] * size for _ in range(1 + len(TONES))]  # per tone, per slot
        self.hi: int | None = None  # the newest bucket written

    def add(self, ts: float, tone: int) -> None:
        b = int(ts // self.step)
        if self.hi is not None and b <= self.hi - self.size:
            return  # older than the ring holds
        slot = b % self.size
        if self.idx[slot] != b:
            self.idx[slot] = b
            for c in self.counts:
                c[slot] = 0
        self.counts[0][slot] += 1
        if tone:
            self.counts[tone][slot] += 1
        if self.hi is None or b > self.hi:
            self.hi = b

    def held_from(self) -> float:
        """The start of the oldest bucket this ring still answers for (call once written to)."""
        assert self.hi is not None
        return (self.hi - self.size + 1) * self.step

    def total(self, start: float, end: float, out: list[int]) -> None:
        """Add the buckets that start in [start, end) to out."""
        if self.hi is None:
            return
        lo = max(math.ceil(start / self.step), self.hi - self.size + 1)  # only what the ring holds
        hi = min(math.ceil(end / self.step), self.hi + 1)
        while lo < hi:  # at most two runs of slots: up to the ring's end, then from its start
            a = lo % self.size
            b = min(self.size, a + hi - lo)
            held = list(map(operator.eq, self.idx[a:b], range(lo, lo + b - a)))  # slot still holds bucket
            for i, c in enumerate(self.counts):
                out[i] += sum(itertools.compress(c[a:b], held))
            lo += b - a


class Tally:
    """One feed's post counts: fine buckets for the recent past, coarse ones for two days."""

    FINE_S, FINE_N = 10, 720  # 2 h
    COARSE_S, COARSE_N = 300, 576  # 48 h

    def __init__(self, since: datetime):
        self.since = since
        self.fine = _Ring(self.FINE_S, self.FINE_N)
        self.coarse = _Ring(self.COARSE_S, self.COARSE_N)

    def add(self, post: Post, at: datetime) -> None:
        ts = min(post.published_at, at).timestamp()  # a post dated in the future counts as now
        tone = tone_slot(post)
        self.fine.add(ts, tone)
        self.coarse.add(ts, tone)

    def count(self, start: datetime, end: datetime) -> list[int]:
        """[any, *TONES] of the posts counted in the buckets that start in [start, end)."""
        a, b = start.timestamp(), end.timestamp()
        out = [0] * (1 + len(TONES))
        if a >= b or self.fine.hi is None:
            return out
        # coarse buckets up to where the fine ring takes over (on a coarse bucket edge), fine after
        split = min(max(a, math.ceil(self.fine.held_from() / self.COARSE_S) * self.COARSE_S), b)
        self.coarse.total(a, split, out)
        self.fine.total(split, b, out)
        return out
