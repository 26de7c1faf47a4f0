"""What the feed tests share: reading an adapter's recorded fixtures, serving them from the local HTTP
server (tests/http_fixture_server.py, whose per-module `server` fixture is in conftest.py), and running
adapter polls or single fetches through a real Fetcher.

Each test file keeps its own small `run_poll` / `poll_error` with the arguments its tests vary (a token, a
cursor, a budget); what those have in common, a Fetcher opened and closed around a PollContext, is here."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from http_fixture_server import FixtureHandler

from feeds.adapter import PollContext, PollResult
from feeds.budget import RequestBudget
from feeds.errors import FeedError
from feeds.http import Fetcher, Response

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def recorded(adapter: str) -> tuple[Callable[[str], Any], Callable[[str], bytes]]:
    """(parsed, raw): readers of the recorded-shape fixtures in tests/fixtures/<adapter>/, a file parsed as
    JSON or its bytes as a server would send them."""
    folder = FIXTURES / adapter

    def parsed(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    def raw(name: str) -> bytes:
        return (folder / name).read_bytes()

    return parsed, raw


def serve(body: bytes | dict, status: int = 200, headers: dict | None = None) -> Callable[[FixtureHandler], None]:
    """A route handler that always answers `status` with `body` (a dict is sent as JSON) and `headers`."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda h: h.reply(status, data, headers)


def run_polls(
    adapter: ModuleType,
    options: Any,
    times: int = 1,
    *,
    feed_id: str = "feed",
    credentials: dict[str, str | None] | None = None,
    cursor: dict | None = None,
    now: datetime | None = None,
    credential_key: str | None = None,
    budget: RequestBudget | None = None,
    fetcher_kw: dict | None = None,
) -> list[PollResult]:
    """`times` polls of `adapter` with one context, through one real Fetcher (conditional GET validators
    and request budgets carry over from one poll to the next, as in the poller). `budget`, when given, is
    the request budget of `credential_key`, as the poller registers one per credential."""

    async def main() -> list[PollResult]:
        async with Fetcher(**(fetcher_kw or {})) as fetcher:
            if budget is not None and credential_key is not None:
                fetcher.register_budget(credential_key, budget)
            ctx = PollContext(
                feed_id,
                fetcher,
                options,
                dict(credentials or {}),
                dict(cursor or {}),
                now or datetime.now(UTC),
                credential_key,
            )
            return [await adapter.poll(ctx) for _ in range(times)]

    return asyncio.run(main())


def run_poll(adapter: ModuleType, options: Any, **kw: Any) -> PollResult:
    """One poll of `adapter` through a real Fetcher (see `run_polls` for the keywords)."""
    return run_polls(adapter, options, 1, **kw)[0]


def fetch_once(method: str, url: str, *, fetcher_kw: dict | None = None, **kw: Any) -> Response:
    """One `Fetcher.get` or `Fetcher.post` (by `method`) through a fresh Fetcher."""

    async def main() -> Response:
        async with Fetcher(**(fetcher_kw or {})) as fetcher:
            return await getattr(fetcher, method)(url, **kw)

    return asyncio.run(main())


def feed_error(call: Callable[..., Any], *args: Any, **kw: Any) -> FeedError:
    """The FeedError that `call(*args, **kw)` raises; the test fails when it raises none."""
    with pytest.raises(FeedError) as info:
        call(*args, **kw)
    return info.value
