"""The live wall: runtime + director + control API + config watcher, as `wallctl run` starts it.

Threads: the render thread runs the frame loop (director.tick, engine frame, present); the poller
feeds the store; uvicorn serves the control API; a watcher re-reads the config file when it
changes. Only the render thread touches GL; the others talk to it through the director's queue.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from .config.base import resolve_env_ref
from .config.loader import LoadedConfig, load_config
from .director import Director
from .render.frame_loop import Clock, FrameLoop

log = logging.getLogger("wall.live")


def build_moderator(loaded: LoadedConfig, store_path: Path | None):
    """The moderator, its audit log and decisions next to the store (or where the config says);
    `--store none` keeps nothing of the run, decisions included."""
    from .moderation import Moderator, audit_path_for

    if loaded.config.moderation.audit_log:
        audit = audit_path_for(loaded)
    elif store_path is None:
        audit = None
    else:
        audit = Path(store_path).with_name(Path(store_path).stem + ".moderation.jsonl")
    return Moderator.from_config(loaded.config, audit)


def build_schedule(loaded: LoadedConfig):
    if loaded.config.schedule is None:
        return None
    from .schedule import Schedule

    return Schedule.from_config(loaded.config)  # the whole config: its default scenario while open


def build_alerts(loaded: LoadedConfig):
    if not loaded.config.alerts:
        return None
    from .alerts import AlertEngine

    return AlertEngine.from_config(loaded.config)


def _restored(store, feed_id: str):
    from datetime import timezone

    snap = store.snapshot(feed_id, datetime.now(timezone.utc))
    return snap.posts if snap is not None else ()


class ConfigWatcher:
    """Polls the config file's modification time; a change calls `on_change` (off the render thread)."""

    def __init__(self, path: Path, on_change, period: float = 1.0):
        self.path = path
        self.on_change = on_change
        self.period = period
        self._mtime = self._stat()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-config-watch", daemon=True)

    def _stat(self) -> float | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            now = self._stat()
            if now is not None and now != self._mtime:
                self._mtime = now
                try:
                    self.on_change("config file watcher")
                except ValueError as exc:
                    log.error("config change rejected, the wall keeps its running config:\n%s", exc)
                except Exception:
                    log.exception("config reload failed")

    def stop(self) -> None:
        self._stop.set()


