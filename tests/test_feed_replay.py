"""The replay adapter: a recorded day played back as live, from CSV and JSON Lines, with no network.

What an operator would notice: the wall fills as the day's rows come due, ages look live, a restart
continues where it was, a loop starts over, a broken row is skipped and a wrong mapping says which path."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feed_kit
import pytest
from pydantic import ValidationError

from feeds import replay
from feeds.errors import FeedError

FIXTURES = Path(__file__).parent / "fixtures" / "replay"
NOW = datetime(2025, 6, 1, 9, 0, 0, tzinfo=UTC)
FIRST = datetime(2024, 3, 14, 6, 2, 11, tzinfo=UTC)  # earliest valid row of day.csv

CSV_MAPPING = {
    "id": "id",
    "published_at": "created_at",
    "network": "network",
    "lang": "lang",
    "country": "country",
    "author_handle": "author_handle",
    "author_name": "author_name",
    "author_followers": "author_followers",
    "author_verified": "verified",
    "text": "text",
    "likes": "likes",
    "reposts": "reposts",
    "replies": "replies",
    "sentiment": "sentiment",
    "media_url": "media_url",
    "url": "url",
}
JSONL_MAPPING = {
    "id": "id",
    "published_at": "created",
    "network": "source",
    "lang": "lang",
    "country": "geo.country",
    "author_handle": "user.screen_name",
    "author_name": "user.name",
    "author_followers": "user.followers",
    "author_verified": "user.verified",
    "text": "content.text",
    "likes": "stats.likes",
    "reposts": "stats.shares",
    "replies": "stats.comments",
    "sentiment": "tone",
    "media": "media",
    "media_url": "url",
    "media_kind": "type",
    "url": "link",
}


def options(**kw) -> replay.Options:
    base = {"path": str(FIXTURES / "day.csv"), "mapping": CSV_MAPPING}
    base.update(kw)
    return replay.Options.model_validate(base)


def run_poll(opts: replay.Options, cursor: dict[str, str], now: datetime):
    return feed_kit.run_poll(replay, opts, feed_id="replay-test", cursor=cursor, now=now)


# ------------------------------------------------------------------------------------------- parsing


def test_csv_rows_map_to_posts_with_multilingual_text_and_fields():
    index = replay.parse_replay((FIXTURES / "day.csv").read_bytes(), options())
    by_id = {p.key: p for p in index.posts}
    assert len(index.posts) == 16  # 18 rows: one invalid date skipped, one repeated id dropped
    assert index.skipped == 2
    assert index.times == sorted(index.times)
    arabic = by_id["replay:r003"]
    assert arabic.text.startswith("الإنترنت مقطوع")
    assert arabic.lang == "ar" and arabic.country == "MA" and arabic.network == "x"
    assert arabic.hashtags == ("#انقطاع",)
    assert arabic.sentiment.label == "negative" and arabic.sentiment.score == -1.0
    assert arabic.author.handle == "@laila.k" and arabic.author.name == "ليلى خالد"
    assert arabic.author.followers == 56200
    assert by_id["replay:r007"].text.startswith("フランスで")
    assert by_id["replay:r006"].text == "השירות חזר אצלי, תודה! 🙌"
    assert by_id["replay:r005"].text.startswith("Nos équipes")  # the first of a repeated id wins
    assert by_id["replay:r005"].author.verified is True


def test_html_and_script_in_a_row_become_plain_text():
    index = replay.parse_replay((FIXTURES / "day.csv").read_bytes(), options())
    by_id = {p.key: p for p in index.posts}
    html_row = by_id["replay:r002"]
    assert html_row.text == "Reports of a fibre outage across northern France this morning. Live updates"
    assert html_row.network == "mastodon"
    assert html_row.media[0].url == "https://images.example.org/outage-map.jpg"
    script_row = by_id["replay:r009"]
    assert "script" not in script_row.text and "alert" not in script_row.text
    assert script_row.text == "Third call this week and still no technician. Not impressed."
    assert script_row.metrics.likes == 0  # the export's -1 ("unknown") never shows as a negative count


def test_jsonl_nested_paths_and_list_indexes_give_the_same_posts_as_csv():
    opts = options(path=str(FIXTURES / "day.jsonl"), mapping=JSONL_MAPPING)
    assert opts.format == "jsonl"
    index = replay.parse_replay((FIXTURES / "day.jsonl").read_bytes(), opts)
    csv_index = replay.parse_replay((FIXTURES / "day.csv").read_bytes(), options())
    assert [p.key for p in index.posts] == [p.key for p in csv_index.posts]
    assert index.skipped == 3  # the bad date, the repeated id and one line that is not JSON
    by_id = {p.key: p for p in index.posts}
    assert by_id["replay:r012"].media[0].url == "https://images.example.org/dakar.jpg"
    assert by_id["replay:r012"].media[0].kind == "image"
    assert by_id["replay:r012"].country == "SN"
    assert by_id["replay:r011"].url == "https://example.org/press/panne-geante"
    assert by_id["replay:r001"].hashtags == ("#panne", "#fibre")


def test_a_mapping_that_matches_no_row_names_the_missing_path(tmp_path):
    with pytest.raises(FeedError) as info:
        replay.load_index(options(mapping={**CSV_MAPPING, "published_at": "timestamp"}))
    assert info.value.kind == "bad_response"
    assert "published_at" in str(info.value) and "'timestamp'" in str(info.value)


def test_options_are_strict():
    with pytest.raises(ValidationError):
        options(speed=0)
    with pytest.raises(ValidationError):
        options(unknown_key=1)
    with pytest.raises(ValidationError):
        options(path="day.txt")  # format cannot be guessed
    with pytest.raises(ValidationError):
        options(timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        options(mapping={"id": "id"})  # published_at is required
    with pytest.raises(ValidationError):
        options(mapping={**CSV_MAPPING, "text": "has space"})


def test_missing_file_is_a_client_error():
    with pytest.raises(FeedError) as info:
        run_poll(options(path="/nonexistent/day.csv"), {}, NOW)
    assert info.value.kind == "client"


# ------------------------------------------------------------------------------------------- playback


def test_first_poll_shows_the_first_row_as_just_published():
    result = run_poll(options(), {}, NOW)
    assert [p.key for p in result.posts] == ["replay:r001"]
    assert result.posts[0].published_at == NOW
    assert result.cursor["anchor"] == NOW.isoformat()


def test_rows_come_due_as_wall_time_passes_and_ages_look_live():
    opts = options()
    first = run_poll(opts, {}, NOW)
    later = NOW + timedelta(minutes=30)  # file time 06:32:11: r002 (06:15:40) and r003 (06:31:05) are due
    second = run_poll(opts, first.cursor, later)
    assert [p.key for p in second.posts] == ["replay:r002", "replay:r003"]
    # published where it happened in the replay: a row 13.5 file minutes after the first looks 16.5 min old
    assert second.posts[0].published_at == NOW + timedelta(minutes=13, seconds=29)
    assert later - second.posts[1].published_at == timedelta(minutes=1, seconds=6)
    third = run_poll(opts, second.cursor, later)  # nothing new without time passing
    assert third.posts == []


def test_speed_compresses_the_day_and_keeps_its_order():
    opts = options(speed=60.0)  # one file hour per wall minute
    first = run_poll(opts, {}, NOW)
    result = run_poll(opts, first.cursor, NOW + timedelta(minutes=4))  # file 06:02 -> 10:02
    keys = [p.key for p in result.posts]
    assert keys == [f"replay:r{n:03d}" for n in range(2, 13)]  # r013 (bad date) is not in the file's index
    stamps = [p.published_at for p in result.posts]
    assert stamps == sorted(stamps) and stamps[-1] <= NOW + timedelta(minutes=4)
    # r012 at 09:32:27 is 3h30m16s after the first row: 210.27 wall seconds at 60x
    assert result.posts[-1].published_at == NOW + timedelta(seconds=(3 * 3600 + 30 * 60 + 16) / 60)


def test_a_restart_continues_from_the_persisted_cursor():
    opts = options(speed=60.0)
    first = run_poll(opts, {}, NOW)
    cursor = dict(first.cursor)  # what the store persisted
    replay._cache.clear()  # a new process: the index is rebuilt, the place in the file is not lost
    after_restart = run_poll(opts, cursor, NOW + timedelta(minutes=1))
    assert [p.key for p in after_restart.posts] == ["replay:r002", "replay:r003", "replay:r004"]
    assert after_restart.posts[0].published_at == NOW + timedelta(seconds=809 / 60)


def test_changing_speed_keeps_the_place_in_the_file():
    first = run_poll(options(speed=60.0), {}, NOW)
    at_one_min = run_poll(options(speed=60.0), first.cursor, NOW + timedelta(minutes=1))  # file 07:02:11
    slower = run_poll(options(speed=1.0), at_one_min.cursor, NOW + timedelta(minutes=2))  # file 07:03:11
    assert slower.posts == []
    later = run_poll(options(speed=1.0), slower.cursor, NOW + timedelta(minutes=5))  # file 07:06:11
    assert [p.key for p in later.posts] == ["replay:r005"]


def test_start_option_and_prefill():
    opts = options(start="2024-03-14T09:00:00Z", prefill=2)
    result = run_poll(opts, {}, NOW)
    # nothing at exactly 09:00, but the two rows before it are shown at once, in the past
    assert [p.key for p in result.posts] == ["replay:r009", "replay:r010"]
    assert all(p.published_at < NOW for p in result.posts)
    nxt = run_poll(opts, result.cursor, NOW + timedelta(minutes=11))
    assert [p.key for p in nxt.posts] == ["replay:r011"]


def test_naive_start_is_read_in_the_configured_zone():
    opts = options(start="2024-03-14T11:00:00", timezone="Europe/Paris")  # 10:00 UTC
    result = run_poll(opts, {}, NOW + timedelta(seconds=1))
    assert result.posts == []
    nxt = run_poll(opts, result.cursor, NOW + timedelta(minutes=6))
    assert [p.key for p in nxt.posts] == ["replay:r014"]


def test_end_of_file_without_loop_goes_quiet_and_with_loop_starts_over_with_new_keys():
    opts = options(speed=3600.0)  # the whole morning in a few seconds
    first = run_poll(opts, {}, NOW)
    done = run_poll(opts, first.cursor, NOW + timedelta(seconds=10))
    assert len(done.posts) == 15
    assert run_poll(opts, done.cursor, NOW + timedelta(seconds=60)).posts == []

    looped = options(speed=3600.0, loop=True)
    first = run_poll(looped, {}, NOW)
    result = run_poll(looped, first.cursor, NOW + timedelta(seconds=10))  # lap 0 ends at ~6.3 s, lap 1 begins
    keys = [p.key for p in result.posts]
    assert "replay:r001@1" in keys and "replay:r017" in keys
    assert len(keys) == len(set(keys))
    stamps = [p.published_at for p in result.posts]
    assert stamps == sorted(stamps)


def test_a_burst_bigger_than_one_poll_arrives_whole_oldest_first_over_the_next_polls():
    opts = options(speed=3600.0, max_per_poll=3)
    first = run_poll(opts, {}, NOW)
    later = NOW + timedelta(seconds=10)  # the whole morning is due at once
    result = run_poll(opts, first.cursor, later)
    assert [p.key for p in result.posts] == ["replay:r002", "replay:r003", "replay:r004"]
    assert result.more  # the poller polls again at once
    delivered, cursor = list(result.posts), result.cursor
    while result.more:
        result = run_poll(opts, cursor, later)
        assert len(result.posts) <= 3
        delivered += result.posts
        cursor = result.cursor
    whole = run_poll(options(speed=3600.0), first.cursor, later)  # the same burst in one poll
    assert not whole.more
    assert (
        [p.key for p in delivered]
        == [p.key for p in whole.posts]
        == [f"replay:r{n:03d}" for n in range(2, 18) if n != 13]
    )
    assert [p.published_at for p in delivered] == [p.published_at for p in whole.posts]  # the recorded spacing
    assert run_poll(opts, cursor, later).posts == []


def test_the_file_is_indexed_once_and_reindexed_when_it_changes(tmp_path):
    path = tmp_path / "day.csv"
    shutil.copy(FIXTURES / "day.csv", path)
    opts = options(path=str(path))
    a = replay.load_index(opts)
    assert replay.load_index(opts) is a
    with path.open("a", encoding="utf-8") as f:
        f.write("r100,2024-03-14T13:00:00Z,twitter,en,GB,new_user,New User,10,false,Appended row,1,0,0,0,,\n")
    b = replay.load_index(opts)
    assert b is not a and b.posts[-1].key == "replay:r100"


def test_invalid_utf8_in_the_file_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,created_at,text\nx1,2024-03-14T06:00:00Z,caf\xe9 cr\xe8me\n")
    opts = replay.Options.model_validate(
        {"path": str(path), "mapping": {"id": "id", "published_at": "created_at", "text": "text"}}
    )
    index = replay.load_index(opts)
    assert index.posts[0].text.startswith("caf")


def test_a_looping_replay_that_was_off_for_many_laps_resumes_one_lap_back():
    opts = options(speed=3600.0, loop=True)
    first = run_poll(opts, {}, NOW)
    result = run_poll(opts, first.cursor, NOW + timedelta(hours=1))  # some 570 laps of the morning later
    laps = {int(p.key.split("@")[1]) for p in result.posts}
    assert len(result.posts) <= 2 * 16 and not result.more  # at most the lap in progress and the one before
    assert max(laps) - min(laps) <= 1 and min(laps) > 500
    stamps = [p.published_at for p in result.posts]
    assert stamps == sorted(stamps) and stamps[-1] <= NOW + timedelta(hours=1)
    assert run_poll(opts, result.cursor, NOW + timedelta(hours=1)).posts == []  # nothing twice


def test_a_cursor_saved_before_rows_were_carried_over_continues_where_it_was():
    opts = options(speed=60.0)
    first = run_poll(opts, {}, NOW)
    old = {k: first.cursor[k] for k in ("anchor", "pos", "speed", "start")}  # what an older version kept
    at_one_min = run_poll(opts, old, NOW + timedelta(minutes=1))
    assert [p.key for p in at_one_min.posts] == ["replay:r002", "replay:r003", "replay:r004"]
