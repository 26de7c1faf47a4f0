"""Two-phase scenario switches and transitions, on the real engine (headless, demo wall).

What an operator must never see: a frame half old and half new, or a zone flashing empty. So the
old scenario stays whole on every panel until the frame in which the new one is complete; then
the transition (a function of the frame's time) runs from the old picture to the new one.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import yaml

from wall.config.loader import load_config
from wall.config.schema import TransitionConfig
from wall.runtime import WallRuntime

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    """The demo wall, with one more scenario: monitoring with another title on its top posts, so a
    switch between the two changes one zone and keeps every other. (One wall for the module: each
    runtime makes its own GL context current.)"""
    config = yaml.safe_load(open("config/demo.yaml", encoding="utf-8"))
    other = copy.deepcopy(config["scenarios"]["monitoring"])
    other["title"] = "Everyday monitoring, top posts retitled"
    other["zones"]["posts"]["title"] = "What people say"
    config["scenarios"]["monitoring_b"] = other
    path = tmp_path_factory.mktemp("variant") / "wall.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    runtime = WallRuntime(load_config(path))
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


# ----------------------------------------------------------------- transitions are copies where they can be


def _read(fbo, size) -> np.ndarray:
    w, h = size
    return np.frombuffer(fbo.read(components=4, alignment=1), np.uint8).reshape(h, w, 4).copy()


def _canvas_of(compositor, layers) -> np.ndarray:
    """The canvas a slide shows, built in numpy from the zone pictures: the background, then each
    zone's picture (a strip from its scroll offset) moved `dx` canvas pixels, in drawing order."""
    wall = compositor.wall
    bg = np.array([round(c * 255) for c in compositor.background], np.uint8)
    canvas = np.empty((wall.canvas_h, wall.canvas_w, 4), np.uint8)
    canvas[:] = bg
    for zones, order, dx in layers:
        for zid in order:
            surf = zones.get(zid)
            if surf is None or surf.version == 0:
                continue
            r = surf.zone.rect
            strip = _read(surf.fbo, surf.texture.size)
            cols = (np.arange(r.w) + surf.offset) % surf.period
            picture = strip[:, cols]
            x0, x1 = max(0, r.x + dx), min(wall.canvas_w, r.x + dx + r.w)
            if x0 < x1:
                canvas[r.y : r.y + r.h, x0:x1] = picture[:, x0 - (r.x + dx) : x1 - (r.x + dx)]
    return canvas


def test_a_slide_frame_is_both_walls_copied_at_whole_pixel_offsets(rt):
    settled(rt, "monitoring", T)
    switch_until_commit(rt, "launch", T, transition=TransitionConfig(kind="slide", duration_s=1.0))
    start = rt.engine.transition.start
    c = rt.engine.compositor
    width = rt.loaded.wall.canvas_w
    for seconds in (0.3, 0.5, 0.8):
        rt.settle(start + timedelta(seconds=seconds))
        p = rt.engine.transition.progress(start + timedelta(seconds=seconds))
        dx_old = -round(p * width)
        expected = _canvas_of(c, [(c.old_zones, c.old_order, dx_old), (c.zones, c.order, dx_old + width)])
        for d in rt.loaded.wall.displays:
            vp = d.viewport
            shown = c.read_output(d.id)
            want = expected[vp.y : vp.y + vp.h, vp.x : vp.x + vp.w]
            assert np.array_equal(shown, want), f"display {d.id} at {seconds} s is not the two walls shifted"


@pytest.fixture(params=["cpu", "gl"])
def mixer(rt, request):
    """Both ways a crossfade is mixed: on the CPU (software GL, where a shaded pass is the expensive
    part) and by a blended GL pass (GPUs); the demo wall runs on llvmpipe, so it uses the first."""
    c = rt.engine.compositor
    saved = c.cpu_mix
    c.cpu_mix = request.param == "cpu"
    yield request.param
    c.cpu_mix = saved


