"""The live wall: runtime + director + control API + config watcher, as `wallctl run` starts it.

Every part is built here, in one place, and handed what it needs when it is made: the moderator
goes into the runtime (which wires it to the store and the scenes stage) and into the director;
nothing is set on a part from outside afterwards.

Threads: the render thread runs the frame loop (`frame`: a queued reload, then the director's
tick, the runtime's frame, the director told what the engine did, previews served, status
republished). The poller feeds the store; uvicorn serves the control API; a watcher re-reads the
config file when it changes. Only the render thread touches GL and the parts' state: the others
queue commands (the director's), reloads and preview requests, each answered with a Future.

Reloads are serialised: the API's and the watcher's never run at once, and a file's content is
handled once (the watcher skips content a reload already took, or already rejected), so an
operator who saves and presses "reload" gets one answer for one change. The watcher waits for the
file to stop changing before it reads it, so an editor's save in several writes is read whole.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import logging
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from feeds.replay import Options as ReplayOptions

from .background_writer import BackgroundWriter
from .config.errors import ConfigError
from .config.loader import LoadedConfig, load_config
from .config.schema import WindowConfig
from .config.yaml_source import MAX_BYTES
from .control.status import FeedStatus, WallStatus
from .moderation import Moderator, audit_path_for
from .pictures import PictureService
from .pictures import set_active as set_active_pictures
from .render.engine import FrameReport
from .render.frame_loop import Clock, FrameLoop, FrameTimes
from .runtime import WallRuntime
from .scenes.commands import Answer, Command
from .scenes.director import Director, FrameOutcome
from .scenes.views import ZoneView
from .store import Store
from .widgets.holding import HoldingView

if TYPE_CHECKING:  # imported where used: neither is needed before the first frame
    from .control.server import ControlServer, Tokens
    from .render.paint_pool import PaintPool
    from .room.hub import HubLink

log = logging.getLogger("wall.live")

MAIN = "wall"  # a hub's own group of nodes (wall/room/hub.py names it the same)

RELOAD_WAIT_S = 30.0  # how long a reload waits for the render thread to apply it


def build_moderator(loaded: LoadedConfig, store_path: Path | None) -> Moderator:
    """The moderator, its audit log and decisions next to the store (or where the config says);
    `--store none` keeps nothing of the run, decisions included."""
    if loaded.config.moderation.audit_log:
        audit: Path | None = audit_path_for(loaded)
    elif store_path is None:
        audit = None
    else:
        audit = Path(store_path).with_name(Path(store_path).stem + ".moderation.jsonl")
    return Moderator.from_config(loaded.config, audit)


def build_pictures(loaded: LoadedConfig, store_path: Path | None) -> PictureService | None:
    """The web picture service of a live wall (None when the config turns fetching off). Its cache is
    where the config says, else next to the store (a temporary folder with `--store none`)."""
    cfg = loaded.config.pictures
    if not cfg.fetch:
        return None
    if cfg.cache_dir:
        folder = (Path(loaded.path).parent / cfg.cache_dir).expanduser()
    elif store_path is not None:
        folder = Path(store_path).with_name(Path(store_path).stem + ".pictures")
    else:
        folder = Path(tempfile.gettempdir()) / f"wall-pictures-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return PictureService(folder, max_mb=cfg.max_mb, max_bytes=cfg.max_bytes, timeout_s=cfg.timeout_s)


def _digest(path: Path) -> str | None:
    try:
        with path.open("rb") as f:  # no more than a config may hold (yaml_source's cap), plus one byte
            return hashlib.sha256(f.read(MAX_BYTES + 1)).hexdigest()
    except OSError:
        return None


def calm_garbage_collection() -> None:
    """Keep a full garbage collection from stalling frames.

    CPython's cycle collector runs on whichever thread crosses its allocation threshold, holding the
    GIL: a full (generation 2) collection started by the poller's thread in the middle of a burst of
    posts walks every container the process holds (the store's posts, the figures' counters, the
    config, the widgets' caches) while the render thread waits. Objects that survived once are
    nearly all long-lived data, and they hold no garbage cycles worth the walk; so they are moved to
    the permanent generation (gc.freeze) after start-up and after each full collection, and a full
    collection walks only what was created since the last one."""
    if _refreeze in gc.callbacks:
        return
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_refreeze)


def _refreeze(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


class ConfigWatcher:
    """Polls the config file's modification time; once a change has settled (no further change
    for `settle_s`), calls `on_change` (off the render thread)."""

    def __init__(self, path: Path, on_change: Callable[[str], Any], period: float = 1.0, settle_s: float | None = None):
        self.path = path
        self.on_change = on_change
        self.period = period
        self.settle_s = settle_s
        self._mtime = self._stat()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-config-watch", daemon=True)

    def _stat(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        changed_at: float | None = None
        while not self._stop.wait(self.period):
            now = self._stat()
            if now is not None and now != self._mtime:
                self._mtime, changed_at = now, time.monotonic()  # still being written, maybe: wait
                continue
            settle = self.settle_s if self.settle_s is not None else max(1.0, 2 * self.period)
            if changed_at is None or time.monotonic() - changed_at < settle:
                continue
            changed_at = None
            try:
                self.on_change("config file watcher")
            except ValueError as exc:
                log.error("config change rejected, the wall keeps its running config:\n%s", exc)
            except Exception:
                log.exception("config reload failed")

    def stop(self) -> None:
        self._stop.set()


@dataclass(frozen=True)
class _Choices:
    doc: dict[str, Any]

    def merged(self, newer: _Choices) -> _Choices:
        return newer


class ChoicesFile:
    """The operators' choices (Director.choices) in a small JSON file, written off the render thread
    when they change (`keep` compares and queues; the writer writes the latest, atomically)."""

    def __init__(self, path: Path):
        self.path = path
        self._last: dict[str, Any] | None = None
        self._writer: BackgroundWriter[_Choices] = BackgroundWriter(
            self._write, label=f"choices {path}", log=log, coalesce_s=0.2, thread_name="wall-choices"
        )

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            log.warning("%s: not read (%s); the wall starts on its schedule", self.path, exc)
            data = {}
        self._last = data if isinstance(data, dict) else {}
        return self._last

    def keep(self, choices: dict[str, Any]) -> None:
        if choices != self._last:
            self._last = choices
            self._writer.submit(_Choices(choices))

    def _write(self, batch: _Choices) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(batch.doc))
        os.replace(tmp, self.path)

    def close(self) -> None:
        self._writer.close()


@dataclass
class _Reload:
    loaded: LoadedConfig
    answer: Future = field(default_factory=Future)


class LiveWall:
    """A wall as `wallctl run` runs it. Built on the thread that will render (it makes the GL
    context); `frame` runs there, every other method may be called from any thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        backend: str = "headless",
        *,
        window: WindowConfig | None = None,
        workers: int | None = None,
        pool: PaintPool | None = None,
        store: Store | None = None,
        store_path: Path | None = None,
        control_listen: str | None = None,
        watch: bool = True,
        watch_period: float = 1.0,
        hub: bool = False,
        redis_url: str | None = None,
    ):
        """hub: this wall is the hub of a room over several machines (`wallctl hub`): its decisions
        and feeds are published on Redis (redis_url, else the config's) for the nodes."""
        self.moderator = build_moderator(loaded, store_path)
        # before the runtime: its painter processes learn the cache's folder from the environment
        self.pictures = build_pictures(loaded, store_path)
        if self.pictures is not None:
            set_active_pictures(self.pictures.start())
        self.rt = WallRuntime(
            loaded,
            backend,
            workers=workers,
            pool=pool,
            window=window,
            store=store,
            store_path=store_path,
            moderator=self.moderator,
        )
        self.director = Director(loaded, self.rt.store, self.moderator)
        # what operators chose (scenario, lock, freeze) survives a restart, next to the store
        self.choices = ChoicesFile(Path(store_path).with_suffix(".choices.json")) if store_path is not None else None
        if self.choices is not None:
            self.director.restore(self.choices.read())
        # a hub's other groups of nodes (lobby kiosks...): each its own config and director, no engine here
        self.groups: dict[str, Director] = {}
        self._group_switch: dict[str, int] = {}
        self._group_release: dict[str, tuple[int, datetime | None]] = {}
        self.hub: HubLink | None = None
        if hub:
            from .room.hub import HubLink  # Redis and the room's code only for a hub

            nodes = {name: (list(n.displays), MAIN) for name, n in loaded.config.nodes.items()}
            for name, group in load_groups(loaded).items():
                self.groups[name] = Director(group, self.rt.store, self.moderator)
                nodes.update({n: (list(c.displays), name) for n, c in group.config.nodes.items()})
            self.hub = HubLink(loaded, self.rt.store, self.moderator, self.director, url=redis_url, nodes=nodes)
        self.control: ControlServer | None = None  # FastAPI is imported when the API starts, after the first frame
        self.tokens: Tokens | None = None  # the API's, once it runs (a reload replaces what they are)
        self.control_url: str | None = None
        self.control_note: str | None = None
        self._control_listen = control_listen
        self.watcher = ConfigWatcher(loaded.path, self.reload_if_changed, watch_period) if watch else None
        self.reload_error: str | None = None
        self._reload_lock = threading.Lock()
        self._handled_digest = _digest(loaded.path)  # the config content the wall runs (or rejected)
        # the last reload: (content digest, its answer or its refusal, who asked)
        self._last_reload: tuple[str | None, dict[str, Any] | ValueError, str] | None = None
        self._reloads: queue.Queue[_Reload] = queue.Queue()
        self._previews: list[tuple[float, Future]] = []
        self._previews_lock = threading.Lock()
        self._status: WallStatus | None = None

    @property
    def loaded(self) -> LoadedConfig:
        return self.rt.loaded

    # ------------------------------------------------------------------ render thread

    def open(self, t: datetime, scenario: str | None = None) -> None:
        """The first frame, complete: the schedule's scenario, or `scenario` as an operator's choice."""
        direction = self.director.start(t, scenario)
        if self.hub is not None:
            self.hub.observe(direction, t)
            for name, director in self.groups.items():
                opening = director.start(t)
                self._group_switch[name] = opening.switch
                self.hub.observe(opening, t, name, director)
                director.after_frame(FrameOutcome(opening.plan.name, None), t)
        report = self.rt.open(direction, t)
        self._after(report, t)
        calm_garbage_collection()

    def frame(self, t: datetime) -> FrameReport:
        self._apply_reloads()
        direction = self.director.tick(t)
        if self.hub is None:
            self.rt.follow(direction)
        else:  # a room: a switch is held until every node is ready, then committed on the hub's frame
            self.rt.follow(direction, held=self.hub.observe(direction, t))
            self._follow_groups(t)
            for group, switch, at in self.hub.take_releases():
                if group == MAIN:
                    if switch == direction.switch:
                        self.rt.engine.release(at)
                else:
                    self._group_release[group] = (switch, at)
        report = self.rt.frame(t)
        self._after(report, t)
        return report

    def _follow_groups(self, t: datetime) -> None:
        """The other groups' directors: ticked like the main one; their switches are shown by their
        nodes, so each counts as committed on the frame the hub announced (at once without Redis)."""
        assert self.hub is not None
        for name, director in self.groups.items():
            direction = director.tick(t)
            held = self.hub.observe(direction, t, name, director)
            if direction.switch != self._group_switch.get(name):
                self._group_switch[name] = direction.switch
                if held:  # the link says when, once its nodes are ready
                    self._group_release.pop(name, None)
                else:  # Redis away: shown at once, as the main group's own switch
                    self._group_release[name] = (direction.switch, None)
            switch, at = self._group_release.get(name, (-1, None))
            if switch == direction.switch and (at is None or t >= at):
                del self._group_release[name]
                name_shown = direction.plan.name
                director.after_frame(FrameOutcome(name_shown, None, name_shown), t)

    def _after(self, report: FrameReport, t: datetime) -> None:
        engine = self.rt.engine
        self.director.after_frame(
            FrameOutcome(
                engine.plan.name if engine.plan else None,
                engine.pending_plan.name if engine.pending_plan else None,
                report.committed,
                report.prepare_ms,
                report.frames_after_painted,
            ),
            t,
        )
        if report.committed:
            self.rt.scenario = self.director.base
        self._serve_previews()
        self._publish(t)
        if self.choices is not None:
            self.choices.keep(self.director.choices())

    def _apply_reloads(self) -> None:
        while True:
            try:
                request = self._reloads.get_nowait()
            except queue.Empty:
                return
            try:
                request.answer.set_result(self._apply_reload(request.loaded))
            except Exception as exc:  # a bug in applying must not stop the wall
                log.exception("applying the reloaded config failed")
                request.answer.set_exception(RuntimeError(f"reload failed: {type(exc).__name__}: {exc}"))

    def _apply_reload(self, new: LoadedConfig) -> dict[str, Any]:
        """Swap the config in every part at this frame boundary; the director prepares the shown
        scenario again from it (zones whose binding did not change keep their pixels and data)."""
        old = self.rt.loaded
        changed = sorted(k for k in type(new.config).model_fields if getattr(new.config, k) != getattr(old.config, k))
        self.rt.reconfigure(new)
        self.moderator.reconfigure(new.config)
        self.director.reconfigure(new)
        log.warning("config reloaded (%s changed)", ", ".join(changed) or "nothing")
        return {"reloaded": True, "changed": changed}

    def _serve_previews(self) -> None:
        with self._previews_lock:
            asked, self._previews = self._previews, []
        if not asked:
            return
        scale = max(s for s, _ in asked)
        comp = self.rt.engine.compositor
        pictures = {d: comp.read_output_scaled(d, scale).copy() for d in comp.outputs}
        for _, fut in asked:
            if not fut.done():
                fut.set_result((scale, pictures))

    def _publish(self, t: datetime) -> None:
        state = self.director.state()
        assert state is not None
        times = self.rt.frame_times.summary() if self.rt.frame_times is not None else {}
        backend = self.rt.backend
        displays = tuple(d.as_dict() for d in backend.displays()) or tuple(
            {"display": d.id, "screen": None, "state": backend.name, "detail": ""} for d in self.loaded.wall.displays
        )
        replays = {
            s.feed_id: s.options for s in (self.rt.poller.specs if self.rt.poller else ()) if s.adapter == "replay"
        }
        feeds = {}
        store = self.rt.store
        for fid in store.feed_ids():
            snap = store.snapshot(fid, t)
            if snap is None:
                continue
            h = snap.health
            replay = None
            if fid in replays:
                start = replays[fid].get("start")
                replay = {
                    "start": start.isoformat() if isinstance(start, datetime) else start,
                    "speed": replays[fid].get("speed", 1.0),
                }
            feeds[fid] = FeedStatus(h.state, h.last_success, h.last_error, len(snap.posts), replay, h.notes)
        self._status = WallStatus(
            director=state,
            fps_target=self.loaded.config.fps,
            frames=int(times.get("frames", 0)),
            frame_ms_p50=times.get("p50_ms"),
            frame_ms_p99=times.get("p99_ms"),
            dropped_frames=int(times.get("dropped", 0)),
            displays=displays,
            feeds=feeds,
            config=str(self.loaded.path),
            room=self.hub.status() if self.hub is not None else None,
            groups={name: state for name, d in self.groups.items() if (state := d.state()) is not None},
            nodes=tuple(self.hub.nodes()) if self.hub is not None else (),
        )

    # ------------------------------------------------------------------ any thread: the control surface

    def submit(self, command: Command, who: str, group: str | None = None) -> Future[Answer]:
        """A command for the main director, or for one of a hub's other groups (ValueError if unknown)."""
        if group is None or group == MAIN:
            return self.director.submit(command, who)
        if group not in self.groups:
            known = ", ".join([MAIN, *self.groups])
            raise ValueError(f"unknown group '{group}'; groups: {known}")
        return self.groups[group].submit(command, who)

    def status(self) -> WallStatus:
        """The status as of the last frame, with what is asked for now: the reload error (set by
        the reloading thread), alert rules and the moderation queue (thread-safe, and costlier than
        a frame should carry)."""
        published, decided = self._status, self.director.state()
        if published is None or decided is None:
            raise RuntimeError("the wall has not shown its first frame yet")
        alerts = self.director.alerts
        # the director's part as of its last tick (commands are answered after it), the rest as of
        # the last frame
        return dataclasses.replace(
            published,
            director=decided,
            reload_error=self.reload_error,
            alerts=tuple(alerts.status()) if alerts is not None else (),
            moderation={**self.moderator.state(), "holding": self._holding()},
            pictures=self.pictures.health() if self.pictures is not None else None,
            nodes=tuple(self.hub.nodes()) if self.hub is not None else published.nodes,
        )

    def _holding(self) -> dict[str, str]:
        """Zone -> why it shows its holding card instead of its widget (posts waiting for approval,
        the kill switch): what the console tells operators and the wall never tells visitors."""
        return {
            zone_id: zv.view.reason
            for zone_id, zv in self.rt.views.items()  # replaced (never changed) each frame
            if isinstance(zv.view, HoldingView) and zv.view.reason
        }

    def zone_view(self, zone_id: str) -> ZoneView | None:
        return self.rt.views.get(zone_id)  # replaced (never changed) each frame: safe to read here

    def zone_ids(self) -> list[str]:
        return list(self.rt.views)

    def preview(self, width: int) -> Future:
        """The displays' pictures after the next frame, scaled so the wall is about `width` px wide:
        a Future of (scale, {display: pixels})."""
        fut: Future = Future()
        with self._previews_lock:
            self._previews.append((min(1.0, width / self.loaded.wall.canvas_w), fut))
        return fut

    def frame_times(self) -> FrameTimes | None:
        return self.rt.frame_times

    def paints_in_flight(self) -> int:
        return self.rt.pool.in_flight

    def commands_queued(self) -> int:
        return self.director.commands.qsize()

    def scenario_titles(self) -> list[tuple[str, str]]:
        return [(name, sc.title or name) for name, sc in self.loaded.config.scenarios.items()]

    # ------------------------------------------------------------------ reload

    def reload(self, who: str = "operator") -> dict[str, Any]:
        """Re-read the config file (any thread but the render thread). Invalid: ValueError with every
        problem as file:line:col, the running config stays; valid: applied at the next frame."""
        with self._reload_lock:
            last = self._last_reload
            if last is not None and last[0] == _digest(self.loaded.path):
                # this content was handled already (by the file watcher, or an earlier call): the same
                # answer, not a second reload that would say "nothing changed"
                if isinstance(last[1], ValueError):
                    raise last[1]
                return {**last[1], "already": f"applied by {last[2]}"}
            return self._reload(who)

    def reload_if_changed(self, who: str = "config file watcher") -> dict[str, Any] | None:
        """The watcher's reload: nothing when the file holds what a reload already took or rejected."""
        with self._reload_lock:
            if _digest(self.loaded.path) == self._handled_digest:
                return None
            return self._reload(who)

    def _reload(self, who: str) -> dict[str, Any]:
        digest = _digest(self.loaded.path)
        try:
            result = self._reload_now(who)
        except ValueError as exc:
            self._last_reload = (digest, exc, who)
            raise
        self._last_reload = (digest, result, who)
        return result

    def _reload_now(self, who: str) -> dict[str, Any]:
        path = self.loaded.path
        self._handled_digest = _digest(path)
        try:
            new = load_config(path)
        except ConfigError as exc:
            message = "\n".join(str(p) for p in exc.problems)
            self.reload_error = message
            raise ValueError(f"config not reloaded, the wall keeps running the previous one:\n{message}") from None
        old = self.loaded
        if [(d.id, d.resolution, d.viewport, d.rotation) for d in new.wall.displays] != [
            (d.id, d.resolution, d.viewport, d.rotation) for d in old.wall.displays
        ]:
            message = f"{path}: the displays changed; that needs a restart of the wall (wallctl run {path})"
            self.reload_error = message
            raise ValueError(message)
        tokens = None
        if self.tokens is not None:  # named tokens added or revoked take effect with the reload
            try:
                from .control.server import tokens_of

                tokens = tokens_of(new)
            except ValueError as exc:
                self.reload_error = str(exc)
                raise ValueError(f"config not reloaded, the wall keeps running the previous one:\n{exc}") from None
        feeds_changed = new.config.feeds != old.config.feeds
        if feeds_changed:
            # the store first, so zones bound to a new feed find it on the first frame of the new config
            self.rt.store.reconfigure(new.config)
        request = _Reload(new)
        self._reloads.put(request)
        result = request.answer.result(timeout=RELOAD_WAIT_S)
        if tokens is not None and self.tokens is not None:
            self.tokens.replace(tokens)
        if self.hub is not None:  # the room's nodes take the same config (a decision like the others)
            self.hub.publish_config(path.read_text())
        self.reload_error = None
        log.info("config reloaded by %s", who)
        if feeds_changed:
            self.rt.restart_feeds()
            result["feeds"] = "restarted: polling resumes from each feed's cursor"
        return result

    # ------------------------------------------------------------------ replay (demo guides)

    def replay(
        self, feed: str, start: datetime | None, speed: float | Literal["max"] | None, who: str = "operator"
    ) -> dict[str, Any]:
        """Play a recorded period of a replay feed at a chosen speed, from now on (any thread): the
        feed's store data is replaced by the new period's on its next poll, which happens at once."""
        feeds = self.loaded.config.feeds
        fc = feeds.get(feed)
        replays = [f for f, c in feeds.items() if c.adapter == "replay"]
        if fc is None or fc.adapter != "replay":
            raise ValueError(f"'{feed}' is not a replay feed; replay feeds here: {', '.join(replays) or 'none'}")
        poller = self.rt.poller
        if poller is None:
            raise ValueError("the feeds are not polled in this run (wallctl run polls them)")
        spec = next(s for s in poller.specs if s.feed_id == feed)
        options = dict(spec.options)
        if start is not None:
            options["start"] = start
        if speed is not None:
            options["speed"] = speed
        try:
            ReplayOptions.model_validate(options)
        except ValidationError as exc:
            raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
        poller.update_options(feed, options)
        log.warning(
            "replay %s: from %s at %sx (%s)", feed, options.get("start") or "the start", options.get("speed", 1), who
        )
        return {
            "feed": feed,
            "start": start.isoformat() if isinstance(start, datetime) else options.get("start"),
            "speed": options.get("speed", 1.0),
        }

    # ------------------------------------------------------------------ background parts

    def start_control(self) -> None:
        from .control.server import ControlServer, ControlUnavailable, create_app, parse_listen, tokens_of

        cfg = self.loaded.config.control
        listen = self._control_listen or cfg.listen
        if listen in ("none", "off", ""):
            self.control_note = "control API off (--control none)"
            return
        try:
            tokens = tokens_of(self.loaded)
        except ValueError as exc:
            raise ControlUnavailable(str(exc)) from None
        if not tokens.any:
            names = [r for r in (cfg.operator_token, cfg.viewer_token) if r]
            self.control_note = (
                "control API not started: no token is set"
                + (
                    f" (set {' or '.join(n.strip('${}') for n in names)})"
                    if names
                    else " (give control.operator_token / viewer_token in the config)"
                )
                + "; a wall's API is never open without one"
            )
            log.warning(self.control_note)
            return
        try:
            host, port = parse_listen(listen)
        except ValueError as exc:
            raise ControlUnavailable(str(exc)) from None
        tls = (cfg.tls_cert, cfg.tls_key) if cfg.tls_cert and cfg.tls_key else None
        self.tokens = tokens
        server = ControlServer(create_app(self, tokens, tls=tls is not None), host, port, tls)
        try:
            server.start()
        except ControlUnavailable as exc:
            # the wall itself must run even when its API cannot (a port taken by another wall)
            self.control_note = f"control API not started: {exc}"
            log.error(self.control_note)
            return
        self.control = server
        self.control_url = f"{'https' if tls else 'http'}://{host}:{server.port}"
        if tls is None and not _loopback(host):
            log.warning(
                "control API listens on %s over plain HTTP: tokens and decisions cross the network unencrypted; "
                "set control.tls_cert and control.tls_key, or listen on 127.0.0.1 behind a TLS proxy",
                host,
            )
        if not tokens.writable:
            self.control_note = (
                f"control API at {self.control_url} is READ-ONLY: "
                f"{(cfg.operator_token or 'an operator token').strip('${}')} is not set"
            )
            log.warning(self.control_note)
        else:
            self.control_note = f"control API and console at {self.control_url}/"

    def make_loop(self, clock: Clock | None = None) -> FrameLoop:
        return self.rt.loop(clock)

    def start_background(self) -> None:
        if self.hub is not None:
            self.hub.start()
        self.start_control()
        if self.watcher is not None:
            self.watcher.start()

    def close(self) -> None:
        """Stops the watcher and the API, keeps the moderation decisions, closes the runtime."""
        if self.watcher is not None:
            self.watcher.stop()
        if self.hub is not None:
            self.hub.stop()
        if self.control is not None:
            self.control.stop()
        if self.pictures is not None:
            self.pictures.stop()
            set_active_pictures(None)
        try:
            self.moderator.close()
            if self.choices is not None:
                self.choices.close()
        finally:
            self.rt.close()


