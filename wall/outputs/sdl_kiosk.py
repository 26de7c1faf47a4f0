"""Kiosk output: one borderless fullscreen SDL2 window (through pygame-ce) on one screen.

Made for a single panel on a small PC that runs for months: with a desktop session (SDL's x11 or
wayland driver) or without one, straight on the console (kmsdrm). SDL picks the driver itself and
SDL_VIDEODRIVER is respected; with no DISPLAY and no WAYLAND_DISPLAY we ask for kmsdrm outright,
so a failure says what KMS needs instead of SDL's generic "windows not available".

The window takes the screen's desktop mode. When that differs from the display's configured
resolution the picture is scaled (linearly, by the present blit) and one warning says so. Under
SDL's `offscreen` driver (tests, CI) there is no panel: the window takes the configured resolution,
so what it shows compares 1:1 with `wallctl render`.

Screens coming and going (what poll() handles):
- SDL 2.28+ delivers display connected/disconnected events; pygame-ce 2.5 passes them on as event
  type 0x150 without their fields, so any such event (or a change in the number of displays, or the
  window being moved to another display) makes us list SDL's displays again.
- The window stays on the screen the config names (`output:`: an SDL display index, an SDL display
  name, or "@X,Y"); when that one is not there, on SDL display 0. When SDL lists no display at all
  the kiosk keeps running (one warning) and reopens its window when a screen is back; a screen whose
  mode changed gets its window reopened at the new size. The GL context survives a reopen.
- Not handled: SDL's kmsdrm driver lists connectors only when it starts, so on a console an
  unplugged panel is not noticed (the wall keeps running; the picture is back when the panel is).
  On X11, SDL names a display after its monitor's EDID where there is one (e.g. 'DELL U2415 24"'),
  else the xrandr output (DP-1, DUMMY0); on kmsdrm displays are named by index ("0", "1").
  X11 also reports only connectors plugged or unplugged: `xrandr --off` does not remove a display.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
from contextlib import contextmanager
from functools import lru_cache

import moderngl
import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's greeting would land in our stdout
import pygame

from ..config.schema import WindowConfig
from ..errors import UsageError
from ..geometry import Wall
from ..render.compositor import Compositor
from ..render.gl import GLUnavailable, present_blit
from .base import DisplayState, OutputBackend
from .screens import NoScreens, Screen

log = logging.getLogger("wall.kiosk")

# SDL_DISPLAYEVENT: pygame-ce 2.5 has no name for it and passes it on without its fields
SDL_DISPLAYEVENT = 0x150
_REDRAW = {
    getattr(pygame, n)
    for n in ("WINDOWEXPOSED", "WINDOWSHOWN", "WINDOWRESTORED", "WINDOWSIZECHANGED", "VIDEOEXPOSE")
    if hasattr(pygame, n)
}
_DISPLAY_CHANGES = {SDL_DISPLAYEVENT, getattr(pygame, "WINDOWDISPLAYCHANGED", SDL_DISPLAYEVENT)}

_KEY_NAMES = {
    pygame.K_LEFT: "left",
    pygame.K_RIGHT: "right",
    pygame.K_UP: "up",
    pygame.K_DOWN: "down",
    pygame.K_RETURN: "enter",
    pygame.K_KP_ENTER: "enter",
    pygame.K_ESCAPE: "escape",
    pygame.K_SPACE: "space",
    pygame.K_q: "q",
    pygame.K_r: "r",
    pygame.K_TAB: "tab",
    pygame.K_BACKSPACE: "backspace",
}
_ARROWS = ("left", "right", "up", "down")
_AT = re.compile(r"^@(-?\d+),(-?\d+)$")


class KioskUnsuitable(UsageError, ValueError):
    """The wall is not one a kiosk can show (a usage error: `wallctl` prints one line, exits 2)."""


class KioskScreenUnavailable(GLUnavailable):
    """SDL cannot open the kiosk's window; the message says what to change (`wallctl` exits 3)."""


