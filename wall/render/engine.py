"""One frame of the wall: views from (state, time) -> paints off-thread -> uploads -> composite.

This is what the render thread runs each frame. It never blocks: views are cheap pure functions;
a view that differs from the last one requested for its zone is sent to the paint pool; finished
paints are uploaded within a per-frame byte budget (a burst of new content spreads over frames
instead of dropping one); then the compositor redraws only the zones whose texture changed.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import moderngl

from ..config.base import rgba
from ..config.loader import LoadedConfig, ScenarioPlan
from ..paint.error_card import ErrorView
from ..store import Store
from ..widgets.base import BuildContext, ThemeView
from ..widgets.registry import scrolls, widget
from .compositor import ComposeStats, Compositor
from .paint_pool import PaintJob, PaintPool, PaintResult

log = logging.getLogger("wall.render")

# Enough for two full-HD zones per frame; llvmpipe uploads ~3 GB/s, so about 8 ms at most.
DEFAULT_UPLOAD_BUDGET = 16 * 1024 * 1024

# Layout generations are unique across engines, so paints still in flight from an engine that
# shared the pool (a reload, a test) can never be mistaken for current ones.
_generations = itertools.count(1)


@dataclass
class FrameReport:
    painted: int = 0  # paints sent to workers
    uploads: int = 0
    uploaded_bytes: int = 0
    waiting: int = 0  # finished paints held back by the upload budget
    in_flight: int = 0
    compose: ComposeStats = field(default_factory=ComposeStats)


def zone_contexts(plan: ScenarioPlan, wall, viewing_distance_m: float | None = None) -> dict[str, BuildContext]:
    """A BuildContext per bound zone of a scenario (time and data are filled in per frame)."""
    from ..legibility import min_font_px

    tv = ThemeView.from_config(plan.theme)
    floor = round(min_font_px(viewing_distance_m, wall.pitch_y), 1) if viewing_distance_m else 0.0
    return {
        z.id: BuildContext(
            zone_id=z.id,
            width=z.rect.w,
            height=z.rect.h,
            origin=(z.rect.x, z.rect.y),
            pitch_mm=(wall.pitch_x, wall.pitch_y),
            time=datetime.fromtimestamp(0).astimezone(),
            theme=tv,
            min_text_px=floor,
        )
        for z in plan.layout.zones
        if z.id in plan.bindings
    }


class Engine:
    def __init__(
        self,
        loaded: LoadedConfig,
        ctx: moderngl.Context,
        pool: PaintPool,
        upload_budget: int = DEFAULT_UPLOAD_BUDGET,
        store: Store | None = None,
    ):
        self.loaded = loaded
        self.wall = loaded.wall
        self.ctx = ctx
        self.pool = pool
        self.store = store or Store.from_config(loaded.config)
        # wall.moderation.Moderator: every snapshot a widget sees has been through it (None: tools
        # such as identify and calibrate, whose zones show no posts)
        self.moderator = None
        self.upload_budget = upload_budget
        theme = loaded.config.theme
        self.compositor = Compositor(ctx, self.wall, rgba(theme.background))
        self.plan: ScenarioPlan | None = None
        self.generation = 0
        self._seq = 0
        self._contexts: dict[str, BuildContext] = {}
        self._requested: dict[str, Any] = {}  # zone -> last view sent to paint
        self._shown_seq: dict[str, int] = {}  # zone -> seq of the paint on screen
        self._waiting: dict[str, PaintResult] = {}  # zone -> newest finished paint not yet uploaded
        self.views: dict[str, tuple[str, Any]] = {}  # zone -> (widget, view) of the last frame
        self.errors: dict[str, str] = {}  # zone -> last build/paint/GL error
        # zone -> the view whose upload failed in GL: not re-sent until the zone's view changes
        self._gl_failed: dict[str, Any] = {}

    # ------------------------------------------------------------------ scenario

    def set_scenario(self, name: str) -> None:
        plan = self.loaded.scenarios[name]
        self.plan = plan
        self.generation = next(_generations)
        theme = plan.theme
        self._contexts = zone_contexts(plan, self.wall, self.loaded.config.viewing_distance_m)
        for result in self._waiting.values():
            result.release()
        self._waiting.clear()
        self._requested.clear()
        self._shown_seq.clear()
        self.errors.clear()
        self._gl_failed.clear()
        self.compositor.set_zones(list(plan.layout.zones), rgba(theme.background))

    # ------------------------------------------------------------------ frame

    def build_views(self, t: datetime) -> dict[str, tuple[str, Any]]:
        assert self.plan is not None
        views = {}
        for zone_id, base in self._contexts.items():
            binding = self.plan.bindings[zone_id]
            try:
                data = self.store.snapshot(binding.feed, t)
                if data is not None and self.moderator is not None:
                    data = self.moderator.filter(data, self.plan)  # a blocked post never reaches a painter
                ctx = dataclasses.replace(base, time=t, data=data)
                view = widget(binding.widget).build(binding, ctx)
            except Exception as exc:  # a zone's failure stays in its zone
                log.exception("zone %s: %s failed to build its view", zone_id, binding.widget)
                view = ErrorView(binding.widget, f"{type(exc).__name__}: {exc}")
            views[zone_id] = (binding.widget, view)
        return views

    def _send_paints(self, views: dict[str, tuple[str, Any]]) -> int:
        sent = 0
        for zone_id, (widget_name, view) in views.items():
            if self._requested.get(zone_id) == view:
                continue
            if zone_id in self._gl_failed:
                if self._gl_failed[zone_id] == view:
                    continue  # its error card stays until the content changes; then GL gets another try
                del self._gl_failed[zone_id]
            self._seq += 1
            ctx = self._contexts[zone_id]
            self.pool.submit(PaintJob(zone_id, widget_name, view, ctx.width, ctx.height, self._seq, self.generation))
            self._requested[zone_id] = view
            sent += 1
        return sent

    def _take_results(self) -> None:
        for result in self.pool.collect():
            job = result.job
            newest = self._waiting.get(job.zone_id)
            stale = job.generation != self.generation or job.seq <= self._shown_seq.get(job.zone_id, 0)
            if stale or (newest is not None and newest.job.seq > job.seq):
                result.release()
                continue
            if newest is not None:
                newest.release()
            if result.error:
                if job.zone_id not in self._gl_failed:  # keep the GL failure's own words
                    self.errors[job.zone_id] = result.error
            else:
                self.errors.pop(job.zone_id, None)
            self._waiting[job.zone_id] = result

    def _upload(self, budget: int | None) -> tuple[int, int]:
        uploads = sent = 0
        for zone_id in sorted(self._waiting, key=lambda z: self._waiting[z].job.seq):
            result = self._waiting[zone_id]
            if budget is not None and uploads > 0 and sent + result.pixels.nbytes > budget:
                break  # the rest waits for the next frame; at least one upload always happens
            strip = result.error is None and scrolls(result.job.widget)
            try:
                sent += self.compositor.upload(zone_id, result.pixels, strip=strip)
            except Exception as exc:  # a GL failure (out of memory, a lost texture) stays in its zone
                self._upload_failed(result, exc)
            self._shown_seq[zone_id] = result.job.seq
            uploads += 1
            result.release()
            del self._waiting[zone_id]
        return uploads, sent

    def _upload_failed(self, result: PaintResult, exc: Exception) -> None:
        """Show the zone's error card instead of its content (painted like any view, off-thread)."""
        job = result.job
        message = f"GPU upload failed: {type(exc).__name__}: {exc}"
        if isinstance(job.view, ErrorView):
            # even the error card cannot be uploaded: the zone keeps what it showed; say so once
            if self.errors.get(job.zone_id) != message:
                log.error("zone %s: %s (the error card too; the zone keeps its last picture)", job.zone_id, message)
            self.errors[job.zone_id] = message
            return
        log.error("zone %s: %s; showing its error card", job.zone_id, message)
        self.errors[job.zone_id] = message
        self.compositor.reset_zone(job.zone_id)
        self._gl_failed[job.zone_id] = self._requested.get(job.zone_id)
        self._seq += 1
        view = ErrorView(job.widget, "GPU upload failed", f"{type(exc).__name__}: {exc}")
        self._requested[job.zone_id] = view
        self.pool.submit(PaintJob(job.zone_id, job.widget, view, job.width, job.height, self._seq, self.generation))

    def _scroll(self, t: datetime) -> None:
        """Per-frame motion of scrolling widgets: an offset, a pure function of t, no repaint."""
        assert self.plan is not None
        for zone_id, (widget_name, view) in self.views.items():
            module = widget(widget_name)
            scroll = getattr(module, "scroll", None)
            if scroll is None or isinstance(view, ErrorView):
                continue
            try:
                offset = scroll(view, dataclasses.replace(self._contexts[zone_id], time=t))
            except Exception:
                log.exception("zone %s: scroll failed", zone_id)
                continue
            self.compositor.scroll(zone_id, offset)

    def frame(self, t: datetime) -> FrameReport:
        """Render the frame for time `t`. Never waits for paints."""
        report = FrameReport()
        self.views = self.build_views(t)
        report.painted = self._send_paints(self.views)
        self._take_results()
        report.uploads, report.uploaded_bytes = self._upload(self.upload_budget)
        self._scroll(t)
        report.compose = self.compositor.compose()
        report.waiting = len(self._waiting)
        report.in_flight = self.pool.in_flight
        return report

    def settle(self, t: datetime, timeout: float = 120.0) -> FrameReport:
        """Render `t` completely: wait for every paint, upload everything, composite.

        For deterministic renders (`wallctl render`) and for the first frame of a live wall, so it
        opens on a complete picture. The live loop never calls this between frames."""
        report = FrameReport()
        self.views = self.build_views(t)
        report.painted = self._send_paints(self.views)
        self.pool.wait(timeout)
        self._take_results()
        uploads, sent = self._upload(None)
        report.uploads, report.uploaded_bytes = uploads, sent
        self._scroll(t)
        report.compose = self.compositor.compose()
        return report

    def close(self) -> None:
        for result in self._waiting.values():
            result.release()
        self._waiting.clear()
        self.compositor.release()
