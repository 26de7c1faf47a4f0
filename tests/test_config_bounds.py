"""Config loading is bounded: whatever a file holds, loading it answers quickly with a config or with
config errors at file:line:column, never with another exception, a hang or gigabytes of memory.

The first tests are a security tester's reproductions (an alias bomb, nesting 500 deep, a list where
a word goes, a 300-character time zone, an infinite size, grids of 100 x 100 and 1000 x 1000 panels,
a feed polled every microsecond); the last ones fuzz the loader with hypothesis: generated YAML and
mutations of the real configs in config/. None asserts a duration: a bound that failed would show
as a test that never ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import random
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wall.cli import main
from wall.config.errors import ConfigError, Problem
from wall.config.loader import load_config
from wall.config.yaml_source import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_NODES, parse_yaml_text
from wall.geometry import MAX_CANVAS_PX, MAX_DISPLAYS, MAX_PANEL_PX
from wall.layout import MAX_LAYOUT_GRID, MAX_ZONES

REPO = Path(__file__).resolve().parent.parent
LAYOUTS = [REPO / "layouts"]
REAL_CONFIGS = sorted((REPO / "config").glob("*.yaml"))

# A 3x2 wall of 55" panels with an inline layout, a clock, a feed and a schedule: every section a
# reproduction edits.
BASE = """\
name: Bounds
displays:
  grid:
    cols: 3
    rows: 2
    panel:
      resolution: [1920, 1080]
      active_mm: [1209.6, 680.4]
      bezel_mm: 0.9
layout:
  grid: [3, 2]
  zones:
    clock: { cells: A1 }
    rest:  { cells: B1:C2 }
theme:
  variant: dark
feeds:
  demo: { adapter: demo, poll_s: 60 }
schedule:
  timezone: Europe/Paris
scenarios:
  main:
    zones:
      clock: { widget: clock, zones: [{ tz: Europe/Paris, label: Paris }] }
      rest:  { widget: kpi, feed: demo, metric: kpi.posts }
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} should occur exactly once"
    return text.replace(old, new)


def write(text: str, name: str = "wall.yaml") -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(text))
    assert exc.value.problems
    return exc.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def where(p: Problem) -> tuple[str, int, int]:
    return p.mark.file, p.mark.line, p.mark.column


def check(path: str) -> tuple[int, str]:
    """`wallctl check PATH --no-legibility`, in this process: (exit code, what it wrote)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", path, "--no-legibility"])
    return code, out.getvalue() + err.getvalue()


def test_the_base_config_loads():
    loaded = load_config(write(BASE))
    assert len(loaded.wall.displays) == 6
    assert check("wall.yaml")[0] == 0


# ---------------------------------------------------------------- YAML: aliases, nesting, size


def laughs(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each anchor a list of `width` aliases of the one before (9^9 lols)."""
    lines = ["lol0: &lol0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_a_config_error_at_the_alias_that_crosses_the_limit():
    p = only_problem(laughs())
    # 9 + 81 + 729 aliases are expanded by lol3; the first alias of lol4 crosses 1000
    assert where(p) == ("wall.yaml", 5, 14)
    assert p.message.startswith(f"YAML aliases are expanded more than {MAX_ALIASES} times in this document (at *lol3")
    assert "billion laughs" in p.message
    assert p.message.endswith("write the repeated values out, or anchor smaller values that hold no aliases")


def test_check_refuses_an_alias_bomb_with_exit_1_and_its_position():
    code, said = check(write(laughs()))
    assert code == 1
    assert said.startswith("wall.yaml:5:14: YAML aliases are expanded more than 1000 times")
    assert "internal error" not in said


def test_an_alias_bomb_in_a_layout_file_is_refused_too(in_tmp):
    (in_tmp / "layouts").mkdir()
    (in_tmp / "layouts" / "bomb.yaml").write_text(laughs(), encoding="utf-8")
    inline = BASE[BASE.index("layout:") : BASE.index("theme:")]
    p = only_problem(edit(inline, "layout: bomb\n"))
    assert where(p) == ("layouts/bomb.yaml", 5, 14)


def test_a_bomb_of_merge_keys_is_refused():
    lines = ["m0: &m0 {a: 1, b: 2, c: 3}"]
    for i in range(1, 12):
        lines.append(f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}], x{i}: [{', '.join([f'*m{i - 1}'] * 9)}]}}")
    p = only_problem("\n".join(lines) + "\n")
    assert "YAML aliases are expanded more than" in p.message


