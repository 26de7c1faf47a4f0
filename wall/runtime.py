"""A running wall's parts, built in one place: config, output backend and its GL context, paint
workers, the store, the scenes stage (views) and the engine, and the frame that runs through them.

The CLI's `run`, `render`, `bench` and `demo`, the installer's tools and the live wall (wall/live.py)
all go through here, so what a test renders is what the room sees. One frame, on the render thread:

    direction (what to show: the director's, or the scenario a render chose)
      -> SceneViews.frame(plan, t)        views of the scenario shown (and of one being prepared)
      -> Engine.frame(t, shown, pending)  paints sent off-thread, uploads, composite
      -> backend.present()                the screens

The runtime owns what it is given: `close()` stops the poller, the paint workers and the GL context,
and closes the store (which writes its last changes to disk).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import moderngl
import numpy as np

from feeds.model import Post
from feeds.poller import FeedSpec, Poller, PollOutcome, poll_every_feed_once
from feeds.registry import is_polled

from .config.base import resolve_env_ref
from .config.loader import LoadedConfig, ScenarioPlan
from .config.schema import TransitionConfig, WindowConfig
from .geometry import Rect, Wall
from .layout import ResolvedLayout, Zone
from .memory import give_back_memory
from .moderation import Moderator
from .outputs.base import OutputBackend
from .outputs.registry import make_backend
from .render import gl
from .render.engine import Engine, FrameReport
from .render.frame_loop import Clock, FrameLoop, FrameTimes
from .render.paint_pool import PaintPool
from .render.snapshot import write_snapshot, write_state
from .scenes.director import Direction
from .scenes.schedule import NightState
from .scenes.views import SceneFrame, SceneViews, ZoneView
from .store import Store
from .widgets.registry import widget

log = logging.getLogger("wall")

PATTERNS = ("bezel", "grid")


def pattern_plan(loaded: LoadedConfig, pattern: str) -> ScenarioPlan:
    """A scenario of one full-canvas zone showing a test pattern (for `--pattern`)."""
    zone = Zone("pattern", Rect(0, 0, loaded.wall.canvas_w, loaded.wall.canvas_h), 0)
    binding = widget("testpattern").Options.model_validate({"widget": "testpattern", "pattern": pattern})
    return ScenarioPlan(
        f"pattern:{pattern}", "pattern", ResolvedLayout((zone,), ()), {"pattern": binding}, loaded.config.theme
    )


def feed_specs(loaded: LoadedConfig) -> list[FeedSpec]:
    """The config's network feeds as poller specs, secrets resolved from the environment."""
    base = loaded.path.resolve().parent

    def options(raw: dict) -> dict:
        # a file an adapter reads (a replay's recording) is named relative to the config file
        opts = dict(raw)
        path = opts.get("path")
        if isinstance(path, str) and not path.startswith(("/", "asset:")) and "://" not in path:
            opts["path"] = str((base / path).resolve())
        return opts

    return [
        FeedSpec(
            feed_id,
            fc.adapter,
            fc.poll_s,
            options(fc.options),
            {name: resolve_env_ref(ref) for name, ref in fc.credentials.items()},
        )
        for feed_id, fc in loaded.config.feeds.items()
        if is_polled(fc.adapter)
    ]


