"""Which configured display goes on which screen, and when one window can span them all."""

from __future__ import annotations

import pytest

from wall.config.loader import load_config
from wall.outputs.screens import Screen, bind_displays, spans_one_rectangle


def grid_screens(names=("DP-1", "DP-2", "DP-3", "HDMI-1", "HDMI-2", "HDMI-3")) -> list[Screen]:
    # listed by the system in an order that is not reading order, as drivers do
    places = [(3840, 1080), (0, 0), (1920, 1080), (1920, 0), (0, 1080), (3840, 0)]
    placed = enumerate(zip(names, places, strict=True))
    return [Screen(n, i, x, y, 1920, 1080, 60.0, i == 0) for i, (n, (x, y)) in placed]


@pytest.fixture(scope="module")
def demo_wall():
    return load_config("config/demo.yaml").wall


def test_displays_without_outputs_take_the_screens_in_reading_order(demo_wall):
    bound = {b.display_id: b.screen.name for b in bind_displays(demo_wall, grid_screens())}
    # A1 B1 C1 on the top row left to right, then A2 B2 C2, whatever order the system lists them in
    assert bound == {"A1": "DP-2", "B1": "HDMI-1", "C1": "HDMI-3", "A2": "HDMI-2", "B2": "DP-3", "C2": "DP-1"}


def test_outputs_by_name_index_and_position_and_the_rest_in_reading_order(tmp_path):
    text = (
        open("config/demo.yaml")
        .read()
        .replace("      bezel_mm: 0.9", "      bezel_mm: 0.9\n    outputs: [HDMI-3, 0, '@0,0', HDMI-2, DP-3, HDMI-1]")
    )
    cfg = tmp_path / "w.yaml"
    cfg.write_text(text)
    wall = load_config(cfg).wall
    bound = {b.display_id: (b.screen.name, b.reason) for b in bind_displays(wall, grid_screens())}
    assert bound["A1"] == ("HDMI-3", "output HDMI-3")
    assert bound["B1"] == ("DP-1", "output 0 (index)")
    assert bound["C1"] == ("DP-2", "output @0,0")


def test_a_missing_or_doubly_used_output_leaves_that_display_without_a_screen(tmp_path):
    text = (
        open("config/demo.yaml")
        .read()
        .replace("      bezel_mm: 0.9", "      bezel_mm: 0.9\n    outputs: [DP-1, DP-1, DP-9, 7, '@5,5', HDMI-1]")
    )
    cfg = tmp_path / "w.yaml"
    cfg.write_text(text)
    wall = load_config(cfg).wall
    got = {b.display_id: b for b in bind_displays(wall, grid_screens())}
    assert got["A1"].screen.name == "DP-1"
    assert got["B1"].screen is None and "already used" in got["B1"].reason
    assert (
        got["C1"].screen is None
        and "'DP-9' is not active" in got["C1"].reason
        and "HDMI-3 (1920x1080+3840+0)" in got["C1"].reason
    )
    assert got["A2"].screen is None and "index 7 does not exist" in got["A2"].reason
    assert got["B2"].screen is None and "no screen at @5,5" in got["B2"].reason
    assert got["C2"].screen.name == "HDMI-1"


def test_more_displays_than_screens(demo_wall):
    bound = bind_displays(demo_wall, grid_screens()[:4])
    assert [b.screen is not None for b in bound] == [True] * 4 + [False] * 2
    assert "more displays than screens" in bound[5].reason


def test_spanning_needs_an_exact_tiling():
    six = [s.rect for s in grid_screens()]
    assert spans_one_rectangle(six) == (0, 0, 5760, 2160)
    assert spans_one_rectangle(six[:5]) is None  # a hole where the sixth was
    assert spans_one_rectangle([(0, 0, 1920, 1080), (1900, 0, 1920, 1080)]) is None  # overlapping
    assert spans_one_rectangle([(0, 0, 1920, 1080), (1920, 0, 1280, 1024)]) is None  # ragged
    assert spans_one_rectangle([(0, 0, 1080, 1920), (1080, 0, 1080, 1920)]) == (0, 0, 2160, 1920)
    assert spans_one_rectangle([]) is None
