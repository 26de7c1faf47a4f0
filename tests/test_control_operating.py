"""Operating the wall through the API: schedules (injected clock), an alert rule on a replayed
day (fire, banner, acknowledge, cooldown), and every moderation action, on live headless walls
whose control API is served on 127.0.0.1 (tests/live_wall.py)."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import time
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from conftest import REPO
from live_wall import OPERATOR, VIEWER, LiveHarness
from PIL import Image

from feeds.http import Fetcher
from feeds.poller import poll_once
from wall.config.loader import load_config
from wall.runtime import feed_specs
from wall.store import Store

PARIS = timezone(timedelta(hours=1))  # November: CET


@pytest.fixture
def tokens(monkeypatch):
    monkeypatch.setenv("WALL_OPERATOR_TOKEN", OPERATOR)
    monkeypatch.setenv("WALL_VIEWER_TOKEN", VIEWER)


def demo_copy(tmp_path, extra: str = "", replace: tuple[str, str] | None = None):
    shutil.copytree(REPO / "layouts", tmp_path / "layouts", dirs_exist_ok=True)
    text = (REPO / "config" / "demo.yaml").read_text()
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "demo.yaml"
    path.write_text(text + extra)
    return path


def brightness(content: bytes) -> float:
    return float(np.asarray(Image.open(io.BytesIO(content)).convert("L")).mean())


# ---------------------------------------------------------------- schedule

SCHEDULE = """\
schedule:
  timezone: Europe/Paris
  hours: { mon-fri: "07:00-22:00", sat-sun: closed }
  default: monitoring
  dayparts:
    - { at: "12:00-14:00", scenario: launch }
  weekly:
    - { days: mon, at: "16:00-17:00", scenario: crisis, label: "Crisis drill" }
  night: { mode: dim, level: 0.2, pixel_shift_px: 4, shift_every_s: 60 }
