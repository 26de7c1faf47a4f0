"""wall.geometry: the physical wall -> one canvas of virtual pixels and each display's viewport.

The demo wall (config/demo.yaml) is the reference: 3x2 panels of 1920x1080 px, active area
1209.6 x 680.4 mm (0.63 mm pitch), 0.9 mm bezel on every edge, so 1.8 mm = 2.857 px between two
active areas, rounded to 3 px of canvas hidden behind each mullion.
"""

from __future__ import annotations

import pytest

from wall.geometry import (
    Bezels,
    DisplaySpec,
    GeometryError,
    Rect,
    active_size_mm,
    build_wall,
    column_index,
    column_letters,
    expand_grid,
)

RES = (1920, 1080)
ACTIVE = (1209.6, 680.4)
PITCH = 0.63


def demo_wall(**overrides):
    args = dict(cols=3, rows=2, resolution=RES, active_mm=ACTIVE, bezel=Bezels(0.9, 0.9, 0.9, 0.9))
    args.update(overrides)
    return build_wall(expand_grid(**args), grid=(args["cols"], args["rows"]))


def spec(id, x, y, *, res=RES, active=ACTIVE, bezel=Bezels(), rotation=0):
    return DisplaySpec(id=id, resolution=res, active_mm=active, bezel=bezel, position_mm=(x, y), rotation=rotation)


# ---------------------------------------------------------------- grid expansion


def test_grid_ids_are_spreadsheet_style_row_major():
    specs = expand_grid(3, 2, RES, ACTIVE, Bezels())
    assert [s.id for s in specs] == ["A1", "B1", "C1", "A2", "B2", "C2"]


def test_grid_ids_go_past_z():
    specs = expand_grid(28, 1, (100, 100), (63.0, 63.0), Bezels())
    assert [s.id for s in specs][24:] == ["Y1", "Z1", "AA1", "AB1"]


def test_grid_positions_step_by_active_area_plus_both_bezels():
    specs = expand_grid(3, 2, RES, ACTIVE, Bezels(0.9, 0.9, 0.9, 0.9))
    pos = {s.id: s.position_mm for s in specs}
    assert pos["A1"] == (0.0, 0.0)
    assert pos["B1"] == pytest.approx((1211.4, 0.0))
    assert pos["C1"] == pytest.approx((2422.8, 0.0))
    assert pos["A2"] == pytest.approx((0.0, 682.2))
    assert pos["C2"] == pytest.approx((2422.8, 682.2))


def test_grid_positions_use_each_edge_bezel_and_gap():
    # a panel's right bezel + the next panel's left bezel + the gap separate two active areas
    specs = expand_grid(2, 2, RES, ACTIVE, Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0), gap_mm=(5.0, 7.0))
    pos = {s.id: s.position_mm for s in specs}
    assert pos["B1"] == pytest.approx((4.0 + 1209.6 + 2.0 + 5.0, 0.0))
    assert pos["A2"] == pytest.approx((0.0, 1.0 + 680.4 + 3.0 + 7.0))


def test_grid_assigns_outputs_in_display_order():
    specs = expand_grid(2, 1, RES, ACTIVE, Bezels(), outputs=["DP-1", "DP-2"])
    assert [(s.id, s.output) for s in specs] == [("A1", "DP-1"), ("B1", "DP-2")]


# ---------------------------------------------------------------- the demo wall


def test_demo_wall_canvas_includes_pixels_behind_bezels():
    wall = demo_wall()
    # 3 * 1920 + 2 seams of 1.8 mm / 0.63 mm = 2.857 px -> the C column starts at round(3845.7) = 3846
    assert (wall.canvas_w, wall.canvas_h) == (5766, 2163)
    assert wall.canvas == Rect(0, 0, 5766, 2163)
    assert wall.grid == (3, 2)
    assert wall.pitch_x == pytest.approx(PITCH)
    assert wall.pitch_y == pytest.approx(PITCH)


def test_demo_wall_viewports():
    wall = demo_wall()
    assert wall.viewports() == {
        "A1": Rect(0, 0, 1920, 1080),
        "B1": Rect(1923, 0, 1920, 1080),
        "C1": Rect(3846, 0, 1920, 1080),
        "A2": Rect(0, 1083, 1920, 1080),
        "B2": Rect(1923, 1083, 1920, 1080),
        "C2": Rect(3846, 1083, 1920, 1080),
    }


