"""Output backends by name (`wallctl run --backend NAME`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept light: the CLI imports this module for BACKENDS before anything needs GL
    from ..config.schema import WindowConfig
    from ..geometry import Wall
    from .base import OutputBackend

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
