"""A node of a room: `wallctl node CONFIG --node NAME` renders only its displays, from the hub's data
and decisions, and never polls an API nor serves a write endpoint.

Threads: the render thread runs `NodeWall.frame` (the hub's decisions that are due, then the same
runtime frame a single wall runs). `NodeLink`'s thread talks to Redis: it reads the control stream
and every feed's stream (blocking reads), mirrors feed data into the node's store (SQLite: the
node's offline cache), queues decisions for the render thread, sends acknowledgements, writes the
heartbeat and keeps the clock's offset fresh. The render thread never waits on any of it.

A switch on a node: "prepare" makes the engine paint and upload the scenario while the old one
shows, held; once it is complete the node acknowledges; "commit at T" releases it, and the engine
shows it on the first frame whose time is >= T (the same frame time on every node, since frame
times come from the room's clock). A moderation decision or freeze applies on the first frame whose
time is >= its T.

Redis down: the node goes on with what it has (feeds turn stale by their own age), reconnects with
backoff, then reads the decisions it missed from the control stream (or the latest of each kind,
when the stream was trimmed past its last one) and every feed's snapshot. The last decisions are
also kept next to the store, so a node restarted while Redis is away shows what the hub last said.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from ..config.loader import LoadedConfig
from ..moderation import Moderator
from ..render.engine import FrameReport
from ..render.frame_loop import FrameLoop
from ..runtime import WallRuntime
from ..scenes.schedule import NightState, Schedule
from ..store import Store
from .bus import (
    ACKS_MAXLEN,
    HEARTBEAT_EVERY_S,
    HEARTBEAT_TTL_S,
    RoomClock,
    RoomKeys,
    connect,
    iso,
    parse_time,
    room_prefix,
    seconds,
    shown_url,
)
from .wire import Shown, copy_from_json

log = logging.getLogger("wall.room")

CLOCK_EVERY_S = 15.0
READ_BLOCK_MS = 500


class UnknownNode(ValueError):
    pass


def node_config(loaded: LoadedConfig, node: str) -> LoadedConfig:
    """The config as one node renders it: the same canvas, zones and scenarios, only its displays."""
    nodes = loaded.config.nodes
    if node not in nodes:
        known = ", ".join(nodes) or "none: add a nodes: section"
        raise UnknownNode(f"{loaded.path} has no node '{node}' (nodes: {known})")
    mine = set(nodes[node].displays)
    wall = dataclasses.replace(loaded.wall, displays=tuple(d for d in loaded.wall.displays if d.id in mine))
    return dataclasses.replace(loaded, wall=wall)


class NodeLink:
    """The node's side of Redis (its own thread). `inbox` carries decisions to the render thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        node: str,
        store: Store,
        clock: RoomClock,
        *,
        url: str | None = None,
        state_path: Path | None = None,
        client_factory: Callable[[], redis.Redis] | None = None,
    ):
        self.loaded = loaded
        self.node = node
        self.store = store
        self.clock = clock
        cfg = loaded.config.redis
        self.url = url or cfg.url
        self.keys = RoomKeys(room_prefix(loaded.config))
        self.group = loaded.config.nodes[node].group  # decisions of other groups are not this node's
        self._client_factory = client_factory or (lambda: connect(cfg, url))
        self.client: redis.Redis | None = None
        self.connected = False
        self.last_error: str | None = None
        self.reconnects = 0
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: queue.Queue[int] = queue.Queue()
        self.heartbeat: Callable[[], dict[str, Any]] = dict
        self.config_path = loaded.path
        try:  # the text of the config this node runs (a reload from the hub compares with it)
            self.running_text: str | None = loaded.path.read_text()
        except OSError:
            self.running_text = None
        self.reload_error: str | None = None
        self.state_path = state_path
        self._latest: dict[str, dict[str, Any]] = {}  # kind -> the last decision of that kind read
        self._control_id: str | None = None  # the last control entry read (None: never connected)
        self._feed_ids: dict[str, str] = {}
        self._feeds = [f for f, fc in loaded.config.feeds.items() if fc.adapter != "demo"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-node-link", daemon=True)
        # acknowledgements and heartbeats go out on a connection of their own, at once: the reading
        # thread spends its time blocked in XREAD, and an ack that waited for it would delay a switch
        self._writer = threading.Thread(target=self._write, name="wall-node-beat", daemon=True)

    # ------------------------------------------------------------------ start

    def restore_saved(self) -> None:
        """What the hub last said, as kept next to the store (a node restarted while Redis is away)."""
        if self.state_path is None:
            return
        try:
            saved = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return
        for kind in ("prepare", "moderation", "state"):
            if isinstance(saved.get(kind), dict):
                self._queue(dict(saved[kind], at=None))

    def catch_up(self) -> None:
        """Connect and read what the node missed (the caller's thread: at start, before the first
        frame, so a starting node opens on the current scenario and data). Raises redis errors."""
        self.client = self._client_factory()
        self.client.ping()
        self.clock.estimate(self.client)
        self._catch_up_control()
        self._catch_up_feeds()
        self.connected = True
        self.last_error = None

    def start(self) -> None:
        self._thread.start()
        self._writer.start()

    def stop(self) -> None:
        self._stop.set()
        self.acks.put(-1)  # wakes the writer
        self._thread.join(10)
        self._writer.join(10)
        if self.client is not None and self.connected:
            try:
                self.client.delete(self.keys.node(self.node))  # a node stopped on purpose is down at once
            except (redis.RedisError, OSError):
                pass

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        backoff = 0.5
        last_clock = 0.0
        while not self._stop.is_set():
            try:
                if not self.connected:
                    self.catch_up()
                    self.reconnects += 1
                    log.warning("node %s: connected to %s", self.node, shown_url(self.url))
                    backoff = 0.5
                    last_clock = time.monotonic()
                assert self.client is not None
                now = time.monotonic()
                if now - last_clock >= CLOCK_EVERY_S:
                    last_clock = now
                    self.clock.estimate(self.client)
                streams = {self.keys.control: self._control_id or "0-0"}
                streams.update({self.keys.feed(f): self._feed_ids.get(f, "0-0") for f in self._feeds})
                got = self.client.xread(streams, block=READ_BLOCK_MS, count=200)
                for stream, entries in got or ():
                    for entry_id, fields in entries:
                        self._entry(stream, entry_id, fields)
            except (redis.RedisError, OSError) as exc:
                if self.connected or self.last_error is None:
                    log.error("node %s: Redis at %s unreachable (%s); showing what it has", self.node, self.url, exc)
                self.connected = False
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(backoff)
                backoff = min(5.0, backoff * 2)
            except Exception:  # a bug must not stop the node from following the hub
                log.exception("node link failed; retrying")
                self.connected = False
                self._stop.wait(backoff)

    def _entry(self, stream: str, entry_id: str, fields: dict[str, str]) -> None:
        if stream == self.keys.control:
            self._control_id = entry_id
            try:
                body = json.loads(fields["body"])
            except (KeyError, ValueError):
                log.error("node %s: unreadable control entry %s", self.node, entry_id)
                return
            body["received"] = self.clock.now()  # room time it arrived (how far ahead of its frame)
            self._queue(body)
            self._save()
            return
        fid = stream.rsplit(":", 1)[1]
        self._feed_ids[fid] = entry_id
        try:
            self.store.mirror(fid, copy_from_json(fields["body"]), whole=False)
        except (KeyError, ValueError) as exc:
            log.error("node %s: unreadable data of feed %s (%s); skipped", self.node, fid, exc)

    def _queue(self, body: dict[str, Any]) -> None:
        kind = body.get("kind")
        if kind in ("prepare", "commit", "state", "reload") and body.get("group", "wall") != self.group:
            return  # another group's scenario (moderation is site-wide: no group)
        if kind == "reload":
            self._reload(body)
            return
        if kind in ("prepare", "commit", "moderation", "state"):
            self._latest[kind] = body
            self.inbox.put(body)

    def _reload(self, body: dict[str, Any]) -> None:
        """The hub's config, reloaded there: read here (off the render thread) from a copy next to this
        node's config (so its relative paths mean the same), then handed to the render thread."""
        from ..config.errors import ConfigError
        from ..config.loader import load_config

        text = body.get("config")
        if not isinstance(text, str):
            return
        if text == self.running_text:
            return  # the config this node runs is the hub's already
        own = self.config_path
        try:
            if own.read_text() == text:  # this machine's file was edited too (or is shared)
                new = load_config(own)
            else:  # a copy next to it, so its relative paths (layouts, assets) mean the same
                copy = own.with_name(f".{own.stem}.from-hub{own.suffix}")
                copy.write_text(text)
                new = load_config(copy)
            if self.node not in new.config.nodes:
                raise ValueError(f"the hub's config has no node '{self.node}'")
        except (ConfigError, ValueError, OSError) as exc:
            self.reload_error = str(exc)
            log.error("node %s: the hub's reloaded config was not applied: %s", self.node, exc)
            return
        self.reload_error = None
        self.running_text = text
        if new.config.feeds != self.loaded.config.feeds:  # feeds added or removed: the store and the reads follow
            self.store.reconfigure(new.config)
            self._feeds = [f for f, fc in new.config.feeds.items() if fc.adapter != "demo"]
        self.loaded = new
        self.inbox.put({"kind": "config", "seq": body.get("seq", 0), "loaded": new})

    def _catch_up_control(self) -> None:
        assert self.client is not None
        first = self.client.xrange(self.keys.control, "-", "+", count=1)
        last = self._control_id
        if last is None or (first and _id_after(first[0][0], _next_id(last))) or not first:
            # first start, or entries were trimmed past the last one read: the latest of each kind
            state = self.client.hgetall(self.keys.state)
            mine = {kind: state.get(f"{kind}:{self.group}") for kind in ("state", "prepare", "commit")}
            mine["moderation"] = state.get("moderation")
            for kind in ("moderation", "state", "prepare", "commit"):
                if mine[kind]:
                    body = json.loads(mine[kind])
                    if kind == "commit" and mine["prepare"]:
                        prepared = json.loads(mine["prepare"])
                        if body.get("prepare") != prepared.get("seq"):
                            continue  # the latest prepare is still waiting for its commit
                    self._queue(body)
            self._control_id = state.get("id", "0-0")
            self._save()
            return
        for entry_id, fields in self.client.xrange(self.keys.control, f"({last}", "+", count=100_000):
            self._entry(self.keys.control, entry_id, fields)

    def _catch_up_feeds(self) -> None:
        assert self.client is not None
        texts = self.client.mget([self.keys.snap(f) for f in self._feeds]) if self._feeds else []
        for fid, text in zip(self._feeds, texts, strict=True):
            if not text:
                continue
            try:
                snap = json.loads(text)
                self.store.mirror(fid, copy_from_json(snap["body"]), whole=True)
                self._feed_ids[fid] = snap["id"]
            except (KeyError, ValueError) as exc:
                log.error("node %s: unreadable snapshot of feed %s (%s)", self.node, fid, exc)

    def _write(self) -> None:
        """Acknowledgements as soon as the render thread queues them; the heartbeat every second."""
        client: redis.Redis | None = None
        next_beat = time.monotonic()
        while not self._stop.is_set():
            try:
                seq = self.acks.get(timeout=max(0.0, next_beat - time.monotonic()))
            except queue.Empty:
                seq = None
            try:
                if client is None:
                    client = self._client_factory()
                if seq is not None and seq >= 0:
                    client.xadd(self.keys.acks, {"node": self.node, "seq": seq}, maxlen=ACKS_MAXLEN, approximate=True)
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + HEARTBEAT_EVERY_S
                    beat = {**self.heartbeat(), **self._link_status()}
                    client.set(self.keys.node(self.node), json.dumps(beat), ex=HEARTBEAT_TTL_S)
            except (redis.RedisError, OSError):
                # the reading thread reports the outage and catches up; a lost ack only means the hub
                # commits this node late, after its deadline
                next_beat = time.monotonic() + HEARTBEAT_EVERY_S
                self._stop.wait(0.5)

    def _save(self) -> None:
        if self.state_path is None:
            return
        tmp = self.state_path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self._latest))
            os.replace(tmp, self.state_path)
        except OSError as exc:
            log.warning("node %s: cannot keep the hub's decisions in %s: %s", self.node, self.state_path, exc)

    def _link_status(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "reconnects": self.reconnects,  # connections made again after a loss (the first is made at start)
            "reload_error": self.reload_error,
            "clock_offset_ms": round(self.clock.offset_s * 1000, 3),
            "clock_rtt_ms": round(self.clock.rtt_s * 1000, 3) if self.clock.rtt_s is not None else None,
        }


