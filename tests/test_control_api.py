"""The control API over real sockets: a live headless wall (tests/live_wall.py) and httpx.

What operators and demo guides do through it: switch scenarios (and see the switch on the
wall), step through them, spotlight a zone, freeze, lock, read a zone's view-model, watch a
preview, scrape metrics, reload the config (good and bad); and the tokens that guard it.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from live_wall import OPERATOR, VIEWER, LiveHarness
from PIL import Image

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("WALL_OPERATOR_TOKEN", OPERATOR)
    mp.setenv("WALL_VIEWER_TOKEN", VIEWER)
    folder = tmp_path_factory.mktemp("wall")
    # a copy of the demo (and its layouts), so reload tests can edit it
    config = folder / "demo.yaml"
    shutil.copy(REPO / "config" / "demo.yaml", config)
    shutil.copytree(REPO / "layouts", folder / "layouts")
    harness = LiveHarness(config, T)
    yield harness
    harness.stop()
    mp.undo()


def png(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))


def test_tokens_guard_every_endpoint(wall):
    with wall.client(None) as anon:
        r = anon.get("/api/status")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert anon.post("/api/scenario", json={"name": "crisis"}).status_code == 401
        assert anon.get("/metrics").status_code == 401
        assert anon.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with wall.client(VIEWER) as viewer:
        assert viewer.get("/api/status").status_code == 200
        r = viewer.post("/api/scenario", json={"name": "crisis"})
        assert r.status_code == 403 and "operator token" in r.json()["detail"]
        assert viewer.post("/api/moderation/hide", json={"key": "x"}).status_code == 403
        assert viewer.post("/api/reload").status_code == 403
    # the console page itself carries no data and needs no token; the API's description needs one
    with wall.client(None) as anon:
        assert anon.get("/").status_code == 200
        assert anon.get("/openapi.json").status_code == 401
        assert anon.get("/docs").status_code == 401
    with wall.client(VIEWER) as viewer:
        spec = viewer.get("/openapi.json").json()
        assert "/api/scenario" in spec["paths"] and "/api/moderation/approve" in spec["paths"]
        assert viewer.get("/docs").status_code == 200


def test_status_reports_the_wall(wall):
    s = wall.wait_status(lambda s: s["frames"] > 5)
    assert s["scenario"] == "monitoring" and s["shown"] == "monitoring"
    assert s["scenarios"] == ["monitoring", "crisis", "launch", "holding", "test"]
    assert s["fps_target"] == 30 and s["frame_ms_p99"] is not None and s["dropped_frames"] >= 0
    assert [d["display"] for d in s["displays"]] == ["A1", "B1", "C1", "A2", "B2", "C2"]
    assert s["feeds"]["demo"]["state"] == "ok"
    assert s["control"]["writable"] is True


def test_switching_shows_the_new_scenario_and_says_how_long_it_took(wall):
    with wall.client() as op:
        before = png(op.get("/api/snapshot.png", params={"width": 960}).content)
        r = op.post("/api/scenario", json={"name": "crisis", "wait": True})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["scenario"] == "crisis" and body["switched"] is True
        assert body["frames"] >= 1 and body["ms"] > 0
        s = op.get("/api/status").json()
        assert s["shown"] == "crisis" and s["reason"] == "operator" and s["operator_choice"] == "crisis"
        assert s["last_switch"]["scenario"] == "crisis"
        # the first frame of a switch is the first step of its transition (the picture it leaves);
        # within the scenario's 0.6 s crossfade the preview shows the change
        deadline = time.monotonic() + 10
        while True:
            after = png(op.get("/api/snapshot.png", params={"width": 960}).content)
            assert after.shape == before.shape and after.shape[1] == 960
            if np.abs(after.astype(int) - before.astype(int)).mean() > 5 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 5  # the preview shows the change
        # the crisis wall is red-dark: its background dominates the preview now
        r = op.post("/api/scenario", json={"name": "nope"})
        assert r.status_code == 400 and "unknown scenario 'nope'" in r.json()["detail"]
        r = op.post("/api/scenario", json={})
        assert r.status_code == 422
        r = op.post("/api/next")
        assert r.json()["scenario"] == "launch"
        wall.wait_status(lambda s: s["shown"] == "launch")
        r = op.post("/api/prev")
        assert r.json()["scenario"] == "crisis"
        wall.wait_status(lambda s: s["shown"] == "crisis")
        op.post("/api/scenario", json={"name": "monitoring", "wait": True})


def test_zone_state_is_the_view_model(wall):
    with wall.client(VIEWER) as v:
        wall.wait_status(lambda s: s["shown"] == "monitoring")
        r = v.get("/api/zones/clock/state")
        assert r.status_code == 200
        state = r.json()
        assert state["widget"] == "clock" and state["view"]["_type"] == "ClockView"
        assert v.get("/api/zones/nope/state").status_code == 404


def test_what_waits_for_approval_is_counted_for_the_console_and_held_on_the_wall(wall):
    """The launch (approve-first) with nothing approved: the API counts every waiting post, the
    posts zone is the holding card that says why only to the API; the kill switch shows the
    demo's holding scenario, whose zones name no one."""
    with wall.client() as op:
        op.post("/api/scenario", json={"name": "launch", "wait": True})
        wall.set_time(wall.clock.now, settle_frames=3)
        mod = op.get("/api/moderation").json()
        waiting = mod["state"]["queue_size"]
        assert waiting == len(mod["queue"]) > 0 and mod["state"]["approved"] == 0
        posts = op.get("/api/zones/posts/state").json()
        assert posts["widget"] == "holding" and posts["view"]["_type"] == "HoldingView"
        assert posts["view"]["line"] == "Posts appear here once approved"
        assert posts["view"]["waiting"] == waiting and "waiting for approval" in posts["view"]["reason"]
        # the console reads why each zone holds from the status (the wall never shows it)
        holding = op.get("/api/status").json()["moderation"]["holding"]
        assert set(holding) == {"posts", "influencers"} and holding["posts"] == posts["view"]["reason"]
        try:
            assert op.post("/api/moderation/kill", json={"on": True}).status_code == 200
            s = wall.wait_status(lambda s: s["shown"] == "holding")
            assert s["reason"] == "kill switch"
            brand = op.get("/api/zones/brand/state").json()
            assert brand["widget"] == "holding" and brand["view"]["line"] == "Back in a moment"
        finally:
            op.post("/api/moderation/kill", json={"on": False})
            wall.wait_status(lambda s: s["shown"] == "launch")
            op.post("/api/scenario", json={"name": "monitoring", "wait": True})


