"""A panel mounted portrait (rotated) is fed by copies like any other: the zones inside it are
painted in the panel's own orientation, so the compositor copies them 1:1 into the panel's native
picture instead of drawing every pixel through a shader (about ten times the cost on software GL).
The picture must be the same, pixel for pixel, as the drawn one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from wall.config.loader import load_config
from wall.config.schema import TransitionConfig
from wall.runtime import WallRuntime
from wall.scenes.director import Zoom, spotlight_plan
from wall.widgets.registry import scrolls

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


def kiosk(copies: bool) -> WallRuntime:
    rt = WallRuntime(load_config("config/kiosk.yaml"))
    rt.engine.compositor.use_blit = copies  # without copies every zone is drawn through the shader
    rt.use_scenario("lobby")
    return rt


@pytest.fixture(scope="module")
def pair():
    copied, drawn = kiosk(True), kiosk(False)
    yield copied, drawn
    copied.close()
    drawn.close()


def test_a_portrait_panels_zones_are_copied_and_show_what_drawing_them_shows(pair):
    copied, drawn = pair
    plan = copied.loaded.scenarios["lobby"]
    strips = {z for z in plan.bindings if scrolls(plan.bindings[z].widget)}
    assert strips == {"press"}  # the ticker: its strip scrolls along the panel's long side
    # a few instants: the strip's scroll offset differs, and wraps around at some of them
    wrapped = False
    for seconds in (0.0, 0.5, 3.25, 61.3, 110.0, 112.5):
        t = T + timedelta(seconds=seconds)
        a, b = copied.render_at(t), drawn.render_at(t)
        assert np.array_equal(a["lobby"], b["lobby"]), f"at +{seconds} s"
        strip = copied.engine.compositor.zones["press"]
        wrapped |= strip.offset + strip.zone.rect.w > strip.period
    assert wrapped, "no instant showed the strip's end and start together"
    zones = copied.engine.compositor.zones
    assert {z for z, surf in zones.items() if surf.turn == 1} == set(zones)  # turned 90 degrees clockwise
    # every zone redrawn: copies only (the strip's one or two, where it wraps)
    for out in copied.engine.compositor.outputs.values():
        out.drawn.clear()
    report = copied.settle(T)
    assert report.compose.quads == 0 and len(zones) <= report.compose.blits <= len(zones) + 1


def test_a_spotlight_on_a_portrait_panel_grows_the_same_picture(pair):
    copied, drawn = pair
    results = []
    for rt in (copied, drawn):
        rt.use_scenario("lobby")
        rt.settle(T)
        base = rt.loaded.scenarios["lobby"]
        rect = base.layout.zone("posts").rect
        plan = spotlight_plan(base, "posts", rt.loaded.wall)
        rt.engine.prepare(plan, TransitionConfig(kind="cut"), Zoom("zoom_in", rect))
        for _ in range(2000):
            if rt.frame(T).committed:
                break
        start = rt.engine.transition.start
        rt.settle(start + timedelta(seconds=0.3))
        results.append(rt.engine.compositor.read_output("lobby").astype(int))
        assert rt.engine.compositor.zones["posts"].turn == (1 if rt is copied else 0)
    # the growing picture is sampled (scaled, filtered): the same within a step of rounding
    assert np.abs(results[0] - results[1]).max() <= 2