def key_name(event: pygame.event.Event) -> str | None:
    """The KEYS name of a key press, or None for keys the wall does not react to."""
    name = _KEY_NAMES.get(getattr(event, "key", None))
    if name in _ARROWS and getattr(event, "mod", 0) & pygame.KMOD_SHIFT:
        return f"shift+{name}"
    return name


# ------------------------------------------------------------------ SDL beyond pygame-ce


@lru_cache(maxsize=1)
def _libsdl() -> ctypes.CDLL | None:
    """The libSDL2 pygame loaded (the same instance: dlopen of a loaded path returns its handle),
    for the calls pygame-ce does not expose: display names and positions, the drawable size."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/libSDL2-2" in line}
    except OSError:
        return None
    for path in sorted(paths):  # libSDL2-2.0.so.0 (system) or libSDL2-2-<hash>.0.so... (wheel)
        try:
            lib = ctypes.CDLL(path)
            lib.SDL_GetDisplayName.restype = ctypes.c_char_p
            lib.SDL_GetDisplayName.argtypes = [ctypes.c_int]
            lib.SDL_GetDisplayBounds.restype = ctypes.c_int
            lib.SDL_GetDisplayBounds.argtypes = [ctypes.c_int, ctypes.POINTER(_Rect)]
            lib.SDL_GL_GetCurrentWindow.restype = ctypes.c_void_p
            lib.SDL_GL_GetDrawableSize.restype = None
            lib.SDL_GL_GetDrawableSize.argtypes = [
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_int),
                ctypes.POINTER(ctypes.c_int),
            ]
        except (OSError, AttributeError):
            continue
        return lib
    return None


class _Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("w", ctypes.c_int), ("h", ctypes.c_int)]


def _list_displays() -> list[Screen]:
    """SDL's displays now (the video subsystem is up). SDL lists the primary display first."""
    lib = _libsdl()
    sizes = pygame.display.get_desktop_sizes()
    rates = pygame.display.get_desktop_refresh_rates() if hasattr(pygame.display, "get_desktop_refresh_rates") else []
    found, next_x = [], 0
    for i, (w, h) in enumerate(sizes):
        name, x, y = str(i), next_x, 0  # without libSDL: side by side, in SDL's order
        if lib is not None:
            raw = lib.SDL_GetDisplayName(i)
            name = raw.decode(errors="replace") if raw else name
            r = _Rect()
            if lib.SDL_GetDisplayBounds(i, ctypes.byref(r)) == 0:
                x, y = r.x, r.y
        next_x = x + w
        hz = rates[i] if i < len(rates) and rates[i] else None
        found.append(Screen(name, i, x, y, w, h, float(hz) if hz else None, primary=i == 0))
    return found


def choose_display(output: str | int | None, screens: list[Screen]) -> tuple[Screen | None, str | None]:
    """(the screen the kiosk uses, a warning when it is not the one `output` names). `output` is an
    SDL display index, "@X,Y" (a desktop position) or an SDL display name (exact, then ignoring case);
    None, or one that is not there, means SDL display 0. (None, None) when SDL lists no display."""
    if not screens:
        return None, None
    if output is None:
        return screens[0], None
    if isinstance(output, int):
        if 0 <= output < len(screens):
            return screens[output], None
        wanted = f"output {output} (an SDL display index)"
    elif (m := _AT.match(output.strip())) is not None:
        at = (int(m.group(1)), int(m.group(2)))
        hit = next((s for s in screens if (s.x, s.y) == at), None)
        if hit is not None:
            return hit, None
        wanted = f"output '{output}' (a desktop position)"
    else:
        hit = next((s for s in screens if s.name == output), None) or next(
            (s for s in screens if s.name.casefold() == output.strip().casefold()), None
        )
        if hit is not None:
            return hit, None
        wanted = f"output '{output}'"
    found = ", ".join(f"{s.index}: '{s.name}' {s.width}x{s.height}+{s.x}+{s.y}" for s in screens)
    return screens[0], f"{wanted} is not among SDL's displays ({found}); using display 0"


