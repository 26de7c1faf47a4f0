"""Every figure over its whole window: a day and a half of generated posts (tests/social_day.py)
replayed with `speed: max` through the real poller into a wall's store, rendered, and every figure
state.json shows for the 24 h and 1 h windows compared with the truth computed from the generated
rows: counts exact, shares within 0.05 points. Then the same after a restart from the store's file,
with no source polled at all."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from social_day import MAPPING, Row, fold, generate, record, truth, window_start, write_csv

from wall.config.loader import load_config
from wall.runtime import WallRuntime
from wall.store import Store

END = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # where the generated day ends, in file time
POSTS = 50_000

CONFIG = """\
name: figures
displays:
  grid:
    cols: 2
    rows: 1
    panel: {{resolution: [1920, 1080], diagonal_in: 55, bezel_mm: 1.8}}
layout:
  grid: [5, 2]
  zones:
    posts24: {{cells: A1}}
    tone24: {{cells: B1}}
    topics24: {{cells: C1}}
    people24: {{cells: D1}}
    map24: {{cells: E1}}
    posts1h: {{cells: A2}}
    tone1h: {{cells: B2}}
    topics1h: {{cells: C2}}
    people1h: {{cells: D2}}
    map1h: {{cells: E2}}
feeds:
  day:
    adapter: replay
    poll_s: 60
    options:
      path: {csv}
      speed: {speed}
      max_per_poll: 5000
      mapping: {mapping}
scenarios:
  figures:
    zones:
      posts24: {{widget: kpi, feed: day, metric: kpi.posts}}
      tone24: {{widget: sentiment, feed: day, metric: sentiment}}
      topics24: {{widget: topics, feed: day, metric: topics}}
      people24: {{widget: influencers, feed: day, source: posts, window_minutes: 1440}}
      map24: {{widget: map, feed: day, metric: countries}}
      posts1h: {{widget: kpi, feed: day, metric: "kpi.posts@1h"}}
      tone1h: {{widget: sentiment, feed: day, metric: "sentiment@1h"}}
      topics1h: {{widget: topics, feed: day, metric: "topics@1h"}}
      people1h: {{widget: influencers, feed: day, source: posts, window_minutes: 60}}
      map1h: {{widget: map, feed: day, metric: "countries@1h"}}
