"""Keeping secrets out of everything a feed writes: error messages, log lines, reprs, health.

Why one place: a token can surface in a URL's query string (Talkwalker's `access_token`), in an
Authorization header, in a vendor's error body that echoes the request, or in httpx's own log lines,
and every one of those paths must scrub it the same way. `redact` knows the names secrets go by and
removes the explicit values a caller registered; the filter installed below runs it over every record
of the loggers that print URLs or headers, once, when this module is first imported.

Never imports `wall`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

__all__ = [
    "REDACTED",
    "SECRET_HEADER_NAMES",
    "SECRET_PARAM_NAMES",
    "redact",
    "redact_headers",
    "secrets_in_body",
    "secrets_in_request",
]

SECRET_PARAM_NAMES = frozenset(
    {
        "access_token",
        "token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "password",
        "client_secret",
        "refresh_token",
        "auth_token",
    }
)
SECRET_HEADER_NAMES = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"}
)
REDACTED = "***"

_names = "|".join(sorted(map(re.escape, SECRET_PARAM_NAMES), key=len, reverse=True))
_header_names = "|".join(sorted(map(re.escape, SECRET_HEADER_NAMES), key=len, reverse=True))
# name=value in a query string or form body; the look-behind keeps `monkey=` from matching `key=`;
# `(?!\*\*\*)` keeps a second pass from eating what follows an already-redacted value.
# Punctuation that ends a sentence (`...?token=abc: rate limit`) is left outside the redacted value.
_QUERY_SECRET = re.compile(
    rf"(?i)(?<![A-Za-z0-9_.\-])({_names})=(?!\*\*\*)([^&#\s\"'<>\\]*?)(?=[:;,.)\]]*(?:[&#\s\"'<>\\]|$))"
)
# "name": "value" in JSON (Talkwalker echoes the request, token included, in its error bodies).
_JSON_SECRET = re.compile(rf'(?i)("(?:{_names})"\s*:\s*")((?:[^"\\]|\\.)*)(")')
# Header: value, as text or as httpcore's debug tuples (b'Authorization', b'Bearer ...').
_HEADER_SECRET = re.compile(
    rf"(?i)(?<![A-Za-z0-9\-])((?:{_header_names})\s*[:=]\s*)([^\r\n\"',}}]+?)(?=[;.)\]]*(?:[\r\n\"',}}]|$))"
)
_HEADER_TUPLE_SECRET = re.compile(rf"(?i)(b?['\"](?:{_header_names})['\"]\s*,\s*b?['\"])([^'\"]*)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_USERINFO = re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^/\s@]+@")


def redact(url_or_text: object, secrets: Iterable[str] = ()) -> str:
    """`url_or_text` as a string with every secret replaced by ***.

    Removes the explicit `secrets` (also in their percent-encoded forms), then whatever looks like one:
    values of query/JSON parameters named in SECRET_PARAM_NAMES, Authorization-like header values,
    bearer tokens and user:password@ in URLs. Safe to call twice."""
    text = str(url_or_text)
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms.update({secret, quote(secret, safe=""), quote_plus(secret)})
    for form in sorted(forms, key=len, reverse=True):  # longest first: one secret may contain another
        text = text.replace(form, REDACTED)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _HEADER_TUPLE_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _HEADER_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def redact_headers(headers: Mapping[str, str] | httpx.Headers | None) -> dict[str, str]:
    """A copy of `headers` safe to log: Authorization, cookies and API-key headers become ***."""
    if not headers:
        return {}
    return {k: (REDACTED if k.lower() in SECRET_HEADER_NAMES else redact(v)) for k, v in headers.items()}


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message through `redact` (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACTING_FILTER = _RedactingFilter()
# Filters do not inherit down the logger tree, so each logger that can print a URL or a header gets one.
for _name in (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "feeds.http",
):
    _logger = logging.getLogger(_name)
    if _REDACTING_FILTER not in _logger.filters:
        _logger.addFilter(_REDACTING_FILTER)


def secrets_in_request(params: Mapping[str, Any] | None, headers: Mapping[str, str] | None) -> tuple[str, ...]:
    """Values of a request's secret-named query parameters and headers, so they are scrubbed from whatever
    its failure says even where they no longer look like a secret (an echoed value, a vendor message)."""
    found: list[str] = []
    for name, value in (params or {}).items():
        if name.lower() in SECRET_PARAM_NAMES and value is not None:
            values = value if isinstance(value, (list, tuple)) else [value]
            found.extend(str(v) for v in values)
    for name, value in (headers or {}).items():
        if name.lower() in SECRET_HEADER_NAMES and value:
            found.append(str(value))
            # "Bearer abc": the token alone may show up elsewhere (an echoed request, a vendor message)
            found.extend(part for part in str(value).split()[1:] if len(part) >= 4)
    return tuple(found)


def secrets_in_body(doc: Any) -> tuple[str, ...]:
    """Values of secret-named keys in a JSON request body (top level and one level down), so a vendor
    that echoes the request in its error body cannot leak them."""
    found: list[str] = []
    stack = [(doc, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Mapping) or depth > 1:
            continue
        for name, value in item.items():
            if isinstance(name, str) and name.lower() in SECRET_PARAM_NAMES and isinstance(value, (str, int)):
                found.append(str(value))
            elif isinstance(value, Mapping):
                stack.append((value, depth + 1))
    return tuple(found)