def test_spotlight_fills_the_wall_and_returns(wall):
    with wall.client() as op:
        wall.wait_status(lambda s: s["shown"] == "monitoring")
        r = op.post("/api/spotlight", json={"zone": "tone"})
        assert r.status_code == 200 and r.json() == {"spotlight": "tone"}
        s = wall.wait_status(lambda s: s["shown"] == "monitoring+spotlight:tone")
        assert s["presentation"]["spotlight"] == "tone"
        r = op.get("/api/zones/tone/state")
        assert r.json()["widget"] == "sentiment"
        assert op.post("/api/spotlight", json={"zone": "nope"}).status_code == 400
        op.post("/api/spotlight", json={"zone": None})
        s = wall.wait_status(lambda s: s["shown"] == "monitoring")
        assert s["presentation"]["spotlight"] is None


def test_freeze_stops_content_while_time_goes_on(wall):
    with wall.client() as op:
        assert op.post("/api/freeze", json={"on": True}).json() == {"frozen": True}
        assert op.get("/api/status").json()["presentation"]["frozen"] is True
        posts_before = op.get("/api/zones/posts/state").json()["view"]
        clock_before = op.get("/api/zones/clock/state").json()["view"]
        wall.set_time(T.replace(hour=14))  # hours later: the demo's data would have moved on
        assert op.get("/api/zones/posts/state").json()["view"] == posts_before  # content frozen...
        assert op.get("/api/zones/clock/state").json()["view"] != clock_before  # ...the clock is not
        op.post("/api/freeze", json={"on": False})
        wall.set_time(T.replace(hour=14, minute=1))
        assert op.get("/api/zones/posts/state").json()["view"] != posts_before
        wall.set_time(T)


def test_lock_has_a_time_limit(wall):
    with wall.client() as op:
        r = op.post("/api/lock", json={"on": True, "minutes": 10})
        assert r.status_code == 200 and r.json()["locked"] is True
        until = datetime.fromisoformat(r.json()["until"])
        assert (until - T).total_seconds() == pytest.approx(600, abs=2)
        assert op.post("/api/lock", json={"minutes": 500}).status_code == 422
        s = op.get("/api/status").json()
        assert s["presentation"]["locked_until"] == r.json()["until"]
        wall.set_time(T.replace(minute=45))  # past the limit: the lock ends by itself
        s = wall.wait_status(lambda s: s["presentation"]["locked_until"] is None)
        op.post("/api/lock", json={"on": False})
        wall.set_time(T)


def test_metrics_are_prometheus_text(wall):
    with wall.client(VIEWER) as v:
        text = v.get("/metrics").text
    assert "# TYPE wall_frame_seconds histogram" in text
    counts = dict(re.findall(r'wall_frame_seconds_bucket\{le="([^"]+)"\} (\d+)', text))
    assert int(counts["+Inf"]) > 0
    values = [int(counts[k]) for k in counts]
    assert values == sorted(values)  # cumulative
    assert re.search(r"^wall_dropped_frames_total \d+$", text, re.M)
    assert 'wall_feed_up{feed="demo",state="ok"} 1' in text
    assert re.search(r'^wall_scenario_info\{scenario="\w+"\} 1$', text, re.M)


