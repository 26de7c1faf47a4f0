"""Physical wall -> one canvas of virtual pixels, and every display's viewport of it.

The canvas is measured at the panels' pixel pitch and *includes* the pixels that would sit
behind the bezels: content continues behind a mullion the way a landscape continues behind a
window frame, so a line crossing two panels stays straight. `build_wall` is the one function that
computes viewports; everything else asks the `Wall` it returns.

Conventions (also in README):
- wall mm: origin at the top-left corner of the top-left active area, x right, y down.
- `rotation` is how far the panel is turned clockwise from landscape, seen from the front.
  Resolution, active size and bezels are the panel's native (datasheet, landscape) values;
  the wall sees them turned.
- canvas px = wall mm / pitch. A display's viewport is the canvas rectangle its active area
  covers, `resolution` pixels large (swapped for 90/270).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Panels whose pixel pitch differs by more than this cannot share one canvas without scaling.
PITCH_TOLERANCE = 0.01

# Bounds no real video wall reaches, so that no config (nor a typo in one) asks for a wall that
# takes minutes or gigabytes to build: the config loader reports each as an error naming it.
MAX_DISPLAYS = 256  # panels in one wall: the largest walls of social and control rooms have 100-200
MAX_PANEL_PX = 16_384  # a panel's native resolution, per side (16K; an 8K panel is 7680 x 4320)
MAX_CANVAS_PX = 65_536  # the canvas, per side: 34 1080p panels side by side, 17 4K ones
MAX_WALL_MM = 1_000_000.0  # sizes, gaps and positions, in mm: a kilometre
# mm per pixel: a phone's screen is 0.05, a 55" 1080p panel 0.63, an LED wall 1-10, a projector on
# a building a few tens
MIN_PITCH_MM, MAX_PITCH_MM = 0.01, 100.0
# Active areas and bezels may touch; overlaps smaller than this (mm) are measuring noise.
OVERLAP_TOLERANCE_MM = 0.05


class GeometryError(ValueError):
    """A physically impossible or unsupported wall. `display` is the index of the culprit."""

    def __init__(self, message: str, display: int | None = None):
        super().__init__(message)
        self.display = display


@dataclass(frozen=True)
class Rect:
    """Integer pixel rectangle; x0 inclusive, x1 exclusive."""

    x: int
    y: int
    w: int
    h: int

    @property
    def x1(self) -> int:
        return self.x + self.w

    @property
    def y1(self) -> int:
        return self.y + self.h

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    def intersect(self, other: Rect) -> Rect:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        return Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def intersects(self, other: Rect) -> bool:
        return not self.intersect(other).empty

    def translate(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True)
class RectMm:
    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    def as_dict(self) -> dict[str, float]:
        return {"x": round(self.x, 4), "y": round(self.y, 4), "w": round(self.w, 4), "h": round(self.h, 4)}


@dataclass(frozen=True)
class Bezels:
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    left: float = 0.0

    def rotated(self, rotation: int) -> Bezels:
        """Native-orientation bezels -> as mounted after turning `rotation` degrees clockwise."""
        top, right, bottom, left = self.top, self.right, self.bottom, self.left
        for _ in range((rotation // 90) % 4):
            # turning clockwise: the top edge goes to the right, the left edge to the top
            top, right, bottom, left = left, top, right, bottom
        return Bezels(top, right, bottom, left)


@dataclass(frozen=True)
class DisplaySpec:
    """One panel as described by the config (native values + where and how it is mounted)."""

    id: str
    resolution: tuple[int, int]
    active_mm: tuple[float, float]
    bezel: Bezels
    position_mm: tuple[float, float]
    rotation: int = 0
    output: str | int | None = None


@dataclass(frozen=True)
class Display:
    """A display placed on the wall: everything here is as mounted, in wall coordinates."""

    id: str
    index: int
    resolution: tuple[int, int]  # native framebuffer size (what the video output sends)
    rotation: int
    mm: RectMm  # active area in wall mm
    bezel: Bezels  # as mounted
    viewport: Rect  # canvas pixels shown by this display
    output: str | int | None

    @property
    def outer_mm(self) -> RectMm:
        """Active area plus bezels: the panel's physical outline."""
        b = self.bezel
        return RectMm(self.mm.x - b.left, self.mm.y - b.top, self.mm.w + b.left + b.right, self.mm.h + b.top + b.bottom)

    def native_to_canvas(self, u: float, v: float) -> tuple[float, float]:
        """A point in the display's native framebuffer (pixels, y down) -> canvas pixels."""
        w, h = self.resolution
        r = self.rotation
        if r == 0:
            cx, cy = u, v
        elif r == 90:  # native top edge is on the right
            cx, cy = h - v, u
        elif r == 180:
            cx, cy = w - u, h - v
        else:  # 270: native top edge is on the left
            cx, cy = v, w - u
        return self.viewport.x + cx, self.viewport.y + cy


