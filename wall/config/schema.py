"""The wall config: pydantic v2 models. `wallctl schema` prints their JSON Schema for YAML editors.

Physical values are what an installer reads off a datasheet or a tape measure: millimetres for
sizes and bezels, the panel's native resolution, and the clockwise rotation at which it is mounted.
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    PositiveInt,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from ..geometry import MAX_DISPLAYS, MAX_PANEL_PX, MAX_WALL_MM
from ..layout import CELLS, MAX_LAYOUT_GRID, MAX_ZONES, LayoutSpec, ZoneSpec
from ..widgets.registry import binding_models
from .base import Color, EnvRef, StrictModel
from .syntax import (
    SURGE_FIELDS,
    THRESHOLD_FIELDS,
    WEEKDAYS,
    check_template,
    format_duration,
    parse_date_span,
    parse_days,
    parse_duration,
    parse_hours,
)
from .syntax import zone as schedule_zone

Id = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$", description="letters, digits, '_' and '-'; starts with a letter"),
]
# Bounds no real wall reaches (see wall/geometry.py and wall/layout.py): a value beyond them is an
# error naming the limit, never a wall that takes minutes or gigabytes to build.
Mm = Annotated[float, Field(ge=0, le=MAX_WALL_MM, description="millimetres, at most 1000000 (a kilometre)")]
PositiveMm = Annotated[float, Field(gt=0, le=MAX_WALL_MM, description="millimetres, at most 1000000 (a kilometre)")]
WallMm = Annotated[
    float, Field(ge=-MAX_WALL_MM, le=MAX_WALL_MM, description="wall millimetres, within 1000000 (a kilometre) of 0")
]
PanelPx = Annotated[int, Field(ge=1, le=MAX_PANEL_PX, description=f"pixels, at most {MAX_PANEL_PX}")]
MAX_SCENARIOS = 256  # a wall has 3 to 20; each scenario resolves its layout and checks every zone
MAX_DIAGONAL_IN = 10_000  # 254 m: panels and LED walls are measured in tens of inches
MAX_ASPECT = 100  # the longer side of a panel over its shorter: 16:9 is 1.8, a stretched bar 8
MIN_POLL_S, MAX_POLL_S = 1.0, 86400.0  # a vendor's API is asked at most once a second, at least once a day


def _at_most(what: str, most: int, hint: str):
    """A before-validator refusing a list or mapping of more than `most` entries before its entries
    are validated one by one (each may cost a layout, a warning, a lookup)."""

    def check(value: Any) -> Any:
        if isinstance(value, (list, dict)) and len(value) > most:
            raise ValueError(f"{len(value)} {what}; {hint} at most {most}")
        return value

    return BeforeValidator(check)


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

    resolution: tuple[PanelPx, PanelPx] = Field(
        description=f"native pixels: [width, height], each at most {MAX_PANEL_PX}"
    )
    active_mm: tuple[PositiveMm, PositiveMm] | None = Field(
        default=None, description="active (lit) area: [width, height] in mm, landscape"
    )
    diagonal_in: Annotated[float, Field(gt=0, le=MAX_DIAGONAL_IN)] | None = Field(
        default=None,
        description=f"active-area diagonal in inches (at most {MAX_DIAGONAL_IN}); use instead of active_mm",
    )
    aspect: str | None = Field(
        default=None,
        max_length=40,
        description="active-area aspect with diagonal_in, e.g. '16:9'; default: the resolution's",
    )
    bezel_mm: Annotated[
        Annotated[Mm, Tag("number")] | Annotated[BezelMm, Tag("edges")],
        _scalar_or_mapping("number", "edges"),
    ] = Field(
        default=0.0,
        description="bezel width in mm: one number for every edge, or {top, right, bottom, left}",
    )

    @model_validator(mode="after")
    def _size_given_once(self) -> PanelModel:
        if (self.active_mm is None) == (self.diagonal_in is None):
            raise ValueError("give the panel's size either as active_mm: [w, h] or as diagonal_in (not both)")
        if self.aspect is not None:
            if self.diagonal_in is None:
                raise ValueError("aspect only goes with diagonal_in")
            m = _ASPECT.match(self.aspect)
            if not m:
                raise ValueError(f"aspect '{self.aspect}' should look like '16:9'")
            w, h = float(m.group(1)), float(m.group(2))
            if not (0 < w < math.inf and 0 < h < math.inf and max(w / h, h / w) <= MAX_ASPECT):
                raise ValueError(
                    f"aspect '{self.aspect}' is no panel's: both sides above 0, the longer at most "
                    f"{MAX_ASPECT} times the shorter (e.g. '16:9')"
                )
        return self


class DisplayConfig(PanelModel):
    """One physical monitor of the wall."""

    id: Id
    position_mm: tuple[WallMm, WallMm] = Field(
        description="top-left corner of the active area as mounted, in wall mm (x right, y down), "
        "each within 1000000 (a kilometre) of 0"
    )
    rotation: Literal[0, 90, 180, 270] = Field(
        default=0, description="clockwise degrees the panel is turned from landscape, seen from the front"
    )
    output: str | int | None = Field(
        default=None, description="the system's name for the video output driving it (e.g. 'DP-1'), or its index"
    )


class GridConfig(StrictModel):
    """cols x rows identical panels; display ids are spreadsheet-style: A1, B1, ... A2 ...; at most
    256 displays in all."""

    cols: PositiveInt = Field(le=MAX_DISPLAYS, description=f"panels across; cols x rows is at most {MAX_DISPLAYS}")
    rows: PositiveInt = Field(le=MAX_DISPLAYS, description=f"panels down; cols x rows is at most {MAX_DISPLAYS}")
    panel: PanelModel
    gap_mm: Mm | tuple[Mm, Mm] = Field(default=0.0, description="extra gap between bezels: one number or [x, y]")
    rotation: Literal[0, 90, 180, 270] = 0
    outputs: list[str | int] | None = Field(
        default=None, description="video outputs in display order (A1, B1, ..., A2, ...)"
    )

    @model_validator(mode="before")
    @classmethod
    def _displays_at_most(cls, data: Any) -> Any:
        """Checked before anything else: a grid of a million panels is refused before it is built."""
        if isinstance(data, dict):
            whole = [n for n in (data.get("cols"), data.get("rows")) if isinstance(n, int) and not isinstance(n, bool)]
            if len(whole) == 2 and min(whole) > 0:
                cols, rows = whole
                if cols * rows > MAX_DISPLAYS:
                    raise ValueError(
                        f"a grid of {cols} x {rows} is {cols * rows} displays; a wall has at most {MAX_DISPLAYS} "
                        "(one video output each): check cols and rows"
                    )
        return data

    @model_validator(mode="after")
    def _outputs_match(self) -> GridConfig:
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
    x: WallMm
    y: WallMm
    w: PositiveMm
    h: PositiveMm


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
        if v is not None and not CELLS.match(v.strip()):
            raise ValueError(f"'{v}' is not a cell range; write it like 'A1' or 'A1:C2' (column letters, row numbers)")
        return v

    @model_validator(mode="after")
    def _one_placement(self) -> ZoneConfig:
        given = [k for k in ("cells", "fraction", "mm") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "place the zone with exactly one of cells, fraction or mm"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class LayoutConfig(StrictModel):
    """Zones of the canvas, in drawing order (later zones are drawn over earlier ones)."""

    grid: (
        tuple[Annotated[int, Field(ge=1, le=MAX_LAYOUT_GRID)], Annotated[int, Field(ge=1, le=MAX_LAYOUT_GRID)]] | None
    ) = Field(
        default=None,
        description=f"[cols, rows] for cells, each at most {MAX_LAYOUT_GRID}; default: the display grid",
    )
    zones: Annotated[dict[Id, ZoneConfig], _at_most("zones", MAX_ZONES, "a layout has")] = Field(
        min_length=1, max_length=MAX_ZONES, description=f"zone id -> where it goes; at most {MAX_ZONES} zones"
    )

    def spec(self) -> LayoutSpec:
        """The layout as plain numbers, for wall.layout (which knows nothing of this schema)."""

        def place(z: ZoneConfig) -> ZoneSpec:
            f, m = z.fraction, z.mm
            return ZoneSpec(
                z.cells,
                (f.x, f.y, f.w, f.h) if f is not None else None,
                (m.x, m.y, m.w, m.h) if m is not None else None,
                z.snap == "bezels",
            )

        return LayoutSpec(tuple((zone_id, place(z)) for zone_id, z in self.zones.items()), self.grid)


LayoutRef = Annotated[
    Annotated[Id, Tag("name")] | Annotated[LayoutConfig, Tag("inline")],
    _scalar_or_mapping("name", "inline"),
]


PALETTES: dict[str, dict[str, str]] = {
    # a bright, branded dark room (not a space-shuttle console)
    "dark": {
        "background": "#0b1020",
        "surface": "#151c33",
        "text": "#f4f6fb",
        "muted": "#9aa3b8",
        "accent": "#ff7900",
        "positive": "#3ddc97",
        "neutral": "#9aa3b8",
        "negative": "#ff5c6c",
        "ok": "#3ddc97",
        "warn": "#f2a900",
        "breach": "#ff5c6c",
    },
    # for lobbies and daylight: white cards, deep colours that keep AA contrast on them
    "light": {
        "background": "#f3f4f7",
        "surface": "#ffffff",
        "text": "#14171f",
        "muted": "#4d5566",
        "accent": "#c2410c",
        "positive": "#15803d",
        "neutral": "#5b6474",
        "negative": "#c81e1e",
        "ok": "#15803d",
        "warn": "#a35c00",
        "breach": "#c81e1e",
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
    logo: str = Field(
        default="asset:logo/wall-logo.png",
        min_length=1,
        max_length=1000,
        description="the brand's logo, shown by holding cards (a zone waiting for approvals) and the kill "
        "switch's holding screen: 'asset:...' (under assets/), an absolute path, or one relative to the "
        "repository root",
    )

    @field_validator("logo")
    @classmethod
    def _logo_is_a_file(cls, v: str) -> str:
        from ..paint.images import local_path  # config sits above paint in the import order

        v = v.strip()
        if local_path(v) is None:
            raise ValueError(f"'{v}' is not a local file; name the logo like 'asset:logo/wall-logo.png' or a path")
        return v

    @model_validator(mode="before")
    @classmethod
    def _from_palette(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("variant"), str) and data["variant"] in PALETTES:
            return {**PALETTES[data["variant"]], **data}
        return data

    def overlaid(self, other: ThemeConfig) -> ThemeConfig:
        """`other` (a scenario's theme) on top of this one (the wall's): only the keys it sets
        change; a different variant starts from that variant's palette."""
        given = other.model_dump(include=other.model_fields_set)
        if "variant" in given and given["variant"] != self.variant:
            return ThemeConfig.model_validate(given)
        return ThemeConfig.model_validate({**self.model_dump(), **given})


