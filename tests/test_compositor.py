"""Compositor: zone textures -> per-display framebuffers, read back pixel for pixel.

Small walls (64x32 px panels at 1 mm/px, 1.5 mm bezels: 3 canvas pixels hidden per seam) keep
these exact and fast. Zone contents are random pixels, so any shift, flip or stray copy shows.
"""

from __future__ import annotations

import numpy as np
import pytest

from wall.geometry import Bezels, DisplaySpec, Rect, build_wall, expand_grid
from wall.layout import Zone
from wall.render import compositor
from wall.render.compositor import Compositor
from wall.render.snapshot import to_native

BACKGROUND = (11, 16, 32, 255)
BEZEL = Bezels(1.5, 1.5, 1.5, 1.5)
PANEL = ((64, 32), (64.0, 32.0))  # resolution, active mm: 1 mm per pixel


def two_panels():
    """A1 | B1 side by side; B1 starts at canvas x = 64 + 3."""
    return build_wall(expand_grid(2, 1, PANEL[0], PANEL[1], BEZEL), grid=(2, 1))


def landscape_and_rotated(rotation: int):
    """A1 landscape, then B1 the same panel turned `rotation` degrees, right of it, tops aligned."""
    specs = [
        DisplaySpec("A1", PANEL[0], PANEL[1], BEZEL, (0.0, 0.0)),
        DisplaySpec("B1", PANEL[0], PANEL[1], BEZEL, (67.0, 0.0), rotation=rotation),
    ]
    return build_wall(specs)


def random_rgba(rng, w: int, h: int) -> np.ndarray:
    px = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    px[:, :, 3] = 255
    return px


def canvas_of(wall, zones_pixels: list[tuple[Zone, np.ndarray]]) -> np.ndarray:
    """What the canvas should show: background, then each zone's pixels in z order."""
    canvas = np.empty((wall.canvas_h, wall.canvas_w, 4), np.uint8)
    canvas[...] = BACKGROUND
    for zone, px in sorted(zones_pixels, key=lambda zp: zp[0].z):
        r = zone.rect
        canvas[r.y : r.y1, r.x : r.x1] = px
    return canvas


def expected_output(wall, display_id: str, canvas: np.ndarray) -> np.ndarray:
    d = wall.display(display_id)
    vp = d.viewport
    return to_native(d, canvas[vp.y : vp.y1, vp.x : vp.x1])


@pytest.fixture
def make_compositor(gl_ctx):
    made = []

    def make(wall, zones):
        comp = Compositor(gl_ctx, wall, BACKGROUND)
        comp.set_zones(zones)
        made.append(comp)
        return comp

    yield make
    for comp in made:
        comp.release()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_wall_fixture_geometry():
    wall = two_panels()
    assert wall.display("B1").viewport == Rect(67, 0, 64, 32)
    assert (wall.canvas_w, wall.canvas_h) == (131, 32)


