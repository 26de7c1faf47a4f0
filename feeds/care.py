"""What the customer-care adapters (zendesk, engage_digital) share: how a care figure is summarised,
labelled and given the thresholds a wall config sets for it.

Why shared: a care wall shows Zendesk and Engage Digital figures side by side, so "Median first reply
24h" must mean the same on both: the same window label, the same rounding, the same statistic, and the
same target / warn / breach per metric name.

First reply time is a MEDIAN by default: one ticket answered after a weekend or a holiday drags a mean
far above what most customers lived; the median is what Zendesk Explore shows as its default
first-reply figure and is stable on a wall. `statistic: mean` is there for teams whose SLA contract is
written as an average.

Never imports `wall`.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .model import Metric

__all__ = ["CareFigures", "Statistic", "Thresholds", "statistic_name", "summarise", "window_label"]

Statistic = Literal["median", "mean"]


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: float | None = Field(default=None, description="the figure the team aims for")
    warn: float | None = Field(default=None, description="shown as a warning from this value on")
    breach: float | None = Field(default=None, description="shown as breached from this value on")


def summarise(values: Sequence[float], statistic: Statistic) -> float | None:
    """The median or the mean of `values`; None when there is none (no figure rather than a zero)."""
    if not values:
        return None
    return statistics.median(values) if statistic == "median" else statistics.fmean(values)


def statistic_name(statistic: Statistic) -> str:
    """How a figure's label names its statistic: "Median first reply", "Average first reply"."""
    return "Median" if statistic == "median" else "Average"


def window_label(hours: int) -> str:
    """A rolling window as a wall writes it: whole days past one day as "7d", anything else as "36h"."""
    return f"{hours // 24}d" if hours % 24 == 0 and hours > 24 else f"{hours}h"


@dataclass(frozen=True)
class CareFigures:
    """Builds the figures of one care poll: they share a window, a time and a provenance, and each takes
    the thresholds the config sets for its metric name."""

    thresholds: Mapping[str, Thresholds]
    window: str
    computed_at: datetime
    provenance: str

    @classmethod
    def over_window(
        cls,
        thresholds: Mapping[str, Thresholds],
        window_hours: int,
        computed_at: datetime,
        *,
        counted: str,
        hours: str,
        note: str = "",
    ) -> CareFigures:
        """Figures over the rolling window of `window_hours` ending at `computed_at`; their provenance says
        what was `counted` in it, in calendar or business `hours`, and a `note` such as an incomplete read."""
        window = window_label(window_hours)
        provenance = f"{counted} in {window}, {hours} hours"
        if note:
            provenance += f"; {note}"
        return cls(thresholds, window, computed_at, provenance)

    def metric(self, name: str, label: str, unit: str, value: float | None, higher_is_better: bool) -> Metric:
        t = self.thresholds.get(name) or Thresholds()
        return Metric(
            name=label,
            unit=unit,
            value=None if value is None else round(value, 1),
            window=self.window,
            target=t.target,
            warn=t.warn,
            breach=t.breach,
            higher_is_better=higher_is_better,
            computed_at=self.computed_at,
            provenance=self.provenance,
        )