@contextmanager
def _driver_hints():
    """SDL's hints for a kiosk, set before the video subsystem starts (SDL reads them from the
    environment then). SDL_VIDEODRIVER only changes for the init itself, so child processes do not
    inherit a forced kmsdrm."""
    os.environ.setdefault("SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "0")  # a click elsewhere must not hide the wall
    forced = not os.environ.get("SDL_VIDEODRIVER") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if forced:
        os.environ["SDL_VIDEODRIVER"] = "kmsdrm"
    try:
        yield os.environ.get("SDL_VIDEODRIVER") or "x11/wayland"
    finally:
        if forced:
            del os.environ["SDL_VIDEODRIVER"]


def _advice(driver: str, what: str, err: str) -> str:
    d = driver.lower()
    if d == "kmsdrm":
        how = (
            "on a console the user needs the 'video' and 'render' groups (sudo usermod -aG video,render "
            "$USER, then log in again), a GPU driver (/dev/dri/card*) and no desktop session holding the "
            "screen (run on a text VT); to use a desktop instead, set SDL_VIDEODRIVER=x11 or wayland"
        )
    elif d == "offscreen":
        how = "SDL's offscreen driver needs EGL: install libegl1 libegl-mesa0 libgl1-mesa-dri"
    elif d in ("x11", "wayland", "x11/wayland"):
        how = (
            "check that DISPLAY or WAYLAND_DISPLAY names a session this user may open windows on "
            "(XAUTHORITY for X11), or set SDL_VIDEODRIVER=kmsdrm to run on the console without a desktop"
        )
    elif d not in (v.lower() for v in _video_drivers()):
        how = f"SDL_VIDEODRIVER={driver} is not a video driver of this SDL (it has: {', '.join(_video_drivers())})"
    else:
        how = "the kiosk needs SDL_VIDEODRIVER x11, wayland or kmsdrm (offscreen for tests)"
    return f"{what} through SDL's {driver} video driver (SDL: {err}); {how}"


def _video_drivers() -> list[str]:
    lib = _libsdl()
    if lib is None:
        return ["x11", "wayland", "kmsdrm", "offscreen"]
    lib.SDL_GetVideoDriver.restype = ctypes.c_char_p
    return [lib.SDL_GetVideoDriver(i).decode() for i in range(lib.SDL_GetNumVideoDrivers())]


def _init_video() -> str:
    """Start SDL's video subsystem; the driver SDL chose."""
    with _driver_hints() as asked:
        try:
            pygame.display.init()
        except pygame.error as exc:
            raise KioskScreenUnavailable(_advice(asked, "cannot start the video output", str(exc))) from None
    return pygame.display.get_driver()


def sdl_screens() -> list[Screen]:
    """The displays SDL sees (for `wallctl displays` where there is no X server: kiosks on KMSDRM,
    Wayland). Starts and stops only SDL's video subsystem (no window) unless it is already running."""
    running = pygame.display.get_init()
    if not running:
        try:
            _init_video()
        except KioskScreenUnavailable as exc:
            raise NoScreens(str(exc)) from None
    try:
        return _list_displays()
    finally:
        if not running:
            pygame.display.quit()


# ------------------------------------------------------------------ the backend


class KioskBackend(OutputBackend):
    name = "kiosk"
    windowed = True

    def __init__(self, wall: Wall, window: WindowConfig) -> None:
        if len(wall.displays) != 1:
            raise KioskUnsuitable(
                f"the kiosk backend drives one screen; this wall has {len(wall.displays)} displays: "
                "use --backend pyglet"
            )
        self.display = wall.displays[0]
        self.window = window
        self.ctx: moderngl.Context | None = None
        self.driver = ""
        self.screen: Screen | None = None  # None: SDL lists no display right now
        self.size = (0, 0)  # the window's drawable, in pixels
        self._window_fbo: moderngl.Framebuffer | None = None
        self._count = 0
        self._closed = False
        self._stale = True  # the next present must be whole (new window, exposed, never presented)
        self._warned: set[str] = set()

    # ---------------------------------------------------------------- opening

    def create_context(self) -> moderngl.Context:
        self.driver = _init_video()
        pygame.display.set_allow_screensaver(False)  # a kiosk must never blank
        for attr, value in (
            (pygame.GL_CONTEXT_MAJOR_VERSION, 3),
            (pygame.GL_CONTEXT_MINOR_VERSION, 3),
            (pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE),
            (pygame.GL_DOUBLEBUFFER, 1),
        ):
            pygame.display.gl_set_attribute(attr, value)
        screens = _list_displays()
        self._count = len(screens)
        screen, warning = choose_display(self.display.output, screens)
        if screen is None:
            pygame.display.quit()
            raise KioskScreenUnavailable(_advice(self.driver, "no screen to show the kiosk on", "no displays"))
        if warning:
            log.warning("display %s: %s", self.display.id, warning)
        try:
            self._open_window(screen)
        except pygame.error as exc:
            pygame.display.quit()
            raise KioskScreenUnavailable(
                _advice(self.driver, "cannot open a fullscreen OpenGL 3.3 core window", str(exc))
            ) from None
        try:
            self.ctx = moderngl.create_context(require=330)
        except Exception as exc:  # noqa: BLE001 - moderngl raises bare Exceptions (and ValueError below 3.3)
            pygame.display.quit()
            raise KioskScreenUnavailable(
                _advice(self.driver, "cannot use the window's OpenGL context (3.3 core needed)", str(exc))
            ) from None
        # SDL's window framebuffer: GL name 0 on every desktop driver, but asked rather than assumed
        self._window_fbo = self.ctx.detect_framebuffer()
        return self.ctx

    def _open_window(self, screen: Screen) -> None:
        self._stale = True  # a new window starts empty
        """(Re)open the fullscreen window on `screen` at its desktop mode (pygame-ce then makes it
        fullscreen-desktop: no mode switch). Reopening keeps the window and its GL context."""
        if self.driver == "offscreen":  # no panel: the display's own size, so captures compare 1:1
            size = self.display.resolution
        else:
            size = (screen.width, screen.height)
        flags = pygame.OPENGL | pygame.DOUBLEBUF | pygame.FULLSCREEN | pygame.NOFRAME
        try:
            pygame.display.set_mode(size, flags, display=screen.index, vsync=1 if self.window.vsync else 0)
        except pygame.error as exc:
            if not self.window.vsync:
                raise
            log.warning("vsync is not available here (%s); presenting without it (frames may tear)", exc)
            pygame.display.set_mode(size, flags, display=screen.index)
        pygame.mouse.set_visible(not self.window.hide_cursor)
        pygame.display.set_caption(f"wall: {self.display.id}")
        self.screen = screen
        self.size = self._drawable_size()
        self._warn_if_scaled()

    def _drawable_size(self) -> tuple[int, int]:
        lib = _libsdl()
        if lib is not None:
            win = lib.SDL_GL_GetCurrentWindow()
            if win:
                w, h = ctypes.c_int(), ctypes.c_int()
                lib.SDL_GL_GetDrawableSize(win, ctypes.byref(w), ctypes.byref(h))
                if w.value > 0 and h.value > 0:
                    return w.value, h.value
        return pygame.display.get_window_size()

    def _warn_if_scaled(self) -> None:
        native = tuple(self.display.resolution)
        if self.size == native:
            return
        d = self.display
        where = f"SDL display {self.screen.index} ('{self.screen.name}')" if self.screen else "the screen"
        msg = (
            f"display {d.id} is configured {native[0]}x{native[1]} but {where} runs at "
            f"{self.size[0]}x{self.size[1]}: the picture is scaled to fill it (not pixel-exact); "
        )
        if self.size == native[::-1]:
            msg += (
                f"the system turns this screen; the wall turns the picture itself (rotation: {d.rotation}), "
                "so set the screen to its native orientation (e.g. xrandr --rotate normal)"
            )
        else:
            msg += "set the display's resolution to the screen's mode for a 1:1 picture"
        self._warn_once(msg)

    def _warn_once(self, msg: str) -> None:
        if msg not in self._warned:
            self._warned.add(msg)
            log.warning("%s", msg)

    # ---------------------------------------------------------------- every frame

    def _blit(self, compositor: Compositor) -> None:
        out = compositor.outputs[self.display.id]
        w, h = self.size
        present_blit(out.shown_target[1].glo, self._window_fbo.glo, (0, 0, *out.display.resolution), (0, 0, w, h), h)

    def present(self, compositor: Compositor) -> None:
        out = compositor.outputs.get(self.display.id)
        if out is not None and not out.damage and not self._stale:
            return  # nothing changed: the screen keeps showing the last frame (no copy, no swap)
        self._stale = False
        self._blit(compositor)
        try:
            pygame.display.flip()
        except pygame.error as exc:  # the window is gone under us: keep the wall running, say it once
            self._warn_once(f"display {self.display.id}: cannot present ({exc}); the wall keeps running")

    def poll(self) -> list[str]:
        keys: list[str] = []
        changed = False
        for event in pygame.event.get():
            if event.type in (pygame.QUIT, pygame.WINDOWCLOSE):
                self._closed = True
            elif event.type in _REDRAW:
                self._stale = True  # the window system lost what was shown: present in full again
            elif event.type == pygame.KEYDOWN:
                name = key_name(event)
                if name is not None:
                    keys.append(name)
            elif event.type in _DISPLAY_CHANGES:
                changed = True
        if changed or pygame.display.get_num_displays() != self._count:
            self._follow_screens()
        return keys

    def _follow_screens(self) -> None:
        """SDL's displays changed: stay on (or go back to) the screen the config names."""
        screens = _list_displays()
        self._count = len(screens)
        screen, warning = choose_display(self.display.output, screens)
        if screen is None:
            if self.screen is not None:
                log.warning(
                    "display %s: its screen (SDL display '%s') is gone; the wall keeps running and "
                    "shows again when a screen is back",
                    self.display.id,
                    self.screen.name,
                )
            self.screen = None
            return
        if warning and self.screen is not None and screen.index != self.screen.index:
            log.warning("display %s: %s", self.display.id, warning)
        if self.screen is None or screen != self.screen:
            if self.screen is None:
                log.warning(
                    "display %s: a screen is back (SDL display %d '%s', %dx%d); showing the wall on it",
                    self.display.id,
                    screen.index,
                    screen.name,
                    screen.width,
                    screen.height,
                )
            try:
                self._open_window(screen)
            except pygame.error as exc:
                self._warn_once(
                    f"display {self.display.id}: cannot reopen the window on SDL display "
                    f"{screen.index} ({exc}); trying again at the next display change"
                )

    @property
    def closed(self) -> bool:
        return self._closed

    def capture(self, compositor: Compositor) -> dict[str, np.ndarray]:
        """What the window shows: the present blit again into the back buffer, read back (no flip)."""
        self._blit(compositor)
        w, h = self.size
        data = self._window_fbo.read(viewport=(0, 0, w, h), components=4, alignment=1)
        rows = np.frombuffer(data, np.uint8).reshape(h, w, 4)
        return {self.display.id: np.ascontiguousarray(rows[::-1])}  # GL's row 0 is the bottom

    def displays(self) -> list[DisplayState]:
        w, h = self.size
        if self.screen is None:
            return [DisplayState(self.display.id, None, "no screen", f"SDL {self.driver or 'not started'}")]
        return [DisplayState(self.display.id, self.screen.name, "shown", f"{w}x{h} on SDL {self.driver}")]

    def close(self) -> None:
        # release moderngl's side while SDL's context is still current; the runtime's release after
        # this is then a no-op
        if self.ctx is not None:
            self._window_fbo = None
            self.ctx.release()
        if pygame.display.get_init():
            pygame.mouse.set_visible(True)
            pygame.display.quit()