# the union's members are the registered widgets' options, known only once the registry is read
WidgetBinding = Annotated[Union[tuple(binding_models())], Field(discriminator="widget")]  # type: ignore[valid-type]  # noqa: UP007


class PlaylistConfig(StrictModel):
    """A zone that rotates through widgets: each shows for its duration, then the next (the
    rotation is a function of time, so every machine of a wall agrees on the item shown)."""

    playlist: Annotated[list[WidgetBinding], Field(min_length=2)] = Field(  # type: ignore[valid-type]
        description="the widgets shown in turn, each as a zone binding ({widget: ..., feed: ...})"
    )
    every_s: Annotated[float, Field(gt=0, le=3600)] = Field(default=20.0, description="seconds each item shows")
    durations_s: list[Annotated[float, Field(gt=0, le=3600)]] | None = Field(
        default=None, description="seconds per item, in order (instead of every_s)"
    )

    @model_validator(mode="after")
    def _durations_match(self) -> PlaylistConfig:
        if self.durations_s is not None and len(self.durations_s) != len(self.playlist):
            raise ValueError(f"durations_s lists {len(self.durations_s)} durations for {len(self.playlist)} items")
        return self

    @property
    def durations(self) -> list[float]:
        return list(self.durations_s) if self.durations_s is not None else [self.every_s] * len(self.playlist)

    def active(self, t) -> tuple[int, Any]:
        """(index, binding) of the item shown at time t."""
        cycle = sum(self.durations)
        pos = t.timestamp() % cycle
        for i, d in enumerate(self.durations):
            if pos < d:
                return i, self.playlist[i]
            pos -= d
        return len(self.playlist) - 1, self.playlist[-1]


