"""`identify`: a display's id, native resolution and output name in huge type (`wallctl identify`).

An installer standing in front of the wall reads which configured display each panel is, and which
video output feeds it, from across the room. Each display gets its own background colour (its
neighbours differ) and a bright frame at its active-area edges, so a panel that is missing, swapped
or cropped shows at a glance. Internal (`INTERNAL` in wall/painters/registry.py): built by `wallctl identify`, never
chosen in scenario YAML.
"""

from __future__ import annotations

from typing import Literal

from ..painters.identify import IdentifyView
from ..painters.identify import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext

NAME = "identify"
TEXT_BEARING = True


# Dark, well separated hues; white text on each has a contrast above 7:1.
PALETTE = ("#1e40af", "#b91c1c", "#166534", "#6b21a8", "#9a3412", "#115e59", "#86198f", "#3f6212", "#9f1239", "#334155")


class IdentifyOptions(BindingBase):
    widget: Literal["identify"]
    display: str
    lines: tuple[str, ...] = ()  # under the id: resolution, output
    background: str = PALETTE[0]


Options = IdentifyOptions  # the name the widget registry looks for


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: IdentifyOptions, ctx: BuildContext) -> IdentifyView:
    return IdentifyView(options.display, tuple(options.lines), options.background)
