"""`map`: activity per country as a choropleth, with a legend and the leading countries.

The data is a breakdown metric keyed by ISO 3166-1 alpha-2 code (country -> count). Values are put
in classes (quantiles by default, or logarithmic steps for data spanning several orders of
magnitude) coloured on a sequential ramp from the theme's surface to its accent; countries without
data are drawn neutral. Codes the map cannot draw (not ISO, or too small for the 1:110m shapes)
are ignored and listed in the view as `unknown_codes`.

Legibility: no text is laid out below the room's floor (BuildContext.min_text_px, carried in the
view as `text_floor`, rounded up to whole px). The header, the legend and the side list are given
the height one line at the floor needs; the side list shows as many countries as fit at the floor
(none, and the map takes the room, where its column would be too narrow); legend bounds that do not
fit at the floor get the whole legend width, then every second (third...) bound is labelled.

Shapes: Natural Earth 1:110m admin-0 countries (public domain), shipped in assets/geo/ (see its
README). They are parsed once per process (module-level caches), projected once per central
meridian, and painted as antialiased skia paths. The projection is Natural Earth (Šavrič, Jenny, Patterson &
Jenny 2011), a pseudo-cylindrical compromise made for world maps, given by two polynomials.

Framing: the map shows the countries that have data, not the whole region around them (`frame:
data`, the default): their main territories' box with a margin, at least a neighbourhood's size,
within the region, in 5-degree steps (so the frame moves only when the set of countries does).
`frame: region` shows the whole region whatever the data; without data the region is shown.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

from pydantic import Field

from ..colors import mix
from ..numbers import human_number
from ..painters.map import HIDDEN, REGIONS, CountryValue, Frame, MapView, TopCountry, frame_box, layout, world_countries
from ..painters.map import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, DataStatus, data_status, text_floor

NAME = "map"
TEXT_BEARING = True
Region = Literal[
    "world",
    "europe",
    "africa",
    "europe_africa",
    "middle_east",
    "americas",
    "north_america",
    "south_america",
    "asia",
    "oceania",
]


# Codes data vendors send that are not ISO 3166-1 alpha-2 but mean one country unambiguously.
ALIASES = {"UK": "GB", "EL": "GR"}


class MapOptions(BindingBase):
    widget: Literal["map"]
    metric: str = Field(
        default="countries",
        min_length=1,
        description="breakdown metric in the feed: ISO 3166-1 alpha-2 country code -> count",
    )
    region: Region = Field(default="world", description="the part of the world the map may show")
    frame: Literal["data", "region"] = Field(
        default="data",
        description="data: zoom to the countries that have data (within the region); region: the whole region",
    )
    scale: Literal["quantile", "log"] = Field(
        default="quantile",
        description="class breaks: quantiles (each class holds as many countries) or logarithmic steps",
    )
    classes: int = Field(default=5, ge=3, le=7, description="number of colour classes")
    top: int = Field(
        default=5,
        ge=0,
        le=10,
        description="leading countries listed beside the map when the zone is wide enough (0: none)",
    )
    legend: bool = Field(default=True, description="show the colour legend with class bounds")
    title: str | None = Field(default=None, max_length=200, description="heading; default: the metric's name")


Options = MapOptions  # the name the widget registry looks for
FRAME_STEP = 5.0  # degrees: frames snap outward to this grid
MIN_SPAN = (36.0, 24.0)  # the smallest frame (lon, lat): one country is shown among its neighbours
FRAME_MARGIN = 0.12  # of the data's span, on every side


@lru_cache(maxsize=1)
def country_extents() -> dict[str, tuple[float, float, float, float]]:
    """ISO alpha-2 -> (west, east, south, north) of the country's largest ring: its main territory
    (France without French Guiana, the United States without Alaska), what a frame must hold."""
    out: dict[str, tuple[float, float, float, float]] = {}
    for c in world_countries():
        if not c["iso"] or c["iso"] in HIDDEN:
            continue
        best = None
        for pts in c["rings"]:
            box = (pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max())
            area = (box[1] - box[0]) * (box[3] - box[2])
            if best is None or area > best[0]:
                best = (area, box)
        if best is not None:
            prev = out.get(c["iso"])
            if prev is None or best[0] > (prev[1] - prev[0]) * (prev[3] - prev[2]):
                out[c["iso"]] = tuple(float(v) for v in best[1])  # type: ignore[assignment]
    return out


def data_frame(codes: list[str], region: str) -> Frame:
    """The frame that shows these countries: their main territories' box, a margin around it, at
    least MIN_SPAN, snapped outward to FRAME_STEP and kept within the region (the region itself
    when no code is known)."""
    west, east, south, north, lon0 = REGIONS[region]
    extents = country_extents()
    boxes = [extents[c] for c in codes if c in extents]
    if not boxes:
        return REGIONS[region]
    w, e = min(b[0] for b in boxes), max(b[1] for b in boxes)
    s, n = min(b[2] for b in boxes), max(b[3] for b in boxes)
    mx, my = (e - w) * FRAME_MARGIN, (n - s) * FRAME_MARGIN
    w, e, s, n = w - mx, e + mx, s - my, n + my
    for lo, hi, least, axis in ((w, e, MIN_SPAN[0], 0), (s, n, MIN_SPAN[1], 1)):
        if hi - lo < least:
            mid = (lo + hi) / 2
            lo, hi = mid - least / 2, mid + least / 2
        if axis == 0:
            w, e = lo, hi
        else:
            s, n = lo, hi
    step = FRAME_STEP
    w, e = max(west, math.floor(w / step) * step), min(east, math.ceil(e / step) * step)
    s, n = max(south, math.floor(s / step) * step), min(north, math.ceil(n / step) * step)
    if e - w < step or n - s < step:
        return REGIONS[region]
    if (w, e, s, n) == (west, east, south, north):
        return REGIONS[region]
    return (w, e, s, n, round((w + e) / 2 / step) * step)


@lru_cache(maxsize=1024)
def widened(frame: Frame, region: str, aspect: float) -> Frame:
    """The frame grown (never shrunk) about its centre to the map's room of this aspect, within
    the region, snapped outward: the countries with data stay in the middle and their neighbours,
    not an empty card, fill the room's sides."""
    west, east, south, north, lon0 = frame
    rw, re_, rs, rn, _ = REGIONS[region]
    x0, y0, x1, y1 = frame_box(frame)
    have = (x1 - x0) / max(1e-9, y1 - y0)
    step = FRAME_STEP
    if aspect > have * 1.05:  # the room is wider: more longitude
        half = (east - west) * aspect / have / 2
        mid = (west + east) / 2
        west, east = max(rw, math.floor((mid - half) / step) * step), min(re_, math.ceil((mid + half) / step) * step)
    elif aspect < have / 1.05:  # the room is taller: more latitude
        half = (north - south) * have / aspect / 2
        mid = (south + north) / 2
        south, north = max(rs, math.floor((mid - half) / step) * step), min(rn, math.ceil((mid + half) / step) * step)
    return (west, east, south, north, lon0)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO alpha-2 -> name, for every country the map can draw."""
    return {c["iso"]: c["name"] for c in world_countries() if c["iso"] and c["iso"] not in HIDDEN}


def class_breaks(values: list[float], k: int, scale: str) -> list[float]:
    """k+1 ascending bounds (fewer when the data has fewer distinct values)."""
    v = sorted(values)
    lo, hi = v[0], v[-1]
    if hi <= lo:
        return [lo, hi]
    if scale == "log":
        base = max(lo, 1.0)
        if hi <= base:
            return [lo, hi]
        inner = [_round_sig(base * (hi / base) ** (i / k)) for i in range(1, k)]
    else:
        inner = [_round_sig(_quantile(v, i / k)) for i in range(1, k)]
    bounds = [lo] + [b for b in inner if lo < b < hi] + [hi]
    return sorted(set(bounds))


def _quantile(ordered: list[float], q: float) -> float:
    """Linear-interpolation quantile of sorted values (numpy's default method, without numpy's
    per-call overhead: build runs every frame)."""
    pos = q * (len(ordered) - 1)
    i = int(pos)
    j = min(i + 1, len(ordered) - 1)
    return ordered[i] + (ordered[j] - ordered[i]) * (pos - i)


def _round_sig(x: float, digits: int = 2) -> float:
    """Bounds people read: 1,234 -> 1,200."""
    if x <= 0 or not math.isfinite(x):
        return x
    mag = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return round(x / mag) * mag


def classify(value: float, breaks: list[float]) -> int:
    """Class of a value: class i holds [breaks[i], breaks[i+1]); the top class includes its bound."""
    n = len(breaks) - 1
    for i in range(n - 1, 0, -1):
        if value >= breaks[i]:
            return i
    return 0


def _ramp(surface: str, accent: str, n: int) -> tuple[str, ...]:
    # the lightest class stays clearly apart from both the neutral "no data" land and the card
    return tuple(mix(surface, accent, 0.28 + 0.72 * i / max(1, n - 1)) for i in range(n))


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: MapOptions, ctx: BuildContext) -> MapView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    metric = ctx.data.metrics.get(options.metric) if ctx.data is not None else None
    names = country_names()
    values: dict[str, float] = {}
    unknown, skipped = set(), set()
    for raw, value in ((metric.breakdown or {}) if metric is not None else {}).items():
        code = str(raw).strip().upper()
        code = ALIASES.get(code, code)
        if code not in names:
            unknown.add(str(raw).strip()[:12] or "(blank)")
            continue
        if value is None or not math.isfinite(value):
            skipped.add(code)
            continue
        values[code] = values.get(code, 0.0) + max(0.0, float(value))  # negative counts are 0
    floor = text_floor(ctx)
    frame = REGIONS[options.region]
    if options.frame == "data":
        frame = data_frame(sorted(values), options.region)
        if frame != REGIONS[options.region]:  # neighbours fill the room the frame's own shape leaves
            room = layout(ctx.width, ctx.height, frame, options.legend, options.top, floor, options.classes).room
            frame = widened(frame, options.region, room)
    breaks = class_breaks(list(values.values()), options.classes, options.scale) if values else []
    n_classes = max(1, len(breaks) - 1)
    classes = {c: classify(v, breaks) for c, v in values.items()}
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[: options.top]
    if floor > 0 and ranked:  # as many leading countries as the side list shows at the room's floor
        plan = layout(ctx.width, ctx.height, frame, options.legend, len(ranked), floor, max(1, len(breaks) - 1))
        if plan.side:
            ranked = ranked[: plan.rows]
    if not values and status.ok:
        no_breakdown = metric is None or not metric.breakdown
        note = f"no '{options.metric}' breakdown in the feed" if no_breakdown else "no known country codes"
        status = DataStatus("ok", note)
    title = options.title or (metric.name if metric is not None and metric.name else "Activity per country")
    subtitle = " · ".join(s for s in ((metric.window or "", metric.unit or "") if metric is not None else ()) if s)
    return MapView(
        region=options.region,
        extent=frame,
        title=title,
        subtitle=subtitle,
        countries=tuple(CountryValue(c, values[c], classes[c]) for c in sorted(values)),
        class_colors=_ramp(theme.surface, theme.accent, n_classes),
        breaks=tuple(breaks),
        break_labels=tuple(human_number(b) for b in breaks),
        top=tuple(TopCountry(i + 1, c, names[c], human_number(v), classes[c]) for i, (c, v) in enumerate(ranked)),
        unknown_codes=tuple(sorted(unknown)),
        skipped_codes=tuple(sorted(skipped)),
        legend=options.legend,
        status=status,
        empty=not values,
        no_data=mix(theme.surface, theme.muted, 0.2),
        border=theme.surface,
        background=theme.surface,
        frame=theme.background,
        text=theme.text,
        muted=theme.muted,
        font=theme.font,
        text_floor=floor,
    )