def _binding_or_playlist(value: Any) -> str:
    if isinstance(value, PlaylistConfig) or (isinstance(value, dict) and "playlist" in value):
        return "playlist"
    return "widget"


ZoneBinding = Annotated[
    Annotated[WidgetBinding, Tag("widget")] | Annotated[PlaylistConfig, Tag("playlist")],  # type: ignore[valid-type]
    Discriminator(_binding_or_playlist),
]


def binding_items(binding: Any) -> list[Any]:
    """The widget bindings a zone may show: its one, or every item of its playlist."""
    return list(binding.playlist) if isinstance(binding, PlaylistConfig) else [binding]


def active_binding(binding: Any, t) -> Any:
    """The widget binding shown at time t (a playlist's current item)."""
    return binding.active(t)[1] if isinstance(binding, PlaylistConfig) else binding


class TransitionConfig(StrictModel):
    """How the wall goes from the previous scenario to this one (a shader driven by time)."""

    kind: Literal["cut", "crossfade", "slide", "wipe"] = "crossfade"
    duration_s: Annotated[float, Field(ge=0, le=10)] = 0.6


class ScenarioConfig(StrictModel):
    title: str | None = None
    transition: TransitionConfig = Field(
        default_factory=TransitionConfig,
        description="how the wall changes to this scenario: cut, crossfade, slide, wipe",
    )
    layout: LayoutRef | None = Field(
        default=None, description="a layout from layouts/ by name, or inline; default: the wall's layout"
    )
    zones: Annotated[dict[Id, ZoneBinding], _at_most("zones", MAX_ZONES, "a scenario binds")] = Field(
        max_length=MAX_ZONES,
        description=f"zone id -> the widget shown there, or {{playlist: [...]}} to rotate; at most {MAX_ZONES}",
    )
    theme: ThemeConfig | None = None
    public_facing: bool = Field(
        default=False,
        description="visitors see this scenario (a lobby, a launch event): "
        "its posts are approved by an operator first unless `moderation` says otherwise",
    )
    moderation: Literal["open", "blocklist", "approve-first"] | None = Field(
        default=None,
        description="open: only posts hidden and authors blocked by an operator are left out; "
        "blocklist: also posts with a blocked term; approve-first: only posts an operator approved; "
        "default: approve-first when public_facing, else blocklist",
    )


