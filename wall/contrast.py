"""WCAG 2.x contrast between theme colours (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).

AA asks 4.5:1 for body text and 3:1 for large text and for graphics that carry meaning
(success criteria 1.4.3 and 1.4.11). A wall's captions and muted labels are body text; titles,
accents and chart colours are large text or graphics.
"""

from __future__ import annotations

from .config.base import rgba

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


def _channel(c: int) -> float:
    s = c / 255.0
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    r, g, b, _ = rgba(color)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def theme_failures(theme) -> list[tuple[str, str, float, float, str]]:
    """(fg field, bg field, ratio, required, use) for every pair of `theme` below AA."""
    out = []
    for fg, bg, need, use in THEME_PAIRS:
        ratio = contrast(getattr(theme, fg), getattr(theme, bg))
        if ratio + 1e-9 < need:
            out.append((fg, bg, ratio, need, use))
    return out
