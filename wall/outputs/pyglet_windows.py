"""Desktop windows through pyglet: one window spanning every screen, or one per screen.

Compositing never happens in a window's context. A hidden 1x1 window owns the context moderngl
uses (the *composer*): zone textures, display framebuffers and the compositor's objects live
there, and every window's context shares its object space. Presenting a frame is, per window:
make its context current, read the display's texture through a framebuffer of that context
(framebuffers are not shared between contexts, textures are), blit it flipped into the window,
swap. Windows can therefore close and re-open (a screen unplugged and plugged back) without
touching anything the compositor holds.

Modes:
- span: one borderless window over the bounding rectangle of the screens, each display's picture
  blitted at its screen's place: one context switch and one swap per frame. Chosen by `auto`
  when the bound screens tile one rectangle (a 3x2 wall from one graphics card, or NVIDIA Mosaic /
  AMD Eyefinity presenting one big screen).
- per-screen: a fullscreen window on each screen; only the last one presented waits for vsync, so
  a frame costs one refresh, not one per screen.

Every display of a frame is composited before any window is presented, so no screen shows a
frame ahead of its neighbour. Screens are watched on a thread of our own (XRandR, current
resources, no re-probe); the render thread only compares a generation number.
"""

from __future__ import annotations

import ctypes
import logging
import time
import weakref

import moderngl
import numpy as np

from ..config.schema import WindowConfig
from ..geometry import Wall
from ..render import gl
from ..render.compositor import Compositor
from .base import DisplayState, OutputBackend
from .screens import Binding, Screen, ScreenWatcher, bind_displays, spans_one_rectangle, x11_screens

log = logging.getLogger("wall.outputs")

GL_TEXTURE_2D = 0x0DE1
GL_COLOR_ATTACHMENT0 = 0x8CE0
GL_READ_FRAMEBUFFER = 0x8CA8
GL_FRAMEBUFFER_COMPLETE = 0x8CD5
GL_RGBA = 0x1908
GL_UNSIGNED_BYTE = 0x1401
GL_BACK = 0x0405

SCREENSAVER_RESET_S = 30.0


class WindowError(RuntimeError):
    """No window could be opened: says why and what to do."""


class _Target:
    """A display's place in a window: (x, y, w, h) from the window's top-left."""

    def __init__(self, display_id: str, screen: Screen, rect: tuple[int, int, int, int]):
        self.display_id = display_id
        self.screen = screen
        self.rect = rect


class _Window:
    """One pyglet window and the displays it shows."""

    def __init__(self, pyglet_window, targets: list[_Target], label: str):
        self.win = pyglet_window
        self.targets = targets
        self.label = label
        self.full = True  # the next present writes everything (a new window, an exposed one)
        self._read_fbos: dict[tuple[str, int], tuple[weakref.ref, int]] = {}  # (display, texture glo) -> fbo name here

    def _read_fbo(self, display_id: str, texture) -> int:
        """A framebuffer of this window's context reading `texture` (a moderngl texture of the composer).
        Kept per texture (a panel alternates between the composited picture and the post stage's);
        a texture that is gone (its compositor was rebuilt) drops its framebuffer, so a reused GL
        name never reads a stale attachment."""
        from pyglet import gl as pgl

        key = (display_id, texture.glo)
        known = self._read_fbos.get(key)
        if known is not None and known[0]() is texture:
            return known[1]
        for k, (ref, name) in list(self._read_fbos.items()):
            if ref() is None or k == key:
                pgl.glDeleteFramebuffers(1, ctypes.byref(pgl.GLuint(name)))
                del self._read_fbos[k]
        name = pgl.GLuint()
        pgl.glGenFramebuffers(1, ctypes.byref(name))
        pgl.glBindFramebuffer(GL_READ_FRAMEBUFFER, name)
        pgl.glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture.glo, 0)
        status = pgl.glCheckFramebufferStatus(GL_READ_FRAMEBUFFER)
        if status != GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(
                f"cannot read display {display_id}'s texture in window {self.label} (status {status:#x})"
            )
        self._read_fbos[key] = (weakref.ref(texture), name.value)
        return name.value

    def draw(self, compositor: Compositor, partial: bool = False) -> list[tuple[int, int, int, int]]:
        """Blit the displays of this window into its back buffer (the window's context is current).

        partial: the back buffer still holds the last frame (presents copy, never swap), so only
        what the compositor rewrote this frame is blitted. Returns the window rectangles written
        (x, y, w, h from the top)."""
        _, fb_h = self.win.get_framebuffer_size()
        written = []
        full = self.full or not partial
        for t in self.targets:
            out = compositor.outputs.get(t.display_id)
            if out is None:
                continue
            src = self._read_fbo(t.display_id, out.shown_target[0])
            res = out.display.resolution
            tx, ty, tw, th = t.rect
            if full or (tw, th) != res:
                rects = [(0, 0, *res)]
            else:
                rects = out.damage if len(out.damage) <= 8 else [_bounds(out.damage)]
            for r in rects:
                if (tw, th) == res:
                    dst = (tx + r[0], ty + r[1], r[2], r[3])
                else:
                    dst = t.rect  # scaled: always the whole display
                gl.present_blit(src, 0, r, dst, fb_h)
                written.append(dst)
        self.full = False
        return written

    def copy_to_front(self, rects: list[tuple[int, int, int, int]]) -> None:
        """Show back-buffer rectangles without a swap (GLX_MESA_copy_sub_buffer): the back buffer
        keeps its content, so the next frame can again write only what changed."""
        from pyglet.gl import glxext_arb

        _, fb_h = self.win.get_framebuffer_size()
        ctx = self.win.context
        for x, y, w, h in rects:
            glxext_arb.glXCopySubBufferMESA(ctx.x_display, ctx.glx_window, x, fb_h - y - h, w, h)

    def on_expose(self):
        self.full = True  # the window system lost what was shown: everything again next frame

    def close(self) -> None:
        try:
            self.win.close()
        except Exception as exc:  # the X server may already have dropped it
            log.debug("closing window %s: %s", self.label, exc)