def _poll_s(value: float) -> float:
    if not MIN_POLL_S <= value <= MAX_POLL_S:
        raise ValueError(
            f"a feed is polled every 1 to 86400 s (once a second to once a day), not every {value:g} s; "
            "vendors' rate limits want tens of seconds"
        )
    return value


class FeedConfig(StrictModel):
    adapter: Id
    poll_s: Annotated[float, AfterValidator(_poll_s)] = Field(
        default=60.0,
        description="seconds between polls, from 1 to 86400 (a day); vendors' rate limits want tens of seconds",
        json_schema_extra={"minimum": MIN_POLL_S, "maximum": MAX_POLL_S},
    )
    options: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, EnvRef] = Field(default_factory=dict)


class WindowConfig(StrictModel):
    """How windowed backends put the displays on screen (`wallctl run --backend pyglet|kiosk`)."""

    mode: Literal["auto", "span", "per-screen"] = Field(
        default="auto",
        description="span: one window over all screens (one context, one swap; needs the screens to form one "
        "rectangle); per-screen: a borderless fullscreen window per screen; auto: span when possible",
    )
    vsync: bool = Field(
        default=True, description="wait for the screen's refresh when presenting (where the driver can)"
    )
    hide_cursor: bool = True


class OperatorToken(StrictModel):
    """One person's token: the audit log names them, and removing them here (then a reload) revokes it."""

    role: Literal["operator", "viewer"] = "operator"
    token: EnvRef = Field(description="the token, from the environment, e.g. '${WALL_TOKEN_ADA}'")


def _listen(value: str) -> str:
    import ipaddress

    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:  # 0: any free port
        raise ValueError(f"'{value}' is not host:port with a port from 1 to 65535, e.g. 127.0.0.1:8750")
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        if not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*", bare):
            raise ValueError(f"'{host}' is neither an IP address nor a host name") from None
    return value


class ControlConfig(StrictModel):
    """The control API and web console served by `wallctl run` (FastAPI in its own thread)."""

    listen: Annotated[str, AfterValidator(_listen)] = Field(
        default="127.0.0.1:8750", description="host:port; 127.0.0.1 keeps it on this machine"
    )
    tls_cert: str | None = Field(default=None, description="PEM certificate (chain): serve HTTPS; with tls_key")
    tls_key: str | None = Field(default=None, description="its PEM private key (keep it mode 600)")
    # an `operators:` left empty once the last person is removed means none
    operators: Annotated[dict[str, OperatorToken], BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=dict,
        description="people with their own tokens (name -> {role, token}); the audit log names them",
    )
    operators_file: str | None = Field(
        default=None,
        description="a file of tokens kept as hashes: one 'NAME ROLE SHA256HEX' line each (sha256sum of the token)",
    )

    @model_validator(mode="after")
    def _tls_pair(self) -> ControlConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both files, or neither")
        return self

    operator_token: EnvRef | None = Field(
        default=None,
        description="bearer token of operators (may change the wall), e.g. '${WALL_OPERATOR_TOKEN}'; "
        "without it the API is read-only",
    )
    viewer_token: EnvRef | None = Field(
        default=None,
        description="bearer token of viewers (may read status, preview, zones), e.g. '${WALL_VIEWER_TOKEN}'",
    )


