"""`wallctl identify` and `wallctl calibrate`, as an installer meets them: real subprocesses on the
headless backend, PNGs read back, the printed YAML pasted into a copy of the config and loaded."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml
from bezel_lines import assert_on_lines
from conftest import DEMO, REPO, load_png, run_cli

from wall.config.loader import load_config

KIOSK = REPO / "config" / "kiosk.yaml"
DEMO_IDS = ["A1", "B1", "C1", "A2", "B2", "C2"]
NEIGHBOURS = [("A1", "B1"), ("B1", "C1"), ("A2", "B2"), ("B2", "C2"), ("A1", "A2"), ("B1", "B2"), ("C1", "C2")]
WHITE = 230  # the cards' text is white; backgrounds and frame have a channel far below this


def dominant(png: np.ndarray) -> tuple[tuple[int, int, int], float]:
    """The most common colour of a picture and its share of the pixels."""
    flat = png.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    i = int(counts.argmax())
    return tuple(int(c) for c in colours[i]), float(counts[i] / len(flat))


def text_mask(png: np.ndarray) -> np.ndarray:
    return (png >= WHITE).all(axis=2)


# ---------------------------------------------------------------- identify


@pytest.fixture(scope="module")
def demo_cards(tmp_path_factory):
    out = tmp_path_factory.mktemp("identify")
    rc, stdout, stderr = run_cli("identify", DEMO, "--out", out)
    assert rc == 0, stderr
    return out, stdout


def test_identify_writes_a_card_per_display_of_its_own_colour(demo_cards):
    out, stdout = demo_cards
    colours = {}
    for d in DEMO_IDS:
        png = load_png(out / f"{d}.png")
        assert png.shape == (1080, 1920, 3)
        colour, share = dominant(png)
        assert share > 0.6, f"{d}: its background covers only {share:.0%} of the panel"
        colours[d] = colour
        assert f"{d}: 1920 x 1080, headless" in stdout
    for a, b in NEIGHBOURS:
        assert colours[a] != colours[b], f"neighbours {a} and {b} share the background {colours[a]}"
    assert len(set(colours.values())) == len(DEMO_IDS)
    assert (out / "wall.png").is_file()


def test_identify_text_is_huge_and_the_frame_marks_the_panel_edges(demo_cards):
    out, _ = demo_cards
    for d in DEMO_IDS:
        png = load_png(out / f"{d}.png")
        middle = text_mask(png[270:810, 480:1440])
        assert middle.mean() > 0.08, f"{d}: only {middle.mean():.1%} of the middle is text"
        rows = np.nonzero(text_mask(png).any(axis=1))[0]
        # the id alone is several hundred pixels tall: the text spans most of the panel's height
        assert rows.max() - rows.min() > 0.5 * png.shape[0], d
        edges = np.concatenate([png[:4].reshape(-1, 3), png[-4:].reshape(-1, 3), png[:, :4].reshape(-1, 3)])
        frame, share = dominant(edges)
        assert share > 0.95 and frame[0] > 200 and frame[1] > 150 and frame[2] < 80, f"{d}: edges are {frame}"


def test_identify_is_upright_on_a_rotated_panel(tmp_path):
    rc, stdout, stderr = run_cli("identify", KIOSK, "--out", tmp_path)
    assert rc == 0, stderr
    assert "lobby: 1920 x 1080 · rotated 90°, headless" in stdout
    wall = load_png(tmp_path / "wall.png")
    native = load_png(tmp_path / "lobby.png")

    def text_box(png):
        ys, xs = np.nonzero(text_mask(png))
        return xs.max() - xs.min(), ys.max() - ys.min()

    w, h = text_box(wall)
    assert w > 1.2 * h, f"the text block is {w} x {h} px in the upright wall preview: turned on its side"
    nw, nh = text_box(native)
    assert nh > 1.2 * nw  # the panel itself receives it turned, which the panel's rotation undoes


def test_identify_headless_needs_out():
    rc, _, stderr = run_cli("identify", DEMO)
    assert rc == 2
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "--out" in stderr


def test_identify_is_not_a_widget_a_config_can_choose():
    from wall.config.schema import WallConfig

    assert '"identify"' not in str(WallConfig.model_json_schema())


# ---------------------------------------------------------------- calibrate


def paste_into_grid(config_text: str, pasted: str) -> str:
    """What an installer does: replace the panel's bezel_mm line with the printed lines."""
    m = re.search(r"^( *)bezel_mm:.*$", config_text, re.MULTILINE)
    assert m, "no bezel_mm line"
    indent = m.group(1)
    block = "\n".join(indent + line for line in pasted.strip().splitlines())
    return config_text[: m.start()] + block + config_text[m.end() :]


