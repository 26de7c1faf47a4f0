"""The acceptance test of bezel compensation: `wallctl render --pattern bezel` draws lines that are
straight in *physical* wall millimetres, across every mullion.

Each display's PNG is measured on its own: every lit pixel, mapped to wall mm through the wall's
geometry, must lie on one of the pattern's lines, and every line that crosses the display must be
drawn. A negative control shows the measurement can fail: the same pixels mapped with a wrong bezel
figure land millimetres off the lines.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from bezel_lines import (
    SPACING_MM,
    assert_on_lines,
    coverage,
    family_distance,
    lit_pixels,
    measure,
    native_to_mm,
    tolerance_mm,
)
from conftest import DEMO, load_png, run_cli

from wall.config.loader import load_config
from wall.geometry import Bezels, build_wall, expand_grid

DISPLAYS = ["A1", "B1", "C1", "A2", "B2", "C2"]


@pytest.fixture(scope="module")
def loaded():
    return load_config(DEMO)


@pytest.fixture(scope="module")
def pattern_pngs(tmp_path_factory):
    out = tmp_path_factory.mktemp("bezel")
    rc, stdout, stderr = run_cli(
        "render", DEMO, "--pattern", "bezel", "--time", "2026-11-23T09:30:00+01:00", "--out", out
    )
    assert rc == 0, stderr
    assert "pattern bezel" in stdout
    return {d: load_png(out / f"{d}.png") for d in DISPLAYS}


@pytest.fixture(scope="module")
def wrong_wall():
    """The demo wall as if its panels had 20 mm bezels instead of 0.9 mm."""
    specs = expand_grid(3, 2, (1920, 1080), (1209.6, 680.4), Bezels(20.0, 20.0, 20.0, 20.0))
    return build_wall(specs, grid=(3, 2))


def test_demo_wall_is_what_the_test_assumes(loaded):
    # the fixtures below rely on these; if the demo changes, this says why the rest fails
    assert [d.id for d in loaded.wall.displays] == DISPLAYS
    assert all(d.rotation == 0 for d in loaded.wall.displays)
    assert math.isclose(loaded.wall.display("B1").mm.x, 1209.6 + 2 * 0.9)


@pytest.mark.parametrize("display_id", DISPLAYS)
def test_every_lit_pixel_lies_on_a_physical_line(loaded, pattern_pngs, display_id):
    png = pattern_pngs[display_id]
    assert png.shape == (1080, 1920, 3)
    m = assert_on_lines(loaded.wall, display_id, png)
    # the lines are really there: about 5 % of the panel is line (two families, 3 px every 112 px)
    assert 0.03 < m["lit"] / (1920 * 1080) < 0.08


@pytest.mark.parametrize("display_id", DISPLAYS)
def test_lines_are_drawn_where_the_geometry_puts_them(loaded, pattern_pngs, display_id):
    # the converse of the test above: pixels within 1 px of a line centre are lit
    assert coverage(loaded.wall, display_id, pattern_pngs[display_id]) > 0.98


@pytest.mark.parametrize("display_id", DISPLAYS[1:])
def test_negative_control_wrong_bezels_fail_the_check(pattern_pngs, wrong_wall, display_id):
    png = pattern_pngs[display_id]
    m = measure(wrong_wall, display_id, png)
    # 38.2 mm of extra seam per column/row moves the lines by many pixels, far beyond tolerance
    assert m["max_mm"] > 5 * m["tol_mm"]
    with pytest.raises(AssertionError):
        assert_on_lines(wrong_wall, display_id, png)


def test_negative_control_leaves_the_origin_display_alone(pattern_pngs, wrong_wall):
    # A1 is the origin of wall mm whatever the bezels: the control only breaks what it should
    assert_on_lines(wrong_wall, "A1", pattern_pngs["A1"])


def _line_pixels_mm(wall, display_id, png, sign, k):
    """Wall-mm centres of the pixels of the line x + sign*y = k*100, away from crossings."""
    u, v = lit_pixels(png)
    x, y = native_to_mm(wall, display_id, u, v)
    tol = tolerance_mm(wall)
    mine, kk = family_distance(x, y, sign)
    other, _ = family_distance(x, y, -sign)
    keep = (mine <= tol) & (kk == k) & (other > 3 * tol)
    return x[keep], y[keep]


# (first display, second display, sign, k, seam axis): each line crosses the seam mid-panel
SEAMS = [
    ("A1", "B1", -1, 9, "x"),  # x - y = 900 crosses the A1|B1 seam near y = 310 mm
    ("A1", "B1", +1, 15, "x"),  # x + y = 1500 crosses it near y = 290 mm
    ("A1", "A2", -1, -1, "y"),  # x - y = -100 crosses the A1/A2 seam near x = 581 mm
    ("A1", "A2", +1, 13, "y"),  # x + y = 1300 crosses it near x = 619 mm
]


@pytest.mark.parametrize(
    "first, second, sign, k, axis", SEAMS, ids=[f"{a}-{b}-{'x+y' if s > 0 else 'x-y'}" for a, b, s, _, _ in SEAMS]
)
def test_line_continues_straight_across_the_bezel(loaded, pattern_pngs, first, second, sign, k, axis):
    wall = loaded.wall
    a, b = wall.display(first), wall.display(second)
    seam = (a.mm.x1 + b.mm.x) / 2 if axis == "x" else (a.mm.y1 + b.mm.y) / 2
    fits = []
    for did in (first, second):
        x, y = _line_pixels_mm(wall, did, pattern_pngs[did], sign, k)
        assert x.size > 300, f"line {k} barely visible on {did}"
        if axis == "x":
            slope, intercept = np.polyfit(x, y, 1)  # y = slope * x + intercept
        else:
            slope, intercept = np.polyfit(y, x, 1)  # x = slope * y + intercept
        fits.append((slope, intercept))
    for slope, _ in fits:
        assert slope == pytest.approx(-sign, abs=0.002)  # x - y = c: y = x - c; x + y = c: y = -x + c
    # both halves meet at the seam: where each fit says the line crosses it
    at_seam = [slope * seam + intercept for slope, intercept in fits]
    assert abs(at_seam[0] - at_seam[1]) < 1.0, f"step of {at_seam[1] - at_seam[0]:.2f} mm at the {first}|{second} seam"
    # and that is where the pattern's line x + sign*y = c crosses the seam
    c = k * SPACING_MM
    expected = sign * (c - seam) if axis == "x" else c - sign * seam
    assert np.mean(at_seam) == pytest.approx(expected, abs=1.0)
