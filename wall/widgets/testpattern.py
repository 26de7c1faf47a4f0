"""`testpattern`: patterns drawn in physical wall mm, for installing and checking a wall.

`bezel`: the lines x - y = k*100 and x + y = k*100 (mm, every integer k), 3 px wide, white on
black. With correct bezel compensation each line runs straight on across every bezel; a wrong
bezel figure shows as a step where a line crosses a mullion.
`grid`: a 100 mm square grid with a circle in each display-sized area, for checking that pixels
are square and nothing is stretched.
"""

from __future__ import annotations

from typing import Literal

from ..painters.testpattern import TestPatternView
from ..painters.testpattern import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext

NAME = "testpattern"
TEXT_BEARING = False


class TestPatternOptions(BindingBase):
    widget: Literal["testpattern"]
    pattern: Literal["bezel", "grid"] = "bezel"


Options = TestPatternOptions  # the name the widget registry looks for


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: TestPatternOptions, ctx: BuildContext) -> TestPatternView:
    return TestPatternView(options.pattern, ctx.origin, ctx.pitch_mm)
