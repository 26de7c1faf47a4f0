"""Two-phase scenario switches and transitions, on the real engine (headless, demo wall).

What an operator must never see: a frame half old and half new, or a zone flashing empty. So the
old scenario stays whole on every panel until the frame in which the new one is complete; then
the transition (a function of the frame's time) runs from the old picture to the new one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from wall.config.loader import load_config
from wall.config.schema import TransitionConfig
from wall.runtime import WallRuntime

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def rt():
    runtime = WallRuntime(load_config("config/demo.yaml"))
    yield runtime
    runtime.close()


def outputs(rt) -> dict[str, np.ndarray]:
    return {d: rt.engine.compositor.read_output(d).copy() for d in rt.engine.compositor.outputs}


def settled(rt, scenario: str, t: datetime) -> dict[str, np.ndarray]:
    rt.use_scenario(scenario)
    rt.settle(t)
    return outputs(rt)


def switch_until_commit(rt, scenario: str, t: datetime, transition=None, limit: int = 2000):
    """prepare(), then frames at time t until the commit; returns (frames before it, the outputs of
    every frame before the commit)."""
    rt.prepare(scenario, transition=transition)
    before = []
    for n in range(limit):
        report = rt.frame(t)
        if report.committed:
            assert report.committed == scenario
            return n, before
        before.append(outputs(rt))
    raise AssertionError("the switch never committed")


def test_the_old_scenario_stays_whole_until_the_new_one_is_complete(rt):
    crisis = settled(rt, "crisis", T)
    monitoring = settled(rt, "monitoring", T)
    frames, before = switch_until_commit(rt, "crisis", T, transition=TransitionConfig(kind="cut"))
    assert frames >= 1  # painting the crisis zones takes frames: they were shown meanwhile...
    for pictures in before:  # ...and every one of those frames was the monitoring wall, untouched
        for d, pic in pictures.items():
            assert np.array_equal(pic, monitoring[d]), f"display {d} changed before the commit"
    # the commit frame shows the crisis wall complete: identical to a settled render of it
    for d, pic in outputs(rt).items():
        assert np.array_equal(pic, crisis[d]), f"display {d} is not the complete crisis wall on its first frame"
    assert rt.engine.plan.name == "crisis"
    assert rt.engine.last_switch["scenario"] == "crisis"


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a[:, :, :3].astype(int) - b[:, :, :3].astype(int)).max(axis=2) > 40


def test_crossfade_blends_from_the_old_picture_to_the_new(rt):
    launch = settled(rt, "launch", T)
    monitoring = settled(rt, "monitoring", T)
    switch_until_commit(rt, "launch", T, transition=TransitionConfig(kind="crossfade", duration_s=1.0))
    start = rt.engine.transition.start
    rt.settle(start + timedelta(seconds=0.5))  # halfway (smoothstep(0.5) = 0.5)
    half = outputs(rt)
    d = "B1"
    differ = _changed(monitoring[d], launch[d])
    assert differ.sum() > 10_000
    a = monitoring[d][differ][:, :3].astype(float)
    b = launch[d][differ][:, :3].astype(float)
    mid = half[d][differ][:, :3].astype(float)
    # every changing pixel sits near the average of the two pictures, not at either end
    assert np.abs(mid - (a + b) / 2).mean() < 4
    rt.settle(start + timedelta(seconds=1.2))  # over: the new picture, exactly
    for disp, pic in outputs(rt).items():
        assert np.array_equal(pic, launch[disp])
    # the post stage ended, so the panel shows the composited picture again (no per-frame cost)
    assert all(o.shown == "main" for o in rt.engine.compositor.outputs.values())


def test_wipe_sweeps_across_the_whole_wall_left_to_right(rt):
    half = T + timedelta(seconds=0.5)
    crisis = settled(rt, "crisis", half)  # the new side is live (its alert pulses with time)...
    monitoring = settled(rt, "monitoring", T)  # ...the old side is the picture left at the commit
    switch_until_commit(rt, "crisis", T, transition=TransitionConfig(kind="wipe", duration_s=1.0))
    rt.settle(half)  # the front at the canvas middle (settle: the live side fully painted)
    mid = outputs(rt)
    # left column of panels: the new scenario; right column: still the old one; middle: split
    assert np.array_equal(mid["A1"], crisis["A1"]) and np.array_equal(mid["A2"], crisis["A2"])
    assert np.array_equal(mid["C1"], monitoring["C1"]) and np.array_equal(mid["C2"], monitoring["C2"])
    b1 = mid["B1"]
    assert np.array_equal(b1[:, :900], crisis["B1"][:, :900])
    assert np.array_equal(b1[:, 1000:], monitoring["B1"][:, 1000:])


def test_slide_moves_the_old_wall_out_and_the_new_one_in(rt):
    launch = settled(rt, "launch", T + timedelta(seconds=1.5))
    monitoring = settled(rt, "monitoring", T)
    switch_until_commit(rt, "launch", T, transition=TransitionConfig(kind="slide", duration_s=1.0))
    rt.settle(T + timedelta(seconds=0.5))
    mid = outputs(rt)
    # halfway neither picture is where it was
    assert not np.array_equal(mid["A1"], monitoring["A1"]) and not np.array_equal(mid["A1"], launch["A1"])
    # the old wall's right half now fills the left half: C1's picture appears (shifted) on A1/B1
    width = rt.loaded.wall.canvas_w
    shift = width // 2
    c1 = rt.loaded.wall.displays[2].viewport  # C1
    # a column of C1 at canvas x moves to x - shift; pick one that lands inside A1 or B1
    x = c1.x + 200
    landed = x - shift
    target = next(d for d in rt.loaded.wall.displays[:3] if d.viewport.x <= landed < d.viewport.x1)
    col_old = monitoring["C1"][:, 200, :3].astype(int)
    col_new = mid[target.id][:, landed - target.viewport.x, :3].astype(int)
    assert np.abs(col_old - col_new).max() <= 2
    rt.settle(T + timedelta(seconds=1.5))
    for disp, pic in outputs(rt).items():
        assert np.array_equal(pic, launch[disp])


def test_a_second_prepare_replaces_the_first_and_nothing_half_prepared_is_shown(rt):
    monitoring = settled(rt, "monitoring", T)
    rt.prepare("crisis")
    rt.frame(T)
    for d, pic in outputs(rt).items():
        assert np.array_equal(pic, monitoring[d])
    launch_frames, _ = switch_until_commit(rt, "launch", T, transition=TransitionConfig(kind="cut"))
    assert rt.engine.plan.name == "launch"
