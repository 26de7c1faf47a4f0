"""`wallctl identify` and `wallctl calibrate`: the installer's two tools.

identify: every display shows its id, native resolution and video output in huge type, so whoever
stands in front of the wall sees which configured display each panel is (and which `outputs:` entries
are swapped).
calibrate: the bezel test pattern, live. The arrow keys change the bezel figures, the wall geometry is
rebuilt and the pattern redrawn, until the 45° lines run straight across every mullion; Enter prints
the YAML that keeps those figures. Datasheet bezels are often a few tenths of a millimetre off, and
a wrong figure shows as a step in every line crossing a bezel.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .config.loader import LoadedConfig, ScenarioPlan, bezel_edges, wall_of
from .config.schema import BezelMm, DisplayConfig, GridDisplays
from .geometry import (
    Bezels,
    GeometryError,
    Wall,
)
from .layout import ResolvedLayout, Zone
from .widgets import identify

# keys that end identify; calibrate accepts with Enter and leaves with Escape or q
STOP_KEYS = ("escape", "q", "enter")
ACCEPT_KEYS = ("enter",)
CANCEL_KEYS = ("escape", "q")
COARSE_MM = 1.0
# key -> (which bezel, direction); shift+key moves by COARSE_MM
ARROWS = {"right": ("horizontal", 1), "left": ("horizontal", -1), "up": ("vertical", 1), "down": ("vertical", -1)}


def _now(loop):
    return loop.clock.wall_time(loop.clock.monotonic())


# ---------------------------------------------------------------- identify


def output_names(backend, wall: Wall) -> dict[str, str]:
    """What each display is shown on: the system's output name, 'headless', or the config's
    `output:` when the backend does not say."""
    states = {s.display_id: s for s in backend.displays()}
    names = {}
    for d in wall.displays:
        s = states.get(d.id)
        if s is not None and s.screen:
            names[d.id] = f"output {s.screen}"
        elif backend.name == "headless" or (s is not None and s.state == "headless"):
            names[d.id] = "headless"
        elif d.output is not None:
            names[d.id] = f"output {d.output} (configured)"
        else:
            names[d.id] = "output unknown" if s is None else s.state
    return names


def colours(wall: Wall) -> dict[str, str]:
    """A background per display: all different while the palette lasts, else different from every
    display within 100 mm (its neighbours)."""
    palette = identify.PALETTE
    if len(wall.displays) <= len(palette):
        return {d.id: palette[i] for i, d in enumerate(wall.displays)}
    chosen: dict[str, str] = {}
    for d in wall.displays:
        near = {chosen[e.id] for e in wall.displays if e.id in chosen and _near(d, e, 100.0)}
        chosen[d.id] = next((c for c in palette if c not in near), palette[d.index % len(palette)])
    return chosen


def _near(a, b, mm: float) -> bool:
    return (a.mm.x - mm < b.mm.x1 and b.mm.x - mm < a.mm.x1) and (a.mm.y - mm < b.mm.y1 and b.mm.y - mm < a.mm.y1)


def resolution_text(d) -> str:
    w, h = d.resolution
    return f"{w} x {h}" + (f" · rotated {d.rotation}°" if d.rotation else "")


def identify_plan(loaded: LoadedConfig, outputs: dict[str, str]) -> ScenarioPlan:
    """One zone per display viewport, each showing that display's identity card. Zones are canvas
    rectangles, so a rotated panel's card is upright on the wall."""
    wall = loaded.wall
    fills = colours(wall)
    zones = tuple(Zone(d.id, d.viewport, 0) for d in wall.displays)
    bindings = {
        d.id: identify.Options(
            widget="identify", display=d.id, lines=(resolution_text(d), outputs[d.id]), background=fills[d.id]
        )
        for d in wall.displays
    }
    return ScenarioPlan("identify", "identify", ResolvedLayout(zones, ()), bindings, loaded.config.theme)


def run_identify(rt, duration: float | None, out: Path | None, err: TextIO = sys.stderr) -> list[Path]:
    """Show the identity cards until a stop key, the window closing, or `duration` s; headless: write
    them to `out` at once. Returns the files written."""
    outputs = output_names(rt.backend, rt.loaded.wall)
    plan = identify_plan(rt.loaded, outputs)
    rt.loaded.scenarios[plan.name] = plan
    rt.use_scenario(plan.name)
    for d in rt.loaded.wall.displays:
        print(f"{d.id}: {resolution_text(d)}, {outputs[d.id]}")
    loop = rt.loop()
    loop.stop_on_signals()
    if rt.backend.name != "headless":
        rt.settle(_now(loop))
        print(
            f"identify: showing each display's id; Escape, q or Enter stops"
            f"{f' (or after {duration:g} s)' if duration else ''}",
            file=err,
            flush=True,
        )

        def after(n: int, work: float) -> None:
            if rt.backend.closed or any(k in STOP_KEYS for k in rt.keys):
                loop.stop()
            rt.keys.clear()

        loop.run(rt.frame, duration=duration, after_frame=after)
    return rt.snapshot(_now(loop), out) if out is not None else []


