"""wall.layout.resolve_layout: zones from cells, fractions or mm -> canvas pixel rectangles.

All rectangles are on the demo wall: 3x2 panels of 1920x1080 px, 0.63 mm pitch, 0.9 mm bezels,
canvas 5766x2163 px, viewports at x = 0, 1923, 3846 and y = 0, 1083.
"""

from __future__ import annotations

import itertools

import pytest

from wall.config.schema import LayoutConfig
from wall.geometry import Bezels, DisplaySpec, Rect, build_wall, expand_grid
from wall.layout import resolve_layout

PITCH = 0.63


@pytest.fixture(scope="module")
def wall():
    specs = expand_grid(3, 2, (1920, 1080), (1209.6, 680.4), Bezels(0.9, 0.9, 0.9, 0.9))
    return build_wall(specs, grid=(3, 2))


def layout(zones: dict, grid=None) -> LayoutConfig:
    data: dict = {"zones": zones}
    if grid is not None:
        data["grid"] = grid
    return LayoutConfig.model_validate(data)


def resolve(wall, zones: dict, grid=None):
    return resolve_layout(layout(zones, grid).spec(), wall)


def one(wall, zone: dict, grid=None) -> Rect:
    resolved = resolve(wall, {"z": zone}, grid)
    assert resolved.findings == ()
    return resolved.zone("z").rect


# ---------------------------------------------------------------- cells


def test_cells_range_on_a_6x4_grid(wall):
    # cell boundaries are rounded canvas divisions: 2/6 of 5766 = 1922, 2/4 of 2163 = 1081.5 -> 1082
    assert one(wall, {"cells": "A1:B2"}, grid=[6, 4]) == Rect(0, 0, 1922, 1082)
    assert one(wall, {"cells": "A1"}, grid=[6, 4]) == Rect(0, 0, 961, 541)
    assert one(wall, {"cells": "C3:F4"}, grid=[6, 4]) == Rect(1922, 1082, 3844, 1081)


def test_cells_reversed_or_lowercase_mean_the_same(wall):
    expected = Rect(0, 0, 1922, 1082)
    assert one(wall, {"cells": "B2:A1"}, grid=[6, 4]) == expected
    assert one(wall, {"cells": "a1:b2"}, grid=[6, 4]) == expected


def test_adjacent_cells_share_edges_exactly(wall):
    resolved = resolve(wall, {f"c{i}": {"cells": f"{letter}1"} for i, letter in enumerate("ABCDEF")}, grid=[6, 4])
    rects = [z.rect for z in resolved.zones]
    assert rects[0].x == 0 and rects[-1].x1 == wall.canvas_w
    assert all(a.x1 == b.x for a, b in itertools.pairwise(rects))


def test_default_grid_is_the_display_grid(wall):
    assert one(wall, {"cells": "A1"}) == Rect(0, 0, 1922, 1082)
    assert one(wall, {"cells": "C2"}) == Rect(3844, 1082, 1922, 1081)
    assert one(wall, {"cells": "A1:C2"}) == wall.canvas


def test_default_grid_without_a_display_grid_is_one_cell():
    single = build_wall([DisplaySpec("only", (1920, 1080), (1209.6, 680.4), Bezels(), (0.0, 0.0))])
    assert one(single, {"cells": "A1"}) == Rect(0, 0, 1920, 1080)
    resolved = resolve(single, {"z": {"cells": "B1"}})
    assert [(f.severity, f.message) for f in resolved.findings] == [
        ("error", "cells 'B1' fall outside the 1x1 layout grid (A1..A1)")
    ]


def test_cells_outside_the_grid_are_an_error(wall):
    resolved = resolve(wall, {"ok": {"cells": "A1"}, "bad": {"cells": "E1:G1"}, "low": {"cells": "A5"}}, grid=[6, 4])
    assert resolved.ids == ["ok"]
    assert [(f.severity, f.path, f.message) for f in resolved.findings] == [
        ("error", ("zones", "bad", "cells"), "cells 'E1:G1' fall outside the 6x4 layout grid (A1..F4)"),
        ("error", ("zones", "low", "cells"), "cells 'A5' fall outside the 6x4 layout grid (A1..F4)"),
    ]
    with pytest.raises(KeyError):
        resolved.zone("bad")


