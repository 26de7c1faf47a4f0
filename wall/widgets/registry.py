"""The widgets wall knows. Adding a widget: write its module, then add it to `_MODULES`."""

from __future__ import annotations

import importlib
from functools import cache

from .base import WidgetModule

_MODULES = (
    "text",
    "clock",
    "testpattern",
    "kpi",
    "gauge",
    "sentiment",
    "topics",
    "map",
    "ticker",
    "alert",
    "timeline",
    "top_posts",
    "influencers",
    "image",
    "holding",
)
# drawn by wallctl's own tools (identify), never chosen in a scenario: widget() finds them, but
# widgets() and so the config's schema do not list them
_INTERNAL = ("identify",)


def _load(names: tuple[str, ...]) -> dict[str, WidgetModule]:
    found = {}
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        assert module.NAME == name, f"{module.__name__}.NAME is {module.NAME!r}"
        found[name] = module
    return found


@cache
def widgets() -> dict[str, WidgetModule]:
    return _load(_MODULES)


@cache
def _internal() -> dict[str, WidgetModule]:
    return _load(_INTERNAL)


def widget(name: str) -> WidgetModule:
    return _internal()[name] if name in _INTERNAL else widgets()[name]


def binding_models() -> list[type]:
    return [m.Options for m in widgets().values()]


def scrolls(name: str) -> bool:
    """Whether a widget paints a strip wider than its zone, moved each frame by its `scroll()`
    (the ticker): the paint pool and the compositor accept such pixels for it alone."""
    return hasattr(widgets().get(name), "scroll")
