"""Fuzzing every adapter's parsing (hypothesis): whatever a vendor, a proxy or a broken export sends, a poll
either gives posts and figures a wall can show or fails with the adapter's documented error, a
`FeedError` (feeds/errors.py, feeds/adapter.py), which the poller turns into health while the zone keeps
its last good data. Never any other exception: a `KeyError` or an `OverflowError` out of a parser would
reach the health panel as "adapter error: OverflowError", with no hint of what the vendor sent.

Each network adapter is fuzzed through its own `poll`, with a fake fetcher that answers one of its
endpoints with the fuzzed body and the others with their recorded-shape fixtures (tests/fixtures/), so
the parsers (`parse_*`) and the glue around them in `poll` (paging, cursors, per-item skipping) are fed
together, as in production. The bodies are
- random bytes and text, and the good fixture bytes cut short, spliced with junk, or holding a number of
  thousands of digits or a nesting deeper than the JSON decoder allows;
- the good fixture documents mutated: values replaced by other JSON types, keys dropped, list items
  repeated, strings with control, bidi and lone surrogate characters, huge and non-finite numbers, far
  past and far future dates, values nested deeply.
The replay adapter (a file) is fuzzed through `parse_replay` and `select`, as its `poll` chains them.

What comes back must be what validation would accept (models built with `trusted` skip it: see
feeds/model.py), so a checked-at-the-edge value that was not checked shows here too, and what the store
takes next: each result is put into a Store and its figures computed, as the poller hands it over (a
count of 400 digits passed every parser once, then failed the store's figures on the poller's thread).

Budget: every test runs a fixed number of examples (`derandomize=True`: the same ones on every run, so a
failure is reproducible and `make test` stays within its time): about 15 s for the whole file on a
2-CPU machine. Crashes the fuzzer found are kept as explicit `@example`s, and every example runs
against every adapter. To hunt for more, raise EXAMPLES and drop `derandomize` locally."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.adapter import PollContext, PollResult
from feeds.errors import FeedError
from feeds.http import Response
from feeds.mapping import PathError
from feeds.model import Metric, Post
from feeds.poller import adapter_module
from wall.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
API = "https://vendor.example"
EXAMPLES = 100  # per test: what `make test` can afford (the hunts that found the bugs below ran 1500-2500)

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written next to the tree; derandomize makes every run the same anyway
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# ------------------------------------------------------------------------------------------- what is fuzzed


@dataclass(frozen=True)
class Case:
    """One endpoint of one adapter: its poll, with `fuzzed` (a path suffix) answering the fuzzed body and
    every other endpoint its good fixture."""

    adapter: str
    fuzzed: str
    options: dict[str, Any]
    answers: dict[str, str]  # path suffix -> fixture name (the good answers; `fuzzed`'s is the one mutated)
    credentials: dict[str, str] = field(default_factory=dict)
    now: datetime = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    content_type: str = "application/json"

    @property
    def id(self) -> str:
        return f"{self.adapter}:{self.fuzzed.rsplit('/', 1)[-1]}"

    @property
    def fixture(self) -> str:
        return self.answers[self.fuzzed]


JSON_MAPPING = {
    "id": "id",
    "published_at": "created",
    "text": "content.text",
    "title": "title",
    "url": "url",
    "lang": "lang",
    "country": "country",
    "network": "network",
    "author_id": "user.id",
    "author_handle": "user.screen_name",
    "author_name": "user.name",
    "author_avatar_url": "user.avatar",
    "author_followers": "user.followers",
    "author_verified": "user.verified",
    "likes": "stats.likes",
    "reposts": "stats.retweets",
    "replies": "stats.replies",
    "quotes": "stats.quotes",
    "views": "stats.impressions",
    "engagement": "stats.engagement",
    "reach": "stats.reach",
    "sentiment": "tone",
    "hashtags": "tags",
    "kind": "type",
    "media": "media",
    "media_url": "url",
    "media_kind": "type",
    "media_alt": "alt",
}
JSON_METRICS = {
    "reply": {"name": "First reply", "unit": "min", "value": "stats.avg_first_reply", "scale": 1 / 60},
    "previous": {"name": "Rate", "value": "stats.response_rate", "previous": "stats.avg_first_reply_previous"},
    "tone": {"name": "Tone", "breakdown": "tone"},
    "countries": {"name": "Countries", "breakdown": {"items": "countries", "key": "code", "value": "count"}},
    "volume": {"name": "Volume", "series": {"items": "volume", "time": "at", "value": "n"}},
}
TW = "/api/v1/search/p/p1"
BW = "/projects/42/data"

CASES = [
    Case(
        "mastodon",
        "/api/v1/timelines/tag/fibre",
        {"instance": API, "hashtag": "fibre", "max_pages": 2},
        {"/api/v1/timelines/tag/fibre": "tag_page1.json"},
    ),
    Case("rss", "/feed.xml", {"url": f"{API}/feed.xml"}, {"/feed.xml": "lesechos_rss2.xml"}, content_type="text/xml"),
    Case(
        "bluesky",
        "/xrpc/app.bsky.feed.searchPosts",
        {"query": "#SocialRoom", "appview": API, "max_pages": 2},
        {"/xrpc/app.bsky.feed.searchPosts": "search_page1.json", "/xrpc/app.bsky.actor.getProfiles": "profiles.json"},
    ),
    Case(
        "bluesky",
        "/xrpc/app.bsky.actor.getProfiles",
        {"query": "#SocialRoom", "appview": API, "max_pages": 1},
        {"/xrpc/app.bsky.feed.searchPosts": "search_page1.json", "/xrpc/app.bsky.actor.getProfiles": "profiles.json"},
    ),
    Case(
        "x",
        "/2/tweets/search/recent",
        {"query": "#SocialRoom", "api_base": API, "max_pages": 2},
        {"/2/tweets/search/recent": "search_page1.json"},
        {"bearer_token": "x-token"},
    ),
    Case(
        "json",
        "/v1/mentions",
        {"url": f"{API}/v1/mentions", "items": "data.results", "post": JSON_MAPPING},
        {"/v1/mentions": "mentions_page1.json"},
    ),
    Case("json", "/v1/care", {"url": f"{API}/v1/care", "metrics": JSON_METRICS}, {"/v1/care": "care_stats.json"}),
    *(
        Case(
            "brandwatch",
            fuzzed,
            {"project_id": 42, "query_id": 1, "api_base": API},
            {
                f"{BW}/mentions": "mentions_page1.json",
                f"{BW}/volume/sentiment/hours": "volume_sentiment_hours.json",
                f"{BW}/volume/topauthors/queries": "topauthors.json",
            },
            {"token": "bw-token"},
        )
        for fuzzed in (f"{BW}/mentions", f"{BW}/volume/sentiment/hours", f"{BW}/volume/topauthors/queries")
    ),
    Case(
        "zendesk",
        "/api/v2/incremental/tickets/cursor.json",
        {"base_url": API, "email": "ops@acme.com", "max_pages": 2},
        {"/api/v2/incremental/tickets/cursor.json": "export_page1.json"},
        {"token": "zd-token"},
        datetime(2024, 6, 12, 12, 0, tzinfo=UTC),
    ),
    Case(
        "engage_digital",
        "/1.0/interventions",
        {"base_url": API, "limit": 3, "max_pages": 2},
        {"/1.0/interventions": "interventions_page1.json"},
        {"access_token": "ed-token"},
        datetime(2024, 6, 12, 12, 0, tzinfo=UTC),
    ),
    *(
        Case(
            "talkwalker",
            fuzzed,
            {"project_id": "p1", "query": "orange", "api_base": API, "hpp": 2, "max_pages": 2},
            {f"{TW}/results": "results_page1.json", f"{TW}/histogram/published": "histogram_published.json"},
            {"access_token": "tw-token"},
        )
        for fuzzed in (f"{TW}/results", f"{TW}/histogram/published")
    ),
    Case(
        "radarly",
        "/1.0/projects/3/inbox/search.json",
        {"project_id": 3, "api_base": API, "page_size": 2, "max_pages": 2},
        {"/1.0/projects/3/inbox/search.json": "search_page1.json"},
        {"access_token": "rd-token"},
    ),
]
NETWORK = [c for c in CASES if c.fixture.endswith(".json")]  # the adapters that answer JSON
IDS = [c.id for c in CASES]


class FakeFetcher:
    """What an adapter's poll uses of the Fetcher: every request answered 200 with a fixed body by path."""

    def __init__(self, answer: Callable[[str], tuple[bytes, str]]) -> None:
        self.answer = answer

    async def get(self, url: str, **_: Any) -> Response:
        return self._respond(url)

    async def post(self, url: str, **_: Any) -> Response:
        return self._respond(url)

    def _respond(self, url: str) -> Response:
        body, content_type = self.answer(httpx.URL(url).path)
        return Response(200, httpx.Headers({"content-type": content_type}), body, False, url)

    def budget(self, key: str | None) -> None:
        return None

    def add_secret(self, value: str) -> None:
        pass


