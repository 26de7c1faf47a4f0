"""A replay is faithful: a recorded export with non-ISO local times, epoch times, a repeated id and an
unreadable time, bigger than one poll, played into a real Store.

What an operator would notice: every row of the file arrives, in order, with the spacing it was recorded
with (across a daylight-saving change); the feed's health says "degraded" and names the rows it could
not show, once; `speed: max` loads the whole file at once with its last row published now."""

from __future__ import annotations

import asyncio
import csv
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feed_kit
import pytest
from pydantic import ValidationError

from feeds import replay
from feeds.http import Fetcher
from feeds.poller import FeedSpec, Poller, poll_once
from feeds.retry import RetryPolicy
from wall.store import Store

PARIS = ZoneInfo("Europe/Paris")
# 2,000 posts from 00:10 UTC on the night Paris moves its clocks forward (02:00 local -> 03:00 at 01:00 UTC)
FIRST = datetime(2024, 3, 31, 0, 10, tzinfo=UTC)
ROWS = 2000
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
MAPPING = {"id": "id", "published_at": "when", "text": "text", "author_handle": "user", "network": "network"}
DUPLICATE_LINE = 1 + 700 + 1  # the header, 700 rows, then the repeat
UNREADABLE_LINE = DUPLICATE_LINE + 1 + 500


def recorded_times() -> list[datetime]:
    """The shape of a night: bursts and lulls (gaps of 1 to 7 s, a 10-minute silence every 400 posts)."""
    times, t = [], FIRST
    for i in range(ROWS):
        times.append(t)
        t += timedelta(seconds=1 + (i * 7919) % 7, milliseconds=(i * 37) % 1000)
        if i % 400 == 399:
            t += timedelta(minutes=10)
    return times


def written(i: int, t: datetime) -> str:
    """How the export writes row i's time: Paris wall-clock time without an offset, except every 97th
    row (epoch seconds, as another tool of the export pipeline wrote it) and every 89th (epoch ms)."""
    if i % 97 == 5:
        return f"{t.timestamp():.3f}"
    if i % 89 == 7:
        return str(round(t.timestamp() * 1000))
    return t.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S.%f")


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "night.csv"
    times = recorded_times()
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "when", "text", "user", "network"])
        for i, t in enumerate(times):
            out.writerow([f"n{i:04d}", written(i, t), f"Post {i} 🌙 #nuit", f"user{i % 50}", "twitter"])
            if i == 699:  # the export repeats a row it already wrote (at-least-once delivery)
                out.writerow(["n0042", written(42, times[42]), "Post 42 again", "user42", "twitter"])
            if i == 1199:
                out.writerow(["n9999", "31/02/2024 25:61:00", "A time no clock shows", "user9", "twitter"])
    return path


def options(path: Path, **kw) -> dict:
    return {
        "path": str(path),
        "mapping": MAPPING,
        "time_format": "%d/%m/%Y %H:%M:%S.%f",
        "timezone": "Europe/Paris",
        **kw,
    }


def run_poll(opts: dict, cursor: dict[str, str], now: datetime, feed_id: str = "night"):
    return feed_kit.run_poll(replay, replay.Options.model_validate(opts), feed_id=feed_id, cursor=cursor, now=now)


class FastPolicy(RetryPolicy):
    def next_delay(self, error, attempt):
        return 0.01


class Recording:
    """The poller's sink: a real Store, and every put's posts in the order they came."""

    def __init__(self, store: Store):
        self.store = store
        self.posts = []
        self.puts = 0

    def put(self, feed_id, posts, metrics, at, **kw):
        self.posts += posts
        self.puts += 1
        self.store.put(feed_id, posts, metrics, at, **kw)

    def fail(self, *args, **kw):
        self.store.fail(*args, **kw)

    def cursors(self, feed_id):
        return self.store.cursors(feed_id)


# ------------------------------------------------------------------------------------------- reading