class NodeConfig(StrictModel):
    """One machine of a room run by a hub (`wallctl node CONFIG --node NAME`): the displays it drives."""

    displays: list[str] = Field(
        min_length=1,
        max_length=MAX_DISPLAYS,
        description="ids of the displays this machine drives (e.g. [A1, A2, B1, B2]); each on one node",
    )
    group: str = Field(
        default="wall",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        description="the nodes of a group switch together; 'wall' (the hub's own config) or a name of the "
        "hub's groups: section, whose config this node's config is",
    )


class RedisConfig(StrictModel):
    """Where the hub and its nodes meet (a room over several machines; a single machine needs none)."""

    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="redis://host:port/db, or rediss:// for TLS; `--redis URL` overrides it",
    )
    username: EnvRef | None = Field(default=None, description="Redis ACL user, e.g. '${WALL_REDIS_USER}'")
    password: EnvRef | None = Field(default=None, description="its password, e.g. '${WALL_REDIS_PASSWORD}'")
    ca_file: str | None = Field(default=None, description="rediss://: the CA that signed the server's certificate")
    prefix: str | None = Field(default=None, description="key prefix of this room; default wall:<name>")
    commit_deadline_s: Annotated[float, Field(gt=0, le=30)] = Field(
        default=1.0, description="how long a switch waits for the slowest node before it commits without it"
    )
    commit_margin_s: Annotated[float, Field(ge=0, le=5)] = Field(
        default=0.1,
        description="how far ahead of its frame a commit (or a hide) is announced, at least two frames: "
        "time for every node to read it; more on busy or distant machines",
    )


def _block_entry(value: str) -> str:
    if not value.strip() or value.strip() == "@":
        raise ValueError("empty entry; remove it or write the word, id or @handle to block")
    return value.strip()


BlockEntry = Annotated[str, AfterValidator(_block_entry)]


class ModerationConfig(StrictModel):
    """What never reaches a screen (wall/moderation/). Operators add to these lists at run time;
    their changes are kept in a file next to the audit log and survive a restart."""

    terms: list[BlockEntry] = Field(
        default_factory=list,
        description="blocked words or phrases, any language; "
        "case, accents and word boundaries are handled ('idiot' blocks 'IDIÖT', "
        "'ass' spares 'class')",
    )
    authors: list[BlockEntry] = Field(
        default_factory=list,
        description="blocked authors: an id ('mastodon:1234') or a @handle; their posts and their names never show",
    )
    fallback_scenario: Id | None = Field(
        default=None,
        description="the scenario the kill switch shows (design it as a holding screen: a logo, a clock); "
        "default: a built-in holding screen, the theme's logo and a clock on every display",
    )
    audit_log: str | None = Field(
        default=None,
        description="JSON-lines file of who hid, blocked, approved what "
        "(relative to this file); default: next to the wall's store, under the state folder",
    )


class PicturesConfig(StrictModel):
    """Pictures from the web (avatars, post photos, custom emoji): fetched by the live wall off the
    render thread into a bounded disk cache (wall/pictures.py). Offline renders fetch nothing."""

    cache_dir: str | None = Field(
        default=None,
        description="folder of the cached pictures (relative to this file); "
        "default: next to the wall's store, under the state folder",
    )
    max_mb: Annotated[float, Field(gt=0, le=100_000)] = Field(
        default=256.0, description="the cache's size on disk; the least recently shown pictures go first"
    )
    max_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = Field(
        default=8 * 1024 * 1024, description="the largest picture downloaded, in bytes"
    )
    timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        default=15.0, description="seconds one picture may take, however slowly its bytes come"
    )
    fetch: bool = Field(default=True, description="false: never fetch; avatars show initials, photos a placeholder")


# ---------------------------------------------------------------- schedule and alert rules


def _optional(model: type, tag: str):
    """`model | None`, tagged: the loader follows union tags along an error's path, so a mistake
    inside the section is reported at its own line (a plain Optional stops the path at the section)."""
    return Annotated[
        Annotated[model, Tag(tag)] | Annotated[None, Tag("none")],
        Discriminator(lambda v: "none" if v is None else tag),
    ]


