"""feeds.engage_digital: interventions -> care metrics, parsed from recorded-shape fixtures and polled
end to end through a real Fetcher against the local HTTP server (real sockets, real httpx)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, FixtureServer
from pydantic import ValidationError

from feeds import engage_digital as ed
from feeds.adapter import PollResult
from feeds.errors import FeedError

NOW = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
TOKEN = "ed-SECRET-31c0ffee"
PATH = "/1.0/interventions"
load, body = feed_kit.recorded("engage_digital")


def options(server: FixtureServer | None = None, **kw) -> ed.Options:
    return ed.Options.model_validate(
        {"base_url": server.url("") if server else "https://acme.api.engagement.dimelo.com", **kw}
    )


def run_poll(opts: ed.Options, cursor: dict | None = None, credentials: dict | None = None) -> PollResult:
    return feed_kit.run_poll(
        ed,
        opts,
        feed_id="care",
        credentials=credentials or {"access_token": TOKEN},
        cursor=cursor,
        now=NOW,
        credential_key="engage_digital:test",
    )


def paged(server: FixtureServer) -> None:
    def handler(h: FixtureHandler) -> None:
        offset = h.query.get("offset", ["0"])[0]
        h.reply(200, body({"0": "interventions_page1.json", "3": "interventions_page2.json"}[offset]))

    server.route(PATH, handler)


def values(metrics: dict) -> dict:
    return {k: m.value for k, m in metrics.items()}


# ------------------------------------------------------------------------------------------- parsing


def test_parse_interventions_maps_fields_and_units():
    items = ed.parse_interventions(load("interventions_page1.json"))
    assert [i["id"][-4:] for i in items] == ["a001", "a002", "a003"]
    a1, a2, a3 = items
    assert (a1["closed"], a1["replied"], a1["replies"], a1["first_reply_min"]) == (False, False, 0, None)
    assert (a2["replies"], a2["first_reply_min"]) == (2, 5.0)  # 300 s
    assert a3["closed"] and a3["first_reply_min"] == 30.0
    assert a3["created_at"] == datetime(2024, 6, 12, 8, tzinfo=UTC)
    bh = ed.parse_interventions(load("interventions_page1.json"), hours="business")
    assert [i["first_reply_min"] for i in bh] == [None, 2.0, 15.0]
    minutes = ed.parse_interventions(load("interventions_page1.json"), unit="minutes")
    assert minutes[1]["first_reply_min"] == 300.0


def test_parse_skips_bad_records_and_clamps_counts():
    doc = load("interventions_page1.json")
    doc["records"][0]["created_at"] = "yesterday"
    doc["records"][1]["user_replies_count"] = -1
    doc["records"][1]["first_user_reply_in"] = -5
    doc["records"].append({"created_at": "2024-06-12T10:00:00Z"})  # no id
    doc["records"].append("not an object")
    items = ed.parse_interventions(doc)
    assert [i["id"][-4:] for i in items] == ["a002", "a003"]
    assert items[0]["replies"] == 0 and items[0]["replied"]  # first_user_reply_id says someone replied
    assert items[0]["first_reply_min"] is None  # a negative duration is not a time
    with pytest.raises(FeedError) as info:
        ed.parse_interventions({"interventions": []})
    assert info.value.kind == "bad_response"


def test_compute_metrics_over_the_window():
    items = ed.parse_interventions(load("interventions_page1.json")) + ed.parse_interventions(
        load("interventions_page2.json")
    )
    opts = options(thresholds={"care.first_reply_min": {"target": 15, "warn": 30, "breach": 60}})
    m = ed.compute_metrics(items, opts, NOW)
    # a5 was created 27 h ago: outside the 24 h window
    assert values(m) == {
        "care.first_reply_min": 30.0,
        "care.response_rate": 75.0,
        "care.replies": 6.0,
        "care.waiting": 1.0,
    }
    frt = m["care.first_reply_min"]
    assert (frt.unit, frt.window, frt.higher_is_better, frt.target, frt.warn, frt.breach) == (
        "min",
        "24h",
        False,
        15,
        30,
        60,
    )
    mean = ed.compute_metrics(items, options(statistic="mean"), NOW)
    assert mean["care.first_reply_min"].value == pytest.approx(51.7)
    assert ed.compute_metrics([], options(), NOW)["care.first_reply_min"].value is None


def test_options_are_strict():
    with pytest.raises(ValidationError):
        ed.Options(base_url="http://acme.api.engagement.dimelo.com")
    with pytest.raises(ValidationError):
        ed.Options(base_url="https://acme.api.engagement.dimelo.com", limit=500)
    with pytest.raises(ValidationError):
        ed.Options(base_url="https://acme.api.engagement.dimelo.com", q="x")
    assert (
        ed.Options(base_url="https://acme.api.digital.ringcentral.com/1.0/").base_url
        == "https://acme.api.digital.ringcentral.com"
    )


# ------------------------------------------------------------------------------------------- poll


def test_poll_pages_by_offset_dedups_and_stops_at_the_window(server):
    paged(server)
    result = run_poll(options(server, limit=3, user_id="d033e22ae348feb5660fc214"))
    assert values(result.metrics) == {
        "care.first_reply_min": 30.0,
        "care.response_rate": 75.0,
        "care.replies": 6.0,
        "care.waiting": 1.0,
    }
    assert result.replace is True and result.cursor == {}
    seen = server.requests_to(PATH)
    assert [s.query["offset"] for s in seen] == [["0"], ["3"]]  # a5 is older than the window: no third page
    assert seen[0].query["limit"] == ["3"] and seen[0].query["sort"] == ["created_at"]
    assert seen[0].query["user_id"] == ["d033e22ae348feb5660fc214"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "access_token" not in seen[0].query  # the token never travels in the URL
    # no state: a cursor from a previous poll changes nothing
    again = run_poll(options(server, limit=3), cursor={"anything": "x"})
    assert values(again.metrics) == values(result.metrics)


def test_max_pages_says_the_window_was_not_fully_read(server):
    paged(server)
    result = run_poll(options(server, limit=3, max_pages=1))
    assert len(server.requests_to(PATH)) == 1
    assert "not fully read" in result.metrics["care.waiting"].provenance


def test_last_short_page_ends_paging(server):
    page = load("interventions_page1.json")
    page["records"] = page["records"][:2]
    page["count"] = 2
    server.route(PATH, lambda h: h.reply(200, json.dumps(page).encode()))
    result = run_poll(options(server, limit=3))
    assert len(server.requests_to(PATH)) == 1
    assert values(result.metrics)["care.waiting"] == 1.0


@pytest.mark.parametrize(
    "status,fixture,headers,kind",
    [
        (401, "error_401.json", {}, "credentials"),
        (403, "error_403.json", {}, "credentials"),
        (429, "error_429.json", {"Retry-After": "30"}, "throttled"),
    ],
)
def test_vendor_errors_surface_as_feed_errors(server, status, fixture, headers, kind):
    server.route(PATH, lambda h: h.reply(status, body(fixture), headers=headers))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    assert (info.value.kind, info.value.status) == (kind, status)
    if status == 429:
        assert info.value.retry_after == 30.0
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_server_error_and_malformed_json(server):
    server.route(PATH, lambda h: h.reply(500, b"<html>oops</html>", content_type="text/html"))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    assert (info.value.kind, info.value.status) == ("server", 500)
    server.route(PATH, lambda h: h.reply(200, b'{"count": 1, "records": [{"id": "x",]}'))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    assert info.value.kind == "bad_response"


def test_missing_token_and_module_contract():
    with pytest.raises(FeedError) as info:
        run_poll(options(), credentials={"access_token": None})
    assert info.value.kind == "credentials"
    assert (ed.NAME, ed.CREDENTIALS, ed.BUDGET) == ("engage_digital", ("access_token",), None)
    source = Path(ed.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