def _mixed(rt, p: float) -> tuple[int, int]:
    """Checks that every panel shows the mix at p of the picture the switch left and the new one
    (as composited this frame) where they may differ, and the new one, copied, elsewhere. Returns
    the pixels checked (mixed, copied)."""
    c = rt.engine.compositor
    mixed = copied = 0
    for d in rt.loaded.wall.displays:
        out = c.outputs[d.id]
        new = _read(out.fbo, d.resolution).astype(float)
        old = _read(out.before[1], d.resolution).astype(float)
        shown = c.read_output(d.id).astype(float)
        inside = np.zeros(shown.shape[:2], bool)
        for r in c._changed:
            seen = r.intersect(d.viewport)
            if not seen.empty:
                inside[
                    seen.y - d.viewport.y : seen.y1 - d.viewport.y, seen.x - d.viewport.x : seen.x1 - d.viewport.x
                ] = True
        mix = old * (1 - p) + new * p
        # where the pictures may differ: their mix (blending works in 8 bits: alpha and each channel
        # are rounded, so a channel may be off by one step and a bit)
        if inside.any():
            assert np.abs(shown[inside][:, :3] - mix[inside][:, :3]).max() < 2.0, f"display {d.id}"
        # where both scenarios show the same thing: the new picture, copied
        assert np.array_equal(shown[~inside], new[~inside]), f"display {d.id}"
        mixed += int(inside.sum())
        copied += int((~inside).sum())
    return mixed, copied


def test_a_crossfade_frame_is_the_mix_of_the_two_pictures_and_a_copy_where_they_agree(rt, mixer):
    settled(rt, "monitoring", T)
    switch_until_commit(rt, "monitoring_b", T, transition=TransitionConfig(kind="crossfade", duration_s=1.0))
    posts = rt.loaded.scenarios["monitoring"].layout.zone("posts").rect
    assert rt.engine.compositor._changed == [posts, posts]  # the one zone that changed, on both sides
    start = rt.engine.transition.start
    at = start + timedelta(seconds=0.3)
    rt.settle(at)
    p = rt.engine.transition.progress(at)
    assert 0.1 < p < 0.9
    mixed, copied = _mixed(rt, p)
    shown = sum(posts.intersect(d.viewport).w * posts.intersect(d.viewport).h for d in rt.loaded.wall.displays)
    assert mixed == shown > 100_000  # the posts zone, as the panels show it, is mixed...
    assert copied > 5_000_000  # ...and all the rest is the new picture, copied


def test_a_crossfade_mixes_the_new_picture_as_it_moves(rt, mixer):
    # the crisis wall's ticker runs on during the crossfade: each frame mixes the new picture as it
    # is then (on the CPU, what the compositor redrew is read back again), not as it was at the start
    settled(rt, "monitoring", T)
    switch_until_commit(rt, "crisis", T, transition=TransitionConfig(kind="crossfade", duration_s=1.0))
    start = rt.engine.transition.start
    c = rt.engine.compositor
    first = start + timedelta(seconds=0.3)
    rt.settle(first)
    news = {d: _read(o.fbo, o.display.resolution) for d, o in c.outputs.items()}
    mixed, _ = _mixed(rt, rt.engine.transition.progress(first))
    assert mixed == sum(w * h for w, h in (d.resolution for d in rt.loaded.wall.displays))  # the background changed
    later = start + timedelta(seconds=0.45)
    rt.frame(later)
    moved = sum(int((_read(o.fbo, o.display.resolution) != news[d]).any(axis=2).sum()) for d, o in c.outputs.items())
    assert moved > 10_000, "the new picture moved between the two frames"
    _mixed(rt, rt.engine.transition.progress(later))


def _targets(rt) -> tuple[int, int]:
    outs = rt.engine.compositor.outputs.values()
    return sum(o.before is not None for o in outs), sum(o.post is not None for o in outs)


def test_transition_targets_are_made_while_a_switch_is_prepared_and_given_back_after_it(rt):
    # a still wall holds no transition target (100 MB on the demo wall); a switch with a transition
    # makes them on the frames it is prepared in, so none of the transition's frames allocates
    t = T + timedelta(minutes=5)
    settled(rt, "monitoring", t)
    rt.frame(t + timedelta(seconds=30))  # any transition of an earlier test is long over
    assert _targets(rt) == (0, 0)
    displays = len(rt.engine.compositor.outputs)
    made_before_commit = None
    rt.prepare("crisis", transition=TransitionConfig(kind="crossfade", duration_s=0.6))
    for _ in range(2000):
        t += timedelta(seconds=1 / 30)
        shown = _targets(rt)
        if rt.frame(t).committed:
            made_before_commit = shown
            break
        assert sum(_targets(rt)) >= 1, "the first frame preparing the switch made a target"
    assert made_before_commit is not None
    assert _targets(rt) == (displays, displays)
    c = rt.engine.compositor
    for out in rt.engine.compositor.outputs.values():
        assert out.post[0].size == out.display.resolution
    t += timedelta(seconds=0.3)
    rt.frame(t)  # mid-transition: still held
    assert _targets(rt) == (displays, displays)
    t += timedelta(seconds=0.4)
    rt.frame(t)  # the transition ended on this frame
    assert _targets(rt) == (0, 0)
    assert not c._cpu_ready and not c._mixing  # nor the pictures mixed on the CPU
    # a cut makes none
    rt.prepare("monitoring", transition=TransitionConfig(kind="cut"))
    for _ in range(2000):
        t += timedelta(seconds=1 / 30)
        if rt.frame(t).committed:
            break
        assert _targets(rt) == (0, 0)
    assert rt.engine.plan.name == "monitoring"


