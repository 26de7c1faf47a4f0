"""The wall on real windows: `wallctl run --backend pyglet` on an X server with six monitors.

What the room would check: every monitor shows exactly the picture `wallctl render` makes for its
display at the same instant; a monitor unplugged while the wall runs leaves the other five
running and gets its picture back when it returns; `wallctl displays` says which screen is which.
The X server is Xorg with the dummy driver (tests/dummy_x.py); screenshots are of its root window,
i.e. what the outputs scan out, read by a client that is not the wall.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, load_png, run_cli, wallctl_command
from dummy_x import GRID

T = "2026-11-23T09:30:05+01:00"
DISPLAY_AT = dict(zip(["A1", "B1", "C1", "A2", "B2", "C2"], [(x, y) for _, x, y in GRID], strict=True))
# Each output's pixels must equal the headless render: the window path is 1:1 blits and a flip,
# no scaling or filtering, so no level of difference is allowed on any channel of any pixel.
TOLERANCE = 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, np.ndarray]:
    out = tmp_path_factory.mktemp("headless")
    rc, _, err = run_cli("render", "config/demo.yaml", "--time", T, "--out", out)
    assert rc == 0, err
    pics = {d: load_png(out / f"{d}.png") for d in DISPLAY_AT}
    for d, pic in pics.items():  # a reference that is blank would make the comparison meaningless
        assert len(np.unique(pic.reshape(-1, 3), axis=0)) > 50, f"{d}'s headless render is nearly blank"
    return pics


class WallProcess:
    """`wallctl run` in the background on the dummy server; its stderr collected in a file."""

    def __init__(self, x, tmp: Path, *args: str):
        self.err_path = tmp / "stderr.txt"
        self._err = self.err_path.open("w")
        self.proc = subprocess.Popen(
            [
                *wallctl_command(),
                "run",
                "config/demo.yaml",
                "--backend",
                "pyglet",
                "--fixed-time",
                T,
                "--store",
                "none",
                "--status-every",
                "0.5",
                *args,
            ],
            cwd=REPO,
            env=x.env,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
        )

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.stderr)
            if m:
                return m
            if self.proc.poll() is not None:
                pytest.fail(f"wallctl run exited ({self.proc.returncode}) before '{pattern}':\n{self.stderr}")
            time.sleep(0.1)
        pytest.fail(f"no '{pattern}' within {timeout} s:\n{self.stderr}")

    def frames(self) -> int:
        counts = re.findall(r"wall: (\d+) frames", self.stderr)
        return int(counts[-1]) if counts else 0

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self._err.close()
        return self.proc.returncode, out


def mismatches(shot: np.ndarray, reference: dict[str, np.ndarray], displays) -> dict[str, str]:
    bad = {}
    for d in displays:
        x, y = DISPLAY_AT[d]
        got = shot[y : y + 1080, x : x + 1920].astype(int)
        diff = np.abs(got - reference[d].astype(int))
        if diff.max() > TOLERANCE:
            bad[d] = f"max difference {diff.max()} on {(diff.max(axis=2) > TOLERANCE).mean():.1%} of pixels"
    return bad


def wait_until_shown(x, reference, displays, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    bad = {}
    while time.monotonic() < deadline:
        bad = mismatches(x.screenshot(), reference, displays)
        if not bad:
            return
        time.sleep(0.5)
    pytest.fail(f"outputs not showing the headless render after {timeout} s: {bad}")


def test_six_outputs_show_exactly_the_headless_render(dummy_x, reference, tmp_path):
    wall = WallProcess(dummy_x, tmp_path, "--duration", "120")
    try:
        m = wall.wait_for(r"running .* on pyglet \((\w[\w-]*) mode\)")
        assert m.group(1) == "span"  # six screens tiling one rectangle: one window, one swap
        for d, (name, _, _) in zip(DISPLAY_AT, GRID, strict=True):
            assert f"{d} shown on {name}" in wall.stderr
        wait_until_shown(dummy_x, reference, DISPLAY_AT)
        assert dummy_x.windows().count("wall span") == 1
    finally:
        rc, out = wall.stop()
    assert rc == 0, wall.stderr
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["frames"] > 0
    assert "Traceback" not in wall.stderr


def test_unplugged_screen_spares_the_others_and_its_window_returns(dummy_x, reference, tmp_path):
    wall = WallProcess(dummy_x, tmp_path, "--window-mode", "per-screen", "--duration", "180")
    try:
        wall.wait_for(r"\(per-screen mode\)")
        wait_until_shown(dummy_x, reference, DISPLAY_AT)
        assert "wall A2@DUMMY3" in dummy_x.windows()
        assert sum(n.startswith("wall ") and "@" in n for n in dummy_x.windows()) == 6

        dummy_x.unplug("DUMMY3")
        wall.wait_for(r"display A2: screen DUMMY3 is gone .*; 5 other display\(s\) go on")
        deadline = time.monotonic() + 30
        while "wall A2@DUMMY3" in dummy_x.windows() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "wall A2@DUMMY3" not in dummy_x.windows()
        # the other five keep rendering: frames keep coming and their pictures stay right
        before = wall.frames()
        time.sleep(2.0)
        assert wall.frames() > before + 5, wall.stderr
        others = [d for d in DISPLAY_AT if d != "A2"]
        assert mismatches(dummy_x.screenshot(), reference, others) == {}

        dummy_x.plug("DUMMY3")
        wall.wait_for(r"display A2: screen DUMMY3 is back \(1920x1080\+0\+1080\)")
        wait_until_shown(dummy_x, reference, DISPLAY_AT)
        assert "wall A2@DUMMY3" in dummy_x.windows()
        # each change is logged once, not every frame
        assert wall.stderr.count("is gone") == 1 and wall.stderr.count("is back") == 1
    finally:
        dummy_x.six_outputs()
        rc, _ = wall.stop()
    assert rc == 0, wall.stderr


def test_spanning_window_survives_an_unplugged_screen(dummy_x, reference, tmp_path):
    wall = WallProcess(dummy_x, tmp_path, "--duration", "180")
    try:
        wall.wait_for(r"\(span mode\)")
        wait_until_shown(dummy_x, reference, DISPLAY_AT)
        dummy_x.unplug("DUMMY5")
        wall.wait_for(r"display C2: screen DUMMY5 is gone")
        before = wall.frames()
        time.sleep(2.0)
        assert wall.frames() > before + 5
        dummy_x.plug("DUMMY5")
        wall.wait_for(r"display C2: screen DUMMY5 is back")
        wait_until_shown(dummy_x, reference, DISPLAY_AT)
        assert dummy_x.windows().count("wall span") == 1  # the same window all along
    finally:
        dummy_x.six_outputs()
        rc, _ = wall.stop()
    assert rc == 0, wall.stderr


def test_displays_json_lists_the_six_outputs_and_binds_the_config(dummy_x, tmp_path):
    proc = subprocess.run(
        [*wallctl_command(), "displays", "config/demo.yaml", "--json"],
        cwd=REPO,
        env=dummy_x.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "x11"
    screens = {s["name"]: s for s in data["screens"]}
    assert set(screens) == {name for name, _, _ in GRID}
    for name, x, y in GRID:
        s = screens[name]
        assert (s["x"], s["y"], s["width"], s["height"]) == (x, y, 1920, 1080)
        assert s["refresh_hz"] == pytest.approx(60.0, abs=0.1)
    assert screens["DUMMY0"]["primary"] is True
    bound = {b["display"]: b["screen"] for b in data["bindings"]}
    assert bound == dict(zip(DISPLAY_AT, [name for name, _, _ in GRID], strict=True))
    assert all(b["resolution_matches"] for b in data["bindings"])

    # outputs named in the config win over reading order; a missing one is reported, not fatal
    text = (REPO / "config" / "demo.yaml").read_text()
    cfg = tmp_path / "named.yaml"
    cfg.write_text(
        text.replace(
            "      bezel_mm: 0.9", "      bezel_mm: 0.9\n    outputs: [DUMMY5, DUMMY4, DUMMY3, DUMMY2, DUMMY1, DUMMY9]"
        )
    )
    proc = subprocess.run(
        [*wallctl_command(), "displays", str(cfg), "--json"],
        cwd=REPO,
        env=dummy_x.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    bindings = {b["display"]: b for b in json.loads(proc.stdout)["bindings"]}
    assert [bindings[d]["screen"] for d in DISPLAY_AT] == ["DUMMY5", "DUMMY4", "DUMMY3", "DUMMY2", "DUMMY1", None]
    assert "DUMMY9" in bindings["C2"]["how"] and "DUMMY0" in bindings["C2"]["how"]  # names the screens there are

    # and the human-readable form says the same
    proc = subprocess.run(
        [*wallctl_command(), "displays", str(cfg)],
        cwd=REPO,
        env=dummy_x.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "C2     NO SCREEN" in proc.stdout
    assert "[0] DUMMY0       1920x1080 at +0+0, 60 Hz  (primary)" in proc.stdout


def test_calibrate_takes_real_key_presses_and_prints_the_yaml(dummy_x, tmp_path):
    from dummy_x import press

    err = (tmp_path / "err.txt").open("w")
    proc = subprocess.Popen(
        [*wallctl_command(), "calibrate", "config/demo.yaml", "--backend", "pyglet"],
        cwd=REPO,
        env=dummy_x.env,
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "bezel: horizontal 1.8 mm" not in (tmp_path / "err.txt").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "err.txt").read_text()
            time.sleep(0.2)
        press(dummy_x, "Right", "Right", "shift+Up", "Return")
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        err.close()
    assert proc.returncode == 0, (tmp_path / "err.txt").read_text()
    assert "bezel_mm: {top: 1.4, right: 1, bottom: 1.4, left: 1}" in out


def test_identify_shows_each_display_on_its_own_screen(dummy_x, tmp_path):
    rc, _, err = run_cli("identify", "config/demo.yaml", "--out", tmp_path / "headless")
    assert rc == 0, err

    def dominant(pic: np.ndarray) -> tuple[int, ...]:
        colours, counts = np.unique(pic[::8, ::8].reshape(-1, 3), axis=0, return_counts=True)
        return tuple(int(c) for c in colours[counts.argmax()])

    expected = {d: dominant(load_png(tmp_path / "headless" / f"{d}.png")) for d in DISPLAY_AT}
    assert len(set(expected.values())) == 6
    proc = subprocess.Popen(
        [*wallctl_command(), "identify", "config/demo.yaml", "--backend", "pyglet", "--duration", "60"],
        cwd=REPO,
        env=dummy_x.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            shot = dummy_x.screenshot()
            got = {d: dominant(shot[y : y + 1080, x : x + 1920]) for d, (x, y) in DISPLAY_AT.items()}
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert got == expected
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    for d, (name, _, _) in zip(DISPLAY_AT, GRID, strict=True):
        assert f"{d}: 1920 x 1080, output {name}" in out


def test_doctor_names_a_display_without_its_screen_and_a_wrong_mode(dummy_x, tmp_path):
    text = (REPO / "config" / "demo.yaml").read_text()
    cfg = tmp_path / "wrong.yaml"
    cfg.write_text(
        text.replace(
            "      bezel_mm: 0.9", "      bezel_mm: 0.9\n    outputs: [DUMMY0, DUMMY1, DUMMY2, DUMMY3, DUMMY4, HDMI-9]"
        )
    )
    dummy_x.xrandr("--output", "DUMMY4", "--mode", "1600x900")
    try:
        proc = subprocess.run(
            [*wallctl_command(), "doctor", str(cfg)],
            cwd=REPO,
            env=dummy_x.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        dummy_x.six_outputs()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = [line for line in proc.stdout.splitlines() if line.startswith("problem") and "screens" in line]
    assert any("display C2 has no screen" in p and "HDMI-9" in p for p in problems), problems
    assert any(
        "display B2 is 1920x1080 but DUMMY4 runs 1600x900" in p and "xrandr --output DUMMY4 --mode 1920x1080" in p
        for p in problems
    ), problems
    assert len(problems) == 2


def test_pyglet_key_names(dummy_x, monkeypatch):
    monkeypatch.setenv("DISPLAY", dummy_x.display)  # pyglet.window needs a display to import
    from pyglet.window import key

    from wall.outputs.pyglet_windows import key_name

    assert key_name(key.LEFT, 0) == "left"
    assert key_name(key.UP, key.MOD_SHIFT) == "shift+up"
    assert key_name(key.RETURN, 0) == key_name(key.ENTER, 0) == "enter"
    assert key_name(key.ESCAPE, key.MOD_SHIFT) == "escape"  # shift only qualifies arrows
    assert key_name(key.Q, 0) == "q"
    assert key_name(key.F5, 0) is None
