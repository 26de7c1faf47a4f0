"""The small interface every output backend implements (after moderngl-window's window base class)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import moderngl

from ..render.compositor import Compositor


class OutputBackend(ABC):
    name: str

    @abstractmethod
    def create_context(self) -> moderngl.Context:
        """The GL context every output shares."""

    @abstractmethod
    def present(self, compositor: Compositor) -> None:
        """Show the outputs' framebuffers for this frame (swap, or nothing when headless)."""

    def close(self) -> None:
        pass
