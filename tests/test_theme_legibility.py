"""Themes must meet WCAG AA contrast; text must be big enough for the viewing distance."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from wall.checks import check_legibility
from wall.config.errors import ConfigError
from wall.config.loader import load_config
from wall.contrast import contrast
from wall.geometry import min_cap_height_mm

T = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)

BASE = """\
name: t
viewing_distance_m: {distance}
displays:
  grid:
    cols: 2
    rows: 1
    panel: {{resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9}}
layout:
  grid: [8, 8]
  zones:
    big:   {{cells: "A1:D8", snap: bezels}}
    small: {{cells: "E1:E1"}}
theme:
  background: "#0b1020"
  surface: "{surface}"
  text: "#f4f6fb"
  muted: "{muted}"
scenarios:
  main:
    zones:
      big:   {{widget: text, text: "Welcome"}}
      small: {{widget: text, text: "{small_text}"}}
"""


def write(tmp_path: Path, distance=4, surface="#151c33", muted="#9aa3b8", small_text="ok") -> Path:
    p = tmp_path / "wall.yaml"
    p.write_text(BASE.format(distance=distance, surface=surface, muted=muted, small_text=small_text))
    return p


def test_wcag_contrast_formula_matches_known_values():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast("#000000", "#000000") == pytest.approx(1.0)


def test_theme_under_aa_is_an_error_at_the_colour(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, muted="#4a5068"))
    (problem,) = exc.value.problems
    assert (problem.mark.line, problem.mark.column) == (17, 10)
    assert "muted #4a5068 on surface #151c33" in problem.message
    assert "4.5:1" in problem.message


def test_demo_themes_pass():
    load_config("config/demo.yaml")


def test_rule_numbers():
    # 16 arcmin at 4 m: 2 * 4000 * tan(8') = 18.62 mm
    assert min_cap_height_mm(4) == pytest.approx(18.617, abs=0.01)
    assert min_cap_height_mm(8) == pytest.approx(2 * min_cap_height_mm(4))


def test_long_text_in_a_small_zone_is_flagged_for_a_far_viewer(tmp_path):
    long = "Average first reply time across all channels today, compared with last week and the target"
    loaded = load_config(write(tmp_path, distance=10, small_text=long))
    problems = check_legibility(loaded, T)
    assert len(problems) == 1
    p = problems[0]
    assert p.severity == "warning"
    assert "zone 'small'" in p.message and "ISO 9241-303" in p.message
    assert (p.mark.line, p.mark.column) == (22, 14)  # the binding of zone "small"


def test_same_wall_read_from_close_up_is_fine(tmp_path):
    loaded = load_config(write(tmp_path, distance=1, small_text="ok"))
    assert check_legibility(loaded, T) == []


def test_check_command_prints_the_warning_and_still_exits_0(tmp_path):
    from conftest import run_cli

    p = write(tmp_path, distance=10, small_text="x " * 60)
    rc, out, err = run_cli("check", str(p), "--time", "2026-11-23T08:30:00Z")
    assert rc == 0, err
    assert "warning:" in err and "cap height" in err
    assert "1 warning(s)" in out


def test_light_variant_fills_unset_colours_from_its_palette_and_scenarios_overlay(tmp_path):
    p = write(tmp_path)
    text = p.read_text().replace("  main:\n", '  main:\n    theme: {accent: "#0a5bd3"}\n', 1)
    text = text.replace("theme:\n  background", "theme:\n  variant: light\n  background", 1)
    text = text.replace('  background: "#0b1020"\n  surface: "#151c33"\n  text: "#f4f6fb"\n  muted: "#9aa3b8"\n', "")
    p.write_text(text)
    loaded = load_config(p)
    wall_theme = loaded.config.theme
    assert (wall_theme.variant, wall_theme.surface, wall_theme.text) == ("light", "#ffffff", "#14171f")
    scenario_theme = loaded.scenarios["main"].theme
    assert scenario_theme.accent == "#0a5bd3"  # the scenario's own key
    assert scenario_theme.surface == "#ffffff"  # everything else from the wall's theme


def test_light_text_on_a_light_card_fails(tmp_path):
    p = write(tmp_path)
    p.write_text(
        p.read_text()
        .replace("theme:\n", "theme:\n  variant: light\n", 1)
        .replace('  surface: "#151c33"\n', "")
        .replace('  text: "#f4f6fb"\n', "")
        .replace('  muted: "#9aa3b8"\n', '  muted: "#c0c4cc"\n')
    )
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert any("muted #c0c4cc on surface #ffffff" in pr.message for pr in exc.value.problems)
