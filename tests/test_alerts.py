"""Alert rules: a surge of negative posts or a care figure past its breach level switches the wall
to a scenario with a banner; a cooldown keeps it from coming back at once, an operator's
acknowledge sends the wall back to its schedule.

Every time is injected. The recorded outage day (config/replay.yaml) is polled through the replay
adapter into a store, second by second of an injected clock, exactly as `wallctl run` would, and the
rule shipped in that config fires when the outage's negative posts surge, and only then.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.http import Fetcher
from feeds.model import Author, Metric, Post, Sentiment
from feeds.poller import poll_once
from wall.config.errors import ConfigError
from wall.config.loader import load_config
from wall.config.schema import AlertRuleConfig
from wall.config.syntax import parse_duration
from wall.runtime import feed_specs
from wall.scenes.alerts import AlertEngine, AlertError, UnknownAlert
from wall.store import Store

ROOT = Path(__file__).resolve().parent.parent
T = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SCORES = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}


def post(key: str, at: datetime, tone: str | None = "negative") -> Post:
    return Post(
        key=f"test:{key}",
        source="test",
        published_at=at,
        text=key,
        author=Author(id="a", handle="a"),
        sentiment=Sentiment(score=SCORES[tone], label=tone) if tone else None,
    )


def poll_history(
    store: Store, posts: list[Post], start: datetime, end: datetime, every=timedelta(minutes=5), feed: str = "social"
) -> None:
    """Deliver posts as a poller would: each poll brings those published since the one before."""
    posts = sorted(posts, key=lambda p: p.published_at)
    t, i = start, 0
    while t <= end:
        batch = []
        while i < len(posts) and posts[i].published_at <= t:
            batch.append(posts[i])
            i += 1
        store.put(feed, batch, {}, t)
        t += every


def surge_rule(**surge) -> dict:
    return {
        "feed": "social",
        "scenario": "crisis",
        "cooldown_s": 600,
        "surge": {"tone": "negative", "window": "1h", "baseline": "12h", "k": 3, "min_count": 3, **surge},
    }


def engine(**rules) -> AlertEngine:
    return AlertEngine({rid: AlertRuleConfig.model_validate(r) for rid, r in rules.items()})


def hourly_baseline(n: int = 12, tone: str = "negative") -> list[Post]:
    """One post an hour from T-12h30 to T-1h30: a baseline rate of one an hour."""
    return [post(f"base{i}", T - timedelta(hours=12, minutes=30) + timedelta(hours=i), tone) for i in range(n)]


def in_window(n: int, tone: str = "negative") -> list[Post]:
    return [post(f"now{i}", T - timedelta(minutes=50) + timedelta(minutes=i), tone) for i in range(n)]


def social_store(posts: list[Post], **kw) -> Store:
    """A store whose social feed has been polled every 5 minutes for 13 hours, and a care feed."""
    store = Store({"social": ("mastodon", 60.0), "care": ("zendesk", 60.0)}, **kw)
    poll_history(store, posts, T - timedelta(hours=13), T)
    return store


# ------------------------------------------------------------------------------------------- the store's counts


def test_the_store_counts_posts_its_buffer_no_longer_holds():
    posts = [
        post(f"p{i}", T - timedelta(hours=12) + timedelta(minutes=2 * i), ("negative", "neutral", None)[i % 3])
        for i in range(360)
    ]
    store = social_store(posts, max_posts=20)
    assert len(store.snapshot("social", T).posts) == 20
    counts = store.post_counts("social", T - timedelta(hours=13), T + timedelta(seconds=1))
    assert (counts.any, counts.negative, counts.neutral, counts.positive) == (360, 120, 120, 0)
    assert counts.counted_since == T - timedelta(hours=13)  # the first poll: nothing before it is known
    last_hour = store.post_counts("social", T - timedelta(hours=1), T + timedelta(seconds=1))
    assert last_hour.any == 30  # T-60m .. T-2m, every two minutes


def test_counts_on_five_minute_edges_are_exact_over_two_days():
    """Fine buckets for the last 2 h, coarse ones before: any range on 5-minute edges counts exactly."""
    import random

    rng = random.Random(7)
    tones = ("negative", "neutral", "positive", None)
    posts = [post(f"r{i}", T - timedelta(seconds=rng.uniform(0, 47 * 3600)), rng.choice(tones)) for i in range(3000)]
    store = Store({"social": ("mastodon", 60.0)}, max_posts=100)
    poll_history(store, posts, T - timedelta(hours=48), T, every=timedelta(minutes=3))
    for _ in range(200):
        a, b = sorted(rng.sample(range(0, 48 * 12 + 1), 2))
        start, end = T - timedelta(minutes=5 * b), T - timedelta(minutes=5 * a)
        counts = store.post_counts("social", start, end)
        inside = [p for p in posts if start <= p.published_at < end]
        assert counts.any == len(inside)
        assert counts.negative == sum(1 for p in inside if p.sentiment and p.sentiment.label == "negative")


def test_a_redelivered_post_is_counted_once():
    store = Store({"social": ("mastodon", 60.0)})
    page = [post(f"p{i}", T - timedelta(minutes=i)) for i in range(10)]
    store.put("social", page, {}, T)
    store.put("social", page[:5], {}, T + timedelta(seconds=30))  # overlapping pages
    store.put("social", page, {}, T + timedelta(seconds=60), replace=True)  # a full snapshot again
    store.put("social", [post("p0", T)], {}, T + timedelta(seconds=90))  # a like count moved on
    assert store.post_counts("social", T - timedelta(hours=1), T + timedelta(minutes=2)).negative == 10


def test_window_edges_fall_on_ten_second_buckets():
    store = Store({"social": ("mastodon", 60.0)})
    store.put(
        "social",
        [
            post("old", T - timedelta(hours=2)),
            post("a", T - timedelta(seconds=3601)),
            post("b", T - timedelta(seconds=3599)),
            post("c", T - timedelta(seconds=1)),
        ],
        {},
        T,
    )
    counts = store.post_counts("social", T - timedelta(hours=1), T)
    assert counts.negative == 2  # b and c; a is in the bucket before the window


def test_counts_come_back_from_the_restored_buffer(tmp_path):
    path = tmp_path / "store.db"
    store = Store.open(path, {"social": ("mastodon", 60.0)})
    store.put("social", [post(f"p{i}", T - timedelta(minutes=10 * i)) for i in range(6)], {}, T)
    store.close()
    again = Store.open(path, {"social": ("mastodon", 60.0)})
    try:
        counts = again.post_counts("social", T - timedelta(hours=2), T + timedelta(seconds=1))
        assert counts.negative == 6 and counts.counted_since == T - timedelta(minutes=50)
    finally:
        again.close()


def test_an_aggregate_counts_its_members():
    store = Store({"a": ("mastodon", 60.0), "b": ("bluesky", 60.0)})
    store.set_aggregate("all", ["a", "b"])
    store.put("a", [post("x", T - timedelta(minutes=5))], {}, T - timedelta(minutes=1))
    store.put("b", [post("y", T - timedelta(minutes=4), "positive")], {}, T)
    counts = store.post_counts("all", T - timedelta(hours=1), T)
    assert (counts.any, counts.negative, counts.positive) == (2, 1, 1)
    assert counts.counted_since == T - timedelta(minutes=4)  # complete once every member is
    assert store.post_counts("nope", T, T) is None


# ------------------------------------------------------------------------------------------- surge


def test_a_surge_at_exactly_k_times_the_baseline_does_not_fire_one_more_post_does():
    rules = engine(neg=surge_rule())
    at_k = social_store(hourly_baseline() + in_window(3))
    assert rules.evaluate(at_k, T) == []
    status = rules.status()[0]
    assert (status["state"], status["value"], status["ratio"], status["threshold"]) == ("idle", 3.0, 3.0, 3.0)

    over = social_store(hourly_baseline() + in_window(4))
    [event] = rules.evaluate(over, T)
    assert (event.rule_id, event.kind, event.scenario, event.severity) == ("neg", "fired", "crisis", "critical")
    assert event.title == "Surge: 4 negative posts in 1h"
    assert event.message == "4x the rate of the previous 12h (1 expected)"
    assert rules.interrupt().rule_id == "neg"


def test_other_tones_do_not_count_towards_a_negative_surge():
    rules = engine(neg=surge_rule())
    store = social_store(
        hourly_baseline() + in_window(3) + [post(f"pos{i}", T - timedelta(minutes=i), "positive") for i in range(30)]
    )
    assert rules.evaluate(store, T) == []
    anything = engine(any=surge_rule(tone="any"))
    assert [e.kind for e in anything.evaluate(store, T)] == ["fired"]


def test_min_count_keeps_two_posts_against_none_from_being_a_surge():
    rules = engine(neg=surge_rule(k=2))
    quiet = hourly_baseline(tone="neutral")  # twelve hours of history, none of it negative
    assert rules.evaluate(social_store(quiet + in_window(2)), T) == []
    assert rules.status()[0]["ratio_text"] == "∞"
    [event] = rules.evaluate(social_store(quiet + in_window(3)), T)
    assert event.message == "∞x the rate of the previous 12h (0 expected)"
    assert rules.status()[0]["ratio"] is None  # JSON has no infinity


def test_a_fresh_store_learns_its_baseline_before_judging():
    """A first poll that brings half an hour of posts is not a surge: nothing is known before it."""
    rules = engine(neg=surge_rule())
    store = Store({"social": ("mastodon", 60.0)})
    burst = [post(f"b{i}", T - timedelta(minutes=30) + timedelta(minutes=i)) for i in range(30)]
    store.put("social", burst, {}, T)
    assert rules.evaluate(store, T) == []
    status = rules.status()[0]
    assert status["state"] == "idle" and status["note"].startswith("learning the baseline until 2026-11-23T13:30")
    # two windows after the first post, with no new posts since, it can judge (and nothing surges)
    assert rules.evaluate(store, T + timedelta(hours=1, minutes=30)) == []
    assert rules.status()[0]["note"] is None


def test_a_surge_ends_when_posts_subside_and_cooldown_stops_a_quick_repeat():
    rules = engine(neg=surge_rule())
    history = hourly_baseline() + in_window(5)
    store = social_store(history)
    assert [e.kind for e in rules.evaluate(store, T)] == ["fired"]
    assert rules.evaluate(store, T + timedelta(minutes=5)) == []  # still firing: no new event
    # an hour later the burst has left the window
    [ended] = rules.evaluate(store, T + timedelta(minutes=15))
    assert ended.kind == "ended" and ended.since == T
    status = rules.status()[0]
    assert status["state"] == "cooling" and status["cooling_until"] == (T + timedelta(minutes=25)).isoformat()
    assert rules.interrupt() is None
    # a new burst during the cooldown does not fire; after it, it does
    again = [post(f"again{i}", T + timedelta(minutes=16 + i)) for i in range(6)]
    poll_history(store, again, T + timedelta(minutes=16), T + timedelta(minutes=22))
    assert rules.evaluate(store, T + timedelta(minutes=22)) == []
    assert rules.status()[0]["state"] == "cooling"
    [fired] = rules.evaluate(store, T + timedelta(minutes=25))
    assert fired.kind == "fired" and fired.since == T + timedelta(minutes=25)


def test_min_duration_waits_for_the_condition_to_hold():
    rules = engine(neg={**surge_rule(), "min_duration_s": 120})
    store = social_store(hourly_baseline() + in_window(5))
    assert rules.evaluate(store, T) == []
    assert rules.status()[0]["state"] == "pending"
    assert rules.evaluate(store, T + timedelta(seconds=119)) == []
    [event] = rules.evaluate(store, T + timedelta(seconds=120))
    assert event.kind == "fired" and event.since == T  # since the condition began


# ------------------------------------------------------------------------------------------- threshold


def first_reply(value: float, at: datetime = T) -> dict[str, Metric]:
    return {
        "care.first_reply_min": Metric(
            name="Average first reply",
            unit="min",
            value=value,
            warn=20,
            breach=30,
            higher_is_better=False,
            computed_at=at,
        )
    }


def care_store(value: float | None, at: datetime = T) -> Store:
    store = Store({"care": ("zendesk", 60.0)})
    store.put("care", [], {} if value is None else first_reply(value, at), at)
    return store


def slow_reply_rule(**kw) -> dict:
    return {
        "feed": "care",
        "scenario": "crisis",
        "severity": "warning",
        "cooldown_s": 300,
        "threshold": {"metric": "care.first_reply_min", "above": "breach"},
        **kw,
    }


def test_a_care_figure_past_its_breach_level_fires_with_a_filled_in_banner():
    rules = engine(
        slow=slow_reply_rule(
            banner={
                "title": "First replies take {value} {unit}",
                "message": "{name} is {direction} {threshold} {unit} ({rule}, {feed})",
            }
        )
    )
    assert rules.evaluate(care_store(29.9), T) == []
    [event] = rules.evaluate(care_store(31.5), T + timedelta(seconds=1))
    assert (event.kind, event.severity) == ("fired", "warning")
    assert event.title == "First replies take 31.5 min"
    assert event.message == "Average first reply is over 30 min (slow, care)"


def test_threshold_below_a_number_and_the_default_banner():
    rules = engine(fast={**slow_reply_rule(), "threshold": {"metric": "care.first_reply_min", "below": 2}})
    [event] = rules.evaluate(care_store(1.5), T)
    assert event.title == "Average first reply under 2 min" and event.message == "1.5 min now"


def test_a_figure_the_feed_does_not_have_never_fires_and_says_why():
    rules = engine(slow=slow_reply_rule())
    assert rules.evaluate(care_store(None), T) == []
    assert rules.status()[0]["note"] == "feed 'care' has no value for care.first_reply_min yet"
    other = engine(slow={**slow_reply_rule(), "threshold": {"metric": "care.first_reply_min", "above": "target"}})
    assert other.evaluate(care_store(50), T) == []
    assert other.status()[0]["note"] == "care.first_reply_min has no target level"


def test_threshold_cooldown_after_the_figure_recovers():
    rules = engine(slow=slow_reply_rule())
    assert [e.kind for e in rules.evaluate(care_store(35), T)] == ["fired"]
    assert [e.kind for e in rules.evaluate(care_store(25), T + timedelta(seconds=60))] == ["ended"]
    assert rules.evaluate(care_store(35), T + timedelta(seconds=120)) == []  # cooling until T+360
    assert rules.evaluate(care_store(35), T + timedelta(seconds=359)) == []
    assert [e.kind for e in rules.evaluate(care_store(35), T + timedelta(seconds=360))] == ["fired"]


# ------------------------------------------------------------------------------------------- operators


def test_acknowledge_sends_the_wall_back_until_the_condition_ends():
    rules = engine(slow=slow_reply_rule())
    rules.evaluate(care_store(35), T)
    assert rules.interrupt().rule_id == "slow"
    ack = rules.ack("slow", "maria", T + timedelta(seconds=10))
    assert (ack.kind, ack.by, ack.since) == ("acknowledged", "maria", T)
    assert rules.interrupt() is None
    for s in range(11, 600, 30):  # the figure stays bad: no repeat, no interrupt
        assert rules.evaluate(care_store(35), T + timedelta(seconds=s)) == []
        assert rules.interrupt() is None
    status = rules.status()[0]
    assert (status["state"], status["acknowledged_by"]) == ("acknowledged", "maria")
    assert rules.ack("slow", "li", T + timedelta(seconds=700)).by == "maria"  # twice is harmless
    [ended] = rules.evaluate(care_store(20), T + timedelta(seconds=720))
    assert ended.kind == "ended"
    assert rules.status()[0]["state"] == "cooling" and rules.status()[0]["acknowledged_by"] is None
    assert rules.evaluate(care_store(35), T + timedelta(seconds=900)) == []  # cooldown as usual
    assert [e.kind for e in rules.evaluate(care_store(35), T + timedelta(seconds=1020))] == ["fired"]
    assert rules.interrupt().rule_id == "slow"  # a new episode interrupts again


def test_acknowledging_what_is_not_firing_is_an_error():
    rules = engine(slow=slow_reply_rule())
    rules.evaluate(care_store(10), T)
    with pytest.raises(AlertError, match="alert 'slow' is not firing \\(it is idle\\)"):
        rules.ack("slow", "maria", T)
    with pytest.raises(UnknownAlert, match="no alert rule 'fast' \\(rules: slow\\)"):
        rules.ack("fast", "maria", T)


def test_the_interrupt_is_the_most_severe_firing_rule():
    rules = engine(
        info={**slow_reply_rule(), "severity": "info"},
        critical={**slow_reply_rule(), "severity": "critical", "scenario": "launch"},
        warning={**slow_reply_rule(), "severity": "warning"},
    )
    rules.evaluate(care_store(35), T)
    assert rules.interrupt().rule_id == "critical" and rules.interrupt().scenario == "launch"
    assert rules.ack("critical", "maria").at == T  # when: the last evaluation's time
    assert rules.interrupt().rule_id == "warning"


def test_status_is_json_for_the_control_api():
    rules = engine(neg=surge_rule(), slow=slow_reply_rule())
    before = rules.status()
    assert [s["state"] for s in before] == ["idle", "idle"] and before[0]["title"] == "Surge: - negative posts in 1h"
    store = social_store(hourly_baseline() + in_window(5))
    store.put("care", [], first_reply(35), T)
    rules.evaluate(store, T)
    text = json.dumps(rules.status())
    neg, slow = json.loads(text)
    assert neg["condition"] == "negative posts in the last 1h over 3x the rate of the previous 12h, at least 3"
    assert slow["condition"] == "care.first_reply_min above its breach level"
    assert (neg["state"], neg["since"], neg["value"], neg["ratio"]) == ("firing", T.isoformat(), 5.0, 5.0)
    assert (slow["state"], slow["value"], slow["threshold"]) == ("firing", 35.0, 30.0)


# ------------------------------------------------------------------------------------------- a recorded day


def replay_run(seconds: int, on_second=None):
    """Play config/replay.yaml's recorded day through the replay adapter into a store, polling every
    poll_s and evaluating its alert rules every second of an injected clock. Returns the engine, the
    events with their times, and when each row (key) arrived."""
    loaded = load_config(ROOT / "config" / "replay.yaml")
    [spec] = feed_specs(loaded)
    store = Store.from_config(loaded.config)
    rules = AlertEngine.from_config(loaded)
    start = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    events, arrived = [], {}

    async def run():
        async with Fetcher() as fetcher:
            for s in range(seconds):
                now = start + timedelta(seconds=s)
                if s % int(spec.poll_s) == 0:
                    result = await poll_once(spec, fetcher, store.cursors("day"), now)
                    store.put("day", result.posts, result.metrics, now, replace=result.replace, cursors=result.cursor)
                    arrived.update({p.key: s for p in result.posts})
                events.extend((s, e) for e in rules.evaluate(store, now))
                if on_second is not None:
                    on_second(s, now, rules)

    asyncio.run(run())
    return rules, events, arrived


def test_the_recorded_outage_fires_the_surge_rule_when_negative_posts_surge_and_only_then():
    """The day (file time): negative posts at 06:02, 06:31, 06:47, 07:40, 08:20, 10:30. At 60x the
    rule's 1m window is an hour of the day; only 06:02-06:47 holds three. The first replayed day
    teaches the baseline, the second fires at 06:47 (r004), the 10-minute cooldown lets the third
    day's outage pass, the fourth fires again."""
    states = {}
    rules, events, arrived = replay_run(1600, lambda s, now, r: states.__setitem__(s, r.status()[0]))
    fired = [(s, e) for s, e in events if e.kind == "fired"]
    ended = [(s, e) for s, e in events if e.kind == "ended"]
    assert [s for s, _ in fired] == [arrived["replay:r004@1"], arrived["replay:r004@3"]]
    assert all(s > arrived["replay:r017"] for s, _ in events)  # nothing during the first (learning) day
    first = fired[0][1]
    assert (first.rule_id, first.scenario, first.severity) == ("negative-surge", "outage", "critical")
    assert first.title == "Negative posts surging: 3 in 1m"
    assert first.message.endswith("x the rate of the previous 12m; reply with the outage holding statement")
    assert float(first.message.split("x ")[0]) > 2
    # it ends within the hour of the day that follows (a wall minute), when 06:02 leaves the window
    assert len(ended) == 2 and 0 < ended[0][0] - fired[0][0] <= 60
    assert ended[0][0] > arrived["replay:r004@1"] and ended[0][0] < arrived["replay:r005@1"] + 60
    # the third day's outage: the condition holds again, but the rule is cooling
    third = states[arrived["replay:r004@2"]]
    assert (third["state"], third["value"]) == ("cooling", 3.0)
    assert fired[1][0] >= ended[0][0] + 600


