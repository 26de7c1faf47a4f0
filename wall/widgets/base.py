"""What every widget module provides, and what its builder is given.

A widget module defines:
- `Options`: a pydantic model (subclass of `BindingBase`) with `widget: Literal["<name>"]`;
- `build(options, ctx) -> view`: pure and cheap (it runs on the render thread every frame): store
  data + zone size + time -> a frozen dataclass of exactly what to draw. Equal views paint equal
  pixels, so the compositor repaints a zone only when its view changes;
- `paint(view, width, height) -> ndarray`: view -> (height, width, 4) uint8 RGBA pixels, run on a
  worker thread, never on the render thread;
- `TEXT_BEARING`: whether the zone shows text (for bezel and legibility checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from pydantic import Field

from ..config.base import StrictModel


class BindingBase(StrictModel):
    """Keys every zone binding accepts besides its widget's own."""

    feed: str | None = Field(default=None, description="feed id (from feeds:) this zone reads")


@dataclass(frozen=True)
class ThemeView:
    """The colours and font a painter uses, copied into each view so painting is view -> pixels."""

    background: str
    surface: str
    text: str
    muted: str
    accent: str
    font: str


@dataclass(frozen=True)
class BuildContext:
    zone_id: str
    width: int  # zone size in pixels, exactly as shown
    height: int
    origin: tuple[int, int]  # zone's top-left on the canvas (px)
    pitch_mm: tuple[float, float]  # mm per canvas pixel (x, y)
    time: datetime  # timezone-aware; the frame's time
    theme: ThemeView
    data: Any = None  # the store's snapshot for this zone's feed (later issues)


class WidgetModule(Protocol):
    NAME: str
    TEXT_BEARING: bool
    Options: type[BindingBase]

    def build(self, options: Any, ctx: BuildContext) -> Any: ...

    def paint(self, view: Any, width: int, height: int) -> np.ndarray: ...