class LiveWall:
    def __init__(self, runtime, store_path: Path | None = None, control_listen: str | None = None,
                 watch: bool = True):
        self.rt = runtime
        loaded = runtime.loaded
        self.store_path = store_path
        self.director = Director(runtime, moderator=build_moderator(loaded, store_path),
                                 schedule=build_schedule(loaded), alerts=build_alerts(loaded))
        runtime.engine.moderator = self.director.moderator
        # posts' text is normalised for the blocklists where posts arrive, not on the render thread
        store = runtime.store
        store.on_new_posts = self.director.moderator.prime
        self.director.moderator.prime(p for fid in store.feed_ids() for p in _restored(store, fid))
        self.director.reload_hook = self._apply_reload
        self.control = None
        self.control_url: str | None = None
        self.control_note: str | None = None
        self._control_listen = control_listen
        self.watcher = ConfigWatcher(loaded.path, self.reload) if watch else None
        self.loop: FrameLoop | None = None

    # ------------------------------------------------------------------ control API

    def start_control(self) -> None:
        from .control.server import ControlServer, ControlUnavailable, Tokens, create_app, parse_listen

        cfg = self.rt.loaded.config.control
        listen = self._control_listen or cfg.listen
        if listen in ("none", "off", ""):
            self.control_note = "control API off (--control none)"
            return
        operator = resolve_env_ref(cfg.operator_token) if cfg.operator_token else None
        viewer = resolve_env_ref(cfg.viewer_token) if cfg.viewer_token else None
        if not operator and not viewer:
            names = [r for r in (cfg.operator_token, cfg.viewer_token) if r]
            self.control_note = ("control API not started: no token is set"
                                 + (f" (set {' or '.join(n.strip('${}') for n in names)})" if names else
                                    " (give control.operator_token / viewer_token in the config)")
                                 + "; a wall's API is never open without one")
            log.warning(self.control_note)
            return
        try:
            host, port = parse_listen(listen)
        except ValueError as exc:
            raise ControlUnavailable(str(exc)) from None
        tokens = Tokens(operator, viewer)
        app = create_app(self.director, tokens, reload=self.reload, replay=self.replay)
        server = ControlServer(app, host, port)
        try:
            server.start()
        except ControlUnavailable as exc:
            # the wall itself must run even when its API cannot (a port taken by another wall)
            self.control_note = f"control API not started: {exc}"
            log.error(self.control_note)
            return
        self.control = server
        self.control_url = f"http://{host}:{self.control.port}"
        if not tokens.writable:
            self.control_note = (f"control API at {self.control_url} is READ-ONLY: "
                                 f"{(cfg.operator_token or 'an operator token').strip('${}')} is not set")
            log.warning(self.control_note)
        else:
            self.control_note = f"control API and console at {self.control_url}/"

    # ------------------------------------------------------------------ reload

    def reload(self, who: str = "operator") -> dict[str, Any]:
        """Re-read the config file (any thread but the render thread). Invalid: ValueError with every
        problem as file:line:col, the running config stays; valid: applied at the next frame."""
        from .config.errors import ConfigError

        path = self.rt.loaded.path
        try:
            new = load_config(path)
        except ConfigError as exc:
            message = "\n".join(str(p) for p in exc.problems)
            self.director.reload_error = message
            raise ValueError(f"config not reloaded, the wall keeps running the previous one:\n{message}") from None
        old = self.rt.loaded
        if [(_d.id, _d.resolution, _d.viewport, _d.rotation) for _d in new.wall.displays] != \
                [(_d.id, _d.resolution, _d.viewport, _d.rotation) for _d in old.wall.displays]:
            message = f"{path}: the displays changed; that needs a restart of the wall (wallctl run {path})"
            self.director.reload_error = message
            raise ValueError(message)
        feeds_changed = new.config.feeds != old.config.feeds
        if feeds_changed:
            # the store first, so zones bound to a new feed find it on the first frame of the new config
            self.rt.store.reconfigure(new.config)
        fut = self.director.submit("reload", who, loaded=new)
        result = fut.result(timeout=30)
        if feeds_changed:
            self._restart_feeds()
            result["feeds"] = "restarted: polling resumes from each feed's cursor"
        return result

    def _restart_feeds(self) -> None:
        """The poller again, with the reloaded config's feeds (off the render thread: stopping it
        waits for its thread). Cursors live in the store, so unchanged feeds resume where they were."""
        if not getattr(self.rt, "polling", False):
            return  # this run does not poll (a test harness that feeds the store itself)
        poller = getattr(self.rt, "poller", None)
        if poller is not None:
            poller.stop()
        self.rt.poller = None
        self.rt.start_feeds()

    def _apply_reload(self, new: LoadedConfig) -> dict[str, Any]:
        """On the render thread: swap the config; the shown scenario is prepared again from it (zones
        whose binding did not change keep their pixels and data)."""
        old = self.rt.loaded
        changed = sorted(k for k in type(new.config).model_fields if getattr(new.config, k) != getattr(old.config, k))
        self.rt.loaded = new
        self.rt.engine.loaded = new
        d = self.director
        d.schedule = build_schedule(new)
        d.alerts = build_alerts(new)
        if d.moderator is not None and hasattr(d.moderator, "reconfigure"):
            d.moderator.reconfigure(new.config)
        if d.base not in new.scenarios:
            d.base = new.default_scenario
        if d.operator_choice is not None and d.operator_choice not in new.scenarios:
            d.operator_choice = None
        d.shown_plan = None  # makes the next tick prepare the scenario from the new config
        d.spotlight = None
        d.reload_error = None
        log.warning("config reloaded (%s changed)", ", ".join(changed) or "nothing")
        return {"reloaded": True, "changed": changed}

    # ------------------------------------------------------------------ replay (demo guides)

    def replay(self, feed: str, start: datetime | None, speed: float | None, who: str = "operator") -> dict[str, Any]:
        """Play a recorded period of a replay feed at a chosen speed, from now on (any thread): the
        feed's store data is replaced by the new period's on its next poll, which happens at once."""
        from pydantic import ValidationError

        from feeds.replay import Options

        fc = self.rt.loaded.config.feeds.get(feed)
        replays = [f for f, c in self.rt.loaded.config.feeds.items() if c.adapter == "replay"]
        if fc is None or fc.adapter != "replay":
            raise ValueError(f"'{feed}' is not a replay feed; replay feeds here: {', '.join(replays) or 'none'}")
        poller = getattr(self.rt, "poller", None)
        if poller is None:
            raise ValueError("the feeds are not polled in this run (wallctl run polls them)")
        spec = next(s for s in poller.specs if s.feed_id == feed)
        options = dict(spec.options)
        if start is not None:
            options["start"] = start
        if speed is not None:
            options["speed"] = speed
        try:
            Options.model_validate(options)
        except ValidationError as exc:
            raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
        poller.update_options(feed, options)
        log.warning("replay %s: from %s at %gx (%s)", feed, options.get("start") or "the start", options.get("speed", 1), who)
        return {"feed": feed, "start": start.isoformat() if isinstance(start, datetime) else options.get("start"),
                "speed": options.get("speed", 1.0)}

    # ------------------------------------------------------------------ running

    def open(self, t: datetime) -> None:
        self.director.start(t)
        self.rt.engine.settle(t)  # open on a complete wall

    def frame(self, t: datetime):
        self.director.tick(t)
        report = self.rt.frame(t)
        self.director.after_frame(report, t)
        return report

    def make_loop(self, clock: Clock | None = None) -> FrameLoop:
        self.loop = self.rt.loop(clock)
        self.rt.frame_times = self.loop.times
        return self.loop

    def start_background(self) -> None:
        self.start_control()
        if self.watcher is not None:
            self.watcher.start()

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.control is not None:
            self.control.stop()
        if self.director.moderator is not None and hasattr(self.director.moderator, "close"):
            self.director.moderator.close()


