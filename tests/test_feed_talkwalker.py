"""The talkwalker adapter: parsing recorded-shape fixtures, and whole polls through a real Fetcher against a
real HTTP server on 127.0.0.1.

Fixture shapes follow Talkwalker's published OpenAPI (search results, histogram) and its error-code page.
Talkwalker echoes the request line, access_token included, in every body (`request`, `pagination.next`):
the token must still never reach a log line, an error or a Post."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import feed_kit
import pytest
from http_fixture_server import FixtureServer
from pydantic import ValidationError

from feeds import talkwalker as tw
from feeds.adapter import PollResult
from feeds.budget import RequestBudget
from feeds.errors import FeedError

TOKEN = "tw-SECRET-4c1f9e77"  # also inside the fixtures' echoed request lines
PROJECT = "a1ab1abc-a123-123a-123a-abcd12ab1a12"
NOW = datetime(2024, 4, 20, 10, 5, tzinfo=UTC)
NOW_MS = 1713607500000
RESULTS = f"/api/v1/search/p/{PROJECT}/results"
HISTOGRAM = f"/api/v1/search/p/{PROJECT}/histogram/published"
load, raw = feed_kit.recorded("talkwalker")
serve = feed_kit.serve


def options(server: FixtureServer, **kw) -> tw.Options:
    kw.setdefault("query", "orange 5G")
    return tw.Options(project_id=PROJECT, api_base=server.url(""), **kw)


def run_poll(
    opts: tw.Options, cursor: dict | None = None, token: str | None = TOKEN, budget: RequestBudget | None = None
) -> PollResult:
    return feed_kit.run_poll(
        tw,
        opts,
        feed_id="tw",
        credentials={"access_token": token},
        cursor=cursor,
        now=NOW,
        credential_key="tw",
        budget=budget,
    )


def poll_error(opts: tw.Options, cursor: dict | None = None, token: str | None = TOKEN) -> FeedError:
    return feed_kit.feed_error(run_poll, opts, cursor, token)


def paged(h) -> None:
    """offset=0 -> page 1 (with pagination.next at offset 2), offset=2 -> page 2 (no next)."""
    offset = h.path.split("offset=")[1].split("&")[0] if "offset=" in h.path else "0"
    h.reply(200, raw("results_page2.json") if offset == "2" else raw("results_page1.json"))


# ------------------------------------------------------------------------------------------- parsing


def test_social_result_maps_every_field():
    post = tw.parse_result(load("results_page1.json")["result_content"]["data"][0]["data"])
    assert post is not None
    assert post.key == "talkwalker:https://www.instagram.com/p/C6AbCdEfGhI/"
    assert post.url == "https://www.instagram.com/p/C6AbCdEfGhI/"
    assert post.published_at == datetime(2024, 4, 20, 10, 3, tzinfo=UTC)  # epoch ms -> UTC
    assert post.text == "Nouvelle box reçue & installée en 5 min 🚀 #Fibre #5G #fibre"  # script gone, entity decoded
    assert post.lang == "fr" and post.country == "FR"
    assert post.sentiment.score == pytest.approx(0.8) and post.sentiment.label == "positive"  # 4 / 5
    assert post.reach == 15400 and post.engagement == 812.0
    assert post.author.id == "talkwalker:ig:camille.tech"
    assert post.author.name == "Camille <b>Martin</b>"  # names are text: markup is shown, never rendered
    assert post.author.avatar_url == "https://scontent.cdninstagram.com/v/t51/camille.jpg"
    assert post.author.followers == 48200
    assert post.metrics.likes == 790 and post.metrics.replies == 22
    assert [(m.kind, m.url, m.width) for m in post.media] == [
        ("image", "https://scontent.cdninstagram.com/v/t51/box.jpg", 1080),
        ("video", "https://scontent.cdninstagram.com/v/t50/clip.mp4", None),
    ]  # javascript: dropped
    assert post.hashtags == ("#Fibre", "#5G")  # case-insensitive duplicates once
    assert post.kind == "post" and post.content_policy == "full" and post.title is None


def test_news_result_html_title_uk_and_unknown_counts():
    post = tw.parse_result(load("results_page1.json")["result_content"]["data"][1]["data"])
    assert post.kind == "article" and post.network == "talkwalker"
    assert post.text == "Operators promise 90% coverage\nby 2027 read more"
    assert post.title == "5G coverage: operators promise 90\u00a0% by 2027"
    assert post.country == "GB"  # Talkwalker's "uk"
    assert post.reach is None  # -1: unknown, not zero
    assert post.metrics.likes == 40 and post.metrics.reposts == 12 and post.metrics.replies == 0
    assert post.sentiment.label == "neutral" and post.sentiment.score == 0.0


def test_twitter_result_is_ids_only():
    post = tw.parse_result(load("results_page2.json")["result_content"]["data"][1]["data"])
    assert post.key == "talkwalker:twitter:1781722530128519168"
    assert post.network == "x" and post.content_policy == "ids_only" and post.text == ""
    assert post.url == "https://x.com/i/web/status/1781722530128519168"
    assert post.author.id == "talkwalker:799357096261193728"
    assert post.sentiment.score == -1.0 and post.sentiment.label == "negative"


def test_invalid_dates_and_values_are_skipped_or_clamped():
    posts, times, next_offset = tw.parse_results(load("results_page2.json"))
    assert [p.key for p in posts] == [
        "talkwalker:https://www.theguardian.com/technology/2024/apr/20/5g-coverage",
        "talkwalker:twitter:1781722530128519168",
        "talkwalker:https://forum.example.fr/t/5g-lente/124",
    ]  # "demain" skipped
    assert next_offset is None and len(times) == 3
    forum = posts[2]
    assert forum.sentiment.score == -1.0  # -9 clamped
    assert forum.engagement is None and forum.country is None and forum.author.avatar_url is None
    assert forum.metrics.reposts == 0 and forum.metrics.replies == 5 and forum.kind == "article"
    assert tw.parse_result({"url": "https://a.example/x", "published": "1713604800000"}).published_at.year == 2024
    assert tw.parse_result({"published": 1713604800000}) is None  # no identity
    assert tw.parse_epoch_ms(True) is None and tw.parse_epoch_ms(float("nan")) is None
    assert tw.parse_epoch_ms(-5) is None and tw.parse_epoch_ms("soon") is None


def test_next_offset_is_read_from_pagination_without_keeping_the_request_line():
    _, _, next_offset = tw.parse_results(load("results_page1.json"))
    assert next_offset == 2
    post = tw.parse_results(load("results_page1.json"))[0][0]
    assert TOKEN not in json.dumps(post.raw) and TOKEN not in post.model_dump_json()


def test_not_a_results_page_is_bad_response():
    for doc in (
        [],
        {"result_content": {"data": "x"}},
        {"status_code": "5", "status_message": "Invalid parameter value"},
    ):
        with pytest.raises(FeedError) as info:
            tw.parse_results(doc)
        assert info.value.kind == "bad_response"
    assert tw.parse_results({"status_code": "0", "result_content": {}})[0] == []


def test_histogram_gives_volume_series_and_sentiment():
    metrics = tw.parse_histogram(load("histogram_published.json"), NOW, "24h")
    series = metrics["volume"].series
    assert [t.hour for t, _ in series] == [8, 9]  # oldest first, the bad "t" skipped
    assert [v for _, v in series] == [6.0, 16.0]  # -4 counts as 0
    assert metrics["sentiment"].breakdown == {"positive": 4.0, "neutral": 16.0, "negative": 2.0}
    plain = tw.parse_histogram({"result_histogram": {"data": [{"t": NOW_MS, "v": 7}]}}, NOW, "24h")
    assert plain["volume"].series[0][1] == 7.0 and "sentiment" not in plain


def test_options_are_strict():
    with pytest.raises(ValidationError):
        tw.Options(project_id="../../etc")
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", api_base="http://api.talkwalker.com")
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", hpp=501)
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", hpp=500, max_pages=20)  # hpp + offset must stay < 10000
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", params={"access_token": "x"})
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", histogram_interval="1 hour; drop")
    with pytest.raises(ValidationError):
        tw.Options(project_id="p1", colour="red")
    assert tw.Options(project_id="p1", hpp=500, max_pages=19).max_pages == 19


# ------------------------------------------------------------------------------------------- polling


def test_first_poll_pages_with_offset_keeps_the_token_in_the_query_and_dedups(server):
    server.route(RESULTS, paged)
    server.route(HISTOGRAM, serve(raw("histogram_published.json")))
    result = run_poll(options(server, hpp=2, topics=["t1", "t2"]))
    keys = [p.key for p in result.posts]
    assert len(keys) == len(set(keys)) == 4  # the Guardian article is on both pages, emitted once
    first, second = server.requests_to(RESULTS)
    assert first.query["access_token"] == [TOKEN] and "authorization" not in first.headers
    assert first.query["q"] == ["orange 5G"] and first.query["topic"] == ["t1", "t2"]
    assert first.query["sort_by"] == ["published"] and first.query["sort_order"] == ["desc"]
    assert first.query["hpp"] == ["2"] and first.query["offset"] == ["0"]
    assert first.query["time_range"] == ["60m"]
    assert second.query["offset"] == ["2"]
    assert result.cursor["published_since"] == "1713607380000"
    (hist,) = server.requests_to(HISTOGRAM)
    assert hist.query["breakdown"] == ["sentiment"] and hist.query["interval"] == ["hour"]
    assert hist.query["max"] == [str(NOW_MS)] and hist.query["min"] == [str(NOW_MS - 24 * 3600 * 1000)]
    assert hist.query["access_token"] == [TOKEN]
    assert set(result.metrics) == {"volume", "sentiment"}
    assert result.cursor["metrics_at"] == str(NOW_MS)


def test_cursor_round_trip_asks_only_for_newer_results(server):
    server.route(RESULTS, paged)
    cursor = {"published_since": "1713606000000", "metrics_at": str(NOW_MS - 60_000)}
    result = run_poll(options(server, hpp=2), cursor)
    # page 1 ends AT the cursor (kept: same-millisecond results may be new); page 2 goes older: stop there
    seen, _ = server.requests_to(RESULTS)
    assert seen.query["time_range"] == [f"{1500 + 60}s"]  # 25 minutes since the cursor, plus slack
    assert [p.published_at for p in result.posts] == [
        datetime(2024, 4, 20, 10, 3, tzinfo=UTC),
        datetime(2024, 4, 20, 9, 40, tzinfo=UTC),
    ]
    assert result.cursor["published_since"] == "1713607380000"
    assert result.metrics == {} and server.requests_to(HISTOGRAM) == []  # metrics not due yet
    server.seen.clear()
    again = run_poll(options(server, hpp=2, metrics=False), result.cursor)
    assert server.requests_to(RESULTS)[0].query["time_range"] == ["180s"]
    assert again.cursor["published_since"] == result.cursor["published_since"]


def test_empty_results_keep_no_cursor(server):
    server.route(RESULTS, serve({"status_code": "0", "status_message": "OK", "result_content": {"data": []}}))
    result = run_poll(options(server, metrics=False))
    assert result.posts == [] and "published_since" not in result.cursor


def test_missing_token_is_a_credentials_error_without_a_request(server):
    assert poll_error(options(server), token=None).kind == "credentials"
    assert server.seen == []


def test_401_code_7_is_credentials_and_the_echoed_token_never_shows(server, caplog):
    caplog.set_level(logging.DEBUG)
    server.route(RESULTS, serve(raw("error_401_token.json"), 401))
    err = poll_error(options(server))
    assert err.kind == "credentials" and err.status == 401
    assert "Invalid, missing or inactive access token" in str(err)
    assert TOKEN not in str(err) and TOKEN not in repr(err) and TOKEN not in caplog.text
    assert "access_token=***" in caplog.text  # the request was logged, redacted


def test_401_code_8_is_throttled_not_credentials(server):
    server.route(RESULTS, serve(raw("error_401_throttled.json"), 401))
    err = poll_error(options(server))
    assert err.kind == "throttled" and err.status == 401
    assert "Call limit exceeded" in str(err) and TOKEN not in str(err)


def test_403_is_credentials(server):
    server.route(RESULTS, serve(raw("error_403.json"), 403))
    err = poll_error(options(server))
    assert err.kind == "credentials" and "forbidden" in str(err) and TOKEN not in str(err)


def test_429_is_throttled_with_retry_after(server):
    server.route(RESULTS, serve(raw("error_429.json"), 429, {"Retry-After": "90"}))
    err = poll_error(options(server))
    assert err.kind == "throttled" and err.retry_after == 90 and TOKEN not in str(err)


def test_500_is_server(server):
    server.route(RESULTS, serve(raw("error_500.json"), 500))
    err = poll_error(options(server))
    assert err.kind == "server" and "Search Execution Exception" in str(err) and TOKEN not in str(err)


def test_histogram_failure_fails_the_poll(server):
    server.route(RESULTS, serve(raw("results_page2.json")))
    server.route(HISTOGRAM, serve(raw("error_401_throttled.json"), 401))
    assert poll_error(options(server)).kind == "throttled"


def test_malformed_truncated_and_invalid_utf8_are_bad_response(server):
    for body in (
        b'{"result_content": {"data": [,]}}',
        b'{"result_content": {"data": [',
        b'{"result_content": {"data": [{"data": {"content": "\xff"}}]}}',
    ):
        server.route(RESULTS, serve(body))
        err = poll_error(options(server, metrics=False))
        assert err.kind == "bad_response" and TOKEN not in str(err)


def test_body_status_code_on_http_200_is_bad_response(server):
    server.route(
        RESULTS,
        serve({"status_code": "4", "status_message": "Error in query", "request": f"GET /x?access_token={TOKEN}"}),
    )
    err = poll_error(options(server, metrics=False))
    assert err.kind == "bad_response" and "status_code 4" in str(err) and TOKEN not in str(err)
