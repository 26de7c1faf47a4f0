"""What a zone shows when its widget fails: a calm, bounded card, never a traceback.

The detail (traceback) travels with the view for logs and the API; only the short message is
painted, so the room sees "this zone has a problem", not a stack dump.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skia

from .surface import color, raster
from .text import TextStyle, draw_fitted, fit


@dataclass(frozen=True)
class ErrorView:
    widget: str
    message: str
    detail: str = ""


def paint_error_card(view: ErrorView, width: int, height: int) -> np.ndarray:
    with raster(width, height, "#1d1f26") as (canvas, pixels):
        stripe = max(2, round(min(width, height) * 0.02))
        canvas.drawRect(skia.Rect.MakeXYWH(0, 0, width, stripe), skia.Paint(Color=color("#f2a900")))
        pad = max(4, round(min(width, height) * 0.08))
        inner_w, inner_h = width - 2 * pad, height - 2 * pad - stripe
        if inner_w > 8 and inner_h > 8:
            title_h = inner_h * 0.45
            title = fit(
                f"{view.widget} unavailable",
                inner_w,
                title_h,
                TextStyle("Noto Sans", "#f2a900", True, "center"),
                max_size=120,
                min_size=6,
            )
            draw_fitted(canvas, title, pad, pad + stripe, title_h, "bottom")
            msg = fit(
                view.message[:300],
                inner_w,
                inner_h - title_h,
                TextStyle("Noto Sans", "#c9cdd6", False, "center"),
                max_size=max(6.0, title.size * 0.5),
                min_size=6,
            )
            draw_fitted(canvas, msg, pad, pad + stripe + title_h, inner_h - title_h, "top")
    return pixels