class WallRuntime:
    """The parts of one wall process. `store`: one already opened (it belongs to the runtime from
    then on); otherwise one is opened at `store_path` (None: in memory, as renders and tests use).
    `moderator`: every zone's data goes through it (None: renders, which are previews for people
    setting a wall up, and installer tools)."""

    def __init__(
        self,
        loaded: LoadedConfig,
        backend_name: str = "headless",
        *,
        workers: int | None = None,
        pool: PaintPool | None = None,
        window: WindowConfig | None = None,
        store: Store | None = None,
        store_path: Path | None = None,
        moderator: Moderator | None = None,
    ):
        self.loaded = loaded
        self.backend: OutputBackend = make_backend(backend_name, loaded.wall, window or loaded.config.window)
        self.ctx: moderngl.Context = self.backend.create_context()
        self.pool = pool if pool is not None else PaintPool(workers)  # given: started early by the caller
        self.moderator = moderator
        if store is None:
            # new posts' text is normalised for the blocklists where posts arrive (the poller's
            # thread), not on the render thread
            store = Store.from_config(
                loaded.config, path=store_path, on_new_posts=moderator.prime if moderator is not None else None
            )
        self.store: Store = store
        self._size_moderator()
        if moderator is not None:  # what a restart brings back from disk, once, before the first frame
            moderator.prime(p for fid in store.feed_ids() for p in _restored_posts(store, fid))
        self.scenes = SceneViews(loaded, store, moderator)
        self.engine = Engine(loaded.wall, self.ctx, self.pool, loaded.config.theme.background)
        self.poller: Poller | None = None
        self.polling = False  # whether this run polls its feeds (a reload restarts the poller then)
        self.scenario: str | None = None  # the scenario a render or tool chose (use_scenario)
        self.keys: list[str] = []  # keys pressed on windowed backends, for whoever drives the run
        self.frame_times: FrameTimes | None = None  # the loop's, once one runs (see loop())
        self.shown: SceneFrame | None = None  # the views of the scenario on screen, as of the last frame
        self.night: NightState | None = None
        self.frozen_at: datetime | None = None
        self._switch_applied = 0

    # ------------------------------------------------------------------ what is shown

    def use_scenario(self, name: str) -> None:
        """Show a scenario of the config at once (renders and tools; a live wall switches through
        its director)."""
        self.engine.show(self.loaded.scenarios[name])
        self.scenario = name

    def use_pattern(self, pattern: str) -> None:
        plan = pattern_plan(self.loaded, pattern)
        self.loaded.scenarios[plan.name] = plan
        self.use_scenario(plan.name)

    def prepare(self, name: str, transition: TransitionConfig | None = None) -> None:
        """Switch to a scenario the way a live wall does: prepared while the current one shows,
        committed on the frame it is complete (see Engine.prepare)."""
        self.engine.prepare(self.loaded.scenarios[name], transition)

    def moderate_with(self, moderator: Moderator | None) -> None:
        """Filter every zone's data through this moderator from the next frame on."""
        self.moderator = moderator
        self._size_moderator()
        self.scenes.moderate_with(moderator)

    def _size_moderator(self) -> None:
        if self.moderator is not None:
            self.moderator.size_for(self.store.max_posts * max(1, len(self.store.feed_ids())))

    def follow(self, direction: Direction, *, held: bool = False) -> None:
        """Take a director's decision: a new switch is prepared (two-phase), night and freeze apply
        from this frame on. held: the switch waits for `engine.release` (a room's hub)."""
        if direction.switch != self._switch_applied:
            self._switch_applied = direction.switch
            self.engine.prepare(direction.plan, direction.transition, direction.zoom, held=held)
        self.night, self.frozen_at = direction.night, direction.frozen_at

    def open(self, direction: Direction, t: datetime) -> FrameReport:
        """A live wall's first frame: the director's opening scenario, complete."""
        self.engine.show(direction.plan)
        self._switch_applied = direction.switch
        self.night, self.frozen_at = direction.night, direction.frozen_at
        report = self.settle(t)
        # the first picture is up: what starting took (the shader compiler's code among it) goes back
        give_back_memory()
        return report

    def reconfigure(self, loaded: LoadedConfig) -> None:
        """A reloaded config with the same displays (render thread): the scenes stage reads its
        plans from now on; the engine keeps its textures until the director prepares the new plan."""
        self.loaded = loaded
        self._size_moderator()  # the store may hold more feeds now
        self.scenes.reconfigure(loaded)

    def set_wall(self, wall: Wall) -> None:
        """Show the same displays placed anew (calibrate: other bezels move the viewports). The GL
        context, backend, paint workers and store stay; the engine, whose compositor holds the old
        viewports, is rebuilt. A test pattern in use is planned again for the new canvas; any other
        scenario was resolved against the old wall, so the caller chooses what to show next."""
        shown = self.scenario
        self.loaded = dataclasses.replace(self.loaded, wall=wall, scenarios=dict(self.loaded.scenarios))
        self.scenes.reconfigure(self.loaded)
        self.engine.close()
        self.engine = Engine(wall, self.ctx, self.pool, self.loaded.config.theme.background)
        self.scenario = None
        self.shown = None
        if shown is not None and shown.startswith("pattern:"):
            self.use_pattern(shown.split(":", 1)[1])

    # ------------------------------------------------------------------ frames

    @property
    def views(self) -> Mapping[str, ZoneView]:
        """What every zone of the scenario on screen showed in the last frame."""
        return self.shown.views if self.shown is not None else {}

    def _scene_frames(self, t: datetime) -> tuple[SceneFrame, SceneFrame | None]:
        shown_plan, pending_plan = self.engine.plan, self.engine.pending_plan
        assert shown_plan is not None, "use_scenario() or open() first"
        shown = self.scenes.frame(shown_plan, t, self.frozen_at)
        pending = self.scenes.frame(pending_plan, t, self.frozen_at) if pending_plan is not None else None
        return shown, pending

    def _rendered(self, report: FrameReport, shown: SceneFrame, pending: SceneFrame | None) -> FrameReport:
        self.shown = pending if report.committed and pending is not None else shown
        return report

    def frame(self, t: datetime) -> FrameReport:
        """One frame: every display composited for time t, then all presented; then window events
        (keys are kept in `self.keys` for whoever drives the run: calibrate, identify)."""
        shown, pending = self._scene_frames(t)
        report = self._rendered(self.engine.frame(t, shown, pending, self.night), shown, pending)
        self.backend.present(self.engine.compositor)
        self.keys.extend(self.backend.poll())
        return report

    def settle(self, t: datetime) -> FrameReport:
        """Render t completely (every paint waited for and uploaded); nothing is presented. For
        renders, tests, and the first frame of a live wall."""
        shown, pending = self._scene_frames(t)
        return self._rendered(self.engine.settle(t, shown, pending, self.night), shown, pending)

    def render_at(self, t: datetime) -> dict[str, np.ndarray]:
        """Everything painted and composited for time t; each display's native pixels (the feeds'
        figures brought up to their last poll first: a render shows the data as it is)."""
        self.store.settle_figures()
        self.settle(t)
        gl.check(self.ctx, "compositing")
        return {d.id: self.engine.compositor.read_output(d.id).copy() for d in self.loaded.wall.displays}

    def snapshot(self, t: datetime, out_dir: Path) -> list[Path]:
        """The displays' PNGs, the wall's picture and state.json for time t, in out_dir."""
        written = write_snapshot(out_dir, self.loaded.wall, self.render_at(t))
        plan = self.engine.plan
        assert plan is not None
        zones = {z.id: z.rect.as_dict() for z in plan.layout.zones}
        state = out_dir / "state.json"
        write_state(state, plan.name, t, zones, self.views, self.engine.text_boxes)
        return written + [state]

    def loop(self, clock: Clock | None = None) -> FrameLoop:
        loop = FrameLoop(self.loaded.config.fps, clock)
        loop.keep = lambda: self.engine.commit_due()  # a room's switch is never skipped by a loop running behind
        self.frame_times = loop.times
        return loop

    # ------------------------------------------------------------------ feeds

    def poll_feeds_once(self, time_limit_s: float = 30.0) -> list[PollOutcome]:
        """One poll of every network feed into the store, all at once, before a render (`wallctl
        render --poll`): a new user's own config then shows its feeds' data, and each feed that
        failed shows as failing. Waits for the polls: never call it from a live wall's frame."""
        return poll_every_feed_once(feed_specs(self.loaded), self.store, time_limit_s=time_limit_s)

    def start_feeds(self) -> None:
        """Poll every network feed in the background into the store (the live wall; `render`
        shows what the store holds, after one poll of each feed with `--poll`)."""
        self.polling = True
        specs = feed_specs(self.loaded)
        if specs and self.poller is None:
            self.poller = Poller(specs, self.store)
            self.poller.start()

    def restart_feeds(self) -> None:
        """The poller again, with the config's feeds as they are now (off the render thread:
        stopping it waits for its thread). Cursors live in the store, so unchanged feeds resume
        where they were."""
        if not self.polling:
            return  # this run does not poll (a test harness that feeds the store itself)
        if self.poller is not None:
            self.poller.stop()
        self.poller = None
        self.start_feeds()

    # ------------------------------------------------------------------ the end

    def close(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        try:
            self.engine.close()
        finally:
            try:
                self.pool.close()
                # the context before the windows that hold it (a windowed backend's context dies with them)
                self.ctx.release()
                self.backend.close()
            finally:
                self.store.close()


def _restored_posts(store: Store, feed_id: str) -> tuple[Post, ...]:
    snap = store.snapshot(feed_id, datetime.now(UTC))
    return snap.posts if snap is not None else ()