def test_aliases_within_the_limit_still_work():
    text = "panel: &panel {resolution: [1920, 1080], bezel_mm: 0.9}\n" + "".join(
        f"d{i}: {{<<: *panel, id: d{i}}}\n" for i in range(200)
    )
    doc = parse_yaml_text(text, "f.yaml")
    assert doc.data["d199"] == {"resolution": [1920, 1080], "bezel_mm": 0.9, "id": "d199"}


def test_an_alias_inside_its_own_anchor_is_an_error_not_a_recursion():
    p = only_problem("a: &a [1, *a]\n")
    assert where(p) == ("wall.yaml", 1, 11)
    assert p.message.startswith("alias *a is used inside the value of its own anchor &a")
    p = only_problem("a: &a {<<: *a}\n")
    assert where(p) == ("wall.yaml", 1, 4)


def test_nesting_500_deep_is_a_config_error_with_its_position():
    p = only_problem("name: x\nextra: " + "[" * 500 + "]" * 500 + "\n")
    # the top-level mapping is the first level: the 64th bracket opens the 65th
    assert where(p) == ("wall.yaml", 2, len("extra: ") + MAX_DEPTH)
    assert p.message.startswith(f"mappings and lists are nested more than {MAX_DEPTH} deep here")
    p = only_problem("name: " + "{a: " * 500 + "1" + "}" * 500 + "\n")
    assert p.mark.line == 1
    code, said = check("wall.yaml")
    assert code == 1 and "nested more than 64 deep" in said


def test_nesting_through_aliases_is_bounded_too():
    lines = ["l0: &l0 " + "[" * 40 + "]" * 40]
    lines += [f"l{i}: &l{i} " + "[" * 40 + f"*l{i - 1}" + "]" * 40 for i in range(1, 4)]
    p = only_problem("\n".join(lines) + "\n")
    assert f"nested more than {MAX_DEPTH} deep" in p.message
    assert p.mark.line == 2  # the alias that nests l0 in l1


def test_a_document_too_large_is_refused_unread():
    p = only_problem("# padding\n" * (MAX_BYTES // 10 + 1))
    assert where(p) == ("wall.yaml", 1, 1)
    assert p.message.startswith(f"the file is over {MAX_BYTES // 1024} KiB, the most a wall config may be")


def test_a_document_of_too_many_values_is_refused():
    p = only_problem("x: [" + "0," * (MAX_NODES + 10) + "]\n")
    assert p.mark.line == 1
    assert f"more than {MAX_NODES} values" in p.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("!foo 3", "could not determine a constructor for the tag '!foo'"),
        ("2026-13-45", "'2026-13-45' cannot be read as a YAML value (month must be in 1..12)"),
        ("9" * 5000, "(5000 digits: no setting takes a number that large)"),
        ("!!binary zzz", "failed to decode base64 data"),
        (".nan", "'.nan' is not a finite number"),
        ("-.inf", "'-.inf' is not a finite number"),
    ],
)
def test_values_pyyaml_cannot_build_are_errors_at_their_position(value, words):
    p = problems_of(edit("name: Bounds", f"name: {value}"))[0]
    assert where(p) == ("wall.yaml", 1, 7)
    assert words in p.message


