"""`map`'s views and painter; its options and builder are in wall/widgets/map.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

import numpy as np
import skia

from ..assets import ASSETS
from ..paint.card import card, card_box, draw_header, header_height
from ..paint.status import draw_badge, draw_placeholder, header_width
from ..paint.surface import color, fill, raster
from ..paint.text import TextStyle, draw_fitted, fit, paragraph
from .base import DataStatus

GEO_FILE = ASSETS / "geo" / "ne_110m_countries.json"


# (west, east, south, north) in degrees, and the central meridian of the projection
REGIONS: dict[str, tuple[float, float, float, float, float]] = {
    "world": (-180, 180, -56, 84, 0),
    "europe": (-25, 45, 34, 71, 10),
    "africa": (-19, 53, -36, 38, 17),
    "europe_africa": (-26, 60, -36, 71, 15),
    "middle_east": (25, 63, 12, 42, 44),
    "americas": (-170, -30, -56, 75, -85),
    "north_america": (-170, -50, 7, 75, -100),
    "south_america": (-92, -30, -56, 14, -60),
    "asia": (25, 150, -11, 60, 90),
    "oceania": (110, 180, -48, 0, 145),
}


HIDDEN = {"AQ"}  # Antarctica: no activity, and it would take a fifth of a world map


@dataclass(frozen=True)
class CountryValue:
    code: str
    value: float
    klass: int  # index into MapView.class_colors


@dataclass(frozen=True)
class TopCountry:
    rank: int
    code: str
    name: str
    value_text: str
    klass: int


@dataclass(frozen=True)
class MapView:
    region: str
    extent: Frame  # what the map shows: the countries with data, or the region
    title: str
    subtitle: str
    countries: tuple[CountryValue, ...]  # sorted by code
    class_colors: tuple[str, ...]
    breaks: tuple[float, ...]  # len(class_colors) + 1 bounds, lowest first
    break_labels: tuple[str, ...]
    top: tuple[TopCountry, ...]
    unknown_codes: tuple[str, ...]
    skipped_codes: tuple[str, ...]  # drawable countries whose value was NaN/inf (drawn as no data)
    legend: bool
    status: DataStatus
    empty: bool
    no_data: str
    border: str
    background: str
    frame: str
    text: str
    muted: str
    font: str
    text_floor: float = 0.0  # smallest font size (px) readable in the room (BuildContext.min_text_px); 0: none


@lru_cache(maxsize=1)
def world_countries() -> list[dict]:
    """The countries, each ring an (n, 2) array of lon/lat degrees.

    Read once per process (~100 KiB, a few ms): the render thread on its first build, each paint
    worker on its first paint. The file's rings are lists of scaled integers; kept as Python ints
    they would hold 7 MB in every process for the life of the wall, as arrays 0.8 MB."""
    doc = json.loads(GEO_FILE.read_text(encoding="utf-8"))
    scale = float(doc["scale"])
    return [
        {**c, "rings": tuple(np.asarray(ring, np.float64).reshape(-1, 2) / scale for ring in c["rings"])}
        for c in doc["countries"]
    ]


Frame = tuple[float, float, float, float, float]  # (west, east, south, north, central meridian), degrees


def natural_earth(lon: np.ndarray, lat: np.ndarray, lon0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Natural Earth projection of degrees (central meridian lon0; no wrap-around, so a region's
    far side lands beyond its edge instead of streaking across it). Units: earth radii."""
    lam = np.radians(np.asarray(lon, np.float64) - lon0)
    phi = np.radians(np.asarray(lat, np.float64))
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.870700 - 0.131979 * p2 - 0.013791 * p4 + p4 * p4 * p2 * (0.003971 - 0.001529 * p2))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


@cache
def _projected(lon0: float) -> dict[str | None, tuple[skia.Path, ...]]:
    """Every country's paths in projected units (y down), around the central meridian lon0."""
    paths: dict[str | None, list[skia.Path]] = {}
    for c in world_countries():
        if c["iso"] in HIDDEN:
            continue
        path = skia.Path()
        path.setFillType(skia.PathFillType.kEvenOdd)
        for pts in c["rings"]:
            x, y = natural_earth(pts[:, 0], pts[:, 1], lon0)
            path.addPoly([skia.Point(float(a), float(-b)) for a, b in zip(x, y, strict=True)], True)
        paths.setdefault(c["iso"], []).append(path)
    return {k: tuple(v) for k, v in paths.items()}


def region_box(region: str) -> tuple[float, float, float, float]:
    """The projected outline of a named region's lon/lat rectangle (see frame_box)."""
    return frame_box(REGIONS[region])