@dataclass(frozen=True)
class Wall:
    displays: tuple[Display, ...]
    canvas_w: int
    canvas_h: int
    pitch_x: float  # mm per canvas pixel, horizontally
    pitch_y: float  # mm per canvas pixel, vertically
    grid: tuple[int, int] | None  # (cols, rows) when the wall came from a grid shorthand

    @property
    def canvas(self) -> Rect:
        return Rect(0, 0, self.canvas_w, self.canvas_h)

    def display(self, display_id: str) -> Display:
        for d in self.displays:
            if d.id == display_id:
                return d
        raise KeyError(display_id)

    def viewports(self) -> dict[str, Rect]:
        return {d.id: d.viewport for d in self.displays}

    def canvas_to_mm(self, x: float, y: float) -> tuple[float, float]:
        return x * self.pitch_x, y * self.pitch_y

    def mm_to_canvas(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        return x_mm / self.pitch_x, y_mm / self.pitch_y

    def native_pixel_to_mm(self, display_id: str, u: int, v: int) -> tuple[float, float]:
        """Centre of native pixel (u, v) of a display, in wall mm (uses the physical position,
        not the rounded viewport, so tests can measure how faithful the compensation is)."""
        d = self.display(display_id)
        cx, cy = d.native_to_canvas(u + 0.5, v + 0.5)
        return (
            d.mm.x + (cx - d.viewport.x) * self.pitch_x,
            d.mm.y + (cy - d.viewport.y) * self.pitch_y,
        )

    def hidden_px(self, rect: Rect) -> int:
        """How many canvas pixels of `rect` no display shows (they sit behind bezels or gaps)."""
        area = rect.intersect(self.canvas)
        shown = sum(area.intersect(d.viewport).w * area.intersect(d.viewport).h for d in self.displays)
        return area.w * area.h - shown  # viewports never overlap (build_wall checks)

    def displays_meeting(self, rect: Rect) -> list[Display]:
        return [d for d in self.displays if d.viewport.intersects(rect)]

    def visible_parts(self, rect: Rect) -> tuple[Rect, ...]:
        """The pieces of `rect` each display shows, relative to rect's top-left (zone pixels),
        top to bottom then left to right: text laid out inside one piece never meets a bezel.
        Empty when no pixel of rect is hidden (nothing to avoid: the common zone on one panel)."""
        area = rect.intersect(self.canvas)
        if area.empty or self.hidden_px(area) == 0:
            return ()
        parts = [area.intersect(d.viewport) for d in self.displays_meeting(area)]
        return tuple(sorted((p.translate(-rect.x, -rect.y) for p in parts if not p.empty), key=lambda p: (p.y, p.x)))

    def bezel_edges(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """Canvas coordinates where active areas start and end: (lefts, rights, tops, bottoms).
        Edges lying on the canvas border are not bezels between panels and are left out."""
        lefts = sorted({d.viewport.x for d in self.displays if d.viewport.x > 0})
        rights = sorted({d.viewport.x1 for d in self.displays if d.viewport.x1 < self.canvas_w})
        tops = sorted({d.viewport.y for d in self.displays if d.viewport.y > 0})
        bottoms = sorted({d.viewport.y1 for d in self.displays if d.viewport.y1 < self.canvas_h})
        return lefts, rights, tops, bottoms

    def as_json(self) -> dict:
        return {
            "canvas": {"w": self.canvas_w, "h": self.canvas_h},
            "pitch_mm": {"x": self.pitch_x, "y": self.pitch_y},
            "displays": [
                {
                    "id": d.id,
                    "resolution": list(d.resolution),
                    "rotation": d.rotation,
                    "mm": d.mm.as_dict(),
                    "bezel_mm": {
                        "top": d.bezel.top,
                        "right": d.bezel.right,
                        "bottom": d.bezel.bottom,
                        "left": d.bezel.left,
                    },
                    "viewport": d.viewport.as_dict(),
                    "output": d.output,
                }
                for d in self.displays
            ],
        }


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet columns)."""
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(ord("A") + rem) + s
    return s


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def active_size_mm(
    resolution: tuple[int, int],
    active_mm: tuple[float, float] | None,
    diagonal_in: float | None,
    aspect: str | None,
) -> tuple[float, float]:
    """Active area from explicit mm, or from the diagonal and aspect (default: square pixels)."""
    if active_mm is not None:
        return float(active_mm[0]), float(active_mm[1])
    assert diagonal_in is not None
    if aspect:
        m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*[:/x]\s*(\d+(?:\.\d+)?)\s*$", aspect)
        assert m, aspect
        aw, ah = float(m.group(1)), float(m.group(2))
    else:
        aw, ah = float(resolution[0]), float(resolution[1])
    diag_mm = diagonal_in * 25.4
    k = diag_mm / math.hypot(aw, ah)
    return aw * k, ah * k


def expand_grid(
    cols: int,
    rows: int,
    resolution: tuple[int, int],
    active_mm: tuple[float, float],
    bezel: Bezels,
    gap_mm: tuple[float, float] = (0.0, 0.0),
    rotation: int = 0,
    outputs: Sequence[str | int] | None = None,
) -> list[DisplaySpec]:
    """The `grid:` shorthand: cols x rows identical panels, ids A1, B1, ... row-major."""
    if cols * rows > MAX_DISPLAYS:
        raise GeometryError(
            f"a grid of {cols} x {rows} is {cols * rows} displays; a wall has at most {MAX_DISPLAYS} "
            "(one video output each): check cols and rows"
        )
    mounted = bezel.rotated(rotation)
    aw, ah = active_mm if rotation in (0, 180) else (active_mm[1], active_mm[0])
    step_x = mounted.left + aw + mounted.right + gap_mm[0]
    step_y = mounted.top + ah + mounted.bottom + gap_mm[1]
    specs = []
    for row in range(rows):
        for col in range(cols):
            i = row * cols + col
            specs.append(
                DisplaySpec(
                    id=f"{column_letters(col)}{row + 1}",
                    resolution=resolution,
                    active_mm=active_mm,
                    bezel=bezel,
                    position_mm=(col * step_x, row * step_y),
                    rotation=rotation,
                    output=outputs[i] if outputs else None,
                )
            )
    return specs


def _mounted(spec: DisplaySpec) -> tuple[tuple[int, int], tuple[float, float]]:
    (rw, rh), (aw, ah) = spec.resolution, spec.active_mm
    if spec.rotation in (90, 270):
        return (rh, rw), (ah, aw)
    return (rw, rh), (aw, ah)


def _overlap(a: RectMm, b: RectMm) -> tuple[float, float]:
    return min(a.x1, b.x1) - max(a.x, b.x), min(a.y1, b.y1) - max(a.y, b.y)


def build_wall(specs: Iterable[DisplaySpec], grid: tuple[int, int] | None = None) -> Wall:
    """Place every display on one canvas. The only function that computes viewports."""
    specs = list(specs)
    if not specs:
        raise GeometryError("the wall needs at least one display")
    if len(specs) > MAX_DISPLAYS:
        raise GeometryError(
            f"the wall has {len(specs)} displays; a wall has at most {MAX_DISPLAYS} (one video output each)",
            MAX_DISPLAYS,
        )
    for i, s in enumerate(specs):
        _check_bounds(s, i)
    seen: dict[str, int] = {}
    for i, s in enumerate(specs):
        if s.id in seen:
            raise GeometryError(f"display id '{s.id}' is used twice (displays {seen[s.id]} and {i})", i)
        seen[s.id] = i

    # One canvas pitch for the whole wall: the first panel's. Others must match it.
    (px0, py0), (mx0, my0) = _mounted(specs[0])
    pitch_x, pitch_y = mx0 / px0, my0 / py0
    for got, axis in ((pitch_x, "horizontal"), (pitch_y, "vertical")):
        if not MIN_PITCH_MM <= got <= MAX_PITCH_MM:
            raise GeometryError(
                f"display '{specs[0].id}' has a {axis} pixel pitch of {got:.4g} mm (active_mm / resolution); a "
                f"panel's is between {MIN_PITCH_MM} and {MAX_PITCH_MM:g} mm (0.63 mm for a 55\" 1080p panel): "
                "check active_mm (millimetres, not inches or metres) and resolution",
                0,
            )
    for i, s in enumerate(specs[1:], start=1):
        (px, py), (mx, my) = _mounted(s)
        for got, want, axis in ((mx / px, pitch_x, "horizontal"), (my / py, pitch_y, "vertical")):
            if abs(got - want) / want > PITCH_TOLERANCE:
                raise GeometryError(
                    f"display '{s.id}' has a {axis} pixel pitch of {got:.4f} mm but '{specs[0].id}' has "
                    f"{want:.4f} mm; mixing panels of different pixel pitch is not supported "
                    "(every pixel of the canvas must be the same physical size): use one panel model per wall",
                    i,
                )

    # Normalise positions: origin at the top-left corner of the top-left active area.
    ox = min(s.position_mm[0] for s in specs)
    oy = min(s.position_mm[1] for s in specs)
    displays: list[Display] = []
    for i, s in enumerate(specs):
        (pw, ph), (mw, mh) = _mounted(s)
        mm = RectMm(s.position_mm[0] - ox, s.position_mm[1] - oy, mw, mh)
        vp = Rect(round(mm.x / pitch_x), round(mm.y / pitch_y), pw, ph)
        displays.append(
            Display(
                id=s.id,
                index=i,
                resolution=tuple(s.resolution),  # type: ignore[arg-type]
                rotation=s.rotation,
                mm=mm,
                bezel=s.bezel.rotated(s.rotation),
                viewport=vp,
                output=s.output,
            )
        )

    canvas_w = max(d.viewport.x1 for d in displays)
    canvas_h = max(d.viewport.y1 for d in displays)
    if canvas_w > MAX_CANVAS_PX or canvas_h > MAX_CANVAS_PX:
        far = max(displays, key=lambda d: max(d.viewport.x1, d.viewport.y1))
        raise GeometryError(
            f"the canvas would be {canvas_w} x {canvas_h} px; a wall's canvas is at most {MAX_CANVAS_PX} px on a "
            f"side (34 1080p panels in a row): check position_mm (is display '{far.id}' far from the others?), "
            "active_mm and resolution",
            far.index,
        )

    for i, a in enumerate(displays):
        for b in displays[i + 1 :]:
            ox_, oy_ = _overlap(a.mm, b.mm)
            if ox_ > OVERLAP_TOLERANCE_MM and oy_ > OVERLAP_TOLERANCE_MM:
                raise GeometryError(
                    f"displays '{a.id}' and '{b.id}' overlap by {ox_:.1f} x {oy_:.1f} mm; check their position_mm",
                    b.index,
                )
            ox_, oy_ = _overlap(a.outer_mm, b.outer_mm)
            if ox_ > OVERLAP_TOLERANCE_MM and oy_ > OVERLAP_TOLERANCE_MM:
                raise GeometryError(
                    f"the bezels of '{a.id}' and '{b.id}' would overlap by {min(ox_, oy_):.1f} mm, which is "
                    "physically impossible; check position_mm and bezel_mm",
                    b.index,
                )
            if a.viewport.intersects(b.viewport):
                # Sub-pixel seams can round two viewports onto the same pixel column.
                raise GeometryError(
                    f"displays '{a.id}' and '{b.id}' are less than one pixel apart after rounding to the "
                    "canvas; check their position_mm",
                    b.index,
                )

    return Wall(tuple(displays), canvas_w, canvas_h, pitch_x, pitch_y, grid)


def _check_bounds(spec: DisplaySpec, index: int) -> None:
    """Every number of a display finite and within what a real wall has (see MAX_* above)."""
    (rw, rh), (aw, ah) = spec.resolution, spec.active_mm
    if not (1 <= rw <= MAX_PANEL_PX and 1 <= rh <= MAX_PANEL_PX):
        raise GeometryError(
            f"display '{spec.id}' has a resolution of {rw} x {rh}; a panel's is at most "
            f"{MAX_PANEL_PX} x {MAX_PANEL_PX} px",
            index,
        )
    b = spec.bezel
    sizes = (aw, ah, b.top, b.right, b.bottom, b.left)
    if not all(math.isfinite(v) and 0 <= v <= MAX_WALL_MM for v in sizes) or aw <= 0 or ah <= 0:
        raise GeometryError(
            f"display '{spec.id}' has an active area of {aw:g} x {ah:g} mm and bezels of "
            f"{b.top:g}/{b.right:g}/{b.bottom:g}/{b.left:g} mm; each is a finite number of mm, at most {MAX_WALL_MM:g} "
            "(the active area above 0)",
            index,
        )
    if not all(math.isfinite(v) and abs(v) <= MAX_WALL_MM for v in spec.position_mm):
        x, y = spec.position_mm
        raise GeometryError(
            f"display '{spec.id}' is at ({x:g}, {y:g}) mm; a position is a finite number of mm within "
            f"{MAX_WALL_MM:g} (a kilometre) of the origin",
            index,
        )


# ------------------------------------------------------------------------------------ legibility

# Is text big enough to read from where the room stands? A character's cap height must subtend at
# least 16 minutes of arc at the viewing distance: the minimum character height of ISO 9241-303
# (ergonomics of displays; 20-22 arcmin is its preferred range), also used by the US FAA's
# human-factors standard for displays read at a distance. Cap height h >= 2 d tan(16'/2): at 4 m
# that is 18.6 mm, 30 px on a 55-inch 1080p panel (0.63 mm pitch), a font size of about 41 px in
# Noto Sans (cap height 0.714 em). The check that paints every zone against it is wall/checks.py.
MIN_ARCMIN = 16.0
CAP_HEIGHT_EM = 0.714  # Noto Sans: capHeight 714 / unitsPerEm 1000
DEFAULT_VIEWING_DISTANCE_M = 4.0  # the config's default, and what widgets plan for without one


def min_cap_height_mm(distance_m: float) -> float:
    """The smallest cap height (mm) readable from distance_m metres."""
    return 2 * distance_m * 1000 * math.tan(math.radians(MIN_ARCMIN / 60 / 2))


def min_font_px(distance_m: float, pitch_mm: float) -> float:
    """The smallest font size (px) whose cap height meets the rule on a panel of this pitch."""
    return min_cap_height_mm(distance_m) / (CAP_HEIGHT_EM * pitch_mm)


def cap_height_mm(font_px: float, pitch_mm: float) -> float:
    """The cap height (mm) of text set at font_px on a panel of this pitch."""
    return font_px * CAP_HEIGHT_EM * pitch_mm