def demo_copy(tmp_path, text: str):
    p = tmp_path / "demo.yaml"
    p.write_text(text)
    return p


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibrate")
    rc, stdout, stderr = run_cli("calibrate", DEMO, "--keys", "right right right shift+up enter", "--out", out)
    assert rc == 0, stderr
    return out, stdout, stderr


def test_calibrate_prints_yaml_with_the_adjusted_bezels(calibrated):
    _, stdout, stderr = calibrated
    original = load_config(DEMO).wall.display("A1").bezel
    data = yaml.safe_load(stdout)
    b = data["bezel_mm"]
    assert b["left"] + b["right"] == pytest.approx(original.left + original.right + 0.3)
    assert b["top"] + b["bottom"] == pytest.approx(original.top + original.bottom + 1.0)
    assert b["left"] == pytest.approx(b["right"]) and b["top"] == pytest.approx(b["bottom"])
    assert stdout.startswith("# wallctl calibrate ") and "displays.grid.panel" in stdout.splitlines()[0]
    # a status line per change, the last one with the final figures
    status = [line for line in stderr.splitlines() if line.startswith("bezel: ")]
    assert len(status) == 1 + 4
    assert status[1] == "bezel: horizontal 1.9 mm (0.95 + 0.95), vertical 1.8 mm (0.9 + 0.9)"
    assert status[-1] == "bezel: horizontal 2.1 mm (1.05 + 1.05), vertical 2.8 mm (1.4 + 1.4)"


def test_calibrate_yaml_pasted_into_the_config_loads_and_draws_what_was_shown(calibrated, tmp_path):
    out, stdout, _ = calibrated
    patched = demo_copy(tmp_path, paste_into_grid(DEMO.read_text(), stdout))
    loaded = load_config(patched)
    bezel = loaded.wall.display("B2").bezel
    assert (bezel.left, bezel.right, bezel.top, bezel.bottom) == pytest.approx((1.05, 1.05, 1.4, 1.4))
    rc, _, stderr = run_cli("render", patched, "--pattern", "bezel", "--out", tmp_path / "render")
    assert rc == 0, stderr
    for d in DEMO_IDS:
        shown = load_png(out / f"{d}.png")
        assert np.array_equal(shown, load_png(tmp_path / "render" / f"{d}.png")), d
        assert_on_lines(loaded.wall, d, shown)  # straight lines for the calibrated geometry


def test_calibrated_pattern_differs_from_the_config_pattern(calibrated, tmp_path):
    out, _, _ = calibrated
    rc, _, stderr = run_cli("render", DEMO, "--pattern", "bezel", "--out", tmp_path)
    assert rc == 0, stderr
    before, after = load_png(tmp_path / "C2.png"), load_png(out / "C2.png")
    assert not np.array_equal(before, after)
    # the panels moved: a sixth of a row is 1 px; the lines in C2 shift by a few pixels, not noise
    assert (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 128).mean() > 0.005


def test_calibrate_escape_leaves_without_yaml():
    rc, stdout, stderr = run_cli("calibrate", DEMO, "--keys", "right escape")
    assert rc == 1
    assert stdout == ""
    assert "calibration cancelled; nothing to paste" in stderr
    assert "Traceback" not in stderr


