"""Loading a wall config: every problem names file:line:column and says how to fix it.

Each test writes a small config (shaped like config/demo.yaml) into a temporary folder, loads it
from there (so files print as `wall.yaml` and `layouts/hub.yaml`), and checks the exact position and
the words a user reads.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from wall.config.errors import ConfigError, Problem
from wall.config.loader import load_config
from wall.config.yaml_source import Mark, parse_yaml_text
from wall.geometry import Rect

REPO = Path(__file__).resolve().parent.parent

# A 3x2 wall of the demo's panels, using the layout `hub` from layouts/hub.yaml (written per test).
BASE = """\
name: Test wall
fps: 30

displays:
  grid:
    cols: 3
    rows: 2
    panel:
      resolution: [1920, 1080]
      active_mm: [1209.6, 680.4]
      bezel_mm: 0.9

layout: hub

theme:
  accent: "#ff7900"

scenarios:
  monitoring:
    title: Everyday monitoring
    zones:
      title:   { widget: text, text: "Social Hub", color: "#ff7900" }
      clock:   { widget: clock, seconds: true, zones: [{ tz: Europe/Paris, label: Paris }] }
      welcome: { widget: text, text: "Welcome" }
      pattern: { widget: testpattern, pattern: bezel }
  test:
    layout:
      grid: [1, 1]
      zones:
        all: { cells: A1 }
    zones:
      all: { widget: testpattern, pattern: grid }