def test_demo_wall_displays_know_their_place():
    wall = demo_wall()
    b1 = wall.display("B1")
    assert b1.index == 1
    assert b1.mm.x == pytest.approx(1211.4)
    assert (b1.mm.w, b1.mm.h) == pytest.approx(ACTIVE)
    assert b1.outer_mm.x == pytest.approx(1210.5)
    assert b1.outer_mm.w == pytest.approx(1211.4)
    with pytest.raises(KeyError):
        wall.display("D1")


def test_gap_widens_the_seam():
    # 1.8 mm bezels + 1.35 mm gap = 3.15 mm = exactly 5 px at 0.63 mm
    wall = demo_wall(rows=1, gap_mm=(1.35, 0.0))
    assert wall.display("B1").viewport.x == 1925
    assert wall.canvas_w == 3 * 1920 + 2 * 5


def test_canvas_origin_is_the_top_left_active_area():
    wall = build_wall([spec("a", 100.0, 50.0), spec("b", 100.0 + 1209.6 + 6.3, 50.0)])
    assert wall.viewports() == {"a": Rect(0, 0, 1920, 1080), "b": Rect(1930, 0, 1920, 1080)}
    assert wall.display("a").mm.x == 0.0
    assert wall.grid is None


# ---------------------------------------------------------------- asymmetric bezels


def test_asymmetric_grid_bezels():
    # right 2 mm + left 4 mm = 6 mm seam = 9.52 px -> B1 starts at round(1929.52) = 1930
    wall = demo_wall(cols=2, rows=2, bezel=Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0))
    assert wall.display("B1").viewport == Rect(1930, 0, 1920, 1080)
    # bottom 3 mm + top 1 mm = 4 mm = 6.35 px -> A2 starts at round(1086.35) = 1086
    assert wall.display("A2").viewport == Rect(0, 1086, 1920, 1080)
    assert (wall.canvas_w, wall.canvas_h) == (3850, 2166)
    assert wall.display("B2").bezel == Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0)


def test_explicit_displays_with_different_bezels_each():
    # a slim-bezel panel next to a thick-bezel panel: 1.0 mm (a's right) + 5.3 mm (b's left)
    a = spec("a", 0.0, 0.0, bezel=Bezels(top=0.5, right=1.0, bottom=0.5, left=3.0))
    b = spec("b", 1209.6 + 1.0 + 5.3, 0.0, bezel=Bezels(top=2.0, right=2.0, bottom=2.0, left=5.3))
    wall = build_wall([a, b])
    assert wall.display("b").viewport == Rect(1930, 0, 1920, 1080)  # 1215.9 / 0.63 = 1930
    assert wall.display("a").bezel.left == 3.0
    assert wall.display("b").bezel.left == 5.3
    assert wall.display("b").outer_mm.x == pytest.approx(1210.6)
    assert wall.canvas_w == 3850
    assert wall.hidden_px(Rect(0, 0, 3850, 1)) == 10


# ---------------------------------------------------------------- rotation


@pytest.mark.parametrize(
    "rotation, expected",
    [
        (0, Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0)),
        # turned clockwise: the native top edge goes to the right, the native left edge to the top
        (90, Bezels(top=4.0, right=1.0, bottom=2.0, left=3.0)),
        (180, Bezels(top=3.0, right=4.0, bottom=1.0, left=2.0)),
        (270, Bezels(top=2.0, right=3.0, bottom=4.0, left=1.0)),
        (360, Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0)),
    ],
)
def test_bezels_rotate_clockwise(rotation, expected):
    assert Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0).rotated(rotation) == expected


@pytest.mark.parametrize(
    "rotation, size", [(0, (1920, 1080)), (90, (1080, 1920)), (180, (1920, 1080)), (270, (1080, 1920))]
)
def test_rotation_swaps_the_mounted_size(rotation, size):
    wall = build_wall([spec("a", 0.0, 0.0, rotation=rotation)])
    d = wall.display("a")
    assert (d.viewport.w, d.viewport.h) == size
    assert (wall.canvas_w, wall.canvas_h) == size
    assert d.resolution == (1920, 1080)  # what the video output sends is unchanged
    assert d.mm.w == pytest.approx(size[0] * PITCH)
    assert d.mm.h == pytest.approx(size[1] * PITCH)


