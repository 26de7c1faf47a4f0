"""The wall's status as the control API and the console read it: one typed, frozen object.

The render thread republishes the parts that change per frame (the director's decision, frame
times, displays, feed health) as a new `WallStatus` each frame; another thread reads the latest one
without a lock and fills in, when asked, what is its own to know (a reload error) or what is costly
and thread-safe to compute (alert rules, the moderation queue's size). `as_json()` is the body of
`GET /api/status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..scenes.director import DirectorState


@dataclass(frozen=True)
class FeedStatus:
    state: str  # ok | loading | stale | failing | credentials
    last_success: datetime | None
    last_error: str | None
    posts: int  # posts the store holds for it
    replay: Mapping[str, Any] | None = None  # a replay feed: {start, speed} of the period played
    notes: tuple[str, ...] = ()  # items the source sent that could not be used (state "degraded")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "state": self.state,
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "last_error": self.last_error,
            "posts": self.posts,
        }
        if self.replay is not None:
            out["replay"] = dict(self.replay)
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class WallStatus:
    director: DirectorState
    fps_target: float
    frames: int
    frame_ms_p50: float | None
    frame_ms_p99: float | None
    dropped_frames: int
    displays: tuple[Mapping[str, Any], ...]  # each display: its screen and state
    feeds: Mapping[str, FeedStatus]
    config: str  # the config file's path
    reload_error: str | None = None  # the last config change that was rejected, with its file:line:col
    alerts: tuple[Mapping[str, Any], ...] = ()  # every alert rule and where it stands
    moderation: Mapping[str, Any] | None = None  # None: moderation is not configured in this run
    room: Mapping[str, Any] | None = None  # a room's hub: its Redis link (None: a wall on its own)
    nodes: tuple[Mapping[str, Any], ...] = ()  # a room's hub: every node, up with its heartbeat, or down
    groups: Mapping[str, DirectorState] = field(default_factory=dict)  # a hub's other groups of nodes
    pictures: Mapping[str, Any] | None = None  # web pictures' cache and failures (None: not fetched in this run)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.director.as_json(),
            "fps_target": self.fps_target,
            "frames": self.frames,
            "frame_ms_p50": self.frame_ms_p50,
            "frame_ms_p99": self.frame_ms_p99,
            "dropped_frames": self.dropped_frames,
            "displays": [dict(d) for d in self.displays],
            "feeds": {f: s.as_json() for f, s in self.feeds.items()},
            "reload_error": self.reload_error,
            "config": self.config,
            "alerts": [dict(a) for a in self.alerts],
            "moderation": dict(self.moderation) if self.moderation is not None else None,
            "room": dict(self.room) if self.room is not None else None,
            "nodes": [dict(n) for n in self.nodes],
            "pictures": dict(self.pictures) if self.pictures is not None else None,
            "groups": {
                name: {k: d.as_json()[k] for k in ("scenario", "shown", "preparing", "reason", "scenarios")}
                for name, d in self.groups.items()
            },
        }