# ---------------------------------------------------------------- calibrate


class BezelRefused(ValueError):
    """A bezel change that cannot be: the old figures stay."""


def _widened(native: Bezels, rotation: int, dh: float, dv: float) -> Bezels:
    """Native-orientation bezels with `dh` added to the mounted left+right and `dv` to the mounted
    top+bottom, half on each edge (a panel turned 90° has its native top and bottom at the sides)."""
    if rotation in (90, 270):
        dh, dv = dv, dh
    return Bezels(native.top + dv / 2, native.right + dh / 2, native.bottom + dv / 2, native.left + dh / 2)


def _seams_before(values: list[tuple[float, float]], start: float) -> int:
    """How many columns (or rows) of panels lie wholly before `start`: distinct starts, within 1 mm,
    of the (start, end) spans ending at or before it."""
    starts = sorted(s for s, e in values if e <= start + 1.0)
    return sum(1 for i, s in enumerate(starts) if i == 0 or s - starts[i - 1] > 1.0)


def mm_text(v: float) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _signed(v: float) -> str:
    return ("-" if v < 0 else "+") + mm_text(abs(v))


def _bezel_yaml(b: Bezels) -> str:
    return f"{{top: {mm_text(b.top)}, right: {mm_text(b.right)}, bottom: {mm_text(b.bottom)}, left: {mm_text(b.left)}}}"


@dataclass
class BezelCalibration:
    """The bezel figures being tried: the config's, plus `horizontal` mm across every vertical seam
    (the left+right bezel between two panels side by side) and `vertical` mm across every horizontal
    one. A grid changes its panel's bezels; a display list every display's, and the positions of the
    panels beyond each seam, since a list places active areas by position_mm."""

    loaded: LoadedConfig  # as loaded: the figures are relative to its bezels
    horizontal: float = 0.0
    vertical: float = 0.0

    @property
    def grid(self) -> bool:
        return isinstance(self.loaded.config.displays, GridDisplays)

    def displays(self, dh: float, dv: float) -> GridDisplays | list[DisplayConfig]:
        """The config's `displays:` with the bezels changed by (dh, dv); BezelRefused below 0 mm."""
        displays = self.loaded.config.displays
        if isinstance(displays, GridDisplays):
            g = displays.grid
            b = self._checked(_widened(bezel_edges(g.panel.bezel_mm), g.rotation, dh, dv))
            panel = g.panel.model_copy(
                update={"bezel_mm": BezelMm(top=b.top, right=b.right, bottom=b.bottom, left=b.left)}
            )
            return displays.model_copy(update={"grid": g.model_copy(update={"panel": panel})})
        wall = self.loaded.wall
        xs = [(d.mm.x, d.mm.x1) for d in wall.displays]
        ys = [(d.mm.y, d.mm.y1) for d in wall.displays]
        changed = []
        for d in displays:
            b = self._checked(_widened(bezel_edges(d.bezel_mm), d.rotation, dh, dv))
            placed = wall.display(d.id)
            x, y = d.position_mm
            position = (x + dh * _seams_before(xs, placed.mm.x), y + dv * _seams_before(ys, placed.mm.y))
            bezel = BezelMm(top=b.top, right=b.right, bottom=b.bottom, left=b.left)
            changed.append(d.model_copy(update={"bezel_mm": bezel, "position_mm": position}))
        return changed

    @staticmethod
    def _checked(b: Bezels) -> Bezels:
        if min(b.top, b.right, b.bottom, b.left) < -1e-9:
            low = min(b.top, b.right, b.bottom, b.left)
            raise BezelRefused(f"a bezel edge would be {mm_text(low)} mm, and no bezel is below 0 mm")
        return Bezels(*(round(v, 6) for v in (b.top, b.right, b.bottom, b.left)))

    def wall(self, dh: float | None = None, dv: float | None = None) -> Wall:
        """The wall as the loader builds it, with these bezels (default: the current figures)."""
        displays = self.displays(self.horizontal if dh is None else dh, self.vertical if dv is None else dv)
        try:
            return wall_of(displays)
        except GeometryError as exc:
            raise BezelRefused(str(exc)) from None

    def press(self, key: str, step: float) -> Wall | None:
        """Apply one key: the new wall, or None when the key changes nothing. BezelRefused (the
        figures stay) when the change is impossible."""
        if key == "r":
            if self.horizontal == 0 and self.vertical == 0:
                return None
            self.horizontal = self.vertical = 0.0
            return self.wall()
        coarse = key.startswith("shift+")
        arrow = ARROWS.get(key.removeprefix("shift+"))
        if arrow is None:
            return None
        axis, sign = arrow
        delta = sign * (COARSE_MM if coarse else step)
        dh = round(self.horizontal + (delta if axis == "horizontal" else 0.0), 6)
        dv = round(self.vertical + (delta if axis == "vertical" else 0.0), 6)
        try:
            wall = self.wall(dh, dv)
        except BezelRefused as exc:
            raise BezelRefused(
                f"bezel: refused {_signed(delta)} mm on the {axis} bezel: {exc}; kept {self.figures()}"
            ) from None
        self.horizontal, self.vertical = dh, dv
        return wall

    def figures(self) -> str:
        if self.grid:
            g = self.loaded.config.displays.grid
            b = bezel_edges(self.displays(self.horizontal, self.vertical).grid.panel.bezel_mm).rotated(g.rotation)
            return (
                f"horizontal {mm_text(b.left + b.right)} mm ({mm_text(b.left)} + {mm_text(b.right)}), "
                f"vertical {mm_text(b.top + b.bottom)} mm ({mm_text(b.top)} + {mm_text(b.bottom)})"
            )
        return (
            f"horizontal {_signed(self.horizontal)} mm, vertical {_signed(self.vertical)} mm on every display, "
            "against the config's"
        )

    def status(self) -> str:
        return f"bezel: {self.figures()}"

    def yaml(self, config_name: str) -> str:
        """What to paste into the config to keep the current figures (valid YAML)."""
        displays = self.displays(self.horizontal, self.vertical)
        if isinstance(displays, GridDisplays):
            return (
                f"# wallctl calibrate {config_name}: paste under displays.grid.panel\n"
                f"bezel_mm: {_bezel_yaml(bezel_edges(displays.grid.panel.bezel_mm))}\n"
            )
        head = f"# wallctl calibrate {config_name}: for each display under displays: (by id), replace its"
        lines = [f"{head} bezel_mm and position_mm"]
        for d in displays:
            lines += [
                f"{d.id}:",
                f"  bezel_mm: {_bezel_yaml(bezel_edges(d.bezel_mm))}",
                f"  position_mm: [{mm_text(d.position_mm[0])}, {mm_text(d.position_mm[1])}]",
            ]
        return "\n".join(lines) + "\n"


