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

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterator, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Schedule", "ScheduleState", "NightState", "ClockRange", "pixel_shift",
    "parse_days", "parse_clock", "parse_clock_range", "parse_hours", "parse_date_span", "zone",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_HORIZON = 8  # days looked ahead for the next change: a week, and a day for ranges that cross midnight
MAX_LOOKAHEAD_DAYS = 400  # calendar entries further ahead than this are not looked for by `until`

Source = Literal["calendar", "weekly", "daypart", "default", "closed"]


# ------------------------------------------------------------------------------------------- syntax


def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or ValueError saying how to write one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'; use an IANA name like 'Europe/Paris'") from None


def _day(token: str) -> int:
    t = token.strip().lower()
    if t in WEEKDAYS:
        return WEEKDAYS.index(t)
    if t in _FULL_NAMES:
        return _FULL_NAMES.index(t)
    close = difflib.get_close_matches(t, WEEKDAYS + _FULL_NAMES, n=1)
    hint = f" (did you mean '{close[0][:3]}'?)" if close else ""
    raise ValueError(f"unknown weekday '{token.strip()}'{hint}; write mon, tue, wed, thu, fri, sat or sun "
                     "(a range like mon-fri, a list like sat,sun, or daily)")


def parse_days(spec: str) -> frozenset[int]:
    """'mon', 'mon-fri', 'sat,sun', 'fri-mon' (wraps over the weekend), 'daily' -> weekdays (Monday 0)."""
    text = str(spec).strip().lower()
    if text in ("daily", "every day", "all"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"'{spec}' has an empty day; write days like 'mon-fri' or 'sat,sun'")
        if "-" in part:
            a, _, b = part.partition("-")
            first, last = _day(a), _day(b)
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            days.add(_day(part))
    return frozenset(days)


def days_text(days: frozenset[int]) -> str:
    """Weekdays back into the config's words: 'mon-fri', 'sat,sun', 'daily'."""
    if len(days) == 7:
        return "daily"
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(WEEKDAYS[r[0]] if len(r) == 1 else f"{WEEKDAYS[r[0]]}-{WEEKDAYS[r[-1]]}" for r in runs)


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(text: str, *, end: bool = False) -> int:
    """'07:30' -> minutes after midnight; '24:00' only as the end of a range."""
    m = _CLOCK.match(str(text).strip())
    hour, minute = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    if not m or minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        upper = "24:00" if end else "23:59"
        raise ValueError(f"'{str(text).strip()}' is not a time of day; write HH:MM from 00:00 to {upper}")
    return hour * 60 + minute


