"""Pictures from files for painters: logos, slides, post photos and avatars.

A picture is named by a reference: 'asset:demo/photo1.png' (a file under assets/, never outside it),
'file:///abs.png', an absolute path, or a path relative to the repository root. `local_path` turns a
reference into a path without touching the disk, so widgets can call it in build(); http(s)
references give None: painters never go to the network (callers draw a placeholder instead).

Only the wall's config names files. A reference that came from a feed (a post's picture, an
author's avatar: a `feeds.urls.FeedURL`, or any reference passed with `feed=True`) is never opened
from this machine's files, whatever it says ('asset:../..', 'file:///etc/passwd', '/etc/passwd',
'../x.png'): the feeds' models already refuse such URLs where feed data enters (the check in
feeds/urls.py), and this is the second lock, for one that slipped past. The exceptions are the pictures bundled for
the demo feed ('asset:demo/photo1.png', confined to assets/demo/) and the files of the web picture
cache (wall/pictures.py): a file named '<sha-256>.png' directly inside a directory that
WALL_PICTURE_CACHE names (set by the picture service, inherited by painter processes; never by a feed).

Decoding (Pillow) and scaling happen here, in the painter, never on the render thread. Scaled
pictures are cached per process, keyed by the file's mtime and size, so a replaced file shows up
on the next repaint and a page flip back to an already-seen post costs no decode.

A picture is never decoded into more than MAX_PIXELS: its size is read from its header first, and a
larger one (a 20000 x 20000 PNG of a few kilobytes, a decompression bomb) is refused before a single
row is decompressed; Pillow's own bomb check (Image.MAX_IMAGE_PIXELS) is a looser second lock. A
refused or unreadable file is logged once (per version of the file) and remembered, so the painter
draws its placeholder on every repaint without opening the file again.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

import numpy as np
import skia
from PIL import Image, ImageOps, UnidentifiedImageError

from feeds.urls import BUNDLED_PICTURE, FeedURL, web_url

from ..assets import ASSETS, ROOT

Fit = Literal["contain", "cover"]

# A wall never needs more than a 4K slide; anything larger is refused before it is decoded (a
# 20000 x 20000 PNG would take 1.6 GB and seconds of a worker's time).
MAX_PIXELS = 40_000_000
_CACHE_SIZE = 48
_cache: OrderedDict[tuple, skia.Image] = OrderedDict()
# files that could not be decoded (too large, not an image), by version: the reason, told once
_REFUSED_SIZE = 256
_refused: OrderedDict[tuple, str] = OrderedDict()

log = logging.getLogger("wall.paint.images")


# where the picture service (wall/pictures.py) keeps the pictures it fetched, os.pathsep-separated
PICTURE_CACHE_ENV = "WALL_PICTURE_CACHE"
_CACHE_NAME = re.compile(r"[0-9a-f]{64}\.png")


def cache_file_name(key: str) -> str:
    """The file name of a cached web picture, from the sha-256 of its URL."""
    return f"{key}.png"


class PictureUnavailable(Exception):
    """The picture cannot be shown; str() is a short reason for the placeholder."""


def from_feed(ref: str | None, feed: bool = False) -> bool:
    """Whether `ref` came from a feed: passed as one (`feed=True`) or marked as one by the feeds' models."""
    return feed or isinstance(ref, FeedURL)


def _inside(path: str, root: Path) -> bool:
    """Whether `path` (normalised) stays inside `root`, symbolic links followed."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top + os.sep)


def local_path(ref: str | None, *, feed: bool = False) -> str | None:
    """The file a reference names (normalised, absolute), or None for remote / empty references, for an
    'asset:' reference that leads outside assets/, and for every reference that came from a feed
    (`from_feed`) but the demo feed's bundled pictures."""
    if not ref:
        return None
    if from_feed(ref, feed):
        return _bundled_picture(ref.strip()) or _cached_picture(ref.strip())
    ref = ref.strip()
    if ref.startswith("asset:"):
        asset = os.path.normpath(ASSETS / ref[len("asset:") :].lstrip("/\\"))
        return asset if _inside(asset, ASSETS) else None
    if ref.startswith("file://"):
        path = Path(unquote(urlparse(ref).path))
    elif "://" in ref or ref.startswith("data:"):
        return None
    else:
        path = Path(ref).expanduser()
        if not path.is_absolute():
            path = ROOT / path
    return os.path.normpath(str(path))


