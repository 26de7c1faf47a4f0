"""Render every scenario of the demo wall at a fixed time and save small previews in docs/."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wall.config.loader import load_config  # noqa: E402
from wall.render.snapshot import wall_preview  # noqa: E402
from wall.runtime import WallRuntime  # noqa: E402

# mid-page for top_posts (pages turn every 12 s), so no picture catches a transition
WHEN = datetime(2026, 11, 23, 8, 30, 5, tzinfo=timezone.utc)
WIDTH = 1440


def render(config: str, prefix: str, width: int) -> None:
    loaded = load_config(ROOT / "config" / config)
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    rt = WallRuntime(loaded)
    try:
        for name in loaded.scenarios:
            rt.use_scenario(name)
            img = Image.fromarray(wall_preview(loaded.wall, rt.render_at(WHEN))[:, :, :3])
            img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
            path = docs / f"{prefix}-{name}.png"
            img.save(path, optimize=True)
            print(path.relative_to(ROOT))
    finally:
        rt.close()


def main() -> None:
    render("demo.yaml", "demo", WIDTH)
    render("kiosk.yaml", "kiosk", 540)


if __name__ == "__main__":
    main()
