"""The polling runtime: every feed polled in the background, on an asyncio loop of its own thread.

One `Fetcher` (one httpx.AsyncClient) serves every feed, with one request budget per credential
shared by every feed and zone using it. Each feed is a task: poll, hand the result to the sink
(the wall's store), sleep `poll_s`; on a `FeedError` tell the sink (which keeps the last good data
and shows the zone as failing or stale) and sleep what the retry policy says. A result that says
`more` (a backlog bigger than one poll) is followed by the next poll at once, after only a turn of the
event loop so the other feeds keep polling. A feed's failure, even an unexpected exception in an
adapter, or in the sink keeping what it gave, never stops the other feeds, the poller, nor that feed's
own polling (its cursor moves only once the sink has kept the data).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from .adapter import PollContext, PollResult, Skipped, missing_credentials
from .budget import RequestBudget
from .errors import FeedError
from .http import Fetcher
from .redaction import redact
from .retry import RetryPolicy

log = logging.getLogger("wall.feeds")

# The cursor key under which a feed's HTTP validators (ETag / Last-Modified of the URLs it polls)
# are kept, so conditional GET still works after a restart. Never shown to the adapter.
VALIDATORS_KEY = "_http_validators"
MAX_VALIDATORS_PER_FEED = 64


class Sink(Protocol):
    """Where poll results go (wall.store.Store implements it)."""

    def put(
        self,
        feed_id: str,
        posts: list,
        metrics: dict,
        at: datetime,
        *,
        replace: bool = False,
        cursors: dict[str, str | None] | None = None,
        skipped: Mapping[str, Skipped] | None = None,
    ) -> None: ...

    def fail(self, feed_id: str, error: str, at: datetime, *, credentials: bool = False) -> None: ...

    def cursors(self, feed_id: str) -> dict[str, str]: ...


@dataclass
class FeedSpec:
    feed_id: str
    adapter: str
    poll_s: float
    options: dict[str, Any]
    credentials: dict[str, str | None]  # resolved secret values (None: not set)


def adapter_module(name: str) -> Any:
    return importlib.import_module(f"feeds.{name}")


def credential_key(spec: FeedSpec) -> str | None:
    """Feeds sharing the same adapter and secret share one request budget (the vendor counts
    calls per client/token, not per feed)."""
    secret = next((v for v in spec.credentials.values() if v), None)
    if secret is None:
        return None
    import hashlib

    return f"{spec.adapter}:{hashlib.sha256(secret.encode()).hexdigest()[:12]}"


async def poll_once(
    spec: FeedSpec, fetcher: Fetcher, cursor: dict[str, str], now: datetime | None = None
) -> PollResult:
    """One poll of one feed (also what `wallctl feed poll --once` runs)."""
    module = adapter_module(spec.adapter)
    missing = [name for name in getattr(module, "CREDENTIALS", ()) if not spec.credentials.get(name)]
    if missing:
        raise missing_credentials(missing)
    options = module.Options.model_validate(spec.options)
    key = credential_key(spec)
    budget = getattr(module, "BUDGET", None)
    if key is not None and budget is not None and fetcher.budget(key) is None:
        fetcher.register_budget(key, RequestBudget(*budget))
    for value in spec.credentials.values():
        if value:
            fetcher.add_secret(value)
    ctx = PollContext(
        spec.feed_id, fetcher, options, dict(spec.credentials), dict(cursor), now or datetime.now(UTC), key
    )
    return await module.poll(ctx)


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed came to, for whoever reports it (`wallctl render --poll`)."""

    feed_id: str
    error: str | None  # None: the poll succeeded and the sink kept its data
    posts: int = 0
    metrics: int = 0


def poll_every_feed_once(
    specs: list[FeedSpec],
    sink: Sink,
    *,
    time_limit_s: float = 30.0,
    fetcher_factory: Callable[[], Fetcher] | None = None,
    now: datetime | None = None,
) -> list[PollOutcome]:
    """One poll of every feed, all at once, each handed to the sink as the Poller would (data and
    cursors kept, or the failure recorded so the zone shows it), then return. Each poll is cut off
    after `time_limit_s` (a server that never answers cannot hold the caller). Runs its own event
    loop: call it from a thread that has none (a command, before rendering)."""
    at = now or datetime.now(UTC)

    async def one(spec: FeedSpec, fetcher: Fetcher) -> PollOutcome:
        secrets = [v for v in spec.credentials.values() if v]
        try:
            cursor = {k: v for k, v in sink.cursors(spec.feed_id).items() if k != VALIDATORS_KEY}
            result = await asyncio.wait_for(poll_once(spec, fetcher, cursor, at), time_limit_s)
            if result.not_modified:
                sink.put(spec.feed_id, [], {}, at)  # a 304 is a success: the data kept is current
            else:
                sink.put(
                    spec.feed_id,
                    result.posts,
                    result.metrics,
                    at,
                    replace=result.replace,
                    cursors=dict(result.cursor) or None,
                    skipped=result.skipped or None,
                )
            return PollOutcome(spec.feed_id, None, len(result.posts), len(result.metrics))
        except TimeoutError:
            error = f"timeout: no complete answer within {time_limit_s:g} s"
            sink.fail(spec.feed_id, error, at)
        except FeedError as exc:
            error = redact(f"{exc.kind}: {exc}", secrets)
            sink.fail(spec.feed_id, error, at, credentials=exc.kind == "credentials")
        except Exception as exc:  # an adapter bug (or data the sink refused): reported, never a crash
            error = "adapter error: " + redact(f"{type(exc).__name__}: {exc}", secrets)
            sink.fail(spec.feed_id, error, at)
        return PollOutcome(spec.feed_id, error)

    async def every() -> list[PollOutcome]:
        fetcher = (fetcher_factory or Fetcher)()
        try:
            return list(await asyncio.gather(*(one(spec, fetcher) for spec in specs)))
        finally:
            await fetcher.aclose()

    return asyncio.run(every()) if specs else []


