"""The wall config: pydantic v2 models. `wallctl schema` prints their JSON Schema for YAML editors.

Physical values are what an installer reads off a datasheet or a tape measure: millimetres for
sizes and bezels, the panel's native resolution, and the clockwise rotation at which it is mounted.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, PositiveInt, Tag, field_validator, model_validator

from ..widgets.registry import binding_models
from pydantic import BaseModel

from .base import Color, EnvRef, StrictModel

Id = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", description="letters, digits, '_' and '-'; starts with a letter"),
]
Mm = Annotated[float, Field(ge=0, description="millimetres")]
PositiveMm = Annotated[float, Field(gt=0, description="millimetres")]


def _scalar_or_mapping(number_tag: str, mapping_tag: str):
    """A discriminator choosing a union branch by the YAML shape, so a mistake inside one form is
    reported for that form only (not once per branch of the union)."""

    def pick(value: Any) -> str:
        return mapping_tag if isinstance(value, (dict, BaseModel)) else number_tag

    return Discriminator(pick)


class BezelMm(StrictModel):
    """Bezel widths of one panel, per edge, in the panel's native (landscape) orientation."""

    top: Mm = 0.0
    right: Mm = 0.0
    bottom: Mm = 0.0
    left: Mm = 0.0


_ASPECT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:/x]\s*(\d+(?:\.\d+)?)\s*$")


class PanelModel(StrictModel):
    """One model of monitor, as its datasheet describes it."""

    resolution: tuple[PositiveInt, PositiveInt] = Field(description="native pixels: [width, height]")
    active_mm: tuple[PositiveMm, PositiveMm] | None = Field(
        default=None, description="active (lit) area: [width, height] in mm, landscape"
    )
    diagonal_in: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="active-area diagonal in inches; use instead of active_mm"
    )
    aspect: str | None = Field(
        default=None,
        description="active-area aspect with diagonal_in, e.g. '16:9'; default: the resolution's",
    )
    bezel_mm: Annotated[
        Union[Annotated[Mm, Tag("number")], Annotated[BezelMm, Tag("edges")]],
        _scalar_or_mapping("number", "edges"),
    ] = Field(
        default=0.0,
        description="bezel width in mm: one number for every edge, or {top, right, bottom, left}",
    )

    @model_validator(mode="after")
    def _size_given_once(self) -> "PanelModel":
        if (self.active_mm is None) == (self.diagonal_in is None):
            raise ValueError("give the panel's size either as active_mm: [w, h] or as diagonal_in (not both)")
        if self.aspect is not None:
            if self.diagonal_in is None:
                raise ValueError("aspect only goes with diagonal_in")
            if not _ASPECT.match(self.aspect):
                raise ValueError(f"aspect '{self.aspect}' should look like '16:9'")
        return self


class DisplayConfig(PanelModel):
    """One physical monitor of the wall."""

    id: Id
    position_mm: tuple[float, float] = Field(
        description="top-left corner of the active area as mounted, in wall mm (x right, y down)"
    )
    rotation: Literal[0, 90, 180, 270] = Field(
        default=0, description="clockwise degrees the panel is turned from landscape, seen from the front"
    )
    output: str | int | None = Field(
        default=None, description="the system's name for the video output driving it (e.g. 'DP-1'), or its index"
    )


class GridConfig(StrictModel):
    """cols x rows identical panels; display ids are spreadsheet-style: A1, B1, ... A2 ..."""

    cols: PositiveInt
    rows: PositiveInt
    panel: PanelModel
    gap_mm: Mm | tuple[Mm, Mm] = Field(default=0.0, description="extra gap between bezels: one number or [x, y]")
    rotation: Literal[0, 90, 180, 270] = 0
    outputs: list[str | int] | None = Field(
        default=None, description="video outputs in display order (A1, B1, ..., A2, ...)"
    )

    @model_validator(mode="after")
    def _outputs_match(self) -> "GridConfig":
        if self.outputs is not None and len(self.outputs) != self.cols * self.rows:
            raise ValueError(f"outputs lists {len(self.outputs)} entries for {self.cols * self.rows} displays")
        return self


