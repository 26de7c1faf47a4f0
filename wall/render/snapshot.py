"""Pictures of the wall: one PNG per display at native resolution, and a physical preview.

`<display-id>.png` is exactly what that display's video output sends (native orientation, so a
portrait-mounted panel's PNG is landscape with its content turned). `wall.png` is the wall as a
visitor sees it: every display's picture turned upright and placed at its physical position, with
bezels drawn, so a bezel-compensated line visibly continues across the mullions.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from ..geometry import Display, Wall
from ..paint.text import TextBox
from ..scenes.views import ZoneView, to_json

BEZEL_RGBA = (38, 38, 42, 255)
BACKDROP_RGBA = (14, 14, 16, 255)


def upright(display: Display, native: np.ndarray) -> np.ndarray:
    """A display's native framebuffer turned the way it appears on the wall."""
    # native = rot90(canvas_crop, k) with k = rotation/90 (see geometry); undo it
    k = (display.rotation // 90) % 4
    return np.rot90(native, -k) if k else native


def to_native(display: Display, canvas_crop: np.ndarray) -> np.ndarray:
    k = (display.rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(canvas_crop, k)) if k else canvas_crop


def wall_preview(wall: Wall, natives: dict[str, np.ndarray], scale: float = 1.0) -> np.ndarray:
    """Picture of the physical wall: displays, bezels and the outer frame, at canvas scale times
    `scale` (natives then are each display's picture scaled by about as much: a live preview)."""
    margin_x = max(math.ceil(max(d.bezel.left, d.bezel.right) / wall.pitch_x * scale) for d in wall.displays)
    margin_y = max(math.ceil(max(d.bezel.top, d.bezel.bottom) / wall.pitch_y * scale) for d in wall.displays)
    h, w = round(wall.canvas_h * scale) + 2 * margin_y, round(wall.canvas_w * scale) + 2 * margin_x
    img = np.empty((h, w, 4), np.uint8)
    img[...] = BACKDROP_RGBA
    for d in wall.displays:
        o = d.outer_mm
        x0 = margin_x + math.floor(o.x / wall.pitch_x * scale)
        y0 = margin_y + math.floor(o.y / wall.pitch_y * scale)
        x1 = margin_x + math.ceil(o.x1 / wall.pitch_x * scale)
        y1 = margin_y + math.ceil(o.y1 / wall.pitch_y * scale)
        img[max(0, y0) : y1, max(0, x0) : x1] = BEZEL_RGBA
    for d in wall.displays:
        if d.id not in natives:
            continue  # a display that shows nothing (its screen is unplugged): left dark
        pic = natives[d.id]
        if scale == 1.0 and pic.shape[:2] != d.resolution[::-1]:
            continue  # a window on a screen of another mode (a capture): its own PNG has it, unscaled
        pic = upright(d, pic)
        vp = d.viewport
        x0, y0 = margin_x + round(vp.x * scale), margin_y + round(vp.y * scale)
        ph, pw = min(pic.shape[0], h - y0), min(pic.shape[1], w - x0)
        img[y0 : y0 + ph, x0 : x0 + pw] = pic[:ph, :pw]
    return img


def write_png(path: Path, pixels: np.ndarray) -> None:
    Image.fromarray(np.ascontiguousarray(pixels[:, :, :3]), "RGB").save(path, optimize=False, compress_level=3)


def write_snapshot(out_dir: Path, wall: Wall, natives: dict[str, np.ndarray]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for d in wall.displays:
        if d.id not in natives:
            continue
        p = out_dir / f"{d.id}.png"
        write_png(p, natives[d.id])
        written.append(p)
    p = out_dir / "wall.png"
    write_png(p, wall_preview(wall, natives))
    written.append(p)
    return written


def write_state(
    path: Path,
    scenario: str,
    t: datetime,
    zones: dict[str, dict],
    views: Mapping[str, ZoneView],
    text_boxes: Mapping[str, Sequence[TextBox]] | None = None,
) -> None:
    """state.json: what every zone shows (its widget and view-model), for tests and tools that
    check the wall without reading pixels; `text` lists where its painter drew text (x, y, w, h
    in zone pixels: add the zone's rect for canvas pixels)."""
    boxes = text_boxes or {}
    state = {
        "time": t.isoformat(),
        "scenario": scenario,
        "zones": {
            zone_id: {
                "widget": views[zone_id][0],
                "rect": zones[zone_id],
                "view": to_json(views[zone_id][1]),
                "text": [dataclasses.asdict(b) for b in boxes.get(zone_id, ())],
            }
            for zone_id in views
        },
    }
    path.write_text(json.dumps(state, indent=1, ensure_ascii=False, allow_nan=False))
