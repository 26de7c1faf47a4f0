"""Zones of a shipped config as the wall builds them: each zone's BuildContext (its pixel size,
physical pitch, the room's legibility floor, theme) with the demo data, for in-process paints."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from wall.config.loader import LoadedConfig, load_config
from wall.config.schema import binding_items
from wall.scenes.views import zone_contexts
from wall.store import Store
from wall.widgets.base import BuildContext

REPO = Path(__file__).parent.parent


def load(config: str) -> LoadedConfig:
    return load_config(REPO / config)


def zones(loaded: LoadedConfig, scenario: str, t: datetime) -> list[tuple[str, BuildContext, object]]:
    """(zone id, context with the store's data at t, binding) for every widget the scenario shows."""
    store = Store.from_config(loaded.config)
    plan = loaded.scenarios[scenario]
    contexts = zone_contexts(plan, loaded.wall, loaded.config.viewing_distance_m)
    return [
        (zid, dataclasses.replace(ctx, time=t, data=store.snapshot(b.feed, t) if b.feed else None), b)
        for zid, ctx in contexts.items()
        for b in binding_items(plan.bindings[zid])
    ]
