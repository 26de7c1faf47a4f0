"""Text layout for painters: skia's paragraph engine over the fonts shipped in assets/fonts.

Only shipped fonts are used (never the system's), so a fresh machine paints the same pixels, and
fallback between them is skia's. Fitting finds the largest size at which the text fits its box;
below the smallest legible size it is cut with an ellipsis instead of overflowing.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import skia

from ..assets import FONTS
from .surface import color

Align = Literal["left", "center", "right", "start", "end"]
_ALIGN = {
    "left": skia.textlayout.TextAlign.kLeft,
    "center": skia.textlayout.TextAlign.kCenter,
    "right": skia.textlayout.TextAlign.kRight,
}  # 'start' and 'end' are resolved per text by _directed
_local = threading.local()
ELLIPSIS = "\u2026"
# Tried in order for every character the chosen family lacks (skia's paragraph engine does the
# per-character fallback; the shipped font manager has no system fallback of its own).
FALLBACK = ("Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK JP", "Noto Color Emoji")


def _collection() -> skia.textlayout.FontCollection:
    # Painters run on worker threads; a FontCollection caches shaping results and is not
    # documented as thread-safe, so each thread gets its own.
    fc = getattr(_local, "collection", None)
    if fc is None:
        fc = skia.textlayout.FontCollection()
        fc.setDefaultFontManager(skia.FontMgr.New_Custom_Directory(str(FONTS)))
        _local.collection = fc
    return fc


def is_rtl(text: str) -> bool:
    """Paragraph direction by the first strong character (Unicode bidi rule P2)."""
    for ch in text:
        d = unicodedata.bidirectional(ch)
        if d == "L":
            return False
        if d in ("R", "AL"):
            return True
    return False


def _directed(text: str, align: str) -> tuple[str, str]:
    """skia-python does not expose the paragraph's base direction, so a right-to-left text is
    isolated (RLI ... PDI) inside the paragraph: punctuation and Latin runs then sit where an Arabic
    or Hebrew reader expects them. 'start'/'end' alignments follow the direction."""
    rtl = is_rtl(text)
    if align in ("start", "end"):
        align = ("right" if align == "start" else "left") if rtl else ("left" if align == "start" else "right")
    if rtl:
        text = "\n".join(f"\u2067{line}\u2069" for line in text.split("\n"))
    return text, align


def families() -> list[str]:
    mgr = skia.FontMgr.New_Custom_Directory(str(FONTS))
    return sorted(mgr.getFamilyName(i) for i in range(mgr.countFamilies()))


@dataclass(frozen=True)
class TextStyle:
    family: str = "Noto Sans"
    color: str = "#ffffff"
    bold: bool = False
    align: Align = "left"


class _Recorder(threading.local):
    sizes: list[tuple[float, str]] | None = None


_recorder = _Recorder()


class record_text_sizes:
    """Collect (font size px, text) of every paragraph painters lay out for painting, in this
    thread (for the legibility check; trial layouts made while fitting are not recorded)."""

    def __enter__(self) -> list[tuple[float, str]]:
        _recorder.sizes = []
        return _recorder.sizes

    def __exit__(self, *exc: object) -> None:
        _recorder.sizes = None


def _record(size: float, text: str) -> None:
    if _recorder.sizes is not None and text.strip():
        _recorder.sizes.append((size, text))


def paragraph(text: str, size: float, width: float, style: TextStyle) -> skia.textlayout.Paragraph:
    _record(size, text)
    return _layout(text, size, width, style)


def _layout(text: str, size: float, width: float, style: TextStyle) -> skia.textlayout.Paragraph:
    ts = skia.textlayout.TextStyle()
    ts.setFontFamilies([style.family, *FALLBACK])
    ts.setFontSize(size)
    ts.setColor(color(style.color))
    if style.bold:
        ts.setFontStyle(skia.FontStyle.Bold())
    text, align = _directed(text, style.align)
    ps = skia.textlayout.ParagraphStyle()
    ps.setTextStyle(ts)
    ps.setTextAlign(_ALIGN[align])
    builder = skia.textlayout.ParagraphBuilder(ps, _collection(), skia.Unicode())
    builder.pushStyle(ts)
    builder.addText(text)
    p = builder.Build()
    p.layout(max(1.0, width))
    return p


def _fits(p: skia.textlayout.Paragraph, w: float, h: float) -> bool:
    return p.Height <= h + 0.5 and p.LongestLine <= w + 0.5


@dataclass
class Fitted:
    paragraph: skia.textlayout.Paragraph
    size: float
    text: str  # the text as painted (ellipsised if it had to be cut)
    truncated: bool


def fit(
    text: str,
    width: float,
    height: float,
    style: TextStyle,
    *,
    max_size: float = 400.0,
    min_size: float = 10.0,
) -> Fitted:
    """Largest whole-pixel size in [min_size, max_size] at which `text` fits width x height."""
    found = _largest(
        int(min_size),
        int(max(min_size, min(max_size, height))),
        lambda size: _fitting(text, size, width, height, style),
    )
    if found is not None:
        size, p = found
        _record(size, text)
        return Fitted(p, size, text, False)
    fitted = _ellipsise(text, width, height, style, int(min_size))
    _record(fitted.size, fitted.text)
    return fitted


def _ellipsise(text: str, width: float, height: float, style: TextStyle, size: int) -> Fitted:
    """Keep as much of the start of `text` as fits at `size`, ending with an ellipsis."""

    def cut(n: int) -> str:
        return text[:n].rstrip() + ELLIPSIS

    found = _largest(0, len(text), lambda n: _fitting(cut(n), size, width, height, style))
    if found is None:
        return Fitted(_layout(ELLIPSIS, size, width, style), size, ELLIPSIS, True)
    n, p = found
    return Fitted(p, size, cut(n), True)


def _fitting(text: str, size: int, width: float, height: float, style: TextStyle) -> skia.textlayout.Paragraph | None:
    p = _layout(text, size, width, style)
    return p if _fits(p, width, height) else None


T = TypeVar("T")


def _largest(lo: int, hi: int, attempt: Callable[[int], T | None]) -> tuple[int, T] | None:
    """The largest n in [lo, hi] for which attempt(n) gives something, with what it gave (None: no
    n does). attempt must succeed up to some n and fail above it: a binary search, log2 tries."""
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        got = attempt(mid)
        if got is not None:
            best = (mid, got)
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def draw_fitted(canvas: skia.Canvas, fitted: Fitted, x: float, y: float, height: float, valign: str = "middle") -> None:
    spare = height - fitted.paragraph.Height
    dy = {"top": 0.0, "middle": spare / 2, "bottom": spare}[valign]
    fitted.paragraph.paint(canvas, x, y + max(0.0, dy))


def slot_centres(text: str, size: float, width: float, style: TextStyle, slot: str) -> list[tuple[float, float]]:
    """Where each `slot` character of `text` sits once laid out as `fit` lays it out (same font, size
    and width): the centre of its advance, relative to the paragraph's top left. skia-python exposes
    neither placeholders nor glyph rectangles, so the paragraph is laid out again with each slot struck
    through in a colour of its own, painted off screen, and the strokes are found in the pixels."""
    laid, align = _directed(text, style.align)
    base = skia.textlayout.TextStyle()
    base.setFontFamilies([style.family, *FALLBACK])
    base.setFontSize(size)
    base.setColor(skia.ColorSetARGB(0, 0, 0, 0))  # only the strokes are painted
    if style.bold:
        base.setFontStyle(skia.FontStyle.Bold())
    ps = skia.textlayout.ParagraphStyle()
    ps.setTextStyle(base)
    ps.setTextAlign(_ALIGN[align])
    builder = skia.textlayout.ParagraphBuilder(ps, _collection(), skia.Unicode())
    builder.pushStyle(base)
    parts = laid.split(slot)
    for n, part in enumerate(parts):
        if part:
            builder.addText(part)
        if n < len(parts) - 1:
            marked = skia.textlayout.TextStyle()
            marked.setFontFamilies([style.family, *FALLBACK])
            marked.setFontSize(size)
            marked.setColor(skia.ColorSetARGB(0, 0, 0, 0))
            if style.bold:
                marked.setFontStyle(skia.FontStyle.Bold())
            marked.setDecoration(skia.textlayout.TextDecoration.kLineThrough)
            marked.setDecorationColor(skia.ColorSetARGB(255, 255, (n + 1) // 256, (n + 1) % 256))
            marked.setDecorationThicknessMultiplier(2.0)
            builder.pushStyle(marked)
            builder.addText(slot)
            builder.pop()
    p = builder.Build()
    p.layout(max(1.0, width))
    w, h = max(1, int(math.ceil(width))), max(1, int(math.ceil(p.Height)))
    surface = skia.Surface(w, h)
    surface.getCanvas().clear(skia.ColorTRANSPARENT)
    p.paint(surface.getCanvas(), 0, 0)
    px = surface.makeImageSnapshot().toarray(colorType=skia.kRGBA_8888_ColorType)
    out = []
    for n in range(1, len(parts)):
        hit = (px[:, :, 0] == 255) & (px[:, :, 1] == n // 256) & (px[:, :, 2] == n % 256) & (px[:, :, 3] == 255)
        ys, xs = np.nonzero(hit)
        if len(xs) == 0:
            continue  # cut off by the ellipsis, or a line that did not fit
        out.append(((float(xs.min()) + float(xs.max()) + 1) / 2, float(ys.mean())))
    return out
