"""Zones: named rectangles of the canvas, resolved from cells, fractions or mm.

Pure: a layout config and a `Wall` in, pixel rectangles and a list of findings out. Findings carry
the config path they are about; the config loader turns paths into file:line:column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .config.schema import LayoutConfig, ZoneConfig
from .geometry import Rect, Wall, column_index, column_letters

_CELLS = re.compile(r"^([A-Za-z]{1,2})([1-9][0-9]*)(?::([A-Za-z]{1,2})([1-9][0-9]*))?$")

# `snap: bezels` moves a zone edge onto the nearest bezel when it is within this share of one
# display's width (or height). Cell edges of a display-aligned grid are a few pixels off the
# active-area edges (the seam); an edge in mid-panel is far from any bezel and stays put.
SNAP_SHARE = 0.10


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


def layout_grid(layout: LayoutConfig, wall: Wall) -> tuple[int, int]:
    if layout.grid is not None:
        return layout.grid
    return wall.grid if wall.grid is not None else (1, 1)


def _cells_rect(spec: str, grid: tuple[int, int], wall: Wall) -> tuple[Rect | None, str | None]:
    m = _CELLS.match(spec.strip())
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


def _fraction_rect(z: ZoneConfig, wall: Wall) -> tuple[Rect | None, str | None]:
    f = z.fraction
    assert f is not None
    if f.x + f.w > 1.0 + 1e-9 or f.y + f.h > 1.0 + 1e-9:
        return None, (
            f"fraction x+w = {f.x + f.w:g}, y+h = {f.y + f.h:g}: a fraction zone must stay inside the "
            "canvas (both sums at most 1)"
        )
    x0, y0 = round(f.x * wall.canvas_w), round(f.y * wall.canvas_h)
    x1, y1 = round((f.x + f.w) * wall.canvas_w), round((f.y + f.h) * wall.canvas_h)
    return Rect(x0, y0, x1 - x0, y1 - y0), None


def _mm_rect(z: ZoneConfig, wall: Wall) -> Rect:
    m = z.mm
    assert m is not None
    x0, y0 = wall.mm_to_canvas(m.x, m.y)
    x1, y1 = wall.mm_to_canvas(m.x + m.w, m.y + m.h)
    return Rect(round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0))


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


def resolve_layout(layout: LayoutConfig, wall: Wall) -> ResolvedLayout:
    grid = layout_grid(layout, wall)
    zones: list[Zone] = []
    findings: list[Finding] = []
    for z_index, (zone_id, zc) in enumerate(layout.zones.items()):
        path = ("zones", zone_id)
        if zc.cells is not None:
            rect, err = _cells_rect(zc.cells, grid, wall)
            where = path + ("cells",)
        elif zc.fraction is not None:
            rect, err = _fraction_rect(zc, wall)
            where = path + ("fraction",)
        else:
            rect, err = _mm_rect(zc, wall), None
            where = path + ("mm",)
        if err or rect is None:
            findings.append(Finding("error", where, err or "cannot place zone"))
            continue
        if zc.snap == "bezels":
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
