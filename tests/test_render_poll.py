"""`wallctl render --poll`: every network feed polled once before the render, so a new user's own
config shows its data; the command names each feed that failed and exits 4 (the pictures are still
written, the failed feed's zone marked failing)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import numpy as np
from conftest import load_png, run_cli
from http_fixture_server import FixtureServer

TITLE_1 = "Harbour ferries run all night for the festival"
TITLE_2 = "Council votes to open the old library on Sundays"


def rss(now: datetime) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/news/{i}</link>"
        f"<guid>news-{i}</guid><pubDate>{format_datetime(now - timedelta(minutes=10 + 5 * i))}</pubDate></item>"
        for i, title in enumerate((TITLE_1, TITLE_2))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
        f"<link>http://127.0.0.1/</link><description>local news</description>{items}</channel></rss>"
    ).encode()


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
        url = srv.route("/gazette.rss", lambda h: h.reply(200, rss(now), content_type="application/rss+xml"))
        wall = tmp_path / "wall.yaml"
        wall.write_text(config(url, f"http://127.0.0.1:{dead_port()}/feed.rss"))

        rc, out, err = run_cli("render", wall, "--poll", "--out", tmp_path / "polled")
        assert len(srv.requests_to("/gazette.rss")) == 1  # one poll, before the render
        rc_plain, _, err_plain = run_cli("render", wall, "--out", tmp_path / "plain")

    # a failed feed: exit 4, the pictures written all the same, the feed named with its reason
    assert rc == 4, err
    assert "feed gone: failed: " in err and "1 feed(s) failed: gone" in err and "Traceback" not in err
    assert "feed gazette: ok, 2 post(s)" in out and "rendered scenario s" in out
    assert "gazette" not in err
    # without --poll nothing is polled: the render shows what the (empty) store holds, exit 0
    assert rc_plain == 0, err_plain

    state = json.loads((tmp_path / "polled" / "state.json").read_text())
    news = state["zones"]["news"]["view"]
    # both articles, one card a page (which page shows depends on the render's time: pages turn)
    shown = json.dumps(news["posts"], ensure_ascii=False)
    assert (TITLE_1 in shown or TITLE_2 in shown) and news["pages"] == 2
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
