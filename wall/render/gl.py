"""OpenGL plumbing: contexts, GL error checks, and the sub-rectangle framebuffer blit.

moderngl's `copy_framebuffer` blits whole framebuffers only. Dirty-rectangle compositing needs
glBlitFramebuffer with rectangles, which costs a memory copy, not a shaded pass (about ten times
cheaper on Mesa llvmpipe), so we call it directly through the process's GL dispatch library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import moderngl

from ..assets import SHADERS

GL_READ_FRAMEBUFFER = 0x8CA8
GL_DRAW_FRAMEBUFFER = 0x8CA9
GL_COLOR_BUFFER_BIT = 0x4000
GL_NEAREST = 0x2600


class GLUnavailable(RuntimeError):
    """No usable OpenGL: says what to install."""


SYSTEM_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgl1"


def create_headless_context() -> moderngl.Context:
    try:
        ctx = moderngl.create_standalone_context(backend="egl", require=330)
    except Exception as exc:  # the backend raises bare Exceptions with EGL's text
        raise GLUnavailable(
            f"cannot create a headless OpenGL 3.3 context through EGL ({exc}); on Debian/Ubuntu install: "
            f"sudo apt-get install {SYSTEM_PACKAGES}"
        ) from None
    return ctx


@lru_cache(maxsize=1)
def _gl_functions():
    for name in ("libGL.so.1", "libOpenGL.so.0", ctypes.util.find_library("GL")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            blit = lib.glBlitFramebuffer
            bind = lib.glBindFramebuffer
        except (OSError, AttributeError):
            continue
        blit.argtypes = [ctypes.c_int] * 8 + [ctypes.c_uint, ctypes.c_uint]
        blit.restype = None
        bind.argtypes = [ctypes.c_uint, ctypes.c_uint]
        bind.restype = None
        return bind, blit
    return None


def blit_available() -> bool:
    return _gl_functions() is not None


def blit(
    src: moderngl.Framebuffer, dst: moderngl.Framebuffer, sx: int, sy: int, w: int, h: int, dx: int, dy: int
) -> None:
    """Copy a w x h rectangle 1:1 from src (at sx, sy) to dst (at dx, dy). No shading, no blending."""
    fns = _gl_functions()
    assert fns is not None
    bind, blit_fn = fns
    bind(GL_READ_FRAMEBUFFER, src.glo)
    bind(GL_DRAW_FRAMEBUFFER, dst.glo)
    blit_fn(sx, sy, sx + w, sy + h, dx, dy, dx + w, dy + h, GL_COLOR_BUFFER_BIT, GL_NEAREST)


SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "swiftshader")


def is_software(ctx: moderngl.Context) -> bool:
    """Whether the context draws on the CPU (Mesa's llvmpipe and the like), where every shaded pass
    costs CPU time per pixel and a copy costs a memcpy."""
    renderer = str(ctx.info.get("GL_RENDERER", "")).lower()
    return any(name in renderer for name in SOFTWARE_RENDERERS)


def program(ctx: moderngl.Context, name: str) -> moderngl.Program:
    return ctx.program(
        vertex_shader=(SHADERS / f"{name}.vert").read_text(),
        fragment_shader=(SHADERS / f"{name}.frag").read_text(),
    )


def check(ctx: moderngl.Context, what: str) -> None:
    err = ctx.error
    if err != "GL_NO_ERROR":
        raise RuntimeError(f"OpenGL error {err} after {what}")


GL_LINEAR = 0x2601


def present_blit(
    src_glo: int,
    dst_glo: int,
    src_rect: tuple[int, int, int, int],
    dst_rect: tuple[int, int, int, int],
    dst_height: int,
) -> None:
    """Copy a rectangle of one of our top-row-first framebuffers into a window framebuffer, whose
    row 0 is the bottom: flipped in y by the blit itself. Rectangles are (x, y, w, h) with y from
    the top; dst_height is the window framebuffer's height. Scales (linear) only when the sizes
    differ, i.e. when a screen's mode does not match the configured resolution."""
    fns = _gl_functions()
    assert fns is not None
    bind, blit_fn = fns
    sx, sy, sw, sh = src_rect
    x, y, w, h = dst_rect
    bind(GL_READ_FRAMEBUFFER, src_glo)
    bind(GL_DRAW_FRAMEBUFFER, dst_glo)
    top = dst_height - y  # GL y of the rectangle's top edge in the window
    blit_fn(
        sx,
        sy,
        sx + sw,
        sy + sh,
        x,
        top,
        x + w,
        top - h,
        GL_COLOR_BUFFER_BIT,
        GL_NEAREST if (sw, sh) == (w, h) else GL_LINEAR,
    )


def scaled_blit(src_glo: int, dst_glo: int, src_size: tuple[int, int], dst_size: tuple[int, int]) -> None:
    """A whole framebuffer into a smaller one, filtered (previews: read back a fraction of the pixels)."""
    fns = _gl_functions()
    assert fns is not None
    bind, blit_fn = fns
    bind(GL_READ_FRAMEBUFFER, src_glo)
    bind(GL_DRAW_FRAMEBUFFER, dst_glo)
    blit_fn(0, 0, src_size[0], src_size[1], 0, 0, dst_size[0], dst_size[1], GL_COLOR_BUFFER_BIT, GL_LINEAR)
