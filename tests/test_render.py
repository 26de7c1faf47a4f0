"""`wallctl render`: the PNGs a user gets, checked pixel by pixel.

Renders are reused through module-scoped fixtures (each costs a couple of seconds on llvmpipe).
The CLI runs as a subprocess; a GL error there ends the render with exit 70 (WallRuntime checks
the context after compositing), so `rc == 0` also means no GL error. The in-process test checks
the runtime's own context before and after.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from bezel_lines import assert_on_lines, line_distance, tolerance_mm
from conftest import DEMO, gl_checked, load_png, run_cli

from wall.config.loader import load_config
from wall.render.snapshot import BEZEL_RGBA, upright

BASIC = "tests/configs/basic.yaml"
T0 = "2026-11-23T09:30:00+01:00"
T1 = "2026-11-23T09:31:00+01:00"  # one minute later: the clocks change, static text does not
DISPLAYS = ["A1", "B1", "C1", "A2", "B2", "C2"]
BEZEL = np.array(BEZEL_RGBA[:3], np.uint8)


def render(out, *args):
    rc, stdout, stderr = run_cli("render", *args, "--out", out)
    assert rc == 0, stderr
    assert "Traceback" not in stderr
    return {p.stem: load_png(p) for p in sorted(out.glob("*.png"))}


@pytest.fixture(scope="module")
def geometry():
    rc, stdout, stderr = run_cli("geometry", DEMO, "--json")
    assert rc == 0, stderr
    return json.loads(stdout)


@pytest.fixture(scope="module")
def monitoring(tmp_path_factory):
    return render(tmp_path_factory.mktemp("mon"), DEMO, "--scenario", "monitoring", "--time", T0)


@pytest.fixture(scope="module")
def monitoring_again(tmp_path_factory):
    # no --scenario: the demo's default is monitoring, so this is the same render asked differently
    return render(tmp_path_factory.mktemp("mon2"), DEMO, "--time", T0)


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    return render(tmp_path_factory.mktemp("basic"), BASIC, "--time", T0)


@pytest.fixture(scope="module")
def basic_later(tmp_path_factory):
    return render(tmp_path_factory.mktemp("basic1"), BASIC, "--time", T1)


@pytest.fixture(scope="module")
def crisis(tmp_path_factory):
    return render(tmp_path_factory.mktemp("crisis"), DEMO, "--scenario", "crisis", "--time", T0)


# ---------------------------------------------------------------- files and determinism


def test_render_writes_one_png_per_display_and_the_wall(monitoring):
    assert sorted(monitoring) == sorted(DISPLAYS + ["wall"])
    for d in DISPLAYS:
        assert monitoring[d].shape == (1080, 1920, 3), d


def test_same_time_renders_identical_pixels(monitoring, monitoring_again):
    """Two processes, the same time and scenario (once by default): byte-identical pixels."""
    for name in DISPLAYS + ["wall"]:
        assert np.array_equal(monitoring[name], monitoring_again[name]), name


def test_a_minute_later_changes_the_clock_not_the_static_text(basic, basic_later):
    # tests/configs/basic.yaml: text and clocks only
    assert not np.array_equal(basic["C1"], basic_later["C1"])  # the big Paris clock
    assert np.array_equal(basic["A2"], basic_later["A2"])  # "Welcome to the Social Hub"


def test_crisis_differs_from_monitoring(monitoring, crisis):
    assert sorted(crisis) == sorted(DISPLAYS + ["wall"])
    for d in DISPLAYS:
        assert not np.array_equal(monitoring[d], crisis[d]), d


def test_unknown_scenario_exits_2_naming_the_scenarios(tmp_path):
    rc, stdout, stderr = run_cli("render", DEMO, "--scenario", "party", "--time", T0, "--out", tmp_path)
    assert rc == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "party" in lines[0]
    for name in ("monitoring", "crisis", "test"):
        assert name in lines[0]
    assert not list(tmp_path.glob("*.png"))


# ---------------------------------------------------------------- what is on screen


@pytest.mark.parametrize("display_id", DISPLAYS)
def test_no_display_is_blank(monitoring, display_id):
    png = monitoring[display_id].reshape(-1, 3)
    packed = (png[:, 0].astype(np.uint32) << 16) | (png[:, 1].astype(np.uint32) << 8) | png[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    top = int(colours[counts.argmax()])
    background = np.array([top >> 16, (top >> 8) & 255, top & 255])
    ink = (np.abs(png.astype(int) - background).sum(axis=1) > 60).mean()
    bright = (png.max(axis=1) > 200).mean()
    assert len(colours) >= 32, "flat picture: no antialiased text"
    assert ink > 0.01, f"only {ink:.2%} of the panel differs from its background"
    assert bright > 0.01, f"only {bright:.2%} of the panel is bright text"


def _margins(geometry):
    px, py = geometry["pitch_mm"]["x"], geometry["pitch_mm"]["y"]
    bezels = [d["bezel_mm"] for d in geometry["displays"]]
    mx = max(math.ceil(max(b["left"], b["right"]) / px) for b in bezels)
    my = max(math.ceil(max(b["top"], b["bottom"]) / py) for b in bezels)
    return mx, my


def test_wall_png_is_the_canvas_plus_outer_bezels(monitoring, geometry):
    mx, my = _margins(geometry)
    assert (mx, my) == (2, 2)  # 0.9 mm bezel at 0.63 mm/px
    h, w = monitoring["wall"].shape[:2]
    assert (w, h) == (geometry["canvas"]["w"] + 2 * mx, geometry["canvas"]["h"] + 2 * my)


def test_wall_png_shows_each_display_at_its_viewport(monitoring, geometry):
    mx, my = _margins(geometry)
    wall = monitoring["wall"]
    for d in geometry["displays"]:
        vp = d["viewport"]
        crop = wall[my + vp["y"] : my + vp["y"] + vp["h"], mx + vp["x"] : mx + vp["x"] + vp["w"]]
        assert np.array_equal(crop, monitoring[d["id"]]), d["id"]


def test_wall_png_draws_the_bezel_seams(monitoring, geometry):
    mx, my = _margins(geometry)
    wall = monitoring["wall"]
    vps = {d["id"]: d["viewport"] for d in geometry["displays"]}
    a1, b1, a2 = vps["A1"], vps["B1"], vps["A2"]
    # vertical seam A1 | B1: the canvas columns no display shows
    seam = wall[my + a1["y"] : my + a1["y"] + a1["h"], mx + a1["x"] + a1["w"] : mx + b1["x"]]
    assert seam.shape[1] == 3
    assert (seam == BEZEL).all()
    # horizontal seam A1 / A2
    seam = wall[my + a1["y"] + a1["h"] : my + a2["y"], mx + a1["x"] : mx + a1["x"] + a1["w"]]
    assert seam.shape[0] == 3
    assert (seam == BEZEL).all()
    # the outer frame: the left and top margins are bezel too
    assert (wall[my : my + a1["h"], :mx] == BEZEL).all()
    assert (wall[:my, mx : mx + a1["w"]] == BEZEL).all()


def test_in_process_render_matches_the_cli_with_no_gl_error(monitoring):
    from datetime import datetime

    from wall.runtime import WallRuntime

    rt = WallRuntime(load_config(DEMO))
    try:
        with gl_checked(rt.ctx, "rendering the monitoring scenario"):
            rt.use_scenario("monitoring")
            natives = rt.render_at(datetime.fromisoformat(T0))
    finally:
        rt.close()
    for d in DISPLAYS:
        assert np.array_equal(natives[d][:, :, :3], monitoring[d]), d
        assert (natives[d][:, :, 3] == 255).all(), d  # outputs are opaque


# ---------------------------------------------------------------- rotated panels


ROTATED_CONFIG = """\
name: rotation test
displays:
  - id: L
    resolution: [1920, 1080]
    active_mm: [1209.6, 680.4]
    bezel_mm: 1
    position_mm: [0, 0]
  - id: P            # the same panel turned clockwise into portrait, right of L
    resolution: [1920, 1080]
    active_mm: [1209.6, 680.4]
    bezel_mm: 1
    position_mm: [1211.6, 0]
    rotation: 90