@cache
def fixture_bytes(adapter: str, name: str) -> bytes:
    return (FIXTURES / adapter / name).read_bytes()


def poll(case: Case, body: bytes) -> PollResult:
    """One poll of `case.adapter` whose `case.fuzzed` endpoint answers `body`. Raises what the poll raises."""
    module = adapter_module(case.adapter)
    options = module.Options.model_validate(case.options)

    def answer(path: str) -> tuple[bytes, str]:
        suffix = next((s for s in case.answers if path.endswith(s)), None)
        if suffix == case.fuzzed:
            return body, case.content_type
        if suffix is None:
            return b"[]", "application/json"
        return fixture_bytes(case.adapter, case.answers[suffix]), case.content_type

    ctx = PollContext("fuzz", FakeFetcher(answer), options, dict(case.credentials), {}, case.now, None)  # type: ignore[arg-type]
    return asyncio.run(module.poll(ctx))


def check_result(result: PollResult, adapter: str, at: datetime) -> None:
    """Posts and figures a wall can show: what validation accepts (`trusted` skipped it), in UTC, and what
    the store takes next, as the poller hands it over at the poll's time `at`, figures over every window
    included."""
    assert isinstance(result, PollResult)
    for post in result.posts:
        assert isinstance(post, Post), post
        Post.model_validate(post.model_dump())
        assert post.published_at.tzinfo is not None and post.published_at.utcoffset().total_seconds() == 0
    for name, metric in result.metrics.items():
        assert isinstance(name, str) and isinstance(metric, Metric), (name, metric)
        Metric.model_validate(metric.model_dump())
    store = Store({"fuzz": (adapter, 60.0)})
    try:
        store.put(
            "fuzz",
            result.posts,
            result.metrics,
            at,
            replace=result.replace,
            cursors=dict(result.cursor),
            skipped=result.skipped or None,
        )
        store.settle_figures()
        store.snapshot("fuzz", at)
    finally:
        store.close()


