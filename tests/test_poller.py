"""The polling runtime with a real Store: results land, failures keep the last good data and say
why, an adapter crash stops neither its feed nor the others, cursors resume after a restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel, ConfigDict

from feeds import poller as poller_mod
from feeds.adapter import PollResult
from feeds.errors import FeedError
from feeds.model import Author, Post
from feeds.poller import FeedSpec, Poller
from feeds.retry import RetryPolicy
from wall.store import Store

T = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def post(n: int) -> Post:
    return Post(key=f"t:{n}", source="t", published_at=T, text=f"post {n}", author=Author(id="a", name="A"))


class Script:
    """A test adapter whose polls follow a script: a list of results or exceptions."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.seen_cursors = []

    def module(self):
        async def poll(ctx):
            self.seen_cursors.append(dict(ctx.cursor))
            step = self.steps.pop(0) if self.steps else PollResult()
            if isinstance(step, Exception):
                raise step
            return step

        return SimpleNamespace(NAME="script", Options=NoOptions, CREDENTIALS=(), BUDGET=None, poll=poll)


class FastPolicy(RetryPolicy):
    def next_delay(self, error, attempt):  # retry at once: the test is about what happens, not when
        return 0.01


@pytest.fixture
def run(monkeypatch):
    started = []

    def go(scripts: dict[str, Script], store: Store, polls: dict[str, int]):
        monkeypatch.setattr(poller_mod, "adapter_module", lambda name: scripts[name].module_obj)
        for s in scripts.values():
            s.module_obj = s.module()
        specs = [FeedSpec(fid, fid, 0.01, {}, {}) for fid in scripts]
        p = Poller(specs, store, policy=FastPolicy(), clock=lambda: T)
        started.append(p)
        p.start()
        deadline = time.monotonic() + 10
        while any(p.polls[f] < n for f, n in polls.items()) and time.monotonic() < deadline:
            time.sleep(0.01)
        p.stop()
        assert all(p.polls[f] >= n for f, n in polls.items()), p.polls
        return p

    yield go
    for p in started:
        p.stop()


def test_results_land_in_the_store_and_failures_keep_the_last_good_data(run):
    store = Store({"a": ("a", 60.0)})
    script = Script(
        [
            PollResult(posts=[post(1), post(2)], cursor={"since_id": "2"}),
            FeedError("server", "HTTP 503 from the vendor", status=503),
        ]
    )
    run({"a": script}, store, {"a": 2})
    snap = store.snapshot("a", T)
    assert {p.key for p in snap.posts} == {"t:1", "t:2"}  # the last good data stays
    assert snap.health.state == "failing"
    assert "503" in snap.health.last_error


def test_an_adapter_crash_stops_neither_its_feed_nor_the_others(run):
    store = Store({"bad": ("bad", 60.0), "good": ("good", 60.0)})
    bad = Script([RuntimeError("bug in the adapter"), PollResult(posts=[post(7)])])
    good = Script([PollResult(posts=[post(1)]), PollResult(posts=[post(2)])])
    run({"bad": bad, "good": good}, store, {"bad": 2, "good": 2})
    assert [p.key for p in store.snapshot("bad", T).posts] == ["t:7"]  # recovered on the next poll
    assert {p.key for p in store.snapshot("good", T).posts} == {"t:1", "t:2"}


def test_credentials_failure_is_its_own_state(run):
    store = Store({"a": ("a", 60.0)})
    run({"a": Script([FeedError("credentials", "HTTP 401")])}, store, {"a": 1})
    assert store.snapshot("a", T).health.state == "credentials"


def test_cursor_is_persisted_and_resumed_after_a_restart(run, tmp_path):
    path = tmp_path / "wall.sqlite3"
    store = Store.open(path, {"a": ("a", 60.0)})
    run({"a": Script([PollResult(posts=[post(1)], cursor={"since_id": "41"})])}, store, {"a": 1})
    store.close()
    again = Store.open(path, {"a": ("a", 60.0)})
    script = Script([PollResult()])
    run({"a": script}, again, {"a": 1})
    again.close()
    assert script.seen_cursors[0] == {"since_id": "41"}


def test_missing_secret_is_a_credentials_failure_without_calling_the_adapter(monkeypatch):
    import asyncio

    from feeds.http import Fetcher

    called = []
    module = SimpleNamespace(
        NAME="s", Options=NoOptions, CREDENTIALS=("token",), BUDGET=None, poll=lambda ctx: called.append(ctx)
    )
    monkeypatch.setattr(poller_mod, "adapter_module", lambda name: module)

    async def once():
        async with Fetcher() as f:
            return await poller_mod.poll_once(FeedSpec("s", "s", 60, {}, {"token": None}), f, {}, T)

    with pytest.raises(FeedError) as exc:
        asyncio.run(once())
    assert exc.value.kind == "credentials" and "token" in str(exc.value)
    assert not called


