"""The per-frame engine, fed by the scenes stage as the runtime wires them: repaint only on change,
never wait for paints, budgeted uploads, and a failing widget confined to its zone."""

import glob
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from wall.config.loader import load_config
from wall.render.paint_pool import SHARED_DIR, PaintJob, PaintPool
from wall.runtime import WallRuntime

T0 = datetime(2026, 11, 23, 8, 30, 0, 250000, tzinfo=UTC)


@pytest.fixture(scope="module")
def pool():
    p = PaintPool(workers=1)
    yield p
    p.close()


@pytest.fixture()
def rt():
    runtime = WallRuntime(load_config("tests/configs/basic.yaml"), workers=1)
    assert runtime.ctx.error == "GL_NO_ERROR"
    runtime.use_scenario("monitoring")
    yield runtime
    assert runtime.ctx.error == "GL_NO_ERROR"
    runtime.close()


def _drain(rt, t, frames=400):
    for _ in range(frames):
        report = rt.frame(t)
        if report.in_flight == 0 and report.waiting == 0 and report.uploads == 0:
            return
        time.sleep(0.01)
    raise AssertionError("paints never arrived")


def test_first_frame_does_not_wait_for_paints(rt):
    report = rt.frame(T0)
    assert report.painted == 8  # every zone of the monitoring layout is sent to the workers
    assert report.in_flight > 0  # ...and the frame returned before they were painted
    _drain(rt, T0)
    assert all(rt.engine.compositor.has_content(z) for z in rt.engine.plan.bindings)


def test_only_changed_views_are_repainted(rt):
    rt.settle(T0)
    assert rt.frame(T0 + timedelta(milliseconds=300)).painted == 0  # same second: nothing
    report = rt.frame(T0 + timedelta(seconds=1))
    # only the clock showing seconds changes; the world clock shows minutes
    assert report.painted == 1
    assert rt.views["clock"][1].entries[0].time == "09:30:01"


def test_upload_budget_spreads_a_burst_over_frames(rt):
    rt.engine.upload_budget = 1  # smaller than any zone: one upload per frame, never zero
    rt.frame(T0)
    rt.pool.wait()
    uploads = [rt.frame(T0).uploads for _ in range(10)]
    assert uploads[:8] == [1] * 8
    assert sum(uploads) == 8


def test_a_failing_widget_shows_its_error_card_and_the_rest_of_the_wall_renders(rt, monkeypatch):
    from wall.widgets import text

    def broken(options, ctx):
        if ctx.zone_id == "hours":
            raise RuntimeError("boom")
        return original(options, ctx)

    original = text.build
    monkeypatch.setattr(text, "build", broken)
    rt.settle(T0)
    hours = rt.loaded.scenarios["monitoring"].layout.zone("hours").rect
    b1 = rt.engine.compositor.read_output("B1")  # 'hours' sits on display B1
    region = b1[hours.y : hours.y1, hours.x - 1923 : hours.x1 - 1923]
    amber = np.all(region[:, :, :3] == (0xF2, 0xA9, 0x00), axis=2)
    assert amber.sum() > 1000  # the error card's stripe
    assert "boom" in rt.views["hours"][1].message
    a1 = rt.engine.compositor.read_output("A1")
    assert len(np.unique(a1.reshape(-1, 4), axis=0)) > 20  # other zones painted normally


def test_a_painter_crash_in_a_worker_becomes_an_error_card(pool):
    view = {"any": "picklable view"}  # reaches the worker, which has no painter for it
    pool.submit(PaintJob("z", "no-such-widget", view, 64, 32, 1, 1))
    pool.wait()
    (result,) = pool.collect()
    try:
        assert result.error and "no-such-widget" in result.error
        assert result.pixels.shape == (32, 64, 4)
    finally:
        result.release()