"""


@pytest.fixture(scope="module")
def day() -> list[Row]:
    return generate(seed=11, posts=POSTS, end=END, hours=36)


class Replayed:
    """A wall's config and store file after its poller replayed the day, and where the day landed:
    the file's last row at `anchor` (the wall time the replay began), its figures computed `at`
    the last poll."""

    def __init__(self, config: Path, store: Path, anchor: datetime, at: datetime):
        self.config, self.store, self.anchor, self.at = config, store, anchor, at

    def wall_time(self, rows: list[Row]) -> list[Row]:
        """The rows with the times the replay gave them: the last row at the anchor."""
        shift = self.anchor - max(r.at for r in rows)
        return [r.__class__(**{**r.__dict__, "at": r.at + shift}) for r in rows]


@pytest.fixture(scope="module")
def replayed(day, tmp_path_factory) -> Replayed:
    folder = tmp_path_factory.mktemp("figures")
    csv_path = folder / "day.csv"
    write_csv(day, csv_path)
    config = folder / "wall.yaml"
    config.write_text(CONFIG.format(csv=csv_path, speed="max", mapping=json.dumps(MAPPING)))
    store_path = folder / "wall.sqlite3"
    rt = WallRuntime(load_config(config), store_path=store_path, workers=1)
    try:
        rt.start_feeds()
        deadline = time.monotonic() + 600
        while True:  # the poller polls again at once while rows are due: the whole file, as fast as it goes
            rt.store.settle_figures()
            figures = rt.store.snapshot("day", datetime.now(UTC)).metrics
            if "kpi.posts@30d" in figures and figures["kpi.posts@30d"].value == POSTS:
                break
            assert time.monotonic() < deadline, "the replay never delivered the whole day"
            time.sleep(0.5)
        anchor = datetime.fromisoformat(rt.store.load_cursor("day", "anchor") or "")
        at = figures["kpi.posts"].computed_at
    finally:
        rt.close()
    return Replayed(config, store_path, anchor, at)


def render_state(config: Path, store_path: Path, out: Path, t: datetime) -> dict:
    """Render the wall at t from what its store file holds: no feed is polled."""
    loaded = load_config(config)
    rt = WallRuntime(loaded, store_path=store_path, workers=1)
    try:
        rt.use_scenario("figures")
        rt.snapshot(t, out)
    finally:
        rt.close()
    return json.loads((out / "state.json").read_text())


def check(state: dict, rows: list[Row], at: datetime) -> None:
    for suffix, length in (("24", timedelta(hours=24)), ("1h", timedelta(hours=1))):
        want = truth(rows, window_start(at, length), at)
        zones = state["zones"]
        kpi = zones[f"posts{suffix}"]["view"]
        assert kpi["value"] == want.posts, suffix

        tone = zones[f"tone{suffix}"]["view"]
        parts = {p["tone"]: p for p in tone["parts"]}
        for t in ("positive", "neutral", "negative"):
            assert parts[t]["count"] == want.tones[t], (suffix, t)
            assert abs(parts[t]["share"] - want.share(t)) <= 0.0005, (suffix, t)  # 0.05 points

        topics = zones[f"topics{suffix}"]["view"]["items"]
        assert topics, suffix
        for item in topics:
            assert item["count"] == want.topics[fold(item["label"])], (suffix, item)
        counts = [i["count"] for i in topics]
        assert counts == sorted(want.topics.values(), reverse=True)[: len(counts)], suffix
        assert not any(fold(i["label"])[1:].isdigit() for i in topics)  # '#22' is no topic

        people = zones[f"people{suffix}"]["view"]["rows"]
        assert people, suffix
        for row in people:
            author = row["key"].rsplit(":", 1)[-1]
            assert row["mentions"] == want.authors[author], (suffix, row)
        mentions = [r["mentions"] for r in people]
        assert mentions == sorted(want.authors.values(), reverse=True)[: len(mentions)], suffix

        countries = {c["code"]: c["value"] for c in zones[f"map{suffix}"]["view"]["countries"]}
        assert countries == {c: float(n) for c, n in want.countries.items()}, suffix

        # the windows say what they cover
        assert "24h" in json.dumps(zones["posts24"]["view"]) and "1h" in json.dumps(zones["posts1h"]["view"])


def test_every_figure_counts_every_post_of_its_window(day, replayed, tmp_path):
    state = render_state(replayed.config, replayed.store, tmp_path / "render", replayed.at)
    rows = replayed.wall_time(day)
    check(state, rows, replayed.at)
    # far more than the store's buffer of cards holds: the figures are not computed from it
    assert truth(rows, window_start(replayed.at, timedelta(hours=24)), replayed.at).posts > 10_000


def test_the_same_figures_after_a_restart_with_the_network_gone(day, replayed, tmp_path):
    first = render_state(replayed.config, replayed.store, tmp_path / "first", replayed.at)
    again = render_state(replayed.config, replayed.store, tmp_path / "again", replayed.at)  # another process
    check(again, replayed.wall_time(day), replayed.at)
    assert again["zones"] == first["zones"]


def test_a_window_the_data_does_not_cover_yet_says_since_when(tmp_path):
    """A feed that began counting two hours ago: its '24h' figures say 'since HH:MM', not '24h'."""
    rows = generate(seed=3, posts=300, end=END, hours=2)
    config = tmp_path / "wall.yaml"
    config.write_text(CONFIG.format(csv=tmp_path / "x.csv", speed=1, mapping=json.dumps(MAPPING)))
    loaded = load_config(config)
    from feeds.mapping import PostMapping, map_post

    mapping = PostMapping.model_validate(MAPPING)
    store = Store.from_config(loaded.config)
    store.put("day", [map_post(record(r), mapping, source="replay", network="replay") for r in rows], {}, END)
    store.settle_figures()
    figures = store.snapshot("day", END).metrics
    first = min(r.at for r in rows).astimezone()
    assert figures["kpi.posts"].window == f"since {first:%H:%M}"
    assert figures["kpi.posts@1h"].window == "1h"
    assert figures["kpi.posts"].value == 300
    store.close()
