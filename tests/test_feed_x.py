"""The X adapter: v2 recent-search answers -> Posts (pure, against recorded-shape fixtures), and whole
polls through a real Fetcher against a local server shaped like api.x.com (real sockets, real httpx)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, FixtureServer
from pydantic import ValidationError

from feeds import x
from feeds.adapter import PollResult
from feeds.errors import FeedError
from feeds.retry import RetryPolicy

SEARCH = x.SEARCH_PATH
TOKEN = "AAAAAAAAAAAAAAAAAAAAA-x-SECRET-9c1e77"
fixture, fixture_bytes = feed_kit.recorded("x")


def run_poll(
    server: FixtureServer,
    cursor: dict | None = None,
    fetcher_kw: dict | None = None,
    token: str | None = TOKEN,
    **options,
) -> PollResult:
    opts = x.Options.model_validate({"query": "#SocialRoom -is:retweet", "api_base": server.url(""), **options})
    return feed_kit.run_poll(
        x,
        opts,
        feed_id="x",
        credentials={"bearer_token": token},
        cursor=cursor,
        credential_key="x:app",
        fetcher_kw=fetcher_kw,
    )


def poll_error(server: FixtureServer, **kw) -> FeedError:
    return feed_kit.feed_error(run_poll, server, **kw)


def two_pages(h: FixtureHandler) -> None:
    token = "next_token=b26v89c19zqg8o3fr5ixvxlwn5p4xyg4eh5ns0ctlj6ct" in h.path
    h.reply(200, fixture_bytes("search_page2.json" if token else "search_page1.json"))


def page1_posts(**kw):
    doc = fixture("search_page1.json")
    tweets, users, media, _ = x.parse_search_page(doc)
    return [x.parse_tweet(t, users, media, **kw) for t in tweets]


# ------------------------------------------------------------------------------------------- parsing


def test_tweet_with_expansions_maps_to_a_post():
    post = page1_posts()[0]
    assert post.key == "x:1861093454578487408" and post.network == "x" and post.source == "x"
    assert post.url == "https://x.com/XDevelopers/status/1861093454578487408"
    assert post.published_at == datetime(2024, 11, 25, 16, 2, 11, tzinfo=UTC)
    assert post.text == "Le mur est en place 👀 #SocialRoom https://t.co/AbCdEf1234"
    assert (post.lang, post.kind, post.hashtags, post.content_policy) == ("fr", "post", ("#SocialRoom",), "full")
    m = post.metrics
    assert (m.likes, m.reposts, m.replies, m.quotes, m.views) == (321, 40, 12, 3, 48210)
    a = post.author
    assert (a.id, a.handle, a.name, a.followers, a.verified) == (
        "x:2244994945",
        "@XDevelopers",
        "Developers",
        583214,
        True,
    )
    assert a.avatar_url.startswith("https://pbs.twimg.com/profile_images/")
    [photo] = post.media
    assert (photo.kind, photo.url, photo.alt, photo.width, photo.height, photo.sensitive) == (
        "image",
        "https://pbs.twimg.com/media/GdO3nJxXwAAS5aB.jpg",
        "A wall of screens in a social room",
        1920,
        1080,
        False,
    )


def test_escaped_markup_negative_and_absent_counts():
    post = page1_posts()[1]
    assert post.kind == "reply"
    # X escapes &, < and >: unescaped once, the markup is shown as the characters the author typed
    assert post.text == "<script>alert('wall')</script> fish & chips <b>now</b>"
    assert post.author.name == "<b>Mallory</b>"  # the bidi override is gone
    assert post.author.followers is None  # -1 is "unknown", not a count
    m = post.metrics
    assert (m.reposts, m.likes, m.quotes, m.views) == (0, 2, 0, None)


def test_quote_with_note_tweet_video_gif_and_sensitive_flag():
    post = page1_posts()[2]
    assert post.kind == "quote"
    assert post.text.startswith("Quoting this, with a clip #wall — and the long version")  # the full note text
    assert post.hashtags == ("#wall", "#SocialRoom")
    assert post.lang is None  # "und": undetermined
    video, gif = post.media  # the unknown media key is skipped
    assert (video.kind, video.url, video.width, video.height, video.sensitive) == (
        "video",
        "https://pbs.twimg.com/ext_tw_video_thumb/1861079999999999999/pu/img/abc.jpg",
        1080,
        1920,
        True,
    )
    assert (gif.kind, gif.alt, gif.sensitive) == ("gif", "a dancing cat", True)


def test_ids_only_keeps_no_content():
    post = page1_posts(ids_only=True)[0]
    assert post.content_policy == "ids_only"
    assert post.key == "x:1861093454578487408"
    assert post.url == "https://x.com/XDevelopers/status/1861093454578487408"
    assert (post.text, post.media, post.hashtags, post.raw) == ("", (), (), None)
    assert post.author.id == "x:2244994945" and post.author.name == "" and post.author.followers is None
    assert post.metrics.likes == 0


def test_unusable_tweets_and_page_shapes():
    doc = fixture("search_page2.json")
    tweets, users, media, meta = x.parse_search_page(doc)
    assert meta["newest_id"] == "1861090000000000001" and "next_token" not in meta
    retweet = x.parse_tweet(tweets[1], users, media)
    assert retweet.kind == "repost"
    assert retweet.url == "https://x.com/i/web/status/1861070000000000003"  # author not in includes
    assert retweet.author.id == "x:1000000000000000003" and retweet.author.handle == ""
    assert x.parse_tweet(tweets[2], users, media) is None  # no usable created_at
    assert x.parse_tweet({**tweets[1], "id": "12ab"}) is None
    assert x.parse_tweet({**tweets[1], "author_id": None}) is None
    assert x.parse_tweet(["junk"]) is None
    assert x.parse_search_page(fixture("search_empty.json"))[0] == []
    for bad in ([], {"data": {"id": "1"}}, {"data": [], "meta": []}):
        with pytest.raises(FeedError) as info:
            x.parse_search_page(bad)
        assert info.value.kind == "bad_response"
    with pytest.raises(FeedError, match="not supported") as info:
        x.parse_search_page(fixture("error_200_only_errors.json"))
    assert info.value.kind == "bad_response"


def test_options_are_strict_and_bounded():
    ok = x.Options(query="#brand")
    assert (ok.api_base, ok.max_results, ok.max_pages, ok.sort_order, ok.ids_only) == (
        "https://api.x.com",
        50,
        3,
        "recency",
        False,
    )
    for bad in (
        {"query": ""},
        {"query": "x", "max_results": 5},
        {"query": "x", "max_results": 101},
        {"query": "x", "max_pages": 11},
        {"query": "x", "api_base": "http://api.x.com"},
        {"query": "x", "api_base": "https://api.x.com/?token=1"},
        {"query": "x", "bearer": "t"},
        {"query": "x", "sort_order": "newest"},
    ):
        with pytest.raises(ValidationError):
            x.Options.model_validate(bad)
    assert x.NAME == "x" and x.CREDENTIALS == ("bearer_token",) and x.BUDGET == (450, 900.0)


# ------------------------------------------------------------------------------------------- polling


def test_poll_pages_with_next_token_dedups_and_keeps_since_id(server):
    server.route(SEARCH, two_pages)
    result = run_poll(server, max_results=10)

    first, second = server.requests_to(SEARCH)
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    q = first.query
    assert q["query"] == ["#SocialRoom -is:retweet"] and q["max_results"] == ["10"]
    assert q["expansions"] == ["author_id,attachments.media_keys"]
    assert "public_metrics" in q["tweet.fields"][0] and "entities" in q["tweet.fields"][0]
    assert q["user.fields"] == ["public_metrics,verified,profile_image_url,name,username"]
    assert "alt_text" in q["media.fields"][0] and "preview_image_url" in q["media.fields"][0]
    assert "since_id" not in q and "next_token" not in q
    assert second.query["next_token"] == ["b26v89c19zqg8o3fr5ixvxlwn5p4xyg4eh5ns0ctlj6ct"]

    keys = [p.key for p in result.posts]
    assert keys == [
        "x:1861093454578487408",
        "x:1861090000000000001",
        "x:1861080000000000002",
        "x:1861070000000000003",
    ]  # the duplicate once (first copy), the undated one skipped
    assert result.posts[1].text.startswith("<script>")
    assert result.cursor == {"since_id": "1861093454578487408"}
    assert not result.replace

    # the cursor round trip: the next poll asks only for newer posts
    server.seen.clear()
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_empty.json")))
    again = run_poll(server, cursor=json.loads(json.dumps(result.cursor)))
    assert server.requests_to(SEARCH)[0].query["since_id"] == ["1861093454578487408"]
    assert again.posts == [] and again.cursor == {}  # nothing new: the stored cursor stays


def test_since_id_compares_as_a_number_and_corrupt_cursors_are_dropped(server):
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_page2.json")))
    newer = run_poll(server, cursor={"since_id": "999999999999999999999"[:20]})
    assert newer.cursor == {}  # never moves back
    corrupt = run_poll(server, cursor={"since_id": "1; DROP"})
    assert "since_id" not in server.requests_to(SEARCH)[-1].query
    assert corrupt.cursor == {"since_id": "1861090000000000001"}
    assert x._newer("999", "1000") == "1000"  # as strings '999' > '1000'; as ids it is older


def test_relevancy_and_ids_only_polls(server):
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_page2.json")))
    top = run_poll(server, sort_order="relevancy", cursor={"since_id": "1861000000000000000"})
    assert "since_id" not in server.requests_to(SEARCH)[0].query
    assert server.requests_to(SEARCH)[0].query["sort_order"] == ["relevancy"]
    assert top.replace and top.cursor == {}
    ids = run_poll(server, ids_only=True)
    assert ids.posts and all(p.content_policy == "ids_only" and p.text == "" for p in ids.posts)


def test_missing_token_is_a_credentials_error_without_a_request(server):
    server.route(SEARCH, two_pages)
    error = poll_error(server, token=None)
    assert error.kind == "credentials" and server.requests_to(SEARCH) == []


@pytest.mark.parametrize(
    ("status", "body", "kind", "said"),
    [
        (401, "error_401.json", "credentials", "Unauthorized"),
        (403, "error_403_client_forbidden.json", "credentials", "must use keys and tokens"),
        (400, "error_400_invalid.json", "client", "One or more parameters"),
        (503, "error_503.json", "server", "Service Unavailable"),
    ],
)
def test_v2_problem_bodies_surface_as_feed_errors(server, status, body, kind, said, caplog):
    caplog.set_level(logging.DEBUG)
    server.route(SEARCH, lambda h: h.reply(status, fixture_bytes(body), content_type="application/problem+json"))
    error = poll_error(server)
    assert (error.kind, error.status) == (kind, status)
    assert said in str(error)
    assert TOKEN not in str(error) + repr(error) + caplog.text


@pytest.mark.parametrize("body", ["error_429.json", "error_429_usage_cap.json"])
def test_429_waits_until_x_rate_limit_reset(server, body):
    now = time.time()
    headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(now) + 600)}
    server.route(
        SEARCH, lambda h: h.reply(429, fixture_bytes(body), headers=headers, content_type="application/problem+json")
    )
    error = poll_error(server, fetcher_kw={"policy": RetryPolicy(clock=lambda: now)})
    assert (error.kind, error.status) == ("throttled", 429)
    assert error.retry_after == pytest.approx(600, abs=1)
    assert json.loads(fixture_bytes(body))["detail"] in str(error)


def test_a_403_with_no_calls_left_is_throttling_not_credentials(server):
    now = time.time()
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(now) + 60)}
    server.route(SEARCH, lambda h: h.reply(403, fixture_bytes("error_429.json"), headers=headers))
    error = poll_error(server, fetcher_kw={"policy": RetryPolicy(clock=lambda: now)})
    assert error.kind == "throttled" and error.retry_after == pytest.approx(60, abs=1)


def test_malformed_json_and_failure_on_a_later_page(server):
    server.route(SEARCH, lambda h: h.reply(200, b'{"data": [{"id": "1",, }]}'))
    assert poll_error(server).kind == "bad_response"

    def second_page_fails(h: FixtureHandler) -> None:
        if "next_token=" in h.path:
            h.reply(500, b"")
        else:
            h.reply(200, fixture_bytes("search_page1.json"))

    server.route(SEARCH, second_page_fails)
    error = poll_error(server)  # the poll fails whole: its cursor is not advanced past unseen posts
    assert (error.kind, error.status) == ("server", 500)


def test_module_does_not_import_wall():
    source = Path(x.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
