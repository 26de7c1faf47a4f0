"""The kiosk backend (one SDL2 window through pygame-ce) as a user meets it, under SDL's offscreen
driver: a real SDL window with a real OpenGL context (EGL, Mesa llvmpipe in CI), no screen needed.

What the window shows must be what `wallctl render` renders; a wall it cannot show is refused in
one line; keys and the window's close button reach the run.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO, load_png, run_cli

from wall.config.loader import load_config
from wall.config.schema import WindowConfig
from wall.outputs import sdl_kiosk
from wall.outputs.sdl_kiosk import KioskBackend, key_name, sdl_screens

pygame = sdl_kiosk.pygame
KIOSK = REPO / "config" / "kiosk.yaml"
T = "2026-11-23T09:30:05+01:00"


@pytest.fixture
def offscreen(monkeypatch):
    """SDL's offscreen video driver, for this process and the wallctl it starts."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")


@pytest.fixture
def kiosk(offscreen):
    backend = KioskBackend(load_config(KIOSK).wall, WindowConfig())
    try:
        backend.create_context()
    except sdl_kiosk.KioskScreenUnavailable as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
    yield backend
    backend.close()


# ---------------------------------------------------------------- what the window shows


def test_kiosk_window_shows_what_render_renders(offscreen, tmp_path):
    shown, rendered = tmp_path / "shown", tmp_path / "rendered"
    rc, _, stderr = run_cli(
        "run", KIOSK, "--backend", "kiosk", "--fixed-time", T, "--frames", "15", "--store", "none", "--capture", shown
    )
    assert rc == 0, stderr
    assert "Traceback" not in stderr
    assert "lobby shown" in stderr  # the start line says where the display went
    rc, _, stderr = run_cli("render", KIOSK, "--time", T, "--out", rendered)
    assert rc == 0, stderr

    window = load_png(shown / "lobby.png")
    render = load_png(rendered / "lobby.png")
    assert window.shape == render.shape == (1080, 1920, 3)  # native, landscape: the panel is turned
    colours = np.unique(window.reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"the window shows only {len(colours)} colours: nothing was drawn"
    # Tolerance: none. Under offscreen the window is the display's own size, so the present blit is a
    # 1:1 copy (GL_NEAREST): any difference is a flipped, shifted or stale picture.
    diff = np.abs(window.astype(int) - render.astype(int))
    assert diff.max() == 0, f"{np.count_nonzero(diff.any(axis=2))} pixels differ (max {diff.max()})"


def test_a_wall_of_several_displays_is_refused_in_one_line(offscreen):
    rc, _, stderr = run_cli(
        "run", REPO / "config" / "demo.yaml", "--backend", "kiosk", "--frames", "1", "--store", "none"
    )
    assert rc == 2
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert lines == [lines[0]], stderr
    assert "drives one screen" in lines[0] and "6 displays" in lines[0] and "--backend pyglet" in lines[0]


def test_a_video_driver_sdl_does_not_have_is_one_line_that_says_so(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "nosuchdriver")
    rc, _, stderr = run_cli("run", KIOSK, "--backend", "kiosk", "--frames", "1", "--store", "none")
    assert rc == 3
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "SDL_VIDEODRIVER=nosuchdriver" in lines[0] and "offscreen" in lines[0]  # names the drivers there are


# ---------------------------------------------------------------- keys and closing


@pytest.mark.parametrize(
    ("key", "mod", "name"),
    [
        ("K_LEFT", "KMOD_NONE", "left"),
        ("K_LEFT", "KMOD_SHIFT", "shift+left"),
        ("K_RIGHT", "KMOD_LSHIFT", "shift+right"),
        ("K_UP", "KMOD_RSHIFT", "shift+up"),
        ("K_DOWN", "KMOD_NONE", "down"),
        ("K_RETURN", "KMOD_NONE", "enter"),
        ("K_KP_ENTER", "KMOD_NONE", "enter"),
        ("K_ESCAPE", "KMOD_NONE", "escape"),
        ("K_SPACE", "KMOD_NONE", "space"),
        ("K_q", "KMOD_NONE", "q"),
        ("K_r", "KMOD_NONE", "r"),
        ("K_TAB", "KMOD_NONE", "tab"),
        ("K_BACKSPACE", "KMOD_NONE", "backspace"),
        ("K_TAB", "KMOD_SHIFT", "tab"),  # only arrows have shift+ names
        ("K_a", "KMOD_NONE", None),
        ("K_F1", "KMOD_NONE", None),
    ],
)
def test_key_names(key, mod, name):
    event = pygame.event.Event(pygame.KEYDOWN, key=getattr(pygame, key), mod=getattr(pygame, mod))
    assert key_name(event) == name


def test_keys_and_the_close_button_reach_the_run(kiosk):
    kiosk.poll()  # the window's own opening events (focus, shown) carry no keys
    assert not kiosk.closed
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=pygame.KMOD_SHIFT))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_KP_ENTER, mod=pygame.KMOD_NONE))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a, mod=pygame.KMOD_NONE))
    assert kiosk.poll() == ["shift+right", "enter"]
    assert not kiosk.closed
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    kiosk.poll()
    assert kiosk.closed


