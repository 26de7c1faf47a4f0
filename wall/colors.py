"""Colours as a config writes them ('#rrggbb', '#rrggbbaa') and the arithmetic done on them: mixing,
transparency, and WCAG 2.x luminance and contrast (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).

Pure: the theme checks (wall/contrast.py), the view builders and the painters share these, so a
colour is mixed and judged one way everywhere.
"""

from __future__ import annotations

INK_DARK = "#111318"  # text on light fills (badges, chips)
INK_LIGHT = "#ffffff"


def rgba(color: str) -> tuple[int, int, int, int]:
    """'#rrggbb[aa]' -> (r, g, b, a) in 0..255."""
    h = color.lstrip("#")
    a = int(h[6:8], 16) if len(h) == 8 else 255
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), a


def mix(a: str, b: str, t: float) -> str:
    """The colour t of the way from a to b (sRGB), opaque: '#rrggbb'."""
    ca, cb = rgba(a), rgba(b)
    return "#" + "".join(f"{round(ca[i] + (cb[i] - ca[i]) * t):02x}" for i in range(3))


def with_alpha(color: str, alpha: int) -> str:
    """color's rgb with alpha (0..255): '#rrggbbaa'."""
    return f"{color[:7]}{alpha:02x}"


def _channel(c: int) -> float:
    s = c / 255.0
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b, _ = rgba(color)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21 (the order does not matter)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def ink_on(background: str) -> str:
    """INK_DARK or INK_LIGHT, whichever contrasts more with background."""
    return INK_DARK if contrast(INK_DARK, background) >= contrast(INK_LIGHT, background) else INK_LIGHT