class PygletBackend(OutputBackend):
    name = "pyglet"
    windowed = True

    def __init__(self, wall: Wall, window: WindowConfig, list_screens=None, watch_period: float = 1.0):
        self.wall = wall
        self.config = window
        self._list_screens = list_screens or x11_screens
        self._watch_period = watch_period
        self.mode: str = window.mode
        self.windows: list[_Window] = []
        self._wanted: dict[str, str | None] = {}  # display id -> screen name it belongs on
        self._bindings: dict[str, Binding] = {}
        self._keys: list[str] = []
        self._closed = False
        self._generation = 0
        self._last_saver_reset = 0.0
        self.watcher: ScreenWatcher | None = None
        self.ctx: moderngl.Context | None = None
        # `wallctl bench`: per frame (finish compositing, blit into the windows, swap) in seconds
        self.measure = False
        self.partial = False  # see _choose_present
        self.present_times: list[tuple[float, float, float]] = []

    # ------------------------------------------------------------------ set-up

    def create_context(self) -> moderngl.Context:
        try:
            import pyglet

            pyglet.options["shadow_window"] = False  # our composer window is the shared context
            pyglet.options["debug_gl"] = False  # a glGetError after every call; ours are checked where it matters
            from pyglet import gl as pgl

            screens = self._list_screens()
        except Exception as exc:
            raise WindowError(
                f"cannot open desktop windows: {exc}. Without a desktop, use --backend kiosk "
                f"(SDL on the console) or --backend headless"
            ) from None
        if not screens:
            raise WindowError("the window system reports no active screen (is a monitor connected and on?)")
        self._pyglet, self._pgl = pyglet, pgl
        try:
            self._config = pgl.Config(
                major_version=3, minor_version=3, forward_compatible=True, double_buffer=True, depth_size=0
            )
            self._composer = pyglet.window.Window(1, 1, visible=False, config=self._config, caption="wall (composer)")
        except Exception as exc:
            raise WindowError(f"cannot create an OpenGL 3.3 context on the X server: {exc}") from None
        self._composer.switch_to()
        self.ctx = moderngl.create_context(require=330)
        self.partial = self._choose_present()
        for b in bind_displays(self.wall, screens):
            self._wanted[b.display_id] = b.screen.name if b.screen else None
            self._bindings[b.display_id] = b
            if b.screen is None:
                log.warning("display %s has no screen: %s", b.display_id, b.reason)
        self.mode = self._choose_mode()
        self._open_windows()
        self.watcher = ScreenWatcher(self._list_screens, self._watch_period)
        self._generation = self.watcher.generation
        return self.ctx

    def _choose_mode(self) -> str:
        rects = [b.screen.rect for b in self._bindings.values() if b.screen is not None]
        spans = spans_one_rectangle(rects) is not None and len(rects) == len(self.wall.displays)
        if self.config.mode == "auto":
            mode = "span" if spans else "per-screen"
            log.info(
                "window mode %s (%s)",
                mode,
                "the screens tile one rectangle" if spans else "the screens do not tile one rectangle",
            )
            return mode
        if self.config.mode == "span" and not spans:
            log.warning(
                "window mode span forced although the screens do not tile one rectangle: parts of the "
                "window fall outside every screen"
            )
        return self.config.mode

    def _open_windows(self) -> None:
        bound = [b for b in self._bindings.values() if b.screen is not None]
        if not bound:
            return
        if self.mode == "span":
            x0 = min(b.screen.x for b in bound)
            y0 = min(b.screen.y for b in bound)
            x1 = max(b.screen.x + b.screen.width for b in bound)
            y1 = max(b.screen.y + b.screen.height for b in bound)
            targets = [
                _Target(b.display_id, b.screen, (b.screen.x - x0, b.screen.y - y0, b.screen.width, b.screen.height))
                for b in bound
            ]
            self.windows = [self._new_window(targets, (x0, y0, x1 - x0, y1 - y0), None, "span")]
        else:
            self.windows = [self._screen_window(b) for b in bound]
        self._set_vsync()

    def _screen_window(self, b: Binding) -> _Window:
        s = b.screen
        assert s is not None
        return self._new_window(
            [_Target(b.display_id, s, (0, 0, s.width, s.height))], s.rect, s, f"{b.display_id}@{s.name}"
        )

    def _new_window(self, targets: list[_Target], rect, screen: Screen | None, label: str) -> _Window:
        pyglet = self._pyglet
        x, y, w, h = rect
        pscreen = None
        if screen is not None:  # pyglet's own screen object, for a fullscreen window on it
            pscreen = next(
                (p for p in pyglet.display.get_display().get_screens() if (p.x, p.y, p.width, p.height) == screen.rect),
                None,
            )
        if pscreen is not None:
            win = pyglet.window.Window(
                fullscreen=True, screen=pscreen, config=self._config, vsync=False, caption=f"wall {label}", visible=True
            )
        else:
            win = pyglet.window.Window(
                w,
                h,
                style=pyglet.window.Window.WINDOW_STYLE_BORDERLESS,
                config=self._config,
                vsync=False,
                caption=f"wall {label}",
                visible=False,
            )
            win.set_location(x, y)
            win.set_visible(True)
        if self.config.hide_cursor:
            win.set_mouse_visible(False)
        window = _Window(win, targets, label)
        win.push_handlers(on_key_press=self._on_key, on_close=self._on_close, on_expose=window.on_expose)
        for t in targets:
            self._check_size(t)
        self._composer.switch_to()
        return window

    def _check_size(self, t: _Target) -> None:
        d = next(d for d in self.wall.displays if d.id == t.display_id)
        if (t.screen.width, t.screen.height) != d.resolution:
            log.warning(
                "display %s is configured %dx%d but screen %s runs %dx%d: its picture is scaled; set the "
                "screen's mode or the display's resolution",
                d.id,
                *d.resolution,
                t.screen.name,
                t.screen.width,
                t.screen.height,
            )

    def _set_vsync(self) -> None:
        """vsync on the last window presented only: one wait per frame, not one per window."""
        for i, w in enumerate(self.windows):
            try:
                w.win.set_vsync(self.config.vsync and i == len(self.windows) - 1)
            except Exception as exc:  # not every driver exposes a swap interval
                log.debug("vsync on %s: %s", w.label, exc)
        self._composer.switch_to()

    # ------------------------------------------------------------------ input

    def _on_key(self, symbol: int, modifiers: int):
        name = key_name(symbol, modifiers)
        if name:
            self._keys.append(name)
        return True  # handled: keeps pyglet's default (Escape closes the window) out of the way

    def _on_close(self):
        self._closed = True
        return True

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ per frame

    def present(self, compositor: Compositor) -> None:
        t0 = time.perf_counter()
        # the windows' contexts read textures the composer wrote: finish those writes first
        compositor.ctx.finish()
        t1 = time.perf_counter()
        blit = swap = 0.0
        for w in self.windows:
            try:
                a = time.perf_counter()
                if (
                    not self.partial
                    and not w.full
                    and not any(
                        compositor.outputs[t.display_id].damage for t in w.targets if t.display_id in compositor.outputs
                    )
                ):
                    continue  # nothing changed on this window's screens: it keeps showing its last frame
                w.win.switch_to()
                written = w.draw(compositor, partial=self.partial)
                if self.measure:
                    self._pgl.glFinish()  # only to tell the blit from the swap in `wallctl bench`
                b = time.perf_counter()
                if self.partial:
                    w.copy_to_front(written)
                else:
                    w.win.flip()
                c = time.perf_counter()
                blit += b - a
                swap += c - b
            except Exception as exc:  # one window failing (its screen vanished mid-frame) spares the others
                w.full = True
                log.warning("window %s could not present: %s", w.label, exc)
        self._composer.switch_to()
        if self.measure:
            self.present_times.append((t1 - t0, blit, swap))

    def _choose_present(self) -> bool:
        """Partial presents (only changed rectangles, copied to the front without a swap) where the
        driver offers GLX_MESA_copy_sub_buffer and cannot wait for vsync anyway (Mesa's software
        rasteriser): there a full swap costs a per-pixel conversion of every screen each frame.
        Drivers that can vsync swap whole frames, so nothing tears."""
        from pyglet.gl import glx_info

        can_copy = glx_info.have_extension("GLX_MESA_copy_sub_buffer")
        can_vsync = any(
            glx_info.have_extension(e)
            for e in ("GLX_EXT_swap_control", "GLX_MESA_swap_control", "GLX_SGI_swap_control")
        )
        partial = can_copy and not can_vsync
        log.info(
            "presenting %s",
            "changed rectangles (GLX_MESA_copy_sub_buffer; the driver has no vsync)"
            if partial
            else "whole frames (swap)",
        )
        return partial

    def poll(self) -> list[str]:
        for w in self.windows:
            try:
                w.win.dispatch_events()
            except Exception as exc:
                log.debug("events of %s: %s", w.label, exc)
        try:
            self._composer.dispatch_events()
        except Exception:
            pass
        if self.watcher is not None and self.watcher.generation != self._generation:
            self._generation = self.watcher.generation
            self._screens_changed(self.watcher.screens)
        now = time.monotonic()
        if now - self._last_saver_reset >= SCREENSAVER_RESET_S:
            self._last_saver_reset = now
            self._reset_screensaver()
        self._composer.switch_to()
        keys, self._keys = self._keys, []
        return keys

    def _reset_screensaver(self) -> None:
        """A wall is never idle: tell the X server so, as video players do, so it never blanks."""
        try:
            from pyglet.libs.x11 import xlib

            xlib.XResetScreenSaver(self._pyglet.display.get_display()._display)
        except Exception as exc:
            log.debug("screensaver reset: %s", exc)

    # ------------------------------------------------------------------ display changes

    def _screens_changed(self, screens: list[Screen]) -> None:
        by_name = {s.name: s for s in screens}
        new: dict[str, Binding] = {}
        for d in self.wall.displays:
            want = self._wanted.get(d.id)
            s = by_name.get(want) if want else None
            new[d.id] = Binding(d.id, s, f"output {want}" if s else f"screen {want} is gone")
        # displays that never had a screen may take screens nobody uses, in reading order
        unbound_ids = [d for d in self.wall.displays if self._wanted.get(d.id) is None]
        if unbound_ids:
            used = {b.screen.name for b in new.values() if b.screen is not None}
            free = sorted(
                (s for s in screens if s.name not in used and s.name not in self._wanted.values()),
                key=lambda s: (s.y, s.x),
            )
            for d in unbound_ids:
                if free:
                    s = free.pop(0)
                    self._wanted[d.id] = s.name
                    new[d.id] = Binding(d.id, s, "a new screen, in reading order")
        old = self._bindings
        self._bindings = new
        others = sum(1 for b in new.values() if b.screen is not None)
        for did, b in new.items():
            before = old.get(did)
            was = before.screen if before else None
            if was is not None and b.screen is None:
                log.warning(
                    "display %s: screen %s is gone (unplugged or switched off); %d other display(s) go on",
                    did,
                    was.name,
                    others,
                )
            elif was is None and b.screen is not None:
                log.warning(
                    "display %s: screen %s is back (%dx%d+%d+%d); showing the wall on it again",
                    did,
                    b.screen.name,
                    b.screen.width,
                    b.screen.height,
                    b.screen.x,
                    b.screen.y,
                )
            elif was is not None and b.screen is not None and was.rect != b.screen.rect:
                log.warning(
                    "display %s: screen %s changed to %dx%d+%d+%d; window re-placed",
                    did,
                    b.screen.name,
                    b.screen.width,
                    b.screen.height,
                    b.screen.x,
                    b.screen.y,
                )
        self._reconcile(old)

    def _reconcile(self, old: dict[str, Binding]) -> None:
        if self.mode == "span":
            window = self.windows[0] if self.windows else None
            bound = {b.display_id: b for b in self._bindings.values() if b.screen is not None}
            if window is not None and all(
                t.screen.rect == bound[t.display_id].screen.rect for t in window.targets if t.display_id in bound
            ):
                # same arrangement: the window stays; displays whose screen is gone are simply not drawn,
                # and drawn again when it returns
                x0, y0 = window.win.get_location()
                window.targets = [
                    _Target(did, b.screen, (b.screen.x - x0, b.screen.y - y0, b.screen.width, b.screen.height))
                    for did, b in bound.items()
                ]
                window.full = True  # a screen that returns shows the whole current frame at once
                return
            for w in self.windows:
                w.close()
            self._open_windows()
            return
        keep: list[_Window] = []
        for w in self.windows:
            t = w.targets[0]
            b = self._bindings.get(t.display_id)
            if b is not None and b.screen is not None and b.screen.rect == t.screen.rect:
                keep.append(w)
            else:
                w.close()
                log.info("window %s closed", w.label)
        shown = {w.targets[0].display_id for w in keep}
        for d in self.wall.displays:
            b = self._bindings[d.id]
            if b.screen is not None and d.id not in shown:
                keep.append(self._screen_window(b))
                log.info("window %s opened", keep[-1].label)
        order = {d.id: i for i, d in enumerate(self.wall.displays)}
        self.windows = sorted(keep, key=lambda w: order[w.targets[0].display_id])
        self._set_vsync()

    # ------------------------------------------------------------------ inspection

    def displays(self) -> list[DisplayState]:
        shown = {t.display_id for w in self.windows for t in w.targets}
        out = []
        for d in self.wall.displays:
            b = self._bindings.get(d.id)
            if b is not None and b.screen is not None and d.id in shown:
                s = b.screen
                out.append(DisplayState(d.id, s.name, "shown", f"{self.mode} window, {s.width}x{s.height}+{s.x}+{s.y}"))
            else:
                out.append(DisplayState(d.id, self._wanted.get(d.id), "no screen", b.reason if b else ""))
        return out

    def capture(self, compositor: Compositor) -> dict[str, np.ndarray]:
        """Each shown display as its window has it: the present blit redone into the back buffer and
        read back from there (not from the compositor)."""
        from pyglet import gl as pgl

        compositor.ctx.finish()
        out: dict[str, np.ndarray] = {}
        for w in self.windows:
            w.win.switch_to()
            w.draw(compositor)
            _, fb_h = w.win.get_framebuffer_size()
            pgl.glBindFramebuffer(0x8CA8, 0)
            pgl.glReadBuffer(GL_BACK)
            pgl.glPixelStorei(pgl.GL_PACK_ALIGNMENT, 1)
            for t in w.targets:
                x, y, tw, th = t.rect
                buf = (ctypes.c_ubyte * (tw * th * 4))()
                pgl.glReadPixels(x, fb_h - y - th, tw, th, GL_RGBA, GL_UNSIGNED_BYTE, buf)
                out[t.display_id] = np.frombuffer(buf, np.uint8).reshape(th, tw, 4)[::-1].copy()
        self._composer.switch_to()
        return out

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        for w in self.windows:
            w.close()
        self.windows = []
        composer = getattr(self, "_composer", None)
        if composer is not None:
            composer.switch_to()  # moderngl releases its objects after this, in the composer's context


def _bounds(rects: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[0] + r[2] for r in rects)
    y1 = max(r[1] + r[3] for r in rects)
    return x0, y0, x1 - x0, y1 - y0


_KEYS = {
    "LEFT": "left",
    "RIGHT": "right",
    "UP": "up",
    "DOWN": "down",
    "RETURN": "enter",
    "ENTER": "enter",
    "NUM_ENTER": "enter",
    "ESCAPE": "escape",
    "SPACE": "space",
    "Q": "q",
    "R": "r",
    "TAB": "tab",
    "BACKSPACE": "backspace",
}
_ARROWS = {"left", "right", "up", "down"}


def key_name(symbol: int, modifiers: int) -> str | None:
    """pyglet key symbol + modifiers -> one of base.KEYS, or None for keys the wall ignores."""
    from pyglet.window import key

    name = _KEYS.get(key.symbol_string(symbol))
    if name in _ARROWS and modifiers & key.MOD_SHIFT:
        return f"shift+{name}"
    return name
