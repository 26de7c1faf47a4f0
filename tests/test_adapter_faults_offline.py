"""The fault matrix (tests/test_adapter_faults.py) for the two adapters that read no server of their own:
`replay` (a recorded day in a file) and `aggregate` (several feeds shown as one, computed by the store).

What an operator would notice, as for the network adapters: the wall keeps polling, the zone keeps its
last good posts, and health says what happened.
- replay: the file replaced, between polls, by an HTML page (saved from a browser in place of the
  export), by rows with invalid UTF-8, by a recording that lists every row twice, by a file over the
  adapter's size cap, by lines that are not JSON, or removed altogether;
- aggregate: one member feed fails in every way a network feed can (tests/fault_server.py and this
  suite's MatrixServer), or its replay file turns into an HTML page: the aggregate keeps every member's
  last posts and its health is the failing member's, naming it;
- and the poller itself, when the store cannot keep what a poll gave (a bug on either side): that feed
  polls on, says so in its health, and asks again for what was not kept.

Real Poller, real in-memory Store, real files, a real local HTTP server. A step changes the source, then
waits for two polls of the feed to finish (the first may have begun before the change), with a generous
deadline: nothing sleeps a fixed time."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from test_adapter_faults import (
    CAPTIVE_PORTAL,
    EXPECT,
    MATRIX,
    POLL_S,
    READ_TIMEOUT_S,
    SCENARIOS,
    SIZE_CAP,
    TOTAL_TIMEOUT_S,
    FastRetry,
    MatrixServer,
    RecordingSink,
    wait_until,
)

from feeds import replay
from feeds.budget import RequestBudget
from feeds.http import Fetcher
from feeds.poller import FeedSpec, Poller, credential_key
from wall.store import FeedSnapshot, Store

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "replay"
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
MAPPING = {
    "id": "id",
    "published_at": "created",
    "network": "source",
    "lang": "lang",
    "author_handle": "user.screen_name",
    "author_name": "user.name",
    "text": "content.text",
    "likes": "stats.likes",
}


def good_lines() -> list[bytes]:
    """The recorded day's JSON Lines that are usable rows, each once (the fixture also holds a broken
    line and a repeated id, which its own tests cover)."""
    seen: set[str] = set()
    lines = []
    for line in (FIXTURES / "day.jsonl").read_bytes().splitlines():
        try:
            row = json.loads(line)
            replay.to_datetime(row["created"])
        except ValueError:
            continue
        if row["id"] not in seen:
            seen.add(row["id"])
            lines.append(line)
    return lines


def new_row(row_id: str, text: bytes, at: str) -> bytes:
    """A row at `at` (after the recorded day), whose text is `text` (raw bytes: it may be invalid UTF-8)."""
    return (
        b'{"id": "' + row_id.encode() + b'", "created": "' + at.encode() + b'", "source": "mastodon", '
        b'"user": {"screen_name": "ops", "name": "Ops"}, "content": {"text": "' + text + b'"}}'
    )


class ReplayFile:
    """The replay's file, rewritten atomically (the adapter reads either the old file or the new one),
    each version with its own modification time (the adapter re-reads a file whose size or mtime moved)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = 0

    def write(self, data: bytes) -> None:
        staged = self.path.with_suffix(".tmp")
        staged.write_bytes(data)
        self._stamp(staged)
        os.replace(staged, self.path)

    def oversize(self) -> None:
        """A file one byte over the adapter's cap: sparse, so it costs no disk and is never read."""
        staged = self.path.with_suffix(".tmp")
        with staged.open("wb") as f:
            f.truncate(replay.MAX_FILE_BYTES + 1)
        self._stamp(staged)
        os.replace(staged, self.path)

    def remove(self) -> None:
        self.path.unlink()

    def _stamp(self, path: Path) -> None:
        self.version += 1
        ns = 1_700_000_000_000_000_000 + self.version * 1_000_000_000
        os.utime(path, ns=(ns, ns))


def after_two_polls(poller: Poller, feed: str, change: Callable[[], None]) -> None:
    """Make `change`, then wait for two polls of `feed` to finish: the second began after the change."""
    start = poller.polls[feed]
    change()
    wait_until(lambda: poller.polls[feed] >= start + 2, f"two polls of {feed} after the change")


def replay_spec(feed: str, path: Path) -> FeedSpec:
    return FeedSpec(feed, "replay", POLL_S, {"path": str(path), "mapping": MAPPING, "speed": "max"}, {})


# ------------------------------------------------------------------------------------------- replay

