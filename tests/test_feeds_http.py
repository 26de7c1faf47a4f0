"""feeds.http against a real HTTP server on 127.0.0.1: real sockets, real httpx, no mocks.

Each test is what a wall operator would notice: a zone keeps its data on 304, a throttled feed waits
as long as the vendor asked, a bad token shows as 'credentials', a token never reaches a log line.
No test asserts an upper bound on elapsed time: a slow machine must never fail them."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import pickle
import random
import threading
import time
from pathlib import Path

import feed_kit
import pytest
from http_fixture_server import FixtureHandler, closed_port

from feeds.budget import RequestBudget
from feeds.errors import FeedError
from feeds.http import DEFAULT_MAX_BYTES, Fetcher, Response, decode_json
from feeds.redaction import redact, redact_headers
from feeds.retry import RetryPolicy

TOKEN = "tw-SECRET-4f9a1c77"  # a Talkwalker-style access_token that must never be printed
BEARER = "bw-SECRET-e51d0b3a"


def fetch(url: str, *, fetcher_kw: dict | None = None, **get_kw) -> Response:
    return feed_kit.fetch_once("get", url, fetcher_kw=fetcher_kw, **get_kw)


def fetch_error(url: str, *, fetcher_kw: dict | None = None, **get_kw) -> FeedError:
    return feed_kit.feed_error(fetch, url, fetcher_kw=fetcher_kw, **get_kw)


def json_body(doc: object) -> bytes:
    return json.dumps(doc).encode()


# ------------------------------------------------------------------------------------------- success


def test_ok_json_is_returned_as_bytes_and_decodes(server):
    url = server.route("/posts", lambda h: h.reply(200, json_body({"posts": [{"id": "1", "text": "héllo"}]})))
    response = fetch(url + "?lang=fr", params={"q": "wall"})
    assert response.status == 200
    assert not response.not_modified
    assert isinstance(response.body, bytes)
    assert decode_json(response) == {"posts": [{"id": "1", "text": "héllo"}]}
    assert server.requests_to("/posts")[0].query == {"lang": ["fr"], "q": ["wall"]}
    assert "wall-feeds" in server.requests_to("/posts")[0].headers["user-agent"]


def test_etag_then_304_reports_not_modified_without_body(server):
    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.reply(304, headers={"ETag": '"v1"'})
        else:
            h.reply(200, json_body({"n": 1}), headers={"ETag": '"v1"'})

    url = server.route("/etag", handler)

    async def main() -> tuple[Response, Response]:
        async with Fetcher() as fetcher:
            return await fetcher.get(url), await fetcher.get(url)

    first, second = asyncio.run(main())
    assert (first.status, first.not_modified, decode_json(first)) == (200, False, {"n": 1})
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    seen = server.requests_to("/etag")
    assert "if-none-match" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == '"v1"'
    with pytest.raises(FeedError, match="304") as info:
        decode_json(second)
    assert info.value.kind == "bad_response"


def test_last_modified_is_sent_back_as_if_modified_since(server):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-Modified-Since") == stamp:
            h.reply(304)
        else:
            h.reply(200, b"<rss/>", headers={"Last-Modified": stamp}, content_type="application/rss+xml")

    url = server.route("/rss", handler)

    async def main() -> list[Response]:
        async with Fetcher() as fetcher:
            return [await fetcher.get(url) for _ in range(3)]

    responses = asyncio.run(main())
    assert [r.not_modified for r in responses] == [False, True, True]
    assert responses[0].body == b"<rss/>"


def test_validators_survive_a_restart_and_hold_no_secret(server):
    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-None-Match") == '"abc"':
            h.reply(304)
        else:
            h.reply(200, b"{}", headers={"ETag": '"abc"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"})

    url = server.route("/search", handler)
    params = {"q": "brand", "access_token": TOKEN}

    async def before_restart() -> dict:
        async with Fetcher() as fetcher:
            await fetcher.get(url, params=params)
            return fetcher.validators()

    saved = json.loads(json.dumps(asyncio.run(before_restart())))  # as a store would persist it
    assert TOKEN not in json.dumps(saved)
    [(key, entry)] = saved.items()
    assert "access_token=***" in key
    assert entry == {"etag": '"abc"', "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"}

    async def after_restart() -> Response:
        async with Fetcher() as fetcher:
            fetcher.load_validators(saved)
            return await fetcher.get(url, params=params)

    assert asyncio.run(after_restart()).not_modified
    with pytest.raises(ValueError, match="mapping"):
        Fetcher().load_validators(["not", "a", "mapping"])  # type: ignore[arg-type]
    # bounded: since_id-style URLs change every poll and must not grow the table forever
    bounded = Fetcher(max_validators=2)
    bounded.load_validators({f"k{i}": {"etag": f'"{i}"'} for i in range(3)})
    assert list(bounded.validators()) == ["k1", "k2"]


def test_conditional_key_is_shared_between_urls_that_name_it(server):
    def handler(h: FixtureHandler) -> None:
        if h.headers.get("If-None-Match") == '"k"':
            h.reply(304)
        else:
            h.reply(200, b"{}", headers={"ETag": '"k"'})

    url = server.route("/k", handler)

    async def main() -> list[bool]:
        async with Fetcher() as fetcher:
            a = await fetcher.get(url, params={"since": "1"}, conditional_key="feed-a")
            b = await fetcher.get(url, params={"since": "2"}, conditional_key="feed-a")
            c = await fetcher.get(url, params={"since": "3"}, conditional=False)
            return [a.not_modified, b.not_modified, c.not_modified]

    assert asyncio.run(main()) == [False, True, False]


# ------------------------------------------------------------------------------------------- failures


def test_read_timeout_is_a_timeout_error_with_backoff(server):
    def slow(h: FixtureHandler) -> None:
        time.sleep(1.0)
        h.reply(200, b"{}")

    url = server.route("/slow", slow)
    error = fetch_error(url, fetcher_kw={"read_timeout": 0.2})
    assert error.kind == "timeout"
    assert error.status is None
    assert "timed out" in str(error)
    policy = RetryPolicy(rng=random.Random(1))
    assert policy.min_delay_s <= policy.next_delay(error, 1) <= policy.backoff_ceiling(1)


def test_connection_refused_is_a_network_error():
    error = fetch_error(f"http://127.0.0.1:{closed_port()}/x", fetcher_kw={"connect_timeout": 2.0})
    assert error.kind == "network"
    assert "failed" in str(error)


def test_500_is_server_error_with_growing_jittered_delays(server):
    url = server.route(
        "/boom", lambda h: h.reply(500, b"<html><body>Internal Server Error</body></html>", content_type="text/html")
    )
    errors = [fetch_error(url) for _ in range(3)]
    assert [(e.kind, e.status) for e in errors] == [("server", 500)] * 3
    assert "HTML" not in str(errors[0]) and "<html>" not in str(errors[0])  # no HTML page dumped in health

    policy = RetryPolicy(rng=random.Random(42))
    again = RetryPolicy(rng=random.Random(42))
    delays = [policy.next_delay(errors[0], attempt) for attempt in range(1, 11)]
    assert delays == [again.next_delay(errors[0], attempt) for attempt in range(1, 11)]  # injectable jitter
    ceilings = [policy.backoff_ceiling(attempt) for attempt in range(1, 11)]
    assert ceilings == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]
    assert all(policy.min_delay_s <= d <= c for d, c in zip(delays, ceilings, strict=False))
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder
    rng = random.Random(3)
    early = sum(RetryPolicy(rng=rng).next_delay(errors[0], 1) for _ in range(300)) / 300
    late = sum(RetryPolicy(rng=rng).next_delay(errors[0], 6) for _ in range(300)) / 300
    assert late > 5 * early  # the spread grows with the attempt
    assert RetryPolicy().next_delay(errors[0], 10**6) <= 300  # no overflow on a feed failing for weeks


def test_503_retry_after_is_honoured_as_a_floor(server):
    url = server.route("/maint", lambda h: h.reply(503, b"", headers={"Retry-After": "240"}))
    error = fetch_error(url)
    assert (error.kind, error.retry_after) == ("server", 240.0)
    assert RetryPolicy(rng=random.Random(0)).next_delay(error, 1) >= 240


def test_429_retry_after_seconds(server):
    url = server.route(
        "/429", lambda h: h.reply(429, json_body({"message": "Rate limit exceeded"}), headers={"Retry-After": "120"})
    )
    error = fetch_error(url)
    assert (error.kind, error.status, error.retry_after) == ("throttled", 429, 120.0)
    assert "Rate limit exceeded" in str(error) and "120" in str(error)
    assert 120 <= RetryPolicy(rng=random.Random(0)).next_delay(error, 1) <= 121


def test_429_retry_after_http_date(server):
    now = 1_750_000_000.0
    date = email.utils.formatdate(now + 90, usegmt=True)
    url = server.route("/429date", lambda h: h.reply(429, b"", headers={"Retry-After": date}))
    error = fetch_error(url, fetcher_kw={"policy": RetryPolicy(clock=lambda: now)})
    assert (error.kind, error.retry_after) == ("throttled", 90.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert RetryPolicy(clock=lambda: now).retry_after({"Retry-After": past}) == 0.0


def test_429_retry_after_is_capped_and_reset_headers_are_read(server):
    url = server.route("/429long", lambda h: h.reply(429, b"", headers={"Retry-After": "86400"}))
    assert fetch_error(url).retry_after == 3600.0

    now = 1_750_000_000.0
    policy = RetryPolicy(clock=lambda: now)
    # X API v2: epoch seconds in x-rate-limit-reset
    x = policy.classify(429, {"x-rate-limit-reset": str(int(now) + 300), "x-rate-limit-remaining": "0"}, b"")
    assert (x.kind, x.retry_after) == ("throttled", 300.0)
    assert policy.classify(429, {"X-RateLimit-Reset": str(int(now * 1000) + 5000)}, b"").retry_after == 5.0
    assert policy.classify(429, {"X-RateLimit-Reset": "45"}, b"").retry_after == 45.0  # delta form
    assert policy.classify(429, {"RateLimit-Reset": "12"}, b"").retry_after == 12.0
    assert policy.classify(429, {"Retry-After": "soon"}, b"").retry_after is None
    # no hint at all: at least a minute, the common vendor window
    no_hint = policy.classify(429, {}, b"")
    assert policy.next_delay(no_hint, 1) >= 60
    # GitHub-style: a 403 that is really "out of calls"
    assert policy.classify(403, {"X-RateLimit-Remaining": "0"}, b"").kind == "throttled"


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_credentials_with_a_slow_retry(server, status):
    url = server.route(f"/auth{status}", lambda h: h.reply(status, json_body({"error": "invalid_token"})))
    error = fetch_error(url, params={"access_token": TOKEN})
    assert (error.kind, error.status) == ("credentials", status)
    assert "environment" in str(error) and "invalid_token" in str(error)
    assert TOKEN not in str(error)
    assert RetryPolicy().next_delay(error, 1) == 900
    assert RetryPolicy().next_delay(error, 50) == 900


def test_talkwalker_401_with_status_code_8_is_throttled_not_credentials(server):
    # Talkwalker's error envelope echoes the request, access_token included
    body = {
        "status_code": "8",
        "status_message": "Too many requests: rate limit exceeded",
        "request": f"GET /api/v1/search/p/demo/results?access_token={TOKEN}&q=wall",
    }
    url = server.route("/api/v1/search/p/demo/results", lambda h: h.reply(401, json_body(body)))
    error = fetch_error(url, params={"access_token": TOKEN, "q": "wall"})
    assert (error.kind, error.status) == ("throttled", 401)
    assert "Talkwalker" in str(error) and "rate limit exceeded" in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert RetryPolicy(rng=random.Random(0)).next_delay(error, 1) >= 60

    other = {"status_code": "4", "status_message": "Invalid access token"}
    url2 = server.route("/tw-bad-token", lambda h: h.reply(401, json_body(other)))
    assert fetch_error(url2).kind == "credentials"


def test_other_4xx_is_client_with_a_slow_retry(server):
    url = server.route("/gone", lambda h: h.reply(404, json_body({"message": "project not found"})))
    error = fetch_error(url)
    assert (error.kind, error.status) == ("client", 404)
    assert "project not found" in str(error)
    assert RetryPolicy().next_delay(error, 1) == 600


def test_malformed_json_is_a_bad_response(server):
    url = server.route("/malformed", lambda h: h.reply(200, b'{"posts": [1, 2,, 3]}'))
    with pytest.raises(FeedError, match="malformed JSON at line 1 column") as info:
        decode_json(fetch(url))
    assert info.value.kind == "bad_response"
    html = server.route("/html", lambda h: h.reply(200, b"<html>maintenance</html>", content_type="text/html"))
    with pytest.raises(FeedError, match="malformed JSON"):
        decode_json(fetch(html))
    empty = server.route("/empty", lambda h: h.reply(200, b""))
    with pytest.raises(FeedError, match="empty body"):
        decode_json(fetch(empty))


def test_json_cut_short_is_reported_as_truncated(server):
    url = server.route("/cut", lambda h: h.reply(200, b'{"posts": [{"id": "1"}, {"id": '))
    with pytest.raises(FeedError, match="truncated JSON") as info:
        decode_json(fetch(url))
    assert info.value.kind == "bad_response"


def test_connection_closed_before_content_length_is_a_truncated_body(server):
    def short(h: FixtureHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b'{"posts": [')
        h.wfile.flush()
        h.close_connection = True

    url = server.route("/short", short)
    error = fetch_error(url)
    assert error.kind == "bad_response"
    assert "truncated body" in str(error) and "11 of 100 bytes" in str(error)


def _streamer(total: int, chunk: int, outcome: dict, done: threading.Event):
    """Tries to send `total` bytes; records how many went out and whether the client hung up."""

    def handler(h: FixtureHandler) -> None:
        declare = outcome["declare"]
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            if declare:
                h.send_header("Content-Length", str(total))
            else:
                h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            block = b"x" * chunk
            while outcome["sent"] < total:
                h.wfile.write(block if declare else b"%x\r\n%s\r\n" % (len(block), block))
                outcome["sent"] += len(block)
            if not declare:
                h.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            outcome["hung_up"] = True
            h.close_connection = True
        finally:
            done.set()

    return handler


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
def test_body_over_the_cap_is_too_large_without_reading_it_all(server, declare):
    total, done = 64 * 1024 * 1024, threading.Event()
    outcome = {"declare": declare, "sent": 0, "hung_up": False}
    url = server.route("/huge", _streamer(total, 64 * 1024, outcome, done))
    error = fetch_error(url, fetcher_kw={"max_bytes": 256 * 1024})
    assert error.kind == "too_large"
    assert ("declares 67108864 bytes" in str(error)) == declare  # refused from the header alone
    assert "262144-byte cap" in str(error)
    assert done.wait(20), "the server should see the client hang up"
    assert outcome["hung_up"]
    assert outcome["sent"] < total // 2  # the fetcher stopped reading long before the end
    # a fault like a server error: retried on the backoff schedule, not after client_s (600 s)
    policy = RetryPolicy(rng=random.Random(0))
    assert policy.min_delay_s <= policy.next_delay(error, 1) <= policy.backoff_ceiling(1) < policy.client_s
    assert DEFAULT_MAX_BYTES == 8 * 1024 * 1024


def test_invalid_utf8_is_a_bad_response(server):
    url = server.route("/latin1", lambda h: h.reply(200, b'{"text": "caf\xe9 cr\xe8me"}'))
    response = fetch(url)
    assert response.body == b'{"text": "caf\xe9 cr\xe8me"}'  # bytes come back untouched
    with pytest.raises(FeedError, match=r"invalid UTF-8 at byte 13 of 22") as info:
        decode_json(response)
    assert info.value.kind == "bad_response"
    bom = server.route("/bom", lambda h: h.reply(200, b'\xef\xbb\xbf{"ok": true}'))
    assert decode_json(fetch(bom)) == {"ok": True}


# ------------------------------------------------------------------------------------------- secrets


def test_tokens_never_reach_messages_reprs_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    talkwalker_echo = {"status_code": "8", "status_message": "slow down", "request": f"GET /x?access_token={TOKEN}"}

    def short(h: FixtureHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "50")
        h.end_headers()
        h.wfile.write(b"{")
        h.close_connection = True

    def slow(h: FixtureHandler) -> None:
        time.sleep(0.8)
        h.reply(200, b"{}")

    routes = {
        "/ok": lambda h: h.reply(200, b'{"a": ', headers={"ETag": '"e"'}),
        "/401": lambda h: h.reply(401, json_body({"message": f"bad token {TOKEN}"})),
        "/tw": lambda h: h.reply(401, json_body(talkwalker_echo)),
        "/500": lambda h: h.reply(500, f"upstream failed for access_token={TOKEN}".encode(), content_type="text/plain"),
        "/404": lambda h: h.reply(404, json_body({"error": {"message": f"no project for key={TOKEN}"}})),
        "/short": short,
        "/slow": slow,
    }
    for path, handler in routes.items():
        server.route(path, handler)
    urls = [server.url(p) for p in routes] + [f"http://127.0.0.1:{closed_port()}/down"]

    texts: list[str] = []

    async def main() -> None:
        async with Fetcher(read_timeout=0.3) as fetcher:
            for url in urls:
                try:
                    response = await fetcher.get(
                        url, params={"access_token": TOKEN, "q": "x"}, headers={"Authorization": f"Bearer {BEARER}"}
                    )
                except FeedError as exc:
                    texts.extend([str(exc), repr(exc)])
                else:
                    texts.extend([repr(response), response.url_for_logs])
                    with pytest.raises(FeedError) as info:
                        decode_json(response)
                    texts.extend([str(info.value), repr(info.value)])
            texts.extend([repr(fetcher), json.dumps(fetcher.validators())])

    asyncio.run(main())
    everything = "\n".join(texts) + "\n" + caplog.text
    assert TOKEN not in everything
    assert BEARER not in everything
    kinds = "\n".join(texts)
    for word in ("credentials", "throttled", "server error", "request refused", "truncated", "timed out", "failed"):
        assert word in kinds
    # the logs did talk about these requests, with the token masked (httpx's own INFO line included)
    assert any(r.name == "httpx" and "access_token=***" in r.getMessage() for r in caplog.records)
    assert "access_token=***" in caplog.text
    assert server.requests_to("/ok")[0].query["access_token"] == [TOKEN]  # the server did get it


def test_redact_covers_explicit_secrets_and_known_names():
    assert redact("https://api.example/x?q=1&access_token=abc123&token=t", []) == (
        "https://api.example/x?q=1&access_token=***&token=***"
    )
    assert redact("?api_key=A&apikey=B&key=C&secret=D&password=E&client_secret=F") == (
        "?api_key=***&apikey=***&key=***&secret=***&password=***&client_secret=***"
    )
    assert redact("monkey=banana&keyword=wall") == "monkey=banana&keyword=wall"  # not secrets
    assert redact("token is s3cr3t/+x and s3cr3t%2F%2Bx", ["s3cr3t/+x"]) == "token is *** and ***"
    assert redact('{"access_token": "abc", "q": "x"}') == '{"access_token": "***", "q": "x"}'
    assert redact("Authorization: Bearer abc.def") == "Authorization: ***"
    assert redact("sent bearer abc.def-1") == "sent bearer ***"
    assert redact("https://user:pw@host/x") == "https://***@host/x"
    assert redact("(b'Authorization', b'Basic dXNlcjpwdw==')") == "(b'Authorization', b'***')"
    once = redact("from https://h/x?access_token=abc: rate limit (Authorization: Bearer abc)")
    assert once == "from https://h/x?access_token=***: rate limit (Authorization: ***)"
    assert redact(once) == once  # idempotent: a second pass eats nothing after a ***
    assert redact_headers({"Authorization": "Bearer x", "Accept": "application/json"}) == {
        "Authorization": "***",
        "Accept": "application/json",
    }
    assert "SEKRET" not in str(FeedError("network", "GET /x?password=SEKRET failed"))
    copied = pickle.loads(pickle.dumps(FeedError("throttled", "slow down", status=429, retry_after=5.0)))
    assert (copied.kind, copied.status, copied.retry_after, str(copied)) == ("throttled", 429, 5.0, "slow down")
    with pytest.raises(ValueError, match="unknown FeedError kind"):
        FeedError("oops", "x")


# ------------------------------------------------------------------------------------------- budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_is_a_sliding_window():
    clock = FakeClock()
    budget = RequestBudget(3, 10.0, clock=clock)
    results = []
    for t in (0.0, 1.0, 2.0, 3.0):
        clock.now = 1000.0 + t
        results.append(budget.try_acquire())
    assert results == [True, True, True, False]
    assert budget.used() == 3 and budget.wait_time() == pytest.approx(7.0)
    clock.now = 1010.0  # the call at t=0 leaves the window, the ones at 1 and 2 do not
    assert [budget.try_acquire(), budget.try_acquire()] == [True, False]
    budget.pause(30)
    clock.now = 1020.0
    assert not budget.try_acquire() and budget.wait_time() == pytest.approx(20.0)
    with pytest.raises(ValueError):
        RequestBudget(0, 1)


def test_budget_lets_three_through_and_delays_the_fourth():
    async def main() -> tuple[list[int], list[float], float]:
        budget = RequestBudget(3, 0.5)
        order: list[int] = []

        async def one(i: int) -> float:
            waited = await budget.acquire()
            order.append(i)
            return waited

        start = time.monotonic()
        waits = await asyncio.gather(*(one(i) for i in range(4)))
        return order, waits, time.monotonic() - start

    order, waits, elapsed = asyncio.run(main())
    assert order == [0, 1, 2, 3]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0
    assert elapsed >= 0.49  # only a lower bound: a slow machine makes it longer, never shorter


def test_fetcher_draws_every_feed_of_a_credential_from_one_budget(server):
    server.route("/bw/mentions", lambda h: h.reply(200, b"[]"))
    server.route("/bw/authors", lambda h: h.reply(200, b"[]"))
    server.route("/x/search", lambda h: h.reply(200, b"[]"))
    server.route("/tw/throttle", lambda h: h.reply(429, b"", headers={"Retry-After": "30"}))

    async def main() -> tuple[float, float, RequestBudget]:
        shared = RequestBudget(3, 0.5)
        async with Fetcher(budgets={"brandwatch:client": shared}) as fetcher:
            start = time.monotonic()
            # two zones on one Brandwatch client: 4 calls, only 3 fit in the window
            await asyncio.gather(
                *(
                    fetcher.get(server.url(p), credential_key="brandwatch:client", conditional=False)
                    for p in ("/bw/mentions", "/bw/authors", "/bw/mentions", "/bw/authors")
                )
            )
            elapsed = time.monotonic() - start
            # another credential (no budget registered) is not held back by Brandwatch's
            await fetcher.get(server.url("/x/search"), credential_key="x:app")

            tw = RequestBudget(100, 60)
            fetcher.register_budget("talkwalker", tw)
            with pytest.raises(FeedError):
                await fetcher.get(server.url("/tw/throttle"), credential_key="talkwalker")
            return elapsed, tw.wait_time(), shared

    elapsed, talkwalker_wait, shared = asyncio.run(main())
    assert elapsed >= 0.49
    assert len(server.requests_to("/bw/mentions")) + len(server.requests_to("/bw/authors")) == 4
    assert len(server.requests_to("/x/search")) == 1
    assert 20 < talkwalker_wait <= 30  # a 429 pauses every feed on that credential


def test_feeds_http_does_not_import_wall():
    source = (Path(__file__).resolve().parent.parent / "feeds" / "http.py").read_text()
    assert "import wall" not in source and "from wall" not in source


def test_mastodon_iso_rate_limit_reset_is_understood():
    # Mastodon's 429 has no Retry-After; X-RateLimit-Reset is an ISO 8601 time
    policy = RetryPolicy(clock=lambda: 1714645400.0)  # 2024-05-02T10:23:20Z
    assert policy._parse_reset("2024-05-02T10:25:00.000000Z") == pytest.approx(100.0)
    assert policy._parse_reset("not a time") is None