@lru_cache(maxsize=256)
def frame_box(frame: Frame) -> tuple[float, float, float, float]:
    """The projected outline of a frame's lon/lat rectangle, (x0, y0, x1, y1), y down (no shapes:
    cheap enough for build)."""
    west, east, south, north, lon0 = frame
    t = np.linspace(0, 1, 64)
    lon = np.concatenate([west + (east - west) * t, np.full(64, east), east - (east - west) * t, np.full(64, west)])
    lat = np.concatenate(
        [np.full(64, south), south + (north - south) * t, np.full(64, north), north - (north - south) * t]
    )
    bx, by = natural_earth(lon, lat, lon0)
    return float(bx.min()), float(-by.max()), float(bx.max()), float(-by.min())


@dataclass(frozen=True)
class Layout:
    """Where the painter puts things (pure geometry of the zone size, so build can size the side
    list exactly as the painter will draw it)."""

    card: tuple[float, float, float, float]
    pad: float
    head: tuple[float, float, float, float]  # the title band
    map: tuple[float, float, float, float]
    legend: tuple[float, float, float, float] | None
    side: tuple[float, float, float, float] | None  # the leading countries' column
    rows: int  # rows the side list shows (0: no side list)
    legend_aside: bool = False  # the legend sits under the side list instead of under the map
    room: float = 0.0  # the aspect (w / h) of the room the map has: a frame of data widens to it


