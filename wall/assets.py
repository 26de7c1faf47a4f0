"""Where the files shipped with wall live (fonts, shaders, layouts, demo data)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONTS = ASSETS / "fonts"
SHADERS = ROOT / "shaders"
LAYOUTS = ROOT / "layouts"
CONFIGS = ROOT / "config"
DEMO_CONFIG = CONFIGS / "demo.yaml"
