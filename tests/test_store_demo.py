"""The demo feed in the store (wall/store/demo.py): a pure function of the minute asked for, whose
next minute is built ahead, off the thread that reads it, so a live wall's render thread only looks
it up when the minute turns."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

import wall.store.demo as store_demo
from feeds import demo
from wall.store import Store

T0 = datetime(2026, 11, 23, 8, 30, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture()
def builds(monkeypatch):
    """(thread id, minute) of every build of the demo's posts by this test's threads: a demo worker
    of a store an earlier test left open may still be building its own next minute."""
    seen: list[tuple[int, datetime]] = []
    real = demo.posts
    earlier = {t for t in threading.enumerate() if t is not threading.current_thread()}

    def recorded(t, *a, **kw):
        if threading.current_thread() not in earlier:
            seen.append((threading.get_ident(), t))
        return real(t, *a, **kw)

    monkeypatch.setattr(demo, "posts", recorded)
    return seen


def demo_store() -> Store:
    return Store({"demo": ("demo", 60.0)})


def alive(ident: int) -> bool:
    return any(t.ident == ident for t in threading.enumerate())


def test_the_next_minute_is_ready_before_the_render_thread_asks(builds):
    s = demo_store()
    render = threading.get_ident()
    first = s.snapshot("demo", T0)  # nothing prepared yet: built where asked
    assert s.snapshot("demo", T0 + timedelta(seconds=30)) is first  # the same minute: a lookup
    s.close()  # waits for the preparation under way
    assert [(who == render, at) for who, at in builds] == [(True, first.as_of), (False, first.as_of + MINUTE)]
    assert s.snapshot("demo", T0 + timedelta(seconds=45)) is first  # the minute shown stays ready

    nxt = s.snapshot("demo", T0 + MINUTE)
    assert len(builds) == 2  # the render thread found it ready
    fresh = demo_store()
    try:
        assert nxt == fresh.snapshot("demo", T0 + MINUTE)  # prepared ahead or not: the same picture
    finally:
        fresh.close()


def test_an_instant_that_was_not_prepared_is_built_where_asked(builds):
    s = demo_store()
    try:
        later = T0 + timedelta(hours=5, seconds=7)
        snap = s.snapshot("demo", later)
        assert (threading.get_ident(), later.replace(second=0)) in builds
        assert snap.health.state == "ok" and snap.as_of == later.replace(second=0)
        assert [p.key for p in snap.posts][:40] == [p.key for p in demo.posts(later)]
    finally:
        s.close()


def test_close_ends_the_worker_and_nothing_more_is_prepared(builds):
    s = demo_store()
    s.snapshot("demo", T0)
    s.close()
    worker = builds[-1][0]
    assert worker != threading.get_ident() and not alive(worker)
    s.snapshot("demo", T0 + MINUTE)  # the minute asked before closing is ready
    s.snapshot("demo", T0 + 2 * MINUTE)  # built where asked: nothing prepares it any more
    assert [(who == threading.get_ident(), at.minute) for who, at in builds] == [(True, 30), (False, 31), (True, 32)]


def test_an_idle_worker_ends_and_the_next_request_starts_another(monkeypatch, builds):
    monkeypatch.setattr(store_demo, "IDLE_EXIT_S", 0.05)
    s = demo_store()
    try:
        s.snapshot("demo", T0)
        for _ in range(3000):  # wait for the preparation
            if len(builds) == 2:
                break
            time.sleep(0.01)
        first_worker = builds[-1][0]
        for _ in range(3000):  # a store nobody asks leaves no thread behind
            if not alive(first_worker):
                break
            time.sleep(0.01)
        assert not alive(first_worker)
        s.snapshot("demo", T0 + MINUTE)  # prepared before the worker ended
        assert len(builds) == 2
    finally:
        s.close()
    second_worker, at = builds[-1]
    assert at == (T0 + 2 * MINUTE).replace(second=0) and second_worker != threading.get_ident()