def _invalid(title: str, problems: list[tuple[tuple, Any, str]]) -> ValidationError:
    """Errors at given paths below the model raising them, so each names its own line and column."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type="value_error", loc=loc, input=value, ctx={"error": ValueError(message)})
            for loc, value, message in problems
        ],
    )


def _text_of(check, what: str):
    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected {what} in quotes, got {value!r}")
        check(value)
        return value.strip()

    return BeforeValidator(validate)


TimeRanges = Annotated[
    str,
    _text_of(lambda v: parse_hours(v, allow_closed=False), "a time range like '10:00-11:00'"),
    Field(
        description="24-hour wall-clock range(s): '10:00-11:00', '22:00-02:00' (past midnight), "
        "'09:00-12:00, 14:00-17:00'"
    ),
]
Days = Annotated[
    str,
    _text_of(parse_days, "days like 'mon-fri'"),
    Field(description="weekdays: 'tue', 'mon-fri', 'sat,sun', 'daily'"),
]


def _date_span(value: Any) -> str:
    first, last = parse_date_span(value)
    return str(first) if first == last else f"{first}..{last}"


class DaypartConfig(StrictModel):
    """A part of the open day given to one scenario (07:00-12:00 -> monitoring)."""

    at: TimeRanges
    scenario: Id
    days: Days = "daily"
    priority: int = Field(default=0, description="the higher wins when day-parts overlap")


class WeeklyEntry(StrictModel):
    """A weekly slot (every Tuesday 10:00-11:00 -> launch); it opens the wall for its time."""

    days: Days
    at: TimeRanges
    scenario: Id
    priority: int = Field(default=0, description="the higher wins when weekly entries overlap")
    label: str | None = Field(default=None, max_length=80, description="for the console: 'Launch review'")


class CalendarEntry(StrictModel):
    """A date or a date range, all day or at given times: a scenario, or the wall closed (a holiday)."""

    date: Annotated[str, BeforeValidator(_date_span)] = Field(
        description="2026-11-23, or an inclusive range 2026-12-24..2026-12-26"
    )
    at: TimeRanges | None = Field(default=None, description="times on each of its days; default: all day")
    scenario: Id | None = None
    closed: bool = Field(default=False, description="true: the wall is closed (night state) for this entry")
    priority: int = Field(default=0, description="the higher wins when calendar entries overlap")
    label: str | None = Field(default=None, max_length=80, description="for the console: 'Christmas'")

    @model_validator(mode="after")
    def _scenario_or_closed(self) -> CalendarEntry:
        if (self.scenario is None) == (not self.closed):
            raise ValueError("give a calendar entry either scenario: <name> or closed: true")
        return self


class NightConfig(StrictModel):
    """What the wall does while closed: dimmed, or black, with the picture walking a few pixels
    so panels do not keep a ghost of it."""

    mode: Literal["dim", "black"] = "black"
    level: Annotated[float, Field(ge=0, le=1)] = Field(default=0.15, description="dim: brightness, 0..1")
    scenario: Id | None = Field(
        default=None, description="dim: the scenario shown dimmed; default: the schedule's default"
    )
    pixel_shift_px: Annotated[int, Field(ge=0, le=32)] = Field(
        default=4, description="how far the picture walks, in px"
    )
    shift_every_s: Annotated[float, Field(ge=1, le=86400)] = Field(
        default=60.0, description="one pixel every this many s"
    )

    @model_validator(mode="after")
    def _dim_only(self) -> NightConfig:
        extra = [k for k in ("level", "scenario") if k in self.model_fields_set]
        if self.mode == "black" and extra:
            raise _invalid(
                "NightConfig",
                [
                    (
                        (extra[0],),
                        getattr(self, extra[0]),
                        f"{extra[0]} goes with mode: dim (a black night shows nothing)",
                    )
                ],
            )
        return self


class ScheduleConfig(StrictModel):
    """When the wall is open and what it shows: see wall/scenes/schedule.py for what wins."""

    timezone: str = Field(description="IANA time zone of every time below, e.g. 'Europe/Paris'")
    hours: dict[str, str] = Field(
        default_factory=lambda: {"daily": "00:00-24:00"},
        description="opening hours per weekday: {mon-fri: '07:00-22:00', sat: '09:00-18:00', sun: closed}; "
        "a day not listed is closed; default: always open",
    )
    default: Id | None = Field(
        default=None, description="the scenario while open; default: the wall's default_scenario"
    )
    dayparts: list[DaypartConfig] = Field(default_factory=list)
    weekly: list[WeeklyEntry] = Field(default_factory=list)
    calendar: list[CalendarEntry] = Field(default_factory=list)
    night: NightConfig = NightConfig()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        schedule_zone(v)
        return v

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        problems: list[tuple[tuple, Any, str]] = []
        owner: dict[int, str] = {}
        for spec, text in v.items():
            try:
                days = parse_days(str(spec))
                parse_hours(text)
            except ValueError as exc:
                problems.append(((spec,), text, str(exc)))
                continue
            for d in sorted(days):
                if d in owner:
                    problems.append(((spec,), text, f"{WEEKDAYS[d]} is given twice, under '{owner[d]}' and '{spec}'"))
                    break
                owner[d] = str(spec)
        if problems:
            raise _invalid("ScheduleConfig", problems)
        return {str(k): (t.strip() if isinstance(t, str) else t) for k, t in v.items()}


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["90s", "15m", "1h", "1h30m"]},
                {"type": "number", "minimum": 0, "description": "seconds"},
            ]
        }
    ),
]
COUNT_SPAN = timedelta(hours=48)  # how far back the store counts posts (wall/store/tally.py, Tally)


class SurgeConfig(StrictModel):
    """More posts (of a tone) in the last `window` than `k` times what the `baseline` before it predicts."""

    tone: Literal["negative", "positive", "neutral", "any"] = Field(default="negative", description="which posts count")
    window: Duration = Field(default="1h", validate_default=True, description="the recent period judged, e.g. '1h'")
    baseline: Duration = Field(
        default="12h", validate_default=True, description="the period before it that sets the usual rate"
    )
    k: Annotated[float, Field(ge=1, le=1000)] = Field(
        default=3.0, description="how many times the usual rate is a surge"
    )
    min_count: PositiveInt = Field(default=10, description="fewer posts than this in the window are never a surge")

    @model_validator(mode="after")
    def _spans(self) -> SurgeConfig:
        if not timedelta(minutes=1) <= self.window <= timedelta(hours=24):
            raise _invalid(
                "SurgeConfig", [(("window",), format_duration(self.window), "a surge window is between 1m and 24h")]
            )
        if self.baseline < self.window:
            raise _invalid(
                "SurgeConfig",
                [
                    (
                        ("baseline",),
                        format_duration(self.baseline),
                        f"the baseline must be at least as long as the window ({format_duration(self.window)})",
                    )
                ],
            )
        if self.window + self.baseline > COUNT_SPAN:
            raise _invalid(
                "SurgeConfig",
                [
                    (
                        ("baseline",),
                        format_duration(self.baseline),
                        "window + baseline must fit in the 48h the store counts posts for",
                    )
                ],
            )
        return self


def _level(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value in ("target", "warn", "breach"):
        return value
    raise ValueError(f"{value!r} is neither a number nor one of the figure's own levels (target, warn, breach)")


Level = Annotated[float | Literal["target", "warn", "breach"], BeforeValidator(_level)]


class ThresholdConfig(StrictModel):
    """A figure of the feed above or below a number, or beyond one of its own levels."""

    metric: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,80}$", description="the figure, e.g. 'care.first_reply_min'")
    above: Level | None = Field(
        default=None, description="fires while the value is over this (or over its breach: 'breach')"
    )
    below: Level | None = Field(default=None, description="fires while the value is under this")

    @model_validator(mode="after")
    def _one_side(self) -> ThresholdConfig:
        if (self.above is None) == (self.below is None):
            raise ValueError("give a threshold exactly one of above: or below: (a number, or target, warn, breach)")
        return self


class BannerConfig(StrictModel):
    """The alert banner's text; {placeholders} are filled with the rule's figures."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=1000)


