"""`gauge`: a customer-care figure (first reply time, response rate, queue) on a 240° arc, with its
target / SLA bands and, optionally, where the competitors stand.

Bands. A metric carries up to three thresholds: `target` (the goal), `warn` (where the warning band
starts) and `breach` (where the SLA is breached, the critical band). Read in the metric's direction
(`higher_is_better`), the pill under the figure follows the target:
- ok: the target is met (first reply time at or under its target, a response rate at or over it)
  and `warn`, when it is set on the good side of the target (an early warning), is not reached;
- warn: the target is missed, or that early `warn` is reached, but not `breach`;
- breach: `breach` is reached.
So a gauge never says OK beside "target 5 · 7 above". A `warn` on the far side of the target still
drives alert rules (wall/scenes/alerts.py) but cannot make a missed target look OK. Without `breach`
the critical band derives from the target: where the figure is twice as far from its ideal as the
target is (ideal 0 for a lower-is-better figure: twice the target; 100 for a higher-is-better %:
twice the shortfall), or half the target for a higher-is-better count, which has no ideal. A metric
with neither target nor thresholds has no bands and a neutral (accent) arc. The target is drawn as a
tick on the arc and the caption says how far the value is from it.

Units. Every figure the gauge writes carries the metric's unit (option `unit` when the feed states
none): the value, the scale's ends, the target and the gap in the caption ("pt" for the gap between
two percentages), and each competitor's figure. A competitor's marker is drawn only with its name
beside it: a triangle whose owner cannot be read is left out rather than shown anonymous.

Scale: `min`/`max` options, else 0 (when that wastes no more than 40 % of the arc) or the lowest of
value, thresholds and benchmarks, up to the highest, with 20 % headroom, rounded to a step of 1, 2,
2.5 or 5 x 10^k; a % scale never passes 0 or 100. The benchmarks count whether or not they are
shown, so the same figure has the same scale in every scenario (a crisis layout that leaves the
competitors out does not zoom the arc). Everything is vector painting at the zone's pixel size (no
bitmaps scaled), antialiased. There is no sweep animation: the gauge changes when the figure does.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from feeds.sanitize import plain_text

from ..colors import ink_on, mix
from ..numbers import DASH, finite, human_number
from ..painters.gauge import GaugeBand, GaugeBenchmark, GaugeView
from ..painters.gauge import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, caption_for, data_status, format_value, metric_of
from .base import text_floor as _floor

NAME = "gauge"
TEXT_BEARING = True
MAX_BENCHMARKS = 6


class GaugeOptions(BindingBase):
    widget: Literal["gauge"]
    metric: str = Field(
        min_length=1, max_length=200, description="metric name in the feed, e.g. 'care.first_reply_min'"
    )
    label: str | None = Field(default=None, max_length=200, description="caption; default: the metric's name")
    min: float | None = Field(default=None, allow_inf_nan=False, description="start of the scale; default: derived")
    max: float | None = Field(default=None, allow_inf_nan=False, description="end of the scale; default: derived")
    unit: str | None = Field(
        default=None, max_length=20, description="the figure's unit, e.g. 'tickets'; default: the metric's own"
    )
    show_benchmarks: bool = Field(default=False, description="mark the competitors' figures (metric.benchmarks)")

    @model_validator(mode="after")
    def _range(self) -> GaugeOptions:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


Options = GaugeOptions  # the name the widget registry looks for


def _reached(value: float, threshold: float, higher_is_better: bool) -> bool:
    """Whether value is at or past threshold on the bad side."""
    return value <= threshold if higher_is_better else value >= threshold


def _missed(value: float, target: float, higher_is_better: bool) -> bool:
    """Whether value falls short of the target (meeting it exactly is met)."""
    return value < target if higher_is_better else value > target


def derived_breach(target: float | None, unit: str, higher_is_better: bool) -> float | None:
    """Where the critical band starts when the feed states no breach (see the module docstring):
    twice as far from the ideal as the target, or half the target for a higher-is-better count."""
    if target is None:
        return None
    if not higher_is_better:
        return 2 * target if target > 0 else None
    if unit.strip() == "%" and 0 < target < 100:
        return max(0.0, 100 - 2 * (100 - target))
    return target / 2 if target > 0 else None


def thresholds(
    target: float | None, warn: float | None, breach: float | None, unit: str, higher_is_better: bool
) -> tuple[float | None, float | None, bool]:
    """(where the warning band starts, where the critical band starts, whether breach was derived).
    The warning band starts at the target, or at a `warn` on its good side (an early warning); a
    threshold that contradicts a later one is dropped so the bands stay in order."""
    derived = breach is None and target is not None
    if breach is None:
        breach = derived_breach(target, unit, higher_is_better)
    warn_at = target
    if warn is not None and (target is None or _reached(target, warn, higher_is_better)):
        warn_at = warn  # no target, or a warn before it: warn first
    if warn_at is not None and breach is not None and not _reached(breach, warn_at, higher_is_better):
        # a breach before the warning (bad data): the warning band is empty, the breach still counts
        warn_at = breach
    return warn_at, breach, derived


def band_of(
    value: float | None,
    target: float | None,
    warn: float | None,
    breach: float | None,
    higher_is_better: bool,
    unit: str = "",
) -> str:
    """ok / warn / breach for value (see the module docstring); 'none' without value or thresholds."""
    if value is None:
        return "none"
    warn_at, breach_at, _ = thresholds(target, warn, breach, unit, higher_is_better)
    if breach_at is not None and _reached(value, breach_at, higher_is_better):
        return "breach"
    if target is not None and _missed(value, target, higher_is_better):
        return "warn"
    if warn_at is not None and warn_at != target and _reached(value, warn_at, higher_is_better):
        return "warn"  # an early warning (or, without a target, the warning threshold)
    return "ok" if warn_at is not None or breach_at is not None else "none"


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**exp >= raw - 1e-12:
            return m * 10**exp
    return 10 ** (exp + 1)


def scale(values: list[float], unit: str, lo_opt: float | None, hi_opt: float | None) -> tuple[float, float]:
    """The gauge's range (see the module docstring)."""
    vals = [v for v in values if v is not None] or [0.0, 1.0]
    lo, hi = min(vals), max(vals)
    if hi == lo:  # one figure and no thresholds: from zero to a little beyond it
        vals = [min(0.0, lo), max(0.0, hi) or 1.0]
        lo, hi = min(vals), max(vals)
    span = hi - lo
    lo, hi = lo - 0.2 * span, hi + 0.2 * span
    if min(vals) >= 0 and lo <= 0.4 * hi:
        lo = 0.0
    lo = max(lo, 0.0) if min(vals) >= 0 else lo
    step = _nice_step((hi - lo) / 8)
    lo, hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if unit.strip() == "%" and min(vals) >= 0 and max(vals) <= 100:
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    if lo_opt is not None:
        lo = lo_opt
    if hi_opt is not None:
        hi = hi_opt
    if hi <= lo:  # one override crossed the derived other end
        hi = lo + (step if lo_opt is not None else 0)
        lo = hi - step if lo_opt is None else lo
    return lo, hi


