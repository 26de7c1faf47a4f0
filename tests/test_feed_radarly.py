"""The radarly adapter: parsing recorded-shape fixtures, and whole polls (JSON POST searches) through a
real Fetcher against a real HTTP server on 127.0.0.1.

Fixture shapes follow the documented search response in linkfluence/radarly-py
(docs/officialdoc/architecture/publication/response.search-for-publications.txt); error bodies follow
what the client's api.py reads (error_type / message), which Radarly does not document further."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import feed_kit
import pytest
from http_fixture_server import FixtureServer
from pydantic import ValidationError

from feeds import radarly as rd
from feeds.adapter import PollResult
from feeds.budget import RequestBudget
from feeds.errors import FeedError

TOKEN = "rd-SECRET-0b6d2a91"
NOW = datetime(2024, 4, 20, 10, 5, tzinfo=UTC)
SEARCH = "/1.0/projects/3/inbox/search.json"
load, raw = feed_kit.recorded("radarly")


def options(server: FixtureServer, **kw) -> rd.Options:
    return rd.Options(project_id=3, api_base=server.url(""), **kw)


def run_poll(
    opts: rd.Options, cursor: dict | None = None, token: str | None = TOKEN, budget: RequestBudget | None = None
) -> PollResult:
    return feed_kit.run_poll(
        rd,
        opts,
        feed_id="rd",
        credentials={"access_token": token},
        cursor=cursor,
        now=NOW,
        credential_key="rd",
        budget=budget,
    )


def poll_error(opts: rd.Options, cursor: dict | None = None, token: str | None = TOKEN) -> FeedError:
    return feed_kit.feed_error(run_poll, opts, cursor, token)


def serve(body: bytes | dict, status: int = 201, headers: dict | None = None):
    """Radarly answers a search with 201 Created."""
    return feed_kit.serve(body, status, headers)


def paged(h) -> None:
    """start=0 -> page 1, start=2 -> page 2: Radarly pages by `start` / `limit` in the JSON body."""
    body = json.loads(h.server.owner.seen[-1].body)
    h.reply(201, raw("search_page2.json") if body.get("start") == 2 else raw("search_page1.json"))


# ------------------------------------------------------------------------------------------- parsing


def test_tweet_publication_maps_every_field():
    post = rd.parse_publication(load("search_page1.json")["hits"][0])
    assert post is not None
    assert post.key == "radarly:r3_prod_3-644416829281189889"
    assert post.network == "x" and post.kind == "post"
    assert post.url == "https://twitter.com/linkfluenceDE/status/644416829281189889"
    assert post.published_at == datetime(2024, 4, 20, 10, 3, tzinfo=UTC)
    assert post.text.startswith("Hungry? Get free cupcakes & nice Social Media")  # script dropped
    assert "alert" not in post.text and "<" not in post.text
    assert post.lang == "en" and post.country == "DE"  # inferred country; "XX" means unknown
    assert post.sentiment.label == "positive" and post.sentiment.score == 1.0
    assert post.author.handle == "@linkfluenceDE" and post.author.name == "linkfluence <i>DE</i>"
    assert post.author.id == "radarly:twitter:1376110370" and post.author.followers == 456
    assert post.author.avatar_url.startswith("http://pbs.twimg.com/")
    assert (post.metrics.likes, post.metrics.reposts, post.metrics.replies, post.metrics.views) == (0, 7, 2, 5400)
    assert post.reach == 2100
    assert post.hashtags == ("#linkfluence", "#dmexco", "#Dmexco2015")  # DMEXCO is the same tag
    assert [m.url for m in post.media] == ["http://pbs.twimg.com/media/CPFtr1wWwAEgano.jpg"]


def test_blog_publication_html_mixed_tone_and_null_strings():
    post = rd.parse_publication(load("search_page1.json")["hits"][1])
    assert post.kind == "article" and post.network == "radarly"
    assert post.text == "La couverture 5G progresse\nselon l'Arcep"
    assert post.title == "Les opérateurs et la 5G\u00a0: où en est-on ?"
    assert post.sentiment.label == "neutral"  # mixed
    assert post.reach is None and post.metrics.likes == 0  # -1 and "null"
    assert post.author.followers is None and post.author.id == "radarly:blog:unknown"
    assert post.country == "FR"
    assert [(m.kind, m.url) for m in post.media] == [("video", "https://videos.example.fr/5g.mp4")]


def test_reply_repost_and_skipped_hits():
    posts, dates, total, count = rd.parse_search(load("search_page2.json"))
    assert total == 4 and count == 6
    assert [p.key for p in posts] == [
        "radarly:r3_prod_3-blog-8f2a1c",
        "radarly:r3_prod_3-1781722530128519168",
        "radarly:r3_prod_3-rt-1",
    ]  # no date, junk and null uid skipped
    reply, repost = posts[1], posts[2]
    assert reply.kind == "reply" and reply.sentiment.score == -1.0 and reply.country == "ES"
    assert reply.author.handle == "@pablo_m" and reply.author.avatar_url is None
    assert reply.hashtags == ("#averia", "#fibra")  # from the text when the field is absent
    assert repost.kind == "repost" and repost.author.followers is None
    assert repost.published_at == datetime(2024, 4, 20, 7, 20, tzinfo=UTC)  # +02:00 -> UTC


def test_not_a_search_answer_is_bad_response():
    for doc in ([], {"hits": "x"}, {"error_type": "x"}):
        with pytest.raises(FeedError) as info:
            rd.parse_search(doc)
        assert info.value.kind == "bad_response"


def test_options_are_strict():
    with pytest.raises(ValidationError):
        rd.Options(project_id=0)
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, page_size=251)
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, platforms=["myspace"])
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, languages=["french"])
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, body={"start": 5})
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, api_base="http://radarly.linkfluence.com")
    with pytest.raises(ValidationError):
        rd.Options(project_id=3, colour="red")


# ------------------------------------------------------------------------------------------- polling


def test_first_poll_posts_the_search_and_pages_with_start(server):
    server.route(SEARCH, paged)
    opts = options(
        server,
        page_size=2,
        query="orange AND 5g",
        focuses=[11, 12],
        platforms=["twitter", "blog"],
        languages=["fr"],
        body={"tones": ["negative", "positive"]},
    )
    result = run_poll(opts)
    keys = [p.key for p in result.posts]
    assert len(keys) == len(set(keys)) == 4  # the blog post is on both pages, emitted once
    first, second = server.requests_to(SEARCH)
    assert first.method == "POST" and first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {
        "tones": ["negative", "positive"],
        "query": "orange AND 5g",
        "focuses": [{"id": 11, "include": True}, {"id": 12, "include": True}],
        "platforms": ["twitter", "blog"],
        "languages": ["fr"],
        "from": "2024-04-20T09:05:00.000Z",
        "to": "2024-04-20T10:05:00.000Z",
        "sortBy": "date",
        "sortOrder": "desc",
        "start": 0,
        "limit": 2,
    }
    assert second.json()["start"] == 2
    assert result.cursor == {"date_since": "2024-04-20T10:03:00.000Z"}


def test_cursor_round_trip_stops_at_older_hits(server):
    server.route(SEARCH, paged)
    result = run_poll(options(server, page_size=2), {"date_since": "2024-04-20T09:35:00.000Z"})
    assert [p.key for p in result.posts] == ["radarly:r3_prod_3-644416829281189889", "radarly:r3_prod_3-blog-8f2a1c"]
    first, second = server.requests_to(SEARCH)
    assert first.json()["from"] == "2024-04-20T09:35:00.000Z"
    server.seen.clear()
    again = run_poll(options(server, page_size=2), result.cursor)
    assert server.requests_to(SEARCH)[0].json()["from"] == result.cursor["date_since"]
    assert again.cursor == result.cursor


def test_stops_when_a_page_is_short_or_total_is_reached(server):
    server.route(SEARCH, serve(raw("search_page1.json")))  # total 4, 2 hits
    run_poll(options(server, page_size=100))
    assert len(server.requests_to(SEARCH)) == 1
    server.seen.clear()
    run_poll(options(server, page_size=2, max_pages=5))
    assert len(server.requests_to(SEARCH)) == 2  # start 4 >= total 4


def test_each_search_draws_from_the_shared_budget(server):
    server.route(SEARCH, paged)
    budget = RequestBudget(180, 900.0)
    run_poll(options(server, page_size=2), budget=budget)
    assert budget.used() == 2


def test_missing_token_is_a_credentials_error_without_a_request(server):
    assert poll_error(options(server), token=None).kind == "credentials"
    assert server.seen == []


def test_401_expired_token_is_credentials_and_never_shows_the_token(server, caplog):
    caplog.set_level(logging.DEBUG)
    server.route(SEARCH, serve(raw("error_401.json"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}))
    err = poll_error(options(server))
    assert err.kind == "credentials" and err.status == 401 and "expired" in str(err)
    assert TOKEN not in str(err) and TOKEN not in repr(err) and TOKEN not in caplog.text


def test_403_is_credentials(server):
    server.route(SEARCH, serve(raw("error_403.json"), 403))
    assert poll_error(options(server)).kind == "credentials"


def test_429_is_throttled_from_the_rate_limit_headers(server):
    server.route(
        SEARCH,
        serve(
            raw("error_429.json"),
            429,
            {"X-Rate-Limit-Limit": "180", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "120"},
        ),
    )
    err = poll_error(options(server))
    assert err.kind == "throttled" and err.retry_after == 120 and "Rate limit reached" in str(err)


def test_403_with_no_calls_remaining_is_throttled(server):
    server.route(SEARCH, serve(raw("error_403.json"), 403, {"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "60"}))
    assert poll_error(options(server)).kind == "throttled"


def test_500_is_server(server):
    server.route(SEARCH, serve(raw("error_500.json"), 500))
    assert poll_error(options(server)).kind == "server"


def test_malformed_truncated_and_invalid_utf8_are_bad_response(server):
    for body in (b'{"hits": [{"uid": "1",,}]}', b'{"total": 3, "hits": [{"uid"', b'{"hits": [{"text": "\xff"}]}'):
        server.route(SEARCH, serve(body))
        assert poll_error(options(server)).kind == "bad_response"
