"""The `replay` adapter: a recorded day (CSV or JSON Lines) played back as if it were live.

Why: a demo guide wants to show a real day of mentions in a meeting room; facilities want to test a
lobby kiosk with no network; a wall's figures want a recorded day loaded as it happened. The file is
read from local disk (no fetcher), indexed once per process (re-read only when its size or mtime
changes), and every poll is a bisect into that index.

Time, at a numeric `speed`: wall-clock `ctx.now` maps to file time as
`file_time = start + (now - anchor) * speed`. The anchor (the wall time the replay began) is kept in the
cursor, so a restarted wall continues where it was, and a changed `speed` re-anchors so the position in
the file does not jump. A row is due once its file time has passed; it is published at the wall time at
which it "happened" in the replay, `anchor + (file_time - start) / speed`: at speed 1 ages are exactly
what they were on the day; faster, the day is a time-lapse whose order and rhythm stay those of the
file. With `loop`, the file starts over after its last row (each lap's keys get an '@<lap>' suffix so
the store does not drop them as duplicates); a wall that was off for several laps resumes one lap back,
not with every lap it missed.

`speed: max` loads the file as fast as ingest goes: every row is due at once, published at its own
file time shifted so that the file's last row lands on the anchor (`anchor + (file_time - last)`). A
recorded day then fills the last day of the wall's windows with its real shape. It plays once (`loop`
does not apply) and then has nothing more to deliver.

Nothing is dropped silently. A poll delivers at most `max_per_poll` due rows, the OLDEST first; the
cursor says where it stopped (`lap`, and the next row as `next_at` (a file time) + `next_n` (rows of
that same time already delivered), which survives the file being re-indexed), and the result says
`more`, so the poller polls again at once until the backlog is delivered. Rows the file holds but that
cannot be shown are counted in the feed's health ("degraded"), by reason, with examples that name the
row ("row 17: id r005, first at row 6"), once per reading of the file (the first poll of each feed
that reads that index): "unreadable line" (JSON Lines: not JSON, not an object), "missing id",
"unreadable time", "duplicate id" (the first row with an id wins). CSV rows are named by the file line
on which the record starts ("row 17": the header is row 1, as a spreadsheet numbers them); JSON Lines
by their line ("line 17").

Formats: CSV per RFC 4180 with a header row (https://www.rfc-editor.org/rfc/rfc4180), read with the
standard `csv` module; JSON Lines, one JSON object per line (https://jsonlines.org/: lines end with
'\\n', '\\r\\n' too). Column or key names are mapped with the same field names as the `json` adapter's
`post` mapping, and times read with the same `time_format` / `epoch` / `timezone` rules
(feeds/mapping.py).
"""

from __future__ import annotations

import asyncio
import bisect
import csv
import io
import json
import logging
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import PollContext, PollResult, Skipped
from .errors import FeedError
from .http import describe_html
from .mapping import (
    EpochUnit,
    PathError,
    PostMapping,
    TextFormat,
    TimeFormat,
    TimeZoneName,
    get_path,
    map_post,
    to_datetime,
    to_number,
    zone,
)
from .model import Post
from .sanitize import has_surrogate_escape, without_lone_surrogates

NAME = "replay"
CREDENTIALS: tuple[str, ...] = ()
BUDGET = None

log = logging.getLogger("feeds.replay")

MAX_FILE_BYTES = 256 * 1024 * 1024