def _side_rows(h: float, floor: float) -> int:
    """Side-list rows whose text (40 % of a row) stays at the floor in a column of height h."""
    return int(h // (2.5 * floor)) if floor > 0 else 10


def layout(
    width: float, height: float, region: str | Frame, legend: bool, top: int, floor: float = 0.0, classes: int = 5
) -> Layout:
    """Where everything goes in a zone of width x height showing `region` (a name or a frame)."""
    x, y, w, h = card_box(width, height)
    pad = max(4, round(min(w, h) * 0.045))
    head_h = header_height(h, 0.1, floor)
    bx, by = x + pad, y + pad * 0.7 + head_h + pad * 0.5
    bw, bh = w - 2 * pad, y + h - pad - by
    gap = pad * 0.6
    # the map takes its region's own aspect (so a region shows itself, not its neighbours);
    # the legend sits under it and the leading countries beside it when the zone is wide
    # (and, with a floor, when their column holds a name and a figure at the floor)
    side = top > 0 and w >= 1.3 * h and (floor <= 0 or bw * 0.26 >= 8 * floor)
    # the legend's labels take 40 % of its height: never less than one line at the floor, and with a
    # floor the legend needs the width of its labels at the floor ("no data", bounds) and a bar
    need = (7 + classes) * floor
    x0, y0, x1, y1 = region_box(region) if isinstance(region, str) else frame_box(region)
    aspect = (x1 - x0) / (y1 - y0)
    for _ in range(2):
        avail_w = bw - (bw * 0.26 + gap if side else 0.0)
        legend_h = max(min(130.0, max(28.0, bh * 0.15)), floor * 2.6) if legend else 0.0
        if floor > 0 and (avail_w < need or legend_h > bh * 0.5):
            legend_h = 0.0  # no room for it at the floor: the map alone (its colours still rank)
        under = min(avail_w, (bh - legend_h - gap) * aspect) if legend_h else min(avail_w, bh * aspect)
        # a region taller than its room (Europe + Africa in a landscape zone) keeps the full height
        # and moves the legend under the list beside it
        full = min(avail_w, bh * aspect)
        legend_aside = side and legend_h > 0 and full > 1.1 * under and bw - full - 2 * gap >= max(0.34 * bw, need)
        list_h = bh - (legend_h + gap * 2 if legend_aside else 0.0)
        rows = min(top, _side_rows(list_h, floor)) if side else 0
        if side and rows == 0:  # no country fits at the floor: the map takes the room
            side = False
            continue
        break
    if legend_aside:
        map_w = max(1.0, full)
        legend_w = 0.0
    else:
        map_w = max(1.0, under)
        legend_w = min(avail_w, max(map_w, bw * 0.5, need)) if legend_h else 0.0
    map_h = map_w / aspect
    block_w = max(map_w, legend_w)
    block_h = map_h + (gap + legend_h if legend_w else 0.0)
    my = by + (bh - block_h) / 2
    left = bx if side else bx + (bw - block_w) / 2  # alone, the block is centred in the card
    mx, lx = left + (block_w - map_w) / 2, left + (block_w - legend_w) / 2
    legend_box = (lx, my + map_h + gap, legend_w, legend_h) if legend_w else None
    side_box = None
    if side:
        sx = bx + block_w + gap * 2
        sw = bx + bw - sx
        side_box = (sx, by, sw, list_h)
        if legend_aside:
            legend_box = (sx, by + bh - legend_h, sw, legend_h)
    return Layout(
        (x, y, w, h),
        pad,
        (x + pad, y + pad * 0.7, w - 2 * pad, head_h),
        (mx, my, map_w, map_h),
        legend_box,
        side_box,
        rows,
        legend_aside,
        avail_w / max(1.0, bh if legend_aside or not legend_h else bh - legend_h - gap),
    )


def paint(view: MapView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card(canvas, width, height, view.background)
        if view.empty:
            draw_placeholder(
                canvas,
                x,
                y,
                w,
                h,
                view.status.state,
                view.status.note,
                view.title,
                view.text,
                view.muted,
                view.text_floor,
            )
            return pixels
        floor = view.text_floor
        plan = layout(width, height, view.extent, view.legend, len(view.top), floor, len(view.class_colors))
        hx, hy, hw, hh = plan.head
        if hy + hh <= y + h:  # a card too small for one line at the room's floor shows no header
            hw = header_width((x, y, w, h), hx, hw, view.status, view.status.min_px)
            draw_header(canvas, view.title, view.subtitle, hx, hy, hw, hh, view.font, view.text, view.muted, floor)
        mx, my, map_w, map_h = plan.map
        if map_w > 8 and map_h > 8:
            _paint_countries(canvas, view, mx, my, map_w, map_h)
        if plan.legend and not plan.legend_aside:
            _paint_legend(canvas, view, *plan.legend, floor=floor)
        if plan.side:
            _paint_top(canvas, view, *plan.side, rows=plan.rows, floor=floor)
            if plan.legend and plan.legend_aside:
                _paint_legend(canvas, view, *plan.legend, floor=floor)
        draw_badge(canvas, x, y, w, h, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels


def _paint_countries(canvas: skia.Canvas, view: MapView, x: float, y: float, w: float, h: float) -> None:
    paths = _projected(view.extent[4])
    bx0, by0, bx1, by1 = frame_box(view.extent)
    s = min(w / (bx1 - bx0), h / (by1 - by0))
    classes = {c.code: c.klass for c in view.countries}
    land = skia.Paint(AntiAlias=True, Style=skia.Paint.kFill_Style)
    border = skia.Paint(
        AntiAlias=True,
        Style=skia.Paint.kStroke_Style,
        Color=color(view.border),
        StrokeWidth=max(0.6, min(w, h) / 700) / s,
        StrokeJoin=skia.Paint.kRound_Join,
    )
    canvas.save()
    canvas.clipRect(skia.Rect.MakeXYWH(x, y, w, h), doAntiAlias=True)
    # centre the frame's box in the area; what lies around it (neighbours) fills the margins
    canvas.translate(x + (w - (bx1 - bx0) * s) / 2, y + (h - (by1 - by0) * s) / 2)
    canvas.scale(s, s)
    canvas.translate(-bx0, -by0)
    for code, country_paths in paths.items():
        k = classes.get(code)
        land.setColor(color(view.no_data if k is None else view.class_colors[k]))
        for p in country_paths:
            canvas.drawPath(p, land)
            canvas.drawPath(p, border)
    canvas.restore()


def _paint_legend(
    canvas: skia.Canvas, view: MapView, x: float, y: float, w: float, h: float, floor: float = 0.0
) -> None:
    """A stepped colour bar with the class bounds under its joints, and a "no data" swatch."""
    n = len(view.class_colors)
    bar_h = h * 0.38
    label_y = y + bar_h + h * 0.08
    line_h = h - bar_h - h * 0.08
    nd_w = w * 0.16
    bar_x, bar_w = x + nd_w + h * 0.5, min(w * 0.62, w - nd_w - h * 0.5)
    seg = bar_w / n
    cell = seg * 0.96
    # one size for every label, the largest at which each fits its slot on one line
    style = TextStyle(view.font, view.muted, False, "center")
    size = min(line_h / 1.4, 72.0)
    lo = max(6.0, floor)
    tight = False
    for label in (*view.break_labels, "no data"):
        slot = nd_w if label == "no data" else cell
        fitted = fit(label, slot, max(size, lo) * 1.4, style, max_size=size, min_size=lo)
        tight |= fitted.truncated
        size = min(size, fitted.size)
    size = max(size, 8.0, floor)  # below that it is cut with an ellipsis rather than shrunk further
    labelled: tuple[int, ...] = tuple(range(len(view.break_labels)))
    cells = [cell] * len(view.break_labels)
    if floor > 0 and tight:  # not all fit at the floor: the bar takes the legend's width, fewer bounds are labelled
        nd_w, bar_x, bar_w, labelled, cells = _legend_at_floor(view, x, w, h, size, style)
        seg = bar_w / n
    line_h = size * 1.4
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x, y, bar_h * 1.4, bar_h), bar_h * 0.2, bar_h * 0.2, fill(view.no_data))
    t = fit("no data", nd_w, line_h, TextStyle(view.font, view.muted, False, "left"), max_size=size, min_size=size)
    draw_fitted(canvas, t, x, label_y, line_h, "top")
    for i, c in enumerate(view.class_colors):
        canvas.drawRect(skia.Rect.MakeXYWH(bar_x + i * seg, y, seg + 0.5, bar_h), fill(c))
    for i in labelled:
        t = fit(view.break_labels[i], cells[i], line_h, style, max_size=size, min_size=size)
        draw_fitted(canvas, t, bar_x + i * seg - cells[i] / 2, label_y, line_h, "top")


def _legend_at_floor(
    view: MapView, x: float, w: float, h: float, size: float, style: TextStyle
) -> tuple[float, float, float, tuple[int, ...], list[float]]:
    """The legend laid out from the labels' widths at `size` (the room's floor): the "no data"
    swatch as wide as its label, the bar over the rest of the width, and the bounds labelled at
    every k-th joint (the top bound always), the smallest k at which none touch.
    Returns (nd_w, bar_x, bar_w, labelled indices, label cell widths)."""
    labels = view.break_labels
    n = len(view.class_colors)
    widths = [paragraph(t, size, 100_000, style).LongestLine for t in labels]
    gap = size * 0.5
    nd_w = max(w * 0.16, paragraph("no data", size, 100_000, style).LongestLine + gap)
    first, last = (widths[0], widths[-1]) if widths else (0.0, 0.0)
    bar_x = x + max(nd_w + h * 0.5, nd_w + first / 2)
    bar_w = max(1.0, x + w - bar_x - last / 2)
    seg = bar_w / n
    cells = [wd + 1.0 for wd in widths]
    for k in range(1, len(labels)):
        idx = list(range(0, len(labels) - 1, k))
        if len(labels) - 1 - idx[-1] < k and len(idx) > 1:
            idx.pop()  # too close to the top bound, which is always labelled
        idx.append(len(labels) - 1)
        if all((b - a) * seg >= (widths[a] + widths[b]) / 2 + gap for a, b in pairwise(idx)):
            return nd_w, bar_x, bar_w, tuple(idx), cells
    return nd_w, bar_x, bar_w, (), cells  # not even the two ends fit: the ramp alone


def _paint_top(
    canvas: skia.Canvas,
    view: MapView,
    x: float,
    y: float,
    w: float,
    h: float,
    rows: int | None = None,
    floor: float = 0.0,
) -> None:
    """The leading countries: colour swatch, name (one line, cut with an ellipsis), value."""
    top = view.top[:rows] if rows is not None else view.top
    rows = len(top)
    # rows are at most a fifth of the column, or what one line at the room's floor needs
    row_h = min(h / max(rows, 1), max(h * 0.2, 2.5 * floor) if floor > 0 else h * 0.2)
    size = min(row_h * 0.4, w * 0.11, 64.0)
    if floor > 0:
        size = max(size, floor)
    line_h = size * 1.45  # one line of text: a longer name shrinks a little, then is cut
    low = max(8.0, floor)
    y += (h - rows * row_h) / 2
    for i, item in enumerate(top):
        ry = y + i * row_h
        sw = size * 0.75
        canvas.drawRoundRect(
            skia.Rect.MakeXYWH(x, ry + (row_h - sw) / 2, sw, sw),
            sw * 0.25,
            sw * 0.25,
            fill(view.class_colors[item.klass]),
        )
        val = fit(
            item.value_text,
            w * 0.4,
            line_h,
            TextStyle(view.font, view.text, True, "right"),
            max_size=size,
            min_size=low,
        )
        val_w = val.paragraph.LongestLine + size * 0.5
        name_x = x + sw + size * 0.5
        name = fit(
            item.name,
            max(8.0, x + w - val_w - name_x),
            line_h,
            TextStyle(view.font, view.text, False, "left"),
            max_size=size,
            min_size=max(low, size * 0.8),
        )
        draw_fitted(canvas, name, name_x, ry + (row_h - line_h) / 2, line_h)
        draw_fitted(canvas, val, x + w - w * 0.4, ry + (row_h - line_h) / 2, line_h)
