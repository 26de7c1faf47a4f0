"""Fault tests per network adapter, end to end: the real Poller, a real in-memory Store, real httpx, and a
local server (tests/fault_server.py) that answers first as the vendor does, then with each fault in
turn, then as the vendor does again.

What an operator would notice, after every fault: the wall keeps polling, the zone keeps its last good
posts and figures, and health says what happened (failing, or credentials for 401/403, with the kind
of error named) without ever showing a token. And once the vendor answers again, health is back to ok.

Beyond the faults tests/fault_server.py derives, this file adds its own (`MatrixServer`): an HTML page
where the API answers JSON (a captive portal), a page listing every item twice, a body sent a byte at a
time for far longer than the fetcher's total limit (a slow drip), and posts whose pictures point at a
decompression bomb on the same server (never fetched, and refused when a file: a placeholder instead).
tests/test_adapter_faults_offline.py does the same for the two adapters that read no server: replay
(a file) and aggregate (other feeds).

Steps are synchronised through the Poller's injected clock, which the Poller reads exactly once at the
start of each poll: the fault mode for the next step is switched there, so every request of one poll
sees the same mode and the data in the store at that instant is exactly what the poll starts from
(the "last good data" the step must keep). Nothing here sleeps a fixed time: each step waits for the
poll it caused, with a generous deadline."""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import resource
import struct
import threading
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fault_server import FAULTS, RETRY_AFTER_S, Answer, FaultServer, GoodRoute
from http_fixture_server import FixtureHandler
from PIL import Image

from feeds.budget import RequestBudget
from feeds.http import Fetcher
from feeds.model import Author, Media, Post
from feeds.poller import FeedSpec, Poller, adapter_module, credential_key
from feeds.retry import RetryPolicy
from wall.store import FeedHealth, FeedSnapshot, Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FEED = "zone-feed"
POLL_S = 0.02  # between good polls
READ_TIMEOUT_S = 1.0  # small enough to keep the timeout step short, large for a fixture on a busy machine
TOTAL_TIMEOUT_S = 1.0  # the fetcher's limit for a whole response; the slow drip would take minutes
DRIP_EVERY_S = 0.05  # the slow drip's pace: one byte, far within the read timeout, every this many seconds
SIZE_CAP = 64 * 1024  # over every good fixture (the largest is ~11 KB), under the too-large bodies
STEP_DEADLINE_S = 30.0  # generous: a slow machine makes steps slower, never makes them fail


def fixture(adapter: str, name: str) -> bytes:
    return (FIXTURES / adapter / name).read_bytes()


def query(h: FixtureHandler) -> dict[str, list[str]]:
    return parse_qs(urlsplit(h.path).query)


class FastRetry(RetryPolicy):
    """Retry at once: these tests are about what happens after a fault, not when the next try is."""

    def next_delay(self, error, attempt):
        return 0.005


# ------------------------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    adapter: str
    now: datetime
    credentials: dict[str, str]
    options: Callable[[FaultServer], dict]
    routes: Callable[[Callable[[str], str]], dict[str, GoodRoute]]  # given url(path): path -> good answer
    posts: int = 0  # distinct posts the good answers hold (0: the adapter emits metrics only)
    metrics: frozenset[str] = frozenset()  # metric names the good answers give
    markup_source: bool = True  # the vendor sends HTML (mastodon, rss, ...) rather than typed plain text
    overrides: dict[str, Answer] = field(default_factory=dict)  # fault -> the vendor's own answer for it
    expect: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)  # fault -> (state, kind, says)
    # what the good answers leave in the feed's health: "ok", or "degraded" with a note naming the record
    # the source sent that could not be used (the json fixture's page 2 dates one post "yesterday-ish")
    good_state: str = "ok"
    good_note: str | None = None
    # the duplicates fault: which list of a route's answer to send with every item twice (None: the good
    # answer as it is), given the route's path and the request
    duplicate: Callable[[str, FixtureHandler], str | None] = lambda path, h: None
    pictures: bool = True  # some of the good answers' posts carry a picture (the image bomb step)

    @property
    def secrets(self) -> list[str]:
        found = list(self.credentials.values())
        if self.adapter == "zendesk":  # sent as Basic email/token:TOKEN: the encoded pair is a secret too
            found.append(base64.b64encode(f"ops@acme.com/token:{self.credentials['token']}".encode()).decode())
        return found


