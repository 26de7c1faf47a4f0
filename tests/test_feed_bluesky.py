"""The Bluesky adapter: postViews -> Posts (pure, against recorded-shape fixtures), and whole polls
through a real Fetcher against a local XRPC-shaped server (real sockets, real httpx)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, FixtureServer
from pydantic import ValidationError

from feeds import bluesky
from feeds.adapter import PollResult
from feeds.errors import FeedError
from feeds.retry import RetryPolicy

SEARCH = bluesky.SEARCH_PATH
PROFILES = bluesky.PROFILES_PATH
fixture, fixture_bytes = feed_kit.recorded("bluesky")


def run_poll(
    server: FixtureServer, cursor: dict | None = None, fetcher_kw: dict | None = None, **options
) -> PollResult:
    opts = bluesky.Options.model_validate({"query": "#SocialRoom", "appview": server.url(""), **options})
    return feed_kit.run_poll(bluesky, opts, feed_id="bsky", cursor=cursor, fetcher_kw=fetcher_kw)


def poll_error(server: FixtureServer, **kw) -> FeedError:
    return feed_kit.feed_error(run_poll, server, **kw)


def two_pages(h: FixtureHandler) -> None:
    cursor = h.query.get("cursor")
    h.reply(200, fixture_bytes("search_page2.json" if cursor == ["3"] else "search_page1.json"))


# ------------------------------------------------------------------------------------------- parsing


def test_post_view_maps_to_a_post():
    view = fixture("search_page1.json")["posts"][0]
    post = bluesky.parse_post(view, {"did:plc:z72i7hdynmk6r22z27h6tvur": 32760112})
    assert post is not None
    assert post.key == "bluesky:at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lbeqxlm2ts2c"
    assert post.network == "bluesky" and post.source == "bluesky"
    assert post.url == "https://bsky.app/profile/bsky.app/post/3lbeqxlm2ts2c"
    assert post.published_at == datetime(2024, 11, 20, 16, 2, 11, 204000, tzinfo=UTC)
    assert post.text == "Le mur vidéo est en place ce matin 👀 #SocialRoom example.com/wall"
    assert post.lang == "fr"
    assert post.hashtags == ("#SocialRoom",)
    assert post.kind == "post"
    assert (post.metrics.likes, post.metrics.reposts, post.metrics.replies, post.metrics.quotes) == (321, 40, 12, 3)
    assert post.author.id == "bluesky:did:plc:z72i7hdynmk6r22z27h6tvur"
    assert (post.author.handle, post.author.name, post.author.followers) == ("@bsky.app", "Bluesky", 32760112)
    assert post.author.verified
    assert post.author.avatar_url.startswith("https://cdn.bsky.app/img/avatar/")
    [image] = post.media
    assert image.kind == "image" and "feed_fullsize" in image.url
    assert (image.alt, image.width, image.height, image.sensitive) == (
        "A wall of screens in a social room",
        1920,
        1080,
        False,
    )
    assert post.content_policy == "full"


def test_reply_with_markup_negative_counts_and_invalid_handle():
    view = fixture("search_page1.json")["posts"][1]
    post = bluesky.parse_post(view, {})
    assert post.kind == "reply"
    # Bluesky text is plain text: what the author typed is shown as typed, never interpreted or unescaped
    assert post.text == "<script>alert('wall')</script> fish &amp; chips <b>now</b>"
    assert post.author.name == "<b>Mallory</b>"  # the bidi override is gone, the markup stays inert text
    assert post.author.handle == "" and post.author.followers is None and not post.author.verified
    # an invalid handle: the post is still reachable through the author's DID
    assert post.url == "https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3lbeqa5e7v22s"
    assert (post.metrics.likes, post.metrics.quotes) == (0, 0)  # -1 and absent both show as 0
    assert post.media == ()


def test_quote_with_video_sensitive_label_and_future_date():
    view = fixture("search_page1.json")["posts"][2]
    post = bluesky.parse_post(view, {})
    assert post.kind == "quote"
    # createdAt says 2099: the post sorts at when the AppView indexed it, as search does
    assert post.published_at == datetime(2024, 11, 20, 15, 45, 30, tzinfo=UTC)
    assert post.hashtags == ("#wall", "#socialroom")
    [video] = post.media
    assert video.kind == "video" and video.url.endswith("/thumbnail.jpg")
    assert (video.width, video.height, video.alt, video.sensitive) == (1080, 1920, "a short clip", True)


def test_dates_fall_back_and_unusable_views_are_skipped():
    page2 = fixture("search_page2.json")["posts"]
    bad_clock = bluesky.parse_post(page2[1])
    assert bad_clock.published_at == datetime(2024, 11, 20, 15, 30, tzinfo=UTC)  # indexedAt
    assert bluesky.parse_post(page2[2]) is None  # no usable date at all
    good = fixture("search_page1.json")["posts"][0]
    assert bluesky.parse_post({**good, "uri": "not-an-at-uri"}) is None
    assert bluesky.parse_post({**good, "uri": "at://did:plc:x/app.bsky.feed.like/abc"}) is None
    assert bluesky.parse_post({**good, "author": {"handle": "no-did"}}) is None
    assert bluesky.parse_post("junk") is None
    assert bluesky.parse_time("2024-11-20T16:02:11+02:00") == datetime(2024, 11, 20, 14, 2, 11, tzinfo=UTC)
    assert bluesky.parse_time("2024-11-20T16:02:11") == datetime(2024, 11, 20, 16, 2, 11, tzinfo=UTC)
    assert bluesky.parse_time(None) is None and bluesky.parse_time("yesterday") is None


def test_profiles_and_page_shapes():
    followers = bluesky.parse_profiles(fixture("profiles.json"))
    assert followers == {"did:plc:z72i7hdynmk6r22z27h6tvur": 32760112, "did:plc:4llrhdclvdlmmynkwsmg5tdc": 1840}
    posts, cursor = bluesky.parse_search_page(fixture("search_page1.json"))
    assert len(posts) == 3 and cursor == "3"
    assert bluesky.parse_search_page(fixture("search_page2.json"))[1] is None
    for bad in ({"feed": []}, [], {"posts": "x"}):
        with pytest.raises(FeedError) as info:
            bluesky.parse_search_page(bad)
        assert info.value.kind == "bad_response"
    with pytest.raises(FeedError):
        bluesky.parse_profiles({"error": "x"})


def test_options_are_strict_and_bounded():
    ok = bluesky.Options(query="wall")
    assert (ok.appview, ok.sort, ok.limit, ok.max_pages) == ("https://public.api.bsky.app", "latest", 50, 3)
    assert bluesky.Options(query="x", appview="https://api.bsky.app/").appview == "https://api.bsky.app"
    assert bluesky.Options(query="x", appview="http://127.0.0.1:8080").appview == "http://127.0.0.1:8080"
    for bad in (
        {"query": ""},
        {"query": "x", "appview": "http://public.api.bsky.app"},
        {"query": "x", "limit": 101},
        {"query": "x", "max_pages": 0},
        {"query": "x", "sort": "new"},
        {"query": "x", "colour": "red"},
        {"query": "x", "lang": "fr; drop"},
    ):
        with pytest.raises(ValidationError):
            bluesky.Options.model_validate(bad)
    assert bluesky.NAME == "bluesky" and bluesky.CREDENTIALS == () and bluesky.BUDGET == (3000, 300.0)


# ------------------------------------------------------------------------------------------- polling


def test_poll_pages_dedups_looks_up_followers_and_keeps_a_cursor(server):
    server.route(SEARCH, two_pages)
    server.route(PROFILES, lambda h: h.reply(200, fixture_bytes("profiles.json")))
    result = run_poll(server, limit=3)

    searches = server.requests_to(SEARCH)
    assert len(searches) == 2
    assert searches[0].query == {"q": ["#SocialRoom"], "sort": ["latest"], "limit": ["3"]}
    assert searches[1].query["cursor"] == ["3"]
    keys = [p.key for p in result.posts]
    assert len(keys) == len(set(keys)) == 4  # 3 + 3 served, one duplicate, one without a date
    by_rkey = {p.key.rsplit("/", 1)[1]: p for p in result.posts}
    assert by_rkey["3lbeqa5e7v22s"].text.startswith("<script>")  # the first copy wins
    [profiles] = server.requests_to(PROFILES)
    assert sorted(profiles.query["actors"]) == sorted(
        {
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            "did:plc:4llrhdclvdlmmynkwsmg5tdc",
            "did:plc:yk4dd2qkboz2yv6tpubpc6co",
        }
    )
    assert by_rkey["3lbeqxlm2ts2c"].author.followers == 32760112
    assert by_rkey["3lbeoykq2bk2a"].author.followers is None  # not in the profiles answer
    assert result.cursor == {"since": "2024-11-20T16:02:11.204Z"}
    assert not result.replace and not result.not_modified

    # the cursor comes back next poll (as the store persists it) and bounds the search
    server.seen.clear()
    server.route(SEARCH, lambda h: h.reply(200, b'{"posts": []}'))
    again = run_poll(server, cursor=json.loads(json.dumps(result.cursor)), limit=3)
    assert server.requests_to(SEARCH)[0].query["since"] == ["2024-11-20T16:02:11.204Z"]
    assert again.posts == [] and again.cursor == {}  # nothing new: the old cursor stays
    assert server.requests_to(PROFILES) == []


def test_an_older_cursor_does_not_move_back(server):
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_page2.json")))
    result = run_poll(server, cursor={"since": "2024-11-21T00:00:00.000Z"}, followers=False)
    assert result.cursor == {}
    garbage = run_poll(server, cursor={"since": "garbage"}, followers=False)
    assert "since" not in server.requests_to(SEARCH)[-1].query  # a corrupt cursor is not sent
    assert garbage.cursor == {"since": "2024-11-20T15:50:00.000Z"}  # sortAt: the earlier of the two


def test_followers_are_looked_up_25_authors_at_a_time(server):
    base = fixture("search_page1.json")["posts"][0]
    views = [
        {
            **base,
            "uri": f"at://did:plc:a{i:03d}/app.bsky.feed.post/r{i}",
            "author": {**base["author"], "did": f"did:plc:a{i:03d}", "handle": f"a{i}.bsky.social"},
        }
        for i in range(30)
    ]
    server.route(SEARCH, lambda h: h.reply(200, json.dumps({"posts": views}).encode()))

    def profiles(h: FixtureHandler) -> None:
        actors = h.query["actors"]
        h.reply(
            200,
            json.dumps(
                {"profiles": [{"did": d, "handle": "x", "followersCount": int(d[-3:])} for d in actors]}
            ).encode(),
        )

    server.route(PROFILES, profiles)
    result = run_poll(server, limit=100)
    assert [len(s.query["actors"]) for s in server.requests_to(PROFILES)] == [25, 5]
    assert [p.author.followers for p in result.posts] == list(range(30))


def test_a_failed_follower_lookup_keeps_the_posts(server):
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_page2.json")))
    server.route(PROFILES, lambda h: h.reply(500, fixture_bytes("error_internal.json")))
    result = run_poll(server)
    assert len(result.posts) == 2
    assert all(p.author.followers is None for p in result.posts)


def test_top_sort_replaces_the_feed_content_without_cursor(server):
    server.route(SEARCH, lambda h: h.reply(200, fixture_bytes("search_page2.json")))
    result = run_poll(server, sort="top", cursor={"since": "2024-11-20T00:00:00Z"}, followers=False, lang="en")
    query = server.requests_to(SEARCH)[0].query
    assert query["sort"] == ["top"] and query["lang"] == ["en"] and "since" not in query
    assert result.replace and result.cursor == {}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, "error_auth.json", "credentials"),
        (403, "error_auth.json", "credentials"),
        (400, "error_badquery.json", "client"),
        (500, "error_internal.json", "server"),
    ],
)
def test_xrpc_error_bodies_surface_as_feed_errors(server, status, body, kind):
    server.route(SEARCH, lambda h: h.reply(status, fixture_bytes(body)))
    error = poll_error(server)
    assert (error.kind, error.status) == (kind, status)
    assert json.loads(fixture_bytes(body))["message"] in str(error)  # the vendor's own words


def test_429_with_ratelimit_headers_is_throttled_until_the_reset(server):
    now = time.time()
    headers = {
        "RateLimit-Limit": "3000",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(int(now) + 120),
        "RateLimit-Policy": "3000;w=300",
    }
    server.route(SEARCH, lambda h: h.reply(429, fixture_bytes("error_ratelimit.json"), headers=headers))
    error = poll_error(server, fetcher_kw={"policy": RetryPolicy(clock=lambda: now)})
    assert (error.kind, error.status) == ("throttled", 429)
    assert error.retry_after == pytest.approx(120, abs=1)
    assert "Rate Limit Exceeded" in str(error)


def test_malformed_and_wrong_shaped_json_fail_the_poll(server):
    server.route(SEARCH, lambda h: h.reply(200, b'{"posts": [{"uri": "at://x",,}]}'))
    assert poll_error(server).kind == "bad_response"
    server.route(SEARCH, lambda h: h.reply(200, b'{"feed": []}'))
    error = poll_error(server)
    assert error.kind == "bad_response" and "posts" in str(error)


def test_module_does_not_import_wall():
    source = Path(bluesky.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