def test_calibrate_refuses_a_negative_bezel_and_keeps_the_old_one():
    rc, stdout, stderr = run_cli("calibrate", DEMO, "--keys", "shift+left shift+left enter")
    assert rc == 0, stderr
    refusal = [line for line in stderr.splitlines() if "refused" in line]
    assert len(refusal) == 1 and "below 0 mm" in refusal[0] and "kept horizontal 0.8 mm" in refusal[0]
    b = yaml.safe_load(stdout)["bezel_mm"]
    assert (b["left"], b["right"]) == pytest.approx((0.4, 0.4))


def test_calibrate_r_resets_to_the_configs_bezels():
    rc, stdout, stderr = run_cli("calibrate", DEMO, "--keys", "shift+right up r enter")
    assert rc == 0, stderr
    assert yaml.safe_load(stdout)["bezel_mm"] == {"top": 0.9, "right": 0.9, "bottom": 0.9, "left": 0.9}


@pytest.mark.parametrize(
    "args, says",
    [
        ([], "--keys"),  # headless has no keyboard
        (["--keys", "right"], "enter"),  # a script that never ends
        (["--keys", "rigth enter"], "unknown key 'rigth'"),
        (["--keys", "enter", "--step", "0"], "--step"),
    ],
)
def test_calibrate_usage_errors_are_one_line(args, says):
    rc, _, stderr = run_cli("calibrate", DEMO, *args)
    assert rc == 2
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and says in stderr


LIST_WALL = """\
displays:
  - {id: left, resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9, position_mm: [0, 0]}
  - {id: right, resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: {top: 0.9, right: 2, bottom: 0.9, left: 0.9}, position_mm: [1211.4, 0]}
  - {id: tall, resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9, position_mm: [2423.9, 0], rotation: 90}
layout:
  zones:
    main: {fraction: {w: 0.3, h: 1}}
scenarios:
  s:
    zones:
      main: {widget: text, text: hi}
"""  # noqa: E501 (the YAML a user writes: one display a line)


def test_calibrate_a_display_list_prints_each_displays_bezels_and_position(tmp_path):
    config = tmp_path / "wall.yaml"
    config.write_text(LIST_WALL)
    rc, stdout, stderr = run_cli("calibrate", config, "--keys", "right right up enter", "--out", tmp_path / "shown")
    assert rc == 0, stderr
    pasted = yaml.safe_load(stdout)
    assert set(pasted) == {"left", "right", "tall"}
    assert pasted["right"]["bezel_mm"] == pytest.approx({"top": 0.95, "right": 2.1, "bottom": 0.95, "left": 1.0})
    # the rotated panel's mounted sides are its native top and bottom
    assert pasted["tall"]["bezel_mm"] == pytest.approx({"top": 1.0, "right": 0.95, "bottom": 1.0, "left": 0.95})
    # active areas beyond a seam move by the extra width: one seam before `right`, two before `tall`
    assert pasted["left"]["position_mm"] == pytest.approx([0, 0])
    assert pasted["right"]["position_mm"] == pytest.approx([1211.6, 0])
    assert pasted["tall"]["position_mm"] == pytest.approx([2424.3, 0])

    data = yaml.safe_load(LIST_WALL)
    for d in data["displays"]:
        d.update(pasted[d["id"]])
    patched = tmp_path / "patched.yaml"
    patched.write_text(yaml.safe_dump(data))
    loaded = load_config(patched)
    rc, _, stderr = run_cli("render", patched, "--pattern", "bezel", "--out", tmp_path / "render")
    assert rc == 0, stderr
    for d in ("left", "right", "tall"):
        shown = load_png(tmp_path / "shown" / f"{d}.png")
        assert np.array_equal(shown, load_png(tmp_path / "render" / f"{d}.png")), d
        assert_on_lines(loaded.wall, d, shown)