def _bands(lo: float, hi: float, warn_at, breach_at, higher: bool, theme) -> tuple[GaugeBand, ...]:
    """The coloured stretches of the scale, from its start: the thresholds band_of uses."""
    if warn_at is None and breach_at is None:
        return ()
    if higher:
        b1 = breach_at if breach_at is not None else lo
        w1 = warn_at if warn_at is not None else b1
        segments = (("breach", lo, b1), ("warn", b1, w1), ("ok", w1, hi))
    else:
        w1 = warn_at if warn_at is not None else breach_at
        b1 = breach_at if breach_at is not None else hi
        segments = (("ok", lo, w1), ("warn", w1, b1), ("breach", b1, hi))
    out = []
    for name, a, b in segments:
        s, e = _frac(a, lo, hi), _frac(b, lo, hi)
        if e - s > 1e-6:
            out.append(GaugeBand(name, s, e, getattr(theme, name)))
    return tuple(out)


def _frac(v: float | None, lo: float, hi: float) -> float | None:
    return None if v is None else round(min(1.0, max(0.0, (v - lo) / (hi - lo))), 5)


def with_unit(number: str, unit: str) -> str:
    """'15 min', '95 %', '7 tickets'; the number alone when there is no unit."""
    return f"{number} {unit}" if unit else number