class BackgroundWall:
    """A live wall whose render loop runs in a thread of its own (which owns the GL context), with
    its control API on `listen`: for the switch benchmark and the API tests, which drive it over
    HTTP from the calling thread."""

    def __init__(
        self,
        config: Path | str,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        listen: str = "127.0.0.1:0",
        watch: bool = True,
        watch_period: float = 1.0,
        start_time: datetime | None = None,
        ready_timeout: float = 120.0,
        feeds: bool = False,
    ):
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
        self.loop: FrameLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-render", daemon=True)
        self._thread.start()
        if not self._ready.wait(ready_timeout) or self.error is not None:
            raise RuntimeError(f"the wall did not start: {self.error!r}")
        assert self.live is not None
        if not self.live.control_url:
            raise RuntimeError(self.live.control_note or "the control API did not start")
        self.url: str = self.live.control_url

    def _run(self) -> None:
        try:
            self.live = LiveWall(
                load_config(self.config),
                store=self.store,
                control_listen=self.listen,
                watch=self.watch,
                watch_period=self.watch_period,
            )
            if self.feeds:
                self.live.rt.start_feeds()
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

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()
        self._thread.join(60)


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_groups(loaded: LoadedConfig) -> dict[str, LoadedConfig]:
    """A hub config's `groups:`, each its own wall config (relative paths from the hub's config).
    ConfigError for a config that does not load; ValueError when one does not fit the room (its
    nodes must name the group, its feeds must be the hub's)."""
    found: dict[str, LoadedConfig] = {}
    for name, ref in loaded.config.groups.items():
        path = Path(ref) if Path(ref).is_absolute() else loaded.path.resolve().parent / ref
        group = load_config(path)
        wrong = [n for n, c in group.config.nodes.items() if c.group != name]
        if wrong or not group.config.nodes:
            raise ValueError(
                f"{path}: group '{name}' needs its nodes to say `group: {name}` "
                f"({', '.join(wrong) or 'no nodes: section'})"
            )
        missing = sorted(set(group.config.feeds) - set(loaded.config.feeds))
        if missing:
            raise ValueError(f"{path}: feeds {', '.join(missing)} are not feeds of the hub's config {loaded.path}")
        found[name] = group
    return found


__all__ = ["LiveWall", "BackgroundWall", "ConfigWatcher", "build_moderator"]
