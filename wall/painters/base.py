"""What every painter shares: the theme and the data status copied into each view, so that painting is
view -> pixels and needs nothing else. Like every module of wall/painters, it imports no pydantic: the
paint worker unpickles views and imports their modules, and only this side (wall/widgets holds the
options models and builders)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThemeView:
    """The colours and font a painter uses, copied into each view so painting is view -> pixels."""

    background: str
    surface: str
    text: str
    muted: str
    accent: str
    font: str
    positive: str = "#3ddc97"
    neutral: str = "#9aa3b8"
    negative: str = "#ff5c6c"
    ok: str = "#3ddc97"
    warn: str = "#f2a900"
    breach: str = "#ff5c6c"
    variant: str = "dark"
    logo: str = ""  # the brand's logo ('asset:...' or a path): holding cards and screens show it

    @classmethod
    def from_config(cls, theme: Any) -> ThemeView:
        return cls(**{f: getattr(theme, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DataStatus:
    """How fresh the data a zone shows is, in words a room operator reads at a glance."""

    state: str  # ok | loading | stale | failing | credentials | unbound
    note: str = ""  # the badge text; empty when all is well
    min_px: float = 0.0  # the room's smallest legible font size: the badge is never smaller

    @property
    def ok(self) -> bool:
        return self.state == "ok"