def _id_parts(entry_id: str) -> tuple[int, int]:
    ms, _, n = entry_id.partition("-")
    return int(ms), int(n or 0)


def _next_id(entry_id: str) -> str:
    ms, n = _id_parts(entry_id)
    return f"{ms}-{n + 1}"


def _id_after(a: str, b: str) -> bool:
    return _id_parts(a) > _id_parts(b)


class NodeWall:
    """One node: a runtime over its displays, following the hub. Built on the render thread."""

    def __init__(
        self,
        loaded: LoadedConfig,
        node: str,
        backend: str = "headless",
        *,
        url: str | None = None,
        store_path: Path | None = None,
        workers: int | None = None,
        window: Any = None,
    ):
        self.full = loaded
        self.loaded = node_config(loaded, node)
        self.node = node
        self.moderator = Moderator.from_config(loaded.config, None)  # the hub's decisions, adopted
        store = Store.from_config(loaded.config, path=store_path, on_new_posts=self.moderator.prime)
        self.rt = WallRuntime(
            self.loaded, backend, workers=workers, window=window, store=store, moderator=self.moderator
        )
        self.clock = RoomClock(loaded.config.fps)
        state_path = Path(store_path).with_suffix(".room.json") if store_path is not None else None
        self.link = NodeLink(self.loaded, node, self.rt.store, self.clock, url=url, state_path=state_path)
        self.link.heartbeat = lambda: self._beat
        self.schedule = Schedule.from_config(loaded.config) if loaded.config.schedule is not None else None
        self.showing: Shown | None = None
        self.preparing: tuple[int, Shown] | None = None  # (prepare seq, what)
        self.acked: int | None = None
        self.control_seq = 0
        self.frozen_at: datetime | None = None
        self.night_blocked = False
        self.late_commits = 0
        self.reloads = 0  # the hub's reloaded configs taken
        self.last_commit: dict[str, Any] | None = None
        self.last_moderation: dict[str, Any] | None = None  # the hub's decision applied last, and on which frame
        self._due: list[tuple[datetime | None, dict[str, Any]]] = []  # moderation / state, by frame time
        self._commit_at: datetime | None = None
        self._beat: dict[str, Any] = {}
        self._started = time.time()
        self._fps_mark: tuple[float, int, float] = (time.monotonic(), 0, 0.0)  # (when, frames then, rate)
        self._slow: dict[str, Any] = {}
        self._slow_at = 0.0
        self.loop: FrameLoop | None = None
        self.startup_note: str | None = None

    # ------------------------------------------------------------------ start

    def open(self, fixed: datetime | None = None) -> datetime:
        """Read what the hub has (or what was kept, Redis away), then show it: the first frame is
        complete. Returns its frame time."""
        try:
            self.link.catch_up()
            self.startup_note = f"following the hub through {shown_url(self.link.url)} (room {self.link.keys.prefix})"
        except (redis.RedisError, OSError) as exc:
            self.link.last_error = f"{type(exc).__name__}: {exc}"
            self.link.restore_saved()
            self.startup_note = (
                f"Redis at {shown_url(self.link.url)} unreachable ({exc}); showing what this node kept, "
                "and reconnecting in the background"
            )
        t = fixed or self.clock.grid(self.clock.now())
        first = self._opening()
        self.rt.engine.show(
            first[1].plan(self.loaded) if first else self.loaded.scenarios[self.loaded.default_scenario]
        )
        self.showing = first[1] if first else None
        self._apply(t, opening=True)
        self.rt.night, self.rt.frozen_at = self._night(t), self.frozen_at
        self.rt.settle(t)
        self.rt.backend.present(self.rt.engine.compositor)
        self._publish(t, FrameReport())
        return t

    def _opening(self) -> tuple[int, Shown] | None:
        """The scenario to open on: the last one the hub prepared (it is committed, or about to be)."""
        opening = None
        keep: list[dict[str, Any]] = []
        while True:
            try:
                body = self.link.inbox.get_nowait()
            except queue.Empty:
                break
            if body["kind"] == "prepare":
                try:
                    shown = Shown.from_json(body["shown"])
                    shown.plan(self.loaded)
                    opening = (int(body["seq"]), shown)
                except (KeyError, ValueError) as exc:
                    log.error("node %s: the hub's scenario is not in this config (%s)", self.node, exc)
                self.control_seq = max(self.control_seq, int(body.get("seq", 0)))
            elif body["kind"] != "commit":
                keep.append(body)
        for body in keep:
            self.link.inbox.put(body)
        return opening

    def start_background(self) -> None:
        self.link.start()

    def make_loop(self, fixed: datetime | None = None) -> FrameLoop:
        from ..render.frame_loop import FixedClock

        self.loop = self.rt.loop(FixedClock(fixed) if fixed is not None else self.clock)
        if fixed is None:
            self.clock.align()
        return self.loop

    # ------------------------------------------------------------------ render thread

    def frame(self, t: datetime) -> FrameReport:
        self._apply(t)
        self.rt.night, self.rt.frozen_at = self._night(t), self.frozen_at
        report = self.rt.frame(t)
        engine = self.rt.engine
        if self.preparing is not None:
            seq, shown = self.preparing
            if report.committed:
                late = self._commit_at is not None and t > self._commit_at
                self.late_commits += late
                self.showing, self.preparing = shown, None
                self.last_commit = {"seq": seq, "scenario": shown.scenario, "frame_time": iso(t), "late": late}
            elif self.acked != seq and engine.pending_ready:
                self.acked = seq
                self.link.acks.put(seq)
        self._publish(t, report)
        return report

    def _apply(self, t: datetime, opening: bool = False) -> None:
        while True:
            try:
                body = self.link.inbox.get_nowait()
            except queue.Empty:
                break
            self.control_seq = max(self.control_seq, int(body.get("seq", 0)))
            kind = body["kind"]
            if kind == "config":
                self._reconfigure(body["loaded"])
            elif kind == "prepare":
                self._prepare(body)
            elif kind == "commit":
                if self.preparing is not None and body.get("prepare") == self.preparing[0]:
                    self._commit_at = parse_time(body.get("at"))
                    self.rt.engine.release(self._commit_at)
            else:
                self._due.append((parse_time(body.get("at")), body))
        if self._due:
            now, later = [], []
            for at, body in self._due:
                (now if opening or at is None or at <= t else later).append((at, body))
            self._due = later
            for _, body in now:
                if body["kind"] == "moderation":
                    try:
                        self.moderator.adopt(body["decisions"])
                        at = parse_time(body.get("at"))
                        lead = None
                        if at is not None and "received" in body:
                            lead = round((seconds(at) - body["received"]) * 1000, 1)
                        self.last_moderation = {
                            "seq": body.get("seq"),
                            "at": body.get("at"),
                            "frame_time": iso(t),
                            "lead_ms": lead,  # how long before its frame it arrived (< 0: late)
                        }
                    except (KeyError, ValueError) as exc:
                        log.error("node %s: unreadable moderation decisions (%s)", self.node, exc)
                elif body["kind"] == "state":
                    self.frozen_at = parse_time(body.get("frozen_at"))
                    self.night_blocked = bool(body.get("night_blocked"))

    def _reconfigure(self, new: LoadedConfig) -> None:
        """The hub's reloaded config, at a frame boundary: the same displays, or it waits for a restart."""
        mine = node_config(new, self.node)
        if [(d.id, d.resolution, d.viewport, d.rotation) for d in mine.wall.displays] != [
            (d.id, d.resolution, d.viewport, d.rotation) for d in self.loaded.wall.displays
        ]:
            self.link.reload_error = "the hub's config moves this node's displays: restart the node to take it"
            log.error("node %s: %s", self.node, self.link.reload_error)
            return
        self.full, self.loaded = new, mine
        self.rt.reconfigure(mine)
        self.moderator.reconfigure(new.config)
        if self.showing is not None and self.preparing is None:
            try:  # the scenario on screen, made again from the new config (committed once painted)
                self.rt.engine.prepare(self.showing.plan(mine), self.showing.transition)
            except KeyError:
                pass  # gone from the config: the hub's next decision names what to show
        self.reloads += 1

    def _prepare(self, body: dict[str, Any]) -> None:
        try:
            shown = Shown.from_json(body["shown"])
            plan = shown.plan(self.loaded)
        except (KeyError, ValueError) as exc:
            log.error("node %s: cannot show the hub's scenario (%s); keeping the current one", self.node, exc)
            return
        seq = int(body["seq"])
        if shown == self.showing and self.rt.engine.pending is None:
            self.preparing = None  # already on screen (a reconnection's catch-up): nothing to switch
            self.acked = seq
            self.link.acks.put(seq)
            return
        self.rt.engine.prepare(plan, shown.transition, shown.zoom, held=True)
        self.preparing, self.acked, self._commit_at = (seq, shown), None, None

    def _night(self, t: datetime) -> NightState | None:
        if self.schedule is None or self.night_blocked:
            return None
        return self.schedule.state(t).night

    def _publish(self, t: datetime, report: FrameReport) -> None:
        """The heartbeat's content (the writer thread sends it every second): what changes per frame
        each frame, the costlier figures (frame-time percentiles, data age, displays) twice a second."""
        now = time.monotonic()
        if report.committed or now - self._slow_at >= 0.5 or not self._slow:
            self._slow_at = now
            times = self.rt.frame_times.summary() if self.rt.frame_times is not None else {}
            ages = []
            for fid in self.link._feeds:
                snap = self.rt.store.snapshot(fid, t)
                if snap is not None and snap.as_of is not None:
                    ages.append((t - snap.as_of).total_seconds())
            displays = self.rt.backend.displays()
            alive = sum(1 for d in displays if d.state in ("shown", "headless"))
            if not displays:  # headless: offscreen framebuffers, always there
                alive = len(self.loaded.wall.displays)
            plan = self.rt.engine.plan
            self._slow = {
                "displays": [d.id for d in self.loaded.wall.displays],
                "group": self.link.group,
                "displays_alive": alive,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "fps": self._rate(int(times.get("frames", 0))),
                "frame_ms_p99": times.get("p99_ms"),
                "dropped_frames": int(times.get("dropped", 0)),
                "scenario": self.showing.scenario if self.showing else plan.name if plan else None,
                "data_age_s": round(min(ages), 1) if ages else None,
                "started": datetime.fromtimestamp(self._started, UTC).isoformat(timespec="seconds"),
            }
        self._beat = {
            **self._slow,
            "preparing": self.preparing[1].scenario if self.preparing else None,
            "control_seq": self.control_seq,
            "last_commit": self.last_commit,
            "last_moderation": self.last_moderation,
            "late_commits": self.late_commits,
            "reloads": self.reloads,
            "frame_time": iso(t),
        }

    def _rate(self, frames: int) -> float:
        """Frames rendered per second over the last second or so."""
        now = time.monotonic()
        t0, f0, fps = self._fps_mark
        if now - t0 >= 1.0:
            fps = (frames - f0) / (now - t0)
            self._fps_mark = (now, frames, fps)
        return round(fps, 2)

    def close(self) -> None:
        self.link.stop()
        self.rt.close()


__all__ = ["NodeWall", "NodeLink", "UnknownNode", "node_config"]