# the reasons a row is not shown, as the feed's health counts them
UNREADABLE_LINE = "unreadable line"
MISSING_ID = "missing id"
UNREADABLE_TIME = "unreadable time"
DUPLICATE_ID = "duplicate id"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the CSV or JSON Lines file (relative paths: from the wall's working directory)")
    format: Literal["csv", "jsonl"] | None = Field(
        default=None, description="csv or jsonl; default: from the file name (.csv, .jsonl/.ndjson)"
    )
    mapping: PostMapping = Field(description="column (CSV) or key path (JSONL) of each Post field")
    speed: Annotated[float, Field(gt=0, le=10_000)] | Literal["max"] = Field(
        default=1.0,
        description="file seconds played per wall second; max: the whole file at once, its last row published now",
    )
    start: datetime | None = Field(default=None, description="file time to start from; default: the earliest row")
    loop: bool = Field(default=False, description="start over after the last row (not with speed: max)")
    prefill: int = Field(default=0, ge=0, le=1000, description="rows before `start` shown at once on the first poll")
    max_per_poll: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="rows delivered per poll, oldest first; the rest are delivered by the polls that follow at once",
    )
    source: str = Field(default="replay", pattern=r"^[A-Za-z0-9_.\-]{1,40}$", description="Post key prefix")
    network: Literal["mastodon", "bluesky", "x", "rss", "replay", "other"] = Field(
        default="replay", description="network of rows whose mapping gives none"
    )
    text_format: TextFormat = Field(
        default="auto", description="auto: HTML is turned into text when it looks like HTML"
    )
    time_format: TimeFormat | None = Field(
        default=None,
        description="strptime format of the times, e.g. '%d/%m/%Y %H:%M', tried before ISO 8601 and epoch",
    )
    epoch: EpochUnit = Field(default="auto", description="numbers as times: s, ms, or auto (above 10^11: milliseconds)")
    timezone: TimeZoneName = Field(
        default="UTC", description="zone of times written without an offset, whatever their format (IANA name)"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV field separator")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.strip() or "\x00" in v:
            raise ValueError("path must name a CSV or JSON Lines file")
        return v

    @model_validator(mode="after")
    def _format(self) -> Options:
        if self.format is None:
            suffix = Path(self.path).suffix.lower()
            guessed = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(suffix)
            if guessed is None:
                raise ValueError(f"cannot tell the format of {self.path!r} from its name; set format: csv or jsonl")
            self.format = guessed
        if self.speed == "max" and self.loop:
            raise ValueError("speed: max plays the file once; remove loop: true, or give a speed in file seconds")
        return self


# ------------------------------------------------------------------------------------------- index


@dataclass(frozen=True)
class ReplayIndex:
    """A file's rows as Posts, sorted by file time; `times` are epoch seconds for bisect. `problems`:
    what the file holds that cannot be shown, by reason; `skipped`, how many rows in all."""

    times: list[float]
    posts: list[Post]
    skipped: int
    problems: dict[str, Skipped] = field(default_factory=dict)
    # feeds this reading of the file has reported its problems to (each is told once per reading)
    told: set[str] = field(default_factory=set, compare=False, repr=False)

    @property
    def earliest(self) -> float:
        return self.times[0]

    @property
    def latest(self) -> float:
        return self.times[-1]

    def problems_for(self, feed_id: str) -> dict[str, Skipped]:
        """The problems, the first time `feed_id` asks for this index; nothing after (counted once)."""
        with _cache_lock:
            if not self.problems or feed_id in self.told:
                return {}
            self.told.add(feed_id)
        return {reason: Skipped(s.count, list(s.examples)) for reason, s in self.problems.items()}


@dataclass(frozen=True)
class Rows:
    """A file's records in file order, each with where it is ("row 17", "line 17"), and the lines that
    are no record at all."""

    records: list[dict[str, Any]]
    places: list[str]
    unreadable: list[str]


def read_rows(data: bytes, fmt: str, delimiter: str = ",") -> Rows:
    """The file's records. Invalid UTF-8 is replaced, never fatal; a bad JSON line is counted, not read."""
    text = data.decode("utf-8-sig", errors="replace")
    if fmt == "csv":
        return _csv_rows(text, delimiter)
    records: list[dict[str, Any]] = []
    places: list[str] = []
    unreadable: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError):
            unreadable.append(f"line {number}: not JSON")
            continue
        if has_surrogate_escape(line):  # "\ud800": U+FFFD, as for the file's invalid UTF-8
            doc = without_lone_surrogates(doc)
        if isinstance(doc, dict):
            records.append(doc)
            places.append(f"line {number}")
        else:
            unreadable.append(f"line {number}: not an object")
    return Rows(records, places, unreadable)