# step -> what the file becomes
LINES = good_lines()
GOOD = b"\n".join(LINES) + b"\n"
# a new row whose text is Latin-1 and holds a broken UTF-8 sequence, then one more, new, sent twice
LATIN = new_row("u1", b"caf\xe9 cr\xe8me \xc3\x28 ok", "2024-03-15T09:00:00Z")
TWICE = new_row("d1", b"said twice", "2024-03-15T10:00:00Z")
REPLAY_STEPS: dict[str, Callable[[ReplayFile], None]] = {
    "html": lambda f: f.write(CAPTIVE_PORTAL),
    "invalid_utf8": lambda f: f.write(GOOD + LATIN + b"\n"),
    "duplicates": lambda f: f.write(b"".join(line + b"\n" + line + b"\n" for line in [*LINES, LATIN, TWICE])),
    "too_large": lambda f: f.oversize(),
    "unreadable": lambda f: f.write(b"".join(line[: len(line) // 2] + b"\n" for line in LINES)),
    "missing": lambda f: f.remove(),
}
# step -> (health state, error kind that leads last_error (None: no error), words it must contain)
REPLAY_EXPECT = {
    "html": ("failing", "bad_response", "is an HTML page ('Hotel Wi-Fi: please sign in'), not jsonl rows"),
    "invalid_utf8": ("ok", None, ""),
    "duplicates": ("degraded", None, ""),
    "too_large": ("failing", "too_large", f"over the {replay.MAX_FILE_BYTES}-byte limit"),
    "unreadable": ("failing", "bad_response", f"has no rows to show: {len(LINES)} unreadable line"),
    "missing": ("failing", "client", "cannot be read"),
}


def test_replay_faults_keep_the_last_rows_and_say_what_the_file_is(tmp_path):
    feed = "replay-feed"
    file = ReplayFile(tmp_path / "day.jsonl")
    file.write(GOOD)
    store = Store({feed: ("replay", 60.0)})
    sink = RecordingSink(store)
    poller = Poller([replay_spec(feed, file.path)], sink, policy=FastRetry(), clock=lambda: NOW)
    poller.start()
    try:
        wait_until(lambda: poller.polls[feed] >= 2, "two good polls")
        good = store.snapshot(feed, NOW)
        assert good.health.state == "ok" and good.health.last_error is None, good.health
        assert len(good.posts) == len(LINES)

        for step, change in REPLAY_STEPS.items():
            before = store.snapshot(feed, NOW)
            puts = len(sink.puts)
            after_two_polls(poller, feed, lambda change=change: change(file))
            after = store.snapshot(feed, NOW)
            state, kind, says = REPLAY_EXPECT[step]
            where = f"replay after {step}: {after.health}"
            assert after.health.state == state, where
            keys = {p.key for p in after.posts}
            if kind is not None:
                assert after.posts == before.posts, f"{where}: the last rows changed"
                assert after.health.last_error.startswith(f"{kind}: ") and says in after.health.last_error, where
                continue
            assert after.health.last_error is None, where
            assert keys >= {p.key for p in before.posts}, f"{where}: rows shown before are gone"
            u1 = next(p for p in after.posts if p.key == "replay:u1")  # the row with invalid UTF-8, shown
            assert u1.text.startswith("caf\ufffd cr\ufffdme \ufffd(")
            if step == "duplicates":  # each row once, the repeats counted in health
                assert "replay:d1" in keys
                for delivered in sink.puts[puts:]:
                    assert len(delivered) == len(set(delivered)), f"{where}: a row delivered twice: {delivered}"
                notes = " ".join(after.health.notes)
                assert f"{len(LINES) + 2} duplicate id (line 2: id r001, first at line 1;" in notes, where

        after_two_polls(poller, feed, lambda: file.write(GOOD))  # the recording is back
        recovered = store.snapshot(feed, NOW)
        assert recovered.health.last_error is None, recovered.health
        assert recovered.health.state == "degraded", recovered.health  # the repeats it once had stay counted
        assert {"replay:u1", "replay:d1"} < {p.key for p in recovered.posts}
    finally:
        poller.stop()


class FlakySink(RecordingSink):
    """The store, refusing the first `refusals` polls' data as a store with a bug would (the figures of a
    count of 400 digits once failed so, on the poller's thread)."""

    def __init__(self, store: Store, refusals: int) -> None:
        super().__init__(store)
        self.refusals = refusals
        self.errors: list[str] = []

    def put(self, feed_id: str, posts: list, metrics: dict, at: datetime, **kw) -> None:
        if self.refusals:
            self.refusals -= 1
            raise OverflowError("int too large to convert to float")
        super().put(feed_id, posts, metrics, at, **kw)

    def fail(self, feed_id: str, error: str, at: datetime, *, credentials: bool = False) -> None:
        self.errors.append(error)
        super().fail(feed_id, error, at, credentials=credentials)


def test_a_poll_whose_data_the_store_cannot_keep_leaves_the_feed_polling(tmp_path):
    """The store failing to keep a poll's data is that feed's failure, told in its health: the feed polls
    on (its task does not die with the exception), and asks again for what was not kept."""
    feed = "replay-feed"
    file = ReplayFile(tmp_path / "day.jsonl")
    file.write(GOOD)
    store = Store({feed: ("replay", 60.0)})
    sink = FlakySink(store, refusals=2)
    poller = Poller([replay_spec(feed, file.path)], sink, policy=FastRetry(), clock=lambda: NOW)
    poller.start()
    try:
        wait_until(lambda: len(sink.puts) >= 1, "a poll whose data is kept")
        assert (
            sink.errors[:2]
            == ["adapter error: this poll's data could not be kept: OverflowError: int too large to convert to float"]
            * 2
        )
        assert len(sink.puts[0]) == len(LINES)  # every row: the refused polls did not move the cursor
        wait_until(lambda: poller.polls[feed] >= 4, "the feed polling on")
        snap = store.snapshot(feed, NOW)
        assert len(snap.posts) == len(LINES), "rows of the refused polls were not asked for again"
        assert snap.health.state == "ok" and snap.health.last_error is None, snap.health
    finally:
        poller.stop()


# ------------------------------------------------------------------------------------------- aggregate

MASTODON = next(s for s in SCENARIOS if s.adapter == "mastodon")
MEMBER_FAULTS = [f for f in MATRIX if f not in ("duplicates", "image_bomb")]  # the failures a member can have


def data(snap: FeedSnapshot) -> tuple:
    return {p.key for p in snap.posts}, dict(snap.metrics)


def test_aggregate_keeps_every_members_posts_and_names_the_failing_one(tmp_path):
    agg, net, rec = "all-feeds", "masto-feed", "replay-feed"
    file = ReplayFile(tmp_path / "day.jsonl")
    file.write(GOOD)
    store = Store({net: ("mastodon", 60.0), rec: ("replay", 60.0), agg: ("aggregate", 60.0)})
    store.set_aggregate(agg, [rec, net])
    with MatrixServer(MASTODON, size_cap=SIZE_CAP) as server:
        masto = FeedSpec(net, "mastodon", POLL_S, MASTODON.options(server), dict(MASTODON.credentials))
        policy = FastRetry()

        def fetcher() -> Fetcher:
            f = Fetcher(read_timeout=READ_TIMEOUT_S, total_timeout=TOTAL_TIMEOUT_S, max_bytes=SIZE_CAP, policy=policy)
            f.register_budget(credential_key(masto), RequestBudget(1_000_000, 1.0))
            return f

        poller = Poller(
            [masto, replay_spec(rec, file.path)], store, fetcher_factory=fetcher, policy=policy, clock=lambda: NOW
        )
        poller.start()
        try:
            wait_until(lambda: poller.polls[net] >= 2 and poller.polls[rec] >= 2, "two good polls of each member")
            good = store.snapshot(agg, NOW)
            members = {p.key for p in store.snapshot(net, NOW).posts} | {p.key for p in store.snapshot(rec, NOW).posts}
            assert good.health.state == "ok" and good.health.last_error is None, good.health
            assert {p.key for p in good.posts} == members and len(members) == MASTODON.posts + len(LINES)

            for fault in MEMBER_FAULTS:
                before = store.snapshot(agg, NOW)
                after_two_polls(poller, net, lambda fault=fault: setattr(server, "mode", fault))
                after = store.snapshot(agg, NOW)
                state, kind, says = MASTODON.expect.get(fault, EXPECT[fault])
                where = f"aggregate while {net} answers {fault}: {after.health}"
                assert data(after) == data(before), f"{where}: the members' last posts changed"
                assert after.health.state == state, where
                assert after.health.last_error.startswith(f"{net}: {kind}: ") and says in after.health.last_error, where
                server.mode = "good"

            after_two_polls(poller, net, lambda: None)
            assert store.snapshot(agg, NOW).health.state == "ok"
            # the other member fails: its file became an HTML page
            before = store.snapshot(agg, NOW)
            after_two_polls(poller, rec, lambda: file.write(CAPTIVE_PORTAL))
            after = store.snapshot(agg, NOW)
            assert data(after) == data(before) and {p.key for p in after.posts} == members
            assert after.health.state == "failing" and after.health.last_error.startswith(f"{rec}: bad_response: ")
            assert "HTML page" in after.health.last_error, after.health
        finally:
            poller.stop()
            server.mode = "closed"
