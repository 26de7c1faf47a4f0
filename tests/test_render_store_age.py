"""`wallctl render --store FILE` says when the stored data is from, as a clock time in the wall
machine's time zone: never "stale · data from just now" for data that a render read from disk."""

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import run_cli

PARIS = ZoneInfo("Europe/Paris")


def _badge_notes(out):
    zones = json.loads((out / "state.json").read_text())["zones"]
    return {zid: z["view"]["status"]["note"] for zid, z in zones.items() if "status" in (z.get("view") or {})}


def test_render_of_a_stored_wall_says_what_time_its_data_is_from(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")  # the wall machine's zone: what its clocks show
    store = tmp_path / "wall.sqlite3"
    before = datetime.now(UTC)
    rc, _, err = run_cli("run", "config/replay.yaml", "--duration", "3", "--store", str(store), "--status-every", "100")
    after = datetime.now(UTC)
    assert rc == 0, err
    # the clock times the data can be from: the minute the run polled, in Paris
    clocks = {
        f"{(before + timedelta(seconds=s)).astimezone(PARIS):%H:%M}"
        for s in range(int((after - before).total_seconds()) + 2)
    }

    out = tmp_path / "now"
    rc, _, err = run_cli("render", "config/replay.yaml", "--store", str(store), "--out", str(out))
    assert rc == 0, err
    note = _badge_notes(out)["posts"]
    assert "just now" not in note and "stale" not in note, note
    m = re.fullmatch(r"data from (\d\d:\d\d)", note)
    assert m and m.group(1) in clocks, (note, clocks)

    # three hours later (a render of an old store): the same clock time, and how long ago it is;
    # past midnight in Paris, with the data's weekday too (a test run in the evening)
    later_at = after + timedelta(hours=3, minutes=5)
    out = tmp_path / "later"
    rc, _, err = run_cli(
        "render", "config/replay.yaml", "--store", str(store), "--time", later_at.isoformat(), "--out", str(out)
    )
    assert rc == 0, err
    notes = _badge_notes(out)
    data_day = after.astimezone(PARIS)
    weekday = f"{data_day:%a} " if later_at.astimezone(PARIS).date() != data_day.date() else ""
    m = re.fullmatch(rf"data from {weekday}(\d\d:\d\d) · 3 h ago", notes["posts"])
    assert m and m.group(1) in clocks, notes
    assert all(n.startswith("data from ") for n in notes.values() if n), notes

    # the day before the data (a --time before the store's last poll): the date, no age
    earlier = (before - timedelta(days=1)).isoformat()
    out = tmp_path / "earlier"
    rc, _, err = run_cli("render", "config/replay.yaml", "--store", str(store), "--time", earlier, "--out", str(out))
    assert rc == 0, err
    day = before.astimezone(PARIS)
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert re.fullmatch(rf"data from {day.day} {months[day.month - 1]} \d\d:\d\d", _badge_notes(out)["posts"])