def test_a_raw_control_character_is_an_error_at_its_position():
    p = only_problem(edit("name: Bounds", "name: Bo\x07unds"))
    assert where(p) == ("wall.yaml", 1, 9)
    assert p.message == "invalid YAML: the character U+0007 is not allowed in YAML; remove it"


# ---------------------------------------------------------------- values: types, zones, numbers


def test_theme_variant_as_a_list_is_a_config_error():
    p = only_problem(edit("variant: dark", "variant: [light]"))
    assert where(p) == ("wall.yaml", 16, 12)
    assert p.message == "theme.variant: input should be 'dark' or 'light'"
    assert check("wall.yaml")[0] == 1


def test_a_300_character_time_zone_of_a_widget_is_a_config_error_at_it():
    p = only_problem(edit("tz: Europe/Paris", "tz: " + "A" * 300))
    assert where(p) == ("wall.yaml", 24, 45)
    assert p.message.startswith("scenarios.main.zones.clock.zones.0.tz: 'AAAA")
    assert "(300 characters)" in p.message
    code, said = check("wall.yaml")
    assert code == 1 and "wall.yaml:24:45:" in said


def test_a_300_character_schedule_time_zone_is_a_config_error():
    p = only_problem(edit("timezone: Europe/Paris", "timezone: " + "Europe/" * 43))
    assert where(p) == ("wall.yaml", 20, 13)
    assert "is not a time zone; use an IANA name like 'Europe/Paris'" in p.message
    assert "at most 64 characters" in p.message


@pytest.mark.parametrize("name", ["Europe", "../../etc/passwd", "/etc/localtime", "Europe/Nowhere", "a\\b"])
def test_a_time_zone_that_is_no_zone_is_an_error(name):
    p = only_problem(edit("timezone: Europe/Paris", f"timezone: '{name}'"))
    assert where(p) == ("wall.yaml", 20, 13)
    assert "time zone" in p.message


def test_an_infinite_active_area_is_a_config_error():
    p = only_problem(edit("active_mm: [1209.6, 680.4]", "active_mm: [.inf, 100]"))
    assert where(p) == ("wall.yaml", 8, 19)
    assert p.message == "'.inf' is not a finite number; every number in a wall config is finite"
    assert check("wall.yaml")[0] == 1
    # written as a string, pydantic would read it as a float: still refused
    p = only_problem(edit("active_mm: [1209.6, 680.4]", "active_mm: ['inf', 100]"))
    assert where(p) == ("wall.yaml", 8, 19)
    assert p.message.startswith("displays.grid.panel.active_mm.0: input should be a finite number")


@pytest.mark.parametrize(("cols", "rows"), [(100, 100), (1000, 1000), (257, 1)])
def test_a_grid_beyond_any_real_wall_is_refused_before_it_is_built(cols, rows):
    p = only_problem(edit("cols: 3\n    rows: 2", f"cols: {cols}\n    rows: {rows}"))
    assert where(p) == ("wall.yaml", 4, 5)
    assert p.message == (
        f"displays.grid: a grid of {cols} x {rows} is {cols * rows} displays; a wall has at most {MAX_DISPLAYS} "
        "(one video output each): check cols and rows"
    )
    code, said = check("wall.yaml")
    assert code == 1 and "a wall has at most 256" in said


def test_the_largest_grid_loads():
    loaded = load_config(write(edit("cols: 3\n    rows: 2", "cols: 16\n    rows: 16")))
    assert len(loaded.wall.displays) == MAX_DISPLAYS


def test_a_list_of_too_many_displays_is_refused():
    displays = "".join(
        f"  - {{id: d{i}, resolution: [1920, 1080], active_mm: [1209.6, 680.4], position_mm: [{i * 1300}, 0]}}\n"
        for i in range(MAX_DISPLAYS + 1)
    )
    text = BASE[: BASE.index("displays:")] + "displays:\n" + displays + BASE[BASE.index("layout:") :]
    p = only_problem(text)
    assert (
        p.message == f"displays: {MAX_DISPLAYS + 1} displays; a wall has at most {MAX_DISPLAYS} (one video output each)"
    )


