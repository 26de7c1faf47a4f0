"""Text layout for painters: skia's paragraph engine over the fonts shipped in assets/fonts.

Only shipped fonts are used (never the system's), so a fresh machine paints the same pixels, and
fallback between them is skia's. Fitting finds the largest size at which the text fits its box;
below the smallest legible size it is cut with an ellipsis instead of overflowing.

Bezels: a zone that spans several panels has canvas pixels hidden behind their bezels. While a
zone is painted under `avoid_bezels(parts)` (the pieces of it each panel shows), `draw_fitted`
keeps every line inside one piece: a text that would cross a mullion is broken before it and
flows on in the next panel, or moves into one panel (at the largest size that fits, never below
its fit's smallest size). `record_text_boxes` lists the box of every paragraph painted, in zone
pixels, for state.json, the bezel test and `wallctl check`.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
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


@dataclass(frozen=True)
class TextBox:
    """Where a painted paragraph's lines sit, in zone pixels (the union of its lines: conservative)."""

    x: float
    y: float
    w: float
    h: float
    text: str


Part = tuple[int, int, int, int]  # x, y, w, h in zone px: a piece of the zone one panel shows


class _PaintContext(threading.local):
    parts: tuple[Part, ...] = ()  # () : the zone is wholly on one panel, nothing to avoid
    boxes: list[TextBox] | None = None


_paint = _PaintContext()


class avoid_bezels:
    """Paint text in this thread inside these visible parts of the zone (zone px; `Rect`s or
    (x, y, w, h) tuples): see the module's note. An empty list lifts the constraint."""

    def __init__(self, parts: Iterable[object]):
        self.parts: tuple[Part, ...] = tuple(_as_part(p) for p in parts)

    def __enter__(self) -> tuple[Part, ...]:
        self._before = _paint.parts
        _paint.parts = self.parts
        return self.parts

    def __exit__(self, *exc: object) -> None:
        _paint.parts = self._before


def _as_part(p: object) -> Part:
    if isinstance(p, (tuple, list)):
        x, y, w, h = p
        return int(x), int(y), int(w), int(h)
    return int(p.x), int(p.y), int(p.w), int(p.h)  # type: ignore[attr-defined]


class record_text_boxes:
    """Collect the TextBox of every paragraph painted in this thread (made while recording)."""

    def __enter__(self) -> list[TextBox]:
        self._before = _paint.boxes
        _paint.boxes = []
        return _paint.boxes

    def __exit__(self, *exc: object) -> None:
        _paint.boxes = self._before


class _Recorded:
    """A paragraph that notes its box when painted. Painters call `.paint(canvas, x, y)` on what
    the helpers here give them, so every text a painter draws is seen, whichever helper made it."""

    def __init__(self, p: skia.textlayout.Paragraph, text: str, align: str):
        self._p, self._text, self._align = p, text, align

    def __getattr__(self, name: str) -> object:
        return getattr(self._p, name)

    def paint(self, canvas: skia.Canvas, x: float, y: float) -> None:
        if _paint.boxes is not None and self._text.strip():
            bx, by, bw, bh = _zone_box(canvas, _local_box(self._p, self._align, x, y))
            _paint.boxes.append(TextBox(round(bx, 1), round(by, 1), round(bw, 1), round(bh, 1), self._text))
        self._p.paint(canvas, x, y)


def _local_box(p: skia.textlayout.Paragraph, align: str, x: float, y: float) -> tuple[float, float, float, float]:
    """The box a paragraph painted at (x, y) covers, in the canvas's current coordinates: its
    longest line placed as its alignment places it (skia-python exposes no per-line metrics)."""
    used = p.LongestLine
    spare = p.Width - used
    dx = {"left": 0.0, "center": spare / 2, "right": spare}.get(align, 0.0)
    return x + dx, y, used, p.Height


