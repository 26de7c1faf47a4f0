"""The stale / failing badge sits where the zone's layout left room for it: no title, subtitle or
legend is painted under it, in any widget, at the room's floor or without one."""

import dataclasses
from datetime import timedelta

import numpy as np
import pytest
from widget_kit import T0, demo_snapshot, make_ctx, options

from wall.paint import status as status_paint
from wall.painters.registry import painter
from wall.widgets.registry import widget

WIDGETS = [
    ("kpi", {"metric": "kpi.followers"}),
    ("gauge", {"metric": "care.first_reply_min"}),
    ("top_posts", {}),
    ("topics", {}),
    ("sentiment", {}),
    ("timeline", {}),
    ("map", {}),
    ("influencers", {}),
    ("alert", {"title": "Outage in the north-east"}),
]


def _stale_ctx(width, height, floor, state):
    demo = demo_snapshot()
    health = dataclasses.replace(demo.health, state=state, last_error="HTTP 503" if state == "failing" else None)
    ctx = make_ctx(width, height, t=T0 + timedelta(hours=3, minutes=12), data=dataclasses.replace(demo, health=health))
    return dataclasses.replace(ctx, min_text_px=floor)


def _painted_without_badge(module, view, width, height, monkeypatch):
    """The zone as painted with its badge left out, and the boxes the badges would have covered."""
    boxes = []

    def record(canvas, x, y, w, h, state, note, min_px=0.0):
        b = status_paint.badge(x, y, w, h, state, note, min_px)
        if b is not None:
            boxes.append(b)

    monkeypatch.setattr(module, "draw_badge", record)
    return module.paint(view, width, height), boxes


@pytest.mark.parametrize("name,opts", WIDGETS)
@pytest.mark.parametrize(
    "width,height,floor",
    [(1920, 1080, 41.4), (960, 540, 0.0), (1280, 420, 24.0)],
    ids=["room-floor", "no-floor", "wide-band"],
)
def test_nothing_is_painted_under_the_badge(name, opts, width, height, floor, monkeypatch):
    module = widget(name)
    view = module.build(options(name, **opts), _stale_ctx(width, height, floor, "stale"))
    assert view.status.state == "stale" and view.status.note.startswith("data from ")
    pixels, boxes = _painted_without_badge(painter(name), view, width, height, monkeypatch)
    assert len(boxes) == 1, f"{name} painted {len(boxes)} badges"
    b = boxes[0]
    x0, y0, x1, y1 = int(b.x), int(b.y), int(np.ceil(b.x + b.w)), int(np.ceil(b.y + b.h))
    under = pixels[y0:y1, x0:x1, :3].reshape(-1, 3).astype(int)
    # The card's plain surface (its most common colour there) and nothing else: text, legend swatches
    # and chart ink all differ from it. A few pixels of the card's rounded corner may differ.
    colours, counts = np.unique(under, axis=0, return_counts=True)
    surface = colours[counts.argmax()]
    other = np.abs(under - surface).max(axis=1) > 12
    assert other.mean() < 0.01, f"{name}: {other.mean():.1%} of the badge's box {x0},{y0}-{x1},{y1} is painted"


@pytest.mark.parametrize("name,opts", [("topics", {}), ("map", {}), ("top_posts", {}), ("influencers", {})])
def test_the_badge_is_painted_and_the_title_stays(name, opts):
    """With the badge in place, the zone still shows its whole title (fitted beside the badge)."""
    from wall.paint.text import record_text_sizes

    module = widget(name)
    view = module.build(options(name, **opts), _stale_ctx(1920, 1080, 41.4, "failing"))
    with record_text_sizes() as sizes:
        module.paint(view, 1920, 1080)
    texts = [text for _, text in sizes]
    assert any(text.startswith("source failing · data from") for text in texts), texts
    assert view.title in texts, texts  # not ellipsised to make room
