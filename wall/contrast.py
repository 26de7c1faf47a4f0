"""Which theme colours must contrast with which, and how much (WCAG 2.x level AA); the ratio itself
is `wall.colors.contrast`.

AA asks 4.5:1 for body text and 3:1 for large text and for graphics that carry meaning
(success criteria 1.4.3 and 1.4.11). A wall's captions and muted labels are body text; titles,
accents and chart colours are large text or graphics.
"""

from __future__ import annotations

from .colors import contrast

AA_TEXT = 4.5
AA_LARGE = 3.0

# (foreground field, background field, minimum ratio, what it is used for)
THEME_PAIRS = (
    ("text", "background", AA_TEXT, "text on the wall background"),
    ("text", "surface", AA_TEXT, "text on cards"),
    ("muted", "surface", AA_TEXT, "captions on cards"),
    ("accent", "surface", AA_LARGE, "titles and highlights on cards"),
    ("positive", "surface", AA_LARGE, "positive tone in charts"),
    ("negative", "surface", AA_LARGE, "negative tone in charts"),
    ("ok", "surface", AA_LARGE, "'ok' bands of gauges"),
    ("warn", "surface", AA_LARGE, "'warn' bands of gauges"),
    ("breach", "surface", AA_LARGE, "'breach' bands of gauges"),
)


def theme_failures(theme) -> list[tuple[str, str, float, float, str]]:
    """(fg field, bg field, ratio, required, use) for every pair of `theme` below AA."""
    out = []
    for fg, bg, need, use in THEME_PAIRS:
        ratio = contrast(getattr(theme, fg), getattr(theme, bg))
        if ratio + 1e-9 < need:
            out.append((fg, bg, ratio, need, use))
    return out
