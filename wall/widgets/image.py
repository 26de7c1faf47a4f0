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
from typing import Literal

from pydantic import Field, field_validator

from ..config.base import Color
from ..paint.images import display_name, local_path
from ..painters.image import ImageView
from ..painters.image import paint as paint  # the widget's painter
from .base import BindingBase, BuildContext, data_status

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