class AlertRuleConfig(StrictModel):
    """A condition on one feed's data that switches the wall to a scenario and shows a banner."""

    feed: Id
    surge: _optional(SurgeConfig, "surge") = None  # type: ignore[valid-type]
    threshold: _optional(ThresholdConfig, "threshold") = None  # type: ignore[valid-type]
    scenario: Id = Field(description="the scenario the wall switches to while the rule fires, e.g. crisis")
    banner: BannerConfig = BannerConfig()
    severity: Literal["info", "warning", "critical"] = "critical"
    cooldown_s: Annotated[float, Field(ge=0, le=7 * 86400)] = Field(
        default=900.0, description="after the condition ends, the rule cannot fire again for this long"
    )
    min_duration_s: Annotated[float, Field(ge=0, le=86400)] = Field(
        default=0.0, description="the condition must hold this long before the rule fires"
    )

    @model_validator(mode="after")
    def _one_condition(self) -> AlertRuleConfig:
        if (self.surge is None) == (self.threshold is None):
            raise ValueError("give the rule one condition: surge: {...} or threshold: {...}")
        kind, allowed = ("surge", SURGE_FIELDS) if self.surge is not None else ("threshold", THRESHOLD_FIELDS)
        problems = []
        for key in ("title", "message"):
            text = getattr(self.banner, key)
            if text is not None:
                try:
                    check_template(text, allowed, kind)
                except ValueError as exc:
                    problems.append((("banner", key), text, str(exc)))
        if problems:
            raise _invalid("AlertRuleConfig", problems)
        return self