def test_acknowledging_the_replayed_outage_returns_the_wall_to_its_schedule():
    seen = {}

    def operator(s, now, rules):
        status = rules.status()[0]
        if status["state"] == "firing" and "acked" not in seen:
            seen["acked"] = s
            rules.ack("negative-surge", "maria", now)
        seen.setdefault("interrupts", []).append((s, rules.interrupt()))
        seen.setdefault("states", []).append(rules.status()[0]["state"])

    rules, events, arrived = replay_run(900, operator)
    assert [e.kind for _, e in events] == ["fired", "ended"]
    assert seen["acked"] == arrived["replay:r004@1"]
    assert all(i is None for _, i in seen["interrupts"])  # acknowledged the second it fired
    assert "acknowledged" in seen["states"] and seen["states"][-1] == "cooling"


# ------------------------------------------------------------------------------------------- the demo


def test_the_demo_rule_never_fires_on_two_days_of_demo_data():
    loaded = load_config(ROOT / "config" / "demo.yaml")
    store = Store.from_config(loaded.config)
    rules = AlertEngine.from_config(loaded)
    assert rules.rule_ids == ["slow-first-reply"]
    values = []
    for minutes in range(0, 48 * 60, 13):
        now = T + timedelta(minutes=minutes)
        assert rules.evaluate(store, now) == []
        values.append(rules.status()[0]["value"])
    assert 9 <= min(values) and max(values) <= 19 and rules.status()[0]["threshold"] == 30.0