# ---------------------------------------------------------------- snapping to bezels


def test_snap_puts_a_display_aligned_zone_exactly_on_the_viewport(wall):
    # without snapping A1:B2 would reach 2 px into the A1|B1 seam and 2 px into the A1|A2 seam
    assert one(wall, {"cells": "A1:B2", "snap": "bezels"}, grid=[6, 4]) == wall.display("A1").viewport
    assert one(wall, {"cells": "C1:D2", "snap": "bezels"}, grid=[6, 4]) == wall.display("B1").viewport
    assert one(wall, {"cells": "E3:F4", "snap": "bezels"}, grid=[6, 4]) == wall.display("C2").viewport


@pytest.mark.parametrize(
    "cell, display", [("A1", "A1"), ("B1", "B1"), ("C1", "C1"), ("A2", "A2"), ("B2", "B2"), ("C2", "C2")]
)
def test_snap_on_the_display_grid_gives_every_viewport(wall, cell, display):
    assert one(wall, {"cells": cell, "snap": "bezels"}) == wall.display(display).viewport


def test_snapped_zone_has_no_hidden_pixels(wall):
    rect = one(wall, {"cells": "A3:D4", "snap": "bezels"}, grid=[6, 4])
    # it spans A2 and B2, so the seam between them stays inside, but nothing pokes into another seam
    assert rect == Rect(0, 1083, 3843, 1080)
    assert wall.hidden_px(rect) == 3 * 1080


def test_snap_leaves_mid_panel_edges_alone(wall):
    # A1 of a 6x4 grid ends in the middle of panel A1 (x = 961, y = 541): no bezel near, nothing moves
    assert one(wall, {"cells": "A1", "snap": "bezels"}, grid=[6, 4]) == Rect(0, 0, 961, 541)
    # B1:C1 starts mid-panel (961) and ends mid-panel (2883)
    assert one(wall, {"cells": "B1:C1", "snap": "bezels"}, grid=[6, 4]) == Rect(961, 0, 1922, 541)
    # A1:B1 ends on the A1|B1 seam horizontally (snapped) but mid-panel vertically (kept)
    assert one(wall, {"cells": "A1:B1", "snap": "bezels"}, grid=[6, 4]) == Rect(0, 0, 1920, 541)


def test_snap_none_is_the_default(wall):
    assert one(wall, {"cells": "A1:B2", "snap": "none"}, grid=[6, 4]) == Rect(0, 0, 1922, 1082)


def test_snap_applies_to_mm_and_fraction_zones(wall):
    # a third of the canvas is 1922 px: 1 px short of B1's left edge and 2 px past A1's right edge
    assert one(wall, {"fraction": {"x": 1 / 3, "w": 1 / 3, "h": 0.5}, "snap": "bezels"}) == wall.display("B1").viewport
    # 1210 mm -> 1921 px (in the seam), 2422 mm -> 3844 px (in the next seam), 681.4 mm -> 1082 px
    assert (
        one(wall, {"mm": {"x": 1210.0, "y": 0, "w": 1212.0, "h": 681.4}, "snap": "bezels"})
        == wall.display("B1").viewport
    )


def test_snap_does_not_pull_edges_onto_the_canvas_border(wall):
    # the canvas border is not a bezel between panels: a zone stopping 1 px short of it stays so
    assert one(wall, {"mm": {"x": 1212.0, "y": 683.0, "w": 1208.0, "h": 679.0}, "snap": "bezels"}) == Rect(
        1923, 1083, 1920, 1079
    )


# ---------------------------------------------------------------- fractions


def test_fraction_zones(wall):
    assert one(wall, {"fraction": {"w": 1, "h": 1}}) == wall.canvas
    assert one(wall, {"fraction": {"x": 0.5, "w": 0.5, "h": 1}}) == Rect(2883, 0, 2883, 2163)
    assert one(wall, {"fraction": {"y": 0.5, "w": 1, "h": 0.5}}) == Rect(0, 1082, 5766, 1081)


