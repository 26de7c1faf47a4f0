"""The brandwatch adapter: parsing recorded-shape fixtures, and whole polls through a real Fetcher
against a real HTTP server on 127.0.0.1.

Fixture shapes follow developers.brandwatch.com (Retrieving Mentions, Mention Field Definitions, Paging
through historical Mentions, Chart dimensions, Top Authors). The 401 body is Spring OAuth's, which
echoes the token: it must still never reach an error message."""

from __future__ import annotations

from datetime import UTC, datetime

import feed_kit
import pytest
from http_fixture_server import FixtureServer
from pydantic import ValidationError

from feeds import brandwatch as bw
from feeds.adapter import PollResult
from feeds.errors import FeedError

TOKEN = "bw-SECRET-e51d0b3a"
NOW = datetime(2024, 4, 20, 10, 5, tzinfo=UTC)
MENTIONS = "/projects/42/data/mentions"
CHART = "/projects/42/data/volume/sentiment/hours"
TOP = "/projects/42/data/volume/topauthors/queries"
load, raw = feed_kit.recorded("brandwatch")
serve_json = feed_kit.serve


def options(server: FixtureServer, **kw) -> bw.Options:
    return bw.Options(project_id=42, query_id=1999544643, api_base=server.url(""), **kw)


def run_poll(opts: bw.Options, cursor: dict | None = None, token: str | None = TOKEN) -> PollResult:
    return feed_kit.run_poll(
        bw, opts, feed_id="bw", credentials={"token": token}, cursor=cursor, now=NOW, credential_key="bw-client"
    )


def poll_error(opts: bw.Options, cursor: dict | None = None, token: str | None = TOKEN) -> FeedError:
    return feed_kit.feed_error(run_poll, opts, cursor, token)


def paged(h) -> None:
    """Page 1 without a cursor, page 2 when asked with page 1's nextCursor (Brandwatch's cursor paging)."""
    cursor = h.path.split("cursor=")[1].split("&")[0] if "cursor=" in h.path else None
    h.reply(200, raw("mentions_page2.json") if cursor else raw("mentions_page1.json"))


# ------------------------------------------------------------------------------------------- parsing


def test_mention_maps_every_field():
    post = bw.parse_mention(load("mentions_page1.json")["results"][0])
    assert post is not None
    assert post.key == "brandwatch:05b7ea94bde2f66ae07b46ee8d076fa7"
    assert post.network == "x"
    assert post.url == "https://x.com/camille_tech/status/1781722530128519168"
    assert post.published_at == datetime(2024, 4, 20, 7, 59, 58, tzinfo=UTC)  # +0200 -> UTC
    assert post.lang == "fr"
    assert post.country == "FR"  # alpha-3 FRA -> alpha-2
    assert post.author.handle == "@camille_tech"
    assert post.author.name == "Camille <b>Martin</b>"  # names are text: markup stays visible, never rendered
    assert post.author.followers == 184000 and post.author.verified
    assert post.author.avatar_url == "https://pbs.twimg.com/profile_images/1/camille_normal.jpg"
    assert (post.metrics.likes, post.metrics.reposts, post.metrics.replies, post.metrics.views) == (31, 12, 4, 12000)
    assert post.reach == 8400 and post.engagement == 42.0
    assert post.sentiment is not None and post.sentiment.label == "positive" and post.sentiment.score == 1.0
    assert post.hashtags == ("#service", "#5g")
    assert [(m.kind, m.url) for m in post.media] == [
        ("image", "https://pbs.twimg.com/media/abc.jpg"),
        ("video", "https://video.twimg.com/v/clip.mp4"),
    ]
    assert post.kind == "post" and post.content_policy == "full"


def test_script_in_full_text_is_plain_text():
    post = bw.parse_mention(load("mentions_page1.json")["results"][0])
    assert post.text == "Super accueil en boutique aujourd'hui 👏 #Service #5G"  # script and its content gone
    assert bw.mention_text("I <3 my phone & my plan > yours") == "I <3 my phone & my plan > yours"
    assert bw.mention_text("&lt;b&gt;bold&lt;/b&gt;") == "<b>bold</b>"  # decoded once, shown as text


def test_news_mention_uses_snippet_title_and_clamps_negative_counts():
    post = bw.parse_mention(load("mentions_page1.json")["results"][1])
    assert post.kind == "article" and post.network == "brandwatch"
    assert post.title == "5G : les opérateurs promettent une couverture de 90 %"
    assert post.text == "Les opérateurs promettent une couverture de 90 %\nd'ici 2027"  # HTML snippet -> text
    assert post.reach is None  # -1 is "unknown", not a reach of zero
    assert post.metrics.reposts == 0  # -1 retweets shows as 0
    assert post.author.followers is None and not post.author.verified
    assert post.hashtags == () and post.media == ()


