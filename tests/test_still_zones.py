"""A still wall keeps each zone's pixels once: a zone inside one panel that nothing overlaps gives its
texture back once its panel's picture holds it (wall/render/compositor.py, `_settle_zones`). A wall
of one landscape panel is the case where even a spotlit zone, which fills the canvas, lives only in
the panel's picture between a spotlight's zoom in and its zoom out: every frame must show what it
shows with every zone keeping its texture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import yaml

from wall.config.loader import load_config
from wall.config.schema import TransitionConfig
from wall.runtime import WallRuntime
from wall.scenes.director import Zoom, spotlight_plan

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


def _until_committed(rt: WallRuntime, t: datetime) -> datetime:
    """Live frames (budgeted, never waiting for paints) until the switch commits; its start."""
    for _ in range(2000):
        if rt.frame(t).committed:
            return rt.engine.transition.start
    raise AssertionError("the switch never committed")


def _spotlight_there_and_back(config, settles: bool) -> list[np.ndarray]:
    rt = WallRuntime(load_config(config))
    shots = []
    try:
        c = rt.engine.compositor
        c._settles = settles
        rt.use_scenario("lobby")
        rt.settle(T)
        shots.append(c.read_output("lobby").copy())
        held = {z for z, s in c.zones.items() if s.holders}
        assert held == ({"brand", "clock", "posts", "tone", "reply"} if settles else set())  # not the ticker
        base = rt.loaded.scenarios["lobby"]
        rect = base.layout.zone("posts").rect
        spot = TransitionConfig(kind="cut", duration_s=0.6)
        rt.engine.prepare(spotlight_plan(base, "posts", rt.loaded.wall), spot, Zoom("zoom_in", rect))
        start = _until_committed(rt, T)
        rt.settle(start + timedelta(seconds=0.3))
        shots.append(c.read_output("lobby").copy())
        after = start + timedelta(seconds=2)
        rt.settle(after)  # still again: the spotlit zone, the whole panel, lives in its picture
        shots.append(c.read_output("lobby").copy())
        assert (c.zones["posts"].holders == ("lobby",)) == settles and (c.zones["posts"]._texture is None) == settles
        rt.engine.prepare(base, spot, Zoom("zoom_out", rect))
        start = _until_committed(rt, after)
        for s in (0.1, 0.3, 0.5):
            rt.settle(start + timedelta(seconds=s))
            shots.append(c.read_output("lobby").copy())
        rt.settle(start + timedelta(seconds=2))
        shots.append(c.read_output("lobby").copy())
        assert rt.ctx.error == "GL_NO_ERROR"
    finally:
        rt.close()
    return shots


def test_a_spotlight_on_a_one_panel_wall_shows_the_same_frames_with_zones_kept_in_its_picture(tmp_path):
    config = yaml.safe_load(open("config/lobby.yaml", encoding="utf-8"))
    for d in config["displays"]:
        d.pop("rotation", None)  # landscape: its zones can live in its picture
    path = tmp_path / "one_panel.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    kept, textured = _spotlight_there_and_back(path, True), _spotlight_there_and_back(path, False)
    for n, (a, b) in enumerate(zip(kept, textured, strict=True)):
        assert np.array_equal(a, b), f"shot {n}"
    assert not np.array_equal(kept[1], kept[0]) and not np.array_equal(kept[4], kept[2])  # it moved