def test_conditional_get_survives_a_restart(tmp_path):
    """The ETag learnt before a restart is sent after it: an unchanged press feed costs a 304."""
    from http_fixture_server import FixtureServer

    fixture = (Path(__file__).parent / "fixtures" / "rss" / "lesechos_rss2.xml").read_bytes()
    with FixtureServer() as server:

        def handler(h):
            if h.headers.get("If-None-Match") == '"v1"':
                h.reply(304, headers={"ETag": '"v1"'})
            else:
                h.reply(200, fixture, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

        url = server.route("/press.xml", handler)
        path = tmp_path / "wall.sqlite3"
        for _ in range(2):
            store = Store.open(path, {"press": ("rss", 60.0)})
            p = Poller([FeedSpec("press", "rss", 60.0, {"url": url}, {})], store, policy=FastPolicy())
            p.start()
            deadline = time.monotonic() + 15
            while p.polls["press"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            p.stop()
            assert len(store.snapshot("press", datetime.now(UTC)).posts) == 4
            store.close()
        seen = server.requests_to("/press.xml")
        assert len(seen) == 2
        assert "if-none-match" not in seen[0].headers
        assert seen[1].headers["if-none-match"] == '"v1"'  # after the restart


def test_a_result_that_says_more_is_followed_by_the_next_poll_at_once(monkeypatch):
    """A backlog bigger than one poll (an adapter's `more`) is delivered by polls that follow at once,
    not poll_s apart; `more` with nothing delivered waits poll_s as usual (an adapter bug never spins)."""
    store = Store({"a": ("a", 3600.0)})
    script = Script(
        [
            PollResult(posts=[post(1)], cursor={"at": "1"}, more=True),
            PollResult(posts=[post(2)], cursor={"at": "2"}, more=True),
            PollResult(more=True),  # more, yet nothing delivered: the next poll waits poll_s (an hour)
            PollResult(posts=[post(3)], cursor={"at": "3"}),
        ]
    )
    script.module_obj = script.module()
    monkeypatch.setattr(poller_mod, "adapter_module", lambda name: script.module_obj)
    p = Poller([FeedSpec("a", "a", 3600.0, {}, {})], store, policy=FastPolicy(), clock=lambda: T)
    p.start()
    try:
        deadline = time.monotonic() + 10
        while p.polls["a"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # a fourth poll would come now if poll_s were not honoured
    finally:
        p.stop()
    assert p.polls["a"] == 3
    assert {q.key for q in store.snapshot("a", T).posts} == {"t:1", "t:2"}
    assert script.seen_cursors == [{}, {"at": "1"}, {"at": "2"}]  # each poll went on from the last


def test_one_poll_of_every_feed_keeps_data_and_failures_and_a_stuck_feed_is_cut_off(monkeypatch):
    """`render --poll`'s poll: all feeds at once, each outcome in the store, a feed that never
    answers cut off at the time limit instead of holding the command."""
    import asyncio

    from feeds.poller import poll_every_feed_once

    good = Script([PollResult(posts=[post(1), post(2)], cursor={"since": "2"})])
    broken = Script([FeedError("credentials", "token refused")])
    crashing = Script([ZeroDivisionError("adapter bug")])

    async def never(ctx):
        await asyncio.sleep(3600)

    stuck = SimpleNamespace(NAME="stuck", Options=NoOptions, CREDENTIALS=(), BUDGET=None, poll=never)
    modules = {"good": good.module(), "broken": broken.module(), "crashing": crashing.module(), "stuck": stuck}
    monkeypatch.setattr(poller_mod, "adapter_module", lambda name: modules[name])
    store = Store({fid: (fid, 60.0) for fid in modules})
    specs = [FeedSpec(fid, fid, 60.0, {}, {}) for fid in modules]

    outcomes = {o.feed_id: o for o in poll_every_feed_once(specs, store, time_limit_s=0.3, now=T)}

    assert (outcomes["good"].error, outcomes["good"].posts) == (None, 2)
    assert sorted(p.key for p in store.snapshot("good", T).posts) == ["t:1", "t:2"]
    assert store.cursors("good") == {"since": "2"}
    assert outcomes["broken"].error == "credentials: token refused"
    assert "ZeroDivisionError: adapter bug" in outcomes["crashing"].error
    assert outcomes["stuck"].error.startswith("timeout:")
    assert store.snapshot("broken", T).health.state == "credentials"
    for fid in ("crashing", "stuck"):
        assert store.snapshot(fid, T).health.state == "failing", fid
    store.close()