def test_a_panel_resolution_beyond_16k_is_refused():
    p = only_problem(edit("resolution: [1920, 1080]", "resolution: [20000, 1080]"))
    assert where(p) == ("wall.yaml", 7, 20)
    assert p.message == (
        f"displays.grid.panel.resolution.0: input should be less than or equal to {MAX_PANEL_PX} (got 20000)"
    )


def test_a_canvas_beyond_the_limit_is_refused_naming_the_far_display():
    displays = textwrap.dedent(
        """\
        displays:
          - {id: near, resolution: [1920, 1080], active_mm: [1209.6, 680.4], position_mm: [0, 0]}
          - {id: far, resolution: [1920, 1080], active_mm: [1209.6, 680.4], position_mm: [900000, 0]}
        """
    )
    text = BASE[: BASE.index("displays:")] + displays + BASE[BASE.index("layout:") :]
    p = only_problem(text.replace("  grid: [3, 2]\n", "  grid: [2, 1]\n").replace("B1:C2", "B1"))
    assert p.mark.line == 4  # the far display
    assert p.message.startswith("the canvas would be ")
    assert f"at most {MAX_CANVAS_PX} px on a side" in p.message
    assert "is display 'far' far from the others?" in p.message


def test_a_pixel_pitch_no_panel_has_is_refused():
    p = only_problem(edit("active_mm: [1209.6, 680.4]", "active_mm: [0.000001, 0.000001]"))
    assert "pixel pitch" in p.message and "check active_mm (millimetres" in p.message


@pytest.mark.parametrize("aspect", ["'0:9'", "'16:0'", "'1000:1'", "'" + "9" * 400 + ":1'"])
def test_an_aspect_no_panel_has_is_refused(aspect):
    p = only_problem(edit("active_mm: [1209.6, 680.4]", f"diagonal_in: 55\n      aspect: {aspect}"))
    assert "aspect" in p.message


def test_a_layout_grid_and_zone_count_beyond_the_limits_are_refused():
    p, _ = problems_of(edit("grid: [3, 2]", "grid: [1000, 1000]"))
    assert where(p) == ("wall.yaml", 11, 10)
    assert p.message == f"layout.grid.0: input should be less than or equal to {MAX_LAYOUT_GRID} (got 1000)"
    zones = "".join(f"    z{i}: {{ cells: A1 }}\n" for i in range(MAX_ZONES + 1))
    p = problems_of(edit("    clock: { cells: A1 }\n    rest:  { cells: B1:C2 }\n", zones))[0]
    assert p.message == f"layout.zones: {MAX_ZONES + 1} zones; a layout has at most {MAX_ZONES}"


def test_more_scenarios_than_the_limit_are_refused_before_they_are_checked():
    many = "".join(f"  s{i}: {{ zones: {{ rest: {{ widget: text, text: x }} }} }}\n" for i in range(300))
    p = only_problem(edit("scenarios:\n", "scenarios:\n" + many))
    assert where(p) == ("wall.yaml", 22, 3)
    assert p.message == "scenarios: 301 scenarios; a wall has at most 256"


def test_an_exception_no_check_foresaw_is_a_config_error_at_the_part_checked(monkeypatch):
    import wall.config.loader as loader

    def broken(spec, wall):
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(loader, "resolve_layout", broken)
    p = only_problem(BASE)
    assert where(p) == ("wall.yaml", 23, 5)  # the scenario being checked
    assert p.message == (
        "scenarios.main: this could not be checked (RuntimeError: a bug in a check); look for an unusual value "
        "here, and please report it: wall should have said what is wrong"
    )
    code, said = check("wall.yaml")
    assert code == 1 and said.startswith("wall.yaml:23:5: scenarios.main: this could not be checked")


def test_cells_with_a_row_number_of_thousands_of_digits_are_an_error():
    p = only_problem(edit("cells: A1 }", "cells: 'A" + "9" * 5000 + "' }"))
    assert "is not a cell range" in p.message