def test_reply_kind_fallback_hashtags_and_unsafe_avatar():
    post = bw.parse_mention(load("mentions_page2.json")["results"][1])
    assert post.kind == "reply"
    assert post.hashtags == ("#fibra", "#averia")  # from the text when the field is empty
    assert post.author.avatar_url is None  # javascript: is not an image URL
    assert post.country == "ES" and post.sentiment.score == -1.0


def test_invalid_date_falls_back_to_added_and_no_date_or_id_is_skipped():
    posts, added, cursor = bw.parse_mentions(load("mentions_page2.json"))
    assert len(posts) == 3 and cursor is None
    assert posts[2].published_at == datetime(2024, 4, 20, 10, 4, tzinfo=UTC)  # "yesterday-ish" -> added
    assert max(added) == datetime(2024, 4, 20, 10, 4, tzinfo=UTC)
    assert bw.parse_mention({"resourceId": "x", "date": "soon", "added": None}) is None
    assert bw.parse_mention({"date": "2024-04-20T10:00:00.000+0000"}) is None
    posts, added, _ = bw.parse_mentions({"results": [{"resourceId": "y", "date": "bad"}, "junk", None]})
    assert posts == [] and added == []


def test_not_a_mentions_page_is_bad_response():
    for doc in ([], {"results": "nope"}, {"errors": []}):
        with pytest.raises(FeedError) as info:
            bw.parse_mentions(doc)
        assert info.value.kind == "bad_response"


def test_sentiment_chart_gives_breakdown_and_series():
    metrics = bw.parse_sentiment_chart(load("volume_sentiment_hours.json"), NOW, "24h")
    assert metrics["sentiment"].breakdown == {"positive": 16.0, "neutral": 214.0, "negative": 22.0}
    series = metrics["volume"].series
    assert [t.hour for t, _ in series] == [8, 9]  # oldest first, whatever order the vendor sent
    assert [v for _, v in series] == [120.0, 132.0]  # the -3 counts as 0
    assert metrics["volume.negative"].series[1][1] == 12.0


def test_top_authors_leaderboard():
    board = bw.parse_top_authors(load("topauthors.json"), NOW, "24h")
    assert board.name == "Top authors"
    first, second = board.leaderboard
    assert (first.author.name, first.mentions, first.reach, first.author.followers) == ("techreview", 27, 5450, 1250000)
    assert first.author.verified and first.author.avatar_url.startswith("https://")
    assert second.author.followers is None  # 0 twitterFollowers on a web author means "not known"


def test_options_are_strict():
    with pytest.raises(ValidationError):
        bw.Options(project_id=1)  # neither query nor group
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, query_group_id=3)
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, api_base="http://api.brandwatch.com")
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, api_base="http://127.0.0.1.evil.example")
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, page_size=6000)
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, filters={"sinceId": "1"})
    with pytest.raises(ValidationError):
        bw.Options(project_id=1, query_id=2, colour="red")


# ------------------------------------------------------------------------------------------- polling


def test_first_poll_asks_for_the_newest_page_and_keeps_added_as_cursor(server):
    server.route(MENTIONS, serve_json(load("mentions_page1.json")))
    server.route(CHART, serve_json(load("volume_sentiment_hours.json")))
    server.route(TOP, serve_json(load("topauthors.json")))
    result = run_poll(options(server, page_size=2))
    assert [p.key for p in result.posts] == [
        "brandwatch:05b7ea94bde2f66ae07b46ee8d076fa7",
        "brandwatch:3c1a2e9f6b7d4c1e8a0f5b2d9e4c7a10",
    ]
    (seen,) = server.requests_to(MENTIONS)  # start-up reads one page only, even with a nextCursor
    assert seen.query["orderBy"] == ["added"] and seen.query["orderDirection"] == ["desc"]
    assert seen.query["queryId"] == ["1999544643"] and seen.query["pageSize"] == ["2"]
    assert seen.query["startDate"] == ["2024-04-20T09:05:00.000+0000"]  # + reached the server intact
    assert seen.query["endDate"] == ["2024-04-20T10:05:00.000+0000"]
    assert "sinceId" not in seen.query  # deprecated, fails on Consumer Research
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert result.cursor["added_since"] == "2024-04-20T10:01:30.000+0000"
    assert set(result.metrics) >= {"sentiment", "volume", "influencers"}
    assert server.requests_to(TOP)[0].query["limit"] == ["10"]
    assert result.cursor["metrics_at"] == "2024-04-20T10:05:00.000+0000"