def _bundled_picture(ref: str) -> str | None:
    """The file of one of the demo feed's bundled pictures ('asset:demo/photo1.png'), or None."""
    if not BUNDLED_PICTURE.fullmatch(ref):
        return None
    folder = ASSETS / "demo"
    path = os.path.normpath(folder / ref.rsplit("/", 1)[-1])
    return path if _inside(path, folder) else None


def _cached_picture(ref: str) -> str | None:
    """A file of the web picture cache ('<dir>/<sha-256>.png', dir named by WALL_PICTURE_CACHE), or None."""
    if not _CACHE_NAME.fullmatch(os.path.basename(ref)) or not os.path.isabs(ref):
        return None
    folder = os.path.dirname(os.path.normpath(ref))
    for root in os.environ.get(PICTURE_CACHE_ENV, "").split(os.pathsep):
        if root and os.path.isabs(root) and os.path.normpath(root) == folder:
            return os.path.normpath(ref)
    return None


def _unavailable(ref: str, feed: bool) -> PictureUnavailable:
    """Why `ref` gives no local file."""
    if web_url(ref) is not None:
        return PictureUnavailable("remote pictures are not fetched")
    if from_feed(ref, feed):
        return PictureUnavailable("a feed's picture is never read from this machine's files")
    if ref.strip().startswith("asset:"):
        return PictureUnavailable("not under assets/")
    return PictureUnavailable("remote pictures are not fetched")


def display_name(ref: str) -> str:
    """The file name a person recognises in a placeholder ('wall.png')."""
    name = ref.strip().rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
    return name.split(":", 1)[-1] or ref


