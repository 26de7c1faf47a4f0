"""Empty states that never lie to visitors (wall/widgets/holding.py, wall/scenes/views.py,
wall/scenes/holding.py): a zone whose posts wait for approval shows the brand's holding card, not
"No posts in the last 4 h"; the kill switch shows a designed holding screen (the config's fallback,
else one card per display), never a technical message; the technical reason goes to state.json.

The demo wall is rendered in-process (GL on llvmpipe) at a fixed time; goldens in tests/golden/.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import DEMO, REPO, load_png
from PIL import Image
from widget_kit import THEME, assert_golden

from wall.config.loader import load_config
from wall.moderation import Moderator
from wall.paint.text import record_text_sizes
from wall.scenes.director import Director
from wall.scenes.holding import HOLDING, holding_plan
from wall.scenes.views import SceneViews
from wall.store import Store
from wall.widgets import holding
from wall.widgets.base import BuildContext

T = datetime.fromisoformat("2026-11-23T09:30:05+01:00")
LOGO_ORANGE = np.array([0xFF, 0x79, 0x00])  # the wall logo's fill (assets/logo/wall-logo.png)
# what a widget says when it has nothing: none of it may reach a visitor while moderation holds
TECHNICAL = ("No posts in the last", "No influencers to rank yet", "breakdown in the feed", "No data")


@pytest.fixture(scope="module")
def rt():
    from wall.runtime import WallRuntime

    runtime = WallRuntime(load_config(DEMO))
    yield runtime
    runtime.close()


def shoot(rt, out: Path, plan=None) -> tuple[dict, np.ndarray]:
    """Render T (the plan given, else the scenario in use): state.json and the canvas as shown."""
    if plan is not None:
        rt.engine.show(plan)
    rt.snapshot(T, out)
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))
    wall = rt.loaded.wall
    canvas = np.zeros((wall.canvas_h, wall.canvas_w, 3), np.uint8)
    for d in wall.displays:
        vp = d.viewport
        canvas[vp.y : vp.y1, vp.x : vp.x1] = load_png(out / f"{d.id}.png")
    return state, canvas


def crop(state: dict, canvas: np.ndarray, zone_id: str) -> np.ndarray:
    r = state["zones"][zone_id]["rect"]
    return canvas[r["y"] : r["y"] + r["h"], r["x"] : r["x"] + r["w"]]


def logo_share(pixels: np.ndarray) -> float:
    """The share of pixels in the logo's orange."""
    return float((np.abs(pixels[:, :, :3].astype(int) - LOGO_ORANGE).max(axis=2) < 24).mean())


