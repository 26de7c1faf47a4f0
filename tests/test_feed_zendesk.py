"""feeds.zendesk: ticket exports -> care metrics, parsed from recorded-shape fixtures and polled end to
end through a real Fetcher against the local HTTP server (real sockets, real httpx)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, FixtureServer
from pydantic import ValidationError

from feeds import zendesk
from feeds.adapter import PollResult
from feeds.errors import FeedError

NOW = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
TOKEN = "zd-SECRET-9b2e77aa"
EXPORT = "/api/v2/incremental/tickets/cursor.json"
CURSOR1 = "MTcxODEwMDAwMC4wfHwxMDA0fA=="
CURSOR2 = "MTcxODE5MzYwMC4wfHwxMDA4fA=="
load, body = feed_kit.recorded("zendesk")


def options(server: FixtureServer | None = None, **kw) -> zendesk.Options:
    base = {"base_url": server.url("") if server else "https://acme.zendesk.com", "email": "ops@acme.com"}
    return zendesk.Options.model_validate({**base, **kw})


def run_poll(
    opts: zendesk.Options, cursor: dict | None = None, now: datetime = NOW, credentials: dict | None = None
) -> PollResult:
    return feed_kit.run_poll(
        zendesk,
        opts,
        feed_id="care",
        credentials=credentials or {"token": TOKEN},
        cursor=cursor,
        now=now,
        credential_key="zendesk:test",
    )


def export_route(server: FixtureServer, pages: dict[str, str]):
    """Serves the fixture named by the request's cursor ('' = the first, start_time request)."""

    def handler(h: FixtureHandler) -> None:
        key = h.query.get("cursor", [""])[0]
        name = pages.get(key)
        if name is None:
            h.reply(422, body("error_422_cursor.json"))
        else:
            h.reply(200, body(name))

    server.route(EXPORT, handler)


def values(result: PollResult | dict) -> dict[str, float | None]:
    metrics = result if isinstance(result, dict) else result.metrics
    return {k: m.value for k, m in metrics.items()}


# ------------------------------------------------------------------------------------------- parsing


def test_parse_export_page_maps_tickets_and_metric_sets():
    rows, cursor, end = zendesk.parse_export_page(load("export_page1.json"))
    assert (cursor, end) == (CURSOR1, False)
    assert set(rows) == {1001, 1002, 1003, 1004}
    created = int(datetime(2024, 6, 11, 13, tzinfo=UTC).timestamp())
    breach = int(datetime(2024, 6, 11, 14, tzinfo=UTC).timestamp())
    assert rows[1002] == [created, "s", 12.0, 90.0, created + 12 * 60, breach]
    assert rows[1004][1:] == ["n", None, None, None, breach + 19 * 3600]  # no reply yet, SLA due 09:00
    assert rows[1003][5] is None  # an empty policy_metrics list is no SLA

    business, _, _ = zendesk.parse_export_page(load("export_page1.json"), hours="business")
    assert business[1002][2:4] == [10.0, 60.0]
    assert business[1002][4] == created + 12 * 60  # the moment of the reply is always wall-clock


def test_parse_drops_deleted_invalid_dates_and_negative_minutes():
    rows, cursor, end = zendesk.parse_export_page(load("export_page2.json"))
    assert (cursor, end) == (CURSOR2, True)
    assert rows[1007] is None  # deleted: leaves the table
    assert 1008 not in rows  # created_at "not-a-date"
    assert rows[1006][2] == 240.0
    doc = load("export_page2.json")
    doc["tickets"][3]["created_at"] = "2024-06-12T10:20:00Z"
    rows, _, _ = zendesk.parse_export_page(doc)
    assert rows[1008][2] is None  # reply_time_in_minutes -1 is not a time
    with pytest.raises(FeedError) as info:
        zendesk.parse_export_page({"results": []})
    assert info.value.kind == "bad_response"


