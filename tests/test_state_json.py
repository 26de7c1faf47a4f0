"""`wallctl render` writes state.json: what every zone of the demo wall shows, without pixels."""

import json

import pytest
from conftest import run_cli

T = "2026-11-23T09:30:05+01:00"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    out = tmp_path_factory.mktemp("state")
    rc, _, err = run_cli("render", "config/demo.yaml", "--time", T, "--out", str(out))
    assert rc == 0, err
    return json.loads((out / "state.json").read_text())


def test_every_zone_of_the_scenario_is_described(state):
    from wall.config.loader import load_config

    plan = load_config("config/demo.yaml").scenarios["monitoring"]
    assert state["scenario"] == "monitoring"
    assert state["time"] == T
    assert set(state["zones"]) == set(plan.bindings)
    for zone_id, zone in state["zones"].items():
        assert zone["widget"] == plan.bindings[zone_id].widget
        assert zone["rect"] == plan.layout.zone(zone_id).rect.as_dict()


def test_views_hold_what_is_on_screen(state):
    z = state["zones"]
    posts = z["posts"]["view"]["posts"]
    assert posts and all(p["key"].startswith("demo:") and p["text"] for p in posts)
    assert z["first_reply"]["view"]["band"] in ("ok", "warn", "breach")
    assert z["first_reply"]["view"]["unit"] == "min"
    tone = z["tone"]["view"]
    assert [p["tone"] for p in tone["parts"]] == ["positive", "neutral", "negative"]
    assert sum(int(p["percent"].split()[0]) for p in tone["parts"]) == 100
    assert abs(sum(p["share"] for p in tone["parts"]) - 1) < 1e-3
    assert z["press"]["view"]["period_px"] >= z["press"]["rect"]["w"]
    assert any(c["code"] == "FR" for c in z["countries"]["view"]["countries"])
    assert [r["rank"] for r in z["influencers"]["view"]["rows"]] == list(
        range(1, len(z["influencers"]["view"]["rows"]) + 1)
    )
    assert all(zone["view"]["status"]["state"] == "ok" for zone in z.values() if "status" in zone["view"])


def test_text_boxes_say_where_each_zone_drew_its_text(state):
    """Every zone lists the boxes of the text its painter drew (zone px): titles among them, and
    none outside its zone (a scrolling strip is wider than its zone by design)."""
    z = state["zones"]
    assert "Top posts" in [b["text"] for b in z["posts"]["text"]]
    assert "Trending topics" in [b["text"] for b in z["topics"]["text"]]
    for zone_id, zone in z.items():
        if zone["widget"] == "ticker":
            continue
        w, h = zone["rect"]["w"], zone["rect"]["h"]
        assert zone["text"], zone_id
        for b in zone["text"]:
            assert b["x"] >= -0.5 and b["y"] >= -0.5, (zone_id, b)
            assert b["x"] + b["w"] <= w + 0.5 and b["y"] + b["h"] <= h + 0.5, (zone_id, b)
