"""One frame of the wall: the views it is given -> paints off-thread -> uploads -> composite.

The engine only draws. What each zone shows comes from the scenes stage (wall/scenes/views.py) as
a `SceneFrame` per scenario on the wall; the engine sends a view that differs from the last one
requested for its zone to the paint pool, uploads finished paints within a per-frame byte budget
(a burst of new content spreads over frames instead of dropping one), and the compositor redraws
only the zones whose texture changed. It never waits: `frame` returns whatever has arrived.

Scenario changes are two-phase. prepare() starts a second *scene* (a plan and the paint
bookkeeping of its zones) whose zones are painted and uploaded while the current scene is still
shown; the frame in which the last of its zones has arrived commits it (no frame is ever half old,
half new, and no zone flashes empty), and a transition, a function of the frame's time, runs from
there.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import moderngl

from ..colors import rgba
from ..config.loader import ScenarioPlan
from ..config.schema import TransitionConfig
from ..geometry import Rect, Wall
from ..layout import Zone
from ..paint.error_card import ErrorView
from ..paint.text import TextBox
from ..scenes.director import Zoom
from ..scenes.schedule import NightState
from ..scenes.views import SceneFrame
from ..widgets.registry import scrolls
from .compositor import ComposeStats, Compositor, PostEffects
from .paint_pool import PaintJob, PaintPool, PaintResult

log = logging.getLogger("wall.render")

# Enough for two full-HD zones per frame; llvmpipe uploads ~3 GB/s, so about 8 ms at most.
DEFAULT_UPLOAD_BUDGET = 16 * 1024 * 1024
TARGETS_S_PER_FRAME = 0.008  # of a frame preparing a switch: making its transition's targets
SPOTLIGHT_S = 0.6  # a spotlight's zoom, when the scenario it grows in has no transition of its own

# Layout generations are unique across engines, so paints still in flight from an engine that
# shared the pool (a reload, a test) can never be mistaken for current ones.
_generations = itertools.count(1)


@dataclass
class FrameReport:
    committed: str | None = None  # the scenario this frame switched to (its first frame)
    prepare_ms: float | None = None  # with committed: how long the switch took to prepare
    # with committed: frames from the one in which the last of its paints arrived to this one (0: the same)
    frames_after_painted: int | None = None
    painted: int = 0  # paints sent to workers
    uploads: int = 0
    uploaded_bytes: int = 0
    waiting: int = 0  # finished paints held back by the upload budget
    in_flight: int = 0
    compose: ComposeStats = field(default_factory=ComposeStats)


@dataclass
class Scene:
    """One scenario being shown (or prepared): its plan and the paint bookkeeping of its zones."""

    plan: ScenarioPlan
    generation: int
    sizes: dict[str, tuple[int, int]]  # zone -> its texture's size in px (the zone's rectangle)
    # zone -> the pieces of it each panel shows (zone px), for zones across bezels: their text is
    # laid out inside them. Once per scene, never per frame.
    parts: dict[str, tuple[Rect, ...]] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)  # zone -> quarter turns of its pictures (see PaintJob)
    text_boxes: dict[str, list[TextBox]] = field(default_factory=dict)  # zone -> text of the paint on screen
    requested: dict[str, Any] = field(default_factory=dict)  # zone -> last view sent to paint
    shown_seq: dict[str, int] = field(default_factory=dict)  # zone -> seq of the paint on screen
    waiting: dict[str, PaintResult] = field(default_factory=dict)  # zone -> newest finished paint not uploaded
    errors: dict[str, str] = field(default_factory=dict)  # zone -> last build/paint/GL error
    # zone -> the view whose upload failed in GL: not re-sent until the zone's view changes
    gl_failed: dict[str, Any] = field(default_factory=dict)
    # zone -> the view whose paint was lost with its worker and sent again (once per view: a view
    # that takes every worker down with it stays an error card until the content changes)
    retried: dict[str, Any] = field(default_factory=dict)
    transition: TransitionConfig | None = None  # None: a cut
    zoom: Zoom | None = None  # spotlight: the zone's rectangle the picture grows from / shrinks to
    prepared_at: float = 0.0  # perf_counter when prepare() started (switch latency)
    # a room over several machines commits every node on one announced frame: held until released,
    # then committed on the first complete frame whose time is >= commit_at
    held: bool = False
    commit_at: datetime | None = None
    painted_frame: int | None = None  # the engine's frame in which every zone's paint had arrived

    def painted(self) -> bool:
        """Every zone has its picture, uploaded or waiting to be."""
        return all(z in self.waiting or self.shown_seq.get(z, 0) > 0 for z in self.sizes)

    def release(self) -> None:
        for result in self.waiting.values():
            result.release()
        self.waiting.clear()


@dataclass
class ActiveTransition:
    kind: str
    start: datetime
    duration_s: float
    rect: Rect | None = None

    def progress(self, t: datetime) -> float:
        if self.duration_s <= 0:
            return 1.0
        p = (t - self.start).total_seconds() / self.duration_s
        p = max(0.0, min(1.0, p))
        return p * p * (3 - 2 * p)  # smoothstep: eases in and out


class Engine:
    def __init__(
        self,
        wall: Wall,
        ctx: moderngl.Context,
        pool: PaintPool,
        background: str,
        upload_budget: int = DEFAULT_UPLOAD_BUDGET,
    ):
        self.wall = wall
        self.ctx = ctx
        self.pool = pool
        self.upload_budget = upload_budget
        self.compositor = Compositor(ctx, wall, rgba(background))
        self.scene: Scene | None = None
        self.pending: Scene | None = None
        self.transition: ActiveTransition | None = None
        self._seq = 0
        self.frames = 0  # frames rendered (the switch's figures count in them)
        self.last_switch: dict[str, Any] | None = None  # how long the last prepared switch took

    @property
    def plan(self) -> ScenarioPlan | None:
        """The scenario on screen."""
        return self.scene.plan if self.scene else None

    @property
    def pending_plan(self) -> ScenarioPlan | None:
        """The scenario being prepared, if any."""
        return self.pending.plan if self.pending else None

    @property
    def errors(self) -> dict[str, str]:
        return self.scene.errors if self.scene else {}

    @property
    def text_boxes(self) -> dict[str, list[TextBox]]:
        """Zone -> the boxes of the text its picture on screen has (zone px): for state.json."""
        return self.scene.text_boxes if self.scene else {}

    # ------------------------------------------------------------------ scenario

    def _zones(self, plan: ScenarioPlan) -> list[Zone]:
        """The plan's zones that show something (a layout zone no widget is bound to stays background:
        waiting for its paint would hold a switch forever) on some output of this engine (a node of a
        room drives a few of the wall's displays: the other zones are neither painted nor uploaded)."""
        return [
            z
            for z in plan.layout.zones
            if z.id in plan.bindings and any(_overlap(z.rect, d.viewport) for d in self.wall.displays)
        ]

    def _scene(self, plan: ScenarioPlan) -> Scene:
        zones = [z for z in self._zones(plan) if z.id in plan.bindings]
        sizes = {z.id: (z.rect.w, z.rect.h) for z in zones}
        parts = {z.id: self.wall.visible_parts(z.rect) for z in zones}
        turns = {z.id: t for z in zones if (t := self.compositor.turn_for(z.rect))}
        return Scene(
            plan,
            next(_generations),
            sizes,
            {z: p for z, p in parts.items() if p},
            transition=plan.transition,
            turns=turns,
        )

    def show(self, plan: ScenarioPlan) -> None:
        """Show a scenario from the next frame on, at once: its zones start empty and fill in as
        their paints arrive. For renders and tools, and a live wall's first frame; a live wall
        changes with prepare()."""
        if self.scene is not None:
            self.scene.release()
        self.drop_pending()
        self.transition = None
        self.scene = self._scene(plan)
        self.compositor.set_zones(self._zones(plan), rgba(plan.theme.background))

    def prepare(
        self,
        plan: ScenarioPlan,
        transition: TransitionConfig | None = None,
        zoom: Zoom | None = None,
        *,
        held: bool = False,
    ) -> None:
        """Start preparing a scenario: its zones are painted and uploaded while the current one is
        still shown; the frame in which the last one arrives shows the new scenario whole
        (two-phase switch). `transition` overrides the scenario's own; zoom: a spotlight's motion.
        held: prepared but not committed until `release` says when (a node of a room)."""
        if self.scene is None:
            self.show(plan)
            return
        self.drop_pending()
        scene = self._scene(plan)
        scene.prepared_at = time.perf_counter()
        scene.held = held
        if transition is not None:
            scene.transition = transition
        scene.zoom = zoom
        # zones that show exactly the same thing at the same place keep their texture, unpainted
        current = self.scene
        reuse = set()
        zones = self._zones(plan)
        for z in zones:
            old_zone = current.plan.layout.zone(z.id) if z.id in current.plan.layout.ids else None
            if (
                old_zone is not None
                and old_zone.rect == z.rect
                and z.id in current.requested
                and current.plan.bindings.get(z.id) == plan.bindings.get(z.id)
                and current.plan.theme == plan.theme
                and z.id not in current.errors
            ):
                reuse.add(z.id)
                scene.requested[z.id] = current.requested[z.id]
                scene.shown_seq[z.id] = current.shown_seq.get(z.id, 0)
        self.compositor.begin_pending(zones, reuse)
        self.pending = scene

    def release(self, at: datetime | None) -> None:
        """Let a held switch commit on its first complete frame whose time is >= at (None: at once)."""
        if self.pending is not None:
            self.pending.held = False
            self.pending.commit_at = at

    def commit_due(self) -> datetime | None:
        """The frame time a released switch commits at (a room's announced frame), if one waits."""
        pending = self.pending
        return pending.commit_at if pending is not None and not pending.held else None

    @property
    def pending_ready(self) -> bool:
        """The scenario being prepared is painted and uploaded whole: it could be shown this frame."""
        return self.pending is not None and not self.pending.waiting and not self.compositor.pending_missing()

    def drop_pending(self) -> None:
        if self.pending is not None:
            self.pending.release()
            self.pending = None
            self.compositor.drop_pending()

    @staticmethod
    def _motion(scene: Scene) -> tuple[str, float]:
        """How a switch to `scene` moves: the transition's kind and its duration ("cut", 0: none,
        which a transition of no duration is too)."""
        kind: str = scene.transition.kind if scene.transition is not None else "cut"
        duration = float(scene.transition.duration_s) if scene.transition is not None else 0.0
        if scene.zoom is not None:
            kind = scene.zoom.kind
            duration = duration or SPOTLIGHT_S
        return (kind, duration) if duration > 0 else ("cut", 0.0)

    def _commit(self, t: datetime, report: FrameReport) -> None:
        scene = self.pending
        assert scene is not None and self.scene is not None
        kind, duration = self._motion(scene)
        animated = kind != "cut"
        self.compositor.commit_pending(rgba(scene.plan.theme.background), kind)
        self.scene.release()
        self.scene, self.pending = scene, None
        self.transition = (
            ActiveTransition(kind, t, duration, scene.zoom.rect if scene.zoom else None) if animated else None
        )
        report.committed = scene.plan.name
        report.prepare_ms = round((time.perf_counter() - scene.prepared_at) * 1000, 1)
        if scene.painted_frame is not None:
            report.frames_after_painted = self.frames - scene.painted_frame
        self.last_switch = {
            "scenario": scene.plan.name,
            "frame_time": t.isoformat(),
            "prepare_ms": report.prepare_ms,
            "frames_after_painted": report.frames_after_painted,
            "transition": kind,
            "transition_s": duration,
        }

    # ------------------------------------------------------------------ frame

    def _send_paints(self, scene: Scene, frame: SceneFrame) -> int:
        sent = 0
        for zone_id, (widget_name, view) in frame.views.items():
            if scene.requested.get(zone_id) == view or zone_id not in scene.sizes:
                continue
            if zone_id in scene.gl_failed:
                if scene.gl_failed[zone_id] == view:
                    continue  # its error card stays until the content changes; then GL gets another try
                del scene.gl_failed[zone_id]
            if isinstance(view, ErrorView):
                scene.errors[zone_id] = view.message
            self._seq += 1
            w, h = scene.sizes[zone_id]
            # a scrolling strip moves past the mullions by design: its text is not laid out around them
            strip = scrolls(widget_name)
            parts = () if strip else scene.parts.get(zone_id, ())
            turn = scene.turns.get(zone_id, 0)
            if strip and turn % 2 == 0:
                turn = 0  # a strip upside down is drawn (its copy would run backwards); a quarter turn is copied
            self.pool.submit(PaintJob(zone_id, widget_name, view, w, h, self._seq, scene.generation, parts, turn))
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
                if result.lost and scene.retried.get(job.zone_id) != job.view:
                    # its worker died (or hung) on it: the error card shows until the next worker
                    # paints it, not until the zone's content happens to change
                    scene.retried[job.zone_id] = job.view
                    if scene.requested.get(job.zone_id) == job.view:
                        del scene.requested[job.zone_id]
            elif not isinstance(job.view, ErrorView):
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
                sent += self.compositor.upload(
                    zone_id, result.pixels, strip=strip, pending=pending, turn=result.job.turn
                )
            except Exception as exc:  # a GL failure (out of memory, a lost texture) stays in its zone
                self._upload_failed(scene, result, exc)
            scene.shown_seq[zone_id] = result.job.seq
            scene.text_boxes[zone_id] = result.text_boxes
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
        self.pool.submit(
            PaintJob(
                job.zone_id, job.widget, view, job.width, job.height, self._seq, scene.generation, job.parts, job.turn
            )
        )

    def _post(self, t: datetime, night: NightState | None) -> PostEffects:
        post = PostEffects(gain=night.level, shift=night.shift) if night is not None else PostEffects()
        if self.transition is not None:
            p = self.transition.progress(t)
            if p >= 1.0:
                self.transition = None
            else:
                post.kind, post.progress, post.rect = self.transition.kind, p, self.transition.rect
        return post

    def frame(
        self, t: datetime, shown: SceneFrame, pending: SceneFrame | None = None, night: NightState | None = None
    ) -> FrameReport:
        """Render the frame for time `t` from the views of the scenario shown and of the one being
        prepared (if any). Never waits for paints."""
        return self._render(t, shown, pending, night, self.upload_budget, wait=None)

    def settle(
        self,
        t: datetime,
        shown: SceneFrame,
        pending: SceneFrame | None = None,
        night: NightState | None = None,
        timeout: float = 120.0,
    ) -> FrameReport:
        """Render `t` completely: wait for every paint, upload everything, composite.

        For deterministic renders (`wallctl render`) and for the first frame of a live wall, so it
        opens on a complete picture. The live loop never calls this between frames."""
        return self._render(t, shown, pending, night, None, wait=timeout)

    def _render(
        self,
        t: datetime,
        shown: SceneFrame,
        pending: SceneFrame | None,
        night: NightState | None,
        budget: int | None,
        wait: float | None,
    ) -> FrameReport:
        assert self.scene is not None and shown.plan is self.scene.plan, "views of the scenario on screen"
        report = FrameReport()
        self.frames += 1
        for zone_id in shown.withdrawn:  # an operator took something away: off the screen now
            if self.scene.requested.get(zone_id) != shown.views[zone_id].view:
                self.compositor.blank_zone(zone_id)
        report.painted = self._send_paints(self.scene, shown)
        preparing = (
            self.pending
            if pending is not None and self.pending is not None and pending.plan is self.pending.plan
            else None
        )
        if preparing is not None:
            assert pending is not None
            report.painted += self._send_paints(preparing, pending)
        if wait is not None:
            self.pool.wait(wait)
        self._take_results()
        report.uploads, report.uploaded_bytes = self._upload(self.scene, budget)
        moving = shown
        if preparing is not None and preparing.painted_frame is None and preparing.painted():
            preparing.painted_frame = self.frames
        if preparing is not None:
            assert pending is not None
            # the scenario being prepared gets what the shown one left of the budget (at least one
            # upload); once every zone is painted, all of it goes up this frame: the switch shows in
            # the frame its last paint arrives, not a few frames later at the budget's pace
            complete = preparing.painted_frame is not None
            left = None if budget is None or complete else max(1, budget - report.uploaded_bytes)
            uploads, sent = self._upload(preparing, left, pending=True)
            report.uploads += uploads
            report.uploaded_bytes += sent
            kind, _ = self._motion(preparing)
            # zones whose pixels only their panels' pictures hold get their textures back first (the
            # commit draws every panel again, a slide copies the zones it leaves)
            self.compositor.ready_zones(None if budget is None else TARGETS_S_PER_FRAME, kind)
            if kind != "cut":
                # the transition's targets are made on the frames the switch is prepared in, a few
                # ms of each, so that none of its own frames waits for an allocation
                self.compositor.ready_targets(None if budget is None else TARGETS_S_PER_FRAME, kind)
            due = not preparing.held and (preparing.commit_at is None or t >= preparing.commit_at)
            if due and not self.compositor.pending_missing() and not preparing.waiting:
                self._commit(t, report)
                moving = pending
        for zone_id, offset in moving.scroll.items():  # per-frame motion: an offset, no repaint
            self.compositor.scroll(zone_id, offset)
        report.compose = self.compositor.compose(self._post(t, night))
        report.waiting = len(self.scene.waiting)
        report.in_flight = self.pool.in_flight
        return report

    def close(self) -> None:
        for scene in (self.scene, self.pending):
            if scene is not None:
                scene.release()
        self.compositor.release()


def _overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h