def test_a_zone_in_mm_far_away_is_an_error_not_an_overflow():
    p = only_problem(edit("cells: A1 }", "mm: {x: 1.0e+300, y: 0, w: 1, h: 1} }"))
    assert "less than or equal to 1000000" in p.message


def test_feed_polled_every_microsecond_is_refused():
    p = only_problem(edit("poll_s: 60", "poll_s: 0.000001"))
    assert where(p) == ("wall.yaml", 18, 34)
    assert p.message == (
        "feeds.demo.poll_s: a feed is polled every 1 to 86400 s (once a second to once a day), not every 1e-06 s; "
        "vendors' rate limits want tens of seconds"
    )
    assert check("wall.yaml")[0] == 1
    load_config(write(edit("poll_s: 60", "poll_s: 1")))  # the fastest allowed


def test_a_feed_option_that_is_not_a_finite_number_is_an_error_at_it():
    # an adapter's options are its own models: the loader still refuses an infinity they accept
    feed = (
        "  api: { adapter: json, poll_s: 60, options: { url: 'https://example.org/x', "
        "metrics: { m: { name: M, value: a.b, scale: 'inf' } } } }\n"
    )
    p = only_problem(edit("  demo: { adapter: demo, poll_s: 60 }\n", "  demo: { adapter: demo, poll_s: 60 }\n" + feed))
    assert where(p) == ("wall.yaml", 19, 122)  # at the value
    assert p.message == "feeds.api.options.metrics.m.scale: not a finite number; give a number"


def test_durations_and_dates_beyond_any_use_are_errors():
    alert = (
        "alerts:\n  storm:\n    feed: demo\n    scenario: main\n"
        "    surge: {window: 99999999999999999999999d, baseline: 12h}\n"
    )
    p = problems_of(BASE + alert)[0]
    assert "longer than any duration a wall config takes" in p.message
    p = only_problem(
        edit("timezone: Europe/Paris", "timezone: Europe/Paris\n  calendar: [{date: 9999-12-31, closed: true}]")
    )
    assert "write a date from 1970 to 2999" in p.message


# ---------------------------------------------------------------- fuzzing

NASTY = [
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+999",
    "-1",
    "0",
    "0.000001",
    "1",
    "255",
    "256",
    "257",
    "16385",
    "65537",
    "1000000",
    "1000001",
    "99999999999999999999999",
    "9" * 5000,
    "''",
    "~",
    "true",
    "[light]",
    "[]",
    "{}",
    "[.inf, 100]",
    "[1, 2, 3]",
    "[[[[[[[[[[]]]]]]]]]]",
    "{a: {b: {c: {}}}}",
    "2026-13-45",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "'2026-12-24..2026-12-23'",
    "!!binary zz",
    "!foo x",
    "!!python/object:os.system x",
    "*nowhere",
    "&x [*x]",
    "'" + "A" * 300 + "'",
    "'Europe/" + "A" * 300 + "'",
    "'../../etc/passwd'",
    "'/etc/passwd'",
    '"\\0"',
    '"\\x07"',
    "12:30",
    "190:20:30",
    "0x1F",
    "0o17",
    "'inf'",
    "'nan'",
    "'1e999'",
    "'0:9'",
    "'16:0'",
    "'99999999999999999999999999999999999999:1'",
    "'A1:ZZ999999'",
    "'A99999999999'",
    "'${X}'",
    "'#zzzzzz'",
    "'{value'",
    "'{nothing}'",
    "'99999999999999999999999d'",
    "'1e400s'",
    "'mon-sun,'",
    "'25:00-26:00'",
    "'local'",
    "'UTC'",
    "{<<: 1}",
    "{<<: [1]}",
    "'" + "x" * 2000 + "'",
    "3600",
    "86401",
]
KEYS = sorted(
    {
        "widget",
        "feed",
        "tz",
        "zones",
        "cells",
        "grid",
        "cols",
        "rows",
        "panel",
        "resolution",
        "active_mm",
        "bezel_mm",
        "diagonal_in",
        "aspect",
        "position_mm",
        "rotation",
        "id",
        "layout",
        "scenarios",
        "theme",
        "variant",
        "feeds",
        "adapter",
        "poll_s",
        "options",
        "schedule",
        "timezone",
        "hours",
        "alerts",
        "surge",
        "threshold",
        "window",
        "baseline",
        "nodes",
        "displays",
        "playlist",
        "durations_s",
        "mm",
        "fraction",
        "snap",
        "control",
        "listen",
        "moderation",
        "terms",
        "redis",
        "fps",
        "name",
        "<<",
        "x",
        "y",
        "w",
        "h",
    }
)


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


