"""Text from the web, made safe to paint: plain characters only.

Posts carry control characters, zero-width joiners used to dodge filters, and bidi override
characters that can flip a whole line on the wall ("Trojan Source"). Painters receive text only
after this pass. Markup is never interpreted: HTML-to-text conversion is the adapters' job; here a
'<b>' stays the four characters it is.
"""

from __future__ import annotations

import re
import unicodedata

# Bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069) and zero-width characters, except
# ZWJ (U+200D), which colour emoji sequences need, and ZWNJ (U+200C), which Persian spelling needs.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def plain_text(text: str, *, keep_newlines: bool = True, max_chars: int = 20_000) -> str:
    """Strip control, zero-width and bidi-override characters; collapse runs of spaces."""
    text = unicodedata.normalize("NFC", text[: max_chars * 2])
    text = _INVISIBLE.sub("", text)
    out = []
    for ch in text:
        if ch in "\n\r" and keep_newlines:
            out.append("\n")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r":
            # control, surrogate, private-use and unassigned code points paint as tofu or worse
            out.append(" " if ch == "\t" else "")
        else:
            out.append(ch)
    text = "".join(out)
    text = _SPACES.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()[:max_chars]
