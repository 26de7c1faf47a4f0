"""The hub's side of a room: what its poller and director decide, published for the nodes.

`wallctl hub` is a live wall (wall/live.py: poller, store, director, moderation, the one control API)
plus a `HubLink`. The render thread only tells the link what the director decided (`observe`, a queue
put); the link's own thread talks to Redis:

- feeds: each feed whose store revision changed gets a stream entry with its new posts, every figure
  and its health (a few per second at most), and, every few seconds, its whole snapshot under a key;
- decisions: every scenario change is published as "prepare" (numbered); nodes paint and upload it,
  then acknowledge; when every node that was up has, or the deadline has passed, the link publishes
  "commit at T", T the first frame boundary that leaves every node time to read it. The hub's own
  engine holds the switch until T too, so its preview and an API call that waits for the switch see
  what the wall sees. Moderation decisions and freezes are published with the frame time they take
  effect at, so every node hides a post on the same frame;
- nodes: their heartbeats (keys with a TTL) are read every second for the status, the console and
  /metrics; a missing key is a node down.

Redis down: the hub goes on polling into its store and deciding; its own switches commit at once.
When Redis is back, the link publishes the current scenario, decisions and every feed whole, so
nodes converge on what the hub has now.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from ..config.loader import LoadedConfig
from ..moderation import Moderator
from ..scenes.director import Direction, Director
from ..store import Store
from .bus import (
    CONTROL_MAXLEN,
    FEED_MAXLEN,
    RoomClock,
    RoomKeys,
    connect,
    iso,
    room_prefix,
    shown_url,
)
from .wire import Shown, copy_to_json, shown_by

log = logging.getLogger("wall.room")

FEEDS_EVERY_S = 0.25  # new data is published at most this often per feed (a flood's polls coalesce)
SNAPSHOT_EVERY_S = 2.0  # a feed's whole snapshot (what a starting node reads) at most this often
NODES_EVERY_S = 1.0
CLOCK_EVERY_S = 30.0
COMMIT_MARGIN_FRAMES = 2  # a commit time leaves nodes at least this many frames to read it (redis.commit_margin_s)


MAIN = "wall"  # the group of the hub's own config; other groups come from `groups:` (their own configs)
# (wall/live.py spells it too, so that a wall that is no hub never imports Redis)


@dataclass
class _Switch:
    group: str
    seq: int
    switch: int  # the group director's switch number (what the hub's engine prepares, for the main group)
    expected: set[str]
    deadline: float  # monotonic
    acked: dict[str, float] = field(default_factory=dict)  # node -> monotonic time of its ack
    published_at: float = field(default_factory=time.monotonic)


class HubLink:
    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        moderator: Moderator,
        director: Director,
        *,
        url: str | None = None,
        client_factory: Callable[[], redis.Redis] | None = None,
        nodes: dict[str, tuple[list[str], str]] | None = None,
    ):
        """nodes: every node of the room, name -> (displays, group); default: the config's, all of the
        main group."""
        self.loaded = loaded
        self.store = store
        self.moderator = moderator
        self.director = director
        self.room_nodes = nodes or {name: (list(n.displays), n.group) for name, n in loaded.config.nodes.items()}
        cfg = loaded.config.redis
        self.url = url or cfg.url
        self.keys = RoomKeys(room_prefix(loaded.config))
        self._client_factory = client_factory or (lambda: connect(cfg, url))
        self.client: redis.Redis | None = None
        self.clock = RoomClock(loaded.config.fps)
        self.connected = False
        self.last_error: str | None = None
        self.deadline_s = cfg.commit_deadline_s
        self.switches_committed = 0
        self.last_commit: dict[str, Any] | None = None
        # render thread -> link: the latest decision of each kind (older ones are superseded)
        self._lock = threading.Lock()
        self._want: dict[str, Any] = {}
        self._wake = threading.Event()
        # link -> render thread: (group, its switch number, commit frame time) to release a held switch
        self.releases: queue.Queue[tuple[str, int, datetime | None]] = queue.Queue()
        # render thread's view of what it told the link, per group
        self._seen_switch: dict[str, int] = {}
        self._seen_state: dict[str, tuple[Any, ...]] = {}
        self._seen_moderation = -1
        self._shown: dict[str, tuple[int, Shown]] = {}
        # link thread's own
        self._pending: dict[str, _Switch] = {}
        self._published: dict[str, tuple[Any, ...]] = {}  # feed -> store revision published
        self._published_posts: dict[str, dict[str, int]] = {}  # feed -> post key -> id() of the object sent
        self._last_entry: dict[str, str] = {}  # feed -> id of its last stream entry
        self._snap_at: dict[str, float] = {}
        self._snap_dirty: set[str] = set()
        self._acks_id = "$"
        self._nodes: list[dict[str, Any]] = []
        self._down_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-hub-link", daemon=True)

    # ------------------------------------------------------------------ render thread

    def observe(self, direction: Direction, t: datetime, group: str = MAIN, director: Director | None = None) -> bool:
        """After a group director's tick: queue what changed for publishing. Returns whether a new
        switch should be held until the link says when (Redis reachable)."""
        director = director or self.director
        changed = False
        with self._lock:
            if direction.switch != self._seen_switch.get(group):
                self._seen_switch[group] = direction.switch
                self._shown[group] = (direction.switch, shown_by(director, direction))
                self._want[("prepare", group)] = self._shown[group]
                changed = True
            state = (direction.frozen_at, director.locked_until is not None)
            if state != self._seen_state.get(group):
                self._seen_state[group] = state
                self._want[("state", group)] = state
                changed = True
            if self.moderator.version != self._seen_moderation:
                self._seen_moderation = self.moderator.version
                self._want["moderation"] = True
                changed = True
        if changed:
            self._wake.set()
        return self.connected

    def publish_config(self, text: str) -> None:
        """A reloaded config, for the main group's nodes (any thread)."""
        with self._lock:
            self._want[("reload", MAIN)] = text
        self._wake.set()

    def take_releases(self) -> list[tuple[str, int, datetime | None]]:
        out = []
        while True:
            try:
                out.append(self.releases.get_nowait())
            except queue.Empty:
                return out

    # ------------------------------------------------------------------ any thread

    def nodes(self) -> list[dict[str, Any]]:
        """Every node the config names, up (its last heartbeat) or down, as of the last read."""
        return list(self._nodes)

    def status(self) -> dict[str, Any]:
        return {
            "redis": shown_url(self.url),
            "prefix": self.keys.prefix,
            "connected": self.connected,
            "last_error": self.last_error,
            "clock_offset_ms": round(self.clock.offset_s * 1000, 3),
            "switches_committed": self.switches_committed,
            "last_commit": self.last_commit,
        }

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    # ------------------------------------------------------------------ the link's thread

    def _run(self) -> None:
        backoff = 0.5
        last_feeds = last_nodes = last_clock = 0.0
        while not self._stop.is_set():
            try:
                if not self.connected:
                    self._connect()
                    backoff = 0.5
                    last_clock = time.monotonic()
                now = time.monotonic()
                self._publish_wanted()
                self._follow_switch()
                if now - last_feeds >= FEEDS_EVERY_S:
                    last_feeds = now
                    self._publish_feeds()
                if now - last_nodes >= NODES_EVERY_S:
                    last_nodes = now
                    self._read_nodes()
                if now - last_clock >= CLOCK_EVERY_S:
                    last_clock = now
                    assert self.client is not None
                    self.clock.estimate(self.client)
                if not self._pending:
                    self._wake.wait(0.05)
                    self._wake.clear()
            except (redis.RedisError, OSError) as exc:
                self._lost(exc)
                self._stop.wait(backoff)
                backoff = min(5.0, backoff * 2)
            except Exception:  # a bug here must not stop publishing for good
                log.exception("hub link failed; retrying")
                self._lost(RuntimeError("internal error"))
                self._stop.wait(backoff)

    def _connect(self) -> None:
        self.client = self._client_factory()
        self.client.ping()
        self.clock.estimate(self.client)
        newest = self.client.xrevrange(self.keys.acks, "+", "-", count=1)
        self._acks_id = (
            newest[0][0] if newest else "0-0"
        )  # acks from here on (never "$": it skips any sent between reads)
        self.connected = True
        self.last_error = None
        log.warning("hub: connected to %s (room %s)", shown_url(self.url), self.keys.prefix)
        # what the nodes must converge on now: the current scenario, decisions, freeze, every feed whole
        with self._lock:
            self._seen_moderation = -1
            for group, shown in self._shown.items():
                self._want[("prepare", group)] = shown
            for group, state in self._seen_state.items():
                self._want[("state", group)] = state
            self._want["moderation"] = True
        self._published.clear()
        self._published_posts.clear()
        self._snap_at.clear()
        self._read_nodes()

    def _lost(self, exc: BaseException) -> None:
        if self.connected or self.last_error is None:
            log.error("hub: Redis at %s unreachable (%s); polling and deciding go on", shown_url(self.url), exc)
        self.connected = False
        self.last_error = f"{type(exc).__name__}: {exc}"
        for group, sw in self._pending.items():  # no switch waits for machines the hub cannot reach
            self.releases.put((group, sw.switch, None))
            with self._lock:
                if group in self._shown:
                    self._want.setdefault(("prepare", group), self._shown[group])
        self._pending = {}

    def _entry(self, kind: str, body: dict[str, Any], group: str | None = None) -> int:
        """Number a decision, append it to the control stream and keep it as the latest of its kind
        (of its group: `prepare:lobby`; moderation is site-wide)."""
        assert self.client is not None
        seq = int(self.client.incr(self.keys.seq))
        body = {"kind": kind, "seq": seq, **({"group": group} if group is not None else {}), **body}
        text = json.dumps(body)
        entry_id = self.client.xadd(self.keys.control, {"seq": seq, "body": text}, maxlen=CONTROL_MAXLEN)
        field_name = kind if group is None else f"{kind}:{group}"
        self.client.hset(self.keys.state, mapping={field_name: text, "id": entry_id, "seq": seq})
        return seq

    def _frame_after(self) -> datetime:
        margin = max(COMMIT_MARGIN_FRAMES / self.clock.fps, self.loaded.config.redis.commit_margin_s)
        return self.clock.boundary_after(self.clock.now() + margin)

    def _publish_wanted(self) -> None:
        with self._lock:
            want, self._want = self._want, {}
        for key, value in want.items():
            if not isinstance(key, tuple):
                continue
            kind, group = key
            if kind == "prepare":
                switch, shown = value
                seq = self._entry("prepare", {"shown": shown.as_json()}, group)
                expected = {n["node"] for n in self._nodes if n["state"] == "up" and n.get("group", MAIN) == group}
                self._pending[group] = _Switch(group, seq, switch, expected, time.monotonic() + self.deadline_s)
            elif kind == "reload":
                self._entry("reload", {"config": value}, group)
            elif kind == "state":
                frozen_at, night_blocked = value
                at = self._frame_after()
                body = {"at": iso(at), "frozen_at": iso(frozen_at), "night_blocked": night_blocked}
                self._entry("state", body, group)
        if "moderation" in want:
            at = self._frame_after()
            self._entry("moderation", {"at": iso(at), "decisions": self.moderator.decisions()})

    def _follow_switch(self) -> None:
        if not self._pending:
            return
        assert self.client is not None
        by_seq = {sw.seq: sw for sw in self._pending.values()}
        got = self.client.xread({self.keys.acks: self._acks_id}, block=20, count=1000)
        for _, entries in got or ():
            for entry_id, fields in entries:
                self._acks_id = entry_id
                waiting = by_seq.get(int(fields.get("seq", -1)))
                if waiting is not None:
                    waiting.acked[fields.get("node", "?")] = time.monotonic()
        for sw in list(self._pending.values()):
            if sw.expected <= set(sw.acked) or time.monotonic() >= sw.deadline:
                self._commit(sw)

    def _commit(self, sw: _Switch) -> None:
        at = self._frame_after()
        late = sorted(sw.expected - set(sw.acked))
        self._entry("commit", {"prepare": sw.seq, "at": iso(at), "acked": sorted(sw.acked), "late": late}, sw.group)
        if late:
            log.warning(
                "switch %d committed at %s without %s (not ready within %.1f s)", sw.seq, at, late, self.deadline_s
            )
        self.releases.put((sw.group, sw.switch, at))
        self.switches_committed += 1
        self.last_commit = {
            "group": sw.group,
            "seq": sw.seq,
            "at": iso(at),
            "acked": sorted(sw.acked),
            "late": late,
            "wait_ms": round((time.monotonic() - sw.published_at) * 1000, 1),
        }
        del self._pending[sw.group]

    def _publish_feeds(self) -> None:
        assert self.client is not None
        now = time.monotonic()
        for fid in self.store.feed_ids():
            adapter = self.loaded.config.feeds[fid].adapter if fid in self.loaded.config.feeds else "demo"
            if adapter == "demo":
                continue  # computed from the frame's time on every machine alike
            rev = self.store.revision(fid)
            if self._published.get(fid) != rev:
                copy = self.store.copy(fid)
                sent = self._published_posts.get(fid, {})
                new = tuple(p for p in copy.posts if sent.get(p.key) != id(p))
                delta = copy_to_json(dataclasses.replace(copy, posts=new))
                self._last_entry[fid] = self.client.xadd(
                    self.keys.feed(fid), {"body": delta}, maxlen=FEED_MAXLEN, approximate=True
                )
                self._published[fid] = rev
                self._published_posts[fid] = {p.key: id(p) for p in copy.posts}
                self._snap_dirty.add(fid)
            if fid in self._snap_dirty and now - self._snap_at.get(fid, 0.0) >= SNAPSHOT_EVERY_S:
                body = copy_to_json(self.store.copy(fid))
                self.client.set(self.keys.snap(fid), json.dumps({"id": self._last_entry[fid], "body": body}))
                self._snap_at[fid] = now
                self._snap_dirty.discard(fid)

    def _read_nodes(self) -> None:
        assert self.client is not None
        names = list(self.room_nodes)
        raw = self.client.mget([self.keys.node(n) for n in names]) if names else []
        now = time.monotonic()
        nodes = []
        for name, text in zip(names, raw, strict=True):
            if text:
                self._down_since.pop(name, None)
                beat = json.loads(text)
                nodes.append({"node": name, "state": "up", **beat})
            else:
                since = self._down_since.setdefault(name, now)
                displays, group = self.room_nodes[name]
                nodes.append(
                    {
                        "node": name,
                        "state": "down",
                        "group": group,
                        "displays": displays,
                        "down_s": round(now - since, 1),
                    }
                )
        self._nodes = nodes


__all__ = ["HubLink"]