REAL = {p.name: p.read_text(encoding="utf-8") for p in REAL_CONFIGS}
REAL_DATA = {name: yaml.safe_load(text) for name, text in REAL.items()}
REAL_PATHS = {name: [p for p in _paths(data) if p] for name, data in REAL_DATA.items()}

python_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(KEYS)
    | st.dates(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=20,
)


NASTY_TEXT = [
    "A" * 300,
    "Europe/" + "A" * 80,
    "../../etc/passwd",
    "/etc/passwd",
    "Europe",
    "local",
    "UTC",
    "Europe/Paris",
    "#ffffff",
    "#000000",
    "#zz",
    "mon-fri",
    "sun-sat",
    "daily",
    "00:00-24:00",
    "23:59-00:00",
    "closed",
    "A1",
    "A1:ZZ999999",
    "ZZ1",
    "16:9",
    "0:9",
    "9" * 400 + ":1",
    "${X}",
    "${}",
    "{value}",
    "{",
    "1h",
    "99999d",
    "0s",
    "2026-12-24..2026-12-23",
    "0001-01-01",
    "9999-12-31",
    "inf",
    "nan",
    "-inf",
    "1e999",
    "",
    " ",
    "\u0000",
]


def _like(value):
    """Values of the same kind as `value`, extremes first: they pass the type checks and reach the
    checks behind them (geometry, layouts, schedules, feeds)."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        extremes = [0, 1, -1, 255, 256, 257, 16_384, 16_385, 65_536, 10**9, 10**30]
        return st.sampled_from(extremes) | st.integers(min_value=-(10**6), max_value=10**12)
    if isinstance(value, float):
        extremes = [0.0, -0.0, 5e-324, 1e-300, 0.01, 0.999999, 1e6, 1e6 + 1, 1e300, -1e300, 1.7976931348623157e308]
        return st.sampled_from(extremes) | st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        return st.sampled_from(NASTY_TEXT) | st.text(max_size=30)
    if isinstance(value, list) and value:
        return st.lists(_like(value[0]), max_size=2 * len(value) + 1)
    return python_values


def load_outcome(path: Path) -> str:
    """'ok' or 'error' (a ConfigError of printable problems); anything else fails the test."""
    try:
        load_config(path, layout_dirs=LAYOUTS)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)
        assert all(p.mark.line >= 1 and p.mark.column >= 1 for p in exc.problems)
        assert str(exc)
        return "error"
    return "ok"


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    (d / "config").mkdir()
    (d / "layouts").symlink_to(REPO / "layouts", target_is_directory=True)
    return d / "config"


# WALL_FUZZ_SCALE=50 runs 50 times the examples (and other ones: the seed changes), to fuzz longer
# by hand; CI runs the default, the same examples every time.
SCALE = int(os.environ.get("WALL_FUZZ_SCALE", "1"))
FUZZ = settings(
    derandomize=SCALE == 1,  # the same examples on every run: CI is reproducible
    database=None,
    deadline=dt.timedelta(seconds=5),  # a load is bounded to well under a second; five is for a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@settings(FUZZ, max_examples=150 * SCALE)
@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_fuzz_any_text_loads_or_is_a_config_error(fuzz_dir, text):
    path = fuzz_dir / "text.yaml"
    path.write_text(text, encoding="utf-8")
    load_outcome(path)


@settings(FUZZ, max_examples=150 * SCALE)
@given(data=st.dictionaries(st.sampled_from(KEYS), python_values, max_size=8), share=st.booleans())
def test_fuzz_generated_yaml_documents(fuzz_dir, data, share):
    if share and data:  # shared values dump as anchors and aliases
        first = next(iter(data.values()))
        data = {**data, "shared_a": first, "shared_b": [first, first]}
    path = fuzz_dir / "generated.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_outcome(path)


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def _set(data, path, value):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


_DELETE = object()


@settings(FUZZ, max_examples=200 * SCALE)
@given(
    name=st.sampled_from(sorted(REAL)), picks=st.lists(st.integers(min_value=0), min_size=1, max_size=3), draw=st.data()
)
def test_fuzz_the_real_configs_with_values_replaced(fuzz_dir, name, picks, draw):
    """A real config, with values anywhere in it replaced by values of the same kind, or of any
    kind, or removed: every section's checks run, those behind the type checks too."""
    data = yaml.safe_load(REAL[name])
    for index in picks:
        paths = [p for p in _paths(data) if p]
        path = paths[index % len(paths)]
        old = _get(data, path)
        value = draw.draw(_like(old) | python_values | st.just(_DELETE), label=".".join(map(str, path)))
        _set(data, path, value)
    path = fuzz_dir / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_outcome(path)


