"""Load a wall config: YAML -> validated models -> geometry and resolved layouts, or errors that
name file:line:column and say what is expected.

Checks happen in layers, each reporting against the YAML it came from: syntax (pyyaml), shape and
types (pydantic), references (layouts, zones, feeds, scenarios), then physics (geometry) and
placement (layout). Warnings (text behind a bezel, a zone cut by the canvas edge) never stop a
wall from running; errors always do.
"""

from __future__ import annotations

import difflib
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from ..assets import LAYOUTS
from ..geometry import Bezels, DisplaySpec, GeometryError, Wall, active_size_mm, build_wall, expand_grid
from ..layout import ResolvedLayout, bezel_crossings, resolve_layout
from ..widgets.registry import widget
from .base import env_var_name, resolve_env_ref
from .errors import ConfigError, Mark, Problem
from .schema import (
    BezelMm,
    DisplayConfig,
    GridDisplays,
    LayoutConfig,
    ScenarioConfig,
    ThemeConfig,
    TransitionConfig,
    WallConfig,
    binding_items,
)
from .yaml_source import SourceDoc, load_yaml_file


@dataclass
class ScenarioPlan:
    name: str
    layout_name: str
    layout: ResolvedLayout
    bindings: dict[str, Any]  # zone id -> widget Options
    theme: ThemeConfig
    # how the wall changes to this scenario; None: a cut (patterns, tools)
    transition: TransitionConfig | None = None
    # the moderation mode its posts go through: "open", "blocklist" or "approve-first"
    moderation: str = "blocklist"


@dataclass
class LoadedConfig:
    path: Path
    config: WallConfig
    wall: Wall
    scenarios: dict[str, ScenarioPlan]
    default_scenario: str
    warnings: list[Problem] = field(default_factory=list)
    docs: dict[str, SourceDoc] = field(default_factory=dict)


# ---------------------------------------------------------------- pydantic errors -> positions


def _unwrap(t: Any) -> Any:
    while get_origin(t) is typing.Annotated:
        t = get_args(t)[0]
    return t


def _tag_of(t: Any) -> str | None:
    if get_origin(t) is typing.Annotated:
        for meta in get_args(t)[1:]:
            if isinstance(meta, Tag):
                return meta.tag
    inner = _unwrap(t)
    if isinstance(inner, type) and issubclass(inner, BaseModel) and "widget" in inner.model_fields:
        lit = get_args(inner.model_fields["widget"].annotation)
        return lit[0] if lit else None
    return None


def _step(t: Any, part: Any) -> tuple[Any, bool]:
    """Follow one element of a pydantic `loc` from type `t`. Returns (next type, consumed data)."""
    t = _unwrap(t)
    origin = get_origin(t)
    if origin in (Union, getattr(__import__("types"), "UnionType", Union)):
        for arg in get_args(t):
            if _tag_of(arg) == part or getattr(_unwrap(arg), "__name__", None) == part:
                return arg, False
        present = [arg for arg in get_args(t) if arg is not type(None)]
        if len(present) == 1:  # `X | None`: pydantic's loc names no branch, it goes on inside X
            return _step(present[0], part)
        return None, False
    if isinstance(t, type) and issubclass(t, BaseModel):
        f = t.model_fields.get(part) if isinstance(part, str) else None
        return (f.annotation if f else None), True
    if origin is dict:
        return get_args(t)[1], True
    if origin in (list, tuple):
        args = get_args(t)
        if origin is tuple and args and args[-1] is not Ellipsis and isinstance(part, int) and part < len(args):
            return args[part], True
        return (args[0] if args else None), True
    return None, True


def _walk(root: type, loc: tuple) -> tuple[tuple, Any]:
    """Data path (union tags removed) and the type found at the end of `loc`."""
    t: Any = root
    path: list = []
    for part in loc:
        if t is None:
            path.append(part)
            continue
        t, consumed = _step(t, part)
        if consumed:
            path.append(part)
    return tuple(path), t


def _model_fields_at(root: type, loc: tuple) -> list[str]:
    _, t = _walk(root, loc)
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return list(t.model_fields)
    return []