def test_portrait_grid_steps_by_the_mounted_size_and_bezels():
    # native bezels top 1, right 2, bottom 3, left 4 -> mounted at 90: top 4, right 1, bottom 2, left 3
    wall = demo_wall(cols=2, rows=2, rotation=90, bezel=Bezels(top=1.0, right=2.0, bottom=3.0, left=4.0))
    # seam x: right 1 + left 3 = 4 mm -> 680.4 + 4 = 684.4 mm = 1086.35 px
    assert wall.display("B1").viewport == Rect(1086, 0, 1080, 1920)
    # seam y: bottom 2 + top 4 = 6 mm -> 1209.6 + 6 = 1215.6 mm = 1929.52 px
    assert wall.display("A2").viewport == Rect(0, 1930, 1080, 1920)
    assert wall.display("A1").bezel == Bezels(top=4.0, right=1.0, bottom=2.0, left=3.0)


# native corner (u, v) -> canvas point, for a display whose viewport is at (100, 200)
W, H = 1920, 1080
CORNERS = [(0, 0), (W, 0), (W, H), (0, H)]


@pytest.mark.parametrize(
    "rotation, expected",
    [
        (0, [(0, 0), (W, 0), (W, H), (0, H)]),
        # clockwise: native top-left goes to the top-right, native top-right to the bottom-right
        (90, [(H, 0), (H, W), (0, W), (0, 0)]),
        (180, [(W, H), (0, H), (0, 0), (W, 0)]),
        # counter-clockwise: native top-left goes to the bottom-left
        (270, [(0, W), (0, 0), (H, 0), (H, W)]),
    ],
)
def test_native_to_canvas_maps_corners(rotation, expected):
    x0, y0 = 100 * PITCH, 200 * PITCH
    other = spec("origin", 0.0, 0.0, res=(10, 10), active=(6.3, 6.3))  # pins the canvas origin
    wall = build_wall([other, spec("d", x0, y0, rotation=rotation)])
    d = wall.display("d")
    assert (d.viewport.x, d.viewport.y) == (100, 200)
    got = [d.native_to_canvas(u, v) for u, v in CORNERS]
    assert got == [(100 + cx, 200 + cy) for cx, cy in expected]


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_native_to_canvas_stays_inside_the_viewport(rotation):
    d = build_wall([spec("d", 0.0, 0.0, rotation=rotation)]).display("d")
    vp = d.viewport
    for u, v in [(0.5, 0.5), (W - 0.5, 0.5), (0.5, H - 0.5), (W - 0.5, H - 0.5), (W / 2, H / 2)]:
        cx, cy = d.native_to_canvas(u, v)
        assert vp.x < cx < vp.x1 and vp.y < cy < vp.y1


def test_native_pixel_to_mm_uses_the_physical_position():
    wall = demo_wall()
    assert wall.native_pixel_to_mm("A1", 0, 0) == pytest.approx((0.315, 0.315))
    # B1 is at 1211.4 mm physically even though its viewport is rounded to 1923 px (1211.49 mm)
    assert wall.native_pixel_to_mm("B1", 0, 0) == pytest.approx((1211.715, 0.315))
    assert wall.native_pixel_to_mm("C2", 1919, 1079) == pytest.approx((2422.8 + 1209.285, 682.2 + 680.085))


def test_native_pixel_to_mm_rotated_90():
    wall = build_wall([spec("p", 0.0, 0.0, rotation=90)])
    # native (0, 0) is the top-left of the picture; turned clockwise it sits at the top-right
    assert wall.native_pixel_to_mm("p", 0, 0) == pytest.approx((680.4 - 0.315, 0.315))
    assert wall.native_pixel_to_mm("p", 1919, 0) == pytest.approx((680.4 - 0.315, 1209.6 - 0.315))


def test_canvas_mm_round_trip():
    wall = demo_wall()
    assert wall.canvas_to_mm(1923, 1083) == pytest.approx((1211.49, 682.29))
    assert wall.mm_to_canvas(1211.49, 682.29) == pytest.approx((1923, 1083))


# ---------------------------------------------------------------- panel size from the datasheet