class GridDisplays(StrictModel):
    grid: GridConfig


class FractionRect(StrictModel):
    x: Annotated[float, Field(ge=0, le=1)] = 0.0
    y: Annotated[float, Field(ge=0, le=1)] = 0.0
    w: Annotated[float, Field(gt=0, le=1)]
    h: Annotated[float, Field(gt=0, le=1)]


class MmRect(StrictModel):
    x: float
    y: float
    w: PositiveMm
    h: PositiveMm


_CELLS = re.compile(r"^([A-Za-z]{1,2})([1-9][0-9]*)(?::([A-Za-z]{1,2})([1-9][0-9]*))?$")


class ZoneConfig(StrictModel):
    """A rectangle of the canvas: grid cells ('A1:B2'), fractions of the canvas, or wall mm."""

    cells: str | None = Field(default=None, description="spreadsheet-style cells of the layout grid: 'A1' or 'A1:C2'")
    fraction: FractionRect | None = None
    mm: MmRect | None = None
    snap: Literal["none", "bezels"] = Field(
        default="none", description="'bezels' moves edges near a bezel onto it, so text never straddles a mullion"
    )

    @field_validator("cells")
    @classmethod
    def _cells_syntax(cls, v: str | None) -> str | None:
        if v is not None and not _CELLS.match(v.strip()):
            raise ValueError(f"'{v}' is not a cell range; write it like 'A1' or 'A1:C2' (column letters, row numbers)")
        return v

    @model_validator(mode="after")
    def _one_placement(self) -> "ZoneConfig":
        given = [k for k in ("cells", "fraction", "mm") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "place the zone with exactly one of cells, fraction or mm"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class LayoutConfig(StrictModel):
    """Zones of the canvas, in drawing order (later zones are drawn over earlier ones)."""

    grid: tuple[PositiveInt, PositiveInt] | None = Field(
        default=None, description="[cols, rows] for cells; default: the display grid"
    )
    zones: dict[Id, ZoneConfig] = Field(min_length=1)


LayoutRef = Annotated[
    Union[Annotated[Id, Tag("name")], Annotated[LayoutConfig, Tag("inline")]],
    _scalar_or_mapping("name", "inline"),
]


PALETTES: dict[str, dict[str, str]] = {
    # a bright, branded dark room (not a space-shuttle console)
    "dark": {
        "background": "#0b1020", "surface": "#151c33", "text": "#f4f6fb", "muted": "#9aa3b8",
        "accent": "#ff7900", "positive": "#3ddc97", "neutral": "#9aa3b8", "negative": "#ff5c6c",
        "ok": "#3ddc97", "warn": "#f2a900", "breach": "#ff5c6c",
    },
    # for lobbies and daylight: white cards, deep colours that keep AA contrast on them
    "light": {
        "background": "#f3f4f7", "surface": "#ffffff", "text": "#14171f", "muted": "#4d5566",
        "accent": "#c2410c", "positive": "#15803d", "neutral": "#5b6474", "negative": "#c81e1e",
        "ok": "#15803d", "warn": "#a35c00", "breach": "#c81e1e",
    },
}


class ThemeConfig(StrictModel):
    """Brand colours on a dark or light base: every colour not given comes from the variant's
    palette. `wallctl check` fails a theme whose colours miss WCAG AA contrast."""

    variant: Literal["dark", "light"] = "dark"
    background: Color = PALETTES["dark"]["background"]
    surface: Color = PALETTES["dark"]["surface"]
    text: Color = PALETTES["dark"]["text"]
    muted: Color = PALETTES["dark"]["muted"]
    accent: Color = PALETTES["dark"]["accent"]
    positive: Color = PALETTES["dark"]["positive"]
    neutral: Color = PALETTES["dark"]["neutral"]
    negative: Color = PALETTES["dark"]["negative"]
    ok: Color = PALETTES["dark"]["ok"]
    warn: Color = PALETTES["dark"]["warn"]
    breach: Color = PALETTES["dark"]["breach"]
    font: str = Field(default="Noto Sans", description="font family shipped in assets/fonts")

    @model_validator(mode="before")
    @classmethod
    def _from_palette(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("variant") in PALETTES:
            return {**PALETTES[data["variant"]], **data}
        return data

    def overlaid(self, other: "ThemeConfig") -> "ThemeConfig":
        """`other` (a scenario's theme) on top of this one (the wall's): only the keys it sets
        change; a different variant starts from that variant's palette."""
        given = other.model_dump(include=other.model_fields_set)
        if "variant" in given and given["variant"] != self.variant:
            return ThemeConfig.model_validate(given)
        return ThemeConfig.model_validate({**self.model_dump(), **given})


WidgetBinding = Annotated[Union[tuple(binding_models())], Field(discriminator="widget")]  # type: ignore[valid-type]


class TransitionConfig(StrictModel):
    """How the wall goes from the previous scenario to this one (a shader driven by time)."""

    kind: Literal["cut", "crossfade", "slide", "wipe"] = "crossfade"
    duration_s: Annotated[float, Field(ge=0, le=10)] = 0.6


class ScenarioConfig(StrictModel):
    title: str | None = None
    transition: TransitionConfig = Field(default_factory=TransitionConfig,
                                         description="how the wall changes to this scenario: cut, crossfade, slide, wipe")
    layout: LayoutRef | None = Field(
        default=None, description="a layout from layouts/ by name, or inline; default: the wall's layout"
    )
    zones: dict[Id, WidgetBinding] = Field(description="zone id -> the widget shown there")
    theme: ThemeConfig | None = None


class FeedConfig(StrictModel):
    adapter: Id
    poll_s: Annotated[float, Field(gt=0)] = 60.0
    options: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, EnvRef] = Field(default_factory=dict)


class WindowConfig(StrictModel):
    """How windowed backends put the displays on screen (`wallctl run --backend pyglet|kiosk`)."""

    mode: Literal["auto", "span", "per-screen"] = Field(
        default="auto",
        description="span: one window over all screens (one context, one swap; needs the screens to form one "
        "rectangle); per-screen: a borderless fullscreen window per screen; auto: span when possible",
    )
    vsync: bool = Field(default=True, description="wait for the screen's refresh when presenting (where the driver can)")
    hide_cursor: bool = True


class ControlConfig(StrictModel):
    """The control API and web console served by `wallctl run` (FastAPI in its own thread)."""

    listen: str = Field(default="127.0.0.1:8750", description="host:port; 127.0.0.1 keeps it on this machine")
    operator_token: EnvRef | None = Field(
        default=None, description="bearer token of operators (may change the wall), e.g. '${WALL_OPERATOR_TOKEN}'; "
        "without it the API is read-only")
    viewer_token: EnvRef | None = Field(
        default=None, description="bearer token of viewers (may read status, preview, zones), e.g. '${WALL_VIEWER_TOKEN}'")


class WallConfig(StrictModel):
    """A complete wall: its displays, how the canvas is split, what each zone shows, where data comes from."""

    name: str = "wall"
    fps: Annotated[float, Field(gt=0, le=240)] = 30.0
    viewing_distance_m: Annotated[float, Field(gt=0, le=100)] = Field(
        default=4.0,
        description="how far the room's viewers stand from the wall; `wallctl check` warns about text too small to read there",
    )
    displays: Annotated[
        Union[Annotated[list[DisplayConfig], Tag("list")], Annotated[GridDisplays, Tag("grid")]],
        _scalar_or_mapping("list", "grid"),
    ] = Field(
        description="either {grid: {...}} for identical panels, or a list of displays"
    )
    layout: LayoutRef = Field(description="a layout from layouts/ by name, or inline")
    scenarios: dict[Id, ScenarioConfig] = Field(min_length=1)
    default_scenario: Id | None = Field(default=None, description="default: the first scenario")
    theme: ThemeConfig = ThemeConfig()
    window: WindowConfig = WindowConfig()
    control: ControlConfig = ControlConfig()
    feeds: dict[Id, FeedConfig] = Field(default_factory=dict)

    @field_validator("displays")
    @classmethod
    def _some_displays(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError("the wall needs at least one display")
        return v