def _describe(error: Any, root: type) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        key = loc[-1]
        allowed = _model_fields_at(root, loc[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'{hint} (allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return (
            f"unknown widget '{ctx.get('tag')}'; expected one of: {ctx.get('expected_tags', '').replace(chr(39), '')}"
        )
    if kind == "union_tag_not_found":
        return "missing required key 'widget' (which widget this zone shows)"
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    else:
        got = error.get("input")
        if isinstance(got, (str, int, float, bool)) or got is None:
            shown = repr(got) if len(repr(got)) <= 60 else f"{repr(got)[:59]}…"
            msg = f"{msg[0].lower()}{msg[1:]} (got {shown})"
        else:
            msg = f"{msg[0].lower()}{msg[1:]}"
    return msg


def _validation_problems(exc: ValidationError, root: type, doc: SourceDoc, prefix: tuple = ()) -> list[Problem]:
    problems = []
    seen = set()
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path, _ = _walk(root, loc)
        # an unknown key is reported where the key is; a missing one at its parent mapping
        if error["type"] == "extra_forbidden":
            mark = doc.mark_for(prefix + path, prefer_key=True)
        elif error["type"] == "union_tag_invalid":
            # at the misspelt name (`widget: clok`), not at the first key of its mapping
            mark = doc.mark_for(prefix + path + ("widget",))
        else:
            mark = doc.mark_for(prefix + path)
        dotted = ".".join(str(p) for p in path)
        text = _describe(error, root)
        message = f"{dotted}: {text}" if dotted else text
        if (mark, message) not in seen:
            seen.add((mark, message))
            problems.append(Problem(mark, message))
    return problems


# ---------------------------------------------------------------- loading


class _Loader:
    def __init__(self, path: Path, layout_dirs: list[Path] | None):
        self.path = path
        self.shown = str(path)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self._warned: set[tuple[Mark, str]] = set()
        self.at: tuple[SourceDoc | None, tuple] = (None, ())  # what is being checked (for an unforeseen error)
        self.docs: dict[str, SourceDoc] = {}
        base = path.resolve().parent
        self.layout_dirs = layout_dirs or [base / "layouts", base.parent / "layouts", LAYOUTS]
        self._layouts: dict[str, tuple[LayoutConfig, SourceDoc, tuple] | None] = {}

    def error(self, mark: Mark, message: str) -> None:
        self.errors.append(Problem(mark, message))

    def warn(self, mark: Mark, message: str) -> None:
        self.warnings.append(Problem(mark, message, "warning"))
        self._warned.add((mark, message))

    def warn_once(self, mark: Mark, message: str) -> None:
        if (mark, message) not in self._warned:
            self.warn(mark, message)

    def unforeseen(self, exc: Exception) -> ConfigError:
        """An exception no check foresaw, as a config error at the part being checked: `wallctl
        check` says where to look (and that it is a bug of wall's), never "internal error"."""
        doc, path = self.at
        mark = doc.mark_for(path) if doc is not None else Mark(self.shown, 1, 1)
        dotted = ".".join(str(p) for p in path)
        what = f"{type(exc).__name__}: {exc}"
        if len(what) > 160:
            what = what[:159] + "…"
        message = (
            f"{dotted + ': ' if dotted else ''}this could not be checked ({what}); look for an unusual value "
            "here, and please report it: wall should have said what is wrong"
        )
        return ConfigError(self.errors + [Problem(mark, message)])

    # -- layouts

    def _find_layout_file(self, name: str) -> Path | None:
        for d in self.layout_dirs:
            for ext in (".yaml", ".yml"):
                candidate = d / f"{name}{ext}"
                if candidate.is_file():
                    return candidate
        return None

    def named_layout(self, name: str, where: Mark) -> tuple[LayoutConfig, SourceDoc, tuple] | None:
        if name in self._layouts:
            return self._layouts[name]
        found = self._find_layout_file(name)
        result = None
        if found is None:
            known = sorted({p.stem for d in self.layout_dirs if d.is_dir() for p in d.glob("*.y*ml")})
            self.error(
                where,
                f"layout '{name}' not found in {', '.join(str(d) for d in self.layout_dirs)}; "
                f"available: {', '.join(known) or 'none'} (or write the layout inline as a mapping)",
            )
        else:
            shown = _display_path(found)
            try:
                doc = load_yaml_file(found, shown)
                self.docs[shown] = doc
                result = (LayoutConfig.model_validate(doc.data), doc, ())
            except ConfigError as exc:
                self.errors.extend(exc.problems)
            except ValidationError as exc:
                self.errors.extend(_validation_problems(exc, LayoutConfig, doc))
        self._layouts[name] = result
        return result

    # -- geometry

    def wall(self, cfg: WallConfig, doc: SourceDoc) -> Wall | None:
        displays = cfg.displays
        self.at = (doc, ("displays",))
        try:
            return wall_of(displays)
        except GeometryError as exc:
            at: tuple = ("displays", "grid") if isinstance(displays, GridDisplays) else ("displays",)
            if exc.display is not None and not isinstance(displays, GridDisplays):
                at = ("displays", exc.display)
            self.error(doc.mark_for(at), str(exc))
            return None

    # -- machines

    def nodes(self, cfg: WallConfig, doc: SourceDoc, wall: Wall) -> None:
        """Every display a node names exists and is driven by one node only."""
        known = [d.id for d in wall.displays]
        owner: dict[str, str] = {}
        for name, node in cfg.nodes.items():
            self.at = (doc, ("nodes", name))
            for i, display in enumerate(node.displays):
                at = doc.mark_for(("nodes", name, "displays", i))
                if display not in known:
                    close = difflib.get_close_matches(display, known, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    listed = ", ".join(known)
                    self.error(at, f"node '{name}' names display '{display}', which the wall lacks{hint} ({listed})")
                elif display in owner:
                    other = owner[display]
                    self.error(at, f"display '{display}' is driven by node '{other}' already; name it under one node")
                else:
                    owner[display] = name

    # -- scenarios

    def scenario(
        self, name: str, sc: ScenarioConfig, cfg: WallConfig, doc: SourceDoc, wall: Wall
    ) -> ScenarioPlan | None:
        base: tuple[str | int, ...] = ("scenarios", name)
        self.at = (doc, base)
        ref_path: tuple[str | int, ...]
        if sc.layout is not None:
            layout_ref, ref_path = sc.layout, base + ("layout",)
        else:
            layout_ref, ref_path = cfg.layout, ("layout",)
        if isinstance(layout_ref, str):
            found = self.named_layout(layout_ref, doc.mark_for(ref_path))
            self.at = (doc, base)
            if found is None:
                return None
            layout_cfg, layout_doc, prefix = found
            layout_name = layout_ref
        else:
            layout_cfg, layout_doc, prefix = layout_ref, doc, ref_path
            layout_name = f"{'.'.join(map(str, ref_path))} (inline)"
        resolved = resolve_layout(layout_cfg.spec(), wall)
        for f in resolved.findings:
            mark = layout_doc.mark_for(prefix + tuple(f.path))
            if f.severity == "error":
                self.error(mark, f.message)
            else:
                self.warn_once(mark, f.message)

        zone_ids = set(layout_cfg.zones)
        ok = True
        for zone_id, binding in sc.zones.items():
            zpath = base + ("zones", zone_id)
            if zone_id not in zone_ids:
                close = difflib.get_close_matches(zone_id, sorted(zone_ids), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.error(
                    doc.mark_for(zpath, prefer_key=True),
                    f"scenario '{name}' binds zone '{zone_id}', which layout {layout_name} does not have{hint} "
                    f"(zones: {', '.join(sorted(zone_ids))})",
                )
                ok = False
                continue
            items = binding_items(binding)
            for i, item in enumerate(items):
                where: tuple[str | int, ...] = ("playlist", i) if len(items) > 1 or item is not binding else ()
                ipath = zpath + where
                if item.feed is not None and item.feed not in cfg.feeds:
                    self.error(
                        doc.mark_for(ipath + ("feed",)),
                        f"feed '{item.feed}' is not declared under feeds: (declared: {', '.join(cfg.feeds) or 'none'})",
                    )
                    ok = False
            for item in items:
                self._bezel_warning(doc, zpath, zone_id, item, resolved, wall, layout_cfg)
        for zone_id in layout_cfg.zones:
            if zone_id not in sc.zones:
                self.warn(
                    doc.mark_for(base + ("zones",), prefer_key=True),
                    f"scenario '{name}' leaves zone '{zone_id}' empty; it will show the theme background",
                )
        if not ok:
            return None
        theme = cfg.theme.overlaid(sc.theme) if sc.theme is not None else cfg.theme
        moderation = sc.moderation or ("approve-first" if sc.public_facing else "blocklist")
        if sc.public_facing and moderation == "open":
            self.warn(
                doc.mark_for(base + ("moderation",)),
                f"scenario '{name}' faces visitors but shows posts unmoderated (moderation: open); "
                "use approve-first or blocklist unless every source is trusted",
            )
        return ScenarioPlan(
            name, layout_name, resolved, dict(sc.zones), theme, transition=sc.transition, moderation=moderation
        )

    def _bezel_warning(self, doc, zpath, zone_id: str, item, resolved, wall: Wall, layout_cfg) -> None:
        module = widget(item.widget)
        # tickers and banners run across displays by design (compensated, like a line through a window frame)
        if module.TEXT_BEARING and not getattr(module, "SPANS_BEZELS", False) and zone_id in resolved.ids:
            displays, hidden = bezel_crossings(resolved.zone(zone_id), wall)
            if hidden > 0 and len(displays) > 1:
                message = (
                    f"zone '{zone_id}' shows {item.widget} across {len(displays)} displays "
                    f"({', '.join(displays)}): {hidden} px of it sit behind bezels and text there is cut; "
                    + (
                        "keep text zones within one display"
                        if _snapped(layout_cfg, zone_id)
                        else "keep text zones within one display, or add `snap: bezels` to the zone"
                    )
                )
                self.warn_once(doc.mark_for(zpath), message)

    def feeds(self, cfg: WallConfig, doc: SourceDoc) -> None:
        from feeds.registry import adapter_names

        known = adapter_names()
        from feeds.registry import is_polled

        for feed_id, fc in cfg.feeds.items():
            self.at = (doc, ("feeds", feed_id))
            if fc.adapter not in known:
                close = difflib.get_close_matches(fc.adapter, known, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.error(
                    doc.mark_for(("feeds", feed_id, "adapter")),
                    f"no feed adapter named '{fc.adapter}'{hint} (available: {', '.join(known)})",
                )
                continue
            if is_polled(fc.adapter):
                from feeds.poller import adapter_module

                module = adapter_module(fc.adapter)
                at = ("feeds", feed_id, "options")
                try:
                    options = module.Options.model_validate(fc.options)
                except ValidationError as exc:
                    self.errors.extend(_validation_problems(exc, module.Options, doc, at))
                except Exception as exc:  # an adapter's check that did not foresee a value
                    self.error(doc.mark_for(at), f"feed '{feed_id}': these options cannot be used ({exc})")
                else:
                    for path in _non_finite(options.model_dump()):
                        self.error(
                            doc.mark_for(at + path),
                            f"{'.'.join(map(str, at + path))}: not a finite number; give a number",
                        )
                for name in getattr(module, "CREDENTIALS", ()):
                    if name not in fc.credentials:
                        self.error(
                            doc.mark_for(("feeds", feed_id)),
                            f"feed '{feed_id}' ({fc.adapter}) needs credentials: {{{name}: ${{SOME_ENV_VAR}}}}",
                        )
            elif fc.adapter == "aggregate":
                members = fc.options.get("feeds")
                extra = sorted(set(fc.options) - {"feeds"})
                if extra:
                    self.error(
                        doc.mark_for(("feeds", feed_id, "options", extra[0]), prefer_key=True),
                        f"unknown key '{extra[0]}' (an aggregate takes only feeds: [id, ...])",
                    )
                if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
                    self.error(
                        doc.mark_for(("feeds", feed_id, "options")),
                        "an aggregate needs options: {feeds: [feed id, ...]} naming at least one feed",
                    )
                    continue
                for i, m in enumerate(members):
                    if m not in cfg.feeds or cfg.feeds[m].adapter == "aggregate":
                        self.error(
                            doc.mark_for(("feeds", feed_id, "options", "feeds", i)),
                            f"'{m}' is not a feed this aggregate can merge (declared feeds that are not "
                            f"aggregates: {', '.join(f for f, c in cfg.feeds.items() if c.adapter != 'aggregate')})",
                        )
            elif fc.options:
                self.error(doc.mark_for(("feeds", feed_id, "options")), f"the {fc.adapter} adapter takes no options")
            for key, ref in fc.credentials.items():
                if resolve_env_ref(ref) is None:
                    self.warn(
                        doc.mark_for(("feeds", feed_id, "credentials", key)),
                        f"feed '{feed_id}' reads {key} from ${{{env_var_name(ref)}}}, which is not set here; "
                        "the feed will report a 'credentials' error until it is",
                    )

    def themes(self, cfg: WallConfig, doc: SourceDoc) -> None:
        from ..contrast import contrast, theme_failures

        places: list[tuple[tuple, ThemeConfig]] = [(("theme",), cfg.theme)]
        places += [
            (("scenarios", n, "theme"), cfg.theme.overlaid(sc.theme))
            for n, sc in cfg.scenarios.items()
            if sc.theme is not None
        ]
        for path, theme in places:
            self.at = (doc, path)
            for fg, bg, ratio, need, use in theme_failures(theme):
                at = path + (fg,) if doc.has(path + (fg,)) else path
                self.error(
                    doc.mark_for(at),
                    f"theme colour {fg} {getattr(theme, fg)} on {bg} {getattr(theme, bg)} has a contrast of "
                    f"{ratio:.2f}:1, under the {need:g}:1 WCAG AA asks for {use}; darken or lighten one of them",
                )
        for name, sc in cfg.scenarios.items():
            self.at = (doc, ("scenarios", name))
            theme = cfg.theme.overlaid(sc.theme) if sc.theme is not None else cfg.theme
            for zone_id, b in ((z, item) for z, zb in sc.zones.items() for item in binding_items(zb)):
                given_fg = getattr(b, "color", None)
                given_bg = getattr(b, "background", None)
                if given_fg is None and given_bg is None:
                    continue
                fg, bg = given_fg or theme.text, given_bg or theme.surface
                ratio = contrast(fg, bg)
                if ratio < 4.5:
                    self.warn(
                        doc.mark_for(("scenarios", name, "zones", zone_id)),
                        f"zone '{zone_id}' draws {fg} on {bg}: contrast {ratio:.2f}:1, under WCAG AA's 4.5:1",
                    )

    def gauge_scales(self, cfg: WallConfig, doc: SourceDoc) -> None:
        """One figure, one scale: gauges of the same feed's metric whose `min`/`max` differ between
        zones would show it on two scales, so a visitor reads one wall two ways (the scale derived
        from the data is the same wherever the figure is shown; only options can differ)."""
        seen: dict[tuple[str | None, str], tuple[str, str, tuple[float | None, float | None]]] = {}

        def said(ends: tuple[float | None, float | None]) -> str:
            lo, hi = ("derived" if v is None else f"{v:g}" for v in ends)
            return f"min {lo}, max {hi}"

        for name, sc in cfg.scenarios.items():
            for zone_id, b in ((z, item) for z, zb in sc.zones.items() for item in binding_items(zb)):
                if getattr(b, "widget", None) != "gauge":
                    continue
                ends = (b.min, b.max)
                first = seen.setdefault((b.feed, b.metric), (name, zone_id, ends))
                if first[2] != ends:
                    self.warn_once(
                        doc.mark_for(("scenarios", name, "zones", zone_id)),
                        f"zone '{zone_id}' of scenario '{name}' shows '{b.metric}' on {said(ends)}, zone "
                        f"'{first[1]}' of scenario '{first[0]}' on {said(first[2])}: give every gauge of "
                        "one figure the same min and max (or none) so it reads on one scale",
                    )

    def load(self) -> LoadedConfig:
        doc = load_yaml_file(self.path, self.shown)
        self.docs[self.shown] = doc
        self.at = (doc, ())
        if not isinstance(doc.data, dict):
            raise ConfigError([Problem(doc.mark_for(()), "expected a mapping of wall settings at the top level")])
        try:
            cfg = WallConfig.model_validate(doc.data)
        except ValidationError as exc:
            raise ConfigError(_validation_problems(exc, WallConfig, doc)) from None

        wall = self.wall(cfg, doc)
        self.feeds(cfg, doc)
        self.themes(cfg, doc)
        self.gauge_scales(cfg, doc)
        plans: dict[str, ScenarioPlan] = {}
        if wall is not None:
            for name, sc in cfg.scenarios.items():
                plan = self.scenario(name, sc, cfg, doc, wall)
                if plan is not None:
                    plans[name] = plan
        if wall is not None:
            self.nodes(cfg, doc, wall)
        default = cfg.default_scenario or next(iter(cfg.scenarios))
        if default not in cfg.scenarios:
            self.error(
                doc.mark_for(("default_scenario",)),
                f"default_scenario '{default}' is not a scenario (scenarios: {', '.join(cfg.scenarios)})",
            )
        fallback = cfg.moderation.fallback_scenario
        if fallback is not None and fallback not in cfg.scenarios:
            self.error(
                doc.mark_for(("moderation", "fallback_scenario")),
                f"fallback_scenario '{fallback}' is not a scenario (scenarios: {', '.join(cfg.scenarios)}); "
                "name the scenario the kill switch should show",
            )
        if self.errors:
            raise ConfigError(self.errors)
        assert wall is not None
        return LoadedConfig(self.path, cfg, wall, plans, default, self.warnings, self.docs)


def _snapped(layout: LayoutConfig, zone_id: str) -> bool:
    return layout.zones[zone_id].snap == "bezels"


def bezel_edges(spec: float | BezelMm) -> Bezels:
    """A panel's `bezel_mm` (one number, or one per edge) as its four edges."""
    if isinstance(spec, BezelMm):
        return Bezels(spec.top, spec.right, spec.bottom, spec.left)
    return Bezels(spec, spec, spec, spec)


def wall_of(displays: GridDisplays | list[DisplayConfig]) -> Wall:
    """The physical wall a config's `displays:` describes; GeometryError when it cannot be built
    (the loader turns it into a file:line:col error; calibrate refuses the key that caused it)."""
    if isinstance(displays, GridDisplays):
        g, p = displays.grid, displays.grid.panel
        gap = g.gap_mm if isinstance(g.gap_mm, tuple) else (g.gap_mm, g.gap_mm)
        size = active_size_mm(p.resolution, p.active_mm, p.diagonal_in, p.aspect)
        specs = expand_grid(g.cols, g.rows, p.resolution, size, bezel_edges(p.bezel_mm), gap, g.rotation, g.outputs)
        return build_wall(specs, grid=(g.cols, g.rows))
    return build_wall(
        DisplaySpec(
            d.id,
            d.resolution,
            active_size_mm(d.resolution, d.active_mm, d.diagonal_in, d.aspect),
            bezel_edges(d.bezel_mm),
            d.position_mm,
            d.rotation,
            d.output,
        )
        for d in displays
    )


def _display_path(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _non_finite(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of the numbers in `value` (dicts, lists, numbers) that are infinite or not a number."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _non_finite(v, path + (i,))]
    return []


def load_config(path: str | Path, layout_dirs: list[Path] | None = None) -> LoadedConfig:
    """Load and check a wall config. Raises ConfigError listing every problem found, and nothing
    else: whatever a file holds, the answer is a config or the places where it is wrong (an
    exception no check foresaw becomes an error at the part being checked)."""
    loader = _Loader(Path(path), layout_dirs)
    try:
        return loader.load()
    except ConfigError:
        raise
    except Exception as exc:
        raise loader.unforeseen(exc) from exc