def _mastodon_routes(url):
    path = "/api/v1/timelines/tag/fibre"
    page1, page2 = fixture("mastodon", "tag_page1.json"), fixture("mastodon", "tag_page2.json")
    limits = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "297",
        "X-RateLimit-Reset": "2024-05-02T10:25:00.000000Z",
    }

    def route(h):  # Link-header paging, as tests/test_feed_mastodon.py serves it; page 2 repeats a status
        base = url(path)
        if "max_id=113000000000000008" in h.path:
            link = f'<{base}?limit=40&max_id=113000000000000005>; rel="next"'
            return Answer(page2, headers={**limits, "Link": link})
        if "max_id=113000000000000005" in h.path:
            return Answer(b"[]", headers=limits)
        return Answer(page1, headers={**limits, "Link": f'<{base}?limit=40&max_id=113000000000000008>; rel="next"'})

    return {path: route}


def _rss_routes(url):
    return {
        "/rss/tech-medias.xml": lambda h: Answer(
            fixture("rss", "lesechos_rss2.xml"), content_type="application/rss+xml; charset=utf-8"
        )
    }


def _bluesky_routes(url):
    from feeds import bluesky

    def search(h):  # cursor paging; page 2 repeats a post of page 1
        name = "search_page2.json" if query(h).get("cursor") == ["3"] else "search_page1.json"
        return Answer(fixture("bluesky", name))

    return {bluesky.SEARCH_PATH: search, bluesky.PROFILES_PATH: lambda h: Answer(fixture("bluesky", "profiles.json"))}


def _x_routes(url):
    from feeds import x

    def search(h):  # next_token paging; page 2 repeats a tweet of page 1
        token = "next_token=b26v89c19zqg8o3fr5ixvxlwn5p4xyg4eh5ns0ctlj6ct" in h.path
        return Answer(fixture("x", "search_page2.json" if token else "search_page1.json"))

    return {x.SEARCH_PATH: search}


def _json_routes(url):
    def mentions(h):  # cursor-token paging; page 2 repeats a record of page 1
        page2 = query(h).get("cursor") == ["c2Vjb25kLXBhZ2U"]
        return Answer(fixture("json", "mentions_page2.json" if page2 else "mentions_page1.json"))

    return {"/v1/mentions": mentions}


def _brandwatch_routes(url):
    def mentions(h):  # nextCursor paging (later polls); page 2 repeats a mention of page 1
        return Answer(fixture("brandwatch", "mentions_page2.json" if "cursor=" in h.path else "mentions_page1.json"))

    return {
        "/projects/42/data/mentions": mentions,
        "/projects/42/data/volume/sentiment/hours": lambda h: Answer(
            fixture("brandwatch", "volume_sentiment_hours.json")
        ),
        "/projects/42/data/volume/topauthors/queries": lambda h: Answer(fixture("brandwatch", "topauthors.json")),
    }


def _zendesk_routes(url):
    pages = {
        "": "export_page1.json",
        "MTcxODEwMDAwMC4wfHwxMDA0fA==": "export_page2.json",
        "MTcxODE5MzYwMC4wfHwxMDA4fA==": "export_next_poll.json",
    }

    # export_next_poll's own after_cursor gets that page again, as an inclusive cursor would: the same
    # update re-sent every poll, so the figures stay what they are (the duplicates step compares them)
    pages["MTcxODE5Mzg5MC4wfHwxMDA0fA=="] = "export_next_poll.json"

    def export(h):  # cursor export; a cursor it no longer knows gets Zendesk's 422 (the adapter starts afresh)
        name = pages.get(query(h).get("cursor", [""])[0])
        return Answer(fixture("zendesk", name)) if name else Answer(fixture("zendesk", "error_422_cursor.json"), 422)

    return {"/api/v2/incremental/tickets/cursor.json": export}


def _engage_routes(url):
    def interventions(h):  # offset paging; page 2 repeats an intervention of page 1 (the list shifted)
        offset = query(h).get("offset", ["0"])[0]
        name = {"0": "interventions_page1.json", "3": "interventions_page2.json"}.get(offset)
        return Answer(fixture("engage_digital", name)) if name else Answer(b'{"count": 6, "records": []}')

    return {"/1.0/interventions": interventions}


TW_PROJECT = "a1ab1abc-a123-123a-123a-abcd12ab1a12"


def _talkwalker_routes(url):
    project = f"/api/v1/search/p/{TW_PROJECT}"

    def results(h):  # offset paging (hpp 2): page 1 says next is offset 2; page 2 repeats a result of page 1
        page2 = query(h).get("offset") == ["2"]
        return Answer(fixture("talkwalker", "results_page2.json" if page2 else "results_page1.json"))

    return {
        f"{project}/results": results,
        f"{project}/histogram/published": lambda h: Answer(fixture("talkwalker", "histogram_published.json")),
    }


