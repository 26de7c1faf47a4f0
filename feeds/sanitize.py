"""Text from the web, made safe to paint: plain characters only.

Posts carry control characters, zero-width joiners used to dodge filters, and bidi override
characters that can flip a whole line on the wall ("Trojan Source"). Painters receive text only
after this pass. Markup is never interpreted: HTML-to-text conversion is the adapters' job; here a
'<b>' stays the four characters it is.

Most text needs nothing: one C-speed test (`str.isprintable`, NFC check, no double space) returns it
as it is. Only text that holds something to remove or rewrite takes the full pass, and that pass
decides per distinct character, not per character, so a long post costs what its alphabet costs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Bidi embeddings/overrides/isolates (U+202A-202E, U+2066-2069) and zero-width characters, except
# ZWJ (U+200D), which colour emoji sequences need, and ZWNJ (U+200C), which Persian spelling needs.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINE_SPACES = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")
# control, surrogate, private-use and unassigned code points paint as tofu or worse
_REMOVED = frozenset(("Cc", "Cs", "Co", "Cn"))


def _needs_nothing(text: str) -> bool:
    """True when the full pass below would change nothing but the ends' whitespace.

    `isprintable()` is False for every character that pass removes or rewrites (categories C* and Z*
    except the ASCII space: controls, tabs, bidi and zero-width format characters, the other spaces).
    Newlines are the one such character common in posts (paragraphs): text whose only unprintable
    characters are single or double newlines, with no space beside them, is left as it is too."""
    if not text.isprintable():
        if "\r" in text or not text.replace("\n", "").isprintable():
            return False
        if " \n" in text or "\n " in text or "\n\n\n" in text:
            return False
    return "  " not in text and unicodedata.is_normalized("NFC", text)


def plain_text(text: str, *, keep_newlines: bool = True, max_chars: int = 20_000) -> str:
    """Strip control, zero-width and bidi-override characters; collapse runs of spaces."""
    text = text[: max_chars * 2]
    if _needs_nothing(text):
        return text.strip()[:max_chars]
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    table: dict[int, str] = {}
    for ch in set(text):  # each distinct character decided once; str.translate applies it in C
        if ch.isprintable():
            continue
        if ch in "\n\r":
            if keep_newlines:
                table[ord(ch)] = "\n"
        elif unicodedata.category(ch) in _REMOVED:
            table[ord(ch)] = " " if ch == "\t" else ""
    if table:
        text = text.translate(table)
    text = _SPACES.sub(" ", text)
    text = _NEWLINE_SPACES.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()[:max_chars]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def has_surrogate_escape(json_text: str) -> bool:
    """Whether JSON text escapes a surrogate (\\ud800-\\udfff): the one way a decoded document can hold a
    lone one (text decoded from UTF-8 holds none, and a pair of escapes decodes to one character)."""
    return _SURROGATE_ESCAPE.search(json_text) is not None


def without_lone_surrogates(doc: Any) -> Any:
    """`doc` (decoded JSON) with every lone surrogate in its strings and keys replaced by U+FFFD, as a
    lenient decoder would. JSON allows `"\\ud800"`, Python decodes it, and such a string cannot be
    encoded: the first `.encode()` of an id, a name or a hash of it would fail far from where it came in.
    Lists and objects are changed in place; iterative, so a document as deep as the decoder allows is fine."""
    if isinstance(doc, str):
        return _LONE_SURROGATE.sub("\ufffd", doc)
    stack = [doc] if isinstance(doc, (dict, list)) else []
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    if _LONE_SURROGATE.search(value):
                        node[i] = _LONE_SURROGATE.sub("\ufffd", value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
            continue
        for key in [k for k in node if _LONE_SURROGATE.search(k)]:
            node[_LONE_SURROGATE.sub("\ufffd", key)] = node.pop(key)
        for key, value in node.items():
            if isinstance(value, str):
                if _LONE_SURROGATE.search(value):
                    node[key] = _LONE_SURROGATE.sub("\ufffd", value)
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return doc
