"""Views are rebuilt only when what they show can change: a widget whose view moves with time in
steps (TIME_STEP_S: clocks, ages, a banner's pulse) is built once per step from the same binding and
data, and reused between. The frame stays a pure function of state and time: at every instant, the
views of a long-running SceneViews equal those a fresh one builds for that instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wall.config.loader import load_config
from wall.runtime import WallRuntime
from wall.scenes.views import SceneViews
from wall.widgets import kpi

T = datetime(2026, 11, 23, 8, 29, 58, 400_000, tzinfo=UTC)  # two seconds and a minute change ahead


@pytest.mark.parametrize(
    ("config", "scenario"),
    [("config/demo.yaml", "monitoring"), ("config/demo.yaml", "crisis"), ("config/kiosk.yaml", "lobby")],
)
def test_reused_views_are_the_views_of_each_instant(config, scenario):
    loaded = load_config(config)
    rt = WallRuntime(loaded)
    try:
        plan = loaded.scenarios[scenario]
        running = SceneViews(loaded, rt.store)
        for n in range(120):  # four seconds at 30 fps, across a minute's change
            t = T + timedelta(seconds=n / 30)
            kept = running.frame(plan, t)
            fresh = SceneViews(loaded, rt.store).frame(plan, t)
            assert kept.views == fresh.views, f"frame {n} at {t.isoformat()}"
            assert kept.scroll == fresh.scroll
    finally:
        rt.close()


def test_a_figure_is_built_once_a_second_not_every_frame(monkeypatch):
    loaded = load_config("config/demo.yaml")
    rt = WallRuntime(loaded)
    try:
        calls = []
        real = kpi.build
        monkeypatch.setattr(kpi, "build", lambda options, ctx: calls.append(ctx.time) or real(options, ctx))
        plan = loaded.scenarios["monitoring"]
        zones = sum(1 for b in plan.bindings.values() if getattr(b, "widget", None) == "kpi")
        views = SceneViews(loaded, rt.store)
        start = datetime(2026, 11, 23, 8, 30, 10, tzinfo=UTC)
        for n in range(60):  # two seconds at 30 fps
            views.frame(plan, start + timedelta(seconds=n / 30))
        assert zones == 4 and len(calls) == 2 * zones  # each KPI once per second
        assert {c.microsecond for c in calls} == {0}  # built as of its second's start
    finally:
        rt.close()