def test_zone_across_a_seam_lands_on_both_displays_minus_hidden_pixels(make_compositor, rng):
    wall = two_panels()
    zone = Zone("z", Rect(10, 4, 100, 20), 0)
    comp = make_compositor(wall, [zone])
    px = random_rgba(rng, 100, 20)
    assert comp.upload("z", px) == px.nbytes
    stats = comp.compose()
    # first frame: both outputs cleared, then the zone's visible pixels
    assert stats.pixels == 2 * 64 * 32 + 100 * 20 - wall.hidden_px(zone.rect)
    assert wall.hidden_px(zone.rect) == 3 * 20

    a1, b1 = comp.read_output("A1"), comp.read_output("B1")
    assert np.array_equal(a1[4:24, 10:64], px[:, 0:54])  # canvas 10..63 on A1
    assert np.array_equal(b1[4:24, 0:43], px[:, 57:100])  # canvas 67..109 on B1; 64..66 hidden
    # everything else stays background
    for out, (x0, x1) in ((a1, (10, 64)), (b1, (0, 43))):
        mask = np.ones(out.shape[:2], bool)
        mask[4:24, x0:x1] = False
        assert (out[mask] == BACKGROUND).all()
    canvas = canvas_of(wall, [(zone, px)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d


def test_compose_without_uploads_rewrites_nothing(make_compositor, rng):
    wall = two_panels()
    zone = Zone("z", Rect(10, 4, 100, 20), 0)
    comp = make_compositor(wall, [zone])
    comp.upload("z", random_rgba(rng, 100, 20))
    comp.compose()
    before = {d: comp.read_output(d).copy() for d in ("A1", "B1")}
    stats = comp.compose()
    assert (stats.pixels, stats.blits, stats.quads) == (0, 0, 0)
    for d, px in before.items():
        assert np.array_equal(comp.read_output(d), px)


def test_one_upload_rewrites_only_that_zone(make_compositor, rng):
    wall = two_panels()
    left = Zone("left", Rect(0, 0, 40, 32), 0)
    span = Zone("span", Rect(40, 0, 91, 32), 1)  # from mid-A1 to the right edge of B1
    comp = make_compositor(wall, [left, span])
    lpx, spx = random_rgba(rng, 40, 32), random_rgba(rng, 91, 32)
    comp.upload("left", lpx)
    comp.upload("span", spx)
    comp.compose()

    lpx2 = random_rgba(rng, 40, 32)
    comp.upload("left", lpx2)
    stats = comp.compose()
    assert stats.pixels == 40 * 32
    canvas = canvas_of(wall, [(left, lpx2), (span, spx)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d

    spx2 = random_rgba(rng, 91, 32)
    comp.upload("span", spx2)
    stats = comp.compose()
    assert stats.pixels == 91 * 32 - wall.hidden_px(span.rect)  # both displays, less the seam
    canvas = canvas_of(wall, [(left, lpx2), (span, spx2)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d


def test_overlapping_zones_follow_z_order(make_compositor, rng):
    wall = two_panels()
    lower = Zone("lower", Rect(0, 0, 131, 32), 0)
    upper = Zone("upper", Rect(50, 8, 30, 10), 1)  # straddles the A1|B1 seam
    comp = make_compositor(wall, [upper, lower])  # list order must not matter, z does
    upx = random_rgba(rng, 30, 10)
    comp.upload("upper", upx)  # the upper zone arrives first ...
    comp.compose()
    lpx = random_rgba(rng, 131, 32)
    comp.upload("lower", lpx)  # ... and the lower one must not cover it
    comp.compose()
    canvas = canvas_of(wall, [(lower, lpx), (upper, upx)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d

    # new content under the upper zone: the upper zone is redrawn over it where they overlap
    lpx2 = random_rgba(rng, 131, 32)
    comp.upload("lower", lpx2)
    stats = comp.compose()
    overlap = upper.rect.w * upper.rect.h - wall.hidden_px(upper.rect)
    assert stats.pixels == 131 * 32 - wall.hidden_px(lower.rect) + overlap
    canvas = canvas_of(wall, [(lower, lpx2), (upper, upx)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_display_receives_rotated_pixels(make_compositor, rng, rotation):
    wall = landscape_and_rotated(rotation)
    b1 = wall.display("B1")
    assert b1.viewport.x == 67
    full = Zone("full", wall.canvas, 0)
    comp = make_compositor(wall, [full])
    px = random_rgba(rng, wall.canvas_w, wall.canvas_h)
    comp.upload("full", px)
    comp.compose()
    out = comp.read_output("B1")
    assert out.shape == (32, 64, 4)  # native orientation, whatever the mounting
    canvas = canvas_of(wall, [(full, px)])
    vp = b1.viewport
    assert np.array_equal(out, to_native(b1, canvas[vp.y : vp.y1, vp.x : vp.x1]))
    assert np.array_equal(comp.read_output("A1"), expected_output(wall, "A1", canvas))


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_display_dirty_rectangles_and_z_order(make_compositor, rng, rotation):
    wall = landscape_and_rotated(rotation)
    vp = wall.display("B1").viewport  # 32 x 64 on the canvas
    lower = Zone("lower", wall.canvas, 0)
    upper = Zone("upper", Rect(vp.x + 5, 10, 12, 20), 1)  # only on the rotated display
    comp = make_compositor(wall, [lower, upper])
    lpx = random_rgba(rng, wall.canvas_w, wall.canvas_h)
    upx = random_rgba(rng, 12, 20)
    comp.upload("lower", lpx)
    comp.upload("upper", upx)
    comp.compose()
    assert comp.compose().pixels == 0

    upx2 = random_rgba(rng, 12, 20)
    comp.upload("upper", upx2)
    stats = comp.compose()
    assert stats.pixels == 12 * 20
    canvas = canvas_of(wall, [(lower, lpx), (upper, upx2)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d

    lpx2 = random_rgba(rng, wall.canvas_w, wall.canvas_h)
    comp.upload("lower", lpx2)
    comp.compose()
    canvas = canvas_of(wall, [(lower, lpx2), (upper, upx2)])
    for d in ("A1", "B1"):
        assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d


def test_upload_of_wrong_size_or_unknown_zone_is_ignored(make_compositor, rng):
    wall = two_panels()
    comp = make_compositor(wall, [Zone("z", Rect(0, 0, 10, 10), 0)])
    assert comp.upload("z", random_rgba(rng, 11, 10)) == 0  # painted for an older size
    assert comp.upload("gone", random_rgba(rng, 10, 10)) == 0  # left the layout
    assert not comp.has_content("z")
    comp.compose()
    assert (comp.read_output("A1") == BACKGROUND).all()


def test_release_leaves_the_context_usable(gl_ctx, rng):
    # regression: after a release, moderngl rebound a deleted output framebuffer whenever the
    # context created its next framebuffer (GL_INVALID_OPERATION)
    wall = two_panels()
    comp = Compositor(gl_ctx, wall, BACKGROUND)
    comp.set_zones([Zone("z", Rect(10, 4, 100, 20), 0)])
    comp.upload("z", random_rgba(rng, 100, 20))
    comp.compose()
    comp.release()
    assert gl_ctx.error == "GL_NO_ERROR"
    tex = gl_ctx.texture((8, 8), 4)
    fbo = gl_ctx.framebuffer([tex])
    assert gl_ctx.error == "GL_NO_ERROR"
    fbo.release()
    tex.release()


def test_the_cpu_mix_is_gl_blending_in_8_bits_over_any_rows():
    # the crossfade's mix on software GL (wall/render/cpu_mix.py), in row bands split over threads
    from wall.render.cpu_mix import MixPool, mix_rows

    rng = np.random.default_rng(7)
    before = rng.integers(0, 256, (203, 37, 4), dtype=np.uint8)  # rows not a multiple of a band
    after = rng.integers(0, 256, (203, 37, 4), dtype=np.uint8)
    for k in (0, 1, 77, 128, 255, 256):
        out = np.zeros_like(before)
        mix_rows(before, after, out, k, slice(0, 203))
        want = (before.astype(int) * (256 - k) + after.astype(int) * k) // 256
        assert np.array_equal(out, want), k
    assert np.array_equal(out, after)  # k = 256: the new picture exactly
    pool = MixPool(workers=2)
    try:
        outs = [np.zeros_like(before) for _ in range(3)]
        for pieces in pool.mix([(before, after, o) for o in outs], 77):
            for piece in pieces:
                piece.result()
        want = (before.astype(int) * 179 + after.astype(int) * 77) // 256
        assert all(np.array_equal(o, want) for o in outs)
    finally:
        pool.close()


def test_the_cpu_scaler_takes_the_nearest_pixel_of_the_picture_for_every_pixel():
    # a spotlight's scaling on software GL (wall/render/cpu_scale.py): each pixel of the result is
    # the picture's pixel under its centre, to within one pixel (Pillow works in fixed point); the
    # picture's pixels encode where they are, so the test reads back which one each result took
    from wall.render import cpu_scale

    assert cpu_scale.available()
    h, w = 700, 1900
    ys, xs = np.mgrid[0:h, 0:w]
    big = np.zeros((h, w, 4), np.uint8)
    big[..., 0], big[..., 1], big[..., 2], big[..., 3] = xs & 255, xs >> 8, ys & 255, ys >> 8
    source = cpu_scale.picture(big)
    rng = np.random.default_rng(3)
    exact = total = 0
    for _ in range(12):
        out_w, out_h = int(rng.integers(1, 900)), int(rng.integers(1, 500))
        sx, sy = float(rng.uniform(0.3, 2.0)), float(rng.uniform(0.3, 2.0))  # shrunk and grown
        x0, y0 = float(rng.uniform(0, w - out_w * sx)), float(rng.uniform(0, h - out_h * sy))
        out = np.zeros((out_h, out_w, 4), np.uint8)
        cpu_scale.scale_into(source, out, x0, y0, sx, sy)
        got_x = out[..., 0].astype(int) + (out[..., 1].astype(int) << 8)
        got_y = out[..., 2].astype(int) + (out[..., 3].astype(int) << 8)
        want_x = np.floor(x0 + (np.arange(out_w) + 0.5) * sx).astype(int)[None, :]
        want_y = np.floor(y0 + (np.arange(out_h) + 0.5) * sy).astype(int)[:, None]
        assert np.abs(got_x - want_x).max() <= 1 and np.abs(got_y - want_y).max() <= 1
        exact += int(((got_x == want_x) & (got_y == want_y)).sum())
        total += out_w * out_h
    assert exact / total > 0.98  # off by one only where a centre falls within rounding of an edge


def test_a_still_zone_across_panels_keeps_its_pixels_in_them_and_what_the_bezels_hide_aside(
    make_compositor, rng, monkeypatch
):
    # a zone across four panels (a crisis banner across a wall) gives its texture back once drawn:
    # each panel's picture holds its part, and the canvas behind the bezels (which a slide shows)
    # is kept in small textures; copied back, the zone's picture is the one uploaded, pixel for pixel
    wall = build_wall(expand_grid(2, 2, PANEL[0], PANEL[1], BEZEL), grid=(2, 2))
    across = Zone("across", Rect(40, 20, 60, 30), 0)  # x 64..67 and y 32..35 are behind bezels
    corner = Zone("corner", Rect(2, 2, 20, 10), 1)
    comp = make_compositor(wall, [across, corner])
    pixels = {"across": random_rgba(rng, 60, 30), "corner": random_rgba(rng, 20, 10)}
    for zid, px in pixels.items():
        comp.upload(zid, px)

    def shows_all():
        canvas = canvas_of(wall, [(across, pixels["across"]), (corner, pixels["corner"])])
        for d in wall.displays:
            assert np.array_equal(comp.read_output(d.id), expected_output(wall, d.id, canvas)), d.id

    comp.compose()
    shows_all()
    surf = comp.zones["across"]
    assert surf._texture is None and set(surf.holders) == {d.id for d in wall.displays}
    # the seam in the top row, the one across the wall, the seam in the bottom row
    assert [r for r, _, _ in surf.hidden] == [Rect(64, 20, 3, 12), Rect(40, 32, 60, 3), Rect(64, 35, 3, 15)]

    pixels["across"] = random_rgba(rng, 60, 30)
    # into the four pictures, and the hidden parts, a few rows at a time (as a banner's 1080p parts go)
    monkeypatch.setattr(compositor, "_PART_BAND_BYTES", 5 * 24 * 4)
    comp.upload("across", pixels["across"])
    stats = comp.compose()
    assert stats.pixels == 60 * 30 - (3 * 12 + 60 * 3 + 3 * 15)  # what the panels show of it
    shows_all()
    assert surf._texture is None

    comp.blank_zone("across")  # cleared at once, on every panel and behind the bezels
    comp.compose()
    pixels_blank = {**pixels, "across": np.broadcast_to(np.array(BACKGROUND, np.uint8), (30, 60, 4))}
    canvas = canvas_of(wall, [(across, pixels_blank["across"]), (corner, pixels["corner"])])
    for d in wall.displays:
        assert np.array_equal(comp.read_output(d.id), expected_output(wall, d.id, canvas)), d.id
    comp.upload("across", pixels["across"])
    comp.compose()
    shows_all()

    # a switch with a transition copies it back into a texture: every pixel, the hidden ones too
    comp.begin_pending([corner])
    assert comp.ready_zones(None, "slide")
    assert surf.holders == () and surf.hidden == []
    back = np.frombuffer(surf.texture.read(alignment=1), np.uint8).reshape(30, 60, 4)
    assert np.array_equal(back, pixels["across"])


def test_a_still_zone_keeps_its_pixels_once_in_its_panels_picture(make_compositor, rng):
    # a zone inside one panel that nothing overlaps gives its texture back once drawn (the panel's
    # picture holds it pixel for pixel); its next pictures go straight into the panel's picture,
    # and a switch that keeps it copies it back into a texture before the panel is drawn again
    wall = two_panels()
    alone = Zone("alone", Rect(2, 2, 30, 20), 0)
    span = Zone("span", Rect(40, 0, 91, 32), 1)  # across both panels, overlapped: keeps its texture
    under, over = Zone("under", Rect(70, 2, 40, 20), 2), Zone("over", Rect(90, 10, 30, 20), 3)  # overlapping
    zones = [alone, span, under, over]
    comp = make_compositor(wall, zones)
    pixels = {z.id: random_rgba(rng, z.rect.w, z.rect.h) for z in zones}
    for z in zones:
        comp.upload(z.id, pixels[z.id])

    def shows_all():
        canvas = canvas_of(wall, [(z, pixels[z.id]) for z in zones])
        for d in ("A1", "B1"):
            assert np.array_equal(comp.read_output(d), expected_output(wall, d, canvas)), d

    comp.compose()
    shows_all()
    held = {zid for zid, s in comp.zones.items() if s.holders}
    assert held == {"alone"} and comp.zones["alone"]._texture is None
    assert all(comp.zones[z]._texture is not None for z in ("span", "under", "over"))

    pixels["alone"] = random_rgba(rng, 30, 20)
    comp.upload("alone", pixels["alone"])  # into A1's picture, reported as what changed there
    stats = comp.compose()
    assert stats.pixels == 30 * 20 and comp.outputs["A1"].damage == [(2, 2, 30, 20)]
    shows_all()
    assert comp.zones["alone"]._texture is None

    comp.blank_zone("alone")  # an operator hid what it showed: cleared at once, in the panel
    comp.compose()
    assert (comp.read_output("A1")[2:22, 2:32] == BACKGROUND).all()
    comp.upload("alone", pixels["alone"])
    comp.compose()
    shows_all()

    comp.set_zones(zones)  # the same layout installed again: every panel drawn again, nothing lost
    comp.compose()
    shows_all()
    comp.set_zones(zones)  # ...even with a new picture uploaded before the panel is drawn again
    pixels["alone"] = random_rgba(rng, 30, 20)
    comp.upload("alone", pixels["alone"])
    comp.compose()
    shows_all()

    # a switch that carries the zone over: a texture again while prepared, then the new layout
    moved = Zone("moved", Rect(70, 2, 20, 20), 0)
    comp.begin_pending([alone, moved], reuse={"alone"})
    assert comp.ready_zones(None, "cut")
    assert comp.zones["alone"].holders == () and comp.zones["alone"]._texture is not None
    comp.upload("moved", random_rgba(rng, 20, 20), pending=True)
    comp.commit_pending(None)
    comp.compose()
    assert np.array_equal(comp.read_output("A1")[2:22, 2:32, :], pixels["alone"])
    assert comp.zones["alone"].holders == ("A1",)  # (the wall is still again)
