"""Figures over whole windows, from every post a feed ever delivered: volume, tone, networks,
countries, languages, top authors and topics for the last hour, day, week and month.

Why not from the posts the store keeps: its buffer holds the newest 500 posts (for cards and
tickers); on a busy feed that is minutes, and a zone titled "24h" would show a few minutes and call
it a day. So each post, the first time the store sees it, is added to counters bucketed by time, and
a window's figures merge the buckets it covers.

Buckets. A post goes into one bucket of one of two tiers:
- quarters: 15-minute buckets for the last 48 hours (192 of them);
- hours: 1-hour buckets before that, for 30 days in all (a quarter that ages past 48 h is added to
  its hour; a post older than 48 h when it arrives goes to its hour at once).
A window of length W ending at time t covers the buckets from the one holding t - W to the one
holding t: it starts on a quarter (W <= 48 h) or an hour (longer) boundary, at most 15 minutes (an
hour) before t - W, and that start is what its figures say they count from. A longer window merges
the hours before the last 48 h with the quarters after. Counts within the span are exact. When
counting began later than the window's start (a new feed, a wall that just started with an empty
file), the figures say so: their window reads "since 09:12", not "24h".

Bounds (per feed, whatever the volume):
- each bucket keeps the counts by tone, network, country and language exactly (a few hundred
  entries at most: there are that many countries and languages);
- authors and topics are heavy hitters: a quarter keeps at most QUARTER_KEPT of each (an hour
  HOUR_KEPT); when it reaches twice that it keeps the largest and remembers the largest count it
  dropped (its floor). A quarter with fewer than 2 x QUARTER_KEPT distinct authors (that is up to
  about 100,000 posts a day for most brands) is exact.
  A key missing from a bucket may have had at most that floor there, so a window's list is exact
  while no bucket pruned, and otherwise each count is low by at most the sum of the floors of the
  buckets merged, which the figure states (its provenance);
- the keys of posts already counted (for exactly-once counting of re-deliveries) are kept as 64-bit
  hashes per hour bucket, at most SEEN_MAX in all (the oldest hours are forgotten first); they are
  not kept on disk: after a restart the store's restored buffer (its newest posts) stands in for
  them, which is what sources re-deliver;
- so a feed's counters hold at most 192 quarters x 4 x QUARTER_KEPT + 720 hours x 4 x HOUR_KEPT
  author and topic entries (about 1.5 million), ~350 small counts per bucket, and SEEN_MAX hashes:
  about 300 MB in the worst case (a flood of distinct authors every quarter for a month), a few MB
  for a busy brand's feed (measured: `wallctl bench --feeds`).

Recomputing. Figures are recomputed after polls (the store's figures thread). Only the bucket of
the current quarter (hour) changes with most polls, so each window's merge of the other buckets is
kept from one recomputation to the next while none of them changed (Bucket.stamp) and the filling
bucket is added to a copy: a busy feed's figures take tens of ms after a poll instead of a merge of
a month (measured in the closing notes). The kept merges are as large as one merge of each window.

Leaderboards. Authors are ranked by posts ("influencers"), engagement ("influencers.engagement") or
audience ("influencers.reach"), each with every leader's rank in the same window an hour earlier
(COMPARE_S; `previous_rank`, None when not ranked then), so a board shows who climbs.

Thread-safety: one writer (the poller's thread, through Store.put) and readers computing figures
(`figures`, on the same thread or the store's figures thread), under `lock`. The render thread
never calls into this module: it reads the figures as plain Metrics in the feed's snapshot.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from feeds.model import TONES, Author, LeaderboardEntry, Metric, Post

from ..figure_windows import EVERY_POST, WINDOWS, window_name
from .topics import is_hashtag, topic_keys

QUARTER_S = 15 * 60
HOUR_S = 60 * 60
QUARTERS_KEPT = 48 * 4  # 48 h
HOURS_KEPT = 30 * 24  # 30 days
QUARTER_KEPT = 1000  # authors and topics a quarter keeps after pruning (it prunes at twice this)
HOUR_KEPT = 250  # the same for an hour: longer windows rank from more buckets, each with less
SEEN_MAX = 500_000  # post-key hashes kept for counting each post once
TOP_SHOWN = 40  # topics and countries a breakdown lists
LEADERS_SHOWN = 20  # authors a leaderboard lists

PROVENANCE = EVERY_POST

_TONE_SLOT = {tone: i for i, tone in enumerate(TONES)}

QUARTERS, HOURS = 0, 1  # tier ids, as kept in the store's file

_STAMPS = itertools.count()  # Bucket.stamp: unique in the process, never reused


def key_hash(key: str) -> int:
    """A post key as a stable 64-bit number (Python's hash() changes with every process): two CRC-32s
    with different seeds, cheap enough for every post at ingest; two keys of a feed meet by chance
    once in billions of hours of posts."""
    raw = key.encode()
    return (zlib.crc32(raw) << 32) | zlib.crc32(raw, 0x9E3779B9)


class Bucket:
    """What the posts published in one quarter (or hour) add up to."""

    __slots__ = (
        "n",
        "tones",
        "engagement",
        "networks",
        "countries",
        "langs",
        "authors",
        "topics",
        "author_floor",
        "topic_floor",
        "kept",
        "stamp",
    )

    def __init__(self, kept: int) -> None:
        self.kept = kept  # authors and topics kept after pruning
        self.stamp = next(_STAMPS)  # new whenever the counts change: merged totals are reused until then
        self.n = 0
        self.tones = [0, 0, 0]
        self.engagement = 0
        self.networks: dict[str, int] = {}
        self.countries: dict[str, int] = {}
        self.langs: dict[str, int] = {}
        # author key -> [posts, engagement, reach, last seen (epoch s), handle, name, avatar url, verified]
        self.authors: dict[str, list[Any]] = {}
        self.topics: dict[str, list[Any]] = {}  # topic key -> [posts, label]
        self.author_floor = 0  # the largest count an author pruned from this bucket had
        self.topic_floor = 0

    def add(self, post: Post, ts: float, topics: Sequence[tuple[str, str]]) -> None:
        """Count one post (published at ts, epoch s) and the topics it speaks of."""
        self.n += 1
        sentiment = post.sentiment
        if sentiment is not None:
            self.tones[_TONE_SLOT[sentiment.label]] += 1
        m = post.metrics
        engagement = m.likes + m.reposts + m.replies + m.quotes
        self.engagement += engagement
        networks = self.networks
        networks[post.network] = networks.get(post.network, 0) + 1
        if post.country:
            code = post.country.upper()
            self.countries[code] = self.countries.get(code, 0) + 1
        if post.lang:
            self.langs[post.lang] = self.langs.get(post.lang, 0) + 1
        if post.kind != "article":  # an outlet's article is press, not a person talking about the brand
            a = post.author
            key = a.id or a.handle
            entry = self.authors.get(key)
            if entry is None:
                self.authors[key] = [1, engagement, a.followers or 0, ts, a.handle, a.name, a.avatar_url, a.verified]
                if len(self.authors) >= 2 * self.kept:
                    self.author_floor = max(self.author_floor, _prune(self.authors, self.kept))
            else:
                entry[0] += 1
                entry[1] += engagement
                if a.followers and a.followers > entry[2]:
                    entry[2] = a.followers
                if ts >= entry[3]:  # the newest post names the author as they are now
                    entry[3], entry[4], entry[5], entry[6], entry[7] = ts, a.handle, a.name, a.avatar_url, a.verified
        for key, label in topics:
            counted = self.topics.get(key)
            if counted is None:
                # shown in lower case (accents kept): the same topic reads the same whoever wrote it first
                self.topics[key] = [1, label.lower()]
                if len(self.topics) >= 2 * self.kept:
                    self.topic_floor = max(self.topic_floor, _prune(self.topics, self.kept))
            else:
                counted[0] += 1

    def absorb(self, other: Bucket) -> None:
        """Add another bucket's counts to this one (a quarter rolling into its hour)."""
        self.stamp = next(_STAMPS)
        _add_exact(self, other)
        _merge_authors(self.authors, other.authors)
        _merge_topics(self.topics, other.topics)
        self.author_floor += other.author_floor
        self.topic_floor += other.topic_floor
        if len(self.authors) >= 2 * self.kept:
            self.author_floor = max(self.author_floor, _prune(self.authors, self.kept))
        if len(self.topics) >= 2 * self.kept:
            self.topic_floor = max(self.topic_floor, _prune(self.topics, self.kept))

    def to_json(self) -> list[Any]:
        return [
            self.n,
            self.tones,
            self.engagement,
            self.networks,
            self.countries,
            self.langs,
            self.authors,
            self.topics,
            self.author_floor,
            self.topic_floor,
        ]

    @classmethod
    def from_json(cls, data: list[Any], kept: int) -> Bucket:
        b = cls(kept)
        (
            b.n,
            b.tones,
            b.engagement,
            b.networks,
            b.countries,
            b.langs,
            b.authors,
            b.topics,
            b.author_floor,
            b.topic_floor,
        ) = data
        return b


def _merge_authors(into: dict[str, list[Any]], other: dict[str, list[Any]]) -> None:
    for key, e in other.items():
        have = into.get(key)
        if have is None:
            into[key] = list(e)
        else:
            have[0] += e[0]
            have[1] += e[1]
            have[2] = max(have[2], e[2])
            if e[3] >= have[3]:  # the newest post names the author as they are now
                have[3:8] = e[3:8]


def _merge_topics(into: dict[str, list[Any]], other: dict[str, list[Any]]) -> None:
    for key, (n, label) in other.items():
        have = into.get(key)
        if have is None:
            into[key] = [n, label]
        else:
            have[0] += n


def _prune(table: dict[str, list[Any]], keep: int) -> int:
    """Keep the `keep` largest entries (by their first number); the largest count dropped."""
    kept = heapq.nlargest(keep, table.items(), key=lambda kv: kv[1][0])
    keys = {k for k, _ in kept}
    dropped = max((v[0] for k, v in table.items() if k not in keys), default=0)
    table.clear()
    table.update(kept)
    return dropped


@dataclass
class _Totals:
    """Buckets merged over a window (never pruned)."""

    n: int = 0
    tones: list[int] = field(default_factory=lambda: [0, 0, 0])
    engagement: int = 0
    networks: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    langs: dict[str, int] = field(default_factory=dict)
    authors: dict[str, list[Any]] = field(default_factory=dict)
    topics: dict[str, list[Any]] = field(default_factory=dict)
    author_error: int = 0  # the sum of the merged buckets' floors
    topic_error: int = 0


class FeedWindows:
    """One feed's counters (see the module docstring)."""

    def __init__(self, since: datetime | None = None) -> None:
        self.lock = threading.Lock()
        self.since = since  # counting is complete from here on (None: nothing counted yet)
        self.tiers: tuple[dict[int, Bucket], dict[int, Bucket]] = ({}, {})
        self.seen: dict[int, set[int]] = {}  # hour bucket -> hashes of the keys counted in it
        self.seen_total = 0
        self.dirty: set[tuple[int, int]] = set()  # (tier, bucket) changed since the file was written
        self.dropped: dict[int, int] = {}  # tier -> buckets before this one were forgotten (for the file)
        self.merges: dict[str, tuple[tuple[int, ...], _Totals]] = {}  # see _settled_totals

    # -------------------------------------------------------------- counting (the poller's thread)

    def add(self, posts: Iterable[Post], at: datetime) -> int:
        """Count the posts not counted before; returns how many were new. A post dated after `at`
        (a source's clock ahead of ours) counts at `at`."""
        now = at.timestamp()
        added = 0
        quarters, hours = self.tiers
        first_quarter = int(now // QUARTER_S) - QUARTERS_KEPT + 1
        first_hour = int(now // HOUR_S) - HOURS_KEPT + 1
        oldest = self.since.timestamp() if self.since is not None else now
        dirty, seen_by_hour = self.dirty, self.seen
        with self.lock:
            self._roll(first_quarter)
            for post in posts:
                ts = post.published_at.timestamp()
                if ts > now:
                    ts = now
                hour = int(ts // HOUR_S)
                if hour < first_hour:
                    continue  # older than the longest window
                h = key_hash(post.key)
                seen = seen_by_hour.get(hour)
                if seen is None:
                    seen = seen_by_hour[hour] = set()
                elif h in seen:
                    continue  # re-delivered: counted once
                seen.add(h)
                quarter = int(ts // QUARTER_S)
                if quarter >= first_quarter:
                    tier, index, buckets, cap = QUARTERS, quarter, quarters, QUARTER_KEPT
                else:
                    tier, index, buckets, cap = HOURS, hour, hours, HOUR_KEPT
                b = buckets.get(index)
                if b is None:
                    b = buckets[index] = Bucket(cap)
                b.add(post, ts, topic_keys(post))
                b.stamp = next(_STAMPS)
                dirty.add((tier, index))
                added += 1
                if ts < oldest:
                    oldest = ts
            if added:
                self.seen_total += added
                self.since = datetime.fromtimestamp(oldest, UTC)
                self._expire(first_hour)
        return added

    def _roll(self, first_quarter: int) -> None:
        """Quarters older than 48 h join their hour (their counts move: nothing is counted twice)."""
        quarters, hours = self.tiers
        for q in [q for q in quarters if q < first_quarter]:
            hour = q * QUARTER_S // HOUR_S
            b = hours.get(hour)
            if b is None:
                b = hours[hour] = Bucket(HOUR_KEPT)
            b.absorb(quarters.pop(q))
            self.dirty.discard((QUARTERS, q))
            self.dirty.add((HOURS, hour))
            self.dropped[QUARTERS] = max(self.dropped.get(QUARTERS, first_quarter), first_quarter)

    def _expire(self, first_hour: int) -> None:
        """Forget hours past 30 days, and the oldest hashes beyond SEEN_MAX."""
        hours = self.tiers[HOURS]
        old = [b for b in hours if b < first_hour]
        for b in old:
            del hours[b]
            self.dirty.discard((HOURS, b))
        if old:
            self.dropped[HOURS] = max(self.dropped.get(HOURS, first_hour), first_hour)
        for hour in [h for h in self.seen if h < first_hour]:
            self.seen_total -= len(self.seen.pop(hour))
        if self.seen_total > SEEN_MAX:
            for hour in sorted(self.seen):
                self.seen_total -= len(self.seen.pop(hour))
                if self.seen_total <= SEEN_MAX:
                    break

    # -------------------------------------------------------------- the file (the writer's thread)

    def take_dirty(self) -> tuple[list[tuple[int, int, str]], dict[int, int]]:
        """The buckets changed since the last call, as (tier, bucket, JSON), and the tiers' first
        kept bucket where older ones were forgotten; forgets both (requeue them on a failed write)."""
        with self.lock:
            rows = []
            for tier, b in self.dirty:
                bucket = self.tiers[tier].get(b)
                if bucket is None:
                    continue
                rows.append((tier, b, json.dumps(bucket.to_json(), separators=(",", ":"))))
            dropped = dict(self.dropped)
            self.dirty.clear()
            self.dropped.clear()
        return rows, dropped

    def requeue(self, rows: Iterable[tuple[int, int, str]], dropped: dict[int, int]) -> None:
        with self.lock:
            self.dirty.update((tier, b) for tier, b, _ in rows)
            for tier, first in dropped.items():
                self.dropped[tier] = max(self.dropped.get(tier, first), first)

    @classmethod
    def restore(
        cls, since: datetime | None, rows: Iterable[tuple[int, int, str]], counted: Iterable[Post]
    ) -> FeedWindows:
        """The counters as the file kept them (rows: (tier, bucket, JSON) as take_dirty made them).
        `counted`: posts known to be counted already (the store's restored buffer), so a source that
        re-delivers them after the restart does not count them twice. The hashes of every counted
        key are not kept on disk (a busy hour holds hundreds of thousands): re-deliveries after a
        restart come from the newest posts, which the buffer holds."""
        w = cls(since)
        for tier, b, body in rows:
            w.tiers[tier][b] = Bucket.from_json(json.loads(body), QUARTER_KEPT if tier == QUARTERS else HOUR_KEPT)
        for post in counted:
            w.seen.setdefault(int(post.published_at.timestamp() // HOUR_S), set()).add(key_hash(post.key))
            w.seen_total += 1
        return w

    @classmethod
    def merged(cls, members: Sequence[FeedWindows]) -> FeedWindows:
        """Counters holding what several feeds counted (an aggregate's, when it is set up after its
        members counted: a post two of them delivered is then counted twice in that past, never after,
        as the aggregate counts new posts itself)."""
        w = cls()
        for m in members:
            with m.lock:
                for tier in (QUARTERS, HOURS):
                    for index, bucket in m.tiers[tier].items():
                        have = w.tiers[tier].get(index)
                        if have is None:
                            have = w.tiers[tier][index] = Bucket(bucket.kept)
                        have.absorb(bucket)
                for hour, seen in m.seen.items():
                    w.seen.setdefault(hour, set()).update(seen)
                if m.since is not None and (w.since is None or m.since > w.since):
                    w.since = m.since  # complete once every member counts
        w.seen_total = sum(len(s) for s in w.seen.values())
        return w

    # -------------------------------------------------------------- figures

    def figures(self, t: datetime) -> dict[str, Metric]:
        """Every window's figures at time t (see WINDOWS and window_name)."""
        return figures_of([self], t, self.merges)


def _span(window: timedelta, t: datetime) -> tuple[int, int, int]:
    """(step in s, first bucket, last bucket) of a window ending at t: quarters up to 48 h, hours beyond."""
    step = QUARTER_S if window <= timedelta(hours=48) else HOUR_S
    now = t.timestamp()
    return step, int((now - window.total_seconds()) // step), int(now // step)


def _collect(windows: Sequence[FeedWindows], step: int, first: int, last: int) -> list[tuple[int, Bucket]]:
    """(position from `first`, bucket) of every bucket of these feeds in [first, last] (in `step`
    units): by hour, the hours tier and the quarters not yet rolled into it."""
    out = []
    for w in windows:
        quarters, hours = w.tiers
        if step == QUARTER_S:
            out += [(q - first, b) for q, b in quarters.items() if first <= q <= last]
        else:
            per_hour = HOUR_S // QUARTER_S
            out += [(h - first, b) for h, b in hours.items() if first <= h <= last]
            out += [(q // per_hour - first, b) for q, b in quarters.items() if first <= q // per_hour <= last]
    return out


def _add_exact(into: Bucket | _Totals, other: Bucket) -> None:
    """Add the counts kept exactly (posts, tones, engagement, networks, countries, languages)."""
    into.n += other.n
    for i in range(3):
        into.tones[i] += other.tones[i]
    into.engagement += other.engagement
    for src, dst in ((other.networks, into.networks), (other.countries, into.countries), (other.langs, into.langs)):
        for k, v in src.items():
            dst[k] = dst.get(k, 0) + v


def _merge(buckets: Iterable[Bucket]) -> _Totals:
    out = _Totals()
    for bucket in buckets:
        _add_exact(out, bucket)
        _merge_authors(out.authors, bucket.authors)
        _merge_topics(out.topics, bucket.topics)
        out.author_error += bucket.author_floor
        out.topic_error += bucket.topic_floor
    return out


def _settled_totals(
    merges: dict[str, tuple[tuple[int, ...], _Totals]] | None, role: str, buckets: list[Bucket]
) -> _Totals:
    """The buckets merged, or the totals merged for `role` last time when these are the same buckets
    unchanged since (their stamps say): a recomputation after a poll then merges only the bucket the
    poll filled instead of a day's (a month's) worth. One entry per role: a few windows' totals per
    feed, as large as one merge of each."""
    stamps = tuple(sorted(b.stamp for b in buckets))
    if merges is not None:
        hit = merges.get(role)
        if hit is not None and hit[0] == stamps:
            return hit[1]
    totals = _merge(buckets)
    if merges is not None:
        merges[role] = (stamps, totals)
    return totals


def _plus(base: _Totals, buckets: Sequence[Bucket]) -> _Totals:
    """base with these buckets added, base unchanged (it is kept for the next recomputation): its
    tables are copied shallowly and only the entries the buckets touch are new lists."""
    if not buckets:
        return base
    out = _Totals(
        base.n,
        list(base.tones),
        base.engagement,
        dict(base.networks),
        dict(base.countries),
        dict(base.langs),
        dict(base.authors),
        dict(base.topics),
        base.author_error,
        base.topic_error,
    )
    authors, topics = out.authors, out.topics
    for bucket in buckets:
        _add_exact(out, bucket)
        for key, e in bucket.authors.items():
            have = authors.get(key)
            if have is None:
                authors[key] = list(e)
            else:  # a new list: `have` may be base's
                newest = e if e[3] >= have[3] else have
                authors[key] = [have[0] + e[0], have[1] + e[1], max(have[2], e[2]), *newest[3:8]]
        for key, (n, label) in bucket.topics.items():
            have = topics.get(key)
            topics[key] = [n, label] if have is None else [have[0] + n, have[1]]
        out.author_error += bucket.author_floor
        out.topic_error += bucket.topic_floor
    return out


@lru_cache(maxsize=64)
def _axis(step: int, first: int, last: int) -> tuple[datetime, ...]:
    """The start of every bucket from first to last: a series' time axis (the same for every feed
    and every recomputation within a quarter, so made once)."""
    return tuple(datetime.fromtimestamp(b * step, UTC) for b in range(first, last + 1))


def _tone_of(slot: int) -> Callable[[Bucket], int]:
    return lambda b: b.tones[slot]


def _series(found: Iterable[tuple[int, Bucket]], length: int, value: Callable[[Bucket], int]) -> list[float]:
    """A value per bucket position, summed over the feeds (0 where no post fell)."""
    out = [0.0] * length
    for i, bucket in found:
        out[i] += value(bucket)
    return out


def _label(window: str, start: datetime, since: datetime | None, t: datetime) -> str:
    """'24h', or 'since 09:12' (local time; with the date when not today) while counting began
    after the window's start."""
    if since is None or since <= start:
        return window
    local, now = since.astimezone(), t.astimezone()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() == now.date():
        return f"since {clock}"
    return f"since {local.day} {local.strftime('%b')} {clock}"


def _error_note(error: int) -> str:
    return PROVENANCE if not error else f"{PROVENANCE}; counts may be low by up to {error} (busiest feeds only)"


def figures_of(
    windows: Sequence[FeedWindows], t: datetime, merges: dict[str, tuple[tuple[int, ...], _Totals]] | None = None
) -> dict[str, Metric]:
    """Every window's figures at time t over the posts of these feeds (several: an aggregate feed);
    `merges` keeps merged totals from one call to the next (see _settled_totals)."""
    out: dict[str, Metric] = {}
    locks = [w.lock for w in windows]
    for lock in locks:
        lock.acquire()
    try:
        counted = [w.since for w in windows if w.since is not None]
        if not counted:
            return out
        since = max(counted)  # an aggregate is complete once every member counts
        for name, length in WINDOWS.items():
            out.update(_window_figures(windows, name, length, t, since, merges))
    finally:
        for lock in locks:
            lock.release()
    return out


def _window_figures(
    windows: Sequence[FeedWindows],
    name: str,
    length: timedelta,
    t: datetime,
    since: datetime,
    merges: dict[str, tuple[tuple[int, ...], _Totals]] | None,
) -> dict[str, Metric]:
    step, first, last = _span(length, t)
    start = datetime.fromtimestamp(first * step, UTC)
    label = _label(name, start, since, t)
    found = _collect(windows, step, first, last)
    span = last - first + 1
    # the bucket of `t` fills with every poll; the others seldom change (a late post): merged once
    settled = _settled_totals(merges, name, [b for i, b in found if i != span - 1])
    totals = _plus(settled, [b for i, b in found if i == span - 1])
    out: dict[str, Metric] = {}

    def metric(kind: str, **kw: Any) -> None:
        kw.setdefault("provenance", PROVENANCE)
        out[window_name(kind, name)] = Metric(computed_at=t, window=label, **kw)

    # the same window just before, for the change a KPI shows ("vs previous 24h"), when it was counted
    previous = None
    if since <= datetime.fromtimestamp((first - span) * step, UTC):
        previous = sum(b.n for _, b in _collect(windows, step, first - span, first - 1))
    metric("kpi.posts", name="Posts", value=float(totals.n), previous=float(previous) if previous else None)
    if totals.n == 0:
        return out
    times = _axis(step, first, last)
    unit = "posts/15 min" if step == QUARTER_S else "posts/hour"
    volume = _series(found, span, lambda b: b.n)
    metric("volume", name="Mentions", unit=unit, series=tuple(zip(times, volume, strict=True)))
    if any(totals.tones):
        for i, tone in enumerate(TONES):
            series = _series(found, span, _tone_of(i))
            metric(f"volume.{tone}", name=tone.capitalize(), series=tuple(zip(times, series, strict=True)))
        breakdown = {tone: float(totals.tones[i]) for i, tone in enumerate(TONES)}
        metric("sentiment", name="Tone", unit="posts", breakdown=breakdown)
    for kind, title, table in (
        ("networks", "Posts per network", totals.networks),
        ("countries", "Activity per country", totals.countries),
        ("languages", "Posts per language", totals.langs),
    ):
        if table:
            metric(kind, name=title, unit="posts", breakdown={k: float(v) for k, v in table.items()})
    tags = [(k, v) for k, v in totals.topics.items() if is_hashtag(k)]
    words = [(k, v) for k, v in totals.topics.items() if not is_hashtag(k)]
    for kind, title, items in (("topics", "Trending topics", tags), ("terms", "Frequent terms", words)):
        if items:
            top = heapq.nlargest(TOP_SHOWN, items, key=lambda kv: (kv[1][0], kv[0]))
            metric(
                kind,
                name=title,
                unit="posts",
                breakdown={label: float(n) for _, (n, label) in top},
                provenance=_error_note(totals.topic_error),
            )
    if totals.authors:
        # the same window COMPARE_S earlier, for rank changes, when counting had begun before its end
        # (both windows then begin where counting began: a ranking of what was counted by then)
        shift = COMPARE_S // step
        before: dict[str, list[Any]] | None = None
        if since < datetime.fromtimestamp((last - shift + 1) * step, UTC):
            earlier = _collect(windows, step, first - shift, last - shift)
            before = _settled_totals(merges, f"{name}-{COMPARE_S}s", [b for _, b in earlier]).authors
        for ranking, order in RANKINGS.items():
            metric(
                "influencers" if ranking == "mentions" else f"influencers.{ranking}",
                name="Influencers",
                leaderboard=_leaders(totals.authors, order, before),
                compared_s=COMPARE_S if before is not None else None,
                provenance=_error_note(totals.author_error),
            )
    return out


AuthorOrder = Callable[[tuple[str, list[Any]]], tuple[Any, ...]]

# How a leaderboard ranks an author's counters (posts, engagement, reach, ...: see Bucket.authors); ties
# go to the other figures, then the name and the key, so equal counts keep one stable order.
RANKINGS: dict[str, AuthorOrder] = {
    "mentions": lambda kv: (-kv[1][0], -kv[1][1], kv[1][5], kv[0]),
    "engagement": lambda kv: (-kv[1][1], -kv[1][0], kv[1][5], kv[0]),
    "reach": lambda kv: (-kv[1][2], -kv[1][0], kv[1][5], kv[0]),
}
COMPARE_S = 60 * 60  # leaderboards say how each author moved since an hour earlier


def _leaders(
    authors: dict[str, list[Any]], order: AuthorOrder, before: dict[str, list[Any]] | None
) -> tuple[LeaderboardEntry, ...]:
    """The LEADERS_SHOWN first authors in `order`, each with its rank in `before` (the same window an
    hour earlier) when it was ranked there."""
    ranked = heapq.nsmallest(LEADERS_SHOWN, authors.items(), key=order)
    previous = _previous_ranks(before, [key for key, _ in ranked], order) if before else {}
    return tuple(
        LeaderboardEntry(
            author=Author(id=key, handle=e[4], name=e[5], avatar_url=e[6], followers=e[2] or None, verified=bool(e[7])),
            mentions=e[0],
            reach=e[2] or None,
            engagement=float(e[1]),
            previous_rank=previous.get(key),
        )
        for key, e in ranked
    )


def _previous_ranks(before: dict[str, list[Any]], keys: list[str], order: AuthorOrder) -> dict[str, int]:
    """The rank each of `keys` had in `before`. Only authors ordered no lower than the lowest of them
    can rank above one of them, so only those are sorted (a busy feed has thousands of authors)."""
    present = [(key, before[key]) for key in keys if key in before]
    if not present:
        return {}
    last = max(order(kv) for kv in present)
    rivals = sorted((kv for kv in before.items() if order(kv) <= last), key=order)
    rank = {key: i + 1 for i, (key, _) in enumerate(rivals)}
    return {key: rank[key] for key, _ in present}


def bucket_start(tier: int, bucket: int) -> datetime:
    return datetime.fromtimestamp(bucket * (QUARTER_S if tier == QUARTERS else HOUR_S), UTC)


__all__ = [
    "FeedWindows",
    "figures_of",
    "key_hash",
    "QUARTERS",
    "HOURS",
    "bucket_start",
]
