"""Is the text on the wall big enough to read from where the room's viewers stand?

Rule: a character's cap height must subtend at least 16 minutes of arc at the viewing distance.
That is the minimum character height of ISO 9241-303 (ergonomics of displays; 20-22 arcmin is its
preferred range), also used by the US FAA's human-factors standard for displays read at a
distance. Cap height h >= 2 d tan(16'/2); at 4 m that is 18.6 mm, i.e. 30 px on a 55-inch 1080p
panel (0.63 mm pitch), a font size of about 41 px in Noto Sans (cap height 0.714 em).

The check paints each text-bearing zone once, in this process, with the demo or current data, and
records the font size of every piece of text the painter lays out.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from .config.errors import Problem
from .config.loader import LoadedConfig
from .config.schema import binding_items
from .paint.text import record_text_sizes
from .render.engine import zone_contexts
from .store import Store
from .widgets.registry import widget

MIN_ARCMIN = 16.0
CAP_HEIGHT_EM = 0.714  # Noto Sans: capHeight 714 / unitsPerEm 1000


def min_cap_height_mm(distance_m: float) -> float:
    return 2 * distance_m * 1000 * math.tan(math.radians(MIN_ARCMIN / 60 / 2))


def min_font_px(distance_m: float, pitch_mm: float) -> float:
    """The smallest font size (px) whose cap height meets the rule on a panel of this pitch."""
    return min_cap_height_mm(distance_m) / (CAP_HEIGHT_EM * pitch_mm)


def check_legibility(loaded: LoadedConfig, t: datetime) -> list[Problem]:
    need = min_cap_height_mm(loaded.config.viewing_distance_m)
    pitch = loaded.wall.pitch_y
    store = Store.from_config(loaded.config)
    doc = loaded.docs[str(loaded.path)]
    problems = []
    for name, plan in loaded.scenarios.items():
        contexts = zone_contexts(plan, loaded.wall, loaded.config.viewing_distance_m)
        # every widget a zone may show: its one, or each item of its playlist
        shown = [(zone_id, ctx, b) for zone_id, ctx in contexts.items() for b in binding_items(plan.bindings[zone_id])]
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
            cap_mm = size * CAP_HEIGHT_EM * pitch
            if cap_mm + 1e-6 < need:
                sample = text if len(text) <= 30 else text[:29] + "…"
                problems.append(
                    Problem(
                        doc.mark_for(("scenarios", name, "zones", zone_id)),
                        f"scenario '{name}', zone '{zone_id}' ({binding.widget}): text such as '{sample}' has a cap "
                        f"height of {cap_mm:.1f} mm ({size:g} px); read from {loaded.config.viewing_distance_m:g} m "
                        f"it needs {need:.1f} mm (16 arcmin, ISO 9241-303): give the zone more room or show less",
                        "warning",
                    )
                )
    return problems
