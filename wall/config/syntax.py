"""The small languages a wall config is written in, and their parsers: weekdays ('mon-fri'), times of day
and clock ranges ('07:00-22:00', '22:00-02:00'), dates and date ranges ('2026-12-24..2026-12-26'),
durations ('90s', '1h30m'), IANA time zones, and the {placeholders} of alert banners.

Why here: the schema validates a config with these parsers (each mistake at its own line and
column), and the schedule and the alert rules (wall/scenes/) read the same words at run time. Both
import this module; it imports neither, so the config never loads the scenes and the scenes never
load the schema. Pure functions of their text: no clock, no I/O.
"""

from __future__ import annotations

import difflib
import math
import re
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..calendar_names import WEEKDAY_NAMES, WEEKDAYS

__all__ = [
    "WEEKDAYS",
    "ClockRange",
    "ALL_DAY",
    "zone",
    "parse_days",
    "days_text",
    "parse_clock",
    "parse_clock_range",
    "parse_hours",
    "parse_date_span",
    "parse_duration",
    "format_duration",
    "check_template",
    "COMMON_FIELDS",
    "SURGE_FIELDS",
    "THRESHOLD_FIELDS",
]

# ------------------------------------------------------------------------------------------- schedules


# IANA zone names: 'Europe/Paris', 'America/Argentina/ComodRivadavia' (the longest, 32 characters),
# 'Etc/GMT+5', 'EST5EDT', 'UTC'
ZONE_NAME = re.compile(r"^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+){0,3}$")
MAX_ZONE_NAME = 64


def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or ValueError saying how to write one."""
    if not isinstance(name, str) or len(name) > MAX_ZONE_NAME or not ZONE_NAME.match(name):
        shown = repr(name) if len(repr(name)) <= 40 else f"{repr(name)[:39]}… ({len(str(name))} characters)"
        raise ValueError(
            f"{shown} is not a time zone; use an IANA name like 'Europe/Paris' "
            f"(letters, digits, '_', '+', '-' and '/', at most {MAX_ZONE_NAME} characters)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone '{name}'; use an IANA name like 'Europe/Paris'") from None


def _day(token: str) -> int:
    t = token.strip().lower()
    if t in WEEKDAYS:
        return WEEKDAYS.index(t)
    if t in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(t)
    close = difflib.get_close_matches(t, WEEKDAYS + WEEKDAY_NAMES, n=1)
    hint = f" (did you mean '{close[0][:3]}'?)" if close else ""
    raise ValueError(
        f"unknown weekday '{token.strip()}'{hint}; write mon, tue, wed, thu, fri, sat or sun "
        "(a range like mon-fri, a list like sat,sun, or daily)"
    )


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
        raise ValueError(
            f"expected a time range in quotes like '07:00-22:00'{' or closed' if allow_closed else ''}, got {text!r}"
        )
    if text.strip().lower() == "closed":
        if not allow_closed:
            raise ValueError("'closed' is not a time range here; write it like '10:00-11:00'")
        return ()
    return tuple(parse_clock_range(part) for part in text.split(","))


MIN_YEAR, MAX_YEAR = 1970, 2999  # the schedule looks weeks past its last date: never near year 9999


def parse_date_span(value: Any) -> tuple[date, date]:
    """A date (2026-11-23) or an inclusive range '2026-12-24..2026-12-26' -> (first, last)."""
    if isinstance(value, datetime):
        raise ValueError(f"'{value}' has a time; write the date alone (YYYY-MM-DD) and the times under at:")
    text = str(value).strip()
    if isinstance(value, date):
        first = last = value
    else:
        first_text, sep, last_text = text.partition("..")
        try:
            first = date.fromisoformat(first_text.strip())
            last = date.fromisoformat(last_text.strip()) if sep else first
        except ValueError:
            shown = text if len(text) <= 40 else f"{text[:39]}…"
            raise ValueError(f"'{shown}' is not a date; write YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD") from None
    if last < first:
        raise ValueError(f"'{text}' ends before it starts")
    if first.year < MIN_YEAR or last.year > MAX_YEAR:
        raise ValueError(f"'{text}' is not a date the wall will see; write a date from {MIN_YEAR} to {MAX_YEAR}")
    return first, last


# ------------------------------------------------------------------------------------------- alert rules

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|min|m|s)")
_UNIT_S = {"d": 86400, "h": 3600, "min": 60, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    """'90s', '15m', '1h', '1h30m', '2d', or a number of seconds -> timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a duration; give a positive number of seconds or '15m', '1h'")
        return _bounded(value, value)
    text = str(value).strip().lower().replace(" ", "")
    pos, seconds = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        seconds += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        shown = value if len(str(value)) <= 40 else f"{str(value)[:39]}…"
        raise ValueError(f"'{shown}' is not a duration; write it like '90s', '15m', '1h' or '1h30m'")
    return _bounded(seconds, value)


MAX_DURATION = timedelta(days=366)  # what any duration of a wall config may be (the settings ask for less)


def _bounded(seconds: float, value: Any) -> timedelta:
    if not seconds <= MAX_DURATION.total_seconds():  # also nan and inf, from '1e999s' written out
        shown = value if len(str(value)) <= 40 else f"{str(value)[:39]}…"
        raise ValueError(f"'{shown}' is longer than any duration a wall config takes (at most 366d)")
    return timedelta(seconds=seconds)


def format_duration(td: timedelta) -> str:
    """timedelta -> the config's words: '1h', '12h', '15m', '1h30m', '45s'."""
    s = int(round(td.total_seconds()))
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out += f"{s // size}{unit}"
            s %= size
    return out or "0s"


# the placeholders a banner may use, per condition
COMMON_FIELDS = ("rule", "feed")
SURGE_FIELDS = COMMON_FIELDS + (
    "count",
    "value",
    "ratio",
    "expected",
    "baseline_count",
    "threshold",
    "k",
    "window",
    "baseline",
    "tone",
    "posts",
)
THRESHOLD_FIELDS = COMMON_FIELDS + ("value", "threshold", "metric", "name", "unit", "direction")


def check_template(text: str, allowed: tuple[str, ...], kind: str) -> None:
    """ValueError naming the first placeholder a banner may not use, or a malformed brace."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(
            f"{exc} in '{text}'; write placeholders like {{ratio}}, and a literal brace as {{{{ or }}}}"
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed:
            raise ValueError(
                f"unknown placeholder {{{name}}}; a {kind} rule's banner may use "
                + ", ".join(f"{{{a}}}" for a in allowed)
            )
        if spec or conversion:
            raise ValueError(f"write {{{name}}} without a format: values come formatted for reading")
