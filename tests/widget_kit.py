"""Shared tools for widget tests: build contexts with demo data, paint in-process, golden images.

Golden images live in tests/golden/. A missing golden fails the test unless WALL_UPDATE_GOLDEN=1,
which (re)writes it: look at the new PNG before committing it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from wall.config.schema import ThemeConfig
from wall.store import FeedHealth, FeedSnapshot, Store
from wall.widgets.base import BuildContext, ThemeView
from wall.widgets.registry import widget

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
THEME = ThemeView.from_config(ThemeConfig())


def demo_snapshot(t: datetime = T0) -> FeedSnapshot:
    return Store({"demo": ("demo", 60.0)}).snapshot("demo", t)


def snapshot_with(
    posts=(),
    metrics=None,
    state: str = "ok",
    as_of: datetime | None = T0,
    error: str | None = None,
    feed_id: str = "test",
) -> FeedSnapshot:
    """A snapshot with chosen content and health (for empty / stale / failing / bad-data tests)."""
    return FeedSnapshot(
        feed_id, tuple(posts), dict(metrics or {}), as_of, FeedHealth(state, last_success=as_of, last_error=error)
    )


def make_ctx(
    width: int, height: int, *, t: datetime = T0, data=None, theme: ThemeView = THEME, zone_id: str = "z", origin=(0, 0)
) -> BuildContext:
    return BuildContext(
        zone_id=zone_id,
        width=width,
        height=height,
        origin=origin,
        pitch_mm=(0.63, 0.63),
        time=t,
        theme=theme,
        data=data,
    )


def options(name: str, **kw):
    return widget(name).Options(widget=name, **kw)


def build(name: str, ctx: BuildContext, **kw):
    return widget(name).build(options(name, **kw), ctx)


def paint(name: str, view, width: int, height: int) -> np.ndarray:
    pixels = widget(name).paint(view, width, height)
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[0] == height and pixels.shape[2] == 4
    return pixels


def render(name: str, width: int, height: int, *, data=None, t: datetime = T0, **kw) -> tuple[object, np.ndarray]:
    ctx = make_ctx(width, height, t=t, data=data)
    view = build(name, ctx, **kw)
    return view, paint(name, view, width, height)


def assert_golden(name: str, pixels: np.ndarray, *, mean_tol: float = 1.0, bad_share: float = 0.005) -> None:
    """Compare with tests/golden/<name>.png: mean absolute difference at most `mean_tol` (0-255)
    and at most `bad_share` of pixels off by more than 24 in any channel (antialiasing noise
    across skia builds stays under both; a moved or missing element does not)."""
    path = GOLDEN / f"{name}.png"
    rgb = np.ascontiguousarray(pixels[:, :, :3])
    if (
        os.environ.get("WALL_UPDATE_GOLDEN") == "1"
        or not path.exists()
        and os.environ.get("WALL_UPDATE_GOLDEN") == "new"
    ):
        GOLDEN.mkdir(exist_ok=True)
        Image.fromarray(rgb).save(path, optimize=True)
        return
    assert path.exists(), f"no golden image {path}; run with WALL_UPDATE_GOLDEN=new to create it, then look at it"
    want = np.asarray(Image.open(path).convert("RGB"))
    assert want.shape == rgb.shape, (
        f"{name}: size {rgb.shape[1]}x{rgb.shape[0]}, golden {want.shape[1]}x{want.shape[0]}"
    )
    diff = np.abs(want.astype(np.int16) - rgb.astype(np.int16))
    mean = float(diff.mean())
    bad = float((diff.max(axis=2) > 24).mean())
    if mean > mean_tol or bad > bad_share:
        out = Path(os.environ.get("WALL_GOLDEN_OUT", "/tmp")) / f"{name}.actual.png"
        Image.fromarray(rgb).save(out)
        raise AssertionError(f"{name}: differs from golden (mean {mean:.2f}, {bad:.2%} pixels off); actual in {out}")


def distinct_colours(pixels: np.ndarray) -> int:
    return len(np.unique(pixels[:, :, :3].reshape(-1, 3), axis=0))