"""

# One display (2x2 cells) per zone on top; the bottom row is one wide test-pattern zone.
HUB = """\
# the hub layout: a 6x4 grid, so each display is 2x2 cells
grid: [6, 4]
zones:
  title:   { cells: A1:B2, snap: bezels }
  clock:   { cells: C1:D2, snap: bezels }
  welcome: { cells: E1:F2, snap: bezels }
  pattern: { cells: A3:F4 }
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Work in an empty folder with layouts/hub.yaml, so shown paths are short and predictable."""
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "hub.yaml").write_text(HUB, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} should occur exactly once"
    return text.replace(old, new)


def write(text: str, name: str = "wall.yaml") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def problems_of(text: str, **kwargs) -> list[Problem]:
    path = write(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path, **kwargs)
    for p in exc.value.problems:  # every problem prints as file:line:column: message
        prefix = "warning: " if p.severity == "warning" else ""
        assert str(p) == f"{p.mark.file}:{p.mark.line}:{p.mark.column}: {prefix}{p.message}"
    assert str(exc.value) == "\n".join(str(p) for p in exc.value.problems)
    return exc.value.problems


def only_problem(text: str, **kwargs) -> Problem:
    problems = problems_of(text, **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].severity == "error"
    return problems[0]


def where(p: Problem) -> tuple[str, int, int]:
    return p.mark.file, p.mark.line, p.mark.column


# ---------------------------------------------------------------- what loads


def test_base_config_loads_cleanly():
    loaded = load_config(write(BASE))
    assert loaded.warnings == []
    assert list(loaded.scenarios) == ["monitoring", "test"]
    assert loaded.default_scenario == "monitoring"
    assert (loaded.wall.canvas_w, loaded.wall.canvas_h) == (5766, 2163)
    plan = loaded.scenarios["monitoring"]
    assert plan.layout_name == "hub"
    assert plan.layout.zone("title").rect == loaded.wall.display("A1").viewport
    assert plan.layout.zone("welcome").rect == loaded.wall.display("C1").viewport
    assert loaded.scenarios["test"].layout.zone("all").rect == Rect(0, 0, 5766, 2163)


def test_demo_config_loads(monkeypatch):
    monkeypatch.chdir(REPO)
    loaded = load_config("config/demo.yaml")
    assert {"monitoring", "crisis", "test"} <= set(loaded.scenarios)
    assert loaded.default_scenario == "monitoring"
    assert (loaded.wall.canvas_w, loaded.wall.canvas_h) == (5766, 2163)
    assert loaded.wall.display("B1").viewport == Rect(1923, 0, 1920, 1080)
    assert loaded.scenarios["crisis"].layout_name == "crisis"
    assert all(w.severity == "warning" for w in loaded.warnings)
    for w in loaded.warnings:
        assert str(w).startswith(f"{w.mark.file}:{w.mark.line}:{w.mark.column}: warning: ")


def test_demo_with_a_text_zone_across_two_displays_warns_about_the_bezel():
    # a copy of the demo plus one scenario whose text zone covers panels A1 and B1 (a mullion between);
    # its named layouts still come from the repository's layouts/
    lines = (REPO / "config" / "demo.yaml").read_text(encoding="utf-8").splitlines()
    at = lines.index("scenarios:") + 1
    lines[at:at] = [
        "  wide:",
        "    layout: {grid: [3, 2], zones: {banner: {cells: A1:B1, snap: bezels}}}",
        '    zones: {banner: {widget: text, text: "Across a mullion"}}',
    ]
    loaded = load_config(write("\n".join(lines) + "\n", "demo.yaml"))
    assert {"monitoring", "crisis", "test", "wide"} <= set(loaded.scenarios)
    line = at + 3  # 1-based line of the `zones:` line inserted above
    (warning,) = [w for w in loaded.warnings if "'banner'" in w.message]
    assert warning.severity == "warning"
    assert where(warning) == ("demo.yaml", line, 21)  # the binding of banner
    assert warning.message.startswith(
        "zone 'banner' shows text across 2 displays (A1, B1): 3240 px of it sit behind bezels and text "
        "there is cut; keep text zones within one display"
    )
    assert "add `snap: bezels`" not in warning.message  # it already snaps: that advice would not help
    assert loaded.scenarios["wide"].layout.zone("banner").rect == Rect(0, 0, 3843, 1080)


def test_text_across_a_bezel_warns_at_the_binding():
    text = edit("  pattern: { cells: A3:F4 }", "  pattern: { cells: B3:C4 }", HUB)
    Path("layouts/hub.yaml").write_text(text, encoding="utf-8")
    config = edit("pattern: { widget: testpattern, pattern: bezel }", 'pattern: { widget: text, text: "hi" }')
    loaded = load_config(write(config))
    (warning,) = loaded.warnings
    assert warning.severity == "warning"
    assert where(warning) == ("wall.yaml", 25, 16)
    assert warning.message == (
        "zone 'pattern' shows text across 2 displays (A2, B2): 5162 px of it sit behind bezels and text "
        "there is cut; keep text zones within one display, or add `snap: bezels` to the zone"
    )


def test_test_pattern_across_bezels_is_fine():
    # the bottom zone spans three panels, but a test pattern is meant to cross bezels
    assert load_config(write(BASE)).warnings == []


def test_unbound_zone_is_a_warning():
    loaded = load_config(write(edit('      welcome: { widget: text, text: "Welcome" }\n', "")))
    (warning,) = loaded.warnings
    assert where(warning) == ("wall.yaml", 21, 5)  # the scenario's `zones:` key
    assert warning.message == "scenario 'monitoring' leaves zone 'welcome' empty; it will show the theme background"


# ---------------------------------------------------------------- shape and types


def test_unknown_key_suggests_the_right_one():
    p = only_problem(edit("      bezel_mm: 0.9", "      bezle_mm: 0.9"))
    assert where(p) == ("wall.yaml", 11, 7)
    assert p.message == (
        "displays.grid.panel.bezle_mm: unknown key 'bezle_mm'; did you mean 'bezel_mm'? "
        "(allowed here: resolution, active_mm, diagonal_in, aspect, bezel_mm)"
    )
    assert str(p) == f"wall.yaml:11:7: {p.message}"


def test_unknown_key_in_a_widget_binding():
    p = only_problem(edit('text: "Welcome" }', 'text: "Welcome", allign: left }'))
    assert where(p) == ("wall.yaml", 24, 49)
    assert p.message.startswith(
        "scenarios.monitoring.zones.welcome.allign: unknown key 'allign'; did you mean 'align'?"
    )


def test_unknown_key_in_the_theme():
    p = only_problem(edit('  accent: "#ff7900"', '  acent: "#ff7900"'))
    assert where(p) == ("wall.yaml", 16, 3)
    assert "did you mean 'accent'?" in p.message


def test_wrong_type():
    p = only_problem(edit("    cols: 3", "    cols: three"))
    assert where(p) == ("wall.yaml", 6, 11)
    assert p.message == (
        "displays.grid.cols: input should be a valid integer, unable to parse string as an integer (got 'three')"
    )


def test_wrong_type_reports_every_mistake():
    text = edit("fps: 30", "fps: fast", edit('text: "Welcome" }', 'text: "Welcome", align: middle }'))
    problems = problems_of(text)
    assert [(where(p), p.message) for p in problems] == [
        (("wall.yaml", 2, 6), "fps: input should be a valid number, unable to parse string as a number (got 'fast')"),
        (
            ("wall.yaml", 24, 56),
            "scenarios.monitoring.zones.welcome.align: input should be 'left', 'center' or 'right' (got 'middle')",
        ),
    ]


def test_missing_required_key():
    p = only_problem(edit("      resolution: [1920, 1080]\n", ""))
    # reported at the mapping that lacks it: the panel's first line
    assert where(p) == ("wall.yaml", 9, 7)
    assert p.message == "displays.grid.panel.resolution: missing required key 'resolution'"


def test_missing_top_level_key():
    text = BASE[: BASE.index("scenarios:")]
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 1, 1)
    assert p.message == "scenarios: missing required key 'scenarios'"


def test_unknown_widget_lists_the_known_ones():
    p = only_problem(edit('welcome: { widget: text, text: "Welcome" }', 'welcome: { widget: clok, text: "Welcome" }'))
    # points at the widget name
    assert where(p) == ("wall.yaml", 24, 26)
    assert p.message.startswith("scenarios.monitoring.zones.welcome: unknown widget 'clok'; expected one of: ")
    known = p.message.rsplit(": ", 1)[1].split(", ")
    from wall.widgets.registry import widgets

    assert sorted(known) == sorted(widgets())
    assert {"clock", "text", "top_posts", "gauge", "ticker"} <= set(known)


def test_unknown_widget_in_a_block_mapping_points_at_the_widget_line():
    text = edit(
        '      welcome: { widget: text, text: "Welcome" }\n',
        "      welcome:\n        text: Welcome\n        widget: tickr\n",
    )
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 26, 17)
    assert "unknown widget 'tickr'" in p.message


def test_binding_without_a_widget():
    p = only_problem(edit('welcome: { widget: text, text: "Welcome" }', 'welcome: { text: "Welcome" }'))
    assert where(p) == ("wall.yaml", 24, 16)
    assert (
        p.message == "scenarios.monitoring.zones.welcome: missing required key 'widget' (which widget this zone shows)"
    )


def test_color_must_be_hex():
    p = only_problem(edit('color: "#ff7900" }', 'color: "orange" }'))
    assert where(p) == ("wall.yaml", 22, 59)
    assert (
        p.message
        == "scenarios.monitoring.zones.title.color: 'orange' is not a colour; write it as '#rrggbb' or '#rrggbbaa'"
    )


@pytest.mark.parametrize("bad", ['"#ff790"', '"ff7900"', '"#ff79zz"', '"#ff7900f"'])
def test_theme_color_must_be_hex(bad):
    p = only_problem(edit('  accent: "#ff7900"', f"  accent: {bad}"))
    assert where(p) == ("wall.yaml", 16, 11)
    assert "is not a colour; write it as '#rrggbb'" in p.message


def test_eight_digit_color_with_alpha_is_accepted():
    loaded = load_config(write(edit('  accent: "#ff7900"', '  accent: "#FF790080"')))
    assert loaded.config.theme.accent == "#ff790080"


def test_bad_time_zone_in_a_clock():
    p = only_problem(edit("tz: Europe/Paris", "tz: Europe/Pariss"))
    assert where(p) == ("wall.yaml", 23, 62)
    assert p.message == (
        "scenarios.monitoring.zones.clock.zones.0.tz: unknown time zone 'Europe/Pariss'; "
        "use an IANA name like 'Europe/Paris' or 'local'"
    )


def test_panel_size_given_twice():
    p = only_problem(
        edit("      active_mm: [1209.6, 680.4]", "      active_mm: [1209.6, 680.4]\n      diagonal_in: 55")
    )
    assert where(p) == ("wall.yaml", 9, 7)
    assert "either as active_mm: [w, h] or as diagonal_in (not both)" in p.message


def test_panel_size_from_diagonal():
    loaded = load_config(write(edit("      active_mm: [1209.6, 680.4]", '      diagonal_in: 55\n      aspect: "16:9"')))
    a1 = loaded.wall.display("A1")
    assert a1.mm.w == pytest.approx(1217.6, abs=0.2)
    assert a1.mm.h == pytest.approx(684.9, abs=0.1)


# ---------------------------------------------------------------- YAML itself


def test_invalid_yaml_syntax_points_at_the_error():
    # `rows` indented one space deeper than `cols`: the colon cannot start a mapping there
    p = only_problem(edit("    rows: 2", "     rows: 2"))
    assert where(p) == ("wall.yaml", 7, 10)
    assert p.message == "invalid YAML: mapping values are not allowed here"


def test_invalid_yaml_unclosed_bracket():
    p = only_problem(edit("      resolution: [1920, 1080]", "      resolution: [1920, 1080"))
    assert where(p) == ("wall.yaml", 10, 16)
    assert p.message == "invalid YAML: expected ',' or ']', but got ':'"


def test_tab_indentation_is_reported():
    p = only_problem(edit("    cols: 3", "\tcols: 3"))
    assert where(p) == ("wall.yaml", 6, 1)
    assert "invalid YAML: found character '\\t' that cannot start any token" == p.message


def test_duplicate_key_is_an_error():
    text = edit(
        "      pattern: { widget: testpattern, pattern: bezel }\n",
        '      pattern: { widget: testpattern, pattern: bezel }\n      title: { widget: text, text: "again" }\n',
    )
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 26, 7)
    assert p.message == "duplicate key 'title' (first defined at line 22); remove one of them"


def test_duplicate_key_in_a_flow_mapping():
    p = only_problem(edit('text: "Welcome" }', 'text: "Welcome", text: "Hello" }'))
    assert where(p) == ("wall.yaml", 24, 49)
    assert p.message == "duplicate key 'text' (first defined at line 24); remove one of them"


def test_anchors_and_merge_keys_share_panel_settings():
    text = textwrap.dedent(
        """\
        panel: &panel
          resolution: [1920, 1080]
          active_mm: [1209.6, 680.4]
          bezel_mm: 0.9
        """
    )
    doc = parse_yaml_text(text + "left:\n  <<: *panel\n  id: a\nright:\n  <<: *panel\n  bezel_mm: 2.5\n", "f.yaml")
    assert doc.data["left"] == {"resolution": [1920, 1080], "active_mm": [1209.6, 680.4], "bezel_mm": 0.9, "id": "a"}
    # a key written next to `<<:` overrides the merged one, as in every YAML loader
    assert doc.data["right"]["bezel_mm"] == 2.5
    assert doc.mark_for(("right", "bezel_mm")) == Mark("f.yaml", 10, 13)
    assert doc.data["panel"]["bezel_mm"] == 0.9


def test_displays_can_share_a_panel_through_a_merge_key():
    # the second display takes everything from the first and overrides id and position_mm
    text = BASE[: BASE.index("displays:")] + textwrap.dedent(
        """\
        displays:
          - &panel
            id: left
            resolution: [1920, 1080]
            active_mm: [1209.6, 680.4]
            bezel_mm: 0.9
            position_mm: [0, 0]
          - <<: *panel
            id: right
            position_mm: [1211.4, 0]
        layout: {zones: {all: {fraction: {w: 1, h: 1}}}}
        scenarios:
          s: {zones: {all: {widget: testpattern}}}
        """
    )
    wall = load_config(write(text)).wall
    assert wall.viewports() == {"left": Rect(0, 0, 1920, 1080), "right": Rect(1923, 0, 1920, 1080)}


def test_explicit_duplicate_next_to_a_merge_is_still_an_error():
    with pytest.raises(ConfigError) as exc:
        parse_yaml_text("base: &b {x: 1}\nuse:\n  <<: *b\n  x: 2\n  x: 3\n", "f.yaml")
    (p,) = exc.value.problems
    assert str(p) == "f.yaml:5:3: duplicate key 'x' (first defined at line 4); remove one of them"


def test_empty_file():
    p = only_problem("# nothing here yet\n")
    assert where(p) == ("wall.yaml", 1, 1)
    assert p.message == "the file is empty; expected a YAML mapping"


def test_top_level_must_be_a_mapping():
    p = only_problem("- a\n- b\n")
    assert where(p) == ("wall.yaml", 1, 1)
    assert p.message == "expected a mapping of wall settings at the top level"


def test_missing_file():
    with pytest.raises(ConfigError) as exc:
        load_config("nowhere.yaml")
    (p,) = exc.value.problems
    assert str(p) == "nowhere.yaml:1:1: file not found"
    assert "file not found" in str(exc.value)


def test_directory_instead_of_file():
    with pytest.raises(ConfigError) as exc:
        load_config("layouts")
    assert str(exc.value.problems[0]) == "layouts:1:1: is a directory; expected a YAML file"


def test_non_utf8_file():
    Path("wall.yaml").write_bytes(BASE.replace("name: Test wall", "name: Caf\xe9 wall").encode("latin-1"))
    with pytest.raises(ConfigError) as exc:
        load_config("wall.yaml")
    (p,) = exc.value.problems
    assert str(p) == "wall.yaml:1:10: not valid UTF-8; save the file as UTF-8"


def test_non_utf8_column_counts_characters():
    # 'é' before the bad byte is valid UTF-8 (2 bytes); the column is where an editor shows it
    raw = BASE.encode("utf-8").replace(b'text: "Welcome"', 'text: "Bienvenue à '.encode() + b'\xff"')
    Path("wall.yaml").write_bytes(raw)
    with pytest.raises(ConfigError) as exc:
        load_config("wall.yaml")
    (p,) = exc.value.problems
    line = BASE.splitlines()[23]
    assert where(p) == ("wall.yaml", 24, line.index('"Welcome"') + len('"Bienvenue à ') + 1)
    assert p.message == "not valid UTF-8; save the file as UTF-8"


# ---------------------------------------------------------------- references


def test_literal_secret_is_rejected():
    text = BASE + "\nfeeds:\n  x: {adapter: demo, credentials: {token: abc}}\n"
    problems = problems_of(text)
    (secret,) = [p for p in problems if "credentials" in p.message]
    assert where(secret) == ("wall.yaml", 35, 43)
    assert secret.message == (
        "feeds.x.credentials.token: secrets are never written in the config; write '${ENV_VAR}' "
        "and set that environment variable where the wall runs"
    )
    assert all(p.severity == "error" for p in problems)


def test_env_reference_passes_the_secret_check_but_the_adapter_must_exist(monkeypatch):
    monkeypatch.delenv("WALL_TEST_TOKEN", raising=False)
    text = BASE + "\nfeeds:\n  x: {adapter: no-such-adapter, credentials: {token: '${WALL_TEST_TOKEN}'}}\n"
    problems = problems_of(text)
    (error,) = [p for p in problems if p.severity == "error"]
    assert where(error) == ("wall.yaml", 35, 16)
    assert error.message.startswith("no feed adapter named 'no-such-adapter' (available: ")
    assert not any("secrets are never written" in p.message for p in problems)


def test_binding_a_zone_the_layout_lacks():
    text = edit(
        '      welcome: { widget: text, text: "Welcome" }\n',
        '      welcome: { widget: text, text: "Welcome" }\n      welcom: { widget: text, text: "typo" }\n',
    )
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 25, 7)  # at the zone key
    assert p.message == (
        "scenario 'monitoring' binds zone 'welcom', which layout hub does not have; did you mean 'welcome'? "
        "(zones: clock, pattern, title, welcome)"
    )


def test_binding_a_zone_an_inline_layout_lacks():
    text = edit("      all: { widget: testpattern, pattern: grid }", "      everything: { widget: testpattern }")
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 32, 7)
    assert p.message.startswith(
        "scenario 'test' binds zone 'everything', which layout scenarios.test.layout (inline) does not have"
    )


def test_unknown_layout_name_lists_the_available_ones(in_tmp):
    (in_tmp / "layouts" / "crisis.yml").write_text("zones: {a: {cells: A1}}\n", encoding="utf-8")
    p = only_problem(edit("layout: hub", "layout: hubb"), layout_dirs=[in_tmp / "layouts"])
    assert where(p) == ("wall.yaml", 13, 9)
    assert p.message == (
        f"layout 'hubb' not found in {in_tmp / 'layouts'}; available: crisis, hub "
        "(or write the layout inline as a mapping)"
    )


def test_layout_search_path_includes_the_repo_layouts():
    p = only_problem(edit("layout: hub", "layout: nope"))
    assert where(p) == ("wall.yaml", 13, 9)
    assert "layout 'nope' not found in " in p.message
    assert str(REPO / "layouts") in p.message
    available = p.message.split("available: ")[1].split(" (")[0].split(", ")
    assert {"hub", "monitoring", "crisis"} <= set(available)


def test_layout_dirs_override_the_search_path(in_tmp):
    other = in_tmp / "elsewhere"
    other.mkdir()
    (other / "hub.yaml").write_text(HUB.replace("A3:F4", "A3:F3"), encoding="utf-8")
    loaded = load_config(write(BASE), layout_dirs=[other])
    assert loaded.scenarios["monitoring"].layout.zone("pattern").rect == Rect(0, 1082, 5766, 540)


def test_scenario_may_name_its_own_layout(in_tmp):
    text = edit("    title: Everyday monitoring\n", "    title: Everyday monitoring\n    layout: big\n")
    (in_tmp / "layouts" / "big.yaml").write_text("zones:\n  title: {fraction: {w: 1, h: 1}}\n", encoding="utf-8")
    problems = problems_of(text)
    # the zones bound by `monitoring` other than `title` are not in layout `big`
    assert [where(p)[1] for p in problems] == [24, 25, 26]
    assert all("which layout big does not have" in p.message for p in problems)


def test_default_scenario_must_exist():
    p = only_problem(edit("scenarios:\n", "default_scenario: crisis\n\nscenarios:\n"))
    assert where(p) == ("wall.yaml", 18, 19)
    assert p.message == "default_scenario 'crisis' is not a scenario (scenarios: monitoring, test)"


# ---------------------------------------------------------------- layouts and geometry


def test_cells_outside_the_grid_point_into_the_layout_file():
    Path("layouts/hub.yaml").write_text(
        edit("welcome: { cells: E1:F2", "welcome: { cells: E1:G2", HUB), encoding="utf-8"
    )
    p = only_problem(BASE)
    assert where(p) == ("layouts/hub.yaml", 6, 21)
    assert p.message == "cells 'E1:G2' fall outside the 6x4 layout grid (A1..F4)"
    assert str(p) == "layouts/hub.yaml:6:21: cells 'E1:G2' fall outside the 6x4 layout grid (A1..F4)"


def test_layout_error_is_reported_once_for_all_scenarios_using_it():
    Path("layouts/hub.yaml").write_text(
        edit("welcome: { cells: E1:F2", "welcome: { cells: E1:G2", HUB), encoding="utf-8"
    )
    text = BASE + "  quiet:\n    zones:\n      title: { widget: text, text: hush }\n"
    problems = problems_of(text)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors.count("layouts/hub.yaml:6:21: cells 'E1:G2' fall outside the 6x4 layout grid (A1..F4)") == 2


def test_cells_outside_an_inline_grid():
    p = only_problem(edit("        all: { cells: A1 }", "        all: { cells: B1 }"))
    assert where(p) == ("wall.yaml", 30, 23)
    assert p.message == "cells 'B1' fall outside the 1x1 layout grid (A1..A1)"


def test_bad_cell_syntax_in_a_layout_file():
    Path("layouts/hub.yaml").write_text(edit("{ cells: C1:D2,", "{ cells: C1-D2,", HUB), encoding="utf-8")
    p = only_problem(BASE)
    assert where(p) == ("layouts/hub.yaml", 5, 21)
    assert "'C1-D2' is not a cell range; write it like 'A1' or 'A1:C2'" in p.message


def test_unknown_key_in_a_layout_file():
    Path("layouts/hub.yaml").write_text(
        edit("snap: bezels }\n  welcome", "snapp: bezels }\n  welcome", HUB), encoding="utf-8"
    )
    p = only_problem(BASE)
    assert where(p) == ("layouts/hub.yaml", 5, 28)
    assert p.message.startswith("zones.clock.snapp: unknown key 'snapp'; did you mean 'snap'?")


def test_zone_partly_off_the_canvas_is_a_warning():
    text = edit("        all: { cells: A1 }", "        all: { mm: { x: 3465, y: 0, w: 630, h: 315 } }")
    loaded = load_config(write(text))
    (warning,) = loaded.warnings
    assert warning.severity == "warning"
    assert where(warning) == ("wall.yaml", 30, 20)  # the mm mapping
    assert warning.message == "zone 'all' falls partly outside the canvas and is cut to 266x500 px at (5500, 0)"
    assert loaded.scenarios["test"].layout.zone("all").rect == Rect(5500, 0, 266, 500)


def test_zone_entirely_off_the_canvas_is_an_error():
    p = only_problem(edit("        all: { cells: A1 }", "        all: { mm: { x: 4000, y: 0, w: 630, h: 315 } }"))
    assert where(p) == ("wall.yaml", 30, 20)
    assert p.message.startswith("zone 'all' lies entirely outside the 5766x2163 px canvas")


def test_impossible_wall_is_reported_at_the_display():
    text = edit(
        BASE[BASE.index("displays:") : BASE.index("layout: hub")],
        textwrap.dedent(
            """\
            displays:
              - id: left
                resolution: [1920, 1080]
                active_mm: [1209.6, 680.4]
                position_mm: [0, 0]
              - id: right
                resolution: [3840, 2160]
                active_mm: [1209.6, 680.4]
                position_mm: [1300, 0]

            """
        ),
    )
    text = edit("layout: hub", "layout: {zones: {title: {cells: A1}}}", text)
    text = text[: text.index("      clock:")] + text[text.index("  test:") :]
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 9, 5)
    assert p.message.startswith("display 'right' has a horizontal pixel pitch of 0.3150 mm but 'left' has 0.6300 mm")


def test_explicit_displays_with_asymmetric_bezels():
    text = BASE[: BASE.index("displays:")] + textwrap.dedent(
        """\
        displays:
          - id: left
            resolution: [1920, 1080]
            active_mm: [1209.6, 680.4]
            bezel_mm: {top: 1, right: 1.0, bottom: 1, left: 3}
            position_mm: [0, 0]
          - id: right
            resolution: [1920, 1080]
            active_mm: [1209.6, 680.4]
            bezel_mm: {left: 5.3}
            position_mm: [1215.9, 0]
          - id: portrait
            resolution: [1920, 1080]
            active_mm: [1209.6, 680.4]
            rotation: 90
            bezel_mm: {top: 2}
            position_mm: [2500, 0]
        layout: {zones: {all: {fraction: {w: 1, h: 1}}}}
        scenarios:
          s:
            zones:
              all: {widget: testpattern}
        """
    )
    loaded = load_config(write(text))
    wall = loaded.wall
    assert wall.display("right").viewport == Rect(1930, 0, 1920, 1080)
    assert wall.display("portrait").viewport == Rect(3968, 0, 1080, 1920)
    assert wall.display("portrait").bezel.right == 2.0  # native top is on the right at 90 degrees
    assert (wall.canvas_w, wall.canvas_h) == (5048, 1920)


def test_bezels_that_would_overlap_are_reported_at_the_display():
    text = BASE[: BASE.index("displays:")] + textwrap.dedent(
        """\
        displays:
          - {id: a, resolution: [1920, 1080], active_mm: [1209.6, 680.4], position_mm: [0, 0], bezel_mm: 2}
          - {id: b, resolution: [1920, 1080], active_mm: [1209.6, 680.4], position_mm: [1211.6, 0], bezel_mm: 2}
        layout: {zones: {all: {cells: A1}}}
        scenarios:
          s: {zones: {all: {widget: testpattern}}}
        """
    )
    p = only_problem(text)
    assert where(p) == ("wall.yaml", 6, 5)  # display b, the second
    assert p.message == (
        "the bezels of 'a' and 'b' would overlap by 2.0 mm, which is physically impossible; "
        "check position_mm and bezel_mm"
    )