def _radarly_routes(url):
    def search(h):  # a JSON POST; start / limit paging in the body; page 2 repeats a publication of page 1
        page2 = h.json().get("start") == 2
        return Answer(fixture("radarly", "search_page2.json" if page2 else "search_page1.json"), 201)

    return {"/1.0/projects/3/inbox/search.json": search}


def lists(where: dict[str, str]) -> Callable[[str, FixtureHandler], str | None]:
    """The duplicates fault's choice: route path -> the list of its answer whose items are sent twice (a
    JSON path, '' for the body itself, '<item>' for an RSS document's items)."""
    return lambda path, h: where.get(path)


def _vendor(adapter: str, status: int, name: str, headers: dict | None = None) -> Answer:
    return Answer(fixture(adapter, name), status, headers or {})


CARE = frozenset({"care.first_reply_min", "care.response_rate", "care.waiting"})
RETRY = {"Retry-After": str(RETRY_AFTER_S)}
# RSS is XML: its own malformed document, and feedparser reads mislabelled bytes (Latin-1 declared as
# UTF-8) as the publisher meant them, so for rss invalid UTF-8 is a success that keeps the same articles.
RSS_BROKEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Les Echos</title>'
    b"<item><title>&&& <<< </title<pubDate>Thu, 02 May 2024 <</item></chanel>"
)

