"""The rss adapter: RSS 2.0 / Atom fixtures through feedparser, then whole polls through a real Fetcher
against a real HTTP server on 127.0.0.1 (conditional GET, error answers, documents that are not feeds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_an_unreadable_date_sits_below_every_dated_article_and_an_undated_feed_works():
    posts = rss.parse_feed(fixture("lesechos_rss2.xml"), RSS_URL, now=NOW)
    undated = next(p for p in posts if p.title == "Date illisible")
    oldest_dated = datetime(2024, 5, 2, 7, 0, tzinfo=UTC)  # "5G : couverture...", 09:00 +0200
    assert undated.published_at == oldest_dated - timedelta(seconds=1)  # first seen now, never above the news
    assert posts[-1] is undated
    bare = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>No date anywhere</title><link>https://t.example/1</link></item></channel></rss>"
    )
    [only] = rss.parse_feed(bare, RSS_URL, now=NOW)
    assert (only.title, only.published_at, only.url) == ("No date anywhere", NOW, "https://t.example/1")


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


# ------------------------------------------------------------------------------------------- feeds as found on the web


def channel(*items: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Mairie de Lyon - actualités</title><link>https://www.lyon.example/</link>{extra}"
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    ).encode()


def undated(n: int) -> str:
    return f"<title>Avis n°{n}</title><link>https://www.lyon.example/avis/{n}</link><description>Avis {n}</description>"


def dated(n: int, when: datetime) -> str:
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return f"<title>Article {n}</title><link>https://www.lyon.example/a/{n}</link><pubDate>{stamp}</pubDate>"


def poll_at(server, body: bytes, now: datetime, cursor: dict) -> PollResult:
    url = server.route("/actualites.rss", lambda h: h.reply(200, body, content_type="application/rss+xml"))
    return feed_kit.run_poll(rss, rss.Options(url=url), feed_id="lyon", cursor=cursor, now=now)


def test_an_undated_feed_shows_its_items_in_order_at_the_time_first_seen_across_polls(server):
    first = poll_at(server, channel(undated(2), undated(1)), NOW, {})
    assert [(p.title, p.published_at) for p in first.posts] == [
        ("Avis n°2", NOW),
        ("Avis n°1", NOW - timedelta(seconds=1)),  # the feed's order: first listed, newest
    ]
    later = NOW + timedelta(hours=2)
    # the cursor as the store keeps it (strings), as after a restart
    second = poll_at(server, channel(undated(3), undated(2), undated(1)), later, dict(first.cursor))
    assert [(p.title, p.published_at) for p in second.posts] == [
        ("Avis n°3", later),
        ("Avis n°2", NOW),  # kept the time it was first seen
        ("Avis n°1", NOW - timedelta(seconds=1)),
    ]
    assert second.replace and rss.UNDATED_KEY in second.cursor


def test_an_undated_item_keeps_its_first_seen_time_and_stays_below_dated_news(server):
    news = [dated(2, NOW - timedelta(minutes=10)), dated(1, NOW - timedelta(minutes=40))]
    first = poll_at(server, channel(undated(7), *news), NOW, {})
    assert [p.title for p in first.posts] == ["Article 2", "Article 1", "Avis n°7"]
    placed = NOW - timedelta(minutes=40, seconds=1)  # first seen now, but never above dated news
    assert first.posts[-1].published_at == placed
    later = NOW + timedelta(hours=1)  # article 1 has left the feed, article 3 is new
    second = poll_at(
        server, channel(dated(3, later - timedelta(minutes=5)), undated(7), news[0]), later, dict(first.cursor)
    )
    assert [(p.title, p.published_at) for p in second.posts] == [
        ("Article 3", later - timedelta(minutes=5)),
        ("Article 2", NOW - timedelta(minutes=10)),
        ("Avis n°7", placed),  # the same time as on the first poll
    ]
    # an older article appearing later still pushes the undated item below it
    third = poll_at(server, channel(undated(7), dated(0, NOW - timedelta(hours=3))), later, dict(second.cursor))
    assert [(p.title, p.published_at) for p in third.posts] == [
        ("Article 0", NOW - timedelta(hours=3)),
        ("Avis n°7", NOW - timedelta(hours=3, seconds=1)),
    ]


def test_first_seen_times_are_bounded_in_the_cursor():
    many = channel(*(undated(n) for n in range(rss.MAX_UNDATED + 50)))
    read = rss.read_feed(many, RSS_URL, now=NOW, max_items=10)
    assert len(read.posts) == 10 and len(read.undated) == rss.MAX_UNDATED  # the first listed are kept
    assert read.undated["rss:https://www.lyon.example/avis/0"] == NOW
    later = NOW + timedelta(hours=1)
    again = rss.read_feed(channel(undated(-1)), RSS_URL, now=later, undated=read.undated)
    assert len(again.undated) == rss.MAX_UNDATED  # the current entry, then the most recent others
    assert again.undated["rss:https://www.lyon.example/avis/-1"] == later
    assert "rss:https://www.lyon.example/avis/0" in again.undated
    assert f"rss:https://www.lyon.example/avis/{rss.MAX_UNDATED - 1}" not in again.undated  # the oldest stamp


def test_in_a_broken_document_an_undated_entry_needs_a_link_or_an_id():
    """feedparser salvages what it can from XML that is not well-formed: an undated entry that names
    itself is kept, a bare title (perhaps a fragment of the broken markup) is not."""
    broken = channel(undated(1), "<title>&&& <<< </title>", undated(2)).replace(b"</channel>", b"</chanel>")
    posts = rss.parse_feed(broken, RSS_URL, now=NOW)
    assert [p.title for p in posts] == ["Avis n°1", "Avis n°2"]
    [bare] = rss.parse_feed(channel("<title>Titre seul</title>"), RSS_URL, now=NOW)
    assert bare.title == "Titre seul"  # well-formed: a title is enough


def test_relative_links_enclosures_and_thumbnails_resolve_and_only_http_survives():
    body = channel(
        "<title>A</title><link>/actualites/a.html</link><guid>a</guid>"
        "<pubDate>Thu, 02 May 2024 08:00:00 +0000</pubDate>"
        '<enclosure url="img/a.jpg" type="image/jpeg" length="1"/>',
        "<title>B</title><link>b.html</link><guid>b</guid>"
        '<media:thumbnail url="//cdn.lyon.example/b.jpg" width="320" height="180"/>',
        "<title>C</title><link>javascript:alert(1)</link><guid>c</guid>"
        '<enclosure url="c.jpg" type="image/jpeg" length="1"/>',
        "<title>D</title><link>https://www.lyon.example/d</link><guid>d</guid>"
        '<enclosure url="data:image/png;base64,iVBORw0KGgo=" type="image/png" length="1"/>',
        extra="<image><url>/logo.png</url><title>Lyon</title><link>https://www.lyon.example/</link></image>",
    )
    feed_url = "https://www.lyon.example/rss/actualites.xml"
    posts = {p.title: p for p in rss.parse_feed(body, feed_url, now=NOW)}
    a, b, c, d = posts["A"], posts["B"], posts["C"], posts["D"]
    assert a.url == "https://www.lyon.example/actualites/a.html"  # against the feed's URL
    assert a.media[0].url == "https://www.lyon.example/actualites/img/a.jpg"  # against the item's link
    assert b.url == "https://www.lyon.example/rss/b.html"
    assert (b.media[0].url, b.media[0].width) == ("https://cdn.lyon.example/b.jpg", 320)
    assert c.url is None  # never a javascript: link on a screen
    assert c.media[0].url == "https://www.lyon.example/rss/c.jpg"  # no usable link: the feed's URL is the base
    assert d.media == ()  # a data: URL is not a picture the wall fetches
    assert a.author.avatar_url == "https://www.lyon.example/logo.png"


def test_rss_module_does_not_import_wall():
    source = Path(rss.__file__).read_text()
    assert "import wall" not in source and "from wall" not in source
