"""Titles of one rank have one size in every zone of a wall, and that size follows the panels'
physical scale: card headings (top posts, topics, map, influencers) share one size, chart captions
(kpi, gauge, sentiment, timeline) another, in every scenario of the shipped configs; a wall of 4K
panels draws them, and its empty states, with twice the pixels of the same wall in 1080p."""

import dataclasses
import math
from datetime import UTC, datetime

import pytest
from widget_kit import snapshot_with
from zone_kit import REPO, load, zones

from wall.config.loader import load_config
from wall.paint.text import ELLIPSIS, record_text_sizes
from wall.paint.title_sizes import HEADER_EM, LABEL_EM, title_size
from wall.widgets.registry import widget

T = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
HEADINGS = {"top_posts", "topics", "map", "influencers"}  # view.title, bold, in a header band
CAPTIONS = {"kpi", "gauge", "sentiment", "timeline"}  # view.label, muted, over the chart
SHIPPED = [("config/demo.yaml", s) for s in ("monitoring", "crisis", "launch")] + [("config/kiosk.yaml", "lobby")]


def painted_titles(loaded, scenario, t=T, only=None):
    """(rank, zone, title, size painted, text painted) of every title the scenario's zones paint
    with data (a zone waiting for its feed shows a placeholder, not its chart)."""
    out = []
    for zid, ctx, binding in zones(loaded, scenario, t):
        name = binding.widget
        if name not in HEADINGS | CAPTIONS or (only and zid not in only):
            continue
        module = widget(name)
        view = module.build(binding, ctx)
        if getattr(view, "placeholder", False) or getattr(view, "empty", False):
            continue
        title = view.title if name in HEADINGS else view.label
        with record_text_sizes() as sizes:
            module.paint(view, ctx.width, ctx.height)
        painted = [(size, text) for size, text in sizes if text.startswith(title) or title.startswith(text[:-1])]
        assert painted, (zid, title, sizes)
        size, text = painted[0]
        out.append(("heading" if name in HEADINGS else "caption", zid, title, size, text, ctx))
    return out


@pytest.mark.parametrize("config,scenario", SHIPPED)
def test_titles_of_one_rank_have_one_size_in_every_zone(config, scenario):
    titles = painted_titles(load(config), scenario)
    assert {rank for rank, *_ in titles} == {"heading", "caption"}
    for rank, em in (("heading", HEADER_EM), ("caption", LABEL_EM)):
        sizes = {zid: size for r, zid, _, size, _, _ in titles if r == rank}
        floor = math.ceil(titles[0][5].min_text_px)
        # one size, the rank's size at the room's floor (its viewing distance on these panels)
        assert set(sizes.values()) == {title_size(floor, em)}, (rank, sizes)
    for _, zid, title, _, text, _ in titles:  # whole titles: never cut to keep the size
        assert text.startswith(title) and not text.endswith(ELLIPSIS), (zid, text)


def _demo_on(tmp_path, resolution):
    """The demo wall on six 55" panels of this resolution (the same physical wall)."""
    text = (REPO / "config" / "demo.yaml").read_text()
    assert "resolution: [1920, 1080]" in text
    path = tmp_path / f"demo-{resolution[0]}.yaml"
    path.write_text(text.replace("resolution: [1920, 1080]", f"resolution: [{resolution[0]}, {resolution[1]}]"))
    return load_config(path)


def test_a_4k_wall_draws_titles_and_empty_states_at_the_same_physical_size(tmp_path):
    hd, uhd = _demo_on(tmp_path, (1920, 1080)), _demo_on(tmp_path, (3840, 2160))
    picked = {"topics", "followers", "first_reply"}
    small = {zid: size for _, zid, _, size, _, _ in painted_titles(hd, "monitoring", only=picked)}
    big = {zid: size for _, zid, _, size, _, _ in painted_titles(uhd, "monitoring", only=picked)}
    assert set(small) == set(big) == picked
    for zid in picked:
        assert 1.9 <= big[zid] / small[zid] <= 2.1, (zid, small[zid], big[zid])
    # an empty zone (the feed is fine, nothing to show): its title and its note scale the same way
    empty = {}
    for name, loaded in (("hd", hd), ("uhd", uhd)):
        ctx, binding = next((c, b) for z, c, b in zones(loaded, "monitoring", T) if z == "posts")
        ctx = dataclasses.replace(ctx, data=snapshot_with(posts=[]))
        view = widget("top_posts").build(binding, ctx)
        assert not view.posts and view.status.ok
        with record_text_sizes() as sizes:
            widget("top_posts").paint(view, ctx.width, ctx.height)
        empty[name] = dict((text, size) for size, text in sizes)
    assert set(empty["hd"]) == set(empty["uhd"]) == {"Top posts", "No posts in the last 4 h"}, empty
    for text, size in empty["hd"].items():
        assert 1.9 <= empty["uhd"][text] / size <= 2.1, (text, size, empty["uhd"][text])
