"""The live wall polls its feeds in the background: `wallctl run` on a replayed day shows the
replayed posts, and a restart without the source shows the last persisted data (stale)."""

import json
import shutil
from pathlib import Path

from conftest import run_cli

ROOT = Path(__file__).parent.parent


def test_run_polls_the_replay_feed_into_the_zones(tmp_path):
    out = tmp_path / "snap"
    rc, stdout, stderr = run_cli(
        "run",
        "config/replay.yaml",
        "--duration",
        "3",
        "--store",
        "none",
        "--snapshot",
        str(out),
        "--status-every",
        "100",
    )
    assert rc == 0, stderr
    state = json.loads((out / "state.json").read_text())
    posts = state["zones"]["posts"]["view"]["posts"]
    assert posts and posts[0]["key"] == "replay:r001"
    assert state["zones"]["posts"]["view"]["status"]["state"] == "ok"
    # figures derived from the replayed posts feed the other widgets
    assert state["zones"]["tone"]["view"]["total"] >= 1
    assert any(w["label"] == "#panne" for w in state["zones"]["topics"]["view"]["items"])


def test_a_restart_without_the_source_shows_the_last_data_as_stale(tmp_path):
    cfg = tmp_path / "replay.yaml"
    data = tmp_path / "day.csv"
    shutil.copy(ROOT / "assets" / "replay" / "outage-day.csv", data)
    cfg.write_text((ROOT / "config" / "replay.yaml").read_text().replace("../assets/replay/outage-day.csv", str(data)))
    store = tmp_path / "wall.sqlite3"
    rc, _, err = run_cli("run", str(cfg), "--duration", "3", "--store", str(store), "--status-every", "100")
    assert rc == 0, err
    data.unlink()  # the source is gone
    out = tmp_path / "after"
    rc, _, err = run_cli(
        "run", str(cfg), "--frames", "3", "--store", str(store), "--snapshot", str(out), "--status-every", "100"
    )
    assert rc == 0, err
    view = json.loads((out / "state.json").read_text())["zones"]["posts"]["view"]
    assert [p["key"] for p in view["posts"]][:1] == ["replay:r001"]  # the last good data, at once
    assert view["status"]["state"] in ("stale", "failing")


def test_render_can_show_what_a_running_wall_stored(tmp_path):
    store = tmp_path / "wall.sqlite3"
    rc, _, err = run_cli("run", "config/replay.yaml", "--duration", "3", "--store", str(store), "--status-every", "100")
    assert rc == 0, err
    out = tmp_path / "render"
    rc, _, err = run_cli("render", "config/replay.yaml", "--store", str(store), "--out", str(out))
    assert rc == 0, err
    view = json.loads((out / "state.json").read_text())["zones"]["posts"]["view"]
    assert view["posts"] and view["posts"][0]["key"] == "replay:r001"
    rc, _, err = run_cli("render", "config/replay.yaml", "--out", str(tmp_path / "plain"))
    view = json.loads((tmp_path / "plain" / "state.json").read_text())["zones"]["posts"]["view"]
    assert view["status"]["state"] == "loading" and not view["posts"]  # nothing polled, nothing stored