def test_reload_applies_a_good_change_and_rejects_a_bad_one(wall):
    config: Path = wall.config
    original = config.read_text()
    try:
        with wall.client() as op:
            op.post("/api/scenario", json={"name": "monitoring", "wait": True})
            # a good change: a new title for the posts zone; applied, other zones keep their pixels
            config.write_text(original.replace('title: "Top posts"', 'title: "Best of the web"'))
            r = op.post("/api/reload")
            assert r.status_code == 200, r.text
            assert "scenarios" in r.json()["changed"]
            wall.set_time(T, settle_frames=10)
            # the changed scenario shows once its zones are painted: on a busy machine, some frames later
            deadline = time.monotonic() + 60
            while "Best of the web" not in str(op.get("/api/zones/posts/state").json()["view"]):
                assert time.monotonic() < deadline, "the reloaded title never showed"
                time.sleep(0.1)
            s = op.get("/api/status").json()
            assert s["shown"] == "monitoring" and s["reload_error"] is None
            # a bad change: rejected with file:line:col; the wall keeps running the previous config
            config.write_text(original.replace("fps: 30", "fps: -3"))
            r = op.post("/api/reload")
            assert r.status_code == 400
            detail = r.json()["detail"]
            assert re.search(rf"{re.escape(str(config))}:\d+:\d+: ", detail), detail
            s = op.get("/api/status").json()
            assert s["reload_error"] and "fps" in s["reload_error"]
            assert s["fps_target"] == 30
            frames = s["frames"]
            s = wall.wait_status(lambda s: s["frames"] > frames + 5)  # still running
            # the file watcher notices a fix on its own
            config.write_text(original)
            wall.wait_status(lambda s: s["reload_error"] is None, timeout=30)
    finally:  # a failure above must not leave the next tests another config
        config.write_text(original)


def test_a_reload_asked_after_the_watcher_applied_the_change_answers_the_same(wall):
    """Whoever comes first, the file watcher or the operator's reload, the operator gets the same
    answer for the same change (no "nothing changed" because the watcher was quicker)."""
    config: Path = wall.config
    original = config.read_text()
    try:
        with wall.client() as op:
            op.post("/api/scenario", json={"name": "monitoring", "wait": True})
            config.write_text(original.replace('title: "Top posts"', 'title: "Watched first"'))
            deadline = time.monotonic() + 30
            while "Watched first" not in str(op.get("/api/zones/posts/state").json()["view"]):
                assert time.monotonic() < deadline, "the watcher never applied the change"
                time.sleep(0.1)
            r = op.post("/api/reload")
            assert r.status_code == 200, r.text
            assert "scenarios" in r.json()["changed"] and r.json()["already"].startswith("applied by")
    finally:
        config.write_text(original)
        wall.wait_status(lambda s: s["reload_error"] is None, timeout=30)


def test_reload_adds_a_feed_and_rebinds_a_zone_without_a_restart(tmp_path, monkeypatch):
    """A feed added in the config and a zone switched to it: after the reload the poller polls it
    and the zone shows its data; the other zones kept theirs."""
    monkeypatch.setenv("WALL_OPERATOR_TOKEN", OPERATOR)
    monkeypatch.setenv("WALL_VIEWER_TOKEN", VIEWER)
    config = tmp_path / "demo.yaml"
    original = (REPO / "config" / "demo.yaml").read_text()
    config.write_text(original)
    wall = LiveHarness(config, datetime.now(UTC), feeds=True)
    try:
        with wall.client() as op:
            wall.wait_status(lambda s: s["shown"] == "monitoring")
            clock_before = op.get("/api/zones/clock/state").json()
            feed = f"""  day:
    adapter: replay
    poll_s: 5
    options:
      path: {REPO / "assets/replay/outage-day.csv"}
      speed: 60
      loop: true
      prefill: 6
      mapping: {{ id: id, published_at: created_at, network: network, author_handle: author_handle,
                 author_name: author_name, text: text, likes: likes, reposts: reposts, replies: replies }}
"""
            text = original.replace("feeds:\n  demo: { adapter: demo }\n", "feeds:\n  demo: { adapter: demo }\n" + feed)
            text = text.replace(
                "posts:       { widget: top_posts, feed: demo,", "posts:       { widget: top_posts, feed: day,"
            )
            assert text != original
            config.write_text(text)
            r = op.post("/api/reload")
            assert r.status_code == 200, r.text
            assert "feeds" in r.json()["changed"] and r.json()["feeds"].startswith("restarted")
            s = wall.wait_status(lambda s: "day" in s["feeds"] and s["feeds"]["day"]["posts"] > 0)
            assert s["reload_error"] is None
            deadline = time.monotonic() + 30
            while True:
                posts = op.get("/api/zones/posts/state").json()["view"]["posts"]
                if posts and all(p["key"].startswith("replay:") for p in posts):
                    break
                assert time.monotonic() < deadline, posts
                time.sleep(0.2)
            assert op.get("/api/zones/clock/state").json()["widget"] == clock_before["widget"]
    finally:
        wall.stop()
