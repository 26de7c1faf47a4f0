"""What `wallctl check` verifies beyond loading a config: that the text on the wall is legible.

The config loader already refuses what cannot run (file:line:col errors) and warns about layout
and contrast. This check needs more than the config: it paints each text-bearing zone once, in
this process, with the demo or current data, and records the font size of every piece of text
the painter lays out, against the legibility rule of wall/geometry.py (16 minutes of arc from the
room's viewing distance, ISO 9241-303). Widgets plan for that size themselves (they show fewer
items rather than shrink text); this catches what still falls below it.

`check_text_bezels` paints the zones that span panels the way the wall does (text kept inside
the panels' visible parts, wall/paint/text.py) and warns about every text box that still meets a
bezel: text a painter draws where it cannot be moved, or that fits no single panel whole.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from .config.errors import Problem
from .config.loader import LoadedConfig
from .config.schema import binding_items
from .geometry import Rect, cap_height_mm, min_cap_height_mm
from .paint.text import avoid_bezels, record_text_boxes, record_text_sizes
from .scenes.views import zone_contexts
from .store import Store
from .widgets.registry import scrolls, widget

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
                    # as the wall paints it: text kept off the mullions may be set smaller
                    parts = () if scrolls(binding.widget) else loaded.wall.visible_parts(plan.layout.zone(zone_id).rect)
                    with avoid_bezels(parts), record_text_sizes() as sizes:
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


def check_text_bezels(loaded: LoadedConfig, t: datetime) -> list[Problem]:
    """A warning for every piece of static text that would meet a bezel on the wall. Scrolling
    text (the ticker) is left out: it moves past the mullions by design."""
    wall = loaded.wall
    store = Store.from_config(loaded.config)
    doc = loaded.docs[str(loaded.path)]
    problems = []
    try:
        for name, plan in loaded.scenarios.items():
            contexts = zone_contexts(plan, wall, loaded.config.viewing_distance_m)
            for zone_id, ctx in contexts.items():
                rect = plan.layout.zone(zone_id).rect
                parts = wall.visible_parts(rect)
                if not parts:
                    continue  # wholly on one panel
                for binding in binding_items(plan.bindings[zone_id]):
                    module = widget(binding.widget)
                    if not module.TEXT_BEARING or scrolls(binding.widget):
                        continue
                    ctx = dataclasses.replace(ctx, time=t, data=store.snapshot(binding.feed, t))
                    try:
                        view = module.build(binding, ctx)
                        with avoid_bezels(parts), record_text_boxes() as boxes:
                            module.paint(view, ctx.width, ctx.height)
                    except Exception:
                        continue  # a failing widget is the renderer's concern; it shows an error card
                    for box in boxes:
                        on_canvas = text_box_on_canvas(box.x, box.y, box.w, box.h, rect)
                        if wall.hidden_px(on_canvas) == 0:
                            continue
                        shown = ", ".join(d.id for d in wall.displays_meeting(on_canvas))
                        sample = box.text if len(box.text) <= SAMPLE_CHARS else box.text[: SAMPLE_CHARS - 1] + "…"
                        problems.append(
                            Problem(
                                doc.mark_for(("scenarios", name, "zones", zone_id)),
                                f"scenario '{name}', zone '{zone_id}' ({binding.widget}): the text '{sample}' "
                                f"crosses the bezel between displays {shown} (canvas px "
                                f"x={on_canvas.x}..{on_canvas.x1}, y={on_canvas.y}..{on_canvas.y1}) and is cut "
                                "there: it fits in no one panel; "
                                "keep the zone within one display (`snap: bezels`) or shorten the text",
                                "warning",
                            )
                        )
    finally:
        store.close()
    return problems


def text_box_on_canvas(x: float, y: float, w: float, h: float, zone: Rect) -> Rect:
    """A text box (zone px, fractional) as the whole canvas pixels it touches, cut to its zone
    (what falls outside the zone is never shown)."""
    x0, y0 = math.floor(zone.x + x), math.floor(zone.y + y)
    x1, y1 = math.ceil(zone.x + x + w), math.ceil(zone.y + y + h)
    return Rect(x0, y0, x1 - x0, y1 - y0).intersect(zone)
