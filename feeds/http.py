"""The HTTP fetch layer every network adapter goes through: one shared client, one attempt per call.

Why one place: timeouts, size caps, conditional GET, request budgets and redaction are the same for
every vendor, and a wall must get them right whichever zone asked; adapters only say *what* to fetch
and health only says *what happened*. The decisions around an attempt live beside it: what an answer
means and when to try again in feeds/retry.py, how many calls a credential may make in
feeds/budget.py, what must never be printed in feeds/redaction.py.

- `Fetcher.get` makes ONE attempt and either returns a `Response` (bytes, never decoded here) or raises
  a `FeedError` whose `kind` says what went wrong. It does not sleep and retry by itself: the poller asks
  `RetryPolicy.next_delay(error, attempt)` when to try again, so a zone keeps showing its last good data
  instead of a request hanging for minutes.
- `Fetcher.post` / `Fetcher.request` do the same for search APIs that take a JSON body (Radarly): same
  budget, timeouts, size cap, classification and redaction; conditional GET stays a GET-only affair.
- Secrets (tokens in query strings, Authorization headers, secret-named keys of a JSON body) are
  redacted from every message, log line and repr this module produces.
- Secrets never travel: redirects are followed here, hop by hop, and a hop to another origin (scheme,
  host, port; http -> https on the same host excepted) carries none of the request's own headers but a
  few harmless ones (`CROSS_ORIGIN_HEADERS`): no Authorization, no X-Api-Key, no Basic pair, nothing an
  adapter built from a credential, whatever its name. A redirect that would re-send a request body to
  another origin (307 / 308 after a POST) is refused with a `bad_response` error saying so.
- Time is bounded three ways: connecting, each read (`read_timeout`), and the whole response
  (`total_timeout`, redirects and every byte of the body), so a server that trickles a byte now and then
  fails the attempt with a `timeout` error saying the whole response took too long.
- `decode_json` says what a body is when it is not JSON: an HTML page (a captive portal, a proxy's error
  page: `describe_html`, which the RSS and replay adapters use too) by its title, invalid UTF-8 by its
  offset, a syntax error by its place; a lone surrogate escape ("\\ud800") becomes U+FFFD.

Never imports `wall`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .budget import RequestBudget
from .errors import FeedError
from .redaction import redact, secrets_in_body, secrets_in_request
from .retry import ERROR_BODY_LIMIT, RetryPolicy
from .sanitize import has_surrogate_escape, without_lone_surrogates

__all__ = [
    "CROSS_ORIGIN_HEADERS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TOTAL_TIMEOUT_S",
    "Fetcher",
    "Response",
    "decode_json",
    "describe_html",
    "same_origin",
]

log = logging.getLogger("feeds.http")

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 8 * MIB
# The whole exchange (redirects, headers, every byte of the body) must end within this: a server that
# trickles a byte now and then never trips the read timeout, and would otherwise hold a poll for ever.
DEFAULT_TOTAL_TIMEOUT_S = 60.0

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})

# The only headers a redirect to another origin keeps: none can carry a credential (the fetcher also
# drops any of them whose value holds a known secret). Everything else an adapter sent is dropped.
CROSS_ORIGIN_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "accept-language", "user-agent", "connection", "cache-control"}
)


def _default_port(url: httpx.URL) -> int | None:
    return url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme)


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Whether two URLs share an origin (RFC 6454: scheme, host, port)."""
    return (a.scheme, a.host, _default_port(a)) == (b.scheme, b.host, _default_port(b))


def _https_upgrade(a: httpx.URL, b: httpx.URL) -> bool:
    """http://host -> https://host on the default ports: the same server, a safer channel."""
    return (
        a.host == b.host
        and (a.scheme, _default_port(a)) == ("http", 80)
        and (b.scheme, _default_port(b)) == ("https", 443)
    )


