"""The frame loop: frames at t0 + n/fps, dropped-frame accounting, injectable clock."""

from datetime import UTC, datetime, timedelta

from wall.render.frame_loop import FrameLoop, FrameTimes, SteppedClock

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_frames_are_computed_for_their_slot_time():
    loop = FrameLoop(30, SteppedClock(T0))
    seen = []
    loop.run(seen.append, frames=5)
    assert seen == [T0 + timedelta(seconds=n / 30) for n in range(5)]
    assert loop.times.summary()["frames"] == 5
    assert loop.times.summary()["dropped"] == 0


def test_duration_stops_the_loop():
    loop = FrameLoop(10, SteppedClock(T0))
    seen = []
    loop.run(seen.append, duration=1.0)
    assert len(seen) == 10
    assert seen[-1] == T0 + timedelta(seconds=0.9)


class SlowClock(SteppedClock):
    """Each render costs `cost` seconds of simulated time."""

    def __init__(self, start, cost):
        super().__init__(start)
        self.cost = cost

    def charge(self):
        self._now += self.cost


def test_overrun_skips_missed_slots_and_counts_them_as_dropped():
    clock = SlowClock(T0, cost=0.25)  # 2.5 frame periods of work at 10 fps
    loop = FrameLoop(10, clock)
    seen = []

    def render(t):
        seen.append(t)
        clock.charge()

    loop.run(render, frames=3)
    # frame 0 at slot 0 ends at 0.25 s -> next free slot is 3 (0.3 s); slots 1 and 2 dropped.
    # Every frame overruns the same way, the last one included: 3 frames x 2 missed slots.
    assert seen == [T0, T0 + timedelta(seconds=0.3), T0 + timedelta(seconds=0.6)]
    assert loop.times.summary()["dropped"] == 6


def test_a_loop_behind_never_skips_a_kept_frame():
    # a room's nodes commit a switch on one announced frame: a node running behind draws that
    # frame late rather than skipping it (and so showing the switch a frame after the others)
    clock = SlowClock(T0, cost=0.25)
    loop = FrameLoop(10, clock)
    kept = T0 + timedelta(seconds=0.2)  # slot 2, which the overrun of frame 0 would drop
    loop.keep = lambda: kept
    seen = []

    def render(t):
        seen.append(t)
        clock.charge()

    loop.run(render, frames=3)
    assert seen[:2] == [T0, kept]
    loop2 = FrameLoop(10, SlowClock(T0, cost=0.25))
    loop2.keep = lambda: None  # nothing kept: the usual drops
    seen2 = []
    loop2.run(lambda t: (seen2.append(t), loop2.clock.charge()), frames=2)
    assert seen2 == [T0, T0 + timedelta(seconds=0.3)]


def test_stop_from_inside_a_frame():
    loop = FrameLoop(30, SteppedClock(T0))
    seen = []

    def render(t):
        seen.append(t)
        if len(seen) == 3:
            loop.stop()

    loop.run(render)
    assert len(seen) == 3


def test_percentiles():
    ft = FrameTimes()
    for i in range(1, 101):
        ft.add(i / 1000.0, 0)
    s = ft.summary()
    assert s["frames"] == 100
    assert 50 <= s["p50_ms"] <= 51
    assert 99 <= s["p99_ms"] <= 100
    assert s["max_ms"] == 100.0