layout: {grid: [1, 1], zones: {all: {cells: A1}}}
scenarios:
  test:
    zones:
      all: {widget: testpattern, pattern: bezel}
"""


@pytest.fixture(scope="module")
def rotated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rotated")
    config = folder / "rotated.yaml"
    config.write_text(ROTATED_CONFIG)
    pngs = render(folder / "out", config, "--time", T0)
    return load_config(config), pngs


def test_rotated_display_png_keeps_native_orientation(rotated):
    loaded, pngs = rotated
    p = loaded.wall.display("P")
    assert p.rotation == 90
    assert (p.viewport.w, p.viewport.h) == (1080, 1920)  # portrait on the wall
    assert pngs["P"].shape == (1080, 1920, 3)  # landscape on the cable
    assert pngs["L"].shape == (1080, 1920, 3)


@pytest.mark.parametrize("display_id", ["L", "P"])
def test_rotated_wall_pattern_lies_on_physical_lines(rotated, display_id):
    loaded, pngs = rotated
    assert_on_lines(loaded.wall, display_id, pngs[display_id])


def test_rotated_display_upright_fits_the_canvas(rotated):
    """`upright(P, png)` placed at P's viewport is the canvas there: its lit pixels, read as canvas
    pixels (no rotation maths of our own), lie on the physical lines too, and wall.png shows it."""
    loaded, pngs = rotated
    wall = loaded.wall
    p = wall.display("P")
    up = upright(p, pngs["P"])
    assert up.shape == (p.viewport.h, p.viewport.w, 3)
    rows, cols = np.nonzero(up[:, :, 0] > 128)
    x = p.mm.x + (cols + 0.5) * wall.pitch_x
    y = p.mm.y + (rows + 0.5) * wall.pitch_y
    assert rows.size > 10_000
    assert line_distance(x, y).max() <= tolerance_mm(wall)
    # the wrong turn (counter-clockwise) would not fit: this check can tell the two apart
    wrong = np.rot90(pngs["P"], 1)
    rows, cols = np.nonzero(wrong[:, :, 0] > 128)
    x = p.mm.x + (cols + 0.5) * wall.pitch_x
    y = p.mm.y + (rows + 0.5) * wall.pitch_y
    assert line_distance(x, y).max() > 3 * tolerance_mm(wall)

    preview = pngs["wall"]
    mx = math.ceil(max(d.bezel.left for d in wall.displays) / wall.pitch_x)
    my = math.ceil(max(d.bezel.top for d in wall.displays) / wall.pitch_y)
    assert preview.shape[:2] == (wall.canvas_h + 2 * my, wall.canvas_w + 2 * mx)
    vp = p.viewport
    assert np.array_equal(preview[my + vp.y : my + vp.y1, mx + vp.x : mx + vp.x1], up)