"""


def test_the_schedule_drives_the_wall_and_interrupts_return_to_it(tokens, tmp_path):
    # an always-open schedule in the demo: replace it with a room's week
    config = demo_copy(tmp_path)
    text = config.read_text()
    start, end = text.index("schedule:\n"), text.index("\n\n", text.index("schedule:\n"))
    config.write_text(text[:start] + SCHEDULE.rstrip("\n") + text[end:])
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    wall = LiveHarness(config, monday)
    try:
        s = wall.wait_status(lambda s: s["shown"] == "monitoring")
        assert s["schedule"]["open"] is True and s["schedule"]["source"] == "default"
        with wall.client() as op:
            day = brightness(op.get("/api/snapshot.png").content)
            wall.set_time(monday.replace(hour=12, minute=30))  # the lunch day-part
            s = wall.wait_status(lambda s: s["shown"] == "launch")
            assert s["reason"].startswith("day-part 12:00-14:00")
            wall.set_time(monday.replace(hour=16, minute=5))  # the weekly drill
            s = wall.wait_status(lambda s: s["shown"] == "crisis")
            assert "Crisis drill" in s["reason"]

            # an operator's choice holds until the schedule's next change, then the schedule resumes
            wall.set_time(monday.replace(hour=14, minute=30))
            wall.wait_status(lambda s: s["shown"] == "monitoring")
            assert op.post("/api/scenario", json={"name": "launch", "wait": True}).status_code == 200
            s = op.get("/api/status").json()
            assert s["reason"] == "operator" and s["schedule"]["until"]
            wall.set_time(monday.replace(hour=15, minute=30))  # no change of schedule yet: still the choice
            assert wall.wait_status(lambda s: s["frames"] > 0)["shown"] == "launch"
            wall.set_time(monday.replace(hour=16, minute=1))  # the drill starts: the schedule takes over
            wall.wait_status(lambda s: s["shown"] == "crisis")

            # a presentation lock keeps the demo on screen across a schedule change; its end returns
            # the wall to the schedule
            wall.set_time(monday.replace(hour=15, minute=50))
            op.post("/api/resume")
            wall.wait_status(lambda s: s["shown"] == "monitoring" and s["reason"] != "operator")
            op.post("/api/lock", json={"on": True, "minutes": 60})
            wall.set_time(monday.replace(hour=16, minute=5))  # the drill would start now
            s = op.get("/api/status").json()
            assert s["shown"] == "monitoring" and s["reason"] == "presentation lock"
            assert s["schedule"]["scenario"] == "crisis"
            op.post("/api/lock", json={"on": False})
            s = wall.wait_status(lambda s: s["shown"] == "crisis")
            assert "Crisis drill" in s["reason"]

            # closing time: the night state dims the wall and moves it by a few pixels now and then
            op.post("/api/resume")
            wall.set_time(monday.replace(hour=23, minute=0))
            s = wall.wait_status(lambda s: s["schedule"]["open"] is False and s["shown"] == "monitoring")
            night = s["schedule"]["night"]
            assert night["mode"] == "dim" and night["level"] == 0.2
            dim = brightness(op.get("/api/snapshot.png").content)
            assert dim < day * 0.5
    finally:
        wall.stop()


# ---------------------------------------------------------------- alert rule on a replayed day


def test_the_replayed_outage_fires_the_alert_which_an_operator_acknowledges(tokens, tmp_path):
    text = (REPO / "config" / "replay.yaml").read_text()
    text = text.replace("path: ../assets/replay/outage-day.csv", f"path: {REPO / 'assets/replay/outage-day.csv'}")
    text += "\ncontrol: { operator_token: '${WALL_OPERATOR_TOKEN}', viewer_token: '${WALL_VIEWER_TOKEN}' }\n"
    config = tmp_path / "replay.yaml"
    config.write_text(text)
    loaded = load_config(config)
    [spec] = feed_specs(loaded)
    store = Store.from_config(loaded.config)
    start = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    wall = LiveHarness(config, start, store=store)
    fed = {"s": 0}

    def feed_until(seconds: int, stop_at_key: str | None = None) -> int:
        """Play the recorded day into the wall's store (the replay adapter at an injected clock)
        up to `seconds`, or until the row `stop_at_key` arrives; returns where it stopped."""

        async def run() -> int:
            async with Fetcher() as fetcher:
                while fed["s"] < seconds:
                    s = fed["s"]
                    fed["s"] += 1
                    if s % int(spec.poll_s):
                        continue
                    now = start + timedelta(seconds=s)
                    r = await poll_once(spec, fetcher, store.cursors("day"), now)
                    store.put("day", r.posts, r.metrics, now, replace=r.replace, cursors=r.cursor)
                    if stop_at_key and any(p.key == stop_at_key for p in r.posts):
                        return s
            return fed["s"]

        return asyncio.run(run())

    try:
        with wall.client() as op:
            wall.wait_status(lambda s: s["shown"] == "replay")
            # the first replayed day teaches the baseline; the second day's outage fires the rule
            fired_at = feed_until(3000, stop_at_key="replay:r004@1")
            wall.set_time(start + timedelta(seconds=fired_at))
            s = wall.wait_status(lambda s: s["alert"] is not None and s["shown"] == "outage")
            assert s["alert"]["rule"] == "negative-surge"
            assert s["reason"] == "alert negative-surge"
            banner = op.get("/api/zones/alert/state").json()["view"]
            assert banner["title"] == "Negative posts surging: 3 in 1m" and banner["severity"] == "critical"
            [rule] = s["alerts"]
            assert rule["state"] == "firing"

            # a viewer cannot acknowledge; an operator can, and the wall returns to its scenario
            assert wall.client(VIEWER).post("/api/alerts/negative-surge/ack").status_code == 403
            r = op.post("/api/alerts/negative-surge/ack", headers={"X-Wall-User": "maria"})
            assert r.status_code == 200 and r.json()["by"].startswith("maria@")
            s = wall.wait_status(lambda s: s["shown"] == "replay" and s["alert"] is None)
            assert s["alerts"][0]["state"] == "acknowledged"
            assert op.post("/api/alerts/nope/ack").status_code == 400

            # the outage subsides: the rule ends and cools down; the next day's outage, within the
            # cooldown, does not switch the wall again
            ended = fired_at + 90
            feed_until(ended)
            wall.set_time(start + timedelta(seconds=ended))
            s = wall.wait_status(lambda s: s["alerts"][0]["state"] == "cooling")
            r = op.post("/api/alerts/negative-surge/ack")
            assert r.status_code == 400 and "not firing" in r.json()["detail"]  # nothing to acknowledge
            again = feed_until(fired_at + 1500, stop_at_key="replay:r004@2")
            wall.set_time(start + timedelta(seconds=again))
            wall.set_time(start + timedelta(seconds=again + 2), settle_frames=40)
            s = op.get("/api/status").json()
            assert s["alerts"][0]["state"] == "cooling" and s["shown"] == "replay"
    finally:
        wall.stop()


# ---------------------------------------------------------------- moderation


def top_post(op) -> dict:
    view = op.get("/api/zones/posts/state").json()["view"]
    assert view["posts"], view
    return view["posts"][0]


def test_every_moderation_action_through_the_api(tokens, tmp_path):
    config = demo_copy(
        tmp_path,
        replace=("fallback_scenario: holding\n", "fallback_scenario: test\n"),
    )
    wall = LiveHarness(config, datetime(2026, 11, 23, 9, 30, tzinfo=PARIS))
    try:
        with wall.client(OPERATOR, **{"X-Wall-User": "sam"}) as op:
            wall.wait_status(lambda s: s["shown"] == "monitoring")
            post = top_post(op)
            key = post["key"]

            # hide now: gone from the zone's view-model on the next frames, and from the pixels
            before = op.get("/api/snapshot.png", params={"width": 1920}).content
            r = op.post("/api/moderation/hide", json={"key": key})
            assert r.status_code == 200 and r.json()["who"].startswith("sam@")
            wall.set_time(wall.clock.now, settle_frames=2)
            assert key not in json.dumps(op.get("/api/zones/posts/state").json())
            wall.set_time(wall.clock.now, settle_frames=30)
            after = op.get("/api/snapshot.png", params={"width": 1920}).content
            assert before != after
            assert op.post("/api/moderation/unhide", json={"key": key}).status_code == 200
            wall.set_time(wall.clock.now, settle_frames=2)
            assert top_post(op)["key"] == key

            # block a term of the post: every post with it leaves every zone
            word = max((w.strip(".,!?#@") for w in post["text"].split()), key=len)
            assert op.post("/api/moderation/block", json={"kind": "term", "value": word}).status_code == 200
            wall.set_time(wall.clock.now, settle_frames=2)
            views = json.dumps([op.get(f"/api/zones/{z}/state").json() for z in ("posts", "press")])
            assert key not in views
            op.post("/api/moderation/unblock", json={"kind": "term", "value": word})

            # block the author: their posts (this one included) go
            author = post["author_handle"] if "author_handle" in post else post["handle"]
            assert op.post("/api/moderation/block", json={"kind": "author", "value": author}).status_code == 200
            wall.set_time(wall.clock.now, settle_frames=2)
            assert author not in json.dumps(op.get("/api/zones/posts/state").json())
            assert op.post("/api/moderation/unblock", json={"kind": "author", "value": author}).status_code == 200
            assert op.post("/api/moderation/unblock", json={"kind": "author", "value": author}).status_code == 400

            # approve-first (the launch scenario faces visitors): nothing until approved
            op.post("/api/scenario", json={"name": "launch", "wait": True})
            wall.set_time(wall.clock.now, settle_frames=3)
            queue = op.get("/api/moderation").json()["queue"]
            assert queue, "approve-first must queue the posts it holds back"
            first, second = queue[0], queue[1]
            r = op.post("/api/moderation/approve", json={"key": first["key"]})
            assert r.status_code == 200
            assert op.post("/api/moderation/reject", json={"key": second["key"]}).status_code == 200
            wall.set_time(wall.clock.now, settle_frames=3)
            launch_views = json.dumps(
                [op.get(f"/api/zones/{z}/state").json() for z in op.get("/api/status").json().get("zones", [])]
                or [op.get("/api/zones/posts/state").json()]
            )
            assert first["key"] in launch_views and second["key"] not in launch_views
            keys = [q["key"] for q in op.get("/api/moderation").json()["queue"]]
            assert first["key"] not in keys and second["key"] not in keys
            assert op.post("/api/moderation/approve", json={"key": "nope:1"}).status_code == 400

            # the kill switch: the fallback scenario on the whole wall, until it is turned off
            assert op.post("/api/moderation/kill", json={"on": True}).status_code == 200
            s = wall.wait_status(lambda s: s["shown"] == "test")
            assert s["reason"] == "kill switch" and s["moderation"]["killed"] is True
            assert op.post("/api/scenario", json={"name": "monitoring"}).status_code in (200, 202)
            wall.set_time(wall.clock.now, settle_frames=5)
            assert op.get("/api/status").json()["shown"] == "test"  # nothing overrides it
            op.post("/api/moderation/kill", json={"on": False})
            wall.wait_status(lambda s: s["shown"] == "monitoring")

            # the audit log says who did what
            audit = op.get("/api/moderation").json()["audit"]
            actions = [a["action"] for a in audit]
            for action in (
                "hide",
                "unhide",
                "block_term",
                "unblock_term",
                "block_author",
                "unblock_author",
                "approve",
                "reject",
                "kill",
            ):
                assert action in actions, actions
            assert all(a["who"].startswith("sam@") for a in audit)
    finally:
        wall.stop()


# ---------------------------------------------------------------- replay of a recorded period


def test_a_demo_guide_replays_a_chosen_period_at_a_chosen_speed(tokens, tmp_path):
    import csv

    text = (REPO / "config" / "replay.yaml").read_text()
    csv_path = REPO / "assets/replay/outage-day.csv"
    text = text.replace("path: ../assets/replay/outage-day.csv", f"path: {csv_path}")
    text += "\ncontrol: { operator_token: '${WALL_OPERATOR_TOKEN}', viewer_token: '${WALL_VIEWER_TOKEN}' }\n"
    config = tmp_path / "replay.yaml"
    config.write_text(text)
    rows = list(csv.DictReader(csv_path.open()))
    from wall.live import BackgroundWall

    wall = BackgroundWall(config, feeds=True, watch=False)
    try:
        import httpx

        with httpx.Client(base_url=wall.url, headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=60) as op:
            deadline = time.monotonic() + 60
            while op.get("/api/status").json()["feeds"]["day"]["posts"] == 0:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            # the afternoon of the day, at 600x: from 14:00 on (six earlier rows shown at once: prefill)
            day = rows[0]["created_at"][:10]
            r = op.post("/api/replay", json={"feed": "day", "from": f"{day}T14:00:00+00:00", "speed": 600})
            assert r.status_code == 200, r.text
            assert r.json()["speed"] == 600
            feed = None
            deadline = time.monotonic() + 60
            wanted = {f"replay:{row['id']}" for row in rows if row["created_at"] >= f"{day}T14:00"}
            while time.monotonic() < deadline:
                s = op.get("/api/status").json()
                feed = s["feeds"]["day"]
                posts = op.get("/api/zones/posts/state").json()["view"]["posts"]
                keys = {p["key"].split("@")[0] for p in posts}
                if feed["replay"]["speed"] == 600 and keys and keys <= wanted | _prefill(rows, day):
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"the posts zone never showed the afternoon: {feed}")
            assert feed["replay"]["start"].startswith(f"{day}T14:00")
            # bad requests say what is wrong
            assert op.post("/api/replay", json={"feed": "nope", "speed": 2}).status_code == 400
            assert op.post("/api/replay", json={"feed": "day", "speed": 0}).status_code == 422
    finally:
        wall.stop()


def _prefill(rows, day) -> set[str]:
    before = [row for row in rows if row["created_at"] < f"{day}T14:00"]
    return {f"replay:{row['id']}" for row in before[-6:]}