def test_a_spotlight_grows_over_a_copy_of_the_picture_it_leaves(rt):
    from wall.render.compositor import _lerp_rect
    from wall.scenes.director import Zoom, spotlight_plan

    settled(rt, "monitoring", T)
    base = rt.loaded.scenarios["monitoring"]
    rect = base.layout.zone("tone").rect
    rt.engine.prepare(spotlight_plan(base, "tone", rt.loaded.wall), TransitionConfig(kind="cut"), Zoom("zoom_in", rect))
    for _ in range(2000):
        if rt.frame(T).committed:
            break
    start = rt.engine.transition.start
    rt.settle(start + timedelta(seconds=0.25))
    c = rt.engine.compositor
    p = rt.engine.transition.progress(start + timedelta(seconds=0.25))
    canvas = type(rect)(0, 0, rt.loaded.wall.canvas_w, rt.loaded.wall.canvas_h)
    grown = _lerp_rect(rect, canvas, p)  # where the spotlit zone is this frame
    for d in rt.loaded.wall.displays:
        shown = c.read_output(d.id)
        before = _read(c.outputs[d.id].before[1], d.resolution)
        outside = np.ones(shown.shape[:2], bool)
        seen = grown.intersect(d.viewport)
        if not seen.empty:
            x, y = seen.x - d.viewport.x, seen.y - d.viewport.y
            outside[y : y + seen.h, x : x + seen.w] = False
        assert np.array_equal(shown[outside], before[outside]), f"display {d.id}"