def test_compute_metrics_median_mean_rate_waiting_breaches_and_thresholds():
    table: dict = {}
    for page in ("export_page1.json", "export_page2.json"):
        rows, _, _ = zendesk.parse_export_page(load(page))
        for k, v in rows.items():
            table.pop(k, None) if v is None else table.__setitem__(k, v)
    opts = options(thresholds={"care.first_reply_min": {"target": 15, "warn": 30, "breach": 60}})
    m = zendesk.compute_metrics(table, opts, NOW)
    # window 24h: 1002, 1003, 1004, 1006 (1001 was created two days ago)
    assert values(m) == {
        "care.first_reply_min": 45.0,  # median of 12, 45, 240
        "care.response_rate": 75.0,
        "care.waiting": 1.0,  # 1004: new, no reply (1003 went pending)
        "care.sla_breaches": 2.0,  # 1004 past its SLA breach_at, 1006 replied after 60 min with no SLA
        "care.requester_wait_min": 90.0,
    }
    frt = m["care.first_reply_min"]
    assert (frt.name, frt.unit, frt.window, frt.higher_is_better) == ("Median first reply", "min", "24h", False)
    assert (frt.target, frt.warn, frt.breach) == (15, 30, 60)
    assert m["care.response_rate"].higher_is_better
    assert "4 tickets" in frt.provenance

    mean = zendesk.compute_metrics(table, options(statistic="mean", use_sla_policies=False), NOW)
    assert mean["care.first_reply_min"].value == 99.0
    assert mean["care.first_reply_min"].name == "Average first reply"
    # without SLA policies: 1004 has waited 4 h > 60 min target, 1006 took 240 min
    assert mean["care.sla_breaches"].value == 2.0
    lenient = zendesk.compute_metrics(table, options(use_sla_policies=False, first_reply_target_min=300), NOW)
    assert lenient["care.sla_breaches"].value == 0.0
    week = zendesk.compute_metrics(table, options(window_hours=168), NOW)
    assert week["care.response_rate"].window == "7d"
    assert week["care.response_rate"].value == 80.0  # 1001 counts now


def test_empty_window_gives_no_figure_rather_than_zero():
    m = zendesk.compute_metrics({}, options(), NOW)
    assert m["care.first_reply_min"].value is None
    assert m["care.response_rate"].value is None
    assert m["care.waiting"].value == 0.0


def test_options_are_strict_and_validated():
    with pytest.raises(ValidationError, match="https://"):
        zendesk.Options(base_url="http://acme.zendesk.com", email="a@b.c")
    with pytest.raises(ValidationError, match="email"):
        zendesk.Options(base_url="https://acme.zendesk.com")
    with pytest.raises(ValidationError):
        zendesk.Options(base_url="https://acme.zendesk.com", email="a@b.c", colour="red")
    with pytest.raises(ValidationError):
        zendesk.Options(base_url="https://acme.zendesk.com", email="a@b.c", per_page=5000)
    with pytest.raises(ValidationError):
        zendesk.Options(base_url="https://acme.zendesk.com", email="a@b.c", thresholds={"care.nope": {}})
    assert zendesk.Options(base_url="https://acme.zendesk.com/", auth="oauth").base_url == "https://acme.zendesk.com"


# ------------------------------------------------------------------------------------------- poll


def test_poll_pages_with_cursor_dedups_and_round_trips(server):
    export_route(server, {"": "export_page1.json", CURSOR1: "export_page2.json", CURSOR2: "export_next_poll.json"})
    opts = options(server)
    first = run_poll(opts)
    assert values(first)["care.first_reply_min"] == 45.0
    assert values(first)["care.waiting"] == 1.0
    assert first.replace is True
    assert first.cursor["after_cursor"] == CURSOR2
    assert first.cursor["since"] == str(int((NOW - timedelta(hours=24)).timestamp()))
    assert set(json.loads(first.cursor["tickets"])) == {"1002", "1003", "1004", "1006"}
    assert all(isinstance(v, str) for v in first.cursor.values())

    seen = server.requests_to(EXPORT)
    assert len(seen) == 2
    assert seen[0].query["start_time"] == [first.cursor["since"]]
    assert seen[0].query["include"] == ["metric_sets,slas"]
    assert "start_time" not in seen[1].query and seen[1].query["cursor"] == [CURSOR1]
    expected = base64.b64encode(f"ops@acme.com/token:{TOKEN}".encode()).decode()
    assert seen[0].headers["authorization"] == f"Basic {expected}"

    # the next poll (after a restart: the cursor is all that survives) asks only for what changed
    persisted = json.loads(json.dumps(first.cursor))
    second = run_poll(opts, cursor=persisted, now=NOW + timedelta(minutes=5))
    assert len(server.requests_to(EXPORT)) == 3
    assert server.requests_to(EXPORT)[2].query["cursor"] == [CURSOR2]
    assert values(second) == {
        "care.first_reply_min": 57.5,  # median of 12, 45, 70, 240
        "care.response_rate": 100.0,
        "care.waiting": 0.0,
        "care.sla_breaches": 2.0,  # 1004 answered at 09:10, after its 09:00 SLA deadline
        "care.requester_wait_min": 90.0,
    }
    assert second.cursor["after_cursor"] == "MTcxODE5Mzg5MC4wfHwxMDA0fA=="