# ------------------------------------------------------------------------------------------- config


WALL = """\
name: Alert test
displays:
  grid:
    cols: 1
    rows: 1
    panel: { resolution: [1920, 1080], active_mm: [1209.6, 680.4] }
layout:
  zones:
    main: { fraction: { w: 1, h: 1 } }
feeds:
  social: { adapter: demo }
scenarios:
  monitoring: { zones: { main: { widget: text, text: "Monitoring" } } }
  crisis:     { zones: { main: { widget: text, text: "Crisis" } } }
"""


def errors_of(tmp_path, monkeypatch, alerts: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wall.yaml").write_text(WALL + "\n" + textwrap.dedent(alerts), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config("wall.yaml")
    return [str(p) for p in info.value.problems]


def test_an_unknown_feed_and_an_unknown_scenario(tmp_path, monkeypatch):
    errors = errors_of(
        tmp_path,
        monkeypatch,
        """\
        alerts:
          surge:
            feed: socail
            surge: { window: 1h }
            scenario: crisiss
        """,
    )
    assert errors == [
        "wall.yaml:20:15: alerts.surge.scenario: 'crisiss' is not a scenario of this wall; did you mean 'crisis'? "
        "(scenarios: monitoring, crisis)",
        "wall.yaml:18:11: alerts.surge.feed: feed 'socail' is not declared under feeds: (declared: social)",
    ]


def test_banner_placeholders_are_checked(tmp_path, monkeypatch):
    errors = errors_of(
        tmp_path,
        monkeypatch,
        """\
        alerts:
          slow:
            feed: social
            threshold: { metric: care.first_reply_min, above: breach }
            scenario: crisis
            banner: { title: "Slow: {ratio}", message: "{value:.1f} min" }
        """,
    )
    assert errors == [
        "wall.yaml:21:22: alerts.slow.banner.title: unknown placeholder {ratio}; a threshold rule's banner may use "
        "{rule}, {feed}, {value}, {threshold}, {metric}, {name}, {unit}, {direction}",
        "wall.yaml:21:48: alerts.slow.banner.message: write {value} without a format: "
        "values come formatted for reading",
    ]


def test_a_rule_needs_exactly_one_condition_and_sound_durations(tmp_path, monkeypatch):
    errors = errors_of(
        tmp_path,
        monkeypatch,
        """\
        alerts:
          none: { feed: social, scenario: crisis }
          bad-window:
            feed: social
            surge: { window: 1 hour, baseline: 12h }
            scenario: crisis
          too-long:
            feed: social
            surge: { window: 2h, baseline: 47h }
            scenario: crisis
          sides:
            feed: social
            threshold: { metric: care.waiting, above: 10, below: 2 }
            scenario: crisis
        """,
    )
    assert errors == [
        "wall.yaml:17:9: alerts.none: give the rule one condition: surge: {...} or threshold: {...}",
        "wall.yaml:20:22: alerts.bad-window.surge.window: '1 hour' is not a duration; write it like '90s', '15m', "
        "'1h' or '1h30m'",
        "wall.yaml:24:36: alerts.too-long.surge.baseline: window + baseline must fit in the 48h the store "
        "counts posts for",
        "wall.yaml:28:16: alerts.sides.threshold: give a threshold exactly one of above: or below: (a number, or "
        "target, warn, breach)",
    ]


def test_durations_read_like_the_config():
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration(45) == timedelta(seconds=45)
    with pytest.raises(ValueError):
        parse_duration("soon")
