"""`wallctl feed list` and `wallctl feed poll CONFIG FEED --once --json`."""

import json

from conftest import run_cli


def test_feed_list_names_the_adapters():
    rc, out, err = run_cli("feed", "list")
    assert rc == 0, err
    names = [line.split()[0] for line in out.strip().splitlines()]
    assert "demo" in names and names == sorted(names)


def test_feed_poll_prints_models_then_health():
    rc, out, err = run_cli("feed", "poll", "config/demo.yaml", "demo", "--once", "--json")
    assert rc == 0, err
    lines = [json.loads(line) for line in out.strip().splitlines()]
    *items, last = lines
    assert last["health"]["state"] == "ok"
    posts = [i for i in items if "key" in i]
    metrics = [i for i in items if "name" in i and "key" not in i]
    assert posts and all(p["key"].startswith("demo:") and p["published_at"] for p in posts)
    assert {m["name"] for m in metrics} >= {"Average first reply", "Response rate"}


def test_feed_poll_unknown_feed_is_a_usage_error():
    rc, out, err = run_cli("feed", "poll", "config/demo.yaml", "nope", "--once")
    assert rc == 2 and "no feed 'nope'" in err and "demo" in err


def test_feed_pipeline_benchmark_reports_throughput():
    rc, out, err = run_cli("bench", "--feeds", "--posts", "600")
    assert rc == 0, err
    result = json.loads(out)
    mastodon, replay = result["mastodon"], result["replay"]
    assert mastodon["statuses"] == 600 and mastodon["deliveries"] >= 600
    assert mastodon["posts_per_s"] > 0
    assert mastodon["counted_once"] == 600  # redelivered pages are not counted again
    assert replay["rows"] == 600 and replay["rows_per_s"] > 0
    assert replay["counted"] == 600  # every row counted into the figures, once