def survives(case: Case, body: bytes) -> None:
    """The property: a poll answered `body` gives showable data or a FeedError, nothing else."""
    try:
        result = poll(case, body)
    except FeedError as exc:
        assert exc.kind in {"bad_response", "too_large"}, repr(exc)  # what a body can be wrong by
        return
    check_result(result, case.adapter, case.now)


# ------------------------------------------------------------------------------------------- bodies


WEIRD_TEXT = [
    "",
    " ",
    "null",
    "NaN",
    "-1",
    "1e309",
    "9" * 400,
    "0x10",
    "\x00",
    "a\x00b\x1b[31mred\x07",
    "\u202eevil\u202c",
    "\ud800",  # a lone surrogate, as a JSON \\ud800 escape decodes
    "\ufeff\u200b",
    "<script>alert(1)</script>",
    "&lt;b&gt;",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "asset:../../etc/passwd",
    "http://[::1",
    "https://[::1]:99999/x",
    "https://a.example/" + "x" * 3000,
    "https://user:pw@host.example/p.png",
    "at://did:plc:abc/app.bsky.feed.post/3k",
    "did:plc:abc",
    "2024-05-02T10:20:00Z",
    "2024-05-02T10:20:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59Z",
    "2024-02-30T10:00:00Z",
    "1714650000000",
    "99999999999999999",
    "-62135596800",
    "positive",
    "NEGATIVE",
    "DEU",
    "uk",
    "#tag #tag #TAG",
]
WEIRD_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64 + 1,
    10**400,
    -(10**400),
    1e308,
    -1e308,
    5e-324,
    math.inf,
    -math.inf,
    math.nan,
    1714650000000,
    -62135596800,
    253402300800,
    253402300800000,
]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(WEIRD_NUMBERS),
    st.integers(),
    st.floats(),
    st.sampled_from(WEIRD_TEXT),
    st.text(max_size=20),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "url", "data", "x"]), inner),
    max_leaves=8,
)

