"""What `wallctl check` verifies beyond loading a config: that the text on the wall is legible.

The config loader already refuses what cannot run (file:line:col errors) and warns about layout
and contrast. This check needs more than the config: it paints each text-bearing zone once, in
this process, with the demo or current data, and records the font size of every piece of text
the painter lays out, against the legibility rule of wall/geometry.py (16 minutes of arc from the
room's viewing distance, ISO 9241-303). Widgets plan for that size themselves (they show fewer
items rather than shrink text); this catches what still falls below it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from .config.errors import Problem
from .config.loader import LoadedConfig
from .config.schema import binding_items
from .geometry import cap_height_mm, min_cap_height_mm
from .paint.text import record_text_sizes
from .scenes.views import zone_contexts
from .store import Store
from .widgets.registry import widget

SAMPLE_CHARS = 30  # how much of the offending text a warning quotes


def check_legibility(loaded: LoadedConfig, t: datetime) -> list[Problem]:
    """A warning for every zone (and playlist item) whose smallest text is too small to read."""
    need = min_cap_height_mm(loaded.config.viewing_distance_m)
    pitch = loaded.wall.pitch_y
    store = Store.from_config(loaded.config)
    doc = loaded.docs[str(loaded.path)]
    problems = []
    try:
        for name, plan in loaded.scenarios.items():
            contexts = zone_contexts(plan, loaded.wall, loaded.config.viewing_distance_m)
            # every widget a zone may show: its one, or each item of its playlist
            shown = [
                (zone_id, ctx, b) for zone_id, ctx in contexts.items() for b in binding_items(plan.bindings[zone_id])
            ]
            for zone_id, ctx, binding in shown:
                module = widget(binding.widget)
                if not module.TEXT_BEARING:
                    continue
                ctx = dataclasses.replace(ctx, time=t, data=store.snapshot(binding.feed, t))
                try:
                    view = module.build(binding, ctx)
                    with record_text_sizes() as sizes:
                        module.paint(view, ctx.width, ctx.height)
                except Exception:
                    continue  # a failing widget is the renderer's concern; it shows an error card
                if not sizes:
                    continue
                size, text = min(sizes)
                cap_mm = cap_height_mm(size, pitch)
                if cap_mm + 1e-6 < need:
                    sample = text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"
                    problems.append(
                        Problem(
                            doc.mark_for(("scenarios", name, "zones", zone_id)),
                            f"scenario '{name}', zone '{zone_id}' ({binding.widget}): text such as '{sample}' has a "
                            f"cap height of {cap_mm:.1f} mm ({size:g} px); read from "
                            f"{loaded.config.viewing_distance_m:g} m it needs {need:.1f} mm (16 arcmin, "
                            "ISO 9241-303): give the zone more room or show less",
                            "warning",
                        )
                    )
    finally:
        store.close()
    return problems
