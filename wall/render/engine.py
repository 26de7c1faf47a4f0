"""One frame of the wall: views from (state, time) -> paints off-thread -> uploads -> composite.

This is what the render thread runs each frame. It never blocks: views are cheap pure functions;
a view that differs from the last one requested for its zone is sent to the paint pool; finished
paints are uploaded within a per-frame byte budget (a burst of new content spreads over frames
instead of dropping one); then the compositor redraws only the zones whose texture changed.

Scenario changes are two-phase. prepare() starts a second *scene* (plan, views, paints) whose
zones are painted and uploaded while the current scene is still shown; the frame in which the
last of its zones has arrived commits it (no frame is ever half old, half new, and no zone
flashes empty), and a transition, a function of the frame's time, runs from there.
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
from ..config.schema import active_binding
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
    committed: str | None = None  # the scenario this frame switched to (its first frame)
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


def _identities(view: Any, _depth: int = 0) -> set[str]:
    """The post keys and author handles a view shows (anything a moderator can take away)."""
    found: set[str] = set()
    if view is None or _depth > 6:
        return found
    if dataclasses.is_dataclass(view) and not isinstance(view, type):
        for f in dataclasses.fields(view):
            value = getattr(view, f.name)
            if f.name in ("key", "handle", "author") and isinstance(value, str) and value:
                found.add(f"{f.name}:{value}")
            elif isinstance(value, (tuple, list)) or dataclasses.is_dataclass(value):
                found |= _identities(value, _depth + 1)
    elif isinstance(view, (tuple, list)):
        for item in view:
            found |= _identities(item, _depth + 1)
    return found


@dataclass
class Scene:
    """One scenario being shown (or prepared): its plan and the paint bookkeeping of its zones."""

    plan: ScenarioPlan
    generation: int
    contexts: dict[str, BuildContext]
    requested: dict[str, Any] = field(default_factory=dict)  # zone -> last view sent to paint
    shown_seq: dict[str, int] = field(default_factory=dict)  # zone -> seq of the paint on screen
    waiting: dict[str, PaintResult] = field(default_factory=dict)  # zone -> newest finished paint not uploaded
    views: dict[str, tuple[str, Any]] = field(default_factory=dict)  # zone -> (widget, view) of the last frame
    errors: dict[str, str] = field(default_factory=dict)  # zone -> last build/paint/GL error
    # zone -> the view whose upload failed in GL: not re-sent until the zone's view changes
    gl_failed: dict[str, Any] = field(default_factory=dict)
    transition: Any = None  # TransitionConfig-like (kind, duration_s), or None: a cut
    zoom_rect: Any = None  # spotlight: the zone's rectangle the picture grows from / shrinks to
    prepared_at: float = 0.0  # perf_counter when prepare() started (switch latency)

    def release(self) -> None:
        for result in self.waiting.values():
            result.release()
        self.waiting.clear()


@dataclass
class ActiveTransition:
    kind: str
    start: datetime
    duration_s: float
    rect: Any = None

    def progress(self, t: datetime) -> float:
        if self.duration_s <= 0:
            return 1.0
        p = (t - self.start).total_seconds() / self.duration_s
        p = max(0.0, min(1.0, p))
        return p * p * (3 - 2 * p)  # smoothstep: eases in and out


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
        self._moderation_version: int | None = None
        self.upload_budget = upload_budget
        theme = loaded.config.theme
        self.compositor = Compositor(ctx, self.wall, rgba(theme.background))
        self.scene: Scene | None = None
        self.pending: Scene | None = None
        self.transition: ActiveTransition | None = None
        # night state from the schedule: (brightness, pixel shift in canvas px)
        self.night: tuple[float, tuple[int, int]] = (1.0, (0, 0))
        # presentation freeze: feed -> the snapshot shown while frozen (None: live data)
        self.frozen: dict[str, Any] | None = None
        self.frozen_at: datetime | None = None
        self._seq = 0
        self.last_switch: dict[str, Any] | None = None  # how long the last prepared switch took

    # ------------------------------------------------------------------ compatibility views

    @property
    def plan(self) -> ScenarioPlan | None:
        return self.scene.plan if self.scene else None

    @property
    def generation(self) -> int:
        return self.scene.generation if self.scene else 0

    @property
    def views(self) -> dict[str, tuple[str, Any]]:
        return self.scene.views if self.scene else {}

    @property
    def errors(self) -> dict[str, str]:
        return self.scene.errors if self.scene else {}

    # ------------------------------------------------------------------ scenario

    def _scene(self, plan: ScenarioPlan) -> Scene:
        return Scene(plan, next(_generations), zone_contexts(plan, self.wall, self.loaded.config.viewing_distance_m),
                     transition=plan.transition)

    def set_scenario(self, name: str | ScenarioPlan) -> None:
        """Show a scenario from the next frame on, at once: its zones start empty and fill in as
        their paints arrive. For renders and tools; a live wall changes with prepare()."""
        plan = self.loaded.scenarios[name] if isinstance(name, str) else name
        if self.scene is not None:
            self.scene.release()
        self.drop_pending()
        self.transition = None
        self.scene = self._scene(plan)
        self.compositor.set_zones(list(plan.layout.zones), rgba(plan.theme.background))

    def prepare(self, name: str | ScenarioPlan, t: datetime, transition: Any = None, zoom_rect: Any = None) -> None:
        """Start preparing a scenario: its zones are painted and uploaded while the current one is
        still shown; the frame in which the last one arrives shows the new scenario whole
        (two-phase switch). `transition` overrides the scenario's own; zoom_rect: a spotlight."""
        import time as _time

        plan = self.loaded.scenarios[name] if isinstance(name, str) else name
        if self.scene is None:
            self.set_scenario(plan)
            return
        self.drop_pending()
        scene = self._scene(plan)
        scene.prepared_at = _time.perf_counter()
        if transition is not None:
            scene.transition = transition
        scene.zoom_rect = zoom_rect
        # zones that show exactly the same thing at the same place keep their texture, unpainted
        current = self.scene
        reuse = set()
        for z in plan.layout.zones:
            old_zone = current.plan.layout.zone(z.id) if z.id in current.plan.layout.ids else None
            if (old_zone is not None and old_zone.rect == z.rect and z.id in current.requested
                    and current.plan.bindings.get(z.id) == plan.bindings.get(z.id)
                    and current.plan.theme == plan.theme and z.id not in current.errors):
                reuse.add(z.id)
                scene.requested[z.id] = current.requested[z.id]
                scene.shown_seq[z.id] = current.shown_seq.get(z.id, 0)
        self.compositor.begin_pending(list(plan.layout.zones), reuse)
        self.pending = scene
        scene.views = self._build(scene, t)
        self._send_paints(scene, scene.views)

    def drop_pending(self) -> None:
        if self.pending is not None:
            self.pending.release()
            self.pending = None
            self.compositor.drop_pending()

    def _commit(self, t: datetime, report: FrameReport) -> None:
        import time as _time

        scene = self.pending
        assert scene is not None and self.scene is not None
        kind = getattr(scene.transition, "kind", "cut") if scene.transition is not None else "cut"
        duration = float(getattr(scene.transition, "duration_s", 0.0) or 0.0) if scene.transition is not None else 0.0
        if scene.zoom_rect is not None:
            kind = scene.zoom_rect[0]
            duration = duration or 0.6
        animated = kind != "cut" and duration > 0
        self.compositor.commit_pending(rgba(scene.plan.theme.background), keep_old=animated)
        self.scene.release()
        self.scene, self.pending = scene, None
        self.transition = (ActiveTransition(kind, t, duration, scene.zoom_rect[1] if scene.zoom_rect else None)
                           if animated else None)
        report.committed = scene.plan.name
        self.last_switch = {"scenario": scene.plan.name, "frame_time": t.isoformat(),
                            "prepare_ms": round((_time.perf_counter() - scene.prepared_at) * 1000, 1),
                            "transition": kind, "transition_s": duration}

    # ------------------------------------------------------------------ presentation

    def freeze(self, on: bool, t: datetime | None = None) -> None:
        """Freeze: what the feeds show stops changing (their snapshots and the time their widgets
        read, for ages and paging, are kept as at `t`); clocks, tickers and transitions go on."""
        self.frozen = {} if on else None
        self.frozen_at = t if on else None

    # ------------------------------------------------------------------ frame

    def _data(self, feed: str | None, t: datetime, plan: ScenarioPlan):
        if feed is None:
            return None
        if self.frozen is not None:
            if feed not in self.frozen:
                self.frozen[feed] = self.store.snapshot(feed, t)
            data = self.frozen[feed]
        else:
            data = self.store.snapshot(feed, t)
        if data is not None and self.moderator is not None:
            data = self.moderator.filter(data, plan)  # a blocked post never reaches a painter
        return data

    def _build(self, scene: Scene, t: datetime) -> dict[str, tuple[str, Any]]:
        views = {}
        for zone_id, base in scene.contexts.items():
            binding = active_binding(scene.plan.bindings[zone_id], t)  # a playlist's current item
            # frozen: a zone showing a feed stays as it was (its data and its notion of "now")
            t_zone = self.frozen_at if (self.frozen is not None and binding.feed and self.frozen_at) else t
            try:
                ctx = dataclasses.replace(base, time=t_zone, data=self._data(binding.feed, t_zone, scene.plan))
                view = widget(binding.widget).build(binding, ctx)
            except Exception as exc:  # a zone's failure stays in its zone
                log.exception("zone %s: %s failed to build its view", zone_id, binding.widget)
                view = ErrorView(binding.widget, f"{type(exc).__name__}: {exc}")
            views[zone_id] = (binding.widget, view)
        return views

    def build_views(self, t: datetime) -> dict[str, tuple[str, Any]]:
        assert self.scene is not None
        return self._build(self.scene, t)

    def _send_paints(self, scene: Scene, views: dict[str, tuple[str, Any]]) -> int:
        sent = 0
        for zone_id, (widget_name, view) in views.items():
            if scene.requested.get(zone_id) == view:
                continue
            if zone_id in scene.gl_failed:
                if scene.gl_failed[zone_id] == view:
                    continue  # its error card stays until the content changes; then GL gets another try
                del scene.gl_failed[zone_id]
            self._seq += 1
            ctx = scene.contexts[zone_id]
            self.pool.submit(PaintJob(zone_id, widget_name, view, ctx.width, ctx.height, self._seq, scene.generation))
            scene.requested[zone_id] = view
            sent += 1
        return sent

    def _take_results(self) -> None:
        scenes = {s.generation: s for s in (self.scene, self.pending) if s is not None}
        for result in self.pool.collect():
            job = result.job
            scene = scenes.get(job.generation)
            if scene is None or job.seq <= scene.shown_seq.get(job.zone_id, 0):
                result.release()
                continue
            newest = scene.waiting.get(job.zone_id)
            if newest is not None and newest.job.seq > job.seq:
                result.release()
                continue
            if newest is not None:
                newest.release()
            if result.error:
                if job.zone_id not in scene.gl_failed:  # keep the GL failure's own words
                    scene.errors[job.zone_id] = result.error
            else:
                scene.errors.pop(job.zone_id, None)
            scene.waiting[job.zone_id] = result

    def _upload(self, scene: Scene, budget: int | None, pending: bool = False) -> tuple[int, int]:
        uploads = sent = 0
        for zone_id in sorted(scene.waiting, key=lambda z: scene.waiting[z].job.seq):
            result = scene.waiting[zone_id]
            if budget is not None and uploads > 0 and sent + result.pixels.nbytes > budget:
                break  # the rest waits for the next frame; at least one upload always happens
            strip = result.error is None and scrolls(result.job.widget)
            try:
                sent += self.compositor.upload(zone_id, result.pixels, strip=strip, pending=pending)
            except Exception as exc:  # a GL failure (out of memory, a lost texture) stays in its zone
                self._upload_failed(scene, result, exc)
            scene.shown_seq[zone_id] = result.job.seq
            uploads += 1
            result.release()
            del scene.waiting[zone_id]
        return uploads, sent

    def _upload_failed(self, scene: Scene, result: PaintResult, exc: Exception) -> None:
        """Show the zone's error card instead of its content (painted like any view, off-thread)."""
        job = result.job
        message = f"GPU upload failed: {type(exc).__name__}: {exc}"
        if isinstance(job.view, ErrorView):
            # even the error card cannot be uploaded: the zone keeps what it showed; say so once
            if scene.errors.get(job.zone_id) != message:
                log.error("zone %s: %s (the error card too; the zone keeps its last picture)", job.zone_id, message)
            scene.errors[job.zone_id] = message
            return
        log.error("zone %s: %s; showing its error card", job.zone_id, message)
        scene.errors[job.zone_id] = message
        if scene is self.scene:
            self.compositor.reset_zone(job.zone_id)
        scene.gl_failed[job.zone_id] = scene.requested.get(job.zone_id)
        self._seq += 1
        view = ErrorView(job.widget, "GPU upload failed", f"{type(exc).__name__}: {exc}")
        scene.requested[job.zone_id] = view
        self.pool.submit(PaintJob(job.zone_id, job.widget, view, job.width, job.height, self._seq, scene.generation))

    def _scroll(self, t: datetime) -> None:
        """Per-frame motion of scrolling widgets: an offset, a pure function of t, no repaint."""
        assert self.scene is not None
        for zone_id, (widget_name, view) in self.scene.views.items():
            module = widget(widget_name)
            scroll = getattr(module, "scroll", None)
            if scroll is None or isinstance(view, ErrorView):
                continue
            try:
                offset = scroll(view, dataclasses.replace(self.scene.contexts[zone_id], time=t))
            except Exception:
                log.exception("zone %s: scroll failed", zone_id)
                continue
            self.compositor.scroll(zone_id, offset)

    def _moderation_changed(self, views: dict[str, tuple[str, Any]]) -> None:
        """An operator hid or blocked something: every zone whose content changes because of it is
        blanked in this very frame (its repaint arrives a frame or two later), so a hidden post is
        off every screen within one frame."""
        version = getattr(self.moderator, "version", None)
        if version == self._moderation_version:
            return
        first = self._moderation_version is None
        self._moderation_version = version
        if first or self.scene is None:
            return
        for zone_id, (_, view) in views.items():
            shown = self.scene.requested.get(zone_id)
            # only what takes something away (hide, block) must not wait; an approval may arrive late
            if shown != view and _identities(shown) - _identities(view):
                self.compositor.blank_zone(zone_id)

    def _post(self, t: datetime):
        from .compositor import PostEffects

        post = PostEffects(gain=self.night[0], shift=self.night[1])
        if self.transition is not None:
            p = self.transition.progress(t)
            if p >= 1.0:
                self.transition = None
            else:
                post.kind, post.progress, post.rect = self.transition.kind, p, self.transition.rect
        return post

    def frame(self, t: datetime) -> FrameReport:
        """Render the frame for time `t`. Never waits for paints."""
        return self._render(t, self.upload_budget, wait=None)

    def settle(self, t: datetime, timeout: float = 120.0) -> FrameReport:
        """Render `t` completely: wait for every paint, upload everything, composite.

        For deterministic renders (`wallctl render`) and for the first frame of a live wall, so it
        opens on a complete picture. The live loop never calls this between frames."""
        return self._render(t, None, wait=timeout)

    def _render(self, t: datetime, budget: int | None, wait: float | None) -> FrameReport:
        assert self.scene is not None
        report = FrameReport()
        self.scene.views = self.build_views(t)
        if self.moderator is not None:
            self._moderation_changed(self.scene.views)
        report.painted = self._send_paints(self.scene, self.scene.views)
        if self.pending is not None:
            self.pending.views = self._build(self.pending, t)
            report.painted += self._send_paints(self.pending, self.pending.views)
        if wait is not None:
            self.pool.wait(wait)
        self._take_results()
        report.uploads, report.uploaded_bytes = self._upload(self.scene, budget)
        if self.pending is not None:
            # the scenario being prepared gets what the shown one left of the budget (at least one upload)
            left = None if budget is None else max(1, budget - report.uploaded_bytes)
            uploads, sent = self._upload(self.pending, left, pending=True)
            report.uploads += uploads
            report.uploaded_bytes += sent
            if not self.compositor.pending_missing() and not self.pending.waiting:
                self._commit(t, report)
        self._scroll(t)
        report.compose = self.compositor.compose(self._post(t))
        report.waiting = len(self.scene.waiting)
        report.in_flight = self.pool.in_flight
        return report

    def close(self) -> None:
        for scene in (self.scene, self.pending):
            if scene is not None:
                scene.release()
        self.compositor.release()