def _zone_box(canvas: skia.Canvas, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    r = canvas.getTotalMatrix().mapRect(skia.Rect.MakeXYWH(*box))
    return r.left(), r.top(), r.width(), r.height()


def paragraph(text: str, size: float, width: float, style: TextStyle) -> skia.textlayout.Paragraph:
    _record(size, text)
    return _layout(text, size, width, style)


def line_width(text: str, size: float, style: TextStyle) -> float:
    """The width of text's longest line at `size`: a measurement for planning a layout, not a
    paint (so the legibility check does not record it)."""
    return float(_layout(text, size, 1e6, style).LongestLine)


def _layout(text: str, size: float, width: float, style: TextStyle) -> skia.textlayout.Paragraph:
    ts = skia.textlayout.TextStyle()
    ts.setFontFamilies([style.family, *FALLBACK])
    ts.setFontSize(size)
    ts.setColor(color(style.color))
    if style.bold:
        ts.setFontStyle(skia.FontStyle.Bold())
    directed, align = _directed(text, style.align)
    ps = skia.textlayout.ParagraphStyle()
    ps.setTextStyle(ts)
    ps.setTextAlign(_ALIGN[align])
    builder = skia.textlayout.ParagraphBuilder(ps, _collection(), skia.Unicode())
    builder.pushStyle(ts)
    builder.addText(directed)
    p = builder.Build()
    p.layout(max(1.0, width))
    return _Recorded(p, text, align) if _paint.boxes is not None else p  # type: ignore[return-value]


def _fits(p: skia.textlayout.Paragraph, w: float, h: float) -> bool:
    return p.Height <= h + 0.5 and p.LongestLine <= w + 0.5


@dataclass
class Fitted:
    paragraph: skia.textlayout.Paragraph
    size: float
    text: str  # the text as painted (ellipsised if it had to be cut)
    truncated: bool
    # how it was fitted, so draw_fitted can lay it out again around a bezel (None: it cannot)
    style: TextStyle | None = None
    min_size: float = 10.0
    source: str = ""  # the whole text, before any ellipsis


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
        return Fitted(p, size, text, False, style, min_size, text)
    fitted = _ellipsise(text, width, height, style, int(min_size))
    _record(fitted.size, fitted.text)
    fitted.style, fitted.min_size, fitted.source = style, min_size, text
    return fitted


def fits(text: str, size: float, width: float, height: float, style: TextStyle) -> bool:
    """Whether `text` fits width x height at `size` (a trial: nothing is recorded)."""
    return _fitting(text, int(size), width, height, style) is not None


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
    if _paint.parts and _around_bezels(canvas, fitted, x, y, y + max(0.0, dy), height, valign):
        return
    fitted.paragraph.paint(canvas, x, y + max(0.0, dy))


# ------------------------------------------------------------------------------ around bezels

Span = tuple[float, float]
# A text read in one piece is worth some size: it moves into one panel rather than breaking over a
# mullion unless breaking keeps it more than this much larger.
SPLIT_SIZE_SHARE = 0.85
Piece = tuple[float, float, skia.textlayout.Paragraph]  # x, y below the block's top, one line of the text


def _around_bezels(
    canvas: skia.Canvas, fitted: Fitted, x: float, y: float, top: float, height: float, valign: str
) -> bool:
    """Paint `fitted` so that no line meets a bezel, when as placed it would; False: leave it as
    placed (it meets none, or it cannot be moved: `wallctl check` then warns about it).

    The text's band (its layout width x `height`, from y) is cut by the panels' edges into rows
    and, in each row, spans of one panel each. In the row where it is largest, the words flow
    through the spans (`_flow`): a line never continues over a mullion, it breaks before it.
    A text that does not fit whole at its smallest size is cut with an ellipsis in the widest span
    (as fit() would), but only if it was cut already."""
    m = canvas.getTotalMatrix()
    if fitted.style is None or not m.isScaleTranslate():
        return False
    sx, sy, tx, ty = m.getScaleX(), m.getScaleY(), m.getTranslateX(), m.getTranslateY()
    parts = [((px - tx) / sx, (py - ty) / sy, pw / sx, ph / sy) for px, py, pw, ph in _paint.parts]
    _, align = _directed(fitted.text, fitted.style.align)
    bx, _, bw, _ = box = _local_box(fitted.paragraph, align, x, top)
    if _inside_one(box, parts):
        return False
    # where the eye looks for the text: its start, its end or its middle, as it is aligned
    anchor = {"left": bx, "right": bx + bw}.get(align, bx + bw / 2)
    width = fitted.paragraph.Width
    rows = _rows(parts, (x, x + width), (y, y + height))
    best: tuple[int, list[Piece], Span] | None = None
    score = 0.0
    for band, spans in rows:
        # the words through every span of the row, or the whole text in the panel it is anchored in
        home = min(spans, key=lambda s: 0.0 if s[0] <= anchor <= s[1] else min(abs(s[0] - anchor), abs(s[1] - anchor)))
        for tried in [spans, [home]] if len(spans) > 1 else [spans]:
            found = _largest(
                int(fitted.min_size),
                int(fitted.size),
                partial(_flow_at, fitted.source, tried, band[1] - band[0], fitted.style),
            )
            if found is None:
                continue
            split = len({x for x, _, _ in found[1]}) > 1
            if found[0] * (SPLIT_SIZE_SHARE if split else 1.0) > score:
                score, best = found[0] * (SPLIT_SIZE_SHARE if split else 1.0), (found[0], found[1], band)
    if best is None:
        if not fitted.truncated or not rows:
            return False
        band, spans = max(rows, key=lambda r: max(b - a for a, b in r[1]) * (r[0][1] - r[0][0]))
        a, b = max(spans, key=lambda s: s[1] - s[0])
        cut = _ellipsise(fitted.source, b - a - 1, band[1] - band[0] - 1, fitted.style, int(fitted.min_size))
        best = (int(cut.size), [(a + 0.5, 0.0, cut.paragraph)], band)
    size, pieces, (y0, y1) = best
    block = max(dy + p.Height for _, dy, p in pieces)
    spare = (y1 - y0) - block
    py = y0 + max(0.0, {"top": 0.0, "middle": spare / 2, "bottom": spare}[valign])
    for px, dy, p in pieces:
        _record(size, getattr(p, "_text", fitted.source))
        p.paint(canvas, px, py + dy)
    return True


def _inside_one(box: tuple[float, float, float, float], parts: Sequence[tuple[float, float, float, float]]) -> bool:
    """Whether the box lies within one visible part (clipped to the zone: what falls outside it
    is not shown anyway), measured in whole pixels as the bezel test measures it."""
    zx0 = min(p[0] for p in parts)
    zy0 = min(p[1] for p in parts)
    zx1 = max(p[0] + p[2] for p in parts)
    zy1 = max(p[1] + p[3] for p in parts)
    bx0, by0 = max(box[0], zx0), max(box[1], zy0)
    bx1, by1 = min(box[0] + box[2], zx1), min(box[1] + box[3], zy1)
    if bx1 <= bx0 or by1 <= by0:
        return True
    eps = 1e-6
    return any(
        px - eps <= bx0 and bx1 <= px + pw + eps and py - eps <= by0 and by1 <= py + ph + eps
        for px, py, pw, ph in parts
    )


def _rows(parts: Sequence[tuple[float, float, float, float]], xs: Span, ys: Span) -> list[tuple[Span, list[Span]]]:
    """The band xs x ys cut by panel edges: [(the rows' y span, its spans of x, left to right)],
    the tallest row first. Parts that share a y span form a row."""
    by_row: dict[Span, list[Span]] = {}
    for px, py, pw, ph in parts:
        x0, x1 = max(xs[0], px), min(xs[1], px + pw)
        # a panel's top or bottom edge inside the band is kept a pixel away from (a line may
        # overrun its band by half a pixel, and boxes are measured in whole pixels)
        y0 = py + 1 if py > ys[0] else ys[0]
        y1 = py + ph - 1 if py + ph < ys[1] else ys[1]
        if x1 - x0 >= 1 and y1 - y0 >= 1:
            by_row.setdefault((y0, y1), []).append((x0, x1))
    return sorted(((band, sorted(spans)) for band, spans in by_row.items()), key=lambda r: r[0][0] - r[0][1])


WORDS = re.compile(r"\S+\s*")


def _words_fit(
    words: Sequence[str], start: int, size: int, width: float, height: float, style: TextStyle, k: int
) -> skia.textlayout.Paragraph | None:
    return _fitting("".join(words[start : start + k]).rstrip(), size, width, height, style)


def _flow_at(text: str, spans: Sequence[Span], height: float, style: TextStyle | None, size: int) -> list[Piece] | None:
    return _flow(text, size, spans, height, style)


def _flow(text: str, size: int, spans: Sequence[Span], height: float, style: TextStyle | None) -> list[Piece] | None:
    """The words of `text` poured at `size` line by line, and in each line span by span, left to
    right: a line that reaches a mullion breaks before it and goes on past it, so the text still
    reads left to right, top to bottom. None when the words do not all fit in `height`. A span
    too narrow for the next word is left empty on that line; a line break in the text starts a
    line."""
    assert style is not None
    line_h = _layout("Hg", size, 1000.0, style).Height
    # one line of any script: taller than a Latin line where a fallback font (emoji, CJK) sits in it
    one_line = line_h * 1.45
    placed: list[Piece] = []
    y = 0.0
    for para in (WORDS.findall(part) for part in text.split("\n")):
        i = 0
        while True:
            if y + line_h > height + 0.5:
                return None
            tallest = line_h
            start = i
            for a, b in spans:
                if i >= len(para):
                    break
                # a pixel inside each edge, so rounding to whole pixels never reaches the bezel
                took = _largest(1, len(para) - i, partial(_words_fit, para, i, size, b - a - 1, one_line, style))
                if took is None:
                    continue
                k, p = took
                placed.append((a + 0.5, y, p))
                tallest = max(tallest, p.Height)
                i += k
            if para and i == start:
                return None  # a word wider than every span
            y += tallest
            if i >= len(para):
                break
    return placed if placed and y <= height + 0.5 else None


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
