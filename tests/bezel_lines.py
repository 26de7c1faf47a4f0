"""Measuring the `bezel` test pattern in a display's PNG against the wall's physical geometry.

The pattern draws the lines x - y = k*100 and x + y = k*100 (wall mm, every integer k), 3 px wide,
white on black. Mapping every lit native pixel to wall mm with `Wall.native_pixel_to_mm` (which uses
the *physical* display position, not the rounded viewport) must put it on one of those lines. A
wrong bezel figure, viewport or rotation shifts a display's pixels off the lines by millimetres.
"""

from __future__ import annotations

import math

import numpy as np

SPACING_MM = 100.0
LIT = 128  # the pattern is white on black; anything brighter than this in red is line
# A lit pixel centre lies at most 1.5 px (half the 3 px line) from the line's centre, plus at most
# 0.5 px of viewport rounding (viewports sit on whole canvas pixels, displays on exact mm), plus a
# little for the rasteriser's non-antialiased edge decisions: 2.2 px, expressed in mm.
TOLERANCE_PX = 2.2


def lit_pixels(png: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Native (u, v) of the line pixels: u is the column, v the row."""
    v, u = np.nonzero(png[:, :, 0] > LIT)
    return u, v


def native_to_mm(wall, display_id: str, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`wall.native_pixel_to_mm` for arrays of pixels.

    The mapping is affine (a rotation by a multiple of 90 degrees, a scale and a shift), so it is
    sampled at three pixels and checked at a fourth before being applied to all of them."""
    o = np.array(wall.native_pixel_to_mm(display_id, 0, 0))
    eu = np.array(wall.native_pixel_to_mm(display_id, 1, 0)) - o
    ev = np.array(wall.native_pixel_to_mm(display_id, 0, 1)) - o
    w, h = wall.display(display_id).resolution
    far = np.array(wall.native_pixel_to_mm(display_id, w - 1, h - 1))
    assert np.allclose(o + (w - 1) * eu + (h - 1) * ev, far, atol=1e-6), "native_pixel_to_mm is not affine"
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return o[0] + u * eu[0] + v * ev[0], o[1] + u * eu[1] + v * ev[1]


def family_distance(x: np.ndarray, y: np.ndarray, sign: int) -> tuple[np.ndarray, np.ndarray]:
    """Perpendicular distance (mm) to the nearest line x + sign*y = k*100, and that k."""
    c = x + sign * y
    k = np.round(c / SPACING_MM)
    return np.abs(c - k * SPACING_MM) / math.sqrt(2.0), k.astype(int)


def line_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Perpendicular distance (mm) to the nearest line of either family."""
    return np.minimum(family_distance(x, y, -1)[0], family_distance(x, y, +1)[0])


def tolerance_mm(wall) -> float:
    return TOLERANCE_PX * max(wall.pitch_x, wall.pitch_y)


def expected_lines(rect_mm, sign: int, inset_mm: float = 20.0) -> list[int]:
    """k of every line x + sign*y = k*100 crossing the rectangle well inside (by `inset_mm`)."""
    x0, y0 = rect_mm.x + inset_mm, rect_mm.y + inset_mm
    x1, y1 = rect_mm.x1 - inset_mm, rect_mm.y1 - inset_mm
    values = [x + sign * y for x in (x0, x1) for y in (y0, y1)]
    lo, hi = min(values), max(values)
    return list(range(math.ceil(lo / SPACING_MM), math.floor(hi / SPACING_MM) + 1))


def measure(wall, display_id: str, png: np.ndarray) -> dict:
    """Residual of the lit pixels and coverage of the expected lines, for one display's PNG."""
    u, v = lit_pixels(png)
    assert u.size, f"{display_id}: no lit pixel at all"
    x, y = native_to_mm(wall, display_id, u, v)
    dist = line_distance(x, y)
    tol = tolerance_mm(wall)
    on = dist <= tol
    missing = []
    d = wall.display(display_id)
    for sign in (-1, +1):
        fam_d, fam_k = family_distance(x[on], y[on], sign)
        ks, counts = np.unique(fam_k[fam_d <= tol], return_counts=True)
        drawn = dict(zip(ks.tolist(), counts.tolist(), strict=True))
        for k in expected_lines(d.mm, sign):
            if drawn.get(k, 0) < 50:
                missing.append(("x-y" if sign < 0 else "x+y", k))
    return {"max_mm": float(dist.max()), "lit": int(u.size), "tol_mm": tol, "missing": missing}


def assert_on_lines(wall, display_id: str, png: np.ndarray) -> dict:
    """Every lit pixel lies on a pattern line, and every line that crosses the display is drawn."""
    m = measure(wall, display_id, png)
    assert m["max_mm"] <= m["tol_mm"], (
        f"{display_id}: a lit pixel lies {m['max_mm']:.2f} mm off the nearest line "
        f"(tolerance {m['tol_mm']:.2f} mm = {TOLERANCE_PX} px)"
    )
    assert not m["missing"], f"{display_id}: lines not drawn: {m['missing']}"
    return m


def coverage(wall, display_id: str, png: np.ndarray, within_px: float = 1.0) -> float:
    """Share of the native pixels whose centre lies within `within_px` of a line centre that are lit:
    the pattern is really drawn where the geometry says it should be, not just somewhere on a line."""
    h, w = png.shape[:2]
    v, u = np.mgrid[0:h, 0:w]
    x, y = native_to_mm(wall, display_id, u.ravel(), v.ravel())
    near = line_distance(x, y) <= within_px * max(wall.pitch_x, wall.pitch_y)
    lit = (png[:, :, 0] > LIT).ravel()
    return float(lit[near].mean())