@dataclass(frozen=True)
class ClockRange:
    """A wall-clock range in minutes after midnight. `end <= start` ends on the next day; 1440 is
    midnight at the end of the day."""

    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        def hm(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return f"{hm(self.start)}-{hm(self.end)}"


ALL_DAY = ClockRange(0, 1440)


def parse_clock_range(text: str) -> ClockRange:
    """'07:00-22:00'; '22:00-02:00' crosses midnight; '00:00-24:00' is the whole day."""
    raw = str(text).strip()
    parts = re.split(r"\s*[-\u2013]\s*", raw)
    if len(parts) != 2:
        raise ValueError(f"'{raw}' is not a time range; write it like '07:00-22:00' (24-hour clock)")
    start, end = parse_clock(parts[0]), parse_clock(parts[1], end=True)
    if start == end:
        raise ValueError(f"'{raw}' starts and ends at the same time; for the whole day write '00:00-24:00'")
    return ClockRange(start, end)


def parse_hours(text: Any, *, allow_closed: bool = True) -> tuple[ClockRange, ...]:
    """'07:00-22:00', '07:00-12:00, 14:00-22:00', 'closed' (no range) -> ranges."""
    if not isinstance(text, str):
        raise ValueError(f"expected a time range in quotes like '07:00-22:00'{' or closed' if allow_closed else ''}, "
                         f"got {text!r}")
    if text.strip().lower() == "closed":
        if not allow_closed:
            raise ValueError("'closed' is not a time range here; write it like '10:00-11:00'")
        return ()
    return tuple(parse_clock_range(part) for part in text.split(","))


def parse_date_span(value: Any) -> tuple[date, date]:
    """A date (2026-11-23) or an inclusive range '2026-12-24..2026-12-26' -> (first, last)."""
    if isinstance(value, datetime):
        raise ValueError(f"'{value}' has a time; write the date alone (YYYY-MM-DD) and the times under at:")
    if isinstance(value, date):
        return value, value
    text = str(value).strip()
    first_text, sep, last_text = text.partition("..")
    try:
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if sep else first
    except ValueError:
        raise ValueError(f"'{text}' is not a date; write YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD") from None
    if last < first:
        raise ValueError(f"'{text}' ends before it starts")
    return first, last


# ------------------------------------------------------------------------------------------- pixel shift


@lru_cache(maxsize=16)
def _walk(px: int) -> tuple[tuple[int, int], ...]:
    """Every offset of the (2px+1)² square, row by row, each row the other way round (a snake):
    consecutive offsets are one pixel apart."""
    out = []
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

    def __init__(self, tz: ZoneInfo, hours: dict[int, tuple[ClockRange, ...]], default: str | None,
                 entries: list[_Entry], night_mode: Literal["dim", "black"] = "black", night_level: float = 0.15,
                 night_scenario: str | None = None, shift_px: int = 4, shift_every_s: float = 60.0,
                 configured: bool = True):
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
    def from_config(cls, cfg: Any) -> "Schedule":
        """From a WallConfig (or a LoadedConfig). A wall without `schedule:` is always open on its
        default scenario. Given only its ScheduleConfig, a schedule without `default:` says None
        while open: the wall's default, which the caller knows."""
        cfg = getattr(cfg, "config", cfg)
        if hasattr(cfg, "scenarios"):
            wall_default, sc = cfg.default_scenario or next(iter(cfg.scenarios)), cfg.schedule
        else:
            wall_default, sc = None, cfg
        if sc is None:
            return cls(ZoneInfo("UTC"), {d: (ALL_DAY,) for d in range(7)}, wall_default, [],
                       configured=False)
        hours = {d: parse_hours(text) for spec, text in sc.hours.items() for d in parse_days(spec)}
        entries: list[_Entry] = []
        for i, p in enumerate(sc.dayparts):
            entries.append(_Entry("daypart", p.scenario, parse_hours(p.at, allow_closed=False), parse_days(p.days),
                                  None, p.priority, i, None))
        for i, w in enumerate(sc.weekly):
            entries.append(_Entry("weekly", w.scenario, parse_hours(w.at, allow_closed=False), parse_days(w.days),
                                  None, w.priority, i, w.label))
        for i, c in enumerate(sc.calendar):
            ranges = parse_hours(c.at, allow_closed=False) if c.at is not None else (ALL_DAY,)
            entries.append(_Entry("calendar", None if c.closed else c.scenario, ranges, None,
                                  parse_date_span(c.date), c.priority, i, c.label))
        n = sc.night
        return cls(zone(sc.timezone), hours, sc.default or wall_default, entries, n.mode, n.level, n.scenario,
                   n.pixel_shift_px, n.shift_every_s)

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
        t = naive.replace(tzinfo=self.tz).astimezone(timezone.utc)  # fold=0: a repeated time's first occurrence
        if t.astimezone(self.tz).replace(tzinfo=None) == naive:
            return t
        # skipped by a change to summer time: it happens when the clock jumps, the first second
        # whose local time is past it
        lo = int(naive.replace(tzinfo=self.tz, fold=1).astimezone(timezone.utc).timestamp())
        hi = int(t.timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).replace(tzinfo=None) < naive:
                lo = mid
            else:
                hi = mid
        return datetime.fromtimestamp(hi, timezone.utc)

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
            last = max(last, min(self._dated_last + timedelta(days=DAY_HORIZON),
                                 first + timedelta(days=MAX_LOOKAHEAD_DAYS)))
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
