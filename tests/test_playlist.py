"""Zones that rotate through a playlist of widgets, each for its duration (a function of time)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import REPO, run_cli

PLAYLIST = """\
      topics:
        playlist:
          - { widget: topics, feed: demo, style: list, limit: 6 }
          - { widget: sentiment, feed: demo, style: donut, label: "Tone" }
          - { widget: kpi, feed: demo, metric: kpi.reach }
        durations_s: [20, 10, 30]
"""


def demo_with(tmp_path, playlist: str = PLAYLIST):
    text = (REPO / "config" / "demo.yaml").read_text()
    old = "      topics:      { widget: topics, feed: demo, style: list, limit: 6 }\n"
    assert old in text
    cfg = tmp_path / "demo.yaml"
    cfg.write_text(text.replace(old, playlist, 1))
    return cfg


@pytest.mark.parametrize(
    "offset,expected",
    [(0, "topics"), (19, "topics"), (20, "sentiment"), (29, "sentiment"), (30, "kpi"), (59, "kpi"), (60, "topics")],
)
def test_the_item_shown_is_a_function_of_time(tmp_path, offset, expected):
    from wall.config.loader import load_config
    from wall.config.schema import active_binding

    loaded = load_config(demo_with(tmp_path))
    binding = loaded.scenarios["monitoring"].bindings["topics"]
    cycle_start = datetime.fromtimestamp(60 * 1_000_000, UTC)  # a multiple of the 60 s cycle
    assert active_binding(binding, cycle_start + timedelta(seconds=offset)).widget == expected


def test_a_rendered_wall_shows_the_current_item(tmp_path):
    cfg = demo_with(tmp_path)
    t0 = datetime.fromtimestamp(60 * 29_400_000, UTC)  # 2025-11-..: a cycle start
    seen = []
    for offset in (5, 25):
        out = tmp_path / f"r{offset}"
        rc, _, err = run_cli("render", cfg, "--time", (t0 + timedelta(seconds=offset)).isoformat(), "--out", out)
        assert rc == 0, err
        zone = json.loads((out / "state.json").read_text())["zones"]["topics"]
        seen.append((zone["widget"], zone["view"]["_type"]))
    assert seen == [("topics", "TopicsView"), ("sentiment", "SentimentView")]


def test_playlist_mistakes_name_their_place(tmp_path):
    bad = PLAYLIST.replace("durations_s: [20, 10, 30]", "durations_s: [20, 10]")
    rc, _, err = run_cli("check", demo_with(tmp_path, bad), "--no-legibility")
    assert rc == 1
    assert re.search(r"demo\.yaml:\d+:\d+: .*durations_s lists 2 durations for 3 items", err), err
    bad = PLAYLIST.replace("{ widget: kpi, feed: demo,", "{ widget: kpi, feed: nofeed,")
    rc, _, err = run_cli("check", demo_with(tmp_path, bad), "--no-legibility")
    assert rc == 1 and "feed 'nofeed' is not declared" in err
    line = (tmp_path / "demo.yaml").read_text().splitlines().index(
        "          - { widget: kpi, feed: nofeed, metric: kpi.reach }"
    ) + 1
    assert f"demo.yaml:{line}:" in err
    bad = PLAYLIST.replace("style: donut", "style: pie")
    rc, _, err = run_cli("check", demo_with(tmp_path, bad), "--no-legibility")
    assert rc == 1 and "style" in err and "Traceback" not in err
