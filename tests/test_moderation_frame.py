"""'Hide now' on the pixels: the frame after an operator hides a post no longer shows it, even
though the zone's repaint (off-thread) has not arrived yet; the zone then comes back without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from wall.config.loader import load_config
from wall.moderation import Moderator
from wall.runtime import WallRuntime

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)


def test_a_hidden_post_is_off_the_screen_in_the_very_next_frame():
    moderator = Moderator()
    rt = WallRuntime(load_config("config/demo.yaml"), moderator=moderator)
    try:
        rt.use_scenario("monitoring")
        rt.settle(T)
        zone = rt.engine.plan.layout.zone("posts").rect
        display = next(
            d
            for d in rt.loaded.wall.displays
            if d.viewport.x <= zone.x < d.viewport.x1 and d.viewport.y <= zone.y < d.viewport.y1
        )
        vp = display.viewport

        def posts_pixels() -> np.ndarray:
            out = rt.engine.compositor.read_output(display.id)
            return out[zone.y - vp.y : zone.y1 - vp.y, zone.x - vp.x : min(zone.x1, vp.x1) - vp.x].copy()

        shown = posts_pixels()
        key = rt.views["posts"][1].posts[0].key
        moderator.hide(key, who="test")
        report = rt.frame(T + timedelta(milliseconds=33))  # the next frame: it does not wait for paints
        assert report.in_flight > 0  # the repaint is still on its way...
        blank = posts_pixels()
        # ...yet the card is gone: the zone shows the theme background only
        assert len(np.unique(blank.reshape(-1, 4), axis=0)) == 1
        assert not np.array_equal(blank, shown)
        # and when the repaint lands, the zone is back, without the hidden post
        rt.settle(T + timedelta(milliseconds=66))
        assert key not in [p.key for p in rt.views["posts"][1].posts]
        back = posts_pixels()
        assert len(np.unique(back.reshape(-1, 4), axis=0)) > 50
    finally:
        rt.close()


def test_approving_a_post_does_not_blank_its_zone():
    from wall.config.loader import load_config as load

    moderator = Moderator()
    rt = WallRuntime(load("config/demo.yaml"), moderator=moderator)
    try:
        rt.use_scenario("launch")  # public-facing: approve-first
        rt.settle(T)
        queue = moderator.queue()
        assert queue
        outs = {d: rt.engine.compositor.read_output(d).copy() for d in rt.engine.compositor.outputs}
        moderator.approve(queue[0]["key"], who="test")
        rt.frame(T + timedelta(milliseconds=33))
        # nothing was taken away, so nothing is blanked: the panels keep their picture until the
        # repaint with the approved post lands
        for d, pic in outs.items():
            assert np.array_equal(rt.engine.compositor.read_output(d), pic)
        rt.settle(T + timedelta(milliseconds=66))
        assert any(not np.array_equal(rt.engine.compositor.read_output(d), pic) for d, pic in outs.items())
    finally:
        rt.close()
