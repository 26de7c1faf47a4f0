"""A running wall: config + GL context + paint workers + engine + frame loop, wired together.

The CLI's `run`, `render`, `bench` and `demo` all go through here, so what a test renders is
what the room sees.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from .config.loader import LoadedConfig, ScenarioPlan
from .config.schema import WindowConfig
from .geometry import Rect, Wall
from .layout import ResolvedLayout, Zone
from .outputs.base import OutputBackend
from .outputs.registry import make_backend
from .render import gl
from .render.engine import Engine, FrameReport
from .render.frame_loop import Clock, FrameLoop
from .render.paint_pool import PaintPool
from .render.snapshot import write_snapshot, write_state
from .store import Store
from .widgets.registry import widget

log = logging.getLogger("wall")

PATTERNS = ("bezel", "grid")


def pattern_plan(loaded: LoadedConfig, pattern: str) -> ScenarioPlan:
    """A scenario of one full-canvas zone showing a test pattern (for `--pattern`)."""
    zone = Zone("pattern", Rect(0, 0, loaded.wall.canvas_w, loaded.wall.canvas_h), 0)
    binding = widget("testpattern").Options(widget="testpattern", pattern=pattern)
    return ScenarioPlan(f"pattern:{pattern}", "pattern", ResolvedLayout((zone,), ()), {"pattern": binding},
                        loaded.config.theme)


def feed_specs(loaded: LoadedConfig) -> list:
    """The config's network feeds as poller specs, secrets resolved from the environment."""
    from feeds.poller import FeedSpec
    from feeds.registry import is_polled

    from .config.base import resolve_env_ref

    base = loaded.path.resolve().parent

    def options(raw: dict) -> dict:
        # a file an adapter reads (a replay's recording) is named relative to the config file
        opts = dict(raw)
        path = opts.get("path")
        if isinstance(path, str) and not path.startswith(("/", "asset:")) and "://" not in path:
            opts["path"] = str((base / path).resolve())
        return opts

    return [
        FeedSpec(feed_id, fc.adapter, fc.poll_s, options(fc.options),
                 {name: resolve_env_ref(ref) for name, ref in fc.credentials.items()})
        for feed_id, fc in loaded.config.feeds.items()
        if is_polled(fc.adapter)
    ]


@dataclass
class WallRuntime:
    loaded: LoadedConfig
    backend_name: str = "headless"
    workers: int | None = None
    # `window:` of the config, possibly with the mode forced from the command line
    window: "WindowConfig | None" = None
    # the feeds' data; None: an in-memory store (what `render` and tests use). A store given here
    # belongs to the runtime from then on: close() closes it, which writes its last changes to disk.
    store: Store | None = None
    backend: OutputBackend = field(init=False)
    engine: Engine = field(init=False)
    pool: PaintPool = field(init=False)

    def __post_init__(self) -> None:
        self.backend = make_backend(self.backend_name, self.loaded.wall, self.window or self.loaded.config.window)
        ctx = self.backend.create_context()
        self.ctx = ctx
        self.pool = PaintPool(self.workers)
        self.engine = Engine(self.loaded, ctx, self.pool, store=self.store)
        self.store = self.engine.store
        self.scenario: str | None = None
        self.keys: list[str] = []

    def use_scenario(self, name: str) -> None:
        self.engine.set_scenario(name)
        self.scenario = name

    def use_pattern(self, pattern: str) -> None:
        plan = pattern_plan(self.loaded, pattern)
        self.loaded.scenarios[plan.name] = plan
        self.use_scenario(plan.name)

    def set_wall(self, wall: Wall) -> None:
        """Show the same displays placed anew (calibrate: other bezels move the viewports). The GL
        context, backend, paint workers and store stay; the engine, whose compositor holds the old
        viewports, is rebuilt. A test pattern in use is planned again for the new canvas; any other
        scenario was resolved against the old wall, so the caller chooses what to show next."""
        shown = self.scenario
        self.loaded = dataclasses.replace(self.loaded, wall=wall, scenarios=dict(self.loaded.scenarios))
        self.engine.close()
        self.engine = Engine(self.loaded, self.ctx, self.pool, store=self.store)
        self.scenario = None
        if shown is not None and shown.startswith("pattern:"):
            self.use_pattern(shown.split(":", 1)[1])

    def render_at(self, t: datetime) -> dict[str, np.ndarray]:
        """Everything painted and composited for time t; each display's native pixels."""
        self.engine.settle(t)
        gl.check(self.ctx, "compositing")
        return {d.id: self.engine.compositor.read_output(d.id).copy() for d in self.loaded.wall.displays}

    def snapshot(self, t: datetime, out_dir: Path) -> list[Path]:
        written = write_snapshot(out_dir, self.loaded.wall, self.render_at(t))
        plan = self.engine.plan
        assert plan is not None
        zones = {z.id: z.rect.as_dict() for z in plan.layout.zones}
        state = out_dir / "state.json"
        write_state(state, plan.name, t, zones, self.engine.views)
        return written + [state]

    def frame(self, t: datetime) -> FrameReport:
        """One frame: every display composited for time t, then all presented; then window events
        (keys are kept in `self.keys` for whoever drives the run: calibrate, identify)."""
        report = self.engine.frame(t)
        self.backend.present(self.engine.compositor)
        self.keys.extend(self.backend.poll())
        return report

    def start_feeds(self) -> None:
        """Poll every network feed in the background into the store (the live wall; `render`
        never polls: it shows what the store holds)."""
        from feeds.poller import Poller

        self.polling = True  # this run polls (a reload that changes the feeds restarts the poller)
        specs = feed_specs(self.loaded)
        if specs and getattr(self, "poller", None) is None:
            self.poller = Poller(specs, self.store)
            self.poller.start()

    def loop(self, clock: Clock | None = None) -> FrameLoop:
        return FrameLoop(self.loaded.config.fps, clock)

    def close(self) -> None:
        poller = getattr(self, "poller", None)
        if poller is not None:
            poller.stop()
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