SCENARIOS = [
    Scenario(
        "mastodon",
        datetime(2024, 5, 2, 10, 20, tzinfo=UTC),
        {"access_token": "masto-SECRET-7c1e99ab"},
        lambda s: {"instance": s.url(""), "hashtag": "fibre"},
        _mastodon_routes,
        posts=4,
        duplicate=lists({"/api/v1/timelines/tag/fibre": ""}),
        overrides={"429": _vendor("mastodon", 429, "error_429.json", RETRY)},
    ),
    Scenario(
        "rss",
        datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
        # rss takes no credential; one is given anyway to show a feed's secrets never reach health
        {"token": "rss-SECRET-51aa0c"},
        lambda s: {"url": s.url("/rss/tech-medias.xml")},
        _rss_routes,
        posts=4,
        duplicate=lists({"/rss/tech-medias.xml": "<item>"}),
        overrides={
            "malformed": Answer(RSS_BROKEN, content_type="application/rss+xml"),
            "invalid_utf8": Answer(
                fixture("rss", "invalid_utf8.xml"), content_type="application/rss+xml; charset=utf-8"
            ),
        },
        expect={
            "malformed": ("failing", "bad_response", "no dated entries"),
            "truncated_unframed": ("failing", "bad_response", "ends before"),
            "invalid_utf8": ("ok", None, ""),
        },
    ),
    Scenario(
        "bluesky",
        datetime(2024, 11, 26, tzinfo=UTC),
        # the public AppView takes no credential; one is given anyway (see rss)
        {"token": "bsky-SECRET-0d15ea5e"},
        lambda s: {"query": "#SocialRoom", "appview": s.url(""), "limit": 3},
        _bluesky_routes,
        posts=4,
        duplicate=lists({"/xrpc/app.bsky.feed.searchPosts": "posts"}),
        markup_source=False,
        overrides={
            "500": _vendor("bluesky", 500, "error_internal.json"),
            "429": _vendor("bluesky", 429, "error_ratelimit.json", RETRY),
            "403": _vendor("bluesky", 403, "error_auth.json"),
        },
    ),
    Scenario(
        "x",
        datetime(2024, 11, 26, tzinfo=UTC),
        {"bearer_token": "AAAAAAAAAAAAAAAAAAAAA-x-SECRET-9c1e77"},
        lambda s: {"query": "#SocialRoom -is:retweet", "api_base": s.url(""), "max_results": 10},
        _x_routes,
        posts=4,
        duplicate=lists({"/2/tweets/search/recent": "data"}),
        markup_source=False,
        overrides={
            "429": _vendor("x", 429, "error_429.json", RETRY),
            "403": _vendor("x", 403, "error_403_client_forbidden.json"),
        },
    ),
    Scenario(
        "json",
        datetime(2024, 3, 14, 12, 0, tzinfo=UTC),
        {"token": "vb-SECRET-9d2e71aa"},
        lambda s: {
            "url": s.url("/v1/mentions"),
            "headers": {"Authorization": "Bearer {token}"},
            "items": "data.results",
            "next_page": "paging.next",
            "page_param": "cursor",
            "max_pages": 5,
            "post": {
                "id": "id",
                "published_at": "created",
                "text": "content.text",
                "url": "url",
                "author_id": "user.id",
                "author_name": "user.name",
            },
        },
        _json_routes,
        posts=3,
        overrides={"500": _vendor("json", 500, "error_500.json"), "429": _vendor("json", 429, "error_429.json", RETRY)},
        good_state="degraded",
        good_note="not an ISO 8601 time or epoch: 'yesterday-ish'",
        duplicate=lists({"/v1/mentions": "data.results"}),
        pictures=False,  # the mapping reads no picture
    ),
    Scenario(
        "brandwatch",
        datetime(2024, 4, 20, 10, 5, tzinfo=UTC),
        {"token": "bw-SECRET-e51d0b3a"},
        lambda s: {"project_id": 42, "query_id": 1999544643, "api_base": s.url(""), "page_size": 2},
        _brandwatch_routes,
        posts=4,
        duplicate=lists({"/projects/42/data/mentions": "results"}),
        metrics=frozenset({"sentiment", "volume", "influencers"}),
        overrides={
            "500": _vendor("brandwatch", 500, "error_500.json"),
            "429": _vendor("brandwatch", 429, "error_429.json", RETRY),
            # Spring OAuth's own 401 body, which echoes the token
            "401": _vendor("brandwatch", 401, "error_401.json"),
        },
    ),
    # zendesk and engage_digital emit care metrics only: their posts checks (plain text, unique keys)
    # do not apply; the ticket subjects with <script> never leave the adapter.
    Scenario(
        "zendesk",
        datetime(2024, 6, 12, 12, 0, tzinfo=UTC),
        {"token": "zd-SECRET-9b2e77aa"},
        lambda s: {"base_url": s.url(""), "email": "ops@acme.com"},
        _zendesk_routes,
        metrics=CARE,
        duplicate=lists({"/api/v2/incremental/tickets/cursor.json": "tickets"}),
        overrides={
            "429": _vendor(
                "zendesk", 429, "error_429.json", {**RETRY, "X-Rate-Limit": "10", "X-Rate-Limit-Remaining": "0"}
            ),
            "403": _vendor("zendesk", 403, "error_403.json"),
        },
    ),
    Scenario(
        "engage_digital",
        datetime(2024, 6, 12, 12, 0, tzinfo=UTC),
        {"access_token": "ed-SECRET-31c0ffee"},
        lambda s: {"base_url": s.url(""), "limit": 3},
        _engage_routes,
        metrics=CARE | {"care.replies"},
        # offset paging counts a page's records: a doubled first page would skip the second one, so the
        # second (the last) is the page sent with every intervention twice
        duplicate=lambda path, h: "records" if query(h).get("offset") == ["3"] else None,
        overrides={
            "429": _vendor("engage_digital", 429, "error_429.json", RETRY),
            "403": _vendor("engage_digital", 403, "error_403.json"),
        },
    ),
    # the access token travels in the query string, and Talkwalker echoes the request line (token
    # included) in every body: the token given here is the one the fixtures echo, so it must be redacted.
    Scenario(
        "talkwalker",
        datetime(2024, 4, 20, 10, 5, tzinfo=UTC),
        {"access_token": "tw-SECRET-4c1f9e77"},
        lambda s: {"project_id": TW_PROJECT, "query": "orange 5G", "api_base": s.url(""), "hpp": 2},
        _talkwalker_routes,
        posts=4,
        duplicate=lists({f"/api/v1/search/p/{TW_PROJECT}/results": "result_content.data"}),
        metrics=frozenset({"volume", "sentiment"}),
        overrides={
            "500": _vendor("talkwalker", 500, "error_500.json"),
            "429": _vendor("talkwalker", 429, "error_429.json", RETRY),
            # a plain credentials 401 (status_code 7, bad token); Talkwalker's 401 with
            # status_code 8 is throttling, tested in tests/test_feed_talkwalker.py
            "401": _vendor("talkwalker", 401, "error_401_token.json"),
            "403": _vendor("talkwalker", 403, "error_403.json"),
        },
    ),
    # the search is a POST with a JSON body (start / limit paging); the good answer is a 201
    Scenario(
        "radarly",
        datetime(2024, 4, 20, 10, 5, tzinfo=UTC),
        {"access_token": "rd-SECRET-0b6d2a91"},
        lambda s: {"project_id": 3, "api_base": s.url(""), "page_size": 2},
        _radarly_routes,
        posts=4,
        duplicate=lists({"/1.0/projects/3/inbox/search.json": "hits"}),
        overrides={
            "500": _vendor("radarly", 500, "error_500.json"),
            "429": _vendor("radarly", 429, "error_429.json", RETRY),
            "401": _vendor("radarly", 401, "error_401.json", {"WWW-Authenticate": 'Bearer error="invalid_token"'}),
            "403": _vendor("radarly", 403, "error_403.json"),
        },
    ),
]

