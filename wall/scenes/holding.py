"""The kill switch's built-in holding screen, for walls whose config names no `fallback_scenario`.

One zone per display, each showing the holding card (wall/widgets/holding.py: the theme's logo,
the time and the date), so the screen is designed on every panel and no line of it ever meets a
bezel, whatever the wall's shape: a kiosk gets one card, a 3x2 wall six. The clock reads the
room's time zone: the schedule's, else that of the default scenario's first clock, else the
machine's.

Its name is not a scenario's (a scenario id cannot hold a colon), so an operator's scenario list
never offers it and a config's own `holding` scenario never clashes with it.
"""

from __future__ import annotations

from ..config.loader import LoadedConfig, ScenarioPlan
from ..geometry import Rect
from ..layout import ResolvedLayout, Zone
from ..widgets.registry import widget

HOLDING = "kill-switch:holding"


def holding_plan(loaded: LoadedConfig) -> ScenarioPlan:
    """The holding screen of this wall (a new plan each call: callers keep the one they show)."""
    options = widget("holding").Options.model_validate({"widget": "holding", "clock": True, "tz": _room_zone(loaded)})
    zones, bindings = [], {}
    for i, d in enumerate(loaded.wall.displays):
        vp = d.viewport
        zone_id = f"holding-{d.id}"
        zones.append(Zone(zone_id, Rect(vp.x, vp.y, vp.w, vp.h), i))
        bindings[zone_id] = options
    return ScenarioPlan(HOLDING, "holding", ResolvedLayout(tuple(zones), ()), bindings, loaded.config.theme)


def _room_zone(loaded: LoadedConfig) -> str:
    """The time zone the room lives in: its schedule's, else that of the default scenario's first
    clock (a kiosk without a schedule), else the machine's."""
    schedule = loaded.config.schedule
    if schedule is not None and schedule.timezone:
        return str(schedule.timezone)
    default = loaded.scenarios.get(loaded.default_scenario)
    for binding in default.bindings.values() if default is not None else ():
        for zone in getattr(binding, "zones", None) or ():
            tz = getattr(zone, "tz", None)
            if getattr(binding, "widget", None) == "clock" and isinstance(tz, str):
                return tz
    return "local"


def plan_named(loaded: LoadedConfig, name: str) -> ScenarioPlan:
    """A config's scenario by name, or the holding screen. KeyError: neither."""
    return holding_plan(loaded) if name == HOLDING else loaded.scenarios[name]
