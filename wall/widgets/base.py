"""What every widget module provides, what its builder is given, and how builders read it.

A widget module defines:
- `Options`: a pydantic model (subclass of `BindingBase`) with `widget: Literal["<name>"]`;
- `build(options, ctx) -> view`: pure and cheap (it runs on the render thread every frame): store
  data + zone size + time -> a frozen dataclass of exactly what to draw. Equal views paint equal
  pixels, so the compositor repaints a zone only when its view changes;
- `paint(view, width, height) -> ndarray`: view -> (height, width, 4) uint8 RGBA pixels, run in a
  paint worker, never on the render thread. It and the view's classes are defined in
  wall/painters/<name>.py (no pydantic there: that is all a worker imports) and imported here;
- `TEXT_BEARING`: whether the zone shows text (for bezel and legibility checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Protocol

import numpy as np
from pydantic import AfterValidator, Field

from feeds.sanitize import plain_text

from ..calendar_names import DAY_ABBR, MONTH_ABBR
from ..config.base import StrictModel
from ..config.syntax import zone
from ..numbers import human_number
from ..painters.base import DataStatus, ThemeView


class BindingBase(StrictModel):
    """Keys every zone binding accepts besides its widget's own."""

    feed: str | None = Field(default=None, description="feed id (from feeds:) this zone reads")


def _known_zone(name: str, *, local: bool) -> str:
    if local and name == "local":
        return name
    try:
        zone(name)  # the config's one check: IANA characters, a sane length, a zone this machine knows
    except ValueError as exc:
        other = "'local'" if local else "'UTC'"
        raise ValueError(str(exc).replace("like 'Europe/Paris'", f"like 'Europe/Paris' or {other}", 1)) from None
    return name


# An option naming an IANA time zone ('Europe/Paris'); LocalOrZone also takes 'local' (the machine's).
TimeZone = Annotated[str, AfterValidator(partial(_known_zone, local=False))]
LocalOrZone = Annotated[str, AfterValidator(partial(_known_zone, local=True))]


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def data_age(as_of: datetime, t: datetime) -> str:
    """When the data shown was fetched, as a clock time ("data from 14:05", the machine's time zone,
    as its clocks show it), with the day when it is not the frame's day, and how long ago when that is
    a minute or more. The clock time stays true whatever the frame's time: a render of a stored wall
    (`wallctl render --store`) or a time before the data never reads "just now" beside "stale"."""
    fetched, now = as_of.astimezone(), t.astimezone()
    clock = f"{fetched:%H:%M}"
    days = (now.date() - fetched.date()).days
    if days > 6 or days < 0:
        clock = f"{fetched.day} {MONTH_ABBR[fetched.month - 1]} {clock}"
    elif days > 0:
        clock = f"{DAY_ABBR[fetched.weekday()]} {clock}"
    age = (t - as_of).total_seconds()
    return f"data from {clock}" + (f" · {_ago(age)}" if age >= 60 else "")


def data_status(snapshot: Any, t: datetime, min_px: float = 0.0) -> DataStatus:
    """Status of a zone's FeedSnapshot (None: the zone is bound to no feed)."""
    status = _status(snapshot, t)
    return DataStatus(status.state, status.note, float(math.ceil(min_px))) if min_px else status


def _status(snapshot: Any, t: datetime) -> DataStatus:
    if snapshot is None:
        return DataStatus("unbound", "no feed")
    h = snapshot.health
    since = data_age(snapshot.as_of, t) if snapshot.as_of else "no data yet"
    if h.state in ("ok", "degraded"):  # degraded: some items the source sent were unusable (the console says which)
        return DataStatus("ok")
    if h.state == "loading":
        return DataStatus("loading", "waiting for data")
    if h.state == "stale":
        return DataStatus("stale", since)  # the badge's amber says stale; the words say since when
    if h.state == "credentials":
        return DataStatus("credentials", f"credentials rejected · {since}")
    return DataStatus("failing", f"source failing · {since}")


@dataclass(frozen=True)
class BuildContext:
    zone_id: str
    width: int  # zone size in pixels, exactly as shown
    height: int
    origin: tuple[int, int]  # zone's top-left on the canvas (px)
    pitch_mm: tuple[float, float]  # mm per canvas pixel (x, y)
    time: datetime  # timezone-aware; the frame's time
    theme: ThemeView
    data: Any = None  # the store's FeedSnapshot for this zone's feed (None: no feed bound)
    # Smallest font size (px) readable from the room's viewing distance (the rule in wall/geometry.py);
    # painters never set secondary text below it and show fewer items instead. 0: no floor.
    min_text_px: float = 0.0


def metric_of(data: Any, name: str):
    """The named Metric in a FeedSnapshot, or None."""
    metrics = getattr(data, "metrics", None)
    return metrics.get(name) if metrics is not None else None


def caption_for(label: str | None, metric: Any, fallback: str) -> str:
    """A figure's caption: the zone's `label` option, else the metric's name, else `fallback` (the
    metric's key), as plain text on one line."""
    return plain_text(
        label if label is not None else (metric.name if metric else fallback), keep_newlines=False, max_chars=200
    )


def format_value(x: object, unit: str) -> tuple[str, str]:
    """(number, unit) as shown: the unit is drawn smaller beside the number."""
    return human_number(x), plain_text(unit or "", keep_newlines=False, max_chars=40)


def text_floor(ctx: BuildContext) -> float:
    """The room's smallest legible font size for a zone, in whole px (text is fitted at whole
    sizes, so a fractional floor is rounded up); 0: no floor."""
    return float(math.ceil(ctx.min_text_px or 0.0))


class WidgetModule(Protocol):
    NAME: str
    TEXT_BEARING: bool
    Options: type[BindingBase]

    def build(self, options: Any, ctx: BuildContext) -> Any: ...

    def paint(self, view: Any, width: int, height: int) -> np.ndarray: ...
