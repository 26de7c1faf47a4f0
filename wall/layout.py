"""Zones: named rectangles of the canvas, resolved from cells, fractions or mm.

Pure: a `LayoutSpec` (plain numbers and cell names, which the config loader makes from the YAML)
and a `Wall` in, pixel rectangles and a list of findings out. Findings carry the config path they
are about; the config loader turns paths into file:line:column. This module knows nothing of the
config's schema, so importing it loads neither pydantic models nor any widget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from .geometry import Rect, Wall, column_index, column_letters

# 'A1' or 'A1:C2': spreadsheet columns (letters) and rows (numbers from 1, at most 6 digits)
CELLS = re.compile(r"^([A-Za-z]{1,2})([1-9][0-9]{0,5})(?::([A-Za-z]{1,2})([1-9][0-9]{0,5}))?$")

# Bounds no real layout reaches (a wall's layouts have 4 to 30 zones on grids of up to 24 x 12):
# the config loader reports a layout beyond them as an error naming the limit.
MAX_LAYOUT_GRID = 256  # columns, and rows, of a layout's cell grid
MAX_ZONES = 256  # zones in one layout

# `snap: bezels` moves a zone edge onto the nearest bezel when it is within this share of one
# display's width (or height). Cell edges of a display-aligned grid are a few pixels off the
# active-area edges (the seam); an edge in mid-panel is far from any bezel and stays put.
SNAP_SHARE = 0.10


@dataclass(frozen=True)
class ZoneSpec:
    """Where one zone goes: exactly one of `cells` ('A1:B2' of the layout grid), `fraction` or
    `mm` (x, y, w, h: shares of the canvas, or wall millimetres); `snap` moves edges that are near
    a bezel onto it."""

    cells: str | None = None
    fraction: tuple[float, float, float, float] | None = None
    mm: tuple[float, float, float, float] | None = None
    snap: bool = False


@dataclass(frozen=True)
class LayoutSpec:
    """The zones of a layout, in drawing order (later ones are drawn over earlier ones), and the
    grid its cells refer to (None: the display grid)."""

    zones: tuple[tuple[str, ZoneSpec], ...]
    grid: tuple[int, int] | None = None


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    path: tuple  # config path inside the layout, e.g. ("zones", "clock", "cells")
    message: str


@dataclass(frozen=True)
class Zone:
    id: str
    rect: Rect  # canvas pixels, clipped to the canvas
    z: int  # drawing order: higher is drawn later (on top)


@dataclass(frozen=True)
class ResolvedLayout:
    zones: tuple[Zone, ...]
    findings: tuple[Finding, ...]

    def zone(self, zone_id: str) -> Zone:
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(zone_id)

    @property
    def ids(self) -> list[str]:
        return [z.id for z in self.zones]


def layout_grid(layout: LayoutSpec, wall: Wall) -> tuple[int, int]:
    if layout.grid is not None:
        return layout.grid
    return wall.grid if wall.grid is not None else (1, 1)


def _cells_rect(spec: str, grid: tuple[int, int], wall: Wall) -> tuple[Rect | None, str | None]:
    m = CELLS.match(spec.strip())
    if not m:
        return None, f"'{spec}' is not a cell range; write it like 'A1' or 'A1:C2'"
    c0, r0 = column_index(m.group(1)), int(m.group(2)) - 1
    c1, r1 = (column_index(m.group(3)), int(m.group(4)) - 1) if m.group(3) else (c0, r0)
    c0, c1 = sorted((c0, c1))
    r0, r1 = sorted((r0, r1))
    cols, rows = grid
    if c1 >= cols or r1 >= rows:
        last = f"{column_letters(cols - 1)}{rows}"
        return None, f"cells '{spec}' fall outside the {cols}x{rows} layout grid (A1..{last})"

    # Cell boundaries are rounded canvas divisions, so adjacent zones share edges exactly.
    def xs(c: int) -> int:
        return round(c * wall.canvas_w / cols)

    def ys(r: int) -> int:
        return round(r * wall.canvas_h / rows)

    return Rect(xs(c0), ys(r0), xs(c1 + 1) - xs(c0), ys(r1 + 1) - ys(r0)), None


def _fraction_rect(f: tuple[float, float, float, float], wall: Wall) -> tuple[Rect | None, str | None]:
    x, y, w, h = f
    if x + w > 1.0 + 1e-9 or y + h > 1.0 + 1e-9:
        return None, (
            f"fraction x+w = {x + w:g}, y+h = {y + h:g}: a fraction zone must stay inside the "
            "canvas (both sums at most 1)"
        )
    x0, y0 = round(x * wall.canvas_w), round(y * wall.canvas_h)
    x1, y1 = round((x + w) * wall.canvas_w), round((y + h) * wall.canvas_h)
    return Rect(x0, y0, x1 - x0, y1 - y0), None


def _mm_rect(m: tuple[float, float, float, float], wall: Wall) -> tuple[Rect | None, str | None]:
    x, y, w, h = m
    x0, y0 = wall.mm_to_canvas(x, y)
    x1, y1 = wall.mm_to_canvas(x + w, y + h)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None, f"mm x={x:g}, y={y:g}, w={w:g}, h={h:g} is not a finite place on the wall; give finite mm"
    return Rect(round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0)), None


def _snap(rect: Rect, wall: Wall) -> Rect:
    lefts, rights, tops, bottoms = wall.bezel_edges()
    d0 = wall.displays[0].viewport
    tol_x, tol_y = SNAP_SHARE * d0.w, SNAP_SHARE * d0.h

    def nearest(value: int, candidates: list[int], tol: float) -> int:
        best = min(candidates, key=lambda c: abs(c - value), default=None)
        return best if best is not None and abs(best - value) <= tol else value

    # A left edge snaps onto where a panel's active area starts, a right edge onto where one ends,
    # so the seam's hidden pixels belong to no zone.
    x0 = nearest(rect.x, lefts, tol_x)
    x1 = nearest(rect.x1, rights, tol_x)
    y0 = nearest(rect.y, tops, tol_y)
    y1 = nearest(rect.y1, bottoms, tol_y)
    if x1 <= x0 or y1 <= y0:
        return rect
    return Rect(x0, y0, x1 - x0, y1 - y0)


def resolve_layout(layout: LayoutSpec, wall: Wall) -> ResolvedLayout:
    grid = layout_grid(layout, wall)
    zones: list[Zone] = []
    findings: list[Finding] = []
    for z_index, (zone_id, zc) in enumerate(layout.zones):
        path: tuple = ("zones", zone_id)
        rect: Rect | None
        if zc.cells is not None:
            rect, err = _cells_rect(zc.cells, grid, wall)
            where = path + ("cells",)
        elif zc.fraction is not None:
            rect, err = _fraction_rect(zc.fraction, wall)
            where = path + ("fraction",)
        elif zc.mm is not None:
            rect, err = _mm_rect(zc.mm, wall)
            where = path + ("mm",)
        else:
            rect, err, where = None, "place the zone with one of cells, fraction or mm", path
        if err or rect is None:
            findings.append(Finding("error", where, err or "cannot place zone"))
            continue
        if zc.snap:
            rect = _snap(rect, wall)
        clipped = rect.intersect(wall.canvas)
        if clipped.empty:
            findings.append(
                Finding(
                    "error",
                    where,
                    f"zone '{zone_id}' lies entirely outside the {wall.canvas_w}x{wall.canvas_h} px canvas "
                    f"(it is at x={rect.x}, y={rect.y}, {rect.w}x{rect.h} px); move it onto the wall",
                )
            )
            continue
        if clipped != rect:
            findings.append(
                Finding(
                    "warning",
                    where,
                    f"zone '{zone_id}' falls partly outside the canvas and is cut to "
                    f"{clipped.w}x{clipped.h} px at ({clipped.x}, {clipped.y})",
                )
            )
        if wall.hidden_px(clipped) == clipped.w * clipped.h:
            findings.append(
                Finding("warning", where, f"zone '{zone_id}' lies wholly behind bezels; nothing of it can be seen")
            )
        zones.append(Zone(zone_id, clipped, z_index))
    return ResolvedLayout(tuple(zones), tuple(findings))


def bezel_crossings(zone: Zone, wall: Wall) -> tuple[list[str], int]:
    """Displays a zone spans and how many of its pixels sit behind bezels between them."""
    ids = [d.id for d in wall.displays_meeting(zone.rect)]
    return ids, wall.hidden_px(zone.rect)