def _decode(path: str) -> Image.Image:
    if path.lower().endswith((".svg", ".svgz")):
        raise PictureUnavailable("SVG is not supported; use a PNG")
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 Mpx on; the check below refuses far sooner, and says so in the log
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)  # reads the header only: nothing is decompressed yet
        with im:
            if im.width * im.height > MAX_PIXELS:
                raise PictureUnavailable(f"too large ({im.width}x{im.height})")
            im.seek(0)  # first frame of an animated GIF / WebP
            im = ImageOps.exif_transpose(im)  # phone photos carry their rotation in EXIF
            return im.convert("RGBA")
    except FileNotFoundError:
        raise PictureUnavailable("file not found") from None
    except IsADirectoryError:
        raise PictureUnavailable("not a file") from None
    except PermissionError:
        raise PictureUnavailable("not readable") from None
    except Image.DecompressionBombError:  # Pillow refuses absurd sizes (from 179 Mpx) before we can
        raise PictureUnavailable("too large (a decompression bomb)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PictureUnavailable("not a readable image") from exc


def _scaled(im: Image.Image, width: int, height: int, fit: Fit) -> Image.Image:
    """`im` scaled (Lanczos, in premultiplied alpha so transparent edges do not darken) to fit
    width x height: 'contain' keeps all of it, 'cover' fills the box and crops the overflow."""
    iw, ih = im.size
    scale = (min if fit == "contain" else max)(width / iw, height / ih)
    sw, sh = max(1, round(iw * scale)), max(1, round(ih * scale))
    im = im.convert("RGBa").resize((sw, sh), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if fit == "cover":
        left, top = (sw - width) // 2, (sh - height) // 2
        im = im.crop((left, top, left + min(width, sw), top + min(height, sh)))
    return im


def picture(ref_or_path: str, width: int, height: int, fit: Fit = "contain", *, feed: bool = False) -> skia.Image:
    """The picture scaled for a width x height box (its exact drawn size). Raises PictureUnavailable.
    `feed=True` (or a `FeedURL`): the reference came from a feed, and is never read from disk
    (`local_path`)."""
    path = local_path(ref_or_path, feed=feed)
    if path is None:
        raise _unavailable(ref_or_path or "", feed)
    width, height = max(1, int(width)), max(1, int(height))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise PictureUnavailable("file not found") from None
    except OSError:
        raise PictureUnavailable("not readable") from None
    key = (path, st.st_mtime_ns, st.st_size, width, height, fit)
    img = _cache.get(key)
    if img is not None:
        _cache.move_to_end(key)
        return img
    version = key[:3]
    refused = _refused.get(version)
    if refused is not None:  # told once already: the placeholder, without opening the file again
        raise PictureUnavailable(refused)
    try:
        decoded = _decode(path)
    except PictureUnavailable as exc:
        _refused[version] = str(exc)
        while len(_refused) > _REFUSED_SIZE:
            _refused.popitem(last=False)
        log.warning("picture %s not shown (a placeholder instead): %s", path, exc)
        raise
    scaled = _scaled(decoded, width, height, fit)
    pixels = np.ascontiguousarray(np.asarray(scaled, dtype=np.uint8))
    img = skia.Image.fromarray(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    _cache[key] = img
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return img


def draw_picture(
    canvas: skia.Canvas,
    ref_or_path: str,
    x: float,
    y: float,
    w: float,
    h: float,
    fit: Fit = "contain",
    radius: float = 0.0,
    *,
    feed: bool = False,
) -> None:
    """Draw the picture into the box, centred; 'cover' fills it. Rounded corners when radius > 0.
    Raises PictureUnavailable (callers draw their placeholder). `feed`: as `picture` says."""
    img = picture(ref_or_path, round(w), round(h), fit, feed=feed)
    dx = x + (round(w) - img.width()) / 2
    dy = y + (round(h) - img.height()) / 2
    canvas.save()
    if radius > 0:
        canvas.clipRRect(skia.RRect.MakeRectXY(skia.Rect.MakeXYWH(x, y, w, h), radius, radius), doAntiAlias=True)
    canvas.drawImage(img, round(dx), round(dy))
    canvas.restore()


def draw_picture_icon(canvas: skia.Canvas, cx: float, cy: float, size: float, ink: str) -> None:
    """A simple outlined 'photo' pictogram (frame, hill, sun) for placeholders."""
    from .surface import color

    stroke = max(1.5, size * 0.07)
    paint = skia.Paint(
        Color=color(ink),
        AntiAlias=True,
        Style=skia.Paint.kStroke_Style,
        StrokeWidth=stroke,
        StrokeJoin=skia.Paint.kRound_Join,
        StrokeCap=skia.Paint.kRound_Cap,
    )
    w, h = size, size * 0.78
    x0, y0 = cx - w / 2, cy - h / 2
    canvas.drawRoundRect(skia.Rect.MakeXYWH(x0, y0, w, h), size * 0.1, size * 0.1, paint)
    hill = skia.Path()
    hill.moveTo(x0 + w * 0.12, y0 + h * 0.82)
    hill.lineTo(x0 + w * 0.40, y0 + h * 0.45)
    hill.lineTo(x0 + w * 0.60, y0 + h * 0.68)
    hill.lineTo(x0 + w * 0.72, y0 + h * 0.56)
    hill.lineTo(x0 + w * 0.88, y0 + h * 0.82)
    canvas.drawPath(hill, paint)
    fill = skia.Paint(Color=color(ink), AntiAlias=True)
    canvas.drawCircle(x0 + w * 0.72, y0 + h * 0.28, size * 0.08, fill)
