"""The `replay` adapter: a recorded day (CSV or JSON Lines) played back as if it were live.

Why: a demo guide wants to show a real day of mentions in a meeting room; facilities want to test a
lobby kiosk with no network. The file is read from local disk (no fetcher), indexed once per process
(re-read only when its size or mtime changes), and every poll is a bisect into that index.

Time: wall-clock `ctx.now` maps to file time as `file_time = start + (now - anchor) * speed`. The anchor
(the wall time the replay began) is kept in the cursor, so a restarted wall continues where it was,
and a changed `speed` re-anchors so the position in the file does not jump. Each poll returns the rows
whose file time passed since the last poll (at most `max_per_poll`, the newest ones), with
`published_at` moved to the wall time at which the row "happened" in the replay:
`anchor + (file_time - start) / speed`. At speed 1 ages are exactly what they were on the day; faster,
the day is a time-lapse whose order and rhythm stay consistent. With `loop`, the file starts over after
its last row (each lap's keys get an '@<lap>' suffix so the store does not drop them as duplicates).

Formats: CSV per RFC 4180 with a header row (https://www.rfc-editor.org/rfc/rfc4180), read with the
standard `csv` module; JSON Lines, one JSON object per line (https://jsonlines.org/). Column or key names
are mapped with the same field names as the `json` adapter's `post` mapping (feeds/mapping.py).
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import PollContext, PollResult
from .errors import FeedError
from .mapping import PathError, PostMapping, TextFormat, TimeZoneName, map_post, to_datetime, to_number, zone
from .model import Post

NAME = "replay"
CREDENTIALS: tuple[str, ...] = ()
BUDGET = None

log = logging.getLogger("feeds.replay")

MAX_FILE_BYTES = 256 * 1024 * 1024


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the CSV or JSON Lines file (relative paths: from the wall's working directory)")
    format: Literal["csv", "jsonl"] | None = Field(
        default=None, description="csv or jsonl; default: from the file name (.csv, .jsonl/.ndjson)"
    )
    mapping: PostMapping = Field(description="column (CSV) or key path (JSONL) of each Post field")
    speed: float = Field(default=1.0, gt=0, le=10_000, description="file seconds played per wall second")
    start: datetime | None = Field(default=None, description="file time to start from; default: the earliest row")
    loop: bool = Field(default=False, description="start over after the last row")
    prefill: int = Field(default=0, ge=0, le=1000, description="rows before `start` shown at once on the first poll")
    max_per_poll: int = Field(default=500, ge=1, le=5000, description="newest rows kept when more are due at once")
    source: str = Field(default="replay", pattern=r"^[A-Za-z0-9_.\-]{1,40}$", description="Post key prefix")
    network: Literal["mastodon", "bluesky", "x", "rss", "replay", "other"] = Field(
        default="replay", description="network of rows whose mapping gives none"
    )
    text_format: TextFormat = Field(
        default="auto", description="auto: HTML is turned into text when it looks like HTML"
    )
    timezone: TimeZoneName = Field(default="UTC", description="zone of times written without an offset (IANA name)")
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
        return self


# ------------------------------------------------------------------------------------------- index


@dataclass(frozen=True)
class ReplayIndex:
    """A file's rows as Posts, sorted by file time; `times` are epoch seconds for bisect."""

    times: list[float]
    posts: list[Post]
    skipped: int
    first_problem: str | None

    @property
    def earliest(self) -> float:
        return self.times[0]

    @property
    def latest(self) -> float:
        return self.times[-1]


def read_rows(data: bytes, fmt: str, delimiter: str = ",") -> tuple[list[dict[str, Any]], int]:
    """(records, unreadable line count). Invalid UTF-8 is replaced, never fatal; a bad JSON line is skipped."""
    text = data.decode("utf-8-sig", errors="replace")
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        if reader.fieldnames is None:
            return [], 0
        rows = [{k: v for k, v in row.items() if k is not None} for row in reader]
        return rows, 0
    rows, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError):
            bad += 1
            continue
        if isinstance(doc, dict):
            rows.append(doc)
        else:
            bad += 1
    return rows, bad