def _spotlit_part(c, d, big: np.ndarray, grown) -> tuple[tuple[slice, slice], list[np.ndarray]]:
    """Where the spotlit picture `big` covers display d this frame (its rows and columns in the
    display's picture), and, for each of its pixels, the 3 x 3 pixels of `big` around the one a
    nearest sample takes there (whatever a scaler samples lies among them: a nearest one in fixed
    point, to within one pixel; a linear one between two of them)."""
    seen = grown.intersect(d.viewport)
    h, w = big.shape[:2]
    cx, cy = np.arange(seen.x, seen.x1) + 0.5, np.arange(seen.y, seen.y1) + 0.5
    ex = np.floor((cx - grown.x) * w / grown.w).astype(int)
    ey = np.floor((cy - grown.y) * h / grown.h).astype(int)
    near = [big[np.clip(ey + dy, 0, h - 1)][:, np.clip(ex + dx, 0, w - 1)] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    vp = d.viewport
    return (slice(seen.y - vp.y, seen.y1 - vp.y), slice(seen.x - vp.x, seen.x1 - vp.x)), near


def _spotlit_tone(rt, kind: str):
    """Monitoring's tone zone spotlit for 1 s: growing to the whole wall (zoom_in), or shrinking back
    from it (zoom_out, once it has grown); run until committed. The zone's rectangle, the canvas's
    and when the spotlight started."""
    from wall.scenes.director import Zoom, spotlight_plan

    settled(rt, "monitoring", T)
    base = rt.loaded.scenarios["monitoring"]
    rect = base.layout.zone("tone").rect
    spot = TransitionConfig(kind="cut", duration_s=1.0)
    if kind == "zoom_out":  # from the spotlight, back to the scenario
        rt.engine.prepare(spotlight_plan(base, "tone", rt.loaded.wall), spot, Zoom("zoom_in", rect))
        for _ in range(2000):
            if rt.frame(T).committed:
                break
        rt.settle(T + timedelta(seconds=2))
    at = T + timedelta(seconds=5)
    rt.engine.prepare(
        spotlight_plan(base, "tone", rt.loaded.wall) if kind == "zoom_in" else base, spot, Zoom(kind, rect)
    )
    for _ in range(2000):
        if rt.frame(at).committed:
            break
    return rect, type(rect)(0, 0, rt.loaded.wall.canvas_w, rt.loaded.wall.canvas_h), rt.engine.transition.start


@pytest.mark.parametrize("kind", ["zoom_in", "zoom_out"])
def test_a_spotlight_frame_is_the_zone_picture_scaled_over_the_picture_under_it(rt, mixer, kind):
    # zoom in: the spotlit zone's picture (painted at the canvas's size) grows out of its rectangle
    # over a copy of the picture the switch left; zoom out: it shrinks back into it, fading (alpha
    # 1 - p^2), over the scenario it returns to. On software GL Pillow scales it (nearest pixels);
    # elsewhere a linear GL pass does
    from wall.render.compositor import _lerp_rect

    rect, canvas, start = _spotlit_tone(rt, kind)
    c = rt.engine.compositor
    rt.settle(start + timedelta(seconds=0.3))
    p = rt.engine.transition.progress(start + timedelta(seconds=0.3))
    assert 0.1 < p < 0.9
    zone = (c.zones if kind == "zoom_in" else c.old_zones)["tone"]
    big = _read(zone.fbo, zone.texture.size)
    assert big.shape[:2] == (canvas.h, canvas.w)  # painted at the canvas's size, not stretched
    grown = _lerp_rect(rect, canvas, p) if kind == "zoom_in" else _lerp_rect(canvas, rect, p)
    alpha = 1.0 if kind == "zoom_in" else 1.0 - p * p
    covered = 0
    for d in rt.loaded.wall.displays:
        shown = c.read_output(d.id).astype(int)
        under = _read(c.outputs[d.id].before[1] if kind == "zoom_in" else c.outputs[d.id].fbo, d.resolution)
        (rows, cols), near = _spotlit_part(c, d, big, grown)
        outside = np.ones(shown.shape[:2], bool)
        outside[rows, cols] = False
        assert np.array_equal(shown[outside], under[outside]), f"display {d.id}: outside the spotlit picture"
        if not outside.all():
            # (colour only: GL's blending also fades the panel's alpha channel, which no panel shows)
            lo, hi = np.min(near, axis=0)[..., :3], np.max(near, axis=0)[..., :3]
            below = under[rows, cols, :3].astype(float) * (1 - alpha)
            part = shown[rows, cols, :3]
            assert (part >= below + lo * alpha - 2).all() and (part <= below + hi * alpha + 2).all(), d.id
            if mixer == "cpu" and kind == "zoom_in":
                # a copy of the picture's pixels, whole: each one of the pixels around its sample
                part = shown[rows, cols]
                assert np.any([(part == n).all(axis=2) for n in near], axis=0).all(), d.id
            covered += int((~outside).sum())
    assert covered > 1_000_000
    assert (c._spot_source is not None) == (mixer == "cpu")  # read back for the CPU to scale; not for GL
    rt.settle(start + timedelta(seconds=1.5))  # past its end: the memory it held is given back
    assert c._spot_source is None and c._source_ready is None and not c._cpu_ready


def test_a_shrinking_spotlight_fades_over_the_wall_as_it_is_redrawn_under_it(rt, mixer):
    # zoom out: the scenario the spotlight returns to goes on being drawn under the fading picture
    # (on the CPU it is read back once, then where the compositor redrew it): an operator hides a
    # post mid-spotlight, a zone is blanked, and the next frame fades over the blanked zone
    from wall.render.compositor import _lerp_rect

    rect, canvas, start = _spotlit_tone(rt, "zoom_out")
    base = rt.loaded.scenarios["monitoring"]
    c = rt.engine.compositor
    now = start + timedelta(seconds=0.5)
    rt.settle(now)
    p = rt.engine.transition.progress(now)
    alpha = 1.0 - p * p
    grown = _lerp_rect(canvas, rect, p)
    topics = base.layout.zone("topics").rect
    assert grown.intersect(topics) == topics and alpha < 0.8  # the fading picture covers the zone
    unblanked = {d.id: _read(c.outputs[d.id].fbo, d.resolution) for d in rt.loaded.wall.displays}
    c.blank_zone("topics")
    rt.frame(now)
    big = _read(c.old_zones["tone"].fbo, c.old_zones["tone"].texture.size)
    checked = stale = 0
    for d in rt.loaded.wall.displays:
        seen = topics.intersect(d.viewport)
        if seen.empty:
            continue
        rows = slice(seen.y - d.viewport.y, seen.y1 - d.viewport.y)
        cols = slice(seen.x - d.viewport.x, seen.x1 - d.viewport.x)
        under = _read(c.outputs[d.id].fbo, d.resolution)
        assert (under[rows, cols, :3] == np.array(c.background[:3]) * 255).all()  # blanked in the panel
        (prows, pcols), near = _spotlit_part(c, d, big, grown)
        lo, hi = np.min(near, axis=0)[..., :3] * alpha, np.max(near, axis=0)[..., :3] * alpha
        shown = c.read_output(d.id)[prows, pcols, :3].astype(int)

        def faded_over(picture: np.ndarray, shown=shown, prows=prows, pcols=pcols, lo=lo, hi=hi) -> np.ndarray:
            below = picture[prows, pcols, :3].astype(float) * (1 - alpha)
            return ((shown >= below + lo - 2) & (shown <= below + hi + 2)).all(axis=2)

        assert faded_over(under).all(), f"display {d.id}: not faded over the panel's picture as it is now"
        checked += 1
        stale += int((~faded_over(unblanked[d.id])).sum())  # what the picture before the blank would fail
    assert checked and stale > 10_000


def test_zones_kept_only_in_their_panels_picture_change_no_pixel_of_the_wall(rt):
    # on a still wall, each zone inside one panel gives its texture back (its panel's picture holds
    # it): the same frames, switches and transitions show exactly what they show with every zone
    # keeping its texture, and the still demo wall holds little more than its panels' pictures
    c = rt.engine.compositor
    shots: dict[bool, list[dict[str, np.ndarray]]] = {}
    for settles in (True, False):
        c._settles = settles
        try:
            t = T + timedelta(minutes=40)
            frames = [settled(rt, "monitoring", t)]
            held = [zid for zid, s in c.zones.items() if s.holders]
            if settles:
                assert len(held) >= 12, held  # every zone but the ticker (a strip) and the panels' shared edges
                textures = sum(s.texture.width * s.texture.height * 4 for s in c.zones.values() if s._texture)
                assert textures < 10 * 2**20  # of 52 MB with every texture kept
            else:
                assert not held
            # (crisis's alert banner spans three panels: sliding out, what their bezels hid shows)
            steps = (("crisis", "slide"), ("launch", "slide"), ("monitoring", "crossfade"), ("launch", "wipe"))
            for scenario, kind in steps:
                switch_until_commit(rt, scenario, t, transition=TransitionConfig(kind=kind, duration_s=1.0))
                start = rt.engine.transition.start
                rt.settle(start + timedelta(seconds=0.4))  # mid-transition
                frames.append(outputs(rt))
                if settles:
                    # a slide draws the zones it leaves, so they got textures back; a crossfade and
                    # a wipe draw the picture captured at the commit, so theirs were never remade
                    leaving = [s for s in c.old_zones.values() if all(s is not n for n in c.zones.values())]
                    in_panels = [s for s in leaving if s._texture is None]
                    assert len(leaving) >= 5
                    if kind == "slide":
                        assert not in_panels, [s.zone.id for s in in_panels]
                    else:
                        assert len(in_panels) >= 4 and all(s.holders for s in in_panels), [
                            (s.zone.id, s.holders) for s in leaving
                        ]
                t = start + timedelta(seconds=2)
                rt.settle(t)  # after it: still again
                frames.append(outputs(rt))
                if scenario == "crisis":
                    alert = c.zones["alert"]
                    assert (len(alert.holders) == 3 and alert._texture is None) == settles, alert.holders
            shots[settles] = frames
        finally:
            c._settles = True
    for n, (kept, textured) in enumerate(zip(shots[True], shots[False], strict=True)):
        for d in kept:
            assert np.array_equal(kept[d], textured[d]), f"frame {n}, display {d}"


def test_a_switch_shows_in_the_frame_its_last_paint_arrives(rt):
    # uploads are spread over frames by a budget while a switch is painted; the frame in which its
    # last paint arrives uploads the rest and shows it (not a few frames later at the budget's pace)
    settled(rt, "monitoring", T)
    for scenario in ("crisis", "launch", "monitoring"):
        frames, _ = switch_until_commit(rt, scenario, T, transition=TransitionConfig(kind="cut"))
        assert frames >= 1
        assert rt.engine.last_switch["frames_after_painted"] == 0, rt.engine.last_switch


def test_targets_given_back_and_made_again_leave_no_gl_error(rt):
    ctx = rt.engine.compositor.ctx
    t = T + timedelta(minutes=20)
    settled(rt, "monitoring", t)
    for name in ("crisis", "monitoring"):
        rt.prepare(name, transition=TransitionConfig(kind="slide", duration_s=0.2))
        for _ in range(2000):
            t += timedelta(seconds=1 / 30)
            if rt.frame(t).committed:
                break
        for _ in range(10):  # through the transition and past its end: its targets are given back
            t += timedelta(seconds=1 / 30)
            rt.frame(t)
        assert ctx.error == "GL_NO_ERROR"
