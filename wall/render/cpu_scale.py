"""A spotlight's scaled picture on the CPU, for software GL.

A spotlight grows one zone's picture (painted at the whole canvas's size) out of the zone's
rectangle to the whole wall, or shrinks it back. On llvmpipe (Debian 12, Mesa 22.3) the scaled
pass costs what every shaded pass costs there, 5-8 ms per 1080p panel (see cpu_mix.py): about 30 fps
on the six-panel demo wall once the picture covers it. Pillow's nearest-neighbour affine transform
fills a 1080p panel from the picture in about 2 ms, lets go of the GIL while it works, so the panels
are scaled on every core at once, and writes straight into memory we hand it: the result goes up
with one texture upload per panel (0.2-0.3 ms).

Pillow has no public call that scales into an existing buffer (resize returns a new image, and
copying that out costs five times the scaling), so this uses the transform method of Pillow's core
image, which Image.transform itself calls. `available()` checks once that it still behaves as this
module expects; where it does not, the compositor keeps its GL pass.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def picture(pixels: np.ndarray) -> Any:
    """A Pillow image over `pixels` ((h, w, 4) uint8 RGBA, C-contiguous), sharing its memory."""
    from PIL import Image

    h, w = pixels.shape[:2]
    return Image.frombuffer("RGBA", (w, h), pixels, "raw", "RGBA", 0, 1)


def scale_into(source: Any, out: np.ndarray, x0: float, y0: float, sx: float, sy: float) -> None:
    """Fill `out` ((h, w, 4) uint8, C-contiguous) with the nearest pixels of `source` (a `picture`):
    out[y, x] = source[floor(y0 + (y + 0.5) * sy), floor(x0 + (x + 0.5) * sx)], to within one source
    pixel (Pillow works in fixed point). (x0, y0): where out's top-left corner falls in the source,
    in source pixels; (sx, sy): source pixels per output pixel."""
    from PIL import Image

    h, w = out.shape[:2]
    if not (h and w):
        return
    target = picture(out)
    target.im.transform(
        (0, 0, w, h), source.im, Image.Transform.AFFINE, (sx, 0.0, x0, 0.0, sy, y0), Image.Resampling.NEAREST, 1
    )


@cache
def available() -> bool:
    """Whether scale_into works with the Pillow installed (checked once, on a small known picture)."""
    try:
        ys, xs = np.mgrid[0:40, 0:60]
        src = np.zeros((40, 60, 4), np.uint8)
        src[..., 0], src[..., 1], src[..., 3] = xs, ys, 255
        out = np.zeros((20, 25, 4), np.uint8)
        scale_into(picture(src), out, 10.0, 4.0, 2.0, 1.5)
        want_x = np.floor(10.0 + (np.arange(25) + 0.5) * 2.0).astype(int)
        want_y = np.floor(4.0 + (np.arange(20) + 0.5) * 1.5).astype(int)
        ok = (
            np.abs(out[..., 0].astype(int) - want_x[None, :]).max() <= 1
            and np.abs(out[..., 1].astype(int) - want_y[:, None]).max() <= 1
            and bool((out[..., 3] == 255).all())
        )
    except Exception as exc:  # an older or newer Pillow without this method: the GL pass it is
        log.warning("spotlight scaling on the CPU is not available (%s): the GL pass draws it", exc)
        return False
    if not ok:
        log.warning("spotlight scaling on the CPU gave unexpected pixels: the GL pass draws it")
    return ok