def small(canvas: np.ndarray) -> np.ndarray:
    """The wall at a quarter of its size: a golden that shows the whole design, at a few hundred kB."""
    img = Image.fromarray(canvas).resize((canvas.shape[1] // 4, canvas.shape[0] // 4), Image.Resampling.BOX)
    return np.asarray(img)


def painted_text(view: dict) -> str:
    """Every string of a holding card that its painter draws (its reason is for the console only)."""
    return " ".join(str(view[k]) for k in ("title", "line", "time", "date"))


# ---------------------------------------------------------------- approve-first, nothing approved yet


def test_approve_first_with_nothing_approved_shows_the_holding_card_and_the_count_goes_to_state(rt, tmp_path):
    m = Moderator.from_config(rt.loaded.config, None)
    rt.use_scenario("launch")
    rt.moderate_with(m)
    state, canvas = shoot(rt, tmp_path / "launch")
    waiting = m.state()["queue_size"]
    assert waiting == 47  # the demo's posts and headlines at T, none approved
    for zone_id in ("posts", "influencers"):
        z = state["zones"][zone_id]
        assert z["widget"] == "holding", zone_id
        view = z["view"]
        assert view["line"] == "Posts appear here once approved"
        assert view["waiting"] == waiting
        assert f"{waiting} posts of feed 'demo' waiting for approval" in view["reason"]
        assert not any(s in painted_text(view) for s in TECHNICAL)
        assert logo_share(crop(state, canvas, zone_id)) > 0.05  # the brand's logo is on the card
    assert "No posts in the last 4 h" in state["zones"]["posts"]["view"]["reason"]  # the console may read why
    # the zones that show figures (counts, not anyone's words) are untouched
    assert state["zones"]["reach"]["widget"] == "kpi" and state["zones"]["cloud"]["widget"] == "topics"
    assert_golden("holding_approve_first_posts", crop(state, canvas, "posts"))

    # one approval: the card gives way to the post, the count goes down by one
    chosen = next(e for e in m.queue(limit=100) if ":press:" not in e["key"])
    m.approve(chosen["key"], "ana")
    state1, canvas1 = shoot(rt, tmp_path / "approved")
    assert state1["zones"]["posts"]["widget"] == "top_posts"
    assert [c["key"] for c in state1["zones"]["posts"]["view"]["posts"]] == [chosen["key"]]
    assert logo_share(crop(state1, canvas1, "posts")) < 0.01
    assert m.state()["queue_size"] == waiting - 1


def test_an_empty_approve_first_zone_with_nothing_waiting_keeps_its_own_empty_look():
    """Nothing held back (every post hidden): "no posts" is then the truth, so it is what shows."""
    loaded = load_config(DEMO)
    store = Store.from_config(loaded.config)
    m = Moderator.from_config(loaded.config, None)
    views = SceneViews(loaded, store, m)
    plan = loaded.scenarios["launch"]
    assert views.frame(plan, T).views["posts"].widget == "holding"
    for p in store.snapshot("demo", T).posts:
        m.hide(p.key, "ana")
    frame = views.frame(plan, T)
    assert frame.views["posts"].widget == "top_posts" and frame.views["posts"].view.posts == ()
    assert m.waiting("demo") == 0


# ---------------------------------------------------------------- the kill switch


def test_kill_switch_with_the_demo_fallback_shows_the_holding_scenario(rt, tmp_path):
    m = Moderator.from_config(rt.loaded.config, None)
    assert m.fallback_scenario == "holding"
    director = Director(rt.loaded, rt.store, m)
    director.start(T)
    m.kill(True, "duty manager")
    direction = director.tick(T + timedelta(milliseconds=33))
    assert direction.plan.name == "holding" and director.reason == "kill switch"
    rt.moderate_with(m)
    state, canvas = shoot(rt, tmp_path / "fallback", direction.plan)
    assert state["scenario"] == "holding"
    widgets = {z: v["widget"] for z, v in state["zones"].items()}
    assert set(widgets.values()) == {"clock", "holding", "kpi"}  # the brand, the time, counts: no one's words
    assert state["zones"]["brand"]["view"]["line"] == "Back in a moment"
    assert logo_share(crop(state, canvas, "brand")) > 0.05
    assert not any(s in json.dumps(state, ensure_ascii=False) for s in TECHNICAL)
    assert_golden("holding_kill_switch_fallback", small(canvas))


def test_kill_switch_without_a_fallback_shows_the_logo_and_the_clock_on_every_display(rt, tmp_path):
    m = Moderator()  # no fallback_scenario
    director = Director(rt.loaded, rt.store, m)
    director.start(T)
    m.kill(True, "duty manager")
    direction = director.tick(T + timedelta(milliseconds=33))
    assert direction.plan.name == HOLDING
    assert director.tick(T + timedelta(milliseconds=66)).plan is direction.plan  # one plan: no switch per frame
    assert HOLDING not in director.state().scenarios  # not an operator's choice
    rt.moderate_with(m)
    state, canvas = shoot(rt, tmp_path / "builtin", direction.plan)
    displays = {d.id: d for d in rt.loaded.wall.displays}
    assert sorted(state["zones"]) == sorted(f"holding-{d}" for d in displays)
    for zone_id, z in state["zones"].items():
        d = displays[zone_id.removeprefix("holding-")]
        assert z["rect"] == d.viewport.as_dict()  # one card per panel: nothing crosses a bezel
        assert z["widget"] == "holding"
        assert (z["view"]["time"], z["view"]["date"]) == ("09:30", "Mon 23 Nov")  # the schedule's zone: Paris
        assert z["view"]["line"] == "" and z["view"]["reason"] == ""
        assert logo_share(load_png(tmp_path / "builtin" / f"{d.id}.png")) > 0.05
    assert_golden("holding_kill_switch_builtin", small(canvas))
    m.kill(False, "duty manager")
    assert director.tick(T + timedelta(milliseconds=99)).plan.name == "monitoring"


def test_content_zones_hold_while_the_kill_switch_is_on_in_any_scenario():
    """Before the switch to the holding screen lands (and in a fallback that binds posts or
    topics), a zone the kill switch empties shows the logo, never "No data · no 'topics' breakdown
    in the feed"; the reason is in its view for state.json and the API."""
    loaded = load_config(DEMO)
    m = Moderator.from_config(loaded.config, None)
    views = SceneViews(loaded, Store.from_config(loaded.config), m)
    m.kill(True, "duty manager")
    frame = views.frame(loaded.scenarios["monitoring"], T)
    for zone_id in ("posts", "topics", "influencers", "press"):
        zv = frame.views[zone_id]
        assert zv.widget == "holding", zone_id
        assert zv.view.line == "" and zv.view.title == ""
        assert zv.view.reason.startswith("kill switch on")
    assert "no 'topics' breakdown in the feed" in frame.views["topics"].view.reason
    assert "press" not in frame.scroll  # the card stands still where the ticker ran
    assert frame.views["mentions"].widget == "kpi"  # counts are not content: they stay
    m.kill(False, "duty manager")
    assert views.frame(loaded.scenarios["monitoring"], T).views["topics"].widget == "topics"


# ---------------------------------------------------------------- the card's sizes


def card_sizes(width: int, height: int, pitch_mm: float) -> dict[str, float]:
    """The font size (px) of each line of a holding card painted for a zone of that size and pitch."""
    ctx = BuildContext("z", width, height, (0, 0), (pitch_mm, pitch_mm), T, THEME, min_text_px=42.0)
    view = holding.build(holding.Options(widget="holding", line="Back in a moment", tz="Europe/Paris"), ctx)
    with record_text_sizes() as sizes:
        holding.paint(view, width, height)
    return {text: size for size, text in sizes}


def test_the_card_reads_the_same_on_a_4k_panel_and_a_1080p_panel_of_one_size():
    """Letters are sized in mm on the panel: a 55-inch 4K panel draws them with twice the pixels of
    a 55-inch 1080p one, not twice as large; and never below the room's floor."""
    hd, uhd = card_sizes(1920, 1080, 0.63), card_sizes(3840, 2160, 0.315)
    assert set(hd) == set(uhd) == {"Back in a moment", "09:30", "Mon 23 Nov"}
    for text in hd:
        assert hd[text] >= 42 and uhd[text] == pytest.approx(2 * hd[text], rel=0.05), text
    small = card_sizes(640, 360, 0.63)  # a small zone: smaller letters, still at the floor or above
    assert all(42 <= small[text] < hd[text] for text in ("Back in a moment", "09:30"))


def test_a_kiosk_without_a_schedule_holds_on_one_card_at_its_own_clocks_time():
    loaded = load_config(REPO / "config" / "kiosk.yaml")
    assert loaded.config.schedule is None and loaded.config.moderation.fallback_scenario is None
    plan = holding_plan(loaded)
    (zone,) = plan.layout.zones
    (display,) = loaded.wall.displays
    assert zone.rect == display.viewport
    assert plan.bindings[zone.id].tz == "Europe/Paris"  # the time its own clock shows


def test_a_rooms_node_builds_the_holding_screen_from_the_hubs_word():
    """The hub tells its nodes what it shows by name (wall/room/wire.py); the holding screen has no
    config entry, so a node makes the same plan from that name, over the same displays."""
    from wall.room.wire import Shown

    loaded = load_config(DEMO)
    m = Moderator()
    director = Director(loaded, Store.from_config(loaded.config), m)
    director.start(T)
    m.kill(True, "duty manager")
    hub = director.tick(T + timedelta(milliseconds=33)).plan
    sent = Shown.from_json(json.loads(json.dumps(Shown(director.base).as_json())))
    node = sent.plan(loaded)
    assert node.name == hub.name == HOLDING
    assert node.layout == hub.layout and node.bindings == hub.bindings