def test_a_gl_failure_in_one_zone_shows_its_error_card_and_the_loop_goes_on(rt, monkeypatch):
    import moderngl

    comp = rt.engine.compositor
    real_upload = comp.upload
    failures = []

    def upload(zone_id, pixels, strip=False, pending=False, turn=0):
        if zone_id == "hours" and not failures:
            failures.append(zone_id)
            raise moderngl.Error("GL_OUT_OF_MEMORY")
        return real_upload(zone_id, pixels, strip, pending, turn)

    monkeypatch.setattr(comp, "upload", upload)
    rt.settle(T0)  # the failing upload happens here; the error card is painted for the next frames
    _drain(rt, T0 + timedelta(milliseconds=100))
    assert failures == ["hours"]
    assert "GL_OUT_OF_MEMORY" in rt.engine.errors["hours"]
    hours = rt.loaded.scenarios["monitoring"].layout.zone("hours").rect
    b1 = comp.read_output("B1")
    region = b1[hours.y : hours.y1, hours.x - 1923 : hours.x1 - 1923]
    amber = np.all(region[:, :, :3] == (0xF2, 0xA9, 0x00), axis=2)
    assert amber.sum() > 1000  # the error card's stripe, where the zone's text would be
    # the same content is not retried every frame (that would repaint and fail 30 times a second)...
    assert rt.frame(T0 + timedelta(milliseconds=200)).painted == 0
    # ...and the rest of the wall renders normally
    a1 = comp.read_output("A1")
    assert len(np.unique(a1.reshape(-1, 4), axis=0)) > 20


class _EndsTheWorker:
    """A view whose unpickling ends the worker process at once: what the kernel's OOM killer or a
    crash in a native library does to a worker in the middle of a job."""

    def __reduce__(self):
        import os

        return (os._exit, (3,))


def test_a_worker_that_dies_costs_its_job_an_error_card_and_the_next_job_gets_a_new_worker():
    from wall.widgets.text import TextView

    pool = PaintPool(workers=1)
    pool.start()
    slot = pool._slots[0]
    pids = [slot.proc.pid]
    try:
        pool.submit(PaintJob("z", "text", _EndsTheWorker(), 160, 90, 1, 1))
        pool.wait(120)
        (lost,) = pool.collect()
        assert lost.error == "paint worker failed (exited with 3): EOFError"
        assert lost.pixels.shape == (90, 160, 4)  # the zone shows an error card, not a hole
        assert slot.started == 1 and slot.proc is None
        # the wall paints on: the next job starts another worker, which paints it
        view = TextView("Back in a moment", "center", "#ffffff", "#203040", "#000000", "Noto Sans", True, 60, 8)
        pool.submit(PaintJob("z", "text", view, 160, 90, 2, 1))
        pool.wait(120)
        (painted,) = pool.collect()
        try:
            assert painted.error is None and painted.pixels.shape == (90, 160, 4)
            assert len(np.unique(painted.pixels.reshape(-1, 4), axis=0)) > 10  # antialiased text on the surface
            assert slot.started == 2 and slot.proc.poll() is None
            pids.append(slot.proc.pid)
        finally:
            painted.release()
    finally:
        pool.close()
    assert all(slot.proc.poll() is not None for slot in pool._slots)  # closing ended the workers
    # and no picture was left in shared memory
    assert not [p for pid in pids for p in glob.glob(f"{SHARED_DIR}/wall-paint-{pid}-*")]


class _NeverReturns:
    """A view whose unpickling blocks the worker for a long time: a painter stuck in a loop."""

    def __reduce__(self):
        import time

        return (time.sleep, (600,))


def test_a_job_that_never_finishes_is_stopped_and_the_wall_paints_on():
    from wall.widgets.text import TextView

    pool = PaintPool(workers=1, job_timeout_s=3)
    try:
        pool.submit(PaintJob("stuck", "text", _NeverReturns(), 160, 90, 1, 1))
        pool.wait(120)
        (stuck,) = pool.collect()
        assert stuck.error == "paint worker failed (no picture in 3 s, stopped)"
        assert stuck.pixels.shape == (90, 160, 4)  # an error card
        # the next job gets a new worker (given all the time a slow machine may need to start it)
        pool.job_timeout_s = 300
        view = TextView("Back in a moment", "center", "#ffffff", "#203040", "#000000", "Noto Sans", True, 60, 8)
        pool.submit(PaintJob("next", "text", view, 160, 90, 2, 1))
        pool.wait(300)
        (painted,) = pool.collect()
        try:
            assert painted.error is None and len(np.unique(painted.pixels.reshape(-1, 4), axis=0)) > 10
            assert pool._slots[0].started == 2  # the stuck worker was replaced
        finally:
            painted.release()
    finally:
        pool.close()


class _ArmsTheWorker:
    """A view whose unpickling arms its worker to die on its next paint, as it hands the picture over:
    the worker dies on the zone's own view, which the engine then has no reason to send again."""

    def __reduce__(self):
        arm = (
            "(lambda c, hand: setattr(c, 'remove_all_but', lambda self, keep: __import__('os')._exit(3)"
            " if getattr(c, '_armed', False) else (setattr(c, '_armed', True), hand(self, keep))[1]))"
            "(__import__('wall.render.paint_pool', fromlist=['_SharedRasters'])._SharedRasters,"
            " __import__('wall.render.paint_pool', fromlist=['_SharedRasters'])._SharedRasters.remove_all_but)"
        )
        return (eval, (arm,))