def test_active_size_from_diagonal_and_aspect():
    w, h = active_size_mm((1920, 1080), None, 55.0, "16:9")
    assert w == pytest.approx(1217.6, abs=0.2)
    assert h == pytest.approx(684.9, abs=0.1)
    assert (w**2 + h**2) ** 0.5 == pytest.approx(55 * 25.4)
    assert w / h == pytest.approx(16 / 9)


@pytest.mark.parametrize("aspect", ["16x9", "16/9", " 16 : 9 "])
def test_active_size_aspect_spellings(aspect):
    assert active_size_mm((1920, 1080), None, 55.0, aspect) == pytest.approx(
        active_size_mm((1920, 1080), None, 55.0, "16:9")
    )


def test_active_size_default_aspect_is_the_resolution():
    w, h = active_size_mm((1920, 1200), None, 24.0, None)
    assert w / h == pytest.approx(1.6)
    assert (w**2 + h**2) ** 0.5 == pytest.approx(24 * 25.4)


def test_active_size_explicit_mm_wins():
    assert active_size_mm((1920, 1080), (1209.6, 680.4), None, None) == (1209.6, 680.4)


# ---------------------------------------------------------------- impossible walls


def test_mixed_pixel_pitch_is_rejected_naming_the_display():
    with pytest.raises(GeometryError) as exc:
        build_wall([spec("left", 0.0, 0.0), spec("right", 1300.0, 0.0, res=(3840, 2160))])
    assert exc.value.display == 1
    msg = str(exc.value)
    assert "'right'" in msg and "'left'" in msg
    assert "0.3150 mm" in msg and "0.6300 mm" in msg
    assert "pixel pitch" in msg


def test_pitch_within_one_percent_is_accepted():
    wall = build_wall([spec("a", 0.0, 0.0), spec("b", 1300.0, 0.0, active=(1212.0, 681.0))])
    assert wall.pitch_x == pytest.approx(PITCH)


def test_vertical_pitch_mismatch_is_rejected():
    with pytest.raises(GeometryError, match="display 'b' has a vertical pixel pitch"):
        build_wall([spec("a", 0.0, 0.0), spec("b", 1300.0, 0.0, active=(1209.6, 720.0))])


def test_overlapping_displays_are_rejected():
    with pytest.raises(GeometryError) as exc:
        build_wall([spec("a", 0.0, 0.0), spec("b", 1000.0, 100.0)])
    assert exc.value.display == 1
    assert str(exc.value) == "displays 'a' and 'b' overlap by 209.6 x 580.4 mm; check their position_mm"


def test_touching_displays_are_fine():
    wall = build_wall([spec("a", 0.0, 0.0), spec("b", 1209.6, 0.0)])
    assert wall.display("b").viewport == Rect(1920, 0, 1920, 1080)
    assert wall.hidden_px(wall.canvas) == 0


def test_bezels_that_would_overlap_are_rejected():
    # active areas 4 mm apart, but a's 2 mm right bezel and b's 3 mm left bezel need 5 mm
    a = spec("a", 0.0, 0.0, bezel=Bezels(2.0, 2.0, 2.0, 2.0))
    b = spec("b", 1209.6 + 4.0, 0.0, bezel=Bezels(3.0, 3.0, 3.0, 3.0))
    with pytest.raises(GeometryError) as exc:
        build_wall([a, b])
    assert exc.value.display == 1
    assert "the bezels of 'a' and 'b' would overlap by 1.0 mm" in str(exc.value)
    assert "physically impossible" in str(exc.value)


def test_bezels_that_just_touch_are_fine():
    a = spec("a", 0.0, 0.0, bezel=Bezels(2.0, 2.0, 2.0, 2.0))
    b = spec("b", 1209.6 + 5.0, 0.0, bezel=Bezels(3.0, 3.0, 3.0, 3.0))
    assert build_wall([a, b]).display("b").viewport.x == 1928


def test_rotated_bezels_count_for_overlap():
    # b's thick native top bezel (10 mm) is on its right at 90 deg, its left stays 0: no clash
    a = spec("a", 0.0, 0.0)
    b = spec("b", 1209.6, 0.0, rotation=90, bezel=Bezels(top=10.0))
    build_wall([a, b])
    # ... but at 270 the thick edge is on the left, against a
    with pytest.raises(GeometryError, match="bezels of 'a' and 'b' would overlap by 10.0 mm"):
        build_wall([a, spec("b", 1209.6, 0.0, rotation=270, bezel=Bezels(top=10.0))])


