"""The mastodon adapter: parsing against documented-shape fixtures, then whole polls through a real Fetcher
against a real HTTP server on 127.0.0.1 (Link-header paging, since_id cursor, vendor error bodies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, FixtureServer
from pydantic import ValidationError

from feeds import mastodon
from feeds.adapter import PollResult
from feeds.budget import RequestBudget
from feeds.errors import FeedError

TOKEN = "masto-SECRET-7c1e99ab"
NOW = datetime(2024, 5, 2, 10, 20, tzinfo=UTC)
TAG_PATH = "/api/v1/timelines/tag/fibre"
fixture, fixture_bytes = feed_kit.recorded("mastodon")


def options(srv: FixtureServer, **kw) -> mastodon.Options:
    return mastodon.Options(instance=f"http://127.0.0.1:{srv.port}", **{"hashtag": "fibre", **kw})


def run_poll(
    opts: mastodon.Options,
    cursor: dict | None = None,
    credentials: dict | None = None,
    budget: RequestBudget | None = None,
) -> PollResult:
    return feed_kit.run_poll(
        mastodon,
        opts,
        feed_id="toots",
        credentials=credentials,
        cursor=cursor,
        now=NOW,
        credential_key="mastodon:test" if budget is not None else None,
        budget=budget,
    )


def poll_error(opts: mastodon.Options, **kw) -> FeedError:
    return feed_kit.feed_error(run_poll, opts, **kw)


# ------------------------------------------------------------------------------------------- options


def test_options_are_strict_and_validated():
    ok = mastodon.Options(instance="https://mastodon.social/", hashtag="#Cats")
    assert (ok.instance, ok.hashtag, ok.limit, ok.max_pages) == ("https://mastodon.social", "Cats", 40, 3)
    assert ok.endpoint() == "https://mastodon.social/api/v1/timelines/tag/Cats"
    bad = [
        {"instance": "http://mastodon.social", "hashtag": "x"},  # plain http to the internet
        {"instance": "https://mastodon.social/api", "hashtag": "x"},
        {"instance": "https://mastodon.social", "hashtag": "two words"},
        {"instance": "https://mastodon.social"},  # tag timeline without a hashtag
        {"instance": "https://mastodon.social", "timeline": "account"},
        {"instance": "https://mastodon.social", "timeline": "account", "account_id": "@camille"},
        {"instance": "https://mastodon.social", "hashtag": "x", "limit": 41},
        {"instance": "https://mastodon.social", "hashtag": "x", "max_pages": 0},
        {"instance": "https://mastodon.social", "hashtag": "x", "local": True, "remote": True},
        {"instance": "https://mastodon.social", "hashtag": "x", "any_tags": ["a", "b", "c", "d", "e"]},
        {"instance": "https://mastodon.social", "timeline": "public", "hashtag": "x"},
        {"instance": "https://mastodon.social", "hashtag": "x", "colour": "red"},  # unknown key
    ]
    for raw in bad:
        with pytest.raises(ValidationError):
            mastodon.Options(**raw)
    public = mastodon.Options(instance="https://m.example", timeline="public", local=True, only_media=True)
    assert public.params() == {"limit": 40, "only_media": "true", "local": "true"}
    account = mastodon.Options(instance="https://m.example", timeline="account", account_id="109302436954721982")
    assert account.endpoint().endswith("/api/v1/accounts/109302436954721982/statuses")
    assert account.params()["exclude_replies"] == "true"
    assert mastodon.NAME == "mastodon" and mastodon.CREDENTIALS == () and mastodon.BUDGET == (300, 300.0)


# ------------------------------------------------------------------------------------------- parsing


def test_parse_status_maps_fields_media_tags_and_metrics():
    posts = mastodon.parse_statuses(fixture("tag_page1.json"), "mastodon.example")
    first = posts[0]
    assert first.key == "mastodon:https://mastodon.example/users/camille/statuses/113000000000000010"
    assert first.network == "mastodon" and first.kind == "post" and first.lang == "en"
    assert first.url == "https://mastodon.example/@camille/113000000000000010"
    assert first.published_at == datetime(2024, 5, 2, 10, 15, 30, tzinfo=UTC)
    # hashtag links become plain text; the long link shows its visible part with an ellipsis
    assert first.text == "Fibre is live in our village! #fibre #Launch\n\nDetails: example.com/page/that…"
    assert first.hashtags == ("#fibre", "#launch")
    assert (first.metrics.likes, first.metrics.reposts, first.metrics.replies) == (12, 3, 1)
    author = first.author
    assert (author.handle, author.name, author.followers) == (
        "@camille@mastodon.example",
        "Camille Martin :verified:",
        18400,
    )
    assert author.avatar_url.endswith("/a.png")  # the static avatar, not the animated one
    image, video = first.media  # the audio attachment is left out: nothing to paint
    assert (image.kind, image.width, image.height, image.alt) == ("image", 640, 480, "A fibre box on a shelf")
    assert image.url.endswith("/original/57859aede991da25.jpeg")
    assert (video.kind, video.width, video.height) == ("video", 400, 225)
    assert video.url.endswith(".png")  # the still preview, not the MP4
    assert first.raw == {
        "id": "113000000000000010",
        "uri": first.key.removeprefix("mastodon:"),
        "instance": "mastodon.example",
    }


def test_html_and_script_render_as_plain_text_and_bad_counts_are_zero():
    post = mastodon.parse_statuses(fixture("tag_page1.json"), "mastodon.example")[1]
    assert post.text == "Hello <b>world</b> & friends\nsecond line"  # escaped markup stays text, script dropped
    assert "alert" not in post.text
    assert post.author.handle == "@kernpanik@chaos.social" and post.lang is None
    assert (post.metrics.likes, post.metrics.reposts, post.metrics.replies) == (0, 0, 0)  # -1, null, "7"


def test_content_warning_hides_the_body_and_marks_media_sensitive():
    doc = fixture("tag_page1.json")
    hidden = mastodon.parse_status(doc[2], "mastodon.example")
    assert hidden.text == "CW: Network outage talk"
    assert all(m.sensitive for m in hidden.media)
    assert hidden.author.followers is None  # -1: hidden, not zero
    assert hidden.author.name == "quiet" and hidden.author.avatar_url is None
    shown = mastodon.parse_status(doc[2], "mastodon.example", show_cw_content=True)
    assert shown.text == "CW: Network outage talk\n\nSpoiler body that a wall hides"


def test_invalid_dates_private_posts_and_junk_are_skipped():
    page2 = fixture("tag_page2.json")
    posts = mastodon.parse_statuses(page2 + [None, 7, {"id": 5}, {}], "mastodon.example")
    assert [p.raw["id"] for p in posts] == ["113000000000000008", "113000000000000005"]
    with pytest.raises(FeedError) as info:
        mastodon.parse_statuses({"error": "Record not found"}, "mastodon.example")
    assert info.value.kind == "bad_response"
    filtered = dict(
        page2[3],
        filtered=[
            {
                "filter": {"id": "1", "title": "spoilers", "filter_action": "hide"},
                "keyword_matches": ["fibre"],
                "status_matches": None,
            }
        ],
    )
    assert mastodon.parse_status(filtered, "mastodon.example") is None


def test_boosts_show_the_original_and_replies_are_marked():
    boost, reply = mastodon.parse_statuses(fixture("account_statuses.json"), "mastodon.example")
    assert boost.kind == "repost"
    assert boost.key == "mastodon:https://chaos.social/users/kernpanik/statuses/112999999999999000"
    assert boost.text == "Original post by kernpanik" and boost.author.handle == "@kernpanik@chaos.social"
    assert (boost.metrics.likes, boost.metrics.reposts) == (40, 9)
    assert boost.raw["id"] == "113000000000000100"  # the boost's own id, what paging counts
    assert reply.kind == "reply" and reply.text == "@kernpanik thanks!"


def test_link_header_and_id_order():
    links = mastodon.parse_link_header(
        '<https://m.example/api/v1/timelines/tag/cats?max_id=103206185588894565>; rel="next", '
        '<https://m.example/api/v1/timelines/tag/cats?min_id=103206804533200177>; rel="prev"'
    )
    assert links == {
        "next": "https://m.example/api/v1/timelines/tag/cats?max_id=103206185588894565",
        "prev": "https://m.example/api/v1/timelines/tag/cats?min_id=103206804533200177",
    }
    assert mastodon.parse_link_header(None) == {} and mastodon.parse_link_header("garbage") == {}
    assert mastodon.id_order("99") < mastodon.id_order("100")


# ------------------------------------------------------------------------------------------- polling


def serve_two_pages(srv: FixtureServer) -> None:
    page1, page2 = fixture_bytes("tag_page1.json"), fixture_bytes("tag_page2.json")

    def handler(h: FixtureHandler) -> None:
        query = h.path.split("?", 1)[1] if "?" in h.path else ""
        base = f"http://127.0.0.1:{srv.port}{TAG_PATH}"
        common = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "297",
            "X-RateLimit-Reset": "2024-05-02T10:25:00.000000Z",
        }
        if "max_id=113000000000000008" in query:
            h.reply(
                200,
                page2,
                headers={
                    **common,
                    "Link": f'<{base}?limit=40&max_id=113000000000000005>; rel="next", '
                    f'<{base}?limit=40&min_id=113000000000000008>; rel="prev"',
                },
            )
        elif "max_id=113000000000000005" in query:
            h.reply(200, b"[]", headers=common)
        else:
            h.reply(
                200,
                page1,
                headers={
                    **common,
                    "Link": f'<{base}?limit=40&max_id=113000000000000008>; rel="next", '
                    f'<{base}?limit=40&min_id=113000000000000010>; rel="prev"',
                },
            )

    srv.route(TAG_PATH, handler)


def test_poll_follows_link_pages_dedups_and_returns_the_cursor(server):
    serve_two_pages(server)
    result = run_poll(options(server), credentials={"access_token": TOKEN})
    ids = [p.raw["id"] for p in result.posts]
    assert ids == ["113000000000000010", "113000000000000009", "113000000000000008", "113000000000000005"]
    assert len({p.key for p in result.posts}) == len(result.posts)  # the overlap across pages is dropped
    assert result.cursor["since_id"] == "113000000000000010"
    seen = server.requests_to(TAG_PATH)
    assert len(seen) == 3  # page 1, page 2 via rel="next", the empty page 3
    assert seen[0].query == {"limit": ["40"]}
    assert seen[1].query["max_id"] == ["113000000000000008"]
    assert all(s.headers["authorization"] == f"Bearer {TOKEN}" for s in seen)


def test_cursor_round_trip_sends_since_id_on_every_page(server):
    serve_two_pages(server)
    first = run_poll(options(server, max_pages=1))
    assert len(server.requests_to(TAG_PATH)) == 1 and "authorization" not in server.requests_to(TAG_PATH)[0].headers
    server.reset()
    serve_two_pages(server)
    cursor = {**first.cursor, "since_id": "113000000000000004"}
    run_poll(options(server), cursor=cursor)
    seen = server.requests_to(TAG_PATH)
    assert [s.query.get("since_id") for s in seen] == [["113000000000000004"]] * 3  # kept across Link pages
    # a cursor saved for another hashtag or instance is not reused
    server.reset()
    server.route("/api/v1/timelines/tag/other", lambda h: h.reply(200, b"[]"))
    run_poll(options(server, hashtag="other"), cursor=first.cursor)
    assert "since_id" not in server.seen[0].query


def test_nothing_new_keeps_the_cursor(server):
    server.route(TAG_PATH, lambda h: h.reply(200, b"[]"))
    result = run_poll(options(server), cursor={"scope": options(server).scope(), "since_id": "113000000000000010"})
    assert result.posts == [] and result.cursor["since_id"] == "113000000000000010"


def test_link_to_another_host_is_not_followed(server):
    def handler(h: FixtureHandler) -> None:
        h.reply(
            200,
            fixture_bytes("tag_page1.json"),
            headers={"Link": '<https://evil.example/api/v1/timelines/tag/fibre?max_id=1>; rel="next"'},
        )

    server.route(TAG_PATH, handler)
    result = run_poll(options(server), credentials={"access_token": TOKEN})
    assert len(result.posts) == 3 and len(server.requests_to(TAG_PATH)) == 1


def test_exhausted_rate_limit_stops_paging_and_pauses_the_budget(server):
    def handler(h: FixtureHandler) -> None:
        base = f"http://127.0.0.1:{server.port}{TAG_PATH}"
        h.reply(
            200,
            fixture_bytes("tag_page1.json"),
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "2024-05-02T10:22:00.000000Z",
                "Link": f'<{base}?max_id=113000000000000008>; rel="next"',
            },
        )

    server.route(TAG_PATH, handler)
    budget = RequestBudget(300, 300)
    result = run_poll(options(server), credentials={"access_token": TOKEN}, budget=budget)
    assert len(result.posts) == 3 and len(server.requests_to(TAG_PATH)) == 1
    assert 100 < budget.wait_time() <= 120  # until X-RateLimit-Reset, two minutes after NOW


@pytest.mark.parametrize(
    "status, body, kind",
    [
        (401, "error_401.json", "credentials"),
        (403, None, "credentials"),
        (404, "error_404.json", "client"),
        (500, None, "server"),
    ],
)
def test_vendor_errors_surface_as_feed_errors(server, status, body, kind):
    payload = (
        fixture_bytes(body)
        if body
        else (
            b'{"error": "This action is not allowed"}'
            if status == 403
            else b"<html><body>We're sorry, but something went wrong.</body></html>"
        )
    )
    server.route(
        TAG_PATH, lambda h: h.reply(status, payload, content_type="text/html" if status == 500 else "application/json")
    )
    error = poll_error(options(server), credentials={"access_token": TOKEN})
    assert (error.kind, error.status) == (kind, status)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    if body:
        assert json.loads(payload)["error"] in str(error)


def test_429_with_mastodon_rate_limit_headers_is_throttled(server):
    server.route(
        TAG_PATH,
        lambda h: h.reply(
            429,
            fixture_bytes("error_429.json"),
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "2024-05-02T10:25:00.000000Z",
            },
        ),
    )
    error = poll_error(options(server))
    assert (error.kind, error.status) == ("throttled", 429)
    assert "Too many requests" in str(error)
    server.route(TAG_PATH, lambda h: h.reply(429, fixture_bytes("error_429.json"), headers={"Retry-After": "90"}))
    assert poll_error(options(server)).retry_after == 90.0


def test_malformed_and_unexpected_json_are_bad_responses(server):
    server.route(TAG_PATH, lambda h: h.reply(200, b'[{"id": "1",, }]'))
    assert poll_error(options(server)).kind == "bad_response"
    server.route(TAG_PATH, lambda h: h.reply(200, b'{"error": "feed disabled"}'))
    assert poll_error(options(server)).kind == "bad_response"
    server.route(TAG_PATH, lambda h: h.reply(200, b'[{"id": "1", "content": "caf\xe9"}]'))
    assert poll_error(options(server)).kind == "bad_response"


def test_account_timeline_poll(server):
    path = "/api/v1/accounts/109302436954721982/statuses"
    server.route(path, lambda h: h.reply(200, fixture_bytes("account_statuses.json")))
    opts = mastodon.Options(
        instance=f"http://127.0.0.1:{server.port}",
        timeline="account",
        account_id="109302436954721982",
        exclude_reblogs=True,
    )
    result = run_poll(opts)
    assert [p.kind for p in result.posts] == ["repost", "reply"]
    assert result.cursor["since_id"] == "113000000000000100"
    assert server.requests_to(path)[0].query == {
        "limit": ["40"],
        "exclude_replies": ["true"],
        "exclude_reblogs": ["true"],
    }


def test_mastodon_module_does_not_import_wall():
    source = Path(mastodon.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
