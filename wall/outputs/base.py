"""The small interface every output backend implements (after moderngl-window's window base class).

A backend owns the GL context and the way composited display framebuffers reach the panels:
- `headless`: nothing reaches a panel (render, bench, tests, snapshots);
- `pyglet`: X11/Wayland desktop windows, one spanning all screens or one per screen;
- `kiosk`: one SDL2 window on a single screen, with or without a desktop (KMSDRM).

A backend is made from the wall's geometry and its `window:` config (make_backend); the runtime
then calls create_context() once (windows open here), every frame present(compositor) and poll(),
and close() at the end. Everything here runs on the
render thread and must not block beyond the swap itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import moderngl
import numpy as np

from ..render.compositor import Compositor

# Key names a backend reports from poll(): what calibrate, identify and presentation mode react to.
KEYS = (
    "left",
    "right",
    "up",
    "down",
    "shift+left",
    "shift+right",
    "shift+up",
    "shift+down",
    "enter",
    "escape",
    "space",
    "q",
    "r",
    "tab",
    "backspace",
)


@dataclass
class DisplayState:
    """Where one configured display is shown right now (for status, logs and `wallctl displays`)."""

    display_id: str
    screen: str | None  # the system's output name (DP-1, DUMMY3), or None
    state: str  # "shown", "no screen", "headless"
    detail: str = ""

    def as_dict(self) -> dict:
        return {"display": self.display_id, "screen": self.screen, "state": self.state, "detail": self.detail}


class OutputBackend(ABC):
    name: str
    windowed: bool = False

    @abstractmethod
    def create_context(self) -> moderngl.Context:
        """The GL context every output shares (created before anything else touches GL)."""

    @abstractmethod
    def present(self, compositor: Compositor) -> None:
        """Show this frame's display framebuffers (every display shows the same frame: all of them are
        composited before any is presented)."""

    def poll(self) -> list[str]:
        """Handle window-system events; return the keys pressed since the last call (names from KEYS).
        Also where display changes (a screen unplugged, plugged back) are noticed and handled."""
        return []

    @property
    def closed(self) -> bool:
        """True once the user closed the wall's window(s) (the run then stops)."""
        return False

    def capture(self, compositor: Compositor) -> dict[str, np.ndarray]:
        """What each display shows now, (h, w, 4) RGBA row 0 at the top. Windowed backends read their
        window's back buffer (what the last present() put there); headless reads the compositor."""
        return {d: compositor.read_output(d).copy() for d in compositor.outputs}

    def displays(self) -> list[DisplayState]:
        return []

    def close(self) -> None:  # noqa: B027 (optional: only backends that hold windows close them)
        pass
