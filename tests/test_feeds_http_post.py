"""Fetcher.post / Fetcher.request: JSON-body searches (Radarly) go through exactly the same budget,
classification, size cap and redaction as GET, against the real local HTTP server, and never use
conditional-GET validators."""

from __future__ import annotations

import asyncio
import json
import logging

import feed_kit
import pytest

from feeds.budget import RequestBudget
from feeds.errors import FeedError
from feeds.http import Fetcher, Response

TOKEN = "tok-POST-SECRET-7f3e"
BEARER = "bearer-POST-SECRET-91ac"


def post(url: str, *, fetcher_kw: dict | None = None, **kw) -> Response:
    return feed_kit.fetch_once("post", url, fetcher_kw=fetcher_kw, **kw)


def post_error(url: str, **kw) -> FeedError:
    return feed_kit.feed_error(post, url, **kw)


def test_json_body_is_sent_and_201_is_a_success(server):
    url = server.route("/search", lambda h: h.reply(201, b'{"hits": [], "total": 0}'))
    response = post(
        url,
        json={"query": "café", "start": 0, "limit": 25},
        params={"v": "1"},
        headers={"Authorization": f"Bearer {BEARER}"},
    )
    assert response.status == 201 and json.loads(response.body) == {"hits": [], "total": 0}
    (seen,) = server.requests_to("/search")
    assert seen.method == "POST"
    assert seen.json() == {"query": "café", "start": 0, "limit": 25}
    assert seen.headers["content-type"] == "application/json"
    assert seen.query == {"v": ["1"]}
    assert seen.headers["authorization"] == f"Bearer {BEARER}"


def test_explicit_content_type_is_kept(server):
    url = server.route("/ct", lambda h: h.reply(200, b"{}"))
    post(url, json={"a": 1}, headers={"Content-Type": "application/json; charset=utf-8"})
    assert server.requests_to("/ct")[0].headers["content-type"] == "application/json; charset=utf-8"


def test_post_never_sends_or_remembers_validators(server):
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    url = server.route("/etag", lambda h: h.reply(200, b"{}", headers=validators))

    async def main() -> Fetcher:
        async with Fetcher() as fetcher:
            await fetcher.post(url, json={"q": 1})
            await fetcher.post(url, json={"q": 1})
            return fetcher

    fetcher = asyncio.run(main())
    assert fetcher.validators() == {}
    for seen in server.requests_to("/etag"):
        assert "if-none-match" not in seen.headers and "if-modified-since" not in seen.headers


def test_conditional_post_and_unknown_methods_are_refused():
    async def main(**kw) -> None:
        async with Fetcher() as fetcher:
            await fetcher.request(**kw)

    with pytest.raises(ValueError):
        asyncio.run(main(method="POST", url="http://127.0.0.1:9/x", conditional=True))
    with pytest.raises(ValueError):
        asyncio.run(main(method="BREW", url="http://127.0.0.1:9/x"))


def test_unencodable_body_is_a_client_error_without_a_request(server):
    url = server.route("/nan", lambda h: h.reply(200, b"{}"))
    err = post_error(url, json={"x": float("nan")})
    assert err.kind == "client" and "JSON body" in str(err)
    assert server.requests_to("/nan") == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (401, b'{"code": 401, "message": "Invalid token"}', {}, "credentials"),
        (403, b'{"code": 403, "message": "Forbidden project"}', {}, "credentials"),
        (429, b'{"code": 429, "message": "Rate limit reached"}', {"Retry-After": "30"}, "throttled"),
        (401, b'{"status_code": "8", "status_message": "too many calls"}', {}, "throttled"),
        (500, b'{"code": 500, "message": "Internal error"}', {}, "server"),
        (404, b'{"code": 404, "message": "no such project"}', {}, "client"),
    ],
)
def test_errors_are_classified_as_for_get(server, status, body, headers, kind):
    url = server.route("/err", lambda h: h.reply(status, body, headers))
    err = post_error(url, json={})
    assert err.kind == kind and err.status == status
    assert str(err).startswith(("credentials", "throttled", "server", "request refused"))
    if status == 429:
        assert err.retry_after == 30


def test_throttling_pauses_the_shared_budget(server):
    now = [1000.0]
    budget = RequestBudget(5, 60.0, clock=lambda: now[0])
    url = server.route("/429", lambda h: h.reply(429, b"{}", {"Retry-After": "40"}))
    ok = server.route("/ok", lambda h: h.reply(200, b"{}"))

    async def main() -> None:
        async with Fetcher(budgets={"cred": budget}) as fetcher:
            await fetcher.get(ok, credential_key="cred")
            await fetcher.post(ok, json={}, credential_key="cred")
            with pytest.raises(FeedError):
                await fetcher.post(url, json={}, credential_key="cred")

    asyncio.run(main())
    assert budget.used() == 3  # GET and POST draw from the same allowance
    assert budget.wait_time() == pytest.approx(40.0)


def test_body_over_the_cap_is_too_large(server):
    url = server.route("/big", lambda h: h.reply(200, b'{"hits": "' + b"x" * 5000 + b'"}'))
    err = post_error(url, json={}, fetcher_kw={"max_bytes": 1000})
    assert err.kind == "too_large"


def test_secrets_in_params_headers_and_body_never_reach_messages_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    echo = {"message": f"bad credentials access_token={TOKEN}", "request": {"access_token": TOKEN}}
    server.route("/leak", lambda h: h.reply(401, json.dumps(echo).encode()))
    server.route("/bad", lambda h: h.reply(201, f'{{"token": "{TOKEN}", oops}}'.encode()))
    texts: list[str] = []

    async def main() -> None:
        from feeds.http import decode_json

        async with Fetcher() as fetcher:
            for path in ("/leak", "/bad"):
                try:
                    response = await fetcher.post(
                        server.url(path),
                        params={"access_token": TOKEN},
                        json={"query": "x", "auth": {"token": TOKEN}},
                        headers={"Authorization": f"Bearer {BEARER}"},
                    )
                    texts.extend([repr(response), response.url_for_logs])
                    decode_json(response)
                except FeedError as exc:
                    texts.extend([str(exc), repr(exc)])

    asyncio.run(main())
    everything = "\n".join(texts) + "\n" + caplog.text
    assert TOKEN not in everything and BEARER not in everything
    assert "credentials" in everything and "malformed JSON" in everything
    assert any("POST" in r.getMessage() and "access_token=***" in r.getMessage() for r in caplog.records)
    assert server.requests_to("/leak")[0].query["access_token"] == [TOKEN]  # the server did get it


def test_get_is_unchanged_and_still_conditional(server):
    url = server.route(
        "/g",
        lambda h: (
            h.reply(304, b"") if h.headers.get("If-None-Match") == '"e"' else h.reply(200, b"{}", {"ETag": '"e"'})
        ),
    )

    async def main() -> tuple[Response, Response]:
        async with Fetcher() as fetcher:
            return await fetcher.get(url), await fetcher.get(url)

    first, second = asyncio.run(main())
    assert first.status == 200 and second.not_modified
    assert [s.method for s in server.requests_to("/g")] == ["GET", "GET"]
