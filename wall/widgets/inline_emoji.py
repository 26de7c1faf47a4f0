"""Custom emoji drawn inline (Mastodon's `emojis`, in post texts and display names).

A ':shortcode:' never reaches the screen: when its picture is in the picture service's cache, an
em space (EMOJI_SLOT) holds its place in the text and the painter draws the picture over the gap the
laid-out paragraph left; until then (or when it failed) the shortcode is simply left out. Used by
every widget that shows a name or a text carrying them (post cards, the influencer board, the
ticker)."""

from __future__ import annotations

import re

import skia

from feeds.model import CustomEmoji

from ..paint.images import PictureUnavailable, draw_picture
from ..paint.text import Fitted, TextStyle, slot_centres
from ..pictures import cached

# one em wide, so the picture drawn over it sits in the flow of the text
EMOJI_SLOT = "\u2003"
_SHORTCODE = re.compile(r":([A-Za-z0-9_]{1,64}):")


def with_emoji(text: str, emojis: tuple[CustomEmoji, ...]) -> tuple[str, tuple[str, ...]]:
    """`text` with each known ':shortcode:' replaced by EMOJI_SLOT when its picture is cached (the
    pictures, in order, come second), else removed. Looking a picture up asks for it, so the zone
    repaints with the emoji once it is fetched."""
    if not emojis:
        return text, ()
    text = text.replace(EMOJI_SLOT, " ")  # slots are ours alone
    urls = {e.shortcode: e.url for e in emojis}
    pictures: list[str] = []

    def swap(m: re.Match[str]) -> str:
        url = urls.get(m.group(1))
        if url is None:
            return m.group(0)
        path = cached(url)
        if not path:
            return ""
        pictures.append(path)
        return EMOJI_SLOT

    out = re.sub(r"[ \t]{2,}", " ", _SHORTCODE.sub(swap, text)).strip()
    return out, tuple(pictures)


# A character the text cleaners keep (they fold the em space into a plain one): what a slot travels
# as through them, for widgets that clean a text after its emoji are placed (see keep_slots)
_KEPT_SLOT = "\ufffc"


def keep_slots(text: str) -> str:
    """`text` (from with_emoji) with its slots as a character text cleaning keeps; back with
    restore_slots. An object replacement character of the source's own is dropped first."""
    return text.replace(_KEPT_SLOT, "").replace(EMOJI_SLOT, _KEPT_SLOT)


def restore_slots(text: str) -> str:
    return text.replace(_KEPT_SLOT, EMOJI_SLOT)


def without_slots(text: str) -> str:
    """The text with its emoji slots taken out (what initials are taken from)."""
    return re.sub(r"[ \t]{2,}", " ", text.replace(EMOJI_SLOT, " ")).strip()


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
