"""The widgets wall knows: their options models and builders (wall/widgets/<name>.py). The names are
the painters' registry's (wall/painters/registry.py), where a new widget is added."""

from __future__ import annotations

import importlib
from functools import cache

from ..painters.registry import INTERNAL, WIDGETS
from ..painters.registry import scrolls as scrolls  # the engine and `wallctl check` ask here
from .base import WidgetModule


def _load(names: tuple[str, ...]) -> dict[str, WidgetModule]:
    found = {}
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        assert module.NAME == name, f"{module.__name__}.NAME is {module.NAME!r}"
        found[name] = module
    return found


@cache
def widgets() -> dict[str, WidgetModule]:
    return _load(WIDGETS)


@cache
def _internal() -> dict[str, WidgetModule]:
    return _load(INTERNAL)


def widget(name: str) -> WidgetModule:
    return _internal()[name] if name in INTERNAL else widgets()[name]


def binding_models() -> list[type]:
    return [m.Options for m in widgets().values()]