@settings(FUZZ, max_examples=150 * SCALE)
@given(
    name=st.sampled_from(sorted(REAL)),
    seed=st.integers(min_value=0, max_value=2**32),
    edits=st.integers(min_value=1, max_value=3),
    nasty=st.lists(st.sampled_from(NASTY), min_size=3, max_size=3),
)
def test_fuzz_the_real_configs_as_text(fuzz_dir, name, seed, edits, nasty):
    """A real config with YAML written into it: values swapped for nasty ones, lines dropped, doubled
    or cut (the text mutations a person or a bad merge makes)."""
    rng = random.Random(seed)
    lines = REAL[name].splitlines()
    for i in range(edits):
        n = rng.randrange(len(lines))
        kind = rng.randrange(5)
        if kind <= 1 and ": " in lines[n]:
            head, _, _ = lines[n].partition(": ")
            lines[n] = f"{head}: {nasty[i]}"
        elif kind == 2:
            del lines[n]
        elif kind == 3:
            lines.insert(n, lines[n])
        else:
            cut = rng.randrange(len(lines[n]) + 1)
            lines[n] = lines[n][:cut] + nasty[i] + lines[n][cut:]
    path = fuzz_dir / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_outcome(path)


@settings(FUZZ, max_examples=12 * SCALE)
@given(name=st.sampled_from(sorted(REAL)), line=st.integers(min_value=0), value=st.sampled_from(NASTY))
def test_fuzz_check_never_exits_70(fuzz_dir, name, line, value):
    lines = REAL[name].splitlines()
    candidates = [i for i, text in enumerate(lines) if ": " in text and not text.lstrip().startswith("#")]
    n = candidates[line % len(candidates)]
    lines[n] = f"{lines[n].partition(': ')[0]}: {value}"
    path = fuzz_dir / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, said = check(str(path))
    assert code in (0, 1), said
    assert "internal error" not in said


@settings(FUZZ, max_examples=30 * SCALE)
@given(levels=st.integers(min_value=1, max_value=12), width=st.integers(min_value=1, max_value=12))
def test_fuzz_alias_bombs_of_every_shape(fuzz_dir, levels, width):
    path = fuzz_dir / "bomb.yaml"
    path.write_text(laughs(levels, width), encoding="utf-8")
    load_outcome(path)
