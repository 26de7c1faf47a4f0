"""Text never meets a bezel: headlines, banners and titles stay in the panels' visible areas.

A zone may span several panels (the crisis banner runs across the top of the wall); the canvas
pixels behind the bezels between them are never shown, so a glyph there is cut ("north-ea|st").
Painters lay their text out inside the visible parts (wall/paint/text.py) and report where they
drew it; `wallctl render` lists those boxes in state.json. These tests read them back against
the wall's geometry, for every shipped config and scenario and for a 2x2 wall of 4K panels whose
zones ignore the mullions, look at the pixels beside a mullion, and check that `wallctl check`
warns about text that still crosses one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, load_png, run_cli
from PIL import Image
from widget_kit import assert_golden

from wall.checks import text_box_on_canvas
from wall.config.loader import load_config
from wall.geometry import Rect
from wall.widgets.registry import scrolls

T = "2026-11-23T09:30:05+01:00"
WALL_4K = "tests/configs/wall_4k_2x2.yaml"


def _scenarios() -> list[tuple[str, str]]:
    return [
        (f"config/{p.name}", name)
        for p in sorted((REPO / "config").glob("*.yaml"))
        for name in load_config(p).scenarios
    ]


def _render(config: str, scenario: str | None, out: Path) -> dict:
    args = ["render", config, "--time", T, "--out", str(out)]
    if scenario:
        args += ["--scenario", scenario]
    rc, _, err = run_cli(*args)
    assert rc == 0, err
    return json.loads((out / "state.json").read_text(encoding="utf-8"))


def _crossing(config: str, state: dict) -> tuple[list[str], int]:
    """(every text box of static text that meets hidden pixels, how many boxes were looked at)."""
    wall = load_config(REPO / config).wall
    bad, seen = [], 0
    for zone_id, zone in state["zones"].items():
        if scrolls(zone["widget"]):
            continue  # a ticker moves past the mullions by design
        rect = Rect(**zone["rect"])
        for box in zone["text"]:
            seen += 1
            on_canvas = text_box_on_canvas(box["x"], box["y"], box["w"], box["h"], rect)
            hidden = wall.hidden_px(on_canvas)
            if hidden:
                bad.append(f"{zone_id}: '{box['text']}' at {on_canvas} has {hidden} px behind bezels")
    return bad, seen


@pytest.mark.parametrize(("config", "scenario"), _scenarios())
def test_no_text_of_a_shipped_config_meets_a_bezel(config, scenario, tmp_path):
    state = _render(config, scenario, tmp_path)
    assert state["scenario"] == scenario
    bad, seen = _crossing(config, state)
    assert not bad, "\n".join(bad)
    if scenario != "test":  # the test pattern draws lines and labels, no text boxes
        assert seen > 0, "no text boxes in state.json: the recorder sees nothing, and this test would prove nothing"
    # the same render is every shipped wall's golden (a fifth of its size: a moved, missing or
    # resized element shows; the repository stays small)
    with Image.open(tmp_path / "wall.png") as im:
        small = im.convert("RGBA").resize((im.width // 5, im.height // 5), Image.Resampling.BOX)
    assert_golden(f"shipped_{Path(config).stem}_{scenario}", np.asarray(small))


@pytest.fixture(scope="module")
def wall_4k(tmp_path_factory):
    out = tmp_path_factory.mktemp("wall4k")
    return out, _render(WALL_4K, None, out)


def test_a_2x2_wall_of_4k_panels_keeps_banner_titles_and_text_off_the_mullions(wall_4k):
    out, state = wall_4k
    bad, seen = _crossing(WALL_4K, state)
    assert seen > 10 and not bad, "\n".join(bad)

    wall = load_config(REPO / WALL_4K).wall
    mullion_x = wall.display("A1").viewport.x1  # where A1's picture ends (B1's starts after the gutter)
    alert = state["zones"]["alert"]
    title = alert["view"]["title"]
    pieces = [b for b in alert["text"] if title.startswith(b["text"]) or b["text"] in title]
    # the title would cross the vertical mullion: it breaks before it and goes on in the next panel
    assert len(pieces) >= 2, alert["text"]
    assert " ".join(b["text"] for b in pieces) == title
    assert pieces[0]["x"] + pieces[0]["w"] <= mullion_x - alert["rect"]["x"] < pieces[1]["x"]

    # the banner straddles the horizontal mullion: no line of it is cut by it either
    rows_y = wall.display("A2").viewport.y
    for box in alert["text"]:
        top = alert["rect"]["y"] + box["y"]
        assert top + box["h"] <= wall.display("A1").viewport.y1 or top >= rows_y, box

    # the pixels: the last columns of A1 beside the mullion, across the title's line, are the
    # banner's plain fill (no stroke of a letter), while B1 past the mullion carries its ink
    a1, b1 = load_png(out / "A1.png"), load_png(out / "B1.png")
    y0 = round(alert["rect"]["y"] + pieces[0]["y"])
    y1 = y0 + round(pieces[0]["h"])
    edge = a1[y0:y1, -4:].reshape(-1, 3)
    assert len(np.unique(edge, axis=0)) == 1, "text ink in the last columns of A1 beside the mullion"
    start = round(alert["rect"]["x"] + pieces[1]["x"]) - wall.display("B1").viewport.x
    ink = b1[y0:y1, start : start + round(pieces[1]["w"])].reshape(-1, 3)
    assert len(np.unique(ink, axis=0)) > 10, "the title's second part is not on B1"

    # a static text zone across the mullion flows line by line: each line's parts read left to right
    welcome = state["zones"]["welcome"]
    words = " ".join(b["text"] for b in sorted(welcome["text"], key=lambda b: (b["y"], b["x"])))
    assert words == welcome["view"]["text"]


def test_a_2x2_wall_of_4k_panels_as_visitors_see_it(wall_4k):
    out, _ = wall_4k
    with Image.open(out / "wall.png") as im:
        small = im.convert("RGBA").resize((im.width // 5, im.height // 5), Image.Resampling.BOX)
    assert_golden("wall_4k_2x2_text_off_the_mullions", np.asarray(small))


NARROW = """\
name: A sign over a mullion
fps: 30
displays:
  grid:
    cols: 2
    rows: 1
    panel: { resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9 }
