"""Demo data a visitor believes (feeds/demo.py, config/demo.yaml, wall/widgets/top_posts.py): no
post twice on one page, a map that counts no more mentions than the wall does, and a crisis banner
whose "since" is the alert's own start, never a date written in the config.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import DEMO

from wall.config.loader import load_config
from wall.scenes.director import Director
from wall.scenes.views import SceneViews
from wall.store import Store

T = datetime.fromisoformat("2026-11-23T09:30:05+01:00")


@pytest.mark.parametrize("scenario", ["monitoring", "crisis", "launch"])
def test_no_post_shows_twice_on_one_page(scenario):
    loaded = load_config(DEMO)
    views = SceneViews(loaded, Store.from_config(loaded.config))
    plan = loaded.scenarios[scenario]
    for minutes in range(0, 24 * 60, 37):
        for zone_id, zv in views.frame(plan, T + timedelta(minutes=minutes)).views.items():
            if zv.widget == "top_posts":
                said = [(c.author, c.text) for c in zv.view.posts]
                assert len(said) == len(set(said)), (scenario, zone_id, minutes, said)


def test_the_map_counts_no_more_mentions_than_the_wall_does():
    store = Store.from_config(load_config(DEMO).config)
    for hours in range(0, 48, 5):
        metrics = store.snapshot("demo", T + timedelta(hours=hours)).metrics
        located = sum(metrics["countries"].breakdown.values())
        mentions = metrics["kpi.posts"].value
        assert mentions * 0.75 < located <= mentions
        assert located <= sum(metrics["sentiment"].breakdown.values())


def test_the_crisis_banner_says_since_when_the_alert_began_never_a_date_from_the_config(tmp_path):
    loaded = load_config(DEMO)
    banner = loaded.scenarios["crisis"].bindings["alert"]
    assert banner.since is None  # a fixed date in a config is a lie a week later
    # the demo's rule, at a level the demo's first reply time (10-18 min) always breaks
    text = DEMO.read_text(encoding="utf-8").replace("above: breach }", "above: 5 }")
    (tmp_path / "layouts").symlink_to(DEMO.resolve().parent.parent / "layouts")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    loaded = load_config(tmp_path / "demo.yaml")
    store = Store.from_config(loaded.config)
    director = Director(loaded, store, None)
    start = datetime.fromisoformat("2026-12-04T13:00:00+01:00")
    director.start(start)
    t = start
    while t < start + timedelta(minutes=3):
        direction = director.tick(t)
        t += timedelta(seconds=1)
    assert director.reason == "alert slow-first-reply" and direction.plan.name == "crisis"
    since = direction.plan.bindings["alert"].since
    assert since == director.alert.since == start  # the condition held from the first evaluation
    view = SceneViews(loaded, store).frame(direction.plan, t).views["alert"].view
    assert view.since_text == "since 13:00 · 3 min"