class WallConfig(StrictModel):
    """A complete wall: its displays, how the canvas is split, what each zone shows, where data comes from."""

    name: str = "wall"
    fps: Annotated[float, Field(gt=0, le=240)] = 30.0
    viewing_distance_m: Annotated[float, Field(gt=0, le=100)] = Field(
        default=4.0,
        description="how far the room's viewers stand from the wall; "
        "`wallctl check` warns about text too small to read there",
    )
    displays: Annotated[
        Annotated[list[DisplayConfig], Tag("list")] | Annotated[GridDisplays, Tag("grid")],
        _scalar_or_mapping("list", "grid"),
    ] = Field(
        description=f"either {{grid: {{...}}}} for identical panels, or a list of displays; at most {MAX_DISPLAYS}"
    )
    layout: LayoutRef = Field(description="a layout from layouts/ by name, or inline")
    scenarios: Annotated[dict[Id, ScenarioConfig], _at_most("scenarios", MAX_SCENARIOS, "a wall has")] = Field(
        min_length=1,
        max_length=MAX_SCENARIOS,
        description=f"scenario name -> what the wall shows; at most {MAX_SCENARIOS}",
    )
    default_scenario: Id | None = Field(default=None, description="default: the first scenario")
    theme: ThemeConfig = ThemeConfig()
    window: WindowConfig = WindowConfig()
    control: ControlConfig = ControlConfig()
    feeds: dict[Id, FeedConfig] = Field(default_factory=dict)
    moderation: ModerationConfig = ModerationConfig()
    pictures: PicturesConfig = PicturesConfig()
    schedule: _optional(ScheduleConfig, "schedule") = Field(  # type: ignore[valid-type]
        default=None, description="opening hours, day-parts, calendar, night state; default: always open"
    )
    alerts: dict[Id, AlertRuleConfig] = Field(
        default_factory=dict, description="rule id -> a condition on a feed that switches to a scenario with a banner"
    )
    nodes: dict[Id, NodeConfig] = Field(
        default_factory=dict,
        description="a room over several machines: node name -> the displays it drives (wallctl hub / node)",
    )
    redis: RedisConfig = RedisConfig()
    groups: dict[Id, str] = Field(
        default_factory=dict,
        description="a hub's other groups of nodes (lobby kiosks...): group name -> the wall config they show, "
        "with its own displays, scenarios and schedule (relative to this file)",
    )

    @field_validator("displays", mode="before")
    @classmethod
    def _displays_at_most(cls, v: Any) -> Any:
        if isinstance(v, list) and len(v) > MAX_DISPLAYS:
            raise ValueError(f"{len(v)} displays; a wall has at most {MAX_DISPLAYS} (one video output each)")
        return v

    @field_validator("displays")
    @classmethod
    def _some_displays(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError("the wall needs at least one display")
        return v

    @model_validator(mode="after")
    def _schedule_and_alert_names(self) -> WallConfig:
        """Scenarios and feeds named by schedule: and alerts: exist; each mistake at its own line."""
        known = list(self.scenarios)
        problems: list[tuple[tuple, Any, str]] = []

        def scenario(loc: tuple, name: str | None) -> None:
            if name is not None and name not in self.scenarios:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(
                    (loc, name, f"'{name}' is not a scenario of this wall{hint} (scenarios: {', '.join(known)})")
                )

        if self.schedule is not None:
            at = ("schedule", "schedule")  # the field, then its union tag (see _optional)
            scenario(at + ("default",), self.schedule.default)
            for kind in ("dayparts", "weekly", "calendar"):
                for i, entry in enumerate(getattr(self.schedule, kind)):
                    scenario(at + (kind, i, "scenario"), entry.scenario)
            scenario(at + ("night", "scenario"), self.schedule.night.scenario)
        for rule_id, rule in self.alerts.items():
            scenario(("alerts", rule_id, "scenario"), rule.scenario)
            if rule.feed not in self.feeds:
                problems.append(
                    (
                        ("alerts", rule_id, "feed"),
                        rule.feed,
                        f"feed '{rule.feed}' is not declared under feeds: "
                        f"(declared: {', '.join(self.feeds) or 'none'})",
                    )
                )
        if problems:
            raise _invalid("WallConfig", problems)
        return self