layout:
  zones:
    left: { cells: A1 }
    sign: { fraction: { x: 0.48, y: 0.45, w: 0.04, h: 0.1 } }
default_scenario: lobby
scenarios:
  lobby:
    zones:
      left: { widget: text, text: "Hello" }
      sign: { widget: text, text: "Supercalifragilistic" }
"""


def test_check_warns_about_static_text_that_still_crosses_a_bezel(tmp_path):
    # a word that fits neither half of a narrow zone centred on the mullion cannot be moved
    path = tmp_path / "narrow.yaml"
    path.write_text(NARROW)
    rc, out, err = run_cli("check", str(path))
    assert rc == 0, err
    line = NARROW.splitlines().index('      sign: { widget: text, text: "Supercalifragilistic" }') + 1
    want = (
        f"{path}:{line}:13: warning: scenario 'lobby', zone 'sign' (text): the text 'Supercalifragilistic' "
        "crosses the bezel between displays A1, B1"
    )
    assert want in err, err
    assert "keep the zone within one display" in err
    assert "'Hello'" not in err  # text on one panel is never reported


def test_check_says_nothing_of_text_it_could_lay_out_around_the_mullions():
    rc, _, err = run_cli("check", WALL_4K)
    assert rc == 0, err
    assert "crosses the bezel" not in err, err
    assert "zone 'welcome' shows text across 2 displays" in err  # the layout warning still stands


def test_visible_parts_of_a_zone():
    wall = load_config(REPO / WALL_4K).wall
    a1, b1 = wall.display("A1").viewport, wall.display("B1").viewport
    assert wall.visible_parts(Rect(10, 10, 500, 300)) == ()  # on one panel: nothing to avoid
    zone = Rect(a1.x1 - 100, 50, 300, 200)
    assert wall.visible_parts(zone) == (Rect(0, 0, 100, 200), Rect(b1.x - zone.x, 0, zone.x1 - b1.x, 200))


# ------------------------------------------------------------ the layout itself, painted in-process

GUTTER = (990, 1000)  # columns of a 2000 px wide zone hidden behind a mullion
PARTS = [(0, 0, GUTTER[0], 200), (GUTTER[1], 0, 2000 - GUTTER[1], 200)]


def _paint_across(text: str, align: str = "start", parts=PARTS) -> tuple[np.ndarray, list, float]:
    """`text` fitted to a 2000 x 200 box and drawn as a painter draws it, inside `parts`:
    (pixels, the boxes drawn, the size it was fitted at)."""
    from wall.paint.surface import raster
    from wall.paint.text import TextStyle, avoid_bezels, draw_fitted, fit, record_text_boxes

    with raster(2000, 200, "#000000") as (canvas, pixels):
        fitted = fit(text, 2000, 200, TextStyle("Noto Sans", "#ffffff", True, align), min_size=20)
        with avoid_bezels(parts), record_text_boxes() as boxes:
            draw_fitted(canvas, fitted, 0, 0, 200)
    return pixels, boxes, fitted.size


def _inside_a_part(box) -> bool:
    return any(x <= box.x and box.x + box.w <= x + w and y <= box.y and box.y + box.h <= y + h for x, y, w, h in PARTS)


def test_a_headline_breaks_before_the_mullion_and_reads_on_past_it():
    title = "Network outage in the north-east: engineers on site, repairs under way tonight"
    pixels, boxes, _ = _paint_across(title)
    assert len(boxes) >= 2 and all(_inside_a_part(b) for b in boxes), boxes
    assert " ".join(b.text for b in sorted(boxes, key=lambda b: (b.y, b.x))) == title
    assert not pixels[:, GUTTER[0] : GUTTER[1], :3].any(), "ink behind the bezel"
    assert pixels[:, GUTTER[1] :, :3].any() and pixels[:, : GUTTER[0], :3].any()


def test_a_short_centred_text_moves_whole_into_one_panel():
    pixels, boxes, size = _paint_across("Welcome", "center")
    assert [b.text for b in boxes] == ["Welcome"] and _inside_a_part(boxes[0]), boxes
    assert boxes[0].h >= 0.85 * size  # at (nearly) the size it was fitted at, not shrunk to a sliver
    assert not pixels[:, GUTTER[0] : GUTTER[1], :3].any()


def test_text_on_one_panel_is_left_where_it_is():
    one_panel = [(0, 0, 2000, 200)]
    _, boxes, _ = _paint_across("Network outage in the north-east", parts=one_panel)
    _, free, _ = _paint_across("Network outage in the north-east", parts=[])
    assert [(b.x, b.y, b.w, b.h) for b in boxes] == [(b.x, b.y, b.w, b.h) for b in free]