def test_non_iso_local_times_and_epoch_times_read_as_recorded(export):
    index = replay.load_index(replay.Options.model_validate(options(export)))
    times = recorded_times()
    assert len(index.posts) == ROWS
    assert [p.key for p in index.posts] == [f"replay:n{i:04d}" for i in range(ROWS)]
    # every row at its recorded UTC instant, whichever way it was written, across the DST change
    assert [p.published_at for p in index.posts] == times
    assert index.skipped == 2
    dup, bad = index.problems[replay.DUPLICATE_ID], index.problems[replay.UNREADABLE_TIME]
    assert (dup.count, dup.examples) == (1, [f"row {DUPLICATE_LINE}: id n0042, first at row 44"])
    assert bad.count == 1 and bad.examples[0].startswith(f"row {UNREADABLE_LINE}: id n9999: published_at ('when')")
    assert "'31/02/2024 25:61:00'" in bad.examples[0]


def test_without_the_timezone_naive_times_are_utc_and_the_epoch_unit_can_be_forced(export):
    naive_utc = replay.load_index(replay.Options.model_validate(options(export, timezone="UTC")))
    by_key = {p.key: p.published_at for p in naive_utc.posts}
    assert by_key["replay:n0000"] == FIRST + timedelta(hours=1)  # 01:10 Paris read as 01:10 UTC
    assert by_key["replay:n0005"] == recorded_times()[5]  # epoch: absolute, no zone applies
    seconds_only = replay.load_index(replay.Options.model_validate(options(export, epoch="s")))
    # a millisecond epoch read as seconds is beyond any calendar: counted as an unreadable time
    in_ms = [i for i in range(ROWS) if i % 97 != 5 and i % 89 == 7]
    assert seconds_only.problems[replay.UNREADABLE_TIME].count == 1 + len(in_ms)


def test_time_format_is_checked_when_the_config_loads(export):
    for bad in ("dd/mm/yyyy", "%d/%m/%Y %Q"):
        with pytest.raises(ValidationError) as info:
            replay.Options.model_validate(options(export, time_format=bad))
        assert "time_format" in str(info.value)
    with pytest.raises(ValidationError) as info:
        replay.Options.model_validate(options(export, speed="max", loop=True))
    assert "speed: max plays the file once" in str(info.value)


# ------------------------------------------------------------------------------------------- backlog