def test_fraction_past_the_canvas_is_an_error(wall):
    resolved = resolve(wall, {"wide": {"fraction": {"x": 0.5, "w": 0.7, "h": 1}}})
    assert resolved.zones == ()
    (f,) = resolved.findings
    assert f.severity == "error"
    assert f.path == ("zones", "wide", "fraction")
    assert f.message.startswith("fraction x+w = 1.2, y+h = 1:")
    assert "at most 1" in f.message


def test_fraction_y_past_the_canvas_is_an_error(wall):
    (f,) = resolve(wall, {"tall": {"fraction": {"y": 0.75, "w": 1, "h": 0.5}}}).findings
    assert (f.severity, f.path) == ("error", ("zones", "tall", "fraction"))
    assert "y+h = 1.25" in f.message


# ---------------------------------------------------------------- millimetres


def test_mm_zones(wall):
    # 630 x 315 mm at 0.63 mm/px = 1000 x 500 px
    assert one(wall, {"mm": {"x": 0, "y": 0, "w": 630, "h": 315}}) == Rect(0, 0, 1000, 500)
    # B2's active area in wall mm is B2's viewport
    assert one(wall, {"mm": {"x": 1211.4, "y": 682.2, "w": 1209.6, "h": 680.4}}) == wall.display("B2").viewport


def test_mm_zone_partly_outside_is_clipped_with_a_warning(wall):
    resolved = resolve(wall, {"edge": {"mm": {"x": 5500 * PITCH, "y": 0, "w": 630, "h": 315}}})
    assert resolved.zone("edge").rect == Rect(5500, 0, 266, 500)
    assert [(f.severity, f.path, f.message) for f in resolved.findings] == [
        (
            "warning",
            ("zones", "edge", "mm"),
            "zone 'edge' falls partly outside the canvas and is cut to 266x500 px at (5500, 0)",
        )
    ]


def test_mm_zone_above_and_left_of_the_canvas_is_clipped(wall):
    resolved = resolve(wall, {"corner": {"mm": {"x": -63, "y": -63, "w": 630, "h": 315}}})
    assert resolved.zone("corner").rect == Rect(0, 0, 900, 400)
    (f,) = resolved.findings
    assert f.severity == "warning" and "cut to 900x400 px at (0, 0)" in f.message


def test_mm_zone_entirely_outside_is_an_error(wall):
    resolved = resolve(wall, {"away": {"mm": {"x": 6000 * PITCH, "y": 0, "w": 630, "h": 315}}})
    assert resolved.zones == ()
    assert [(f.severity, f.path, f.message) for f in resolved.findings] == [
        (
            "error",
            ("zones", "away", "mm"),
            "zone 'away' lies entirely outside the 5766x2163 px canvas (it is at x=6000, y=0, 1000x500 px); "
            "move it onto the wall",
        )
    ]


def test_zone_wholly_behind_a_bezel_is_a_warning(wall):
    # the 1.8 mm between A1's and B1's active areas: canvas columns 1920..1922
    resolved = resolve(wall, {"seam": {"mm": {"x": 1209.6, "y": 0, "w": 1.8, "h": 63}}})
    assert resolved.zone("seam").rect == Rect(1920, 0, 3, 100)
    (f,) = resolved.findings
    assert f.severity == "warning"
    assert f.message == "zone 'seam' lies wholly behind bezels; nothing of it can be seen"


# ---------------------------------------------------------------- order


def test_z_order_follows_declaration_order(wall):
    resolved = resolve(
        wall,
        {
            "background": {"cells": "A1:F4"},
            "ticker": {"fraction": {"y": 0.9, "w": 1, "h": 0.1}},
            "alert": {"cells": "C2:D3"},
        },
        grid=[6, 4],
    )
    assert resolved.ids == ["background", "ticker", "alert"]
    zs = [z.z for z in resolved.zones]
    assert zs == sorted(zs) and len(set(zs)) == 3
    assert resolved.zone("alert").z > resolved.zone("background").z


def test_a_failed_zone_does_not_stop_the_others(wall):
    resolved = resolve(wall, {"a": {"cells": "A1"}, "bad": {"cells": "Z9"}, "b": {"cells": "B1"}}, grid=[6, 4])
    assert resolved.ids == ["a", "b"]
    assert resolved.zone("a").z < resolved.zone("b").z
    assert [f.path for f in resolved.findings] == [("zones", "bad", "cells")]