def test_close_twice_does_not_raise(kiosk):
    kiosk.close()
    kiosk.close()
    assert not pygame.display.get_init()


# ---------------------------------------------------------------- screens


def test_a_screen_that_goes_away_and_comes_back(kiosk, monkeypatch, caplog):
    """What SDL reports is simulated (no driver here can unplug a screen); the backend's answer is
    real: it keeps running without a screen, then reopens its window, GL context intact."""
    ctx = kiosk.ctx
    tex = ctx.texture((2, 2), 4, bytes(range(16)))
    real = sdl_kiosk._list_displays
    assert kiosk.displays()[0].state == "shown"

    monkeypatch.setattr(sdl_kiosk, "_list_displays", list)
    pygame.event.post(pygame.event.Event(sdl_kiosk.SDL_DISPLAYEVENT))
    with caplog.at_level("WARNING", logger="wall.kiosk"):
        kiosk.poll()
        kiosk.poll()
    state = kiosk.displays()[0]
    assert (state.display_id, state.state, state.screen) == ("lobby", "no screen", None)
    gone = [r.getMessage() for r in caplog.records if "is gone" in r.getMessage()]
    assert len(gone) == 1, caplog.text  # said once, not every frame

    monkeypatch.setattr(sdl_kiosk, "_list_displays", real)
    caplog.clear()
    with caplog.at_level("WARNING", logger="wall.kiosk"):
        kiosk.poll()  # SDL's display count differs from the last one seen: listed again
    assert kiosk.displays()[0].state == "shown"
    assert "is back" in caplog.text
    assert tex.read() == bytes(range(16))
    assert ctx.error == "GL_NO_ERROR"
    tex.release()


def test_sdl_screens_lists_displays_and_leaves_no_window(offscreen):
    screens = sdl_screens()
    assert len(screens) == 1
    s = screens[0]
    assert (s.index, s.x, s.y) == (0, 0, 0)
    assert s.width > 0 and s.height > 0
    assert not pygame.display.get_init()


def test_choose_display_by_index_position_and_name():
    from wall.outputs.screens import Screen

    screens = [Screen('DELL U2415 24"', 0, 0, 0, 1920, 1200), Screen("HDMI-A-1", 1, 1920, 0, 1080, 1920)]
    assert sdl_kiosk.choose_display(None, screens) == (screens[0], None)
    assert sdl_kiosk.choose_display(1, screens) == (screens[1], None)
    assert sdl_kiosk.choose_display("@1920,0", screens) == (screens[1], None)
    assert sdl_kiosk.choose_display("hdmi-a-1", screens) == (screens[1], None)
    screen, warning = sdl_kiosk.choose_display("DP-3", screens)
    assert screen is screens[0]
    assert "'DP-3'" in warning and "HDMI-A-1" in warning and "using display 0" in warning
    assert sdl_kiosk.choose_display(None, []) == (None, None)


# ---------------------------------------------------------------- on a desktop (X11)


def test_on_x11_the_wall_is_on_the_screen_the_config_names(dummy_x, monkeypatch, tmp_path):
    """The kiosk on a real X server (Xorg's dummy driver, six outputs): the window covers the output
    named by `output:` and the screen there shows exactly the composited display."""
    from datetime import datetime

    from wall.runtime import WallRuntime

    monkeypatch.setenv("DISPLAY", dummy_x.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    dummy_x.six_outputs()  # as the grid: whatever another test unplugged is back
    dummy_x.xrandr("--listmonitors")  # SDL only sees the dummy's outputs once a client has asked for them
    config = tmp_path / "kiosk.yaml"
    config.write_text(KIOSK.read_text().replace("    rotation: 90", "    rotation: 90\n    output: DUMMY4"))
    rt = WallRuntime(load_config(config), "kiosk")
    try:
        t = datetime.fromisoformat(T)
        rt.use_scenario("lobby")
        rt.settle(t)
        for _ in range(3):
            rt.frame(t)
        [state] = rt.backend.displays()
        assert (state.screen, state.state) == ("DUMMY4", "shown")
        assert pygame.display.get_window_position() == (1920, 1080)  # DUMMY4: B2 of the 3x2 grid
        screen = dummy_x.screenshot()[1080:2160, 1920:3840]
        composited = rt.engine.compositor.read_output("lobby")[:, :, :3]
    finally:
        rt.close()
    assert len(np.unique(screen.reshape(-1, 3), axis=0)) > 50
    assert np.array_equal(screen, composited)  # 1:1 (the output's mode is the display's resolution)
