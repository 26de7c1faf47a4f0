"""Custom emoji placed in a text (Mastodon's `emojis`): each known ':shortcode:' becomes a slot
(EMOJI_SLOT) whose picture the painter draws over it (wall/painters/inline_emoji.py). Builders run this;
it asks the picture service for each picture, so the paint workers never import it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..painters.inline_emoji import EMOJI_SLOT
from ..pictures import cached

if TYPE_CHECKING:
    from feeds.model import CustomEmoji

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
