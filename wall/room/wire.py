"""What the hub writes to Redis and nodes read back: feeds and decisions as JSON.

A feed travels as the store's `FeedCopy` (posts, every figure, health); a node validates what it
reads as it would any outside data (pydantic models, not `trusted`). A scenario travels as what it
is made of in the config (its name, an alert's banner, a spotlight's zone), never as a picture or a
view: every node builds the same plan from the same config, and renders only its displays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.model import Metric, Post

from ..config.loader import LoadedConfig, ScenarioPlan
from ..config.schema import TransitionConfig
from ..geometry import Rect
from ..scenes.director import Direction, Director, Zoom, banner_of, spotlight_plan, with_banner
from ..scenes.holding import plan_named
from ..store import FeedCopy
from .bus import iso, parse_time


def copy_to_json(c: FeedCopy) -> str:
    """One JSON text; posts through pydantic's own serialiser (the fastest way out of a model)."""
    head = {
        "metrics": {name: m.model_dump(mode="json") for name, m in c.metrics.items()},
        "last_success": iso(c.last_success),
        "last_error": c.last_error,
        "last_error_at": iso(c.last_error_at),
        "credentials_missing": c.credentials_missing,
        "restored": c.restored,
        "skipped": {reason: [count, list(ex)] for reason, (count, ex) in c.skipped.items()},
    }
    posts = ",".join(p.model_dump_json() for p in c.posts)
    return json.dumps(head)[:-1] + f', "posts": [{posts}]}}'


def copy_from_json(text: str) -> FeedCopy:
    """ValueError for anything that is not what copy_to_json wrote (names the first bad field)."""
    try:
        d = json.loads(text)
        return FeedCopy(
            tuple(Post.model_validate(p) for p in d["posts"]),
            {name: Metric.model_validate(m) for name, m in d["metrics"].items()},
            parse_time(d["last_success"]),
            d["last_error"],
            parse_time(d["last_error_at"]),
            bool(d["credentials_missing"]),
            bool(d["restored"]),
            {str(r): (int(v[0]), tuple(str(x) for x in v[1])) for r, v in d["skipped"].items()},
        )
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"not a feed copy: {type(exc).__name__}: {exc}") from None


# ---------------------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Shown:
    """A scenario as the hub's director decided it, in config terms."""

    scenario: str
    banner: Mapping[str, Any] | None = None  # an alert's title, message, since, severity
    spotlight: str | None = None  # a zone grown to the whole wall
    transition: TransitionConfig | None = None  # overrides the scenario's own
    zoom: Zoom | None = None

    def as_json(self) -> dict[str, Any]:
        banner = None
        if self.banner is not None:
            banner = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in self.banner.items()}
        return {
            "scenario": self.scenario,
            "banner": banner,
            "spotlight": self.spotlight,
            "transition": self.transition.model_dump(mode="json") if self.transition is not None else None,
            "zoom": {"kind": self.zoom.kind, "rect": self.zoom.rect.as_dict()} if self.zoom is not None else None,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Shown:
        banner = dict(d["banner"]) if d.get("banner") else None
        if banner is not None and "since" in banner:
            banner["since"] = parse_time(banner["since"])
        zoom = None
        if d.get("zoom"):
            r = d["zoom"]["rect"]
            zoom = Zoom(str(d["zoom"]["kind"]), Rect(int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"])))
        transition = TransitionConfig.model_validate(d["transition"]) if d.get("transition") else None
        return cls(str(d["scenario"]), banner, d.get("spotlight"), transition, zoom)

    def plan(self, loaded: LoadedConfig) -> ScenarioPlan:
        """The plan this machine shows for it. KeyError: a scenario or zone this config lacks."""
        plan = plan_named(loaded, self.scenario)  # the kill switch's holding screen has no config entry
        if self.banner is not None:
            plan = with_banner(plan, self.banner)
        if self.spotlight is not None:
            if self.spotlight not in plan.bindings:
                raise KeyError(self.spotlight)
            plan = spotlight_plan(plan, self.spotlight, loaded.wall)
        return plan


def shown_by(director: Director, direction: Direction) -> Shown:
    """What a director's direction shows, in config terms (the hub's render thread)."""
    alert = director.alert
    banner = banner_of(alert) if alert is not None and alert.scenario == director.base else None
    return Shown(director.base, banner, director.spotlight, direction.transition, direction.zoom)