# fault -> (health state, error kind that leads last_error, words it must contain)
EXPECT = {
    "timeout": ("failing", "timeout", "timed out"),
    "500": ("failing", "server", "HTTP 500"),
    "429": ("failing", "throttled", f"asked to wait {RETRY_AFTER_S}"),
    "401": ("credentials", "credentials", "HTTP 401"),
    "403": ("credentials", "credentials", "HTTP 403"),
    "malformed": ("failing", "bad_response", "malformed JSON"),
    "truncated": ("failing", "bad_response", "truncated body"),
    # only the document shows the cut here; decode_json says "truncated JSON" or, when the cut falls
    # inside a string, "malformed JSON ... Unterminated string": either way a bad_response
    "truncated_unframed": ("failing", "bad_response", "JSON"),
    "too_large": ("failing", "too_large", "byte cap"),
    "too_large_streamed": ("failing", "too_large", "while streaming"),
    "invalid_utf8": ("failing", "bad_response", "invalid UTF-8"),
    # this file's own (MatrixServer)
    "html": ("failing", "bad_response", "got an HTML page ('Hotel Wi-Fi: please sign in')"),
    "slow_drip": ("failing", "timeout", f"took longer than the {TOTAL_TIMEOUT_S:g} s total limit"),
}
# faults after which the data is not kept as it was but must stay right: checked by their own functions
CHECKED_APART = ("duplicates", "image_bomb")
MATRIX = (*FAULTS, "html", "duplicates", "slow_drip", "image_bomb")
assert set(EXPECT) | set(CHECKED_APART) == set(MATRIX)


# ------------------------------------------------------------------------------------------- the faults added here

# what a captive portal (a hotel's, a venue's Wi-Fi) answers to every request until someone signs in
CAPTIVE_PORTAL = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Hotel Wi-Fi: please sign in</title>'
    b'<style>body{font-family:sans-serif}</style></head><body><h1>Welcome!</h1><form action="/login" '
    b'method="post"><input name="room"><button>Connect</button></form></body></html>\n'
)
BOMB_PATH = "/media/bomb.png"
BOMB_SIDE = 20_000  # pixels a side: 400 Mpx, 1.6 GB as RGBA; the PNG itself is under 50 KB
# a picture URL of the vendors' answers (media, thumbnails, avatars): a path ending as an image file does
_PICTURE = re.compile(rb"https?://[^\"'\s<>\\]+(?:\.(?:jpe?g|png|gif|webp)|@jpeg)(?:\?[^\"'\s<>\\]*)?")


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit black PNG of width x height: a few kilobytes that decompress to width x height pixels
    (a decompression bomb), written row block by row block so making it never holds the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + (width + 7) // 8)  # the filter byte, then the row's bits
    per_block = max(1, (1 << 20) // len(row))
    packer = zlib.compressobj(9)
    parts, done = [], 0
    while done < height:
        n = min(per_block, height - done)
        parts.append(packer.compress(row * n))
        done += n
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def twice(body: bytes, where: str) -> bytes:
    """`body` with every item of the list at `where` repeated in place (a, a, b, b, ...)."""
    if where == "<item>":  # RSS: each <item> element twice
        doubled = re.sub(rb"<item>.*?</item>", lambda m: m.group() * 2, body, flags=re.DOTALL)
        assert doubled != body, "no <item> to repeat"
        return doubled
    doc = json.loads(body)
    items = doc
    for key in where.split(".") if where else ():
        items = items[key]
    assert isinstance(items, list) and items, f"no items at {where!r} to repeat"
    items[:] = [item for item in items for _ in (0, 1)]
    return json.dumps(doc).encode()


class MatrixServer(FaultServer):
    """The fault server with the faults this file adds: `html` (a captive portal's page, 200 text/html),
    `duplicates` (every item of the routes the scenario names twice), `slow_drip` (the good answer one
    byte every DRIP_EVERY_S, until the test moves on) and `image_bomb` (the good answer with every picture
    URL pointing at a PNG decompression bomb served at BOMB_PATH)."""

    def __init__(self, scenario: Scenario, *, size_cap: int) -> None:
        super().__init__(scenario.routes, size_cap=size_cap, overrides=scenario.overrides)
        self.duplicate = scenario.duplicate
        self.drip_until: Callable[[], bool] = lambda: False  # the test moved on: stop dripping, hang up
        self.bomb = png_bomb(BOMB_SIDE, BOMB_SIDE)
        self._fixture.route(BOMB_PATH, lambda h: h.reply(200, self.bomb, content_type="image/png"))

    def _serve(self, h: FixtureHandler, route: GoodRoute) -> None:
        mode = self.mode
        if mode not in ("html", "duplicates", "slow_drip", "image_bomb") or mode in self.overrides:
            super()._serve(h, route)
            return
        good = route(h)
        if mode == "html":
            h.reply(200, CAPTIVE_PORTAL, content_type="text/html; charset=utf-8")
        elif mode == "duplicates":
            where = self.duplicate(urlsplit(h.path).path, h)
            body = good.body if where is None or good.status >= 300 else twice(good.body, where)
            h.reply(good.status, body, good.headers, good.content_type)
        elif mode == "image_bomb":
            body = _PICTURE.sub(self.url(BOMB_PATH).encode(), good.body)
            h.reply(good.status, body, good.headers, good.content_type)
        else:
            self._drip(h, good, mode)

    def _drip(self, h: FixtureHandler, good: Answer, mode: str) -> None:
        """The good answer, framed by its Content-Length, one byte every DRIP_EVERY_S (each far within the
        read timeout; the whole would take minutes), until the test moves on or the client hangs up."""
        h.send_response(good.status)
        for name, value in {"Content-Type": good.content_type, **good.headers}.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(good.body)))
        h.end_headers()
        h.wfile.flush()
        deadline = time.monotonic() + 60
        for byte in good.body:
            if self.mode != mode or self.drip_until() or time.monotonic() > deadline:
                break
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(DRIP_EVERY_S)
        h.close_connection = True

    @property
    def bomb_requests(self) -> int:
        return sum(1 for seen in self.seen if seen.path == BOMB_PATH)


