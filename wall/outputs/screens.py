"""The screens the system reports, and which configured display goes on which screen.

A *screen* is what the window system calls a monitor: an output name (DP-1, HDMI-A-1, DUMMY3),
its mode (resolution, refresh) and its position on the desktop. A *display* is a panel of the
wall config. Binding pairs them, by the display's `output:` (a name, an index into the system's
list, or "@X,Y", the screen's desktop position); displays without `output:` take the screens in
reading order (top row left to right, then the next row), as a grid's A1, B1, ... A2 do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Screen:
    name: str  # the system's output name; "0", "1", ... where the system gives none
    index: int  # position in the system's list
    x: int
    y: int
    width: int
    height: int
    refresh_hz: float | None = None
    primary: bool = False

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.width, self.height

    def as_dict(self) -> dict:
        return asdict(self)
