"""Smooth curves through data points, for line and area charts (the kpi sparkline, the timeline)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import skia


def _tangents(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    """Fritsch-Carlson tangents: the cubic through the points never overshoots them, so a smoothed
    volume curve never dips below zero or invents a peak that is not in the data."""
    n = len(xs)
    d = [(ys[i + 1] - ys[i]) / ((xs[i + 1] - xs[i]) or 1e-9) for i in range(n - 1)]
    m = [d[0]] + [0.0 if d[i - 1] * d[i] <= 0 else (d[i - 1] + d[i]) / 2 for i in range(1, n - 1)] + [d[-1]]
    for i in range(n - 1):
        if d[i] == 0:
            m[i] = m[i + 1] = 0.0
            continue
        a, b = m[i] / d[i], m[i + 1] / d[i]
        s = a * a + b * b
        if s > 9:
            k = 3 / math.sqrt(s)
            m[i], m[i + 1] = k * a * d[i], k * b * d[i]
    return m


def smooth_path(points: Sequence[tuple[float, float]], path: skia.Path | None = None) -> skia.Path:
    """A smooth curve through points (x increasing) in pixels: monotone cubic segments."""
    path = path if path is not None else skia.Path()
    if not points:
        return path
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if path.countVerbs() == 0:
        path.moveTo(xs[0], ys[0])
    else:
        path.lineTo(xs[0], ys[0])
    if len(points) < 3:
        for x, y in points[1:]:
            path.lineTo(x, y)
        return path
    m = _tangents(xs, ys)
    for i in range(len(points) - 1):
        h = xs[i + 1] - xs[i]
        path.cubicTo(
            xs[i] + h / 3, ys[i] + m[i] * h / 3, xs[i + 1] - h / 3, ys[i + 1] - m[i + 1] * h / 3, xs[i + 1], ys[i + 1]
        )
    return path
