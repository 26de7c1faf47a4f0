"""Output backends by name (`wallctl run --backend NAME`), and which system lists the screens.

Kept light: the CLI imports this module for BACKENDS before anything needs GL or a window system,
so each backend is imported only when it is asked for.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config.schema import WindowConfig
    from ..geometry import Wall
    from .base import OutputBackend
    from .screens import Screen

BACKENDS = ("headless", "pyglet", "kiosk")


def make_backend(name: str, wall: Wall, window: WindowConfig | None = None) -> OutputBackend:
    from ..config.schema import WindowConfig

    window = window or WindowConfig()
    if name == "headless":
        from .headless import HeadlessBackend

        return HeadlessBackend()
    if name == "pyglet":
        from .pyglet_windows import PygletBackend

        return PygletBackend(wall, window)
    if name == "kiosk":
        from .sdl_kiosk import KioskBackend

        return KioskBackend(wall, window)
    raise ValueError(f"unknown backend '{name}'; available: {', '.join(BACKENDS)}")


def system_screens() -> tuple[str, list[Screen]]:
    """(where from, screens): X11 through XRandR when there is an X server, else SDL (Wayland,
    KMSDRM consoles)."""
    if os.environ.get("DISPLAY"):
        from .screens import x11_screens

        return "x11", x11_screens()
    from .sdl_kiosk import sdl_screens

    return "sdl", sdl_screens()