def test_displays_less_than_a_pixel_apart_are_rejected():
    # 0.04 mm of overlap is measuring noise, but rounding puts both viewports on canvas column 1920
    origin = spec("o", 0.0, 700.0)
    a = spec("a", 0.32, 0.0)  # 0.508 px -> starts at column 1
    b = spec("b", 0.32 + 1209.6 - 0.04, 0.0)  # 1920.44 px -> starts at column 1920
    with pytest.raises(GeometryError, match="less than one pixel apart"):
        build_wall([origin, a, b])


def test_duplicate_ids_are_rejected():
    with pytest.raises(GeometryError) as exc:
        build_wall([spec("a", 0.0, 0.0), spec("b", 1300.0, 0.0), spec("a", 2600.0, 0.0)])
    assert exc.value.display == 2
    assert str(exc.value) == "display id 'a' is used twice (displays 0 and 2)"


def test_a_wall_needs_a_display():
    with pytest.raises(GeometryError, match="at least one display"):
        build_wall([])


# ---------------------------------------------------------------- bezels on the canvas


def test_hidden_px_counts_pixels_behind_mullions():
    wall = demo_wall()
    assert wall.hidden_px(wall.display("B1").viewport) == 0
    # a strip across the vertical seam between A1 and B1: 3 hidden columns
    assert wall.hidden_px(Rect(1900, 0, 50, 100)) == 3 * 100
    # a square over the cross where four panels meet: 3 columns + 3 rows, the 3x3 middle once
    assert wall.hidden_px(Rect(1900, 1060, 50, 50)) == 3 * 50 + 3 * 50 - 9
    # the whole canvas: two vertical seams and one horizontal seam
    assert wall.hidden_px(wall.canvas) == 2 * 3 * 2163 + 3 * 5766 - 2 * 3 * 3


def test_hidden_px_ignores_what_lies_off_the_canvas():
    wall = demo_wall()
    assert wall.hidden_px(Rect(-100, -100, 200, 200)) == 0
    assert wall.hidden_px(Rect(6000, 0, 10, 10)) == 0


def test_displays_meeting():
    wall = demo_wall()
    assert [d.id for d in wall.displays_meeting(Rect(1900, 1060, 50, 50))] == ["A1", "B1", "A2", "B2"]
    assert [d.id for d in wall.displays_meeting(Rect(1920, 0, 3, 10))] == []


def test_bezel_edges_leave_out_the_canvas_border():
    lefts, rights, tops, bottoms = demo_wall().bezel_edges()
    assert lefts == [1923, 3846]
    assert rights == [1920, 3843]
    assert tops == [1083]
    assert bottoms == [1080]


def test_bezel_edges_of_a_single_display():
    assert build_wall([spec("a", 0.0, 0.0)]).bezel_edges() == ([], [], [], [])


def test_as_json_describes_every_display():
    j = demo_wall().as_json()
    assert j["canvas"] == {"w": 5766, "h": 2163}
    b1 = j["displays"][1]
    assert b1["id"] == "B1"
    assert b1["viewport"] == {"x": 1923, "y": 0, "w": 1920, "h": 1080}
    assert b1["mm"] == {"x": 1211.4, "y": 0.0, "w": 1209.6, "h": 680.4}
    assert b1["bezel_mm"] == {"top": 0.9, "right": 0.9, "bottom": 0.9, "left": 0.9}


# ---------------------------------------------------------------- rectangles and columns


def test_rect_intersection():
    a = Rect(0, 0, 10, 10)
    assert a.intersect(Rect(5, 5, 10, 10)) == Rect(5, 5, 5, 5)
    assert a.intersect(Rect(10, 0, 5, 5)).empty
    assert not a.intersects(Rect(10, 0, 5, 5))
    assert a.translate(3, 4) == Rect(3, 4, 10, 10)
    assert (a.x1, a.y1) == (10, 10)


@pytest.mark.parametrize(
    "index, letters",
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")],
)
def test_column_letters_and_index_round_trip(index, letters):
    assert column_letters(index) == letters
    assert column_index(letters) == index
    assert column_index(letters.lower()) == index


def test_column_round_trip_over_a_range():
    assert all(column_index(column_letters(i)) == i for i in range(2000))
