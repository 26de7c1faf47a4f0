"""Figures as a room reads them: one rounding rule, one set of suffixes, one dash for a missing figure.

Widgets and painters format their numbers here, so one wall never shows "1.3 B" in one zone and
"1.3 G" in the next.

Rounding is half-up on the decimal the number is written as (1.25 -> 1.3, 2.675 -> 2.68), the way
people round; Python's round() and format() round half to even on the binary value instead
(round(2.5) is 2, f"{2.675:.2f}" is '2.67'). Suffixes are k, M, B, T (thousand, million, billion,
trillion: the short scale a brand team speaks). A value never shows as "1000 k": it moves up to "1 M".

One precision everywhere (`human_number`): three significant digits, and whole with a thousands
separator below 10,000 ('1.28 M', '48.2 k', '7,331', '3.41', '0.0123'). A KPI's headline and the
same figure in a leaderboard beside it read alike ('1.28 M' twice, never '1.28 M' beside '1.3 M'),
rates keep their precision (3.54 %, 0.44 pt), and four-digit counts read whole rather than as a
rounded '7.3 k'.

Pure: no skia, no pydantic, no clock.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

DASH = "\u2013"  # what a missing or non-finite figure shows

# (power of ten, suffix), largest first
_UNITS = ((12, " T"), (9, " B"), (6, " M"), (3, " k"))
# the largest finite float has 309 digits: room for all of them, so quantize never overflows
_EXACT = Context(prec=400, rounding=ROUND_HALF_UP)


def finite(x: object) -> float | None:
    """x as a float when it is a finite number, else None (NaN, inf, None, a bool, junk)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def as_count(x: object) -> float:
    """x as a count: a finite number, 0 for anything else; a negative count (a vendor's -1) is 0."""
    v = finite(x)
    return max(0.0, v) if v is not None else 0.0


def _decimal(x: float | int) -> Decimal:
    # repr() is the shortest text that reads back as x: the decimal people would write for it
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def _round(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-decimals), context=_EXACT)


def _significant(d: Decimal, digits: int) -> Decimal:
    """d > 0 rounded half-up to `digits` significant digits."""
    return _round(d, digits - 1 - d.adjusted())


def _text(d: Decimal) -> str:
    """A rounded value without trailing zeros or an exponent: 1.50 -> '1.5', 1E+3 -> '1000'."""
    return format(d.normalize(context=_EXACT), "f")


def whole(x: float | int) -> int:
    """x rounded half-up to an integer: 2.5 -> 3, -2.5 -> -3 (round() gives 2 and -2)."""
    return int(_round(_decimal(x), 0))


def fixed(x: float | int, decimals: int) -> str:
    """x rounded half-up to `decimals` places, trailing zeros dropped: fixed(1.25, 1) -> '1.3',
    fixed(2.0, 1) -> '2'."""
    text = _text(_round(_decimal(x), decimals))
    return "0" if text == "-0" else text


def human_number(x: object) -> str:
    """A figure shown on its own, to three significant digits: 1,284,500 -> '1.28 M',
    48,200,000 -> '48.2 M', 48,200 -> '48.2 k', 7,331 -> '7,331', 15.83 -> '15.8', 3.41 -> '3.41',
    0.0123 -> '0.0123'; below 0.0001 -> '0'; NaN/inf/None -> '–'."""
    v = finite(x)
    return DASH if v is None else _human(v)


# Views are rebuilt every frame and show the same figures frame after frame: decimal rounding is
# done once per value, not 30 times a second.
@lru_cache(maxsize=4096)
def _human(v: float) -> str:
    a = _decimal(abs(v))
    shown = _significant(a, 3) if a else a
    if shown < Decimal("0.0001"):
        return "0"
    sign = "-" if v < 0 else ""
    if shown < 1000:
        return sign + _text(shown)
    n = int(_round(a, 0))
    if n < 10_000:  # four digits read whole: '7,331', not '7.33 k'
        return sign + f"{n:,}"
    for power, suffix in reversed(_UNITS):
        scaled = _significant(a.scaleb(-power), 3)
        if scaled < 1000:
            return sign + _text(scaled) + suffix
    return sign + _text(_round(a.scaleb(-_UNITS[0][0]), 0)) + _UNITS[0][1]  # past the last suffix: whole


def duration_text(minutes: int) -> str:
    """A span of time as a heading says it: 2880 -> '2 d', 1440 -> '24 h', 90 -> '90 min'."""
    if minutes % 1440 == 0 and minutes >= 2880:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"
