"""`adapter: aggregate` in a config: several feeds bound to a zone as one."""

from pathlib import Path

import pytest

from wall.config.errors import ConfigError
from wall.config.loader import load_config
from wall.store import Store

ROOT = Path(__file__).parent.parent


def config(tmp_path, members: str) -> Path:
    text = (ROOT / "config" / "replay.yaml").read_text()
    text = text.replace("../assets/replay/outage-day.csv", str(ROOT / "assets" / "replay" / "outage-day.csv"))
    text = text.replace(
        "feeds:\n  day:\n", f"feeds:\n  both:\n    adapter: aggregate\n    options: {{feeds: {members}}}\n  day:\n", 1
    )
    text = text.replace("feed: day, rank_by: recency", "feed: both, rank_by: recency")
    p = tmp_path / "wall.yaml"
    p.write_text(text)
    return p


def test_a_zone_can_read_an_aggregate_of_feeds(tmp_path):
    loaded = load_config(config(tmp_path, "[day]"))
    assert loaded.scenarios["replay"].bindings["posts"].feed == "both"
    store = Store.from_config(loaded.config)
    assert set(store.feed_ids()) >= {"both", "day"}


def test_an_aggregate_of_an_unknown_feed_is_an_error_at_its_name(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(config(tmp_path, "[day, nope]"))
    (problem,) = exc.value.problems
    assert "'nope' is not a feed this aggregate can merge" in problem.message
    assert (problem.mark.line, problem.mark.column) == (16, 28)  # at the name in the list
