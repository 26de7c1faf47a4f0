"""`wallctl doctor`: is this machine ready to run a wall? One line per check, `ok` or `problem`
with how to fix it. Read-only: it installs, creates and changes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

EXPECTED_FONTS = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans CJK JP",
    "Noto Color Emoji",
    "Noto Sans Mono",
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        head = f"{'ok' if self.ok else 'problem':7} {self.name}: {self.detail}"
        return head if self.ok or not self.fix else f"{head}; fix: {self.fix}"


def check_python() -> Check:
    v = sys.version_info
    text = f"Python {v.major}.{v.minor}.{v.micro} ({sys.executable})"
    if v >= (3, 11):
        return Check("python", True, text)
    return Check(
        "python", False, text + " is older than 3.11", "install Python 3.11 or newer and rerun scripts/bootstrap.sh"
    )


def check_gl_packages() -> Check:
    from .render.gl import SYSTEM_PACKAGES

    packages = SYSTEM_PACKAGES.split()
    if shutil.which("dpkg-query") is None:
        return Check("gl packages", True, "not a Debian/Ubuntu system: skipped (the GL context check below decides)")
    missing = []
    for pkg in packages:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    if missing:
        return Check(
            "gl packages", False, f"missing {' '.join(missing)}", f"sudo apt-get install -y {' '.join(missing)}"
        )
    return Check("gl packages", True, f"installed: {' '.join(packages)}")


def check_gl_context() -> Check:
    from .render.gl import SYSTEM_PACKAGES, GLUnavailable, create_headless_context

    try:
        ctx = create_headless_context()
    except GLUnavailable as exc:
        return Check("gl context", False, str(exc).split(";")[0], f"sudo apt-get install -y {SYSTEM_PACKAGES}")
    try:
        renderer, version = ctx.info.get("GL_RENDERER", "?"), ctx.info.get("GL_VERSION", "?")
    finally:
        ctx.release()
    what = "llvmpipe (software)" if "llvmpipe" in renderer.lower() else renderer
    note = "; software rendering: fine for a kiosk, slow for a large wall" if "llvmpipe" in renderer.lower() else ""
    return Check("gl context", True, f"headless EGL: GL_RENDERER {what}, GL {version}{note}")


def check_fonts() -> Check:
    from .paint.text import FONTS, families

    have = set(families())
    missing = [f for f in EXPECTED_FONTS if f not in have]
    if missing:
        return Check(
            "fonts",
            False,
            f"missing {', '.join(missing)} in {FONTS}",
            "restore assets/fonts from the repository (git checkout -- assets/fonts)",
        )
    return Check("fonts", True, f"{len(EXPECTED_FONTS)} shipped families present ({', '.join(EXPECTED_FONTS)})")


def check_screens(loaded=None) -> list[Check]:
    """What screens there are, and with a config, that each display has its screen at its mode."""
    from .outputs.registry import system_screens
    from .outputs.screens import NoScreens, bind_displays

    if not os.environ.get("DISPLAY"):
        cards = sorted(Path("/dev/dri").glob("card*")) if Path("/dev/dri").is_dir() else []
        if not cards:
            return [Check("screens", True, "no X display and no /dev/dri/card*: only --backend headless can run here")]
        usable = [c for c in cards if os.access(c, os.R_OK | os.W_OK)]
        if not usable:
            return [
                Check(
                    "screens",
                    False,
                    f"{', '.join(map(str, cards))} not accessible to this user",
                    "add the user to the video and render groups (sudo usermod -aG video,render $USER) "
                    "or install the kiosk unit with --run-as",
                )
            ]
    try:
        source, screens = system_screens()
    except NoScreens as exc:
        return [Check("screens", False, str(exc), "check DISPLAY and XAUTHORITY (or SDL_VIDEODRIVER on a console)")]
    listed = (
        ", ".join(
            f"{s.name} {s.width}x{s.height}+{s.x}+{s.y}{f' {s.refresh_hz:g} Hz' if s.refresh_hz else ''}"
            for s in screens
        )
        or "none"
    )
    checks = [
        Check(
            "screens",
            bool(screens),
            f"{len(screens)} screen(s) through {source}: {listed}",
            "connect and switch on a monitor",
        )
    ]
    if loaded is not None and screens:
        for b, d in zip(bind_displays(loaded.wall, screens), loaded.wall.displays, strict=True):
            if b.screen is None:
                checks.append(
                    Check(
                        "screens",
                        False,
                        f"display {d.id} has no screen ({b.reason})",
                        "connect it, or give the display the right `output:` (`wallctl displays CONFIG`)",
                    )
                )
            elif (b.screen.width, b.screen.height) != d.resolution:
                checks.append(
                    Check(
                        "screens",
                        False,
                        f"display {d.id} is {d.resolution[0]}x{d.resolution[1]} "
                        f"but {b.screen.name} runs {b.screen.width}x{b.screen.height} (it would be scaled)",
                        f"set the mode (xrandr --output {b.screen.name} --mode "
                        f"{d.resolution[0]}x{d.resolution[1]}) or correct the display's resolution",
                    )
                )
    return checks


def check_config(path: str):
    """The config's checks, and the loaded config (None when it does not load)."""
    from .config.errors import ConfigError
    from .config.loader import load_config

    try:
        loaded = load_config(path)
    except ConfigError as exc:
        problems = [str(p) for p in exc.problems]
        return [
            Check(
                "config",
                False,
                f"{path}: {len(problems)} error(s):\n" + "\n".join(f"    {p}" for p in problems),
                f"correct them (`wallctl check {path}` shows the same)",
            )
        ], None
    detail = f"{path}: valid, '{loaded.config.name}', {len(loaded.warnings)} warning(s)"
    if loaded.warnings:
        detail += "\n" + "\n".join(f"    {w}" for w in loaded.warnings)
    return [Check("config", True, detail)], loaded


def check_credentials(loaded) -> list[Check]:
    from .deploy.systemd import credential_env_vars, slug

    checks = []
    for var in credential_env_vars(loaded):
        if os.environ.get(var):  # names only: a value is never printed
            checks.append(Check("credentials", True, f"{var} is set"))
        else:
            env_file = f"/etc/wall/{slug(loaded.config.name) or 'wall'}.env"
            checks.append(
                Check(
                    "credentials",
                    False,
                    f"{var} is not set",
                    f"export {var}=... where the wall runs (a kiosk unit reads it from {env_file})",
                )
            )
    return checks


def _writable_dir(path: Path) -> tuple[bool, Path]:
    """Whether path can be created or written: its nearest existing ancestor decides."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK), probe


def check_state_dir(config_name: str | None) -> Check:
    from .store import default_store_path

    store = default_store_path(config_name or "wall")
    ok, probe = _writable_dir(store.parent)
    if ok:
        return Check("state dir", True, f"{store.parent} writable (store {store.name})")
    return Check(
        "state dir",
        False,
        f"{store.parent} not writable ({probe} is not a writable folder)",
        f"make {store.parent} writable for this user, set XDG_STATE_HOME, or run with --store PATH",
    )


def run_checks(config: str | None) -> list[Check]:
    checks = [check_python(), check_gl_packages(), check_gl_context(), check_fonts()]
    loaded = None
    if config is not None:
        config_checks, loaded = check_config(config)
    checks += check_screens(loaded)
    if config is not None:
        checks += config_checks
        if loaded is not None:
            checks += check_credentials(loaded)
    checks.append(check_state_dir(loaded.config.name if loaded is not None else None))
    return checks