def _csv_rows(text: str, delimiter: str) -> Rows:
    """Records as `csv.DictReader` gives them (values past the header's columns dropped, missing ones
    None, blank lines skipped), each named by the line its record starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    records: list[dict[str, Any]] = []
    places: list[str] = []
    if not header:
        return Rows(records, places, [])
    width = len(header)
    while True:
        first_line = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            break
        if not row:
            continue
        record = dict(zip(header, row, strict=False))
        if len(row) < width:
            for name in header[len(row) :]:
                record[name] = None
        records.append(record)
        places.append(f"row {first_line}")
    return Rows(records, places, [])


def parse_replay(data: bytes, options: Options) -> ReplayIndex:
    """File bytes -> index. Raises PathError when rows exist but none maps (the mapping is wrong)."""
    rows = read_rows(data, options.format or "csv", options.delimiter)
    tz = zone(options.timezone)
    pairs: list[tuple[float, int, Post]] = []
    problems: dict[str, Skipped] = {}
    for example in rows.unreadable:
        problems.setdefault(UNREADABLE_LINE, Skipped()).add(example)
    first: PathError | None = None
    first_place: dict[str, str] = {}  # key -> where it was first read
    m = options.mapping
    for i, (row, place) in enumerate(zip(rows.records, rows.places, strict=True)):
        try:
            post = map_post(
                row,
                m,
                source=options.source,
                network=options.network,
                text_format=options.text_format,
                tz=tz,
                time_format=options.time_format,
                epoch=options.epoch,
            )
        except PathError as exc:
            first = first or exc
            if exc.field == "id":
                problems.setdefault(MISSING_ID, Skipped()).add(f"{place}: {exc}")
            else:
                native = get_path(row, m.id, None)
                problems.setdefault(UNREADABLE_TIME, Skipped()).add(f"{place}: id {str(native)[:40]}: {exc}")
            continue
        if post.key in first_place:  # a file that repeats an id: the first row wins
            native = post.key.removeprefix(f"{options.source}:")
            problems.setdefault(DUPLICATE_ID, Skipped()).add(
                f"{place}: id {native[:40]}, first at {first_place[post.key]}"
            )
            continue
        first_place[post.key] = place
        pairs.append((post.published_at.timestamp(), i, post))
    if rows.records and not pairs and first is not None:
        raise PathError(first.field, first.path, f"{first.why} in every one of the {len(rows.records)} rows")
    pairs.sort(key=lambda p: (p[0], p[1]))
    skipped = sum(s.count for s in problems.values())
    return ReplayIndex([p[0] for p in pairs], [p[2] for p in pairs], skipped, problems)


_cache: dict[tuple, ReplayIndex] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 8


def load_index(options: Options) -> ReplayIndex:
    """The file's index, built once per process and rebuilt only when the file changes."""
    path = Path(options.path).expanduser()
    try:
        st = path.stat()
    except OSError as exc:
        raise FeedError("client", f"replay file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise FeedError("client", f"replay path {str(path)!r} is not a file")
    if st.st_size > MAX_FILE_BYTES:
        raise FeedError(
            "too_large",
            f"replay file {str(path)!r} is {st.st_size} bytes, over the "
            f"{MAX_FILE_BYTES}-byte limit; cut it to the day you want to show",
        )
    key = (
        str(path.resolve()),
        st.st_size,
        st.st_mtime_ns,
        options.model_dump_json(
            include={
                "format",
                "mapping",
                "source",
                "network",
                "text_format",
                "time_format",
                "epoch",
                "timezone",
                "delimiter",
            }
        ),
    )
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError("client", f"replay file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    page = describe_html(data)
    if page is not None:  # a page saved from a browser (a login or error page) in place of the export
        raise FeedError(
            "bad_response",
            f"replay file {str(path)!r} is {page}, not {options.format or 'csv'} rows: a page saved "
            "from a browser in place of the export?",
        )
    try:
        index = parse_replay(data, options)
    except PathError as exc:
        raise FeedError("bad_response", f"replay file {str(path)!r}: mapping does not match: {exc}") from None
    if not index.posts:
        why = "; ".join(f"{s.count} {reason} (first: {s.examples[0]})" for reason, s in index.problems.items())
        raise FeedError("bad_response", f"replay file {str(path)!r} has no rows" + (f" to show: {why}" if why else ""))
    if index.skipped:
        log.warning(
            "replay file %s: %d of %d rows not shown: %s",
            path,
            index.skipped,
            index.skipped + len(index.posts),
            "; ".join(f"{s.count} {reason} (first: {s.examples[0]})" for reason, s in index.problems.items()),
        )
    with _cache_lock:
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        while len(_cache) >= _CACHE_MAX:
            del _cache[next(iter(_cache))]
        _cache[key] = index
    return index


# ------------------------------------------------------------------------------------------- clock


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def _read_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return to_datetime(value)
    except ValueError:
        return None


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _later(t: datetime, by: float | timedelta) -> datetime:
    """`t` moved by `by` (seconds, or a timedelta), held within the years a datetime holds: a file's absurd
    row (dated 0001 or 9999) moved by the replay's clock shows at the edge of time rather than failing
    every poll."""
    try:
        return t + (by if isinstance(by, timedelta) else timedelta(seconds=by))
    except OverflowError:
        return _EARLIEST if (by.total_seconds() if isinstance(by, timedelta) else by) < 0 else _LATEST


def _shifted(post: Post, lap: int, at: datetime) -> Post:
    key = post.key if lap == 0 else f"{post.key}@{lap}"
    return post.replaced(key=key, published_at=at)  # both valid by construction: no re-validation


def _next_row(times: list[float], cursor: dict[str, str]) -> int | None:
    """The index of the next row to deliver, from the cursor's `next_at` + `next_n`, or None (absent)."""
    at, n = to_number(cursor.get("next_at")), to_number(cursor.get("next_n"))
    if at is None or n is None or n < 0:
        return None
    return bisect.bisect_left(times, at) + int(n)


def _next_keys(times: list[float], i: int) -> dict[str, str]:
    """The cursor of "row i is the next to deliver": a file time and how many rows of that time come
    before it, so the place survives a re-index (one past the end points past the last row's time)."""
    at = times[i] if i < len(times) else times[-1]
    return {"next_at": repr(at), "next_n": str(i - bisect.bisect_left(times, at))}


def select(index: ReplayIndex, options: Options, cursor: dict[str, str], now: datetime) -> PollResult:
    """The rows due at wall time `now`, given what `cursor` says was delivered before: at most
    `max_per_poll`, the oldest first, `more` when due rows remain. Pure."""
    times = index.times
    tz = zone(options.timezone)
    if options.start is not None:
        start_dt = options.start if options.start.tzinfo else options.start.replace(tzinfo=tz)
        start = start_dt.timestamp()
    else:
        start = index.earliest
    start_key = f"{start:.6f}"
    at_max = options.speed == "max"
    speed = 1.0 if options.speed == "max" else float(options.speed)
    speed_key = "max" if at_max else repr(speed)

    anchor = _read_time(cursor.get("anchor"))
    pos_prev = to_number(cursor.get("pos"))  # file seconds played since `start`, at the last poll
    old_speed = cursor.get("speed")
    first_poll = (
        anchor is None
        or pos_prev is None
        or cursor.get("start") != start_key
        or (old_speed == "max") != at_max  # to or from max: the replay starts over
    )
    if first_poll:
        anchor, pos_prev = now, None
    elif not at_max and (old := to_number(old_speed)) != speed:
        # keep the place in the file, change the pace from the last poll on
        last_poll = _later(anchor, pos_prev / old) if old and old > 0 else now
        anchor = _later(min(last_poll, now), -pos_prev / speed)
    assert anchor is not None

    lo = bisect.bisect_left(times, start)  # the rows this replay plays: those at or after `start`
    count = len(times) - lo
    if at_max:
        pos = times[-1] - start if count else 0.0
    else:
        pos = max((now - anchor).total_seconds() * speed, 0.0)
        if pos_prev is not None and pos < pos_prev:  # the clock went backwards: show nothing twice
            pos = pos_prev
    looping = options.loop and count > 0
    if looping:
        span = times[-1] - start
        gap = span / (count - 1) if count > 1 else 60.0
        cycle = span + max(gap, 1.0)
    else:
        cycle = math.inf

    # where the last poll stopped: (lap, next row)
    lap = 0
    i = lo
    if not first_poll:
        following = _next_row(times, cursor)
        lap_kept = to_number(cursor.get("lap"))
        if following is not None and lap_kept is not None:
            lap, i = int(lap_kept), max(following, lo)
        elif pos_prev is not None:  # a cursor from before carry-over: everything up to `pos` was shown
            lap = int(pos_prev // cycle) if looping else 0
            i = max(bisect.bisect_right(times, start + pos_prev - (lap * cycle if lap else 0.0)), lo)
    if looping:
        if i >= len(times):
            lap, i = lap + 1, lo
        behind = pos - cycle  # a backlog of more than one lap resumes one lap back
        if times[i] - start + lap * cycle < behind:
            lap = int(behind // cycle)
            i = max(bisect.bisect_left(times, start + behind - lap * cycle), lo)
            if i >= len(times):
                lap, i = lap + 1, lo

    def offset(lap: int, i: int) -> float:
        """Row i of lap `lap`, in file seconds played since `start` (laps only exist when looping)."""
        return times[i] - start + (lap * cycle if lap else 0.0)

    def due(lap: int, i: int) -> bool:
        return i < len(times) and (at_max or offset(lap, i) <= pos)

    delivered: list[Post] = []
    posts = index.posts
    # the last row lands on the anchor
    shift = anchor - posts[-1].published_at if at_max and posts else timedelta(0)
    while len(delivered) < options.max_per_poll and due(lap, i):
        if at_max:
            at = _later(posts[i].published_at, shift)
        else:
            at = _later(anchor, offset(lap, i) / speed)
        delivered.append(_shifted(posts[i], lap, at))
        i += 1
        if looping and i >= len(times):
            lap, i = lap + 1, lo
    more = due(lap, i)

    if first_poll and options.prefill and lo > 0:
        before = range(max(0, lo - options.prefill), lo)
        if at_max:
            early = [_shifted(posts[j], 0, _later(posts[j].published_at, shift)) for j in before]
        else:
            early = [_shifted(posts[j], 0, _later(anchor, (times[j] - start) / speed)) for j in before]
        delivered = early + delivered
    next_cursor = {
        "anchor": _iso(anchor),
        "pos": repr(pos),
        "speed": speed_key,
        "start": start_key,
        "lap": str(lap),
        **(_next_keys(times, i) if times else {}),
    }
    return PollResult(posts=delivered, cursor=next_cursor, more=more)


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    index = await asyncio.to_thread(load_index, options)  # a first read of a big file stays off the loop
    result = select(index, options, dict(ctx.cursor), ctx.now)
    result.skipped.update(index.problems_for(ctx.feed_id))  # counted once per reading of the file
    return result
