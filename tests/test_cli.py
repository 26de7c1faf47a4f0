"""wallctl as a user meets it: real subprocesses, exit codes, one clear line per problem, JSON contracts.

Exit codes: 0 ok, 1 bad config, 2 bad usage (see wall/cli.py). No failure a user can cause may
print a traceback.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import run_cli

GOOD_WALL = """\
displays:
  grid: {cols: 2, rows: 1, panel: {resolution: [1920, 1080], active_mm: [1209.6, 680.4], bezel_mm: 0.9}}
layout:
  zones:
    main: {cells: A1:B1}
scenarios:
  s:
    zones:
      main: {widget: text, text: hi}
"""


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{stderr}"
    return lines[0]


def write(tmp_path, text: str, name: str = "wall.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- check


def test_check_demo_is_ok():
    rc, stdout, stderr = run_cli("check", "config/demo.yaml")
    assert rc == 0, stderr
    assert "ok" in stdout
    assert "6 displays" in stdout


def test_check_of_a_hand_written_wall_is_ok(tmp_path):
    rc, stdout, stderr = run_cli("check", write(tmp_path, GOOD_WALL))
    assert rc == 0, stderr
    assert "ok" in stdout


def test_missing_file_is_one_line_with_position(tmp_path):
    missing = tmp_path / "nope.yaml"
    rc, stdout, stderr = run_cli("check", missing)
    assert rc == 1
    assert one_line(stderr) == f"{missing}:1:1: file not found"


def test_bad_yaml_names_file_line_and_column(tmp_path):
    p = write(tmp_path, "name: x\ndisplays: [\n  foo: : bar\n")
    rc, stdout, stderr = run_cli("check", p)
    assert rc == 1
    line = one_line(stderr)
    m = re.match(rf"^{re.escape(str(p))}:(\d+):(\d+): ", line)
    assert m, line
    assert int(m.group(1)) == 3  # the broken line
    assert "YAML" in line


def test_unknown_widget_is_one_line_naming_it(tmp_path):
    p = write(tmp_path, GOOD_WALL.replace("widget: text", "widget: sparkles"))
    rc, stdout, stderr = run_cli("check", p)
    assert rc == 1
    line = one_line(stderr)
    assert line.startswith(f"{p}:")
    assert "'sparkles'" in line
    assert "text" in line  # says what would be accepted


def test_zone_outside_the_canvas_is_one_line(tmp_path):
    text = GOOD_WALL.replace("main: {cells: A1:B1}", "main: {mm: {x: 100000, y: 0, w: 100, h: 100}}")
    p = write(tmp_path, text)
    rc, stdout, stderr = run_cli("check", p)
    assert rc == 1
    line = one_line(stderr)
    assert re.match(rf"^{re.escape(str(p))}:\d+:\d+: ", line), line
    assert "outside" in line and "'main'" in line


# ---------------------------------------------------------------- geometry and schema


@pytest.fixture(scope="module")
def geometry():
    rc, stdout, stderr = run_cli("geometry", "config/demo.yaml", "--json")
    assert rc == 0, stderr
    return json.loads(stdout)


def test_geometry_json_contract(geometry):
    assert geometry["canvas"] == {"w": 5766, "h": 2163}
    displays = geometry["displays"]
    assert [d["id"] for d in displays] == ["A1", "B1", "C1", "A2", "B2", "C2"]
    for d in displays:
        assert {"id", "resolution", "rotation", "mm", "viewport"} <= set(d)
        assert d["resolution"] == [1920, 1080]
        assert d["rotation"] == 0
        assert set(d["mm"]) == {"x", "y", "w", "h"}
        assert set(d["viewport"]) == {"x", "y", "w", "h"}
        assert (d["viewport"]["w"], d["viewport"]["h"]) == (1920, 1080)
    b1 = displays[1]
    assert b1["viewport"]["x"] == 1923  # 1920 px of A1 + 3 px hidden behind 1.8 mm of bezels
    assert b1["mm"]["x"] == pytest.approx(1211.4)
    assert displays[3]["viewport"]["y"] == 1083


def test_geometry_text_lists_every_display():
    rc, stdout, stderr = run_cli("geometry", "config/demo.yaml")
    assert rc == 0, stderr
    assert "canvas 5766x2163" in stdout
    for d in ("A1", "B1", "C1", "A2", "B2", "C2"):
        assert d in stdout


def test_schema_is_json_schema_of_the_config():
    rc, stdout, stderr = run_cli("schema")
    assert rc == 0, stderr
    schema = json.loads(stdout)
    assert {"displays", "layout", "scenarios"} <= set(schema["properties"])


# ---------------------------------------------------------------- usage errors


def test_garbage_time_exits_2_with_one_line(tmp_path):
    rc, stdout, stderr = run_cli("render", "config/demo.yaml", "--time", "garbage", "--out", tmp_path)
    assert rc == 2
    line = one_line(stderr)
    assert "garbage" in line and "ISO 8601" in line
    assert not list(tmp_path.glob("*.png"))


def test_time_without_offset_exits_2(tmp_path):
    rc, stdout, stderr = run_cli("render", "config/demo.yaml", "--time", "2026-11-23T09:30:00", "--out", tmp_path)
    assert rc == 2
    assert "offset" in one_line(stderr)


def test_unknown_pattern_exits_2(tmp_path):
    rc, stdout, stderr = run_cli("render", "config/demo.yaml", "--pattern", "zebra", "--out", tmp_path)
    assert rc == 2
    line = one_line(stderr)
    assert "zebra" in line and "bezel" in line and "grid" in line


def test_bad_config_in_render_exits_1(tmp_path):
    rc, stdout, stderr = run_cli("render", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert rc == 1
    assert one_line(stderr).endswith("file not found")


# ---------------------------------------------------------------- run and bench


def test_run_headless_counts_frames():
    rc, stdout, stderr = run_cli("run", "config/demo.yaml", "--backend", "headless", "--frames", "20")
    assert rc == 0, stderr
    assert "Traceback" not in stderr
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["frames"] == 20
    assert result["dropped"] >= 0
    assert set(result["frame_ms"]) == {"p50_ms", "p95_ms", "p99_ms", "max_ms"}


def test_bench_reports_structure_not_speed():
    # a benchmark, not a timed test: only the report's shape and sanity are asserted
    rc, stdout, stderr = run_cli("bench", "config/demo.yaml", "--frames", "30")
    assert rc == 0, stderr
    result = json.loads(stdout)
    assert result["frames"] == 30
    for key in ("frame_ms", "floor_blit_ms"):
        stats = result[key]
        assert set(stats) >= {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
        assert all(stats[k] > 0 for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")), stats
        assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"], stats
    ratio = result["ratio_frame_to_floor"]
    assert ratio and all(v >= 0 for v in ratio.values()), ratio


def test_transitions_bench_reports_every_transition():
    # the figures are the machine's; the test holds the report to its shape: every transition ran
    # for its duration and was measured, the spotlight on the zone asked for
    rc, stdout, stderr = run_cli("bench", "config/demo.yaml", "--transitions", "--duration", "0.4", "--zone", "tone")
    assert rc == 0, stderr
    result = json.loads(stdout)
    assert result["between"] == ["monitoring", "crisis"] and result["spotlight_zone"] == "tone"
    assert set(result["transitions"]) == {"crossfade", "slide", "wipe", "zoom_in", "zoom_out"}
    for kind, figures in result["transitions"].items():
        assert figures["frames"] >= 1 and figures["fps"] > 0, (kind, figures)
        ms = figures["frame_ms"]
        assert 0 < ms["p50_ms"] <= ms["p99_ms"] <= ms["max_ms"], (kind, ms)
    rc, _, stderr = run_cli("bench", "config/demo.yaml", "--transitions", "--zone", "nowhere")
    assert rc != 0 and "no zone 'nowhere'" in stderr


def test_startup_and_memory_benches_measure_a_real_run():
    # a real `wallctl run` each time: the figures are the machine's, the test holds them to what
    # they must be (a first frame was seen in every counted run; every process of the wall counted)
    rc, stdout, stderr = run_cli("bench", "config/demo.yaml", "--startup", "--rounds", "1")
    assert rc == 0, stderr
    result = json.loads(stdout)
    assert len(result["runs_s"]) == 1 and 0 < result["median_s"] == result["runs_s"][0] < 120
    rc, stdout, stderr = run_cli("bench", "config/demo.yaml", "--memory", "4")
    assert rc == 0, stderr
    result = json.loads(stdout)
    names = [p["process"] for p in result["processes"]]
    assert names.count("wall") == 1 and "paint worker" in names, names
    assert set(names) == {"wall", "paint worker"}, names  # no helper process of multiprocessing's either
    assert all(p["rss_mb"] > 5 and 0 < p["pss_mb"] <= p["rss_mb"] for p in result["processes"]), result
    assert result["rss_mb"] == pytest.approx(sum(p["rss_mb"] for p in result["processes"]), abs=0.2)
    rc, _, stderr = run_cli("bench", "--memory", "4")
    assert rc != 0 and "CONFIG" in stderr


def test_a_burst_on_a_config_without_a_polled_feed_says_which_config_to_use():
    rc, stdout, stderr = run_cli("bench", "config/demo.yaml", "--burst", "500")
    assert rc == 2 and stdout == ""
    assert "config/demo.yaml declares no polled feed" in stderr and "config/replay.yaml" in stderr
    assert "internal error" not in stderr