# a mutation: (what, where: an index into the document's nodes, taken modulo their number, with what)
MUTATIONS = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 10**6), json_values),
    st.tuples(st.just("drop"), st.integers(0, 10**6), st.none()),
    st.tuples(st.just("repeat"), st.integers(0, 10**6), st.integers(1, 3)),
    st.tuples(st.just("nest"), st.integers(0, 10**6), st.integers(1, 60)),
    st.tuples(st.just("spoil"), st.integers(0, 10**6), st.sampled_from(WEIRD_TEXT)),
)

# what is done to the good fixture's bytes: ("raw", bytes) ignores the fixture
BYTE_SPECS = st.one_of(
    st.tuples(st.just("raw"), st.binary(max_size=1024)),
    st.tuples(st.just("raw"), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("splice"), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("bytes"), st.floats(0, 1), st.integers(1, 8), st.binary(min_size=1, max_size=8)),
)


def nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every node's path, the root first, in document order."""
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += nodes(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += nodes(value, (*path, index))
    return found


def at(doc: Any, path: tuple) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def mutate(doc: Any, mutations: list[tuple]) -> Any:
    """`doc` (a copy) with each mutation applied in turn."""
    doc = copy.deepcopy(doc)
    for what, where, arg in mutations:
        if what == "whole":  # an explicit document (the examples below)
            doc = copy.deepcopy(arg)
            continue
        paths = nodes(doc)
        path = paths[where % len(paths)]
        value = at(doc, path)
        if what == "replace":
            new: Any = copy.deepcopy(arg)
        elif what == "drop" and path:
            parent = at(doc, path[:-1])
            del parent[path[-1]]
            continue
        elif what == "repeat" and path and isinstance(at(doc, path[:-1]), list):
            parent = at(doc, path[:-1])
            for _ in range(arg):
                parent.insert(path[-1], copy.deepcopy(value))
            continue
        elif what == "nest":
            new = value
            for level in range(arg):
                new = [new] if level % 2 else {"data": new}
        elif what == "spoil":
            new = (value[: len(value) // 2] + arg + value[len(value) // 2 :]) if isinstance(value, str) else arg
        else:
            continue
        if path:
            at(doc, path[:-1])[path[-1]] = new
        else:
            doc = new
    return doc


def from_spec(good: bytes, spec: tuple) -> bytes:
    """The body a byte spec describes, from the good fixture's bytes."""
    what = spec[0]
    if what == "raw":
        return spec[1]
    where = min(int(spec[1] * len(good)), len(good))
    if what == "cut":
        return good[:where]
    if what == "splice":
        return good[:where] + spec[2] + good[where:]
    if what == "bytes":
        return good[:where] + spec[3] * spec[2] + good[where + len(spec[3]) * spec[2] :]
    raise AssertionError(spec)


def json_body(doc: Any) -> bytes:
    return json.dumps(doc).encode()  # NaN and Infinity as Python's json writes (and reads) them


# ------------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", CASES, ids=IDS)
@FUZZ
@given(spec=BYTE_SPECS)
@example(spec=("raw", b'{"data": ' + b"9" * 5000 + b"}"))  # over Python's 4300-digit int limit: a ValueError
@example(spec=("raw", b"[" * 100_000))  # deeper than the JSON decoder goes
@example(spec=("raw", b"<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body>Sign in</body></html>"))
@example(spec=("raw", b'\xef\xbb\xbf{"ok": true}'))
@example(spec=("cut", 0.5))
# found: a non-breaking space spliced into the RSS fixture's first element makes feedparser's SAX handler
# fail to unpack a namespaced name (ValueError out of feedparser.parse)
@example(spec=("splice", 0.0625, b"\xa0"))
def test_any_bytes_give_data_or_a_feed_error(case: Case, spec: tuple):
    survives(case, from_spec(fixture_bytes(case.adapter, case.fixture), spec))


# Documents the fuzzer found crashing an adapter (now fixed), each reduced to what it needs; as explicit
# examples they run against every adapter, as its answer at the fuzzed endpoint.
WHEN = "2024-05-02T10:00:00Z"
FOUND = {
    # x: a referenced tweet's type that is an object (unhashable) and hashtags that are `true`: TypeError
    "x_odd_types": {
        "data": [
            {
                "id": "1790000000000000001",
                "author_id": "42",
                "created_at": WHEN,
                "text": "hi #there",
                "referenced_tweets": [{"type": {"data": "quoted"}}],
                "entities": {"hashtags": True},
                "attachments": {"media_keys": 7},
            }
        ],
        "includes": {"users": True, "media": 3},
        "meta": {"result_count": 1},
    },
    # bluesky: `true` where the record's tags, facets and labels are lists: TypeError
    "bluesky_odd_types": {
        "posts": [
            {
                "uri": "at://did:plc:abc/app.bsky.feed.post/3k",
                "author": {"did": "did:plc:abc", "handle": "a.bsky.social"},
                "record": {"text": "hi", "createdAt": WHEN, "tags": True, "facets": 1, "labels": {"values": True}},
                "embed": {"$type": "app.bsky.embed.images#view", "images": True},
                "labels": 5,
                "indexedAt": WHEN,
            }
        ]
    },
    # brandwatch: a chart row whose values are `true` (TypeError) or a count of 401 digits (OverflowError
    # converting it to a float), and a mention whose counts are that large
    "brandwatch_chart": {
        "results": [
            {"id": "positive", "values": True},
            {"id": "negative", "values": [{"id": "2024-04-20T08:00:00.000+0000", "value": 10**400}]},
        ]
    },
    "brandwatch_mention": {
        "results": [{"resourceId": "1", "date": WHEN, "likes": 10**400, "reachEstimate": -(10**400), "fullText": "x"}]
    },
    # zendesk: a first reply "1e308 minutes" after the ticket: an infinite time (OverflowError in int())
    "zendesk_reply_time": {
        "tickets": [
            {
                "id": 1,
                "status": "open",
                "created_at": "2024-06-12T10:00:00Z",
                "metric_set": {"reply_time_in_minutes": {"calendar": 1e308, "business": 1e308}},
            }
        ],
        "end_of_stream": True,
    },
    # mastodon: counts of 401 digits, kept as they were: the store's figures then failed converting the
    # likes of a leaderboard to a float (OverflowError in Store.put, on the poller's thread)
    "mastodon_huge_counts": [
        {
            "id": "1",
            "visibility": "public",
            "created_at": "2024-05-02T11:00:00Z",
            "account": {"acct": "a", "followers_count": 10**400},
            "content": "<p>hi</p>",
            "favourites_count": 10**400,
            "reblogs_count": 10**400,
            "media_attachments": [
                {"type": "image", "url": "https://m.example/a.png", "meta": {"original": {"width": 10**400}}}
            ],
        }
    ],
    # engage digital: a reply time of 401 digits (OverflowError in math.isfinite)
    "engage_huge_reply": {
        "records": [
            {"id": "a", "created_at": "2024-06-12T10:00:00Z", "user_replies_count": 1, "first_user_reply_in": 10**400}
        ],
        "count": 1,
    },
    # talkwalker: a time, a sentiment and a histogram bin of 401 digits (OverflowError in math.isfinite)
    "talkwalker_huge_numbers": {
        "status_code": "0",
        "result_content": {
            "data": [
                {
                    "data": {
                        "url": "https://news.example/1",
                        "published": 10**400,
                        "indexed": 1713607200000,
                        "sentiment": 10**400,
                        "content": "x",
                    }
                }
            ]
        },
        "result_histogram": {"data": [{"t": 10**400, "v": [1]}]},
    },
    # json (and replay): a time of 401 digits (OverflowError converting it to a float)
    "json_huge_time": {"data": {"results": [{"id": "1", "created": 10**400, "content": {"text": "x"}}]}},
    # bluesky: a follower count and an aspect ratio of 401 digits
    "bluesky_huge_numbers": {
        "profiles": [{"did": "did:plc:abc", "followersCount": 10**400}],
        "posts": [
            {
                "uri": "at://did:plc:abc/app.bsky.feed.post/3k",
                "author": {"did": "did:plc:abc", "handle": "a.bsky.social"},
                "record": {"text": "hi", "createdAt": "2024-05-02T11:00:00Z"},
                "embed": {
                    "$type": "app.bsky.embed.images#view",
                    "images": [
                        {"fullsize": "https://cdn.example/a.jpg", "aspectRatio": {"width": 10**400, "height": 1}}
                    ],
                },
                "likeCount": 10**400,
            }
        ],
    },
    # bluesky, mastodon: a lone surrogate ("\ud800", valid JSON) in an id: the post's key could not be
    # encoded, and the store failed hashing it (UnicodeEncodeError in Store.put, on the poller's thread)
    "bluesky_lone_surrogate": {
        "posts": [
            {
                "uri": "at://did:plc:ab\ud800c/app.bsky.feed.post/3k",
                "author": {"did": "did:plc:abc", "handle": "a.bsky.social", "displayName": "A\udfff"},
                "record": {"text": "hi \ud800", "createdAt": "2024-05-02T11:00:00Z", "tags": ["t\ud800"]},
                "indexedAt": "2024-05-02T11:00:00Z",
            }
        ]
    },
    "mastodon_lone_surrogate": [
        {
            "id": "1\ud800",
            "visibility": "public",
            "created_at": "2024-05-02T11:00:00Z",
            "account": {"acct": "a\ud800"},
            "content": "<p>hi</p>",
            "tags": [{"name": "t\udc00"}],
        }
    ],
    # mastodon: `true` for a status's filter results, attachments and tags
    "mastodon_odd_types": [
        {
            "id": "1",
            "visibility": "public",
            "created_at": WHEN,
            "account": {"acct": "a"},
            "content": "<p>hi</p>",
            "filtered": True,
            "media_attachments": 1,
            "tags": True,
        }
    ],
}


def found(name: str) -> list[tuple]:
    return [("whole", 0, FOUND[name])]


@pytest.mark.parametrize("case", NETWORK, ids=[c.id for c in NETWORK])
@FUZZ
@given(mutations=st.lists(MUTATIONS, min_size=1, max_size=4))
@example(mutations=[("whole", 0, [])])
@example(mutations=[("whole", 0, {})])
@example(mutations=[("whole", 0, None)])
@example(mutations=found("x_odd_types"))
@example(mutations=found("bluesky_odd_types"))
@example(mutations=found("brandwatch_chart"))
@example(mutations=found("brandwatch_mention"))
@example(mutations=found("zendesk_reply_time"))
@example(mutations=found("mastodon_odd_types"))
@example(mutations=found("mastodon_huge_counts"))
@example(mutations=found("engage_huge_reply"))
@example(mutations=found("talkwalker_huge_numbers"))
@example(mutations=found("json_huge_time"))
@example(mutations=found("bluesky_huge_numbers"))
@example(mutations=found("bluesky_lone_surrogate"))
@example(mutations=found("mastodon_lone_surrogate"))
def test_mutated_documents_give_data_or_a_feed_error(case: Case, mutations: list[tuple]):
    good = json.loads(fixture_bytes(case.adapter, case.fixture))
    survives(case, json_body(mutate(good, mutations)))


# ------------------------------------------------------------------------------------------- rss (XML)

RSS = next(c for c in CASES if c.adapter == "rss")
ITEM_TEXT = st.one_of(st.sampled_from(WEIRD_TEXT), st.text(max_size=40))


@FUZZ
@given(
    field=st.sampled_from(["title", "link", "guid", "pubDate", "description", "enclosure", "media:thumbnail"]),
    value=ITEM_TEXT,
    which=st.integers(0, 20),
    content_type=st.sampled_from(["text/xml", "application/rss+xml; charset=utf-8", "text/html", ""]),
)
def test_rss_items_with_odd_values_give_articles_or_a_feed_error(field: str, value: str, which: int, content_type: str):
    from xml.sax.saxutils import escape, quoteattr

    good = fixture_bytes("rss", RSS.fixture).decode("utf-8")
    items = good.split("<item>")
    i = 1 + which % (len(items) - 1)
    if field in ("enclosure", "media:thumbnail"):
        element = f'<{field} url={quoteattr(value)} type="image/jpeg" width={quoteattr(value)}/>'
    else:
        element = f"<{field}>{escape(value)}</{field}>"
    items[i] = element + items[i]  # a second element of the same name comes first
    body = "<item>".join(items).encode("utf-8", "surrogatepass")
    case = Case(RSS.adapter, RSS.fuzzed, RSS.options, RSS.answers, content_type=content_type)
    survives(case, body)


# ------------------------------------------------------------------------------------------- replay (files)

REPLAY_CSV = {
    "id": "id",
    "published_at": "created_at",
    "network": "network",
    "lang": "lang",
    "country": "country",
    "author_handle": "author_handle",
    "author_name": "author_name",
    "author_followers": "author_followers",
    "author_verified": "verified",
    "text": "text",
    "likes": "likes",
    "reposts": "reposts",
    "replies": "replies",
    "sentiment": "sentiment",
    "media_url": "media_url",
    "url": "url",
}
REPLAY_JSONL = {
    "id": "id",
    "published_at": "created",
    "network": "source",
    "lang": "lang",
    "country": "geo.country",
    "author_handle": "user.screen_name",
    "author_name": "user.name",
    "author_followers": "user.followers",
    "author_verified": "user.verified",
    "text": "content.text",
    "likes": "stats.likes",
    "reposts": "stats.shares",
    "replies": "stats.comments",
    "sentiment": "tone",
    "media": "media",
    "media_url": "url",
    "media_kind": "type",
    "url": "link",
}
REPLAY_NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def replay_survives(data: bytes, fmt: str, speed: Any) -> None:
    """What the replay adapter's poll does with a file's bytes (`load_index` reads them, then `select`)."""
    from feeds import replay

    mapping = REPLAY_CSV if fmt == "csv" else REPLAY_JSONL
    options = replay.Options.model_validate({"path": f"day.{fmt}", "mapping": mapping, "speed": speed})
    try:
        index = replay.parse_replay(data, options)
    except PathError:  # load_index: "mapping does not match", a FeedError
        return
    if not index.posts:  # load_index: "has no rows", a FeedError
        return
    for post in index.posts:
        Post.model_validate(post.model_dump())
    cursor: dict[str, str] = {}
    for _ in range(3):  # the first poll, then two more from its cursor
        result = replay.select(index, options, cursor, REPLAY_NOW)
        check_result(result, "replay", REPLAY_NOW)
        cursor.update(result.cursor)


@FUZZ
@given(spec=BYTE_SPECS, fmt=st.sampled_from(["csv", "jsonl"]), speed=st.sampled_from([1.0, 60.0, "max"]))
@example(spec=("raw", b"<!DOCTYPE html><html><body>Sign in</body></html>"), fmt="csv", speed="max")
def test_replay_files_of_any_bytes_give_rows_or_a_documented_error(spec: tuple, fmt: str, speed: Any):
    replay_survives(from_spec(fixture_bytes("replay", f"day.{fmt}"), spec), fmt, speed)


@FUZZ
@given(
    row=st.integers(0, 17),
    column=st.sampled_from(sorted(REPLAY_CSV.values())),
    value=ITEM_TEXT,
    speed=st.sampled_from([1.0, 3600.0, "max"]),
)
# found: a time whose UTC is before year 1 (OverflowError reading it), and a row dated 9999 that the
# whole file is shifted by at speed max (OverflowError placing the others)
@example(row=0, column="created_at", value="0001-01-01T00:00:00+01:00", speed=1.0)
@example(row=0, column="created_at", value="9999-12-31T23:59:59Z", speed="max")
def test_replay_csv_rows_with_odd_values_give_rows_or_a_documented_error(row: int, column: str, value: str, speed):
    rows = list(csv.DictReader(io.StringIO(fixture_bytes("replay", "day.csv").decode("utf-8"))))
    rows[row % len(rows)][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    replay_survives(out.getvalue().encode("utf-8", "surrogatepass"), "csv", speed)


@FUZZ
@given(
    mutations=st.lists(MUTATIONS, min_size=1, max_size=3),
    line=st.integers(0, 18),
    speed=st.sampled_from([1.0, 3600.0, "max"]),
)
# found: a lone surrogate (valid JSON) in a row's id: its key could not be encoded (the store's hash of it)
@example(mutations=[("spoil", 1, "\ud800")], line=0, speed="max")
def test_replay_json_lines_mutated_give_rows_or_a_documented_error(mutations: list[tuple], line: int, speed):
    lines = fixture_bytes("replay", "day.jsonl").decode("utf-8").splitlines()
    objects = [n for n, text in enumerate(lines) if text.endswith("}") and '", broken' not in text]
    i = objects[line % len(objects)]  # a line that is a JSON object (the fixture holds a broken one too)
    lines[i] = json.dumps(mutate(json.loads(lines[i]), mutations))
    replay_survives("\n".join(lines).encode(), "jsonl", speed)