def parse_replay(data: bytes, options: Options) -> ReplayIndex:
    """File bytes -> index. Raises PathError when rows exist but none maps (the mapping is wrong)."""
    rows, bad = read_rows(data, options.format or "csv", options.delimiter)
    tz = zone(options.timezone)
    pairs: list[tuple[float, int, Post]] = []
    skipped = bad
    first: PathError | None = None
    seen: set[str] = set()
    for i, row in enumerate(rows):
        try:
            post = map_post(
                row,
                options.mapping,
                source=options.source,
                network=options.network,
                text_format=options.text_format,
                tz=tz,
            )
        except PathError as exc:
            skipped += 1
            first = first or exc
            continue
        if post.key in seen:  # a file that repeats an id: the first row wins
            skipped += 1
            continue
        seen.add(post.key)
        pairs.append((post.published_at.timestamp(), i, post))
    if rows and not pairs and first is not None:
        raise PathError(first.field, first.path, f"{first.why} in every one of the {len(rows)} rows")
    pairs.sort(key=lambda p: (p[0], p[1]))
    return ReplayIndex([p[0] for p in pairs], [p[2] for p in pairs], skipped, str(first) if first else None)


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
            include={"format", "mapping", "source", "network", "text_format", "timezone", "delimiter"}
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
    try:
        index = parse_replay(data, options)
    except PathError as exc:
        raise FeedError("bad_response", f"replay file {str(path)!r}: mapping does not match: {exc}") from None
    if not index.posts:
        raise FeedError("bad_response", f"replay file {str(path)!r} has no rows")
    if index.skipped:
        log.warning(
            "replay file %s: %d of %d rows skipped (first: %s)",
            path,
            index.skipped,
            index.skipped + len(index.posts),
            index.first_problem,
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


def _shifted(post: Post, lap: int, at: datetime) -> Post:
    key = post.key if lap == 0 else f"{post.key}@{lap}"
    return post.model_copy(update={"key": key, "published_at": at})


def select(index: ReplayIndex, options: Options, cursor: dict[str, str], now: datetime) -> PollResult:
    """The rows due at wall time `now`, given what `cursor` says was shown before. Pure."""
    tz = zone(options.timezone)
    if options.start is not None:
        start_dt = options.start if options.start.tzinfo else options.start.replace(tzinfo=tz)
        start = start_dt.timestamp()
    else:
        start = index.earliest
    start_key = f"{start:.6f}"
    speed = options.speed

    anchor = _read_time(cursor.get("anchor"))
    pos_prev = to_number(cursor.get("pos"))  # file seconds played since `start`, at the last poll
    first_poll = anchor is None or pos_prev is None or cursor.get("start") != start_key
    if first_poll:
        anchor, pos_prev = now, None
    elif (old_speed := to_number(cursor.get("speed"))) != speed:
        # keep the place in the file, change the pace from the last poll on
        last_poll = anchor + timedelta(seconds=pos_prev / old_speed) if old_speed and old_speed > 0 else now
        anchor = min(last_poll, now) - timedelta(seconds=pos_prev / speed)
    assert anchor is not None
    pos = max((now - anchor).total_seconds() * speed, 0.0)
    if pos_prev is not None and pos < pos_prev:  # the clock went backwards: show nothing twice
        pos = pos_prev

    # offsets of the rows this replay plays (those at or after `start`)
    lo = bisect.bisect_left(index.times, start)
    offsets = [t - start for t in index.times[lo:]]
    played = index.posts[lo:]
    due: list[tuple[float, Post, int]] = []  # (virtual offset, post, lap)
    if offsets:
        span = offsets[-1]
        gap = span / (len(offsets) - 1) if len(offsets) > 1 else 60.0
        cycle = span + max(gap, 1.0) if options.loop else math.inf
        lap_hi = int(pos // cycle) if options.loop else 0
        lap_lo = 0 if pos_prev is None else (int(pos_prev // cycle) if options.loop else 0)
        for lap in range(lap_hi, lap_lo - 1, -1):
            base = lap * cycle if options.loop else 0.0
            hi = bisect.bisect_right(offsets, pos - base)
            if pos_prev is None or pos_prev < base:
                low = 0
            else:
                low = bisect.bisect_right(offsets, pos_prev - base)
            for i in range(hi - 1, low - 1, -1):
                due.append((base + offsets[i], played[i], lap))
                if len(due) >= options.max_per_poll:
                    break
            if len(due) >= options.max_per_poll:
                break
    if len(due) >= options.max_per_poll:
        log.info("replay %s: more than %d rows due at once; showing the newest", options.path, options.max_per_poll)

    posts = [_shifted(post, lap, anchor + timedelta(seconds=v / speed)) for v, post, lap in reversed(due)]
    if first_poll and options.prefill and lo > 0:
        before = range(max(0, lo - options.prefill), lo)
        early = [
            _shifted(index.posts[i], 0, anchor + timedelta(seconds=(index.times[i] - start) / speed)) for i in before
        ]
        posts = early + posts
    return PollResult(
        posts=posts,
        cursor={"anchor": _iso(anchor), "pos": repr(pos), "speed": repr(speed), "start": start_key},
    )


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    index = await asyncio.to_thread(load_index, options)  # a first read of a big file stays off the loop
    return select(index, options, dict(ctx.cursor), ctx.now)