# ------------------------------------------------------------------------------------------- the stepper


class StepClock:
    """The Poller's clock (it reads it once per poll, before any request) doubling as the step switch:
    a mode asked for by the test takes effect at the start of the next poll, and the store's snapshot
    at that instant is what that step must keep."""

    def __init__(self, now: datetime, server: FaultServer, store: Store) -> None:
        self.now, self.server, self.store = now, server, store
        self.wanted = server.mode
        self.starts = 0  # polls started
        self.latched_at: int | None = None  # index of the first poll in the wanted mode
        self.before: FeedSnapshot | None = None
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            if self.server.mode != self.wanted:
                self.before = self.store.snapshot(FEED, self.now)
                self.server.mode = self.wanted
                self.latched_at = self.starts
            self.starts += 1
        return self.now

    def switch(self, mode: str) -> None:
        with self._lock:
            self.wanted, self.latched_at = mode, None


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up after {STEP_DEADLINE_S:g} s waiting for {what}"
        time.sleep(0.005)


def run_step(poller: Poller, clock: StepClock, mode: str, polls: int = 1) -> FeedSnapshot:
    """Switch to `mode`, wait until `polls` polls in that mode have finished, return what the store had
    when the first of them began."""
    clock.switch(mode)
    wait_until(
        lambda: clock.latched_at is not None and poller.polls[FEED] >= clock.latched_at + polls,
        f"{polls} poll(s) answered with {mode!r} (the poller stopped polling?)",
    )
    assert clock.before is not None
    return clock.before


def data(snap: FeedSnapshot) -> tuple:
    return snap.posts, dict(snap.metrics)