def test_later_poll_pages_with_next_cursor_and_never_repeats_a_key(server):
    server.route(MENTIONS, paged)
    cursor = {"added_since": "2024-04-20T10:00:00.000+0000", "metrics_at": "2024-04-20T10:04:00.000+0000"}
    result = run_poll(options(server, page_size=2), cursor)
    keys = [p.key for p in result.posts]
    assert len(keys) == len(set(keys)) == 4  # the Le Monde article is on both pages, emitted once
    first, second = server.requests_to(MENTIONS)
    assert first.query["orderDirection"] == ["asc"]
    assert first.query["startDate"] == ["2024-04-20T10:00:00.000+0000"]
    assert "cursor" not in first.query
    assert second.query["cursor"] == ["AQ=AA=AWbKauTY=Mlz58Vk=dypaHA"]
    assert result.cursor["added_since"] == "2024-04-20T10:04:00.000+0000"
    assert result.metrics == {} and "metrics_at" not in result.cursor  # metrics not due yet
    assert server.requests_to(CHART) == []


def test_cursor_round_trip_and_max_pages(server):
    server.route(MENTIONS, serve_json(load("mentions_page1.json")))  # always offers a nextCursor
    first = run_poll(
        options(server, page_size=2, max_pages=2, metrics=False, top_authors=0),
        {"added_since": "2024-04-20T09:00:00.000+0000"},
    )
    assert len(server.requests_to(MENTIONS)) == 2  # the same cursor twice would loop; bounded anyway
    server.seen.clear()
    second = run_poll(options(server, page_size=2, metrics=False, top_authors=0), first.cursor)
    assert server.requests_to(MENTIONS)[0].query["startDate"] == [first.cursor["added_since"]]
    assert second.cursor["added_since"] == first.cursor["added_since"]  # nothing newer: the cursor holds


def test_filters_are_sent(server):
    server.route(MENTIONS, serve_json({"results": [], "resultsTotal": 0}))
    result = run_poll(
        options(server, filters={"pageType": ["twitter", "news"], "language": "fr"}, metrics=False, top_authors=0)
    )
    q = server.requests_to(MENTIONS)[0].query
    assert q["pageType"] == ["twitter", "news"] and q["language"] == ["fr"]
    assert result.posts == [] and "added_since" not in result.cursor


def test_missing_token_is_a_credentials_error_without_a_request(server):
    err = poll_error(options(server), token=None)
    assert err.kind == "credentials"
    assert server.seen == []


def test_401_is_credentials_and_the_echoed_token_is_redacted(server):
    server.route(MENTIONS, serve_json(raw("error_401.json"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}))
    err = poll_error(options(server))
    assert err.kind == "credentials" and err.status == 401
    assert TOKEN not in str(err) and TOKEN not in repr(err)


def test_403_is_credentials(server):
    server.route(MENTIONS, serve_json({"errors": [{"code": 403, "message": "Access is denied"}]}, 403))
    assert poll_error(options(server)).kind == "credentials"


def test_429_is_throttled_with_retry_after(server):
    server.route(MENTIONS, serve_json(raw("error_429.json"), 429, {"Retry-After": "120"}))
    err = poll_error(options(server))
    assert err.kind == "throttled" and err.retry_after is not None and err.retry_after >= 120
    assert "30 calls" in str(err)


def test_500_is_server(server):
    server.route(MENTIONS, serve_json(raw("error_500.json"), 500))
    assert poll_error(options(server)).kind == "server"


def test_metric_call_failing_fails_the_poll(server):
    server.route(MENTIONS, serve_json(load("mentions_page1.json")))
    server.route(CHART, serve_json(raw("error_500.json"), 500))
    assert poll_error(options(server, page_size=2)).kind == "server"


def test_malformed_and_truncated_json_are_bad_response(server):
    server.route(MENTIONS, serve_json(b'{"results": [{"resourceId": "1",,}]}'))
    assert poll_error(options(server)).kind == "bad_response"
    server.route(MENTIONS, serve_json(b'{"results": [{"resourceId": "1"'))
    err = poll_error(options(server))
    assert err.kind == "bad_response" and "truncated" in str(err)


def test_invalid_utf8_is_bad_response(server):
    server.route(MENTIONS, serve_json(b'{"results": [{"fullText": "\xff\xfe"}]}'))
    assert poll_error(options(server)).kind == "bad_response"
