"""The json adapter: any JSON API mapped by paths, against a real HTTP server on 127.0.0.1.

What an operator would notice: posts and care figures from a tool with no adapter of its own, a typo
in a path named on the health panel, a token that never shows up anywhere, vendor errors classified."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import feed_kit
import pytest
from http_fixture_server import FixtureServer
from pydantic import ValidationError

from feeds import json as json_feed
from feeds.errors import FeedError

NOW = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)
TOKEN = "vb-SECRET-9d2e71aa"

POST_MAPPING = {
    "id": "id",
    "published_at": "created",
    "text": "content.text",
    "title": "title",
    "url": "url",
    "lang": "lang",
    "country": "country",
    "network": "network",
    "author_id": "user.id",
    "author_handle": "user.screen_name",
    "author_name": "user.name",
    "author_avatar_url": "user.avatar",
    "author_followers": "user.followers",
    "author_verified": "user.verified",
    "likes": "stats.likes",
    "reposts": "stats.retweets",
    "replies": "stats.replies",
    "quotes": "stats.quotes",
    "views": "stats.impressions",
    "sentiment": "tone",
    "media": "media",
    "media_url": "url",
    "media_kind": "type",
    "media_alt": "alt",
}


_, fixture = feed_kit.recorded("json")


def options(url: str, **kw) -> json_feed.Options:
    base = {"url": url, "headers": {"Authorization": "Bearer {token}"}, "items": "data.results", "post": POST_MAPPING}
    base.update(kw)
    return json_feed.Options.model_validate(base)


def run_poll(opts, *, cursor=None, credentials=None):
    return feed_kit.run_poll(
        json_feed,
        opts,
        feed_id="visibrain",
        credentials={"token": TOKEN} if credentials is None else credentials,
        cursor=cursor,
        now=NOW,
        credential_key="visibrain",
    )


def poll_error(opts, **kw) -> FeedError:
    error = feed_kit.feed_error(run_poll, opts, **kw)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    return error


def paged(server: FixtureServer) -> str:
    def handler(h):
        cursor = server.seen[-1].query.get("cursor")
        h.reply(200, fixture("mentions_page2.json" if cursor == ["c2Vjb25kLXBhZ2U"] else "mentions_page1.json"))

    return server.route("/v1/mentions", handler)


# ------------------------------------------------------------------------------------------- parsing


def test_parse_items_maps_nested_paths_html_media_and_bad_counts():
    opts = options("https://api.example.com/v1/mentions")
    posts, skipped = json_feed.parse_items(json.loads(fixture("mentions_page1.json")), opts, source="visibrain")
    assert skipped == []
    first, second = posts
    assert first.key == "visibrain:vb-1001"
    assert first.published_at == datetime(2024, 3, 14, 8, 12, 3, tzinfo=UTC)
    assert first.network == "x" and first.country == "FR" and first.lang == "fr"
    assert first.author.handle == "@camille_tech" and first.author.id == "visibrain:5511"
    assert first.author.followers == 184000 and first.author.verified
    assert first.author.avatar_url == "https://pbs.example.org/camille.jpg"
    assert first.metrics.likes == 120 and first.metrics.reposts == 45 and first.metrics.views == 25000
    assert first.media[0].url == "https://pbs.example.org/outage.jpg"
    assert first.media[0].kind == "image" and first.media[0].alt == "carte de la panne"
    assert first.hashtags == ("#panne", "#fibre")
    assert first.sentiment.label == "negative"
    # HTML and a script in the text: plain text out, the script's content gone, entities decoded once
    assert second.text == "الخدمة عادت & شكراً للفريق"
    assert second.network == "other"  # instagram: not a network the wall knows by name
    assert second.published_at == datetime.fromtimestamp(1710404100, UTC)
    assert second.metrics.likes == 0 and second.metrics.replies == 0 and second.metrics.views is None
    assert second.author.followers is None
    assert second.sentiment.score == 0.7 and second.sentiment.label == "positive"
    assert second.media == ()


def test_a_record_with_an_invalid_date_is_skipped_and_the_rest_kept():
    opts = options("https://api.example.com/v1/mentions")
    posts, skipped = json_feed.parse_items(json.loads(fixture("mentions_page2.json")), opts, source="vb")
    assert [p.key for p in posts] == ["vb:vb-1002", "vb:vb-1003"]
    assert skipped[0].path == "created"
    assert posts[1].network == "rss" and posts[1].title == "Operator restores service after outage"


def test_numeric_time_formats_read_what_strptime_reads():
    """The fast reading of numeric formats (feeds/mapping.py `strptime`) gives what datetime.strptime
    gives, and refuses what it refuses, padded or not, with odd spacing, impossible dates, leftovers."""
    import random

    from feeds.mapping import _numeric_format, strptime

    formats = ["%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y", "%Y%m%d%H%M%S", "%m/%d/%Y  %H:%M (%S)", "%Y-%m-%dT%H"]
    assert all(_numeric_format(f) is not None for f in formats)
    assert _numeric_format("%d %b %Y") is None and _numeric_format("%Y-%m-%d %H:%M:%S.%f") is None
    assert _numeric_format("%H:%M") is None and _numeric_format("%Y %Y-%m-%d") is None
    rng = random.Random(7)
    pieces = ["0", "1", "2", "3", "9", "00", "01", "12", "13", "24", "29", "30", "31", "59", "60", "61", "99"]
    texts = ["2024", "0000", "31/02/2024 10:00:00", "1/3/2024 1:2:3", " 1/03/2024 10:00:00", "01/03/2024  10:00:00"]
    for _ in range(3000):
        texts.append(
            rng.choice(pieces)
            + rng.choice("/-. T")
            + rng.choice(pieces)
            + rng.choice("/-. ")
            + rng.choice(["2024", "1999", "0001", "202", "20245"])
            + rng.choice(["", " ", "  ", "T"])
            + rng.choice(pieces)
            + rng.choice([":", "", " "])
            + rng.choice(pieces)
        )
        year, month, day, hour, minute = (rng.choice(["2024", "1999"]), *(rng.choice(pieces) for _ in range(4)))
        texts.append(f"{year}-{month}-{day} {hour}:{minute}")
    read = 0
    for fmt in formats:
        for text in texts:
            try:
                expected: datetime | str = datetime.strptime(text, fmt)
            except ValueError:
                expected = "refused"
            try:
                got: datetime | str = strptime(text, fmt)
            except ValueError:
                got = "refused"
            assert got == expected, (text, fmt)
            read += got != "refused"
    assert read > 200  # the texts exercise reading, not only refusals


def test_times_in_a_local_format_epoch_milliseconds_and_iso_in_one_response():
    """A tool that writes French wall-clock times, another field in epoch milliseconds: `time_format`
    and `timezone` read the first, the same feed still reads the others."""
    doc = {
        "data": {
            "results": [
                {"id": "a", "created": "31/03/2024 03:30", "content": {"text": "after the clocks went forward"}},
                {"id": "b", "created": "31/03/2024 01:30", "content": {"text": "before"}},
                {"id": "c", "created": 1711848600000, "content": {"text": "epoch ms"}},
                {"id": "d", "created": "2024-03-31T01:00:00Z", "content": {"text": "ISO"}},
                {"id": "e", "created": "31/03/2024 26:00", "content": {"text": "no such time"}},
            ]
        }
    }
    opts = options("https://api.example.com/v1/mentions", time_format="%d/%m/%Y %H:%M", timezone="Europe/Paris")
    posts, skipped = json_feed.parse_items(doc, opts, source="vb")
    when = {p.key: p.published_at for p in posts}
    assert when["vb:a"] == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # CEST, UTC+2
    assert when["vb:b"] == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)  # CET, UTC+1
    assert when["vb:c"] == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert when["vb:d"] == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    assert [e.path for e in skipped] == ["created"] and "time_format '%d/%m/%Y %H:%M'" in str(skipped[0])
    series = json_feed.parse_metric(
        {"volume": [{"at": "31/03/2024 01:00", "n": 3}, {"at": 1711846800, "n": 5}]},
        json_feed.MetricMapping.model_validate(
            {"name": "Volume", "series": {"items": "volume", "time": "at", "value": "n"}}
        ),
        computed_at=NOW,
        provenance="t",
        tz=json_feed.zone("Europe/Paris"),
        time_format=opts.time_format,
        epoch="s",
    )
    assert series.series == (
        (datetime(2024, 3, 31, 0, 0, tzinfo=UTC), 3),
        (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), 5),
    )


def test_parse_metric_value_previous_scale_breakdown_series():
    doc = json.loads(fixture("care_stats.json"))
    m = json_feed.MetricMapping.model_validate(
        {
            "name": "First reply",
            "unit": "min",
            "value": "stats.avg_first_reply",
            "previous": "stats.avg_first_reply_previous",
            "scale": 1 / 60,
            "target": 15,
            "higher_is_better": False,
        }
    )
    metric = json_feed.parse_metric(doc, m, computed_at=NOW, provenance="json:test")
    assert metric.value == pytest.approx(14.033, abs=1e-3) and metric.previous == pytest.approx(16.5)
    assert metric.target == 15 and not metric.higher_is_better
    tone = json_feed.parse_metric(
        doc, json_feed.MetricMapping(name="Tone", breakdown="tone"), computed_at=NOW, provenance="t"
    )
    assert tone.breakdown == {"positive": 412, "neutral": 301, "negative": 188}
    countries = json_feed.parse_metric(
        doc,
        json_feed.MetricMapping.model_validate(
            {"name": "Countries", "breakdown": {"items": "countries", "key": "code", "value": "count"}}
        ),
        computed_at=NOW,
        provenance="t",
    )
    assert countries.breakdown == {"FR": 420, "SN": 97}
    volume = json_feed.parse_metric(
        doc,
        json_feed.MetricMapping.model_validate(
            {"name": "Volume", "series": {"items": "volume", "time": "at", "value": "n"}}
        ),
        computed_at=NOW,
        provenance="t",
    )
    assert [v for _, v in volume.series] == [31, 57]


def test_options_are_strict():
    with pytest.raises(ValidationError):
        options("http://api.example.com/v1")  # plain http only for localhost
    with pytest.raises(ValidationError):
        options("https://api.example.com/v1?key={token}")  # secrets never in the URL
    with pytest.raises(ValidationError):
        json_feed.Options.model_validate({"url": "https://api.example.com"})  # nothing mapped
    with pytest.raises(ValidationError):
        options("https://api.example.com/v1", extra=1)
    with pytest.raises(ValidationError):
        options("https://api.example.com/v1", max_pages=3)  # no next_page path
    with pytest.raises(ValidationError):
        json_feed.MetricMapping.model_validate({"name": "x", "value": "a", "breakdown": "b"})


# ------------------------------------------------------------------------------------------- polling


def test_poll_pages_with_a_cursor_token_and_emits_a_duplicate_once(server):
    url = paged(server)
    result = run_poll(options(url, next_page="paging.next", page_param="cursor", max_pages=5))
    keys = [p.key for p in result.posts]
    assert sorted(keys) == ["visibrain:vb-1001", "visibrain:vb-1002", "visibrain:vb-1003"]
    assert len(keys) == len(set(keys))
    seen = server.requests_to("/v1/mentions")
    assert len(seen) == 2 and seen[1].query["cursor"] == ["c2Vjb25kLXBhZ2U"]
    assert all(s.headers["authorization"] == f"Bearer {TOKEN}" for s in seen)
    assert result.replace is True  # no since_param: each poll is the feed's whole current content
    # page 2's record with an impossible date is not shown, and not dropped silently either
    unusable = result.skipped["unusable record"]
    assert unusable.count == 1 and unusable.examples[0].startswith("page 2: published_at ('created'): ")


def test_poll_follows_a_next_url_on_the_same_host_only(server):
    page2 = server.route("/v1/page2", lambda h: h.reply(200, fixture("mentions_page2.json")))
    body = json.loads(fixture("mentions_page1.json"))
    body["paging"]["next"] = page2 + "?after=abc"
    server.route("/v1/mentions", lambda h: h.reply(200, json.dumps(body).encode()))
    result = run_poll(options(server.url("/v1/mentions"), next_page="paging.next", max_pages=3))
    assert len(result.posts) == 3
    assert server.requests_to("/v1/page2")[0].query == {"after": ["abc"]}

    body["paging"]["next"] = "https://evil.example.net/steal"
    err = poll_error(options(server.url("/v1/mentions"), next_page="paging.next", max_pages=3))
    assert err.kind == "bad_response" and "another host" in str(err)


def test_since_cursor_round_trip(server):
    url = server.route("/v1/mentions", lambda h: h.reply(200, fixture("mentions_page1.json")))
    opts = options(url, since_param="since", since_from="published_at")
    first = run_poll(opts)
    assert first.cursor == {"since": "2024-03-14T08:15:00Z"}  # the newest record's time (epoch 1710404100)
    assert first.replace is False
    run_poll(opts, cursor=first.cursor)
    seen = server.requests_to("/v1/mentions")
    assert "since" not in seen[0].query and seen[1].query["since"] == ["2024-03-14T08:15:00Z"]
    by_id = run_poll(options(url, since_param="since_id", since_from="id"))
    assert by_id.cursor == {"since": "vb-1002"}


def test_metrics_only_feed_and_credential_in_a_query_param(server):
    url = server.route("/api/care", lambda h: h.reply(200, fixture("care_stats.json")))
    opts = json_feed.Options.model_validate(
        {
            "url": url,
            "params": {"api_key": "{token}", "period": "today"},
            "metrics": {
                "care.first_reply": {
                    "name": "First reply",
                    "unit": "min",
                    "value": "stats.avg_first_reply",
                    "scale": 1 / 60,
                },
                "care.response_rate": {"name": "Response rate", "unit": "%", "value": "stats.response_rate"},
            },
        }
    )
    result = run_poll(opts)
    assert result.posts == [] and result.replace
    assert result.metrics["care.response_rate"].value == 93.4
    assert result.metrics["care.first_reply"].provenance == "json:127.0.0.1"
    assert result.metrics["care.first_reply"].computed_at == NOW
    assert server.requests_to("/api/care")[0].query == {"api_key": [TOKEN], "period": ["today"]}


def test_a_metric_path_that_does_not_match_names_the_path(server):
    url = server.route("/api/care", lambda h: h.reply(200, fixture("care_stats.json")))
    opts = json_feed.Options.model_validate(
        {"url": url, "metrics": {"x": {"name": "First reply", "value": "stats.avg_first_reponse"}}}
    )
    err = poll_error(opts)
    assert err.kind == "bad_response" and "'stats.avg_first_reponse'" in str(err) and "absent" in str(err)


def test_an_items_path_or_post_mapping_that_does_not_match_names_the_path(server):
    url = server.route("/v1/mentions", lambda h: h.reply(200, fixture("mentions_page1.json")))
    err = poll_error(options(url, items="data.items"))
    assert err.kind == "bad_response" and "'data.items'" in str(err)
    err = poll_error(options(url, post={**POST_MAPPING, "published_at": "created_at"}))
    assert err.kind == "bad_response" and "'created_at'" in str(err) and "every one of the 2 records" in str(err)


def test_unset_credential_is_a_credentials_error(server):
    url = server.route("/v1/mentions", lambda h: h.reply(200, fixture("mentions_page1.json")))
    err = poll_error(options(url), credentials={"token": None})
    assert err.kind == "credentials" and "'token'" in str(err)
    assert server.requests_to("/v1/mentions") == []  # nothing sent without the credential


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (401, "error_401.json", {}, "credentials"),
        (403, "error_401.json", {}, "credentials"),
        (429, "error_429.json", {"Retry-After": "30", "X-RateLimit-Remaining": "0"}, "throttled"),
        (500, "error_500.json", {}, "server"),
    ],
)
def test_vendor_errors_become_feed_errors_of_the_right_kind(server, status, body, headers, kind, caplog):
    url = server.route("/v1/mentions", lambda h: h.reply(status, fixture(body), headers))
    with caplog.at_level(logging.DEBUG):
        err = poll_error(options(url))
    assert err.kind == kind and err.status == status
    if status == 429:
        assert err.retry_after == 30 and "Rate limit exceeded" in str(err)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"data": {"results": [', "truncated"),
        (b'{"data": nope}', "malformed"),
        (b'\xff\xfe{"data": 1}', "UTF-8"),
        (b"", "empty"),
    ],
)
def test_malformed_bodies_are_bad_responses(server, body, what):
    url = server.route("/v1/mentions", lambda h: h.reply(200, body))
    err = poll_error(options(url))
    assert err.kind == "bad_response" and what in str(err)


def test_not_modified_keeps_the_last_data(server):
    def handler(h):
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304)
        else:
            h.reply(200, fixture("mentions_page1.json"), {"ETag": '"v1"'})

    url = server.route("/v1/mentions", handler)
    first, second = feed_kit.run_polls(json_feed, options(url), 2, feed_id="vb", credentials={"token": TOKEN}, now=NOW)
    assert len(first.posts) == 2 and second.not_modified and second.posts == []
