"""Render every scenario of the demo wall at a fixed time and save small previews in docs/."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wall.config.loader import load_config  # noqa: E402
from wall.render.snapshot import wall_preview  # noqa: E402
from wall.runtime import WallRuntime  # noqa: E402

# mid-page for top_posts (pages turn every 12 s), so no picture catches a transition
WHEN = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)
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


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def console(path: Path) -> None:
    """The web console of a live demo wall, signed in as an operator, in Debian's Chromium."""
    import os
    import secrets
    import time

    from playwright.sync_api import sync_playwright

    from wall.live import BackgroundWall

    token = secrets.token_hex(8)
    os.environ["WALL_OPERATOR_TOKEN"] = token
    wall = BackgroundWall(ROOT / "config" / "demo.yaml", watch=False, start_time=WHEN)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(wall.url + "/")
            page.locator("input[type=password]").first.fill(token)
            page.keyboard.press("Enter")
            time.sleep(4)  # two status polls and a preview
            page.screenshot(path=str(path))
            browser.close()
    finally:
        wall.stop()
    print(path.relative_to(ROOT))


def main() -> None:
    render("demo.yaml", "demo", WIDTH)
    render("kiosk.yaml", "kiosk", 540)
    if CHROMIUM.exists():
        console(ROOT / "docs" / "console.png")
    else:
        print("docs/console.png not made: install chromium (sudo apt-get install -y chromium)")


if __name__ == "__main__":
    main()
