"""Headless output: EGL offscreen framebuffers only. Used by `render`, `bench`, tests, snapshots."""

from __future__ import annotations

import moderngl

from ..render.compositor import Compositor
from ..render.gl import create_headless_context
from .base import OutputBackend


class HeadlessBackend(OutputBackend):
    name = "headless"

    def __init__(self) -> None:
        self.ctx: moderngl.Context | None = None

    def create_context(self) -> moderngl.Context:
        self.ctx = create_headless_context()
        return self.ctx

    def present(self, compositor: Compositor) -> None:
        # Nothing is scanned out; finishing makes frame times include the GL work, as a swap would.
        compositor.ctx.finish()
