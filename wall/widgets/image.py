"""`image`: a logo or a slide from a file, scaled to its zone.

`path` is 'asset:logo/wall-logo.png' (under assets/), an absolute path, or a path relative to the
repository root (the widget is not told where the config file lives). build() only resolves the
name (no disk access: it runs on the render thread every frame); the painter decodes with Pillow in
a worker and scales with Lanczos filtering. A missing, unreadable or unsupported file shows a
designed "image unavailable: <name>" card with the reason, never an error card.

A file replaced on disk is picked up at the next repaint; with `refresh_seconds` the zone repaints
that often, so a slide updated by someone else appears without restarting the wall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import skia
from pydantic import Field, field_validator

from ..config.base import Color
from ..paint.card import card, card_box, card_radius
from ..paint.images import PictureUnavailable, display_name, draw_picture, draw_picture_icon, local_path
from ..paint.status import draw_badge
from ..paint.surface import raster
from ..paint.text import TextStyle, draw_fitted, fit
from .base import BindingBase, BuildContext, DataStatus, data_status

NAME = "image"
TEXT_BEARING = False


class ImageOptions(BindingBase):
    widget: Literal["image"]
    path: str = Field(
        min_length=1,
        max_length=1000,
        description="'asset:logo/wall-logo.png' (under assets/), an absolute path, or a path relative to "
        "the repository root; PNG, JPEG, WebP, GIF (first frame), BMP, TIFF",
    )
    fit: Literal["contain", "cover"] = Field(
        default="contain",
        description="contain: all of the picture, centred; cover: fill the zone, cropping the overflow",
    )
    background: Color | None = Field(
        default=None, description="colour around the picture; default: the theme's surface"
    )
    padding: float | None = Field(
        default=None,
        ge=0.0,
        le=0.4,
        description="margin as a share of the zone's smaller side; default 0.08 for contain, 0 for cover",
    )
    refresh_seconds: int | None = Field(
        default=None, ge=5, le=86_400, description="re-read the file this often (for slides updated on disk)"
    )

    @field_validator("path")
    @classmethod
    def _local(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("path is empty; write e.g. 'asset:logo/wall-logo.png'")
        if local_path(v) is None:
            raise ValueError(
                f"'{v}' is not a file: the image widget shows local files only (a path, or "
                "'asset:...' for a file under assets/); download the picture first"
            )
        return v


Options = ImageOptions  # the name the widget registry looks for


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


def build(options: ImageOptions, ctx: BuildContext) -> ImageView:
    padding = options.padding if options.padding is not None else (0.08 if options.fit == "contain" else 0.0)
    refresh = math.floor(ctx.time.timestamp() / options.refresh_seconds) if options.refresh_seconds else 0
    return ImageView(
        source=options.path,
        path=local_path(options.path) or "",
        name=display_name(options.path),
        fit=options.fit,
        padding=padding,
        refresh=refresh,
        background=options.background or ctx.theme.surface,
        frame=ctx.theme.background,
        text=ctx.theme.text,
        muted=ctx.theme.muted,
        status=data_status(ctx.data, ctx.time, ctx.min_text_px),
    )


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
