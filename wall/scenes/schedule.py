"""The wall's week: opening hours, day-parts, calendar entries and the night state, as a pure
function of time.

`Schedule.state(t)` says what the schedule wants at instant `t`: open or closed, which scenario,
why (a sentence for the console), until when nothing changes, and at night how dark the wall is
and by how many pixels it is shifted. Nothing here reads a clock: the director passes the frame's
time, so a render at a given --time and every machine of a wall agree.

What wins, most specific first:

1. a dated calendar entry (`calendar:`: a date or a date range, all day or at given times; it may
   also close the wall, for a public holiday),
2. a weekly entry (`weekly:`: every Tuesday 10:00-11:00 -> launch),
3. a day-part (`dayparts:`: 07:00-12:00 -> monitoring), only while the wall is open,
4. the default scenario, while the wall is open;
5. otherwise the wall is closed: the night state (dimmed, or a black screen saver).

Within one kind the entry with the higher `priority` wins; on a tie, the one listed first. A
calendar entry (dated or weekly) shows its scenario for its time even outside opening hours (the
wall opens for it: an evening launch on a closed Saturday); a day-part only refines opening hours.

Times are wall-clock times in the schedule's time zone, so 07:00 is 07:00 in winter and in summer.
A range may cross midnight ("18:00-02:00" on Friday runs into Saturday night) and belongs to the
day it starts on. On the day clocks go forward a time inside the skipped hour happens when the
clock jumps (in Paris on 2026-03-29, 02:30 is 03:00 CEST, so "02:30-03:30" lasts half an hour); on
the day they go back, a repeated time counts once, at its first occurrence (PEP 495, fold=0).

Night pixel shift: an OLED or LCD panel showing the same pixels all night keeps a ghost of them. At
night the picture walks by one pixel every `shift_every_s` seconds along a fixed path over a small
square of offsets (±`pixel_shift_px`), out and back. The step is a function of the epoch time, so
every machine of a wall shifts together.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ..calendar_names import WEEKDAYS
from ..config.syntax import ALL_DAY, ClockRange, parse_date_span, parse_days, parse_hours, zone

__all__ = ["Schedule", "ScheduleState", "NightState", "pixel_shift"]

DAY_HORIZON = 8  # days looked ahead for the next change: a week, and a day for ranges that cross midnight
MAX_LOOKAHEAD_DAYS = 400  # calendar entries further ahead than this are not looked for by `until`

Source = Literal["calendar", "weekly", "daypart", "default", "closed"]


# ------------------------------------------------------------------------------------------- pixel shift


@lru_cache(maxsize=16)
def _walk(px: int) -> tuple[tuple[int, int], ...]:
    """Every offset of the (2px+1)² square, row by row, each row the other way round (a snake):
    consecutive offsets are one pixel apart."""
    out: list[tuple[int, int]] = []
    for row, dy in enumerate(range(-px, px + 1)):
        xs = range(-px, px + 1) if row % 2 == 0 else range(px, -px - 1, -1)
        out.extend((dx, dy) for dx in xs)
    return tuple(out)


def pixel_shift(t: datetime, px: int, every_s: float) -> tuple[int, int]:
    """The night's picture offset at t: one pixel further along the walk every `every_s` seconds,
    out to the end and back, from the epoch (the same on every machine)."""
    if px <= 0:
        return (0, 0)
    path = _walk(px)
    cycle = 2 * len(path) - 2
    i = math.floor(t.timestamp() / every_s) % cycle
    return path[i if i < len(path) else cycle - i]


# ------------------------------------------------------------------------------------------- states


@dataclass(frozen=True)
class NightState:
    mode: Literal["dim", "black"]
    level: float  # brightness the outputs show the picture at, 0..1 (black: 0)
    shift: tuple[int, int]  # pixels the picture is moved by (dx right, dy down)


@dataclass(frozen=True)
class ScheduleState:
    open: bool
    scenario: str | None  # what the schedule wants shown now (None: a black screen)
    source: Source
    reason: str  # for the console: "day-part 07:00-12:00 (monitoring)"
    until: datetime | None  # the next change of open / scenario / source / reason, in UTC (None: none ahead)
    night: NightState | None  # set while closed


@dataclass(frozen=True)
class _Entry:
    kind: Literal["calendar", "weekly", "daypart"]
    scenario: str | None  # None: a calendar entry that closes the wall
    ranges: tuple[ClockRange, ...]
    days: frozenset[int] | None  # weekly entries and day-parts
    span: tuple[date, date] | None  # calendar entries
    priority: int
    order: int
    label: str | None

    def on(self, d: date) -> bool:
        if self.span is not None:
            return self.span[0] <= d <= self.span[1]
        assert self.days is not None
        return d.weekday() in self.days


@dataclass(frozen=True)
class _Segment:
    """What stays the same between two changes."""

    open: bool
    scenario: str | None
    source: Source
    reason: str


_KIND_RANK = {"calendar": 3, "weekly": 2, "daypart": 1}


class Schedule:
    """The schedule of one wall. Build it with `from_config`; ask it with `state(t)`."""

    def __init__(
        self,
        tz: ZoneInfo,
        hours: dict[int, tuple[ClockRange, ...]],
        default: str | None,
        entries: list[_Entry],
        night_mode: Literal["dim", "black"] = "black",
        night_level: float = 0.15,
        night_scenario: str | None = None,
        shift_px: int = 4,
        shift_every_s: float = 60.0,
        configured: bool = True,
    ):
        self.tz = tz
        self.hours = {d: hours.get(d, ()) for d in range(7)}
        self.default = default
        self.entries = sorted(entries, key=lambda e: (-_KIND_RANK[e.kind], -e.priority, e.order))
        self.night_mode = night_mode
        self.night_level = 0.0 if night_mode == "black" else night_level
        self.night_scenario = None if night_mode == "black" else (night_scenario or default)
        self.shift_px = shift_px
        self.shift_every_s = shift_every_s
        self.configured = configured
        self._dated_last = max((e.span[1] for e in entries if e.span is not None), default=None)
        self._cache: tuple[datetime, datetime, datetime | None, _Segment] | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> Schedule:
        """From a WallConfig (or a LoadedConfig). A wall without `schedule:` is always open on its
        default scenario. Given only its ScheduleConfig, a schedule without `default:` says None
        while open: the wall's default, which the caller knows."""
        cfg = getattr(cfg, "config", cfg)
        if hasattr(cfg, "scenarios"):
            wall_default, sc = cfg.default_scenario or next(iter(cfg.scenarios)), cfg.schedule
        else:
            wall_default, sc = None, cfg
        if sc is None:
            return cls(ZoneInfo("UTC"), {d: (ALL_DAY,) for d in range(7)}, wall_default, [], configured=False)
        hours = {d: parse_hours(text) for spec, text in sc.hours.items() for d in parse_days(spec)}
        entries: list[_Entry] = []
        for i, p in enumerate(sc.dayparts):
            entries.append(
                _Entry(
                    "daypart",
                    p.scenario,
                    parse_hours(p.at, allow_closed=False),
                    parse_days(p.days),
                    None,
                    p.priority,
                    i,
                    None,
                )
            )
        for i, w in enumerate(sc.weekly):
            entries.append(
                _Entry(
                    "weekly",
                    w.scenario,
                    parse_hours(w.at, allow_closed=False),
                    parse_days(w.days),
                    None,
                    w.priority,
                    i,
                    w.label,
                )
            )
        for i, c in enumerate(sc.calendar):
            ranges = parse_hours(c.at, allow_closed=False) if c.at is not None else (ALL_DAY,)
            entries.append(
                _Entry(
                    "calendar",
                    None if c.closed else c.scenario,
                    ranges,
                    None,
                    parse_date_span(c.date),
                    c.priority,
                    i,
                    c.label,
                )
            )
        n = sc.night
        return cls(
            zone(sc.timezone),
            hours,
            sc.default or wall_default,
            entries,
            n.mode,
            n.level,
            n.scenario,
            n.pixel_shift_px,
            n.shift_every_s,
        )

    # -------------------------------------------------------------- asking

    def state(self, t: datetime) -> ScheduleState:
        """What the schedule wants at t (timezone-aware). Cheap when asked every frame: the state is
        kept until its next change, and only the night's pixel shift is computed each time."""
        if t.tzinfo is None:
            raise ValueError("Schedule.state needs a timezone-aware time")
        cached = self._cache  # (asked at, valid until, until, segment)
        if cached is not None and cached[0] <= t < cached[1]:
            _, _, until, seg = cached
        else:
            seg = self._segment(t)
            until = self._next_change(t, seg)
            # nothing ahead: look again in a week (a calendar entry may come into view)
            self._cache = (t, until or t + timedelta(days=DAY_HORIZON), until, seg)
        night = None
        if not seg.open:
            night = NightState(self.night_mode, self.night_level, pixel_shift(t, self.shift_px, self.shift_every_s))
        return ScheduleState(seg.open, seg.scenario, seg.source, seg.reason, until, night)

    # -------------------------------------------------------------- inside

    def _instant(self, d: date, minutes: int) -> datetime:
        """The instant a wall-clock time of local date d happens (UTC)."""
        naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minutes)
        t = naive.replace(tzinfo=self.tz).astimezone(UTC)  # fold=0: a repeated time's first occurrence
        if t.astimezone(self.tz).replace(tzinfo=None) == naive:
            return t
        # skipped by a change to summer time: it happens when the clock jumps, the first second
        # whose local time is past it
        lo = int(naive.replace(tzinfo=self.tz, fold=1).astimezone(UTC).timestamp())
        hi = int(t.timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).replace(tzinfo=None) < naive:
                lo = mid
            else:
                hi = mid
        return datetime.fromtimestamp(hi, UTC)

    def _occurrences(self, ranges: tuple[ClockRange, ...], d: date) -> Iterator[tuple[datetime, datetime, ClockRange]]:
        for r in ranges:
            end = r.end + (1440 if r.crosses_midnight else 0)
            yield self._instant(d, r.start), self._instant(d, end), r

    def _covering(self, ranges: tuple[ClockRange, ...], t: datetime, days) -> tuple[date, ClockRange] | None:
        """The occurrence of `ranges` (on the days `days(d)` accepts) that contains t, if any."""
        today = t.astimezone(self.tz).date()
        for d in (today, today - timedelta(days=1)):
            if days(d):
                for start, end, r in self._occurrences(ranges, d):
                    if start <= t < end:
                        return d, r
        return None

    def _open_range(self, t: datetime) -> ClockRange | None:
        today = t.astimezone(self.tz).date()
        for d in (today, today - timedelta(days=1)):
            for start, end, r in self._occurrences(self.hours[d.weekday()], d):
                if start <= t < end:
                    return r
        return None

    def _segment(self, t: datetime) -> _Segment:
        open_range = self._open_range(t)
        for e in self.entries:  # most specific kind first, then priority, then order
            if e.kind == "daypart" and open_range is None:
                continue
            hit = self._covering(e.ranges, t, e.on)
            if hit is None:
                continue
            d, r = hit
            if e.kind == "daypart":
                return _Segment(True, e.scenario, "daypart", f"day-part {r} ({e.scenario})")
            if e.kind == "weekly":
                when = f"weekly {WEEKDAYS[d.weekday()]} {r}"
                what = f"{e.label}, {when}" if e.label else when
                return _Segment(True, e.scenario, "weekly", f"{what} ({e.scenario})")
            assert e.span is not None
            span = str(e.span[0]) if e.span[0] == e.span[1] else f"{e.span[0]}..{e.span[1]}"
            when = f"calendar {span}" + ("" if r == ALL_DAY else f" {r}")
            what = f"{e.label}, {when}" if e.label else when
            if e.scenario is None:
                return _Segment(False, self.night_scenario, "calendar", f"closed: {what}")
            return _Segment(True, e.scenario, "calendar", f"{what} ({e.scenario})")
        if open_range is not None:
            if not self.configured:
                return _Segment(True, self.default, "default", f"no schedule: always open ({self.default})")
            hours = "open all day" if open_range == ALL_DAY else f"open {open_range}"
            default = f" ({self.default})" if self.default else ""
            return _Segment(True, self.default, "default", f"{hours}, default scenario{default}")
        return _Segment(False, self.night_scenario, "closed", "closed: outside opening hours")

    def _boundaries(self, d: date) -> set[datetime]:
        """Every instant at which a range starting on local date d begins or ends."""
        out: set[datetime] = set()
        for start, end, _ in self._occurrences(self.hours[d.weekday()], d):
            out.update((start, end))
        for e in self.entries:
            if e.on(d):
                for start, end, _ in self._occurrences(e.ranges, d):
                    out.update((start, end))
        return out

    def _next_change(self, t: datetime, seg: _Segment) -> datetime | None:
        """The first boundary after t where the segment differs, day by day: a week ahead, or up to
        the last calendar entry and a week past it."""
        if not self.configured:
            return None
        first = t.astimezone(self.tz).date()
        last = first + timedelta(days=DAY_HORIZON)
        if self._dated_last is not None:
            last = max(
                last, min(self._dated_last + timedelta(days=DAY_HORIZON), first + timedelta(days=MAX_LOOKAHEAD_DAYS))
            )
        one = timedelta(days=1)
        previous = self._boundaries(first - one)
        d = first
        while d <= last:
            # a boundary on local date d comes from a range starting on d, or on d-1 (past midnight)
            current = self._boundaries(d)
            lo, hi = self._instant(d, 0), self._instant(d + one, 0)
            for b in sorted(b for b in previous | current if lo <= b < hi and b > t):
                if self._segment(b) != seg:
                    return b
            previous = current
            d += one
        return None