def _encode_json_body(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


@dataclass(frozen=True, repr=False)
class Response:
    """One usable answer. `body` is raw bytes (empty when `not_modified`); decode with `decode_json`."""

    status: int
    headers: httpx.Headers
    body: bytes
    not_modified: bool
    url_for_logs: str
    # the request's secrets, so `decode_json` can redact a snippet of a body that echoes them
    secrets: tuple[str, ...] = field(default=(), compare=False)

    def __repr__(self) -> str:
        return (
            f"Response(status={self.status}, bytes={len(self.body)}, "
            f"not_modified={self.not_modified}, url={self.url_for_logs!r})"
        )


class Fetcher:
    """Makes single GET (or POST) attempts over one shared `httpx.AsyncClient`.

    Owns what every request needs and no adapter should redo: timeouts (connect, read, and a total
    deadline against servers that trickle bytes), a response size cap enforced while streaming,
    conditional GET (ETag / Last-Modified remembered per key, exportable for persistence), the request
    budget of the request's credential, status classification through `policy`, and redaction."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        policy: RetryPolicy | None = None,
        budgets: Mapping[str, RequestBudget] | None = None,
        secrets: Iterable[str] = (),
        user_agent: str = "wall-feeds/0.1 (social-room video wall)",
        max_validators: int = 1024,
    ) -> None:
        if not total_timeout > 0:
            raise ValueError(f"total_timeout must be a positive number of seconds, got {total_timeout!r}")
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.total_timeout = total_timeout  # seconds for a whole response, however its bytes trickle in
        self.max_bytes = max_bytes
        self.policy = policy or RetryPolicy()
        self._budgets: dict[str, RequestBudget] = dict(budgets or {})
        self._secrets: set[str] = {s for s in secrets if s}
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=True, headers={"User-Agent": user_agent}
        )
        # key -> {"etag": ..., "last_modified": ...}; bounded because since_id-style URLs change each poll
        self._validators: collections.OrderedDict[str, dict[str, str]] = collections.OrderedDict()
        self.max_validators = max_validators

    def __repr__(self) -> str:
        return (
            f"Fetcher(max_bytes={self.max_bytes}, validators={len(self._validators)}, budgets={sorted(self._budgets)})"
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if this fetcher made it (a shared one belongs to whoever passed it)."""
        if self._owns_client:
            await self.client.aclose()

    # -- configuration

    def register_budget(self, credential_key: str, budget: RequestBudget) -> None:
        self._budgets[credential_key] = budget

    def budget(self, credential_key: str | None) -> RequestBudget | None:
        return self._budgets.get(credential_key) if credential_key else None

    def add_secret(self, value: str) -> None:
        """A value to scrub from every message even where it does not look like one."""
        if value:
            self._secrets.add(value)

    # -- conditional GET validators

    def validators(self) -> dict[str, dict[str, str]]:
        """The remembered ETag / Last-Modified per conditional key, as plain JSON-able data."""
        return {key: dict(value) for key, value in self._validators.items()}

    def load_validators(self, data: Mapping[str, Mapping[str, str]]) -> None:
        """Restore what `validators()` exported (e.g. after a restart). Unknown fields are dropped."""
        if not isinstance(data, Mapping):
            raise ValueError(
                f"validators must be a mapping of key -> {{etag, last_modified}}, got {type(data).__name__}"
            )
        for key, value in data.items():
            if not isinstance(key, str) or not isinstance(value, Mapping):
                raise ValueError(f"validator entry {key!r} must map a string key to {{etag, last_modified}}")
            entry = {f: str(value[f]) for f in ("etag", "last_modified") if value.get(f)}
            if entry:
                self._remember(redact(key), entry)

    def _remember(self, key: str, entry: dict[str, str]) -> None:
        self._validators[key] = entry
        self._validators.move_to_end(key)
        while len(self._validators) > self.max_validators:
            self._validators.popitem(last=False)

    # -- fetching

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
        conditional_key: str | None = None,
        conditional: bool = True,
    ) -> Response:
        """One GET attempt. Returns a Response (2xx, or 304 as `not_modified=True`) or raises FeedError.

        `credential_key` names the budget to draw from (and to pause when the vendor throttles);
        `conditional_key` names where this request's validators live (default: the URL without
        secrets); `conditional=False` neither sends nor remembers them (cursor-paged calls)."""
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            credential_key=credential_key,
            conditional_key=conditional_key,
            conditional=conditional,
        )

    async def post(
        self,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
    ) -> Response:
        """One POST attempt with a JSON body (search APIs that take their query as a document, e.g.
        Radarly's inbox search). Same budget, timeouts, size cap, classification and redaction as `get`;
        never conditional."""
        return await self.request("POST", url, json=json, params=params, headers=headers, credential_key=credential_key)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        credential_key: str | None = None,
        conditional_key: str | None = None,
        conditional: bool | None = None,
    ) -> Response:
        """One attempt of any method. `json`, when given, is sent as the UTF-8 JSON body (with
        `Content-Type: application/json` unless `headers` set one). Conditional GET applies to GET only
        (`conditional` defaults to True for GET and must not be True for anything else): a POST search
        answers with new content for the same URL, so validators would be meaningless there."""
        method = str(method).upper()
        if method not in _METHODS:
            raise ValueError(f"unsupported HTTP method {method!r}; use one of {sorted(_METHODS)}")
        if conditional is None:
            conditional = method == "GET"
        elif conditional and method != "GET":
            raise ValueError(f"conditional requests are for GET only, not {method}")
        secrets = (*self._secrets, *secrets_in_request(params, headers), *secrets_in_body(json))
        body: bytes | None = None
        if json is not None:
            try:
                body = _encode_json_body(json)
            except (TypeError, ValueError) as exc:
                raise FeedError(
                    "client",
                    f"{method} {redact(url, secrets)}: the JSON body cannot be encoded ({exc})",
                    secrets=secrets,
                ) from None
        try:
            request_url = httpx.URL(url)
            if params:  # merged into any query the URL already has, as httpx's client does
                request_url = request_url.copy_merge_params(params)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FeedError("client", f"invalid URL {redact(url, secrets)}: {exc}", secrets=secrets) from None
        shown = redact(request_url, secrets)
        key = redact(conditional_key, secrets) if conditional_key else shown

        send_headers = dict(headers or {})
        lowered = {k.lower() for k in send_headers}
        if body is not None and "content-type" not in lowered:
            send_headers["Content-Type"] = "application/json"
        cached = self._validators.get(key) if conditional else None
        if cached:
            if "etag" in cached and "if-none-match" not in lowered:
                send_headers["If-None-Match"] = cached["etag"]
            if "last_modified" in cached and "if-modified-since" not in lowered:
                send_headers["If-Modified-Since"] = cached["last_modified"]

        budget = self.budget(credential_key)
        if budget is not None:
            waited = await budget.acquire()
            if waited > 0.05:
                log.debug("waited %.2f s for the %s budget before %s %s", waited, credential_key, method, shown)

        started = time.monotonic()
        try:
            response = await self._fetch(request_url, send_headers, shown, secrets, method=method, content=body)
        except FeedError as exc:
            log.info("%s %s failed after %.2f s: %s", method, shown, time.monotonic() - started, exc)
            if exc.kind == "throttled" and budget is not None and exc.retry_after is not None:
                budget.pause(exc.retry_after)
            raise

        if conditional and response.status == 200:
            entry = {}
            if etag := response.headers.get("etag"):
                entry["etag"] = etag
            if last_modified := response.headers.get("last-modified"):
                entry["last_modified"] = last_modified
            if entry:
                self._remember(key, entry)
            else:
                self._validators.pop(key, None)  # the server stopped sending validators
        elif conditional and response.not_modified and key in self._validators:
            self._validators.move_to_end(key)
        log.debug(
            "%s %s -> %d%s (%d bytes, %.2f s)",
            method,
            shown,
            response.status,
            " not modified" if response.not_modified else "",
            len(response.body),
            time.monotonic() - started,
        )
        return response

    async def _fetch(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        shown: str,
        secrets: tuple[str, ...],
        *,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Response:
        received = 0
        expected: int | None = None
        in_body = False
        try:
            async with asyncio.timeout(self.total_timeout):
                async with self._open(method, url, headers, content, shown, secrets) as r:
                    final_url = redact(r.url, secrets)
                    if r.status_code == 304:
                        return Response(304, r.headers, b"", True, final_url, secrets)
                    ok = 200 <= r.status_code < 300
                    limit = self.max_bytes if ok else ERROR_BODY_LIMIT
                    expected = _content_length(r.headers)
                    if ok and expected is not None and expected > limit:
                        raise FeedError(
                            "too_large",
                            f"response from {final_url} declares {expected} bytes, over the "
                            f"{limit}-byte cap; narrow the query or raise max_bytes",
                            status=r.status_code,
                            secrets=secrets,
                        )
                    chunks: list[bytes] = []
                    in_body = True
                    async for chunk in r.aiter_bytes():
                        received += len(chunk)
                        if received > limit:
                            if not ok:  # an error page only needs its start to be classified
                                chunks.append(chunk[: limit - (received - len(chunk))])
                                break
                            raise FeedError(
                                "too_large",
                                f"response from {final_url} passed the {limit}-byte cap while streaming; "
                                f"stopped reading; narrow the query or raise max_bytes",
                                status=r.status_code,
                                secrets=secrets,
                            )
                        chunks.append(chunk)
                    body = b"".join(chunks)
                    error = self.policy.classify(r.status_code, r.headers, body, url=final_url, secrets=secrets)
                    if error is not None:
                        raise error
                    return Response(r.status_code, r.headers, body, False, final_url, secrets)
        except FeedError:
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            if isinstance(exc, TimeoutError):  # asyncio.timeout: the total deadline, however bytes trickled in
                of = f" ({received} bytes of {expected} received)" if expected is not None else ""
                what = (
                    f"the whole response took longer than the {self.total_timeout:g} s total limit{of}; "
                    "the server is sending too slowly"
                    if in_body
                    else f"no complete answer within the {self.total_timeout:g} s total limit"
                )
            else:
                what = _timeout_phase(exc)
            raise FeedError("timeout", f"{method} {shown} timed out ({what})", secrets=secrets) from None
        except httpx.RemoteProtocolError as exc:
            if in_body:
                of = f" of {expected}" if expected is not None else ""
                raise FeedError(
                    "bad_response",
                    f"truncated body from {shown}: the connection closed after {received}{of} bytes",
                    secrets=secrets,
                ) from None
            raise FeedError(
                "network", f"{method} {shown}: the server broke the exchange ({exc})", secrets=secrets
            ) from None
        except httpx.DecodingError as exc:
            raise FeedError(
                "bad_response", f"{method} {shown}: undecodable content encoding ({exc})", secrets=secrets
            ) from None
        except httpx.UnsupportedProtocol as exc:
            raise FeedError("client", f"{method} {shown}: unsupported URL ({exc})", secrets=secrets) from None
        except (httpx.TransportError, OSError) as exc:
            detail = str(exc) or type(exc).__name__
            raise FeedError("network", f"{method} {shown} failed: {detail}", secrets=secrets) from None
        except httpx.InvalidURL as exc:
            raise FeedError("client", f"{method} {shown}: invalid URL ({exc})", secrets=secrets) from None

    @contextlib.asynccontextmanager
    async def _open(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        content: bytes | None,
        shown: str,
        secrets: tuple[str, ...],
    ) -> AsyncIterator[httpx.Response]:
        """The final response, open for streaming, after following redirects one hop at a time (never
        httpx's own following, which keeps every header but Authorization on a hop to another host)."""
        request = self.client.build_request(method, url, headers=headers, content=content, timeout=self.timeout)
        hops = 0
        while True:
            response = await self.client.send(request, stream=True, follow_redirects=False)
            following = response.next_request  # set by httpx when the answer is a redirect with a Location
            if following is None:
                break
            await response.aclose()
            hops += 1
            if hops > self.client.max_redirects:
                raise FeedError("bad_response", f"{method} {shown}: too many redirects", secrets=secrets)
            request = self._hop(request, following, response.status_code, bool(content), shown, secrets)
        try:
            yield response
        finally:
            await response.aclose()

    def _hop(
        self,
        previous: httpx.Request,
        following: httpx.Request,
        status: int,
        has_body: bool,
        shown: str,
        secrets: tuple[str, ...],
    ) -> httpx.Request:
        """The redirect's request (httpx's: method, URL, body), stripped of everything a credential could
        be in when it leaves the origin; refused when it would carry a request body there."""
        if same_origin(previous.url, following.url) or _https_upgrade(previous.url, following.url):
            return following
        where = redact(following.url, secrets)
        if has_body and following.method not in ("GET", "HEAD"):  # a 303 (or 301 / 302 after a POST) drops it
            raise FeedError(
                "bad_response",
                f"{previous.method} {shown}: the server redirected (HTTP {status}) to another origin, {where}, "
                f"which would re-send the request body there; refusing: point the feed at the final URL",
                status=status,
                secrets=secrets,
            )
        known = tuple(s for s in (*self._secrets, *secrets) if s)
        dropped = sorted(
            {
                name.lower()
                for name, value in following.headers.multi_items()
                if name.lower() not in CROSS_ORIGIN_HEADERS or any(s in value for s in known)
            }
        )
        for name in dropped:
            del following.headers[name]
        if dropped:
            log.info("%s: redirected to another origin, %s; not sent there: %s", shown, where, ", ".join(dropped))
        return following


def _content_length(headers: httpx.Headers) -> int | None:
    try:
        value = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for data",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a free connection",
    }.get(type(exc), "timeout")


