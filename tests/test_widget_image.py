"""`image`: a logo or slide from a file; designed placeholder for anything that cannot be shown."""

from __future__ import annotations

import json
import os
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, make_ctx, options, paint, render, snapshot_with

from wall.assets import ASSETS, ROOT
from wall.config.base import rgba
from wall.paint import images
from wall.scenes.views import to_json


def near(pixels: np.ndarray, hex_color: str, tol: int = 30) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height (no pixel data): what a hostile or broken file looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------- goldens


def test_golden_logo_contained():
    view, px = render("image", 960, 540, path="asset:logo/wall-logo.png")
    assert view.path == str(ASSETS / "logo" / "wall-logo.png") and view.fit == "contain" and view.padding == 0.08
    assert near(px, "#ff7900", 8) > 100_000  # the orange tile, scaled up to the zone
    assert_golden("image_logo", px)


def test_golden_slide_covering_the_zone():
    view, px = render("image", 640, 360, path="assets/demo/photo3.png", fit="cover")
    assert view.padding == 0.0
    assert_golden("image_cover", px)


def test_golden_missing_file_placeholder():
    view, px = render("image", 640, 360, path="asset:logo/brand-2027.png")
    assert view.name == "brand-2027.png"
    assert near(px, THEME.text, 10) > 1_000 and near(px, THEME.muted, 10) > 500
    assert_golden("image_unavailable", px)


# ------------------------------------------------------------------------------- paths and options


def test_paths_resolve_without_touching_the_disk():
    assert images.local_path("asset:demo/photo1.png") == str(ASSETS / "demo" / "photo1.png")
    assert images.local_path("assets/demo/photo1.png") == str(ROOT / "assets" / "demo" / "photo1.png")
    assert images.local_path("/srv/slides/a.png") == "/srv/slides/a.png"
    assert images.local_path("file:///srv/slides/a%20b.png") == "/srv/slides/a b.png"
    assert images.local_path("https://example.com/a.png") is None
    assert images.local_path("") is None
    view = build("image", make_ctx(640, 360), path="/nowhere/at/all.png")  # builds fine; the painter finds out
    assert view.path == "/nowhere/at/all.png" and view.name == "all.png"


def test_options_are_validated():
    for bad in (
        {"path": ""},
        {"path": "   "},
        {"path": "https://cdn.example.com/logo.png"},
        {"path": "a.png", "fit": "stretch"},
        {"path": "a.png", "background": "orange"},
        {"path": "a.png", "padding": 0.9},
        {"path": "a.png", "refresh_seconds": 1},
        {"path": "a.png", "x": 1},
    ):
        with pytest.raises(ValidationError):
            options("image", **bad)
    with pytest.raises(ValidationError):
        options("image")  # path is required


def test_view_is_constant_unless_refresh_is_asked():
    views = {
        build("image", make_ctx(640, 360, t=T0 + timedelta(seconds=s)), path="asset:logo/wall-logo.png")
        for s in range(0, 600, 7)
    }
    assert len(views) == 1
    refreshing = {
        build(
            "image",
            make_ctx(640, 360, t=T0 + timedelta(seconds=s)),
            path="asset:logo/wall-logo.png",
            refresh_seconds=60,
        ).refresh
        for s in range(0, 600, 7)
    }
    assert len(refreshing) == 10
    json.dumps(to_json(next(iter(views))), allow_nan=False)


def test_background_option_and_transparent_logo():
    view, px = render("image", 960, 540, path="asset:logo/wall-logo.png", background="#ffffff")
    assert view.background == "#ffffff"
    # the logo's transparent corners show the chosen background, not black
    assert (px[60, 60, :3] == 255).all()


# ------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("junk.png", b"definitely not a picture", "not a readable image"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG is not supported; use a PNG"),
        ("empty.png", b"", "not a readable image"),
    ],
)
def test_undecodable_files_get_the_placeholder(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(images.PictureUnavailable, match=reason):
        images.picture(str(path), 100, 100)
    view, px = render("image", 640, 360, path=str(path))
    assert near(px, THEME.text, 10) > 500  # the "image unavailable" card, not an error card


def test_directory_and_huge_images_are_refused(tmp_path):
    with pytest.raises(images.PictureUnavailable, match="not a file"):
        images.picture(str(tmp_path), 10, 10)
    huge = tmp_path / "huge.png"
    png_header_only(huge, 30_000, 30_000)
    with pytest.raises(images.PictureUnavailable, match="too large"):
        images.picture(str(huge), 10, 10)
    big = tmp_path / "big.png"
    png_header_only(big, 10_000, 5_000)  # under Pillow's own limit, over what a wall ever needs
    with pytest.raises(images.PictureUnavailable, match=r"too large \(10000x5000\)"):
        images.picture(str(big), 10, 10)
    _, px = render("image", 320, 180, path=str(huge))
    assert px.shape == (180, 320, 4)


def test_a_replaced_file_shows_up_on_the_next_paint(tmp_path):
    path = tmp_path / "slide.png"
    Image.new("RGB", (64, 36), (255, 0, 0)).save(path)
    view = build("image", make_ctx(320, 180), path=str(path), fit="cover")
    first = paint("image", view, 320, 180)
    assert near(first, "#ff0000", 4) > 40_000
    Image.new("RGB", (64, 36), (0, 0, 255)).save(path)
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1_000_000))
    second = paint("image", view, 320, 180)
    assert near(second, "#0000ff", 4) > 40_000


def test_exif_rotation_and_palette_images(tmp_path):
    tall = Image.new("RGB", (40, 80), (0, 200, 0))
    exif = tall.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": a phone photo taken in portrait
    tall.save(tmp_path / "phone.jpg", exif=exif)
    img = images.picture(str(tmp_path / "phone.jpg"), 400, 400)
    assert (img.width(), img.height()) == (400, 200)  # shown the right way up: wide
    Image.new("P", (10, 10), 3).save(tmp_path / "pal.gif")
    assert images.picture(str(tmp_path / "pal.gif"), 20, 20).width() == 20


# ------------------------------------------------------------------------------- feed status


def test_no_feed_means_no_badge_and_a_stale_bound_feed_gets_one():
    _, plain = render("image", 960, 540, path="asset:logo/wall-logo.png")
    assert near(plain[:80, 480:], "#f2a900", 20) == 0
    data = snapshot_with(state="stale", as_of=T0 - timedelta(minutes=30))
    view, px = render("image", 960, 540, path="asset:logo/wall-logo.png", data=data)
    assert view.status.state == "stale" and near(px[:80, 480:], "#f2a900", 20) > 300


def test_tiny_zones_do_not_crash():
    for w, h in ((1, 1), (6, 6), (40, 20)):
        _, px = render("image", w, h, path="asset:logo/wall-logo.png")
        assert px.shape == (h, w, 4)
    for w, h in ((1, 1), (6, 6), (40, 20)):
        _, px = render("image", w, h, path="asset:logo/missing.png")
        assert px.shape == (h, w, 4)
