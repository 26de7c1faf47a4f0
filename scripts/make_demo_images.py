"""Draw the demo pictures: assets/demo/photo1-3.png (photos attached to demo posts) and
assets/logo/wall-logo.png (the "wall" wordmark the demo's `image` zone shows).

They are procedurally generated here (numpy + Pillow + skia, all project dependencies), so the
repository carries no third-party photos and no licence questions: the output is ours (Apache-2.0,
like the code). The wordmark is set in Noto Sans Bold from assets/fonts (SIL OFL 1.1, which allows
using the font in pictures). Deterministic: running it again gives the same files.

    .venv/bin/python scripts/make_demo_images.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import skia
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wall.paint.text import TextStyle, paragraph  # noqa: E402

W, H = 480, 320


def _mix(a, b, t):
    t = np.clip(t, 0.0, 1.0)[..., None]
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def _ridge(x: np.ndarray, base: float, waves: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """Height (in rows) of a hill line across the picture: a sum of smooth sines."""
    y = np.full_like(x, base)
    for amp, freq, phase in waves:
        y += amp * np.sin(x * freq + phase)
    return y


def _landscape(sky_top, sky_low, sun_xy, sun_color, layers) -> np.ndarray:
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    img = _mix(sky_top, sky_low, ys / (H * 0.72))
    sx, sy, sr = sun_xy
    dist = np.hypot(xs - sx, ys - sy)
    img = _mix(img, sun_color, np.clip(1.2 - dist / (sr * 3.2), 0, 0.55))  # glow
    img = _mix(img, sun_color, (dist < sr).astype(np.float32))  # disc
    x = xs[0]
    for base, waves, near, far in layers:
        ridge = _ridge(x, base, waves)
        below = ys >= ridge[None, :]
        shade = _mix(near, far, (ys - ridge[None, :]) / (H - base + 40))
        img = np.where(below[..., None], shade, img)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo1() -> np.ndarray:  # sunset over rolling hills
    return _landscape(
        (38, 45, 110),
        (255, 158, 94),
        (330, 190, 30),
        (255, 236, 180),
        [
            (190, ((14, 0.018, 0.3), (6, 0.051, 1.0)), (120, 86, 140), (90, 60, 110)),
            (226, ((12, 0.013, 2.0), (5, 0.07, 0.4)), (72, 58, 112), (52, 40, 88)),
            (262, ((10, 0.021, 4.1), (4, 0.09, 2.2)), (34, 30, 70), (24, 20, 52)),
        ],
    )


def photo2() -> np.ndarray:  # morning sea and a headland
    img = _landscape(
        (120, 180, 235),
        (222, 238, 250),
        (110, 80, 26),
        (255, 250, 225),
        [
            (170, ((22, 0.011, 0.8), (8, 0.04, 0.2)), (96, 128, 110), (70, 100, 88)),
            (208, ((0.8, 0.2, 0.0),), (40, 120, 170), (20, 72, 128)),  # the sea: nearly flat
        ],
    )
    return img


def photo3() -> np.ndarray:  # city skyline at dusk
    img = _landscape((20, 24, 60), (236, 120, 110), (240, 236, 24), (255, 214, 160), [])
    ys, xs = np.mgrid[0:H, 0:W]
    rng = np.random.default_rng(7)
    x = 0
    while x < W:
        bw = int(rng.integers(26, 60))
        top = int(rng.integers(120, 230))
        tone = rng.integers(18, 40)
        img[top:, x : x + bw] = (tone, tone + 4, tone + 28)
        for wy in range(top + 10, H - 10, 16):  # lit windows on a regular grid
            for wx in range(x + 6, x + bw - 10, 12):
                if rng.random() < 0.35:
                    img[wy : wy + 6, wx : wx + 5] = (255, 214, 120)
        x += bw + int(rng.integers(0, 2)) * int(rng.integers(8, 20))  # now and then a gap
    return img


def _save_png(pixels: np.ndarray, path: Path) -> None:
    # smooth gradients compress well: full-colour PNGs stay far under 60 KB, without palette banding
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path, optimize=True)


def logo(scale: int = 2) -> np.ndarray:
    """'wall' wordmark: a 3x2 grid of screens beside the name, white on the brand orange tile
    (readable on the dark and the light theme alike). Transparent outside the tile. Drawn at twice
    its nominal 628x240 so a 4K zone scales it down, not up."""
    k = scale
    word = paragraph("wall", 150 * k, 1000 * k, TextStyle("Noto Sans", "#ffffff", True, "left"))
    cell, gap, margin, h = 46 * k, 10 * k, 56 * k, 240 * k
    grid_w = 3 * cell + 2 * gap
    text_x = margin + grid_w + 48 * k
    w = int(text_x + word.LongestLine + margin)
    pixels = np.zeros((h, w, 4), np.uint8)
    surface = skia.Surface(pixels, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kPremul_AlphaType)
    canvas = surface.getCanvas()
    canvas.clear(skia.ColorTRANSPARENT)
    orange = skia.Paint(Color=skia.Color(255, 121, 0), AntiAlias=True)
    canvas.drawRoundRect(skia.Rect.MakeXYWH(4 * k, 4 * k, w - 8 * k, h - 8 * k), 44 * k, 44 * k, orange)
    white = skia.Paint(Color=skia.ColorWHITE, AntiAlias=True)
    y0 = (h - (2 * cell + gap)) / 2
    for row in range(2):
        for col in range(3):
            canvas.drawRoundRect(
                skia.Rect.MakeXYWH(margin + col * (cell + gap), y0 + row * (cell + gap), cell, cell),
                7 * k,
                7 * k,
                white,
            )
    word.paint(canvas, text_x, (h - word.Height) / 2 - 6 * k)
    del canvas, surface
    return pixels


def main() -> None:
    demo = ROOT / "assets" / "demo"
    for i, make in enumerate((photo1, photo2, photo3), start=1):
        _save_png(make(), demo / f"photo{i}.png")
    out = ROOT / "assets" / "logo" / "wall-logo.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    # skia's pixels are premultiplied; Pillow's 'RGBa' mode says so, and converts to straight alpha
    mark = logo()
    Image.frombuffer("RGBa", (mark.shape[1], mark.shape[0]), mark.tobytes(), "raw", "RGBa", 0, 1).convert("RGBA").save(
        out, optimize=True
    )
    for p in sorted(demo.glob("*.png")) + [out]:
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
