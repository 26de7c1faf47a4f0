"""How people appear on the wall: avatars, names on one line, the age of what they wrote.

`initials`, `avatar_color` and `age_text` are pure and cheap (widgets call them in build());
`draw_avatar` paints (a picture when one is on disk, else initials in a coloured circle).
"""

from __future__ import annotations

import math
import unicodedata

import skia

from .images import PictureUnavailable, picture
from .surface import color
from .text import Fitted, TextStyle, fit

# Deep, saturated shades: white initials on them stay above 4.5:1 contrast.
AVATAR_COLORS = (
    "#c92a2a",
    "#a61e4d",
    "#862e9c",
    "#5f3dc4",
    "#364fc7",
    "#1864ab",
    "#0b7285",
    "#087f5b",
    "#2b8a3e",
    "#d9480f",
    "#5c940d",
    "#495057",
)


def avatar_color(key: str) -> str:
    """A stable colour per person (same author, same colour on every screen and every day)."""
    # imported here: builders call this in the wall's process, and a paint worker, which only draws
    # avatars, then never loads hashlib's OpenSSL (3.6 MB)
    import hashlib

    digest = hashlib.blake2s(key.encode("utf-8", "replace"), digest_size=2).digest()
    return AVATAR_COLORS[int.from_bytes(digest, "big") % len(AVATAR_COLORS)]


def _cased(ch: str) -> bool:
    # scripts with capital letters (Latin, Greek, Cyrillic...) read well as two initials
    return ch.upper() != ch.lower()


def initials(name: str, handle: str = "") -> str:
    """'Camille Martin' -> 'CM'; '佐藤 陽翔' -> '佐'; 'ليلى خالد' -> 'ل'; '' with '@j_dupont' -> 'J'."""
    for source in (name, handle.lstrip("@")):
        words = ["".join(ch for ch in w if unicodedata.category(ch)[0] in "LN") for w in source.split()]
        words = [w for w in words if w]
        if not words:
            continue
        first = words[0][0]
        if _cased(first) and len(words) > 1 and _cased(words[-1][0]):
            return (first + words[-1][0]).upper()
        return first.upper()
    return "?"


def age_text(seconds: float) -> str:
    """Age of a post as a room reads it: 'now', '3 min', '2 h', '4 d'. Future times read 'now'."""
    if not math.isfinite(seconds) or seconds < 60:
        return "now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def draw_avatar(
    canvas: skia.Canvas,
    cx: float,
    cy: float,
    radius: float,
    letters: str,
    fill: str,
    picture_ref: str | None = None,
    ink: str = "#ffffff",
) -> None:
    """A round avatar: the picture when `picture_ref` names a readable local file, else initials.
    An avatar is always a feed's (an author's `avatar_url`): never read from this machine's files but
    for the demo feed's bundled pictures (wall/paint/images.py)."""
    d = max(1, round(radius * 2))
    if picture_ref:
        try:
            img = picture(picture_ref, d, d, "cover", feed=True)
        except PictureUnavailable:
            img = None
        if img is not None:
            canvas.save()
            circle = skia.Path()
            circle.addCircle(cx, cy, radius)
            canvas.clipPath(circle, doAntiAlias=True)
            canvas.drawImage(img, round(cx - d / 2), round(cy - d / 2))
            canvas.restore()
            return
    canvas.drawCircle(cx, cy, radius, skia.Paint(Color=color(fill), AntiAlias=True))
    # sized and placed by the baseline, not the line box: Arabic's tall line box would shrink it
    size = radius * (0.9 if len(letters) == 1 else 0.78)
    text = fit_line(letters, radius * 1.5, size, TextStyle("Noto Sans", ink, True, "left"), min_size=min(size, 6.0))
    draw_on_baseline(canvas, text, cx - text.paragraph.LongestLine / 2, cy + text.size * 0.36)


def draw_verified(canvas: skia.Canvas, cx: float, cy: float, radius: float, fill: str) -> None:
    """A 'verified account' seal: a tick in a filled circle."""
    canvas.drawCircle(cx, cy, radius, skia.Paint(Color=color(fill), AntiAlias=True))
    tick = skia.Path()
    tick.moveTo(cx - radius * 0.45, cy + radius * 0.02)
    tick.lineTo(cx - radius * 0.1, cy + radius * 0.38)
    tick.lineTo(cx + radius * 0.5, cy - radius * 0.35)
    canvas.drawPath(
        tick,
        skia.Paint(
            Color=color("#ffffff"),
            AntiAlias=True,
            Style=skia.Paint.kStroke_Style,
            StrokeWidth=max(1.2, radius * 0.28),
            StrokeCap=skia.Paint.kRound_Cap,
            StrokeJoin=skia.Paint.kRound_Join,
        ),
    )


def fit_line(text: str, width: float, size: float, style: TextStyle, min_size: float = 8.0) -> Fitted:
    """`text` on one line at `size`, smaller when it is too wide, cut with an ellipsis below
    `min_size`: names and handles never wrap. (fit() bounds a box's height; fonts differ a lot in
    line height: Noto Sans Arabic's is 2.1 em against Latin's 1.36, so a box sized for Latin would
    shrink an Arabic name.)"""

    def one_line(at: float):
        return fit(text, 1e6, 1e6, style, max_size=at, min_size=at).paragraph

    s, line = size, one_line(size)
    if line.LongestLine > width:
        # widths do not scale exactly with size (hinting): estimate, then step down until it fits
        s = max(float(min_size), math.floor(size * width / max(line.LongestLine, 1.0)))
        line = one_line(s)
        while line.LongestLine > width and s - 1 >= min_size:
            s -= 1
            line = one_line(s)
    return fit(text, width, line.Height + 0.5, style, max_size=s, min_size=s)


def draw_on_baseline(canvas: skia.Canvas, fitted: Fitted, x: float, baseline: float) -> None:
    """Paint a one-line text with its baseline at `baseline`, so scripts with different line
    heights line up."""
    fitted.paragraph.paint(canvas, x, baseline - fitted.paragraph.AlphabeticBaseline)