def test_a_2000_row_backlog_arrives_whole_in_order_with_its_spacing_and_health_names_the_bad_rows(export):
    """A wall that was off while the night was recorded catches up: the poller polls again at once
    while the adapter says more rows are waiting, and the store's health reports the unusable rows."""
    store = Store({"night": ("replay", 3600.0)})
    sink = Recording(store)
    spec = FeedSpec("night", "replay", 3600.0, options(export, max_per_poll=300), {})

    async def first_poll():
        async with Fetcher() as fetcher:
            return await poll_once(spec, fetcher, {}, NOW)

    first = asyncio.run(first_poll())  # the replay begins: only the first row is due
    assert [p.key for p in first.posts] == ["replay:n0000"] and not first.more
    sink.put("night", first.posts, {}, NOW, cursors=first.cursor, skipped=first.skipped)

    later = NOW + timedelta(hours=4)  # the whole recorded night is due now
    poller = Poller([spec], sink, policy=FastPolicy(), clock=lambda: later)
    poller.start()
    try:
        deadline = time.monotonic() + 30
        while len(sink.posts) < ROWS and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        poller.stop()
    # 1,999 rows in polls of 300 without waiting poll_s (an hour) between them
    assert poller.polls["night"] == 7 and sink.puts == 8
    times = recorded_times()
    assert [p.key for p in sink.posts] == [f"replay:n{i:04d}" for i in range(ROWS)]
    published = [p.published_at for p in sink.posts]
    assert published[0] == NOW
    assert [t - published[0] for t in published] == [t - times[0] for t in times]  # the recorded spacing
    assert max(published) <= later

    # the timeline (the volume figure, per quarter) has the night's recorded shape, not one spike
    store.settle_figures()
    snap = store.snapshot("night", later)
    per_quarter: dict[datetime, int] = {}
    for at in published:
        quarter = datetime.fromtimestamp(at.timestamp() // 900 * 900, UTC)
        per_quarter[quarter] = per_quarter.get(quarter, 0) + 1
    series = {at: n for at, n in snap.metrics["volume"].series if n}
    assert series == per_quarter and len(series) > 8  # several quarters, as recorded

    health = snap.health
    assert health.state == "degraded"
    assert set(health.notes) == {
        f"1 duplicate id (row {DUPLICATE_LINE}: id n0042, first at row 44)",
        f"1 unreadable time (row {UNREADABLE_LINE}: id n9999: published_at ('when'): neither time_format "
        "'%d/%m/%Y %H:%M:%S.%f' nor ISO 8601 or epoch: '31/02/2024 25:61:00')",
    }  # counted once, on the first poll that read the file, not again on the next seven
    store.close()


def test_a_restart_in_the_middle_of_a_backlog_continues_where_it_stopped(export):
    opts = options(export, max_per_poll=250)
    first = run_poll(opts, {}, NOW)
    later = NOW + timedelta(hours=4)
    part = run_poll(opts, first.cursor, later)
    assert part.more and [p.key for p in part.posts][-1] == "replay:n0250"
    replay._cache.clear()  # a new process reads the file again
    rest, cursor = [], dict(part.cursor)
    while True:
        result = run_poll(opts, cursor, later)
        rest += result.posts
        cursor = result.cursor
        if not result.more:
            break
    assert [p.key for p in rest] == [f"replay:n{i:04d}" for i in range(251, ROWS)]


# ------------------------------------------------------------------------------------------- speed: max


def test_speed_max_delivers_the_whole_file_once_with_its_last_row_published_now(export):
    opts = options(export, speed="max", max_per_poll=800)
    delivered, cursor, polls = [], {}, 0
    result = run_poll(opts, cursor, NOW)
    while True:
        polls += 1
        delivered += result.posts
        cursor = result.cursor
        if not result.more:
            break
        result = run_poll(opts, cursor, NOW + timedelta(milliseconds=polls))
    assert polls == 3
    times = recorded_times()
    assert [p.key for p in delivered] == [f"replay:n{i:04d}" for i in range(ROWS)]
    # the night keeps its shape, ending at the wall time the replay began
    assert [p.published_at for p in delivered] == [NOW - (times[-1] - t) for t in times]
    assert delivered[0].published_at == NOW - (times[-1] - FIRST)
    # then nothing more, however late: a max replay plays once
    assert run_poll(opts, cursor, NOW + timedelta(days=2)).posts == []
    assert cursor["speed"] == "max"


def test_speed_max_from_a_start_time_and_back_to_a_pace_starts_over(export):
    start = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    opts = options(export, speed="max", start=start.isoformat(), max_per_poll=5000)
    result = run_poll(opts, {}, NOW)
    times = recorded_times()
    assert [p.published_at for p in result.posts] == [NOW - (times[-1] - t) for t in times if t >= start]
    assert not result.more
    paced_opts = options(export, speed=60.0, start=start.isoformat())
    anchor = NOW + timedelta(hours=1)
    begun = run_poll(paced_opts, result.cursor, anchor)  # a new anchor: the replay begins again
    assert begun.cursor["anchor"] == anchor.isoformat() and begun.cursor["speed"] == "60.0"
    paced = run_poll(paced_opts, begun.cursor, anchor + timedelta(minutes=1))
    first = next(i for i, t in enumerate(times) if t >= start)
    assert paced.posts[0].key == f"replay:n{first:04d}"
    assert paced.posts[0].published_at == anchor + (times[first] - start) / 60