def _caption(value: float | None, target: float | None, unit: str, higher: bool) -> str:
    if target is None:
        return ""
    text = f"target {with_unit(human_number(target), unit)}"
    if value is None:
        return text
    gap = value - target
    if not _missed(value, target, higher):
        return text + " \u00b7 met"
    # the gap between two percentages is in points, not per cent of anything
    delta = with_unit(human_number(abs(gap)), "pt" if unit.strip() == "%" else unit)
    return text + f" \u00b7 {delta} {'above' if gap > 0 else 'below'}"


# its view changes with time only at whole seconds (ages, clocks): wall/scenes/views.py builds it once a second
TIME_STEP_S = 1.0


def build(options: GaugeOptions, ctx: BuildContext) -> GaugeView:
    theme = ctx.theme
    status = data_status(ctx.data, ctx.time, ctx.min_text_px)
    m = metric_of(ctx.data, options.metric)
    label = caption_for(options.label, m, options.metric)
    track = mix(theme.surface, theme.text, 0.13)
    common = dict(
        status=status,
        text_floor=_floor(ctx),
        label=label,
        font=theme.font,
        text=theme.text,
        muted=theme.muted,
        track=track,
        surface=theme.surface,
        frame=theme.background,
    )
    if m is None:
        note = status.note if not status.ok else f"no figure '{options.metric}' in this feed"
        return GaugeView(
            placeholder=True,
            window="",
            value=None,
            number=DASH,
            unit="",
            band="none",
            band_color=theme.muted,
            band_ink=ink_on(theme.muted),
            higher_is_better=True,
            target=None,
            warn=None,
            breach=None,
            breach_derived=False,
            scale_min=0.0,
            scale_max=1.0,
            min_text="",
            max_text="",
            position=None,
            target_position=None,
            bands=(),
            caption="",
            benchmarks=(),
            note=note,
            **common,
        )
    value = finite(m.value)
    target, warn, breach = finite(m.target), finite(m.warn), finite(m.breach)
    higher = m.higher_is_better
    number, unit = format_value(value, options.unit if options.unit is not None else m.unit)
    warn_at, breach_at, derived = thresholds(target, warn, breach, unit, higher)
    bench = []
    for name, v in list((m.benchmarks or {}).items())[:MAX_BENCHMARKS]:
        fv = finite(v)
        if fv is not None:
            bench.append((plain_text(str(name), keep_newlines=False, max_chars=60) or "?", fv))
    # every benchmark counts, shown or not: one figure, one scale, whichever scenario shows it
    lo, hi = scale([value, target, warn_at, breach_at, *(v for _, v in bench)], unit, options.min, options.max)
    band = band_of(value, target, warn, breach, higher, unit)
    band_color = {"ok": theme.ok, "warn": theme.warn, "breach": theme.breach}.get(band, theme.accent)
    benchmarks = (
        tuple(
            GaugeBenchmark(
                name,
                v,
                with_unit(human_number(v), unit),
                _frac(v, lo, hi),
                better=(v > value if higher else v < value) if value is not None else False,
            )
            for name, v in bench
        )
        if options.show_benchmarks
        else ()
    )
    return GaugeView(
        placeholder=False,
        window=plain_text(m.window or "", keep_newlines=False, max_chars=20),
        value=value,
        number=number,
        unit=unit,
        band=band,
        band_color=band_color if value is not None else theme.muted,
        band_ink=ink_on(band_color if value is not None else theme.muted),
        higher_is_better=higher,
        target=target,
        warn=warn_at,
        breach=breach_at,
        breach_derived=derived,
        scale_min=lo,
        scale_max=hi,
        min_text=with_unit(human_number(lo), unit),
        max_text=with_unit(human_number(hi), unit),
        position=_frac(value, lo, hi),
        target_position=_frac(target, lo, hi) if target is not None and lo <= target <= hi else None,
        bands=_bands(lo, hi, warn_at, breach_at, higher, theme),
        caption=_caption(value, target, unit, higher),
        benchmarks=benchmarks,
        **common,
    )