class Poller:
    """Runs every feed's task on an asyncio loop in a daemon thread. `start()`, `stop()`."""

    def __init__(
        self,
        specs: list[FeedSpec],
        sink: Sink,
        *,
        fetcher_factory: Callable[[], Fetcher] | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.specs = specs
        self.sink = sink
        self.policy = policy or RetryPolicy()
        self._fetcher_factory = fetcher_factory or (lambda: Fetcher(policy=self.policy))
        self._clock = clock or (lambda: datetime.now(UTC))
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.polls: dict[str, int] = {s.feed_id: 0 for s in specs}  # completed polls, for status and tests
        self._wake: dict[str, asyncio.Event] = {}  # per feed: poll now (new options)
        self._reset: set[str] = set()  # feeds whose next data replaces what the store holds

    def update_options(self, feed_id: str, options: dict[str, Any]) -> None:
        """New options for a running feed (a replay's period or speed, from the control API): its
        next poll, at once, uses them, and its data replaces what the store held for it."""
        spec = next((s for s in self.specs if s.feed_id == feed_id), None)
        if spec is None:
            raise KeyError(feed_id)
        spec.options = dict(options)
        self._reset.add(feed_id)
        event = self._wake.get(feed_id)
        if event is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(event.set)

    def start(self) -> None:
        if not self.specs or self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="wall-feeds", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # the loop closed between the check and the call
                pass
        self._thread.join(timeout)
        self._thread = None

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._stopping = asyncio.Event()
        ready.set()
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        fetcher = self._fetcher_factory()
        try:
            tasks = [asyncio.create_task(self._feed(spec, fetcher), name=f"feed:{spec.feed_id}") for spec in self.specs]
            await self._stopping.wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await fetcher.aclose()

    async def _feed(self, spec: FeedSpec, fetcher: Fetcher) -> None:
        cursor = dict(self.sink.cursors(spec.feed_id))  # resume where the last run stopped
        mine: dict[str, dict[str, str]] = {}
        saved = cursor.pop(VALIDATORS_KEY, None)
        if saved:
            try:
                mine = json.loads(saved)
                fetcher.load_validators(mine)
            except (ValueError, TypeError):
                mine = {}
        failures = 0
        wake = self._wake.setdefault(spec.feed_id, asyncio.Event())
        while True:
            now = self._clock()
            wake.clear()
            reset = spec.feed_id in self._reset
            self._reset.discard(spec.feed_id)
            if reset:
                cursor.clear()  # new options start over (a replay re-anchors at its new period)
            before = fetcher.validators()
            try:
                result = await poll_once(spec, fetcher, cursor, now)
            except asyncio.CancelledError:
                raise
            except FeedError as exc:
                failures += 1
                delay = self.policy.next_delay(exc, failures)
                self.sink.fail(spec.feed_id, f"{exc.kind}: {exc}", now, credentials=exc.kind == "credentials")
                log.warning("feed %s: %s: %s; next try in %.0f s", spec.feed_id, exc.kind, exc, delay)
            except Exception as exc:  # an adapter bug must not stop the poller or leak secrets
                failures += 1
                error = FeedError("bad_response", f"{type(exc).__name__}: {exc}")
                delay = self.policy.next_delay(error, failures)
                message = redact(str(error), [v for v in spec.credentials.values() if v])
                self.sink.fail(spec.feed_id, f"adapter error: {message}", now)
                log.error("feed %s: adapter error %s; next try in %.0f s", spec.feed_id, message, delay)
            else:
                saves = dict(result.cursor)
                # validators this poll's requests set (other feeds' tasks may interleave: harmless)
                after = fetcher.validators()
                changed = {k: v for k, v in after.items() if before.get(k) != v}
                if changed:
                    mine.update(changed)
                    mine = dict(list(mine.items())[-MAX_VALIDATORS_PER_FEED:])
                    saves[VALIDATORS_KEY] = json.dumps(mine)
                try:
                    if not result.not_modified or saves:
                        self.sink.put(
                            spec.feed_id,
                            result.posts,
                            result.metrics,
                            now,
                            replace=result.replace or reset,
                            cursors=saves or None,
                            skipped=result.skipped or None,
                        )
                    else:
                        self.sink.put(spec.feed_id, [], {}, now)  # a 304 is a success: the data is current
                except Exception as exc:  # data the sink could not keep (a bug on either side): this feed polls on
                    failures += 1
                    error = FeedError("bad_response", f"{type(exc).__name__}: {exc}")
                    delay = self.policy.next_delay(error, failures)
                    message = redact(str(error), [v for v in spec.credentials.values() if v])
                    if reset:  # the next poll replaces the data still
                        self._reset.add(spec.feed_id)
                    self.sink.fail(spec.feed_id, f"adapter error: this poll's data could not be kept: {message}", now)
                    log.error(
                        "feed %s: its data could not be kept: %s; next try in %.0f s", spec.feed_id, message, delay
                    )
                else:
                    failures = 0
                    cursor.update(result.cursor)  # only once its data is kept: a failed put is asked again
                    # `more` with nothing delivered would be an adapter bug: never let it spin the loop
                    delay = 0.0 if result.more and (result.posts or result.metrics) else spec.poll_s
            self.polls[spec.feed_id] += 1
            stop = asyncio.ensure_future(self._stopping.wait())
            woken = asyncio.ensure_future(wake.wait())
            try:
                done, _ = await asyncio.wait({stop, woken}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for fut in (stop, woken):
                    fut.cancel()
            if stop in done:
                return