def test_a_zone_whose_worker_died_on_it_is_painted_again_by_the_next_worker(rt):
    # the OOM killer takes the worker while it paints a zone whose content then stays the same (a
    # logo, a KPI at night): the zone must not keep its error card until the content changes
    rt.settle(T0)
    settled = {d: rt.engine.compositor.read_output(d).copy() for d in rt.engine.compositor.outputs}
    scene, zone = rt.engine.scene, "clock"
    rt.engine._seq += 1
    rt.engine.pool.submit(PaintJob("no-such-zone", "text", _ArmsTheWorker(), 8, 8, rt.engine._seq, scene.generation))
    rt.engine.pool.wait(120)
    del scene.requested[zone]  # the clock's own view is sent again: the armed worker dies on it
    lost_view = rt.views[zone][1]
    for _ in range(400):
        rt.frame(T0)
        if zone in scene.retried:
            break
        time.sleep(0.01)
    assert scene.retried[zone] == lost_view  # its paint was lost with the worker, and sent again
    _drain(rt, T0)
    assert zone not in rt.engine.errors  # painted by the next worker...
    for d, picture in settled.items():  # ...as it was before the worker died
        assert np.array_equal(rt.engine.compositor.read_output(d), picture), d


def test_a_workers_picture_is_handed_over_in_the_memory_it_was_painted_in_and_nothing_else_is_left(monkeypatch):
    """A worker paints straight into the shared file it hands over (no copy, no picture-sized block
    in its heap); a picture it had to turn is copied, and the raster it painted in is removed."""
    import os

    from wall.render import paint_pool
    from wall.render.paint_pool import _worker_paint, paint_view, take_shared
    from wall.widgets.text import TextView

    copies = []
    share = paint_pool.share
    monkeypatch.setattr(paint_pool, "share", lambda pixels: copies.append(pixels.shape) or share(pixels))

    view = TextView("Gate 4 · boarding", "center", "#ffffff", "#203040", "#000000", "Noto Sans", True, 60, 8)
    mine = f"{SHARED_DIR}/wall-paint-{os.getpid()}-*"
    before = set(glob.glob(mine))
    for turn in (0, 1):
        expected, error, _ = paint_view("text", view, 160, 90, (), turn)
        assert error is None
        name, shape, error, _ = _worker_paint("text", view, 160, 90, (), turn)
        assert error is None and shape == expected.shape == ((90, 160, 4) if turn == 0 else (160, 90, 4))
        assert set(glob.glob(mine)) - before == {name}  # the picture's file, and no scratch raster
        assert copies == ([] if turn == 0 else [(160, 90, 4)])  # copied only where it was turned
        pixels, mm = take_shared(name, shape)
        try:
            assert np.array_equal(pixels, expected)  # the same picture, pixel for pixel
            assert len(np.unique(pixels.reshape(-1, 4), axis=0)) > 10  # text was drawn, not a blank
        finally:
            del pixels
            mm.close()
        assert set(glob.glob(mine)) == before

    def full(pixels):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(paint_pool, "share", full)  # the copy of a turned picture finds /dev/shm full
    with pytest.raises(OSError, match="No space"):
        _worker_paint("text", view, 160, 90, (), 1)
    assert set(glob.glob(mine)) == before  # the raster it painted in is gone too


def test_a_wall_starting_removes_the_pictures_its_killed_predecessors_workers_left_in_shared_memory():
    """A wall killed with -9 takes its workers with it, and nobody removes a picture a worker had
    written but not handed over: the next wall to start does, and leaves a running wall's alone."""
    import os
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = f"{SHARED_DIR}/wall-paint-{gone.pid}-16"
    running = f"{SHARED_DIR}/wall-paint-{os.getpid()}-orphan-test"  # a worker that still runs
    for path in (orphan, running):
        with open(path, "wb") as f:
            f.write(b"\0" * 4096)
    pool = PaintPool(workers=1)
    try:
        pool.start()
        assert not os.path.exists(orphan)
        assert os.path.exists(running)
    finally:
        pool.close()
        for path in (orphan, running):
            if os.path.exists(path):
                os.unlink(path)