# ------------------------------------------------------------------------------------------- decoding


def decode_json(response: Response) -> Any:
    """The body parsed as JSON (UTF-8, strict), or FeedError(kind="bad_response") saying what is wrong (an
    HTML page where JSON was expected is named as one, with its title)."""

    def bad(text: str) -> FeedError:
        return FeedError(
            "bad_response", f"{text} ({response.url_for_logs})", status=response.status, secrets=response.secrets
        )

    if response.not_modified:
        raise bad("no body to decode: the server answered 304 Not Modified; keep the last data")
    body = response.body
    if not body.strip():
        raise bad("empty body where JSON was expected")
    content_type = response.headers.get("content-type")
    page = describe_html(body, content_type)
    if page is not None:  # a captive portal, a proxy's error page, a login form: say so, not where JSON broke
        raise bad(
            f"got {page} where JSON was expected (Content-Type: {content_type or 'none'}; malformed JSON from "
            "its first character): a captive portal, a proxy's error page or a wrong URL?"
        )
    try:
        text = body.decode("utf-8-sig", errors="strict")  # a BOM is tolerated, nothing else is
    except UnicodeDecodeError as exc:
        raise bad(f"invalid UTF-8 at byte {exc.start} of {len(body)}: {exc.reason}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise bad(f"truncated JSON: the body ends before the document does ({len(body)} bytes)") from None
        near = redact(text[max(exc.pos - 20, 0) : exc.pos + 20], response.secrets)
        where = f"line {exc.lineno} column {exc.colno}"
        raise bad(f"malformed JSON at {where}: {exc.msg} near {near!r}") from None
    except RecursionError:
        raise bad("JSON nested too deeply to decode") from None
    except ValueError as exc:  # a number of more digits than Python reads (sys.get_int_max_str_digits)
        raise bad(f"unreadable JSON: {str(exc).split(';', 1)[0]}") from None
    # "\ud800" is valid JSON and decodes to a string nothing can encode: U+FFFD instead, as for bad UTF-8
    return without_lone_surrogates(doc) if has_surrogate_escape(text) else doc


_MARKUP_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<")
_HTML_HINT = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_HTML_DROP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
HTML_SNIFF_BYTES = 4096  # how much of a body is looked at to tell an HTML page


def describe_html(body: bytes, content_type: str | None = None) -> str | None:
    """What `body` is when it is an HTML page, "an HTML page ('Its title')": what a captive portal, a
    proxy's error page or a login form sends where an API answers JSON or a feed XML. None otherwise.

    A page is markup from its first character (JSON cannot start with '<') that says it is HTML: labelled
    text/html or XHTML, or holding an HTML doctype or an <html>, <head> or <body> element near its start
    (an RSS or Atom feed holds none). Bytes labelled HTML that are not markup (a JSON API mislabelling
    its answers) are not a page."""
    head = body[:HTML_SNIFF_BYTES]
    if not _MARKUP_START.match(head):
        return None
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime not in ("text/html", "application/xhtml+xml") and not _HTML_HINT.search(head):
        return None
    text = body[: 16 * HTML_SNIFF_BYTES].decode("utf-8", errors="replace")
    found = _HTML_TITLE.search(text)
    if found is not None:
        said = found.group(1)
    else:
        said = _HTML_TAG.sub(" ", _HTML_DROP.sub(" ", text))
    said = " ".join(html.unescape(_HTML_TAG.sub(" ", said)).split())
    if len(said) > 80:
        said = said[:77] + "..."
    return f"an HTML page ({said!r})" if said else "an HTML page"