# ------------------------------------------------------------------------------------------- the test


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.adapter for s in SCENARIOS])
def test_faults_keep_the_poller_running_and_the_last_good_data(scenario: Scenario):
    module = adapter_module(scenario.adapter)
    store = Store({FEED: (scenario.adapter, 60.0)})
    sink = RecordingSink(store)
    with MatrixServer(scenario, size_cap=SIZE_CAP) as server:
        spec = FeedSpec(FEED, scenario.adapter, POLL_S, scenario.options(server), dict(scenario.credentials))
        policy = FastRetry()

        def fetcher() -> Fetcher:
            f = Fetcher(read_timeout=READ_TIMEOUT_S, total_timeout=TOTAL_TIMEOUT_S, max_bytes=SIZE_CAP, policy=policy)
            if module.BUDGET is not None:  # the vendor's allowance would stall a test polling every 20 ms
                f.register_budget(credential_key(spec), RequestBudget(1_000_000, 1.0))
            return f

        clock = StepClock(scenario.now, server, store)
        server.drip_until = lambda: clock.wanted != "slow_drip"  # a retry still dripping hangs up at once
        poller = Poller([spec], sink, fetcher_factory=fetcher, policy=policy, clock=clock)
        poller.start()
        try:
            # good answers, twice (the second poll runs from the first one's cursor: later pages, repeats)
            wait_until(lambda: poller.polls[FEED] >= 2, "two good polls")
            good = store.snapshot(FEED, scenario.now)
            check_good_health(scenario, good)
            check_good_data(scenario, good)

            for fault in MATRIX:
                puts = len(sink.puts)
                before = run_step(poller, clock, fault)
                after = store.snapshot(FEED, scenario.now)
                where = f"{scenario.adapter} after {fault}: {after.health}"
                assert before.has_data, where
                if fault == "duplicates":
                    check_duplicates(scenario, before, after, sink.puts[puts:])
                    continue
                if fault == "image_bomb":
                    check_image_bomb(scenario, before, after, server)
                    continue
                state, kind, says = scenario.expect.get(fault, EXPECT[fault])
                assert after.health.state == state, where
                if kind is None:  # a fault the adapter absorbs (rss: mislabelled bytes): still good data
                    check_good_data(scenario, after)
                    assert {p.key for p in after.posts} == {p.key for p in before.posts}, where
                    continue
                assert data(after) == data(before), f"{where}: the last good data changed"
                assert after.health.last_error.startswith(f"{kind}: "), where
                assert says in after.health.last_error, where
                assert after.health.last_success == before.health.last_success, where
                for secret in scenario.secrets:
                    assert secret not in after.health.last_error, f"{where}: a secret is shown"

            run_step(poller, clock, "good", polls=2)
            recovered = store.snapshot(FEED, scenario.now)
            check_good_health(scenario, recovered)
            assert recovered.health.last_error is None
            check_good_data(scenario, recovered)
        finally:
            poller.stop()
            clock.switch("closed")
        assert poller.polls[FEED] >= 2 + len(MATRIX) + 2
        assert server.bomb_requests == 0, "the wall fetched a post's picture"


class RecordingSink:
    """The store, as the poller's sink, remembering the keys of the posts each successful poll delivered."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.puts: list[list[str]] = []

    def put(self, feed_id: str, posts: list, metrics: dict, at: datetime, **kw) -> None:
        self.puts.append([p.key for p in posts])
        self.store.put(feed_id, posts, metrics, at, **kw)

    def fail(self, feed_id: str, error: str, at: datetime, *, credentials: bool = False) -> None:
        self.store.fail(feed_id, error, at, credentials=credentials)

    def cursors(self, feed_id: str) -> dict[str, str]:
        return self.store.cursors(feed_id)


def check_duplicates(scenario: Scenario, before: FeedSnapshot, after: FeedSnapshot, puts: list[list[str]]) -> None:
    """A page listing every item twice: each post delivered once by the poll (not merely kept once by the
    store), every figure counted once (the same as before), and health ok, or degraded with a note."""
    where = f"{scenario.adapter} after duplicates: {after.health}"
    assert puts, f"{where}: no poll delivered anything"
    for keys in puts:
        assert len(keys) == len(set(keys)), f"{where}: a post delivered twice in one poll: {keys}"
    assert after.health.last_error is None, where
    assert after.health.state in ("ok", "degraded"), where
    assert after.health.state == "ok" or after.health.notes, f"{where}: degraded without saying why"
    assert {p.key for p in after.posts} == {p.key for p in before.posts}, where
    assert dict(after.metrics) == dict(before.metrics), f"{where}: a figure counted an item twice"
    check_good_data(scenario, after)


def check_image_bomb(scenario: Scenario, before: FeedSnapshot, after: FeedSnapshot, server: MatrixServer) -> None:
    """Posts whose pictures point at a decompression bomb are shown, each picture as the placeholder: the
    wall never fetches a feed's picture (nor ever decodes one past MAX_PIXELS: see the test below)."""
    where = f"{scenario.adapter} after image_bomb: {after.health}"
    assert after.health.state == scenario.good_state and after.health.last_error is None, where
    assert {p.key for p in after.posts} == {p.key for p in before.posts}, where
    if not scenario.posts or not scenario.pictures:
        return
    bomb = server.url(BOMB_PATH)
    bombed = [p for p in after.posts if any(m.url == bomb and m.kind in ("image", "gif") for m in p.media)]
    assert bombed, f"{where}: no post kept a picture pointing at the bomb"
    view, pixels = show_in_top_posts(bombed[0])
    card = view.posts[0]
    assert card.image == bomb and not card.image_local, card
    assert placeholder_painted(pixels), f"{where}: no placeholder where the picture goes"
    assert server.bomb_requests == 0, f"{where}: the wall fetched the bomb"


def show_in_top_posts(post: Post):
    """What the top_posts widget paints for `post` alone (its first card), as a person sees it."""
    from widget_kit import render

    t = post.published_at + timedelta(minutes=1)
    snap = FeedSnapshot(FEED, (post,), {}, t, FeedHealth("ok", last_success=t))
    return render(
        "top_posts", 960, 540, data=snap, t=t, count=1, rank_by="recency", window_minutes=60, include_articles=True
    )


