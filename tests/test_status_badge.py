"""The 'stale' / 'source failing' badge over last good data is readable from the room too."""

import dataclasses
from datetime import timedelta

import pytest
from widget_kit import T0, demo_snapshot, make_ctx, options

from wall.paint.text import record_text_sizes
from wall.widgets.registry import widget

FLOOR = 41.4  # 16 arcmin at 4 m on 0.63 mm pixels


@pytest.mark.parametrize(
    "name,opts",
    [
        ("kpi", {"metric": "kpi.followers"}),
        ("gauge", {"metric": "care.first_reply_min"}),
        ("top_posts", {}),
        ("topics", {}),
    ],
)
@pytest.mark.parametrize("state", ["stale", "failing"])
def test_badge_text_is_never_below_the_rooms_floor(name, opts, state):
    demo = demo_snapshot()
    health = dataclasses.replace(demo.health, state=state, last_error="HTTP 503" if state == "failing" else None)
    snap = dataclasses.replace(demo, health=health)
    t = T0 + timedelta(minutes=12)
    ctx = dataclasses.replace(make_ctx(1920, 1080, t=t, data=snap), min_text_px=FLOOR)
    module = widget(name)
    view = module.build(options(name, **opts), ctx)
    assert view.status.state == state and "12 min ago" in view.status.note
    with record_text_sizes() as sizes:
        module.paint(view, 1920, 1080)
    badge = [size for size, text in sizes if "12 min ago" in text]
    assert badge, sizes  # the badge was painted
    assert min(size for size, _ in sizes) >= FLOOR - 1e-6
