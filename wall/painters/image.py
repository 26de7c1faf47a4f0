"""`image`'s views and painter; its options and builder are in wall/widgets/image.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from ..paint.card import card, card_box, card_radius
from ..paint.images import PictureUnavailable, draw_picture, draw_picture_icon
from ..paint.status import draw_badge
from ..paint.surface import raster
from ..paint.text import TextStyle, draw_fitted, fit
from .base import DataStatus


@dataclass(frozen=True)
class ImageView:
    source: str  # the path as configured
    path: str  # where it is looked for
    name: str  # the file name, for the placeholder
    fit: str
    padding: float
    refresh: int  # refresh bucket (0 unless refresh_seconds): a new value repaints and re-reads the file
    background: str
    frame: str
    text: str
    muted: str
    status: DataStatus


def _draw_unavailable(
    canvas: skia.Canvas, view: ImageView, reason: str, x: float, y: float, w: float, h: float
) -> None:
    """A calm card: a picture pictogram, 'image unavailable: name', and why in smaller type."""
    pad = min(w, h) * 0.08
    iw, ih = w - 2 * pad, h - 2 * pad
    if iw < 8 or ih < 8:
        return
    icon = min(iw * 0.3, ih * 0.34)
    draw_picture_icon(canvas, x + w / 2, y + pad + ih * 0.3, icon, view.muted)
    line_h = ih * 0.18
    head = fit(
        f"image unavailable: {view.name}",
        iw,
        line_h,
        TextStyle("Noto Sans", view.text, True, "center"),
        max_size=max(8.0, min(56.0, line_h * 0.7)),
        min_size=8,
    )
    draw_fitted(canvas, head, x + pad, y + pad + ih * 0.56, line_h, "top")
    why = fit(
        reason,
        iw,
        line_h * 0.8,
        TextStyle("Noto Sans", view.muted, False, "center"),
        max_size=max(8.0, head.size * 0.7),
        min_size=8,
    )
    draw_fitted(canvas, why, x + pad, y + pad + ih * 0.56 + head.paragraph.Height + line_h * 0.15, line_h * 0.8, "top")


def paint(view: ImageView, width: int, height: int) -> np.ndarray:
    with raster(width, height, view.frame) as (canvas, pixels):
        x, y, w, h = card_box(width, height)
        if w < 4 or h < 4:
            return pixels
        card(canvas, width, height, view.background)
        radius = card_radius(width, height)
        pad = round(min(w, h) * view.padding)
        try:
            if not view.path:
                raise PictureUnavailable("not a local file")
            draw_picture(
                canvas, view.path, x + pad, y + pad, w - 2 * pad, h - 2 * pad, view.fit, radius if pad == 0 else 0.0
            )  # type: ignore[arg-type]
        except PictureUnavailable as exc:
            _draw_unavailable(canvas, view, str(exc), x, y, w, h)
        if view.status.state not in ("ok", "unbound"):  # only a zone bound to a feed has data to be stale
            draw_badge(canvas, 0, 0, width, height, view.status.state, view.status.note, min_px=view.status.min_px)
    return pixels
