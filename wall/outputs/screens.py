"""The screens the system reports, and which configured display goes on which screen.

A *screen* is what the window system calls a monitor: an output name (DP-1, HDMI-A-1, DUMMY3),
its mode (resolution, refresh) and its position on the desktop. A *display* is a panel of the
wall config. Binding pairs them, by the display's `output:` (a name, an index into the system's
list, or "@X,Y", the screen's desktop position); displays without `output:` take the screens in
reading order (top row left to right, then the next row), as a grid's A1, B1, ... A2 do.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import asdict, dataclass

from ..geometry import Wall

log = logging.getLogger("wall.outputs")


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


class NoScreens(RuntimeError):
    """The window system could not be asked (no X server, no XRandR)."""


# ------------------------------------------------------------------ X11 (XRandR)


def x11_screens(display_name: str | None = None) -> list[Screen]:
    """Active XRandR outputs on an X server, on a connection of our own (so a watcher thread can
    call this while the render thread's windows use pyglet's). Uses the *current* resources: no
    re-probing of the monitors (that can take a second on real hardware)."""
    import ctypes

    try:
        from pyglet.libs.x11 import xlib, xrandr
    except ImportError as exc:  # libX11 / libXrandr missing
        raise NoScreens(f"cannot load the X11 libraries ({exc}); install libx11-6 libxrandr2") from None
    name = os.environ.get("DISPLAY") if display_name is None else display_name
    if not name:
        raise NoScreens("DISPLAY is not set: no X server to ask")
    dpy = xlib.XOpenDisplay(name.encode())
    if not dpy:
        raise NoScreens(f"cannot connect to the X server on DISPLAY={name}")
    try:
        root = xlib.XDefaultRootWindow(dpy)
        res_ptr = xrandr.XRRGetScreenResourcesCurrent(dpy, root)
        if not res_ptr:
            raise NoScreens(f"the X server on {name} has no XRandR")
        try:
            res = res_ptr.contents
            modes = {res.modes[i].id: res.modes[i] for i in range(res.nmode)}
            primary = xrandr.XRRGetOutputPrimary(dpy, root)
            found = []
            for i in range(res.noutput):
                out_id = res.outputs[i]
                info_ptr = xrandr.XRRGetOutputInfo(dpy, res_ptr, out_id)
                if not info_ptr:
                    continue
                try:
                    info = info_ptr.contents
                    if not info.crtc:  # disconnected or switched off (xrandr --off)
                        continue
                    crtc_ptr = xrandr.XRRGetCrtcInfo(dpy, res_ptr, info.crtc)
                    if not crtc_ptr:
                        continue
                    try:
                        crtc = crtc_ptr.contents
                        if not crtc.mode or crtc.width == 0:
                            continue
                        mode = modes.get(crtc.mode)
                        hz = None
                        if mode is not None and mode.hTotal and mode.vTotal:
                            hz = round(mode.dotClock / (mode.hTotal * mode.vTotal), 2)
                        found.append(
                            (
                                crtc.x,
                                crtc.y,
                                crtc.width,
                                crtc.height,
                                ctypes.string_at(info.name, info.nameLen).decode(errors="replace"),
                                hz,
                                out_id == primary,
                            )
                        )
                    finally:
                        xrandr.XRRFreeCrtcInfo(crtc_ptr)
                finally:
                    xrandr.XRRFreeOutputInfo(info_ptr)
        finally:
            xrandr.XRRFreeScreenResources(res_ptr)
    finally:
        xlib.XCloseDisplay(dpy)
    return [Screen(n, i, x, y, w, h, hz, p) for i, (x, y, w, h, n, hz, p) in enumerate(found)]


# ------------------------------------------------------------------ binding


@dataclass(frozen=True)
class Binding:
    display_id: str
    screen: Screen | None
    reason: str  # how it was chosen, or why there is none


_AT = re.compile(r"^@(-?\d+),(-?\d+)$")


def bind_displays(wall: Wall, screens: list[Screen]) -> list[Binding]:
    """Pair every configured display with a screen (or none, saying why)."""
    by_name = {s.name: s for s in screens}
    taken: set[int] = set()
    out: dict[str, Binding] = {}
    names = ", ".join(f"{s.name} ({s.width}x{s.height}+{s.x}+{s.y})" for s in screens) or "none"
    # explicit outputs first, so that displays without one take what is left
    for d in wall.displays:
        o = d.output
        if o is None:
            continue
        s: Screen | None = None
        if isinstance(o, int):
            s = screens[o] if 0 <= o < len(screens) else None
            why = f"output {o} (index)" if s else f"output index {o} does not exist; screens: {names}"
        elif (m := _AT.match(o.strip())) is not None:
            x, y = int(m.group(1)), int(m.group(2))
            s = next((c for c in screens if (c.x, c.y) == (x, y)), None)
            why = f"output @{x},{y}" if s else f"no screen at @{x},{y}; screens: {names}"
        else:
            s = by_name.get(o)
            why = f"output {o}" if s else f"output '{o}' is not active; screens: {names}"
        if s is not None and s.index in taken:
            why, s = f"{why}: screen {s.name} is already used by another display", None
        if s is not None:
            taken.add(s.index)
        out[d.id] = Binding(d.id, s, why)
    free = sorted((s for s in screens if s.index not in taken), key=lambda s: (s.y, s.x))
    for d in wall.displays:
        if d.id in out:
            continue
        s = free.pop(0) if free else None
        out[d.id] = Binding(d.id, s, "in reading order" if s else f"more displays than screens; screens: {names}")
    return [out[d.id] for d in wall.displays]


def spans_one_rectangle(rects: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    """The bounding rectangle when the rectangles tile it exactly (no gaps, no overlaps), else None:
    then one window can cover every screen."""
    if not rects:
        return None
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[0] + r[2] for r in rects)
    y1 = max(r[1] + r[3] for r in rects)
    if sum(r[2] * r[3] for r in rects) != (x1 - x0) * (y1 - y0):
        return None
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]:
                return None
    return x0, y0, x1 - x0, y1 - y0


# ------------------------------------------------------------------ watching for changes


class ScreenWatcher:
    """Asks the window system for its screens every `period` seconds on a thread of its own, so
    the render thread only compares a generation number. A change (cable pulled, panel powered
    off, mode changed) bumps the generation; the backend then reconciles its windows."""

    def __init__(self, list_screens, period: float = 1.0):
        self._list = list_screens
        self.period = period
        self._lock = threading.Lock()
        self._screens: list[Screen] = list_screens()
        self.generation = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-screens", daemon=True)
        self._thread.start()

    @property
    def screens(self) -> list[Screen]:
        with self._lock:
            return list(self._screens)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                now = self._list()
            except Exception as exc:  # the X server went away: the render thread finds out itself
                log.warning("could not list screens: %s", exc)
                continue
            with self._lock:
                if now != self._screens:
                    self._screens = now
                    self.generation += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