class BackgroundWall:
    """A live wall whose render loop runs in a thread of its own (which owns the GL context), with
    its control API on `listen`: for the switch benchmark and the API tests, which drive it over
    HTTP from the calling thread."""

    def __init__(self, config, *, clock: Clock | None = None, store=None, listen: str = "127.0.0.1:0",
                 watch: bool = True, watch_period: float = 1.0, start_time: datetime | None = None,
                 ready_timeout: float = 120.0, feeds: bool = False):
        self.feeds = feeds
        self.config = Path(config)
        self.clock = clock
        self.store = store
        self.listen = listen
        self.watch = watch
        self.watch_period = watch_period
        self.start_time = start_time
        self.error: BaseException | None = None
        self.live: LiveWall | None = None
        self.rt = None
        self.loop: FrameLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-render", daemon=True)
        self._thread.start()
        if not self._ready.wait(ready_timeout) or self.error is not None:
            raise RuntimeError(f"the wall did not start: {self.error!r}")
        self.url = self.live.control_url
        if not self.url:
            raise RuntimeError(self.live.control_note or "the control API did not start")

    def _run(self) -> None:
        from .runtime import WallRuntime

        try:
            self.rt = WallRuntime(load_config(self.config), store=self.store)
            self.live = LiveWall(self.rt, None, control_listen=self.listen, watch=self.watch)
            if self.feeds:
                self.rt.start_feeds()
            if self.live.watcher is not None:
                self.live.watcher.period = self.watch_period
            self.loop = self.live.make_loop(self.clock)
            t0 = self.start_time or self.loop.clock.wall_time(self.loop.clock.monotonic())
            self.live.open(t0)
            self.live.start_background()
            self._ready.set()
            self.loop.run(self.live.frame)
        except BaseException as exc:  # surfaced to the caller
            self.error = exc
            self._ready.set()
        finally:
            if self.live is not None:
                self.live.close()
            if self.rt is not None:
                self.rt.close()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()
        self._thread.join(60)
