"""The rss adapter: RSS 2.0 / Atom fixtures through feedparser, then whole polls through a real Fetcher
against a real HTTP server on 127.0.0.1 (conditional GET, error answers, documents that are not feeds)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler
from pydantic import ValidationError

from feeds import rss
from feeds.adapter import PollResult
from feeds.errors import FeedError

NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
RSS_URL = "https://www.lesechos.example/rss/tech-medias.xml"
ATOM_URL = "https://www.ft.example/telecoms?format=atom"
_, fixture = feed_kit.recorded("rss")


def run_polls(opts: rss.Options, times: int = 1) -> list[PollResult]:
    return feed_kit.run_polls(rss, opts, times, feed_id="press", now=NOW)


def poll_error(opts: rss.Options) -> FeedError:
    return feed_kit.feed_error(run_polls, opts)


# ------------------------------------------------------------------------------------------- options


def test_options_are_strict_and_validated():
    ok = rss.Options(url=RSS_URL)
    assert (ok.max_items, ok.max_summary_chars, ok.outlet) == (50, 600, None)
    for raw in (
        {"url": "http://www.lesechos.example/rss.xml"},
        {"url": "file:///etc/passwd"},
        {"url": "https://user:pw@feeds.example/x"},
        {"url": RSS_URL, "max_items": 0},
        {"url": RSS_URL, "lang": "french"},
        {"url": RSS_URL, "colour": "red"},
    ):
        with pytest.raises(ValidationError):
            rss.Options(**raw)
    assert rss.NAME == "rss" and rss.CREDENTIALS == () and rss.BUDGET is None


# ------------------------------------------------------------------------------------------- parsing


def test_rss2_items_become_articles():
    posts = rss.parse_feed(fixture("lesechos_rss2.xml"), RSS_URL, now=NOW)
    by_title = {p.title: p for p in posts}
    first = by_title["Fibre : les opérateurs accélèrent en zones rurales"]
    assert first.key == "rss:https://www.lesechos.example/tech-medias/fibre-zones-rurales-2087"
    assert (first.kind, first.network, first.source, first.lang) == ("article", "rss", "rss", "fr")
    assert first.url == "https://www.lesechos.example/tech-medias/fibre-zones-rurales-2087"
    assert first.published_at == datetime(2024, 5, 2, 8, 15, tzinfo=UTC)  # +0200 -> UTC
    assert first.text == "Le déploiement s'accélère & les prix baissent. Deuxième paragraphe."  # no script, no tags
    assert first.author.name == "Les Echos - Tech & Médias"  # the feed's title is the outlet
    assert first.author.avatar_url == "https://www.lesechos.example/logo.png"
    assert [m.url for m in first.media] == ["https://img.lesechos.example/fibre.jpg"]
    assert first.raw["byline"] == "Camille Martin" and first.raw["categories"] == ["Télécoms"]
    fiveg = by_title["5G : couverture de 90 % promise d'ici 2027"]
    assert fiveg.key == "rss:www.lesechos.example/2086"  # a bare guid is scoped to its site
    assert (fiveg.media[0].url, fiveg.media[0].width, fiveg.media[0].height) == (
        "https://img.lesechos.example/5g-thumb.jpg",
        320,
        180,
    )
    assert "<" not in fiveg.text and fiveg.text == "Texte avec balise échappée affichée telle quelle."
    no_guid = by_title["Article sans guid"]
    assert no_guid.key == "rss:https://www.lesechos.example/tech-medias/sans-guid-2085"  # the link identifies it
    # the guid published twice is one article; newest first overall
    assert len(posts) == len({p.key for p in posts}) == 4
    assert [p.published_at for p in posts] == sorted((p.published_at for p in posts), reverse=True)


def test_unreadable_and_missing_dates_fall_back_to_the_feed_date_or_are_dropped():
    posts = rss.parse_feed(fixture("lesechos_rss2.xml"), RSS_URL, now=NOW)
    undated = next(p for p in posts if p.title == "Date illisible")
    assert undated.published_at == datetime(2024, 5, 2, 8, 30, tzinfo=UTC)  # channel lastBuildDate
    bare = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>No date anywhere</title><link>https://t.example/1</link></item></channel></rss>"
    )
    assert rss.parse_feed(bare, RSS_URL, now=NOW) == []


def test_atom_entries_become_articles():
    posts = rss.parse_feed(fixture("ft_atom.xml"), ATOM_URL, now=NOW, outlet="FT", max_summary_chars=20)
    by_key = {p.key.removeprefix("rss:"): p for p in posts}
    sharing = by_key["tag:ft.example,2024-05-02:network-sharing"]
    assert sharing.title == "European telcos bet on network sharing"
    assert sharing.text == "Operators cut costs…"  # clipped on a word, script-bearing <img> gone
    assert sharing.published_at == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    assert sharing.url == "https://www.ft.example/content/network-sharing"
    assert sharing.author.name == "FT" and sharing.lang == "en"
    assert by_key["tag:ft.example,2024-05-02:content-only"].published_at == NOW  # 2031: not in the future
    assert by_key["tag:ft.example,2024-05-02:content-only"].text == "Body from content."
    assert rss.parse_feed(fixture("ft_atom.xml"), ATOM_URL, now=NOW, max_items=1)[0].published_at == NOW
    title_only = rss.parse_feed(fixture("ft_atom.xml"), ATOM_URL, now=NOW, max_summary_chars=0)
    assert all(p.text == p.title for p in title_only)


def test_not_a_feed_is_a_bad_response_and_mislabelled_bytes_still_parse():
    with pytest.raises(FeedError) as info:
        rss.parse_feed(fixture("not_a_feed.html"), RSS_URL, now=NOW)
    assert info.value.kind == "bad_response" and "not an RSS or Atom feed" in str(info.value)
    posts = rss.parse_feed(fixture("invalid_utf8.xml"), RSS_URL, now=NOW)
    assert len(posts) == 4 and posts[0].author.name == "Les Echos - Tech & Médias"
    assert all("\ufffd" not in p.text for p in posts)


def test_feedparser_never_fetches_a_url_it_is_given_as_bytes():
    # a bare URL as the "document": feedparser must treat it as (broken) content, not go and fetch it
    with pytest.raises(FeedError):
        rss.parse_feed(b"http://127.0.0.1:9/never-fetched.xml", RSS_URL, now=NOW)


# ------------------------------------------------------------------------------------------- polling


def test_poll_replaces_with_the_current_feed_and_uses_conditional_get(server):
    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, headers={"ETag": '"v1"'})
        else:
            h.reply(
                200,
                fixture("lesechos_rss2.xml"),
                headers={"ETag": '"v1"'},
                content_type="application/rss+xml; charset=utf-8",
            )

    url = server.route("/rss/tech-medias.xml", handler)
    first, second = run_polls(rss.Options(url=url), times=2)
    assert first.replace and not first.not_modified and len(first.posts) == 4
    assert all(p.kind == "article" and p.network == "rss" for p in first.posts)
    assert second.not_modified and second.posts == []
    seen = server.requests_to("/rss/tech-medias.xml")
    assert "if-none-match" not in seen[0].headers and seen[1].headers["if-none-match"] == '"v1"'
    assert "application/rss+xml" in seen[0].headers["accept"]


def test_atom_poll_with_last_modified(server):
    stamp = "Thu, 02 May 2024 09:45:00 GMT"

    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-Modified-Since") == stamp:
            h.reply(304)
        else:
            h.reply(200, fixture("ft_atom.xml"), headers={"Last-Modified": stamp}, content_type="application/atom+xml")

    url = server.route("/telecoms", handler)
    first, second = run_polls(rss.Options(url=url), times=2)
    assert len(first.posts) == 3 and second.not_modified


@pytest.mark.parametrize(
    "status, kind", [(401, "credentials"), (403, "credentials"), (404, "client"), (500, "server"), (503, "server")]
)
def test_http_errors_surface_as_feed_errors(server, status, kind):
    url = server.route(
        "/feed.xml", lambda h: h.reply(status, b"<html><body>Error</body></html>", content_type="text/html")
    )
    error = poll_error(rss.Options(url=url))
    assert (error.kind, error.status) == (kind, status)


def test_429_honours_retry_after(server):
    url = server.route(
        "/feed.xml",
        lambda h: h.reply(429, b"Too Many Requests", headers={"Retry-After": "120"}, content_type="text/plain"),
    )
    error = poll_error(rss.Options(url=url))
    assert (error.kind, error.retry_after) == ("throttled", 120.0)


def test_html_page_empty_body_and_empty_feed_keep_the_last_articles(server):
    url = server.route("/feed.xml", lambda h: h.reply(200, fixture("not_a_feed.html"), content_type="text/html"))
    assert poll_error(rss.Options(url=url)).kind == "bad_response"
    server.route("/feed.xml", lambda h: h.reply(200, b"  \n", content_type="application/rss+xml"))
    assert poll_error(rss.Options(url=url)).kind == "bad_response"
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    server.route("/feed.xml", lambda h: h.reply(200, empty, content_type="application/rss+xml"))
    error = poll_error(rss.Options(url=url))
    assert error.kind == "bad_response" and "no dated entries" in str(error)


def test_truncated_feed_is_a_bad_response(server):
    def short(h: FixtureHandler) -> None:
        body = fixture("lesechos_rss2.xml")
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        h.close_connection = True

    url = server.route("/feed.xml", short)
    assert poll_error(rss.Options(url=url)).kind == "bad_response"


def test_rss_module_does_not_import_wall():
    source = Path(rss.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
