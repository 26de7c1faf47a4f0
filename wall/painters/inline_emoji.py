"""Custom emoji drawn inline (Mastodon's `emojis`, in post texts and display names).

A ':shortcode:' never reaches the screen: when its picture is in the picture service's cache, an
em space (EMOJI_SLOT) holds its place in the text and the painter draws the picture over the gap the
laid-out paragraph left; until then (or when it failed) the shortcode is simply left out. Used by
every widget that shows a name or a text carrying them (post cards, the influencer board, the
ticker). This is the drawing; the builders place the slots with wall/widgets/emoji_slots.py."""

from __future__ import annotations

import skia

from ..paint.images import PictureUnavailable, draw_picture
from ..paint.text import Fitted, TextStyle, slot_centres

# one em wide, so the picture drawn over it sits in the flow of the text
EMOJI_SLOT = "\u2003"


def draw_emoji(
    canvas: skia.Canvas, body: Fitted, pictures: tuple[str, ...], style: TextStyle, x: float, y: float, width: float
) -> None:
    """The cached custom emoji over the slots the painted (maybe ellipsised) text kept; (x, y) is
    where the paragraph's top left was painted, `width` the width it was laid out in."""
    draw_emoji_in(canvas, body.text, body.size, pictures, style, x, y, width)


def draw_emoji_in(
    canvas: skia.Canvas,
    text: str,
    size: float,
    pictures: tuple[str, ...],
    style: TextStyle,
    x: float,
    y: float,
    width: float,
) -> None:
    """draw_emoji for a paragraph of `text` at `size` painted at (x, y), laid out `width` wide."""
    s = size * 1.05
    for (cx, cy), path in zip(slot_centres(text, size, width, style, EMOJI_SLOT), pictures, strict=False):
        try:
            draw_picture(canvas, path, x + cx - s / 2, y + cy - s / 2, s, s, "contain", feed=True)
        except PictureUnavailable:
            pass  # the gap stays: never the shortcode
