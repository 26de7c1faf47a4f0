"""A real X server with six monitors for the window tests: Xorg with the dummy video driver.

Xvfb cannot present several monitors to pyglet or SDL; Xorg's dummy driver can, through XRandR
(outputs DUMMY0..DUMMY15). The server gets a 5760x2160 virtual screen; each output is given a
1920x1080 mode and a place in a 3x2 grid, as a multi-output graphics card would drive a wall.
Xorg runs as root here (the dummy driver needs no hardware, but the server wants privileges);
as an ordinary user these tests are skipped with the line that enables them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGES = "xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils x11-utils xdotool"
INSTALL_LINE = f"sudo apt-get install -y {PACKAGES}"

XORG_CONF = """\
Section "Device"
    Identifier "dummy"
    Driver "dummy"
    VideoRam 256000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
    Modeline "1920x1080" 148.50 1920 2008 2052 2200 1080 1084 1089 1125 +hsync +vsync
EndSection
Section "Screen"
    Identifier "screen"
    Device "dummy"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Virtual 5760 2160
    EndSubSection
EndSection
Section "ServerLayout"
    Identifier "layout"
    Screen "screen"
EndSection
"""

# A1 B1 C1 / A2 B2 C2, as config/demo.yaml's grid
GRID = [(f"DUMMY{i}", (i % 3) * 1920, (i // 3) * 1080) for i in range(6)]


class Unavailable(Exception):
    """Why the server cannot run here (the tests skip, or fail where they must run)."""


def missing() -> str | None:
    if not Path("/usr/lib/xorg/modules/drivers/dummy_drv.so").exists() or not shutil.which("Xorg"):
        return f"Xorg with the dummy driver is not installed; install it with: {INSTALL_LINE}"
    for tool in ("xrandr", "xwininfo", "xdotool"):
        if not shutil.which(tool):
            return f"{tool} is not installed; install it with: {INSTALL_LINE}"
    if os.geteuid() != 0:
        return f"the dummy X server needs root here (run `make test` as root, as CI does; packages: {INSTALL_LINE})"
    return None


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise Unavailable("no free X display number between :90 and :199")


class DummyX:
    def __init__(self) -> None:
        why = missing()
        if why:
            raise Unavailable(why)
        self.tmp = Path(tempfile.mkdtemp(prefix="wall-xorg-"))
        (self.tmp / "xorg.conf").write_text(XORG_CONF)
        (self.tmp / "conf.d").mkdir()
        self.number = _free_display()
        self.display = f":{self.number}"
        self.log = self.tmp / "Xorg.log"
        self.proc = subprocess.Popen(
            [
                "Xorg",
                self.display,
                "-config",
                str(self.tmp / "xorg.conf"),
                "-configdir",
                str(self.tmp / "conf.d"),
                "-noreset",
                "-nolisten",
                "tcp",
                "-logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(
                    f"Xorg exited with {self.proc.returncode}; its log: {self.log}\n"
                    + self.log.read_text(errors="replace")[-2000:]
                    if self.log.exists()
                    else ""
                )
            if self.xrandr("--query", check=False).returncode == 0:
                break
            time.sleep(0.2)
        else:
            self.stop()
            raise Unavailable(f"Xorg on {self.display} did not answer within 30 s")
        self.six_outputs()

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, DISPLAY=self.display)
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def xrandr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(["xrandr", *args], env=self.env, capture_output=True, text=True, timeout=30)
        if check and proc.returncode != 0:
            raise RuntimeError(f"xrandr {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    def six_outputs(self) -> None:
        for name, _, _ in GRID[1:]:
            self.xrandr("--addmode", name, "1920x1080", check=False)  # already there on a second call
        args = []
        for name, x, y in GRID:
            args += ["--output", name, "--mode", "1920x1080", "--pos", f"{x}x{y}"]
        self.xrandr(*args)
        self.xrandr("--listmonitors")  # a full query: SDL's X11 driver reads the cached state

    def unplug(self, output: str) -> None:
        self.xrandr("--output", output, "--off")

    def plug(self, output: str) -> None:
        x, y = next((x, y) for n, x, y in GRID if n == output)
        self.xrandr("--output", output, "--mode", "1920x1080", "--pos", f"{x}x{y}")
        self.xrandr("--listmonitors")

    def windows(self) -> list[str]:
        """Names of the top-level windows (xwininfo), e.g. 'wall A2@DUMMY3'."""
        out = subprocess.run(
            ["xwininfo", "-root", "-children"], env=self.env, capture_output=True, text=True, timeout=30
        ).stdout
        names = []
        for line in out.splitlines():
            if '"' in line:
                names.append(line.split('"')[1])
        return names

    def screenshot(self):
        """The root window: what the six outputs show, as (2160, 5760, 3) RGB."""
        import numpy as np
        from PIL import ImageGrab

        return np.asarray(ImageGrab.grab(xdisplay=self.display).convert("RGB"))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def press(x: DummyX, *keys: str, at: tuple[int, int] = (500, 500)) -> None:
    """Real key presses through the XTEST extension (xdotool), as a keyboard would type them. With no
    window manager the window under the pointer has the focus, so the pointer goes there first."""
    subprocess.run(["xdotool", "mousemove", str(at[0]), str(at[1])], env=x.env, check=True, timeout=30)
    for key in keys:
        time.sleep(0.4)  # one key per frame or more, as a person types
        subprocess.run(["xdotool", "key", key], env=x.env, check=True, timeout=30)
