"""Where the machines of a room meet: the Redis connection, the names of what is kept there, and the
room's one clock.

Everything between machines goes through Redis (DESIGN: no sockets of our own):

    <prefix>:feed:<feed>   stream   a feed's new posts, figures and health, one entry per change (MAXLEN)
    <prefix>:snap:<feed>   string   the feed whole, with the id of the last entry it includes
    <prefix>:control       stream   the hub's decisions, numbered (prepare, commit, moderation, freeze)
    <prefix>:state         string   the latest decision of each kind, for a node that starts late
    <prefix>:seq           counter  the decisions' numbers (a restarted hub continues them)
    <prefix>:acks          stream   nodes: "switch n is painted and uploaded here"
    <prefix>:node:<name>   string   a node's heartbeat, with a TTL: no key, the node is down

The room's clock is the Redis server's (`TIME`): the hub and every node estimate their offset to it,
NTP-style, so frame k of every machine shows the same instant and a commit time means one frame.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from ..config.base import resolve_env_ref
from ..config.schema import RedisConfig

FEED_MAXLEN = 2_000  # entries per feed stream: minutes of a flood; a node further behind reads the snapshot
CONTROL_MAXLEN = 10_000  # decisions kept for nodes that were away; older ones: the state key has the latest
ACKS_MAXLEN = 5_000
HEARTBEAT_TTL_S = 3  # a node's key outlives two missed heartbeats, so a dead node is down within 5 s
HEARTBEAT_EVERY_S = 1.0


class RoomKeys:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.control = f"{prefix}:control"
        self.state = f"{prefix}:state"
        self.seq = f"{prefix}:seq"
        self.acks = f"{prefix}:acks"

    def feed(self, feed_id: str) -> str:
        return f"{self.prefix}:feed:{feed_id}"

    def snap(self, feed_id: str) -> str:
        return f"{self.prefix}:snap:{feed_id}"

    def node(self, name: str) -> str:
        return f"{self.prefix}:node:{name}"


def room_prefix(config: Any) -> str:
    """The config's `redis.prefix`, or wall:<name> (letters, digits and dashes of the wall's name)."""
    if config.redis.prefix:
        return str(config.redis.prefix)
    return "wall:" + (re.sub(r"[^a-z0-9]+", "-", config.name.lower()).strip("-") or "wall")


def shown_url(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def connect(cfg: RedisConfig, url: str | None = None) -> redis.Redis:
    """A client (connections are made on first use: nothing here waits on the network). Replies
    are decoded to str; timeouts are short so a dead server is noticed within seconds."""
    kw: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
        "health_check_interval": 10,
    }
    if cfg.username:
        kw["username"] = resolve_env_ref(cfg.username)
    if cfg.password:
        kw["password"] = resolve_env_ref(cfg.password)
    target = url or cfg.url
    if target.startswith("rediss://") and cfg.ca_file:
        kw["ssl_ca_certs"] = cfg.ca_file
    return redis.Redis.from_url(target, **kw)


class RoomClock:
    """The room's clock: Redis server time, estimated here.

    Satisfies the frame loop's Clock: `wall_time` maps this machine's monotonic clock to room time
    and rounds it to the frame grid (whole multiples of 1/fps since the epoch), so two machines whose
    offsets are known within half a frame compute the very same frame time for the same slot."""

    def __init__(self, fps: float):
        self.fps = fps
        self._mono0 = time.monotonic()
        self._unix0 = time.time()
        self.offset_s = 0.0  # room time - this machine's time
        self.rtt_s: float | None = None  # round trip of the best sample of the last estimate
        self.estimated_at: float | None = None  # monotonic time of the last estimate

    # -- the room's time
    def now(self) -> float:
        """Room time now, in seconds since the epoch (not rounded)."""
        return self._unix0 + (time.monotonic() - self._mono0) + self.offset_s

    def grid(self, seconds: float) -> datetime:
        """The frame time of the slot that contains `seconds`."""
        k = round(seconds * self.fps)
        return datetime.fromtimestamp(k / self.fps, UTC)

    def boundary_after(self, seconds: float) -> datetime:
        """The first frame time at or after `seconds`."""
        k = math.ceil(seconds * self.fps - 1e-9)
        return datetime.fromtimestamp(k / self.fps, UTC)

    # -- the frame loop's Clock
    def monotonic(self) -> float:
        return time.monotonic()

    def wall_time(self, monotonic: float) -> datetime:
        return self.grid(self._unix0 + (monotonic - self._mono0) + self.offset_s)

    def sleep_until(self, monotonic: float) -> None:
        delay = monotonic - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def align(self) -> None:
        """Wait for the next frame boundary of room time, so this machine's frame slots start with
        everyone else's."""
        now = self.now()
        nxt = math.ceil(now * self.fps) / self.fps
        time.sleep(max(0.0, nxt - now))

    # -- estimating the offset
    def estimate(self, client: redis.Redis, samples: int = 7) -> tuple[float, float]:
        """NTP-style: ask the server's TIME `samples` times; each answer was read, on the server, about
        halfway through its round trip. The three fastest round trips are the least disturbed by
        scheduling; their median offset is kept. Returns (offset, round trip) in seconds; raises
        redis errors (the caller keeps the last offset then)."""
        found: list[tuple[float, float]] = []
        for _ in range(samples):
            t0 = self._local()
            sec, usec = client.time()
            t1 = self._local()
            found.append((t1 - t0, sec + usec / 1e6 - (t0 + t1) / 2))
        found.sort()
        best = found[:3]
        self.offset_s = statistics.median(o for _, o in best)
        self.rtt_s = best[0][0]
        self.estimated_at = time.monotonic()
        return self.offset_s, self.rtt_s

    def _local(self) -> float:
        return self._unix0 + (time.monotonic() - self._mono0)


def iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    t = datetime.fromisoformat(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def seconds(t: datetime) -> float:
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(seconds=1)
