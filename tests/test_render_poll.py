"""`wallctl render --poll`: every network feed polled once before the render, so a new user's own
config shows its data; the command names each feed that failed and exits 4 (the pictures are still
written, the failed feed's zone marked failing)."""

from __future__ import annotations

import io
import json
import math
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
from conftest import load_png, run_cli
from http_fixture_server import FixtureServer
from PIL import Image

TITLE_1 = "Harbour ferries run all night for the festival"
TITLE_2 = "Council votes to open the old library on Sundays"


def rss(now: datetime, pictures: tuple[str, str]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/news/{i}</link>"
        f'<enclosure url="{picture}" type="image/png" length="1000"/>'
        f"<guid>news-{i}</guid><pubDate>{format_datetime(now - timedelta(minutes=10 + 5 * i))}</pubDate></item>"
        for i, (title, picture) in enumerate(zip((TITLE_1, TITLE_2), pictures, strict=True))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
        f"<link>http://127.0.0.1/</link><description>local news</description>{items}</channel></rss>"
    ).encode()


def red_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (220, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def dead_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(served_url: str, dead_url: str) -> str:
    return f"""\
displays:
  grid: {{cols: 2, rows: 1, panel: {{resolution: [960, 540], active_mm: [604.8, 340.2], bezel_mm: 0.9}}}}
feeds:
  gazette: {{ adapter: rss, poll_s: 300, options: {{ url: "{served_url}" }} }}
  gone:    {{ adapter: rss, poll_s: 300, options: {{ url: "{dead_url}" }} }}
layout:
  zones:
    news: {{cells: A1:A1}}
    other: {{cells: B1:B1}}
scenarios:
  s:
    zones:
      news:  {{ widget: top_posts, feed: gazette, include_articles: true, rank_by: recency, title: "News" }}
      other: {{ widget: top_posts, feed: gone, include_articles: true, rank_by: recency, title: "Elsewhere" }}
"""


def zone_pixels(out, state: dict, zone: str) -> np.ndarray:
    r = state["zones"][zone]["rect"]
    wall = load_png(out / "wall.png")
    return wall[r["y"] : r["y"] + r["h"], r["x"] : r["x"] + r["w"]]


def test_render_poll_shows_the_served_feed_and_names_the_failed_one(tmp_path):
    with FixtureServer() as srv:
        now = datetime.now(UTC)
        photo = srv.route("/photo.png", lambda h: h.reply(200, red_png(), content_type="image/png"))
        gone = srv.route("/gone.png", lambda h: h.reply(404, b"no such picture", content_type="text/plain"))
        body = rss(now, (photo, gone))
        url = srv.route("/gazette.rss", lambda h: h.reply(200, body, content_type="application/rss+xml"))
        wall = tmp_path / "wall.yaml"
        wall.write_text(config(url, f"http://127.0.0.1:{dead_port()}/feed.rss"))

        # a time on the first page of two, past its turn (a page turns every 12 s, even slots show
        # the first; while one turns, the page leaving is drawn too)
        at = datetime.fromtimestamp(math.floor(now.timestamp() / 24) * 24 - 18, UTC).isoformat()
        store = tmp_path / "wall.sqlite3"
        rc, out, err = run_cli("render", wall, "--poll", "--store", store, "--time", at, "--out", tmp_path / "polled")
        assert len(srv.requests_to("/gazette.rss")) == 1  # one poll, before the render
        assert len(srv.requests_to("/photo.png")) == 1 and not srv.requests_to("/gone.png")
        rc_plain, _, err_plain = run_cli("render", wall, "--time", at, "--out", tmp_path / "plain")

    # a failed feed: exit 4, the pictures written all the same, the feed named with its reason
    assert rc == 4, err
    assert "feed gone: failed: " in err and "1 feed(s) failed: gone" in err and "Traceback" not in err
    assert "feed gazette: ok, 2 post(s)" in out and "rendered scenario s" in out
    # the picture of the article shown was fetched, as a live wall fetches it; the other article's
    # (a 404) was not asked for: only what a frame shows is fetched
    assert "pictures: 1 cached, 0 failed" in err and "gone.png" not in err
    assert "gazette" not in err
    # without --poll nothing is polled: the render shows what the (empty) store holds, exit 0
    assert rc_plain == 0, err_plain

    state = json.loads((tmp_path / "polled" / "state.json").read_text())
    news = state["zones"]["news"]["view"]
    # both articles, one card a page; at this time the first page: the newest, its picture from the cache
    assert [c["title"] for c in news["posts"]] == [TITLE_1] and news["pages"] == 2
    card = news["posts"][0]
    assert card["image_local"] and card["image"].endswith(".png") and "photo.png" not in card["image"]
    assert news["status"]["state"] == "ok"
    assert state["zones"]["other"]["view"]["status"]["state"] == "failing"
    plain = json.loads((tmp_path / "plain" / "state.json").read_text())
    plain_news = json.dumps(plain["zones"]["news"]["view"], ensure_ascii=False)
    assert TITLE_1 not in plain_news and TITLE_2 not in plain_news

    # the pictures differ where the data is: the news zone shows cards, not a waiting card
    polled_px = zone_pixels(tmp_path / "polled", state, "news").astype(int)
    plain_px = zone_pixels(tmp_path / "plain", plain, "news").astype(int)
    assert np.abs(polled_px - plain_px).mean() > 3


def test_render_poll_without_network_feeds_says_so_and_renders(tmp_path):
    rc, out, err = run_cli(
        "render", "config/kiosk.yaml", "--poll", "--time", "2026-11-23T09:30:00+01:00", "--out", tmp_path
    )
    assert rc == 0, err
    assert "no network feed to poll" in err and "rendered scenario" in out
