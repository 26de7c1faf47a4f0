"""The painters wall knows, by widget name. Every widget has two modules of the same name:
wall/widgets/<name>.py (its options model and view builder, which the wall process runs) and
wall/painters/<name>.py (its views and painter, which the paint workers run). Adding a widget: write
both, then add its name to `WIDGETS`."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

WIDGETS = (
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
# drawn by wallctl's own tools (identify), never chosen in a scenario: the registries find them, but
# the config's schema does not list them
INTERNAL = ("identify",)


@cache
def painter(name: str) -> ModuleType:
    """The module holding `name`'s views and `paint(view, width, height)`. Raises KeyError for a name
    that is no widget (a view never names a module of its own choosing)."""
    if name not in WIDGETS and name not in INTERNAL:
        raise KeyError(name)
    return importlib.import_module(f"{__package__}.{name}")


def load_all() -> None:
    """Import every painter (and the fonts and tables they load) now, not on the first paint."""
    for name in WIDGETS + INTERNAL:
        painter(name)


def scrolls(name: str) -> bool:
    """Whether a widget paints a strip wider than its zone, moved each frame by its `scroll()`
    (the ticker): the paint pool and the compositor accept such pixels for it alone."""
    return name in WIDGETS and hasattr(painter(name), "scroll")