def test_window_slides_and_old_tickets_leave_the_table(server):
    export_route(server, {"": "export_page1.json", CURSOR1: "export_page2.json", CURSOR2: "export_next_poll.json"})
    first = run_poll(options(server))
    later = run_poll(options(server), cursor=first.cursor, now=NOW + timedelta(hours=3))
    # 1002 (13:00) and 1003 (15:00 the day before) have left the 24 h window ending at 15:00
    assert set(json.loads(later.cursor["tickets"])) == {"1003", "1004", "1006"}
    assert values(later)["care.response_rate"] == 100.0


def test_rejected_cursor_or_changed_window_starts_a_fresh_export(server):
    export_route(server, {"": "export_page1.json", CURSOR1: "export_page2.json"})
    stale = {
        "after_cursor": "expired",
        "since": "0",
        "hours": "calendar",
        "include": "metric_sets,slas",
        "tickets": "{}",
    }
    result = run_poll(options(server), cursor=stale)
    assert values(result)["care.first_reply_min"] == 45.0
    assert [s.query.get("cursor", ["start"])[0] for s in server.requests_to(EXPORT)] == ["expired", "start", CURSOR1]

    server.seen.clear()
    run_poll(options(server, window_hours=48), cursor=result.cursor)  # a longer window: export again
    assert "start_time" in server.requests_to(EXPORT)[0].query
    server.seen.clear()
    run_poll(options(server), cursor={**result.cursor, "tickets": "{not json"})
    assert "start_time" in server.requests_to(EXPORT)[0].query


def test_max_pages_stops_and_says_it_is_catching_up(server):
    export_route(server, {"": "export_page1.json", CURSOR1: "export_page2.json"})
    result = run_poll(options(server, max_pages=1))
    assert len(server.requests_to(EXPORT)) == 1
    assert result.cursor["after_cursor"] == CURSOR1
    assert "catching up" in result.metrics["care.waiting"].provenance
    resumed = run_poll(options(server, max_pages=1), cursor=result.cursor)
    assert resumed.cursor["after_cursor"] == CURSOR2
    assert values(resumed)["care.first_reply_min"] == 45.0


def test_oauth_sends_a_bearer_token(server):
    export_route(server, {"": "export_next_poll.json"})
    run_poll(options(server, auth="oauth", email=None))
    assert server.requests_to(EXPORT)[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "status,fixture,headers,kind",
    [
        (401, "error_401.json", {}, "credentials"),
        (403, "error_403.json", {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "650"}, "credentials"),
        (
            429,
            "error_429.json",
            {"Retry-After": "47", "X-Rate-Limit": "10", "X-Rate-Limit-Remaining": "0"},
            "throttled",
        ),
    ],
)
def test_vendor_errors_surface_as_feed_errors(server, status, fixture, headers, kind):
    server.route(EXPORT, lambda h: h.reply(status, body(fixture), headers=headers))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    error = info.value
    assert (error.kind, error.status) == (kind, status)
    if status == 429:
        assert error.retry_after == 47.0
    basic = base64.b64encode(f"ops@acme.com/token:{TOKEN}".encode()).decode()
    assert TOKEN not in str(error) and basic not in str(error) and basic not in repr(error)


def test_server_error_and_malformed_json(server):
    server.route(EXPORT, lambda h: h.reply(500, b"<html>Internal Server Error</html>", content_type="text/html"))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    assert (info.value.kind, info.value.status) == ("server", 500)

    server.route(EXPORT, lambda h: h.reply(200, b'{"tickets": [{"id": 1,, }]'))
    with pytest.raises(FeedError) as info:
        run_poll(options(server))
    assert info.value.kind == "bad_response"

    page = load("export_page1.json")
    del page["after_cursor"]
    server.route(EXPORT, lambda h: h.reply(200, json.dumps(page).encode()))
    with pytest.raises(FeedError, match="after_cursor"):
        run_poll(options(server))


def test_missing_token_is_a_credentials_error():
    with pytest.raises(FeedError) as info:
        run_poll(options(), credentials={"token": None})
    assert info.value.kind == "credentials"


def test_module_contract():
    assert zendesk.NAME == "zendesk"
    assert zendesk.CREDENTIALS == ("token",)
    assert zendesk.BUDGET == (10, 60.0)
    source = Path(zendesk.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