def placeholder_painted(pixels) -> bool:
    """The picture placeholder (its pictogram and caption, in the theme's muted ink) is on screen."""
    import numpy as np
    from widget_kit import THEME

    from wall.config.base import rgba

    r, g, b, _ = rgba(THEME.muted)
    near = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2) <= 10
    return int(near.sum()) > 200


def check_good_health(scenario: Scenario, snap: FeedSnapshot) -> None:
    """After good answers: "ok", or "degraded" with exactly one note naming the unusable record (the same
    record re-sent by every poll is one note, not one per poll)."""
    assert snap.health.state == scenario.good_state, snap.health
    if scenario.good_note is None:
        assert snap.health.notes == (), snap.health
    else:
        assert len(snap.health.notes) == 1 and scenario.good_note in snap.health.notes[0], snap.health


def check_good_data(scenario: Scenario, snap: FeedSnapshot) -> None:
    """What the good answers must show on the wall: every distinct post once, as plain text, and the
    adapter's figures."""
    assert set(snap.metrics) >= scenario.metrics, sorted(snap.metrics)
    if not scenario.posts:
        return
    keys = [p.key for p in snap.posts]
    assert len(keys) == len(set(keys)) == scenario.posts, keys  # the repeat across pages is kept once
    for post in snap.posts:
        links = [post.url, post.author.avatar_url, *(m.url for m in post.media)]
        assert all(u is None or u.startswith(("https://", "http://")) for u in links), links  # no javascript:
        if scenario.markup_source:
            # HTML from the vendor became text: no element survives, the script's content is gone
            assert "<script" not in post.text.lower() and "alert(" not in post.text and "steal(" not in post.text
            assert "<p>" not in post.text and "<br" not in post.text
    if not scenario.markup_source:
        # Bluesky and X text is what the user typed, not HTML: a typed "<script>" is shown as those
        # characters (painted as glyphs, never interpreted), so it is kept verbatim (X entity-encodes
        # < > & in its JSON and the adapter decodes them once; Bluesky sends the text as typed).
        typed = [p.text for p in snap.posts if "script" in p.text]
        assert typed and all(t.startswith("<script>alert('wall')</script> fish &") for t in typed), typed


# ------------------------------------------------------------------------------------------- a bomb on disk


@pytest.mark.parametrize(
    "side",
    [
        BOMB_SIDE,  # 400 Mpx: past Pillow's own bomb check, which raises before anything is decoded
        10_000,  # 100 Mpx: where Pillow only warns (its limit's first half)
        7_000,  # 49 Mpx: under both Pillow limits, over the wall's (images.MAX_PIXELS)
    ],
)
def test_a_picture_bomb_on_disk_is_never_decoded_but_shown_as_a_placeholder_and_logged(
    side, tmp_path, monkeypatch, caplog
):
    """The one way a post's picture is read from this machine: the demo feed's bundled pictures
    ('asset:demo/...'). A decompression bomb there (or any file a painter opens) is refused from its
    header: the card shows the placeholder, the log says why, once, and memory stays as it was."""
    from wall.paint import images

    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "bomb.png").write_bytes(png_bomb(side, side))
    monkeypatch.setattr(images, "ASSETS", tmp_path)  # the bundled pictures' folder, here
    post = Post(
        key="demo:bomb",
        source="demo",
        network="mastodon",
        published_at=datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
        text="Look at this view!",
        author=Author(id="demo:ana", name="Ana Lima", handle="@ana"),
        media=(Media(url="asset:demo/bomb.png", alt="a mountain view"),),
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    with warnings.catch_warnings(record=True) as warned, caplog.at_level(logging.INFO, logger="wall.paint.images"):
        warnings.simplefilter("always")
        started = time.monotonic()
        view, pixels = show_in_top_posts(post)
        took = time.monotonic() - started
        view_again, pixels_again = show_in_top_posts(post)  # the next repaint
    card = view.posts[0]
    assert card.image == "asset:demo/bomb.png" and card.image_local  # a file the painter does open
    assert placeholder_painted(pixels) and placeholder_painted(pixels_again)
    told = [r for r in caplog.records if r.name == "wall.paint.images"]
    assert len(told) == 1 and "bomb.png" in told[0].getMessage() and "too large" in told[0].getMessage(), told
    assert not [w for w in warned if issubclass(w.category, Image.DecompressionBombWarning)]
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert grown_mib < 200, f"painting grew the process by {grown_mib:.0f} MiB: the bomb was decoded"
    assert took < 10, took