def calibrate_help(step: float) -> str:
    return (
        f"calibrate: left/right narrow/widen the horizontal bezel, down/up the vertical one, by "
        f"{mm_text(step)} mm (with shift: {mm_text(COARSE_MM)} mm); r resets to the config's; "
        "Enter accepts and prints the YAML; Escape or q leaves"
    )


def run_calibrate(rt, script: list[str], step: float, err: TextIO = sys.stderr) -> tuple[bool | None, BezelCalibration]:
    """Show the bezel pattern and apply keys: `script` first, one per frame, then the keyboard.
    Returns (True: accepted, False: cancelled or the window closed, None: the script ran out on a
    backend without keyboard) and the figures."""
    cal = BezelCalibration(rt.loaded)
    rt.use_pattern("bezel")
    loop = rt.loop()
    loop.stop_on_signals()
    rt.settle(_now(loop))
    print(calibrate_help(step), file=err)
    print(cal.status(), file=err, flush=True)
    if len(rt.loaded.wall.displays) == 1:
        print("calibrate: this wall has one display: no bezel between panels to line up", file=err)
    pending = list(script)
    outcome: list[bool | None] = []
    keyboard = rt.backend.name != "headless"

    def after(n: int, work: float) -> None:
        keys = ([pending.pop(0)] if pending else []) + list(rt.keys)
        rt.keys.clear()
        for key in keys:
            if key in ACCEPT_KEYS or key in CANCEL_KEYS:
                outcome.append(key in ACCEPT_KEYS)
                loop.stop()
                return
            try:
                wall = cal.press(key, step)
            except BezelRefused as exc:
                print(exc, file=err, flush=True)
                continue
            if wall is not None:
                rt.set_wall(wall)
                rt.settle(_now(loop))  # the new lines at once, not a frame of background
                print(cal.status(), file=err, flush=True)
        if rt.backend.closed:
            outcome.append(False)
            loop.stop()
        elif not pending and not keyboard:
            outcome.append(None)
            loop.stop()

    loop.run(rt.frame, after_frame=after)
    return (outcome[0] if outcome else False), cal


def parse_keys(text: str | None) -> list[str]:
    """`--keys "right right shift+up enter"` -> key names; ValueError naming the first unknown one."""
    from .outputs.base import KEYS

    keys = (text or "").replace(",", " ").split()
    for k in keys:
        if k.lower() not in KEYS:
            raise ValueError(f"unknown key '{k}'; keys: {', '.join(KEYS)}")
    return [k.lower() for k in keys]


def step_mm(value: float) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"--step {value:g} must be a positive number of mm, e.g. 0.1")
    return value
