"""One writer thread for what must reach the disk without making anyone wait for it: the store's
SQLite file (wall/store/persistence.py) and moderation's audit log and decisions file
(wall/moderation/journal.py).

Callers `submit` a change from any thread and return at once. The thread waits for the burst to end
(`coalesce_s` after the first change; a flush or a close cuts the wait short), then hands everything
pending to `write` in one call, outside the lock, so a burst of polls or decisions is one write.

A write that raises keeps its changes: they are merged back in front of anything newer, and retried
1 s, 2 s, 4 s ... after, at most `MAX_RETRY_S` apart (a flush or a close retries at once; new
changes do not, so a failing disk is not hammered by every poll). An outage is one warning when it
starts and one line when writing works again, not one line per retry; an unexpected error (a bug)
logs its traceback once and is retried the same way: the wall keeps running on what it holds.

Memory: the writer holds one pending batch, and each change is merged into it (`Batch.merged`), so
what it holds through an outage of any length is bounded by the batch type: the store's names the
changed feeds and cursors (rows are read when written), moderation's keeps the newest audit lines
(`journal.MAX_PENDING_LINES`) and only the latest decisions document.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

MAX_RETRY_S = 30.0  # a failing disk is retried at most this far apart
FIRST_RETRY_S = 1.0
CLOSE_TIMEOUT_S = 10.0

B = TypeVar("B", bound="Batch")


class Batch(Protocol):
    def merged(self: B, newer: B) -> B:
        """This batch followed by a newer one, as one: what the newer one says wins."""
        ...


class BackgroundWriter(Generic[B]):
    """Writes batches of changes on its own thread (see the module's docstring). `label` names the
    target in log lines ('store /var/lib/wall/lobby.sqlite3'); `expected` are the errors of a disk
    or a file in trouble (one warning per outage), anything else is logged as a bug."""

    def __init__(
        self,
        write: Callable[[B], None],
        *,
        label: str,
        log: logging.Logger,
        coalesce_s: float,
        expected: tuple[type[Exception], ...] = (OSError,),
        thread_name: str | None = None,
    ):
        self.label = label
        self.coalesce_s = coalesce_s
        self._write = write
        self._log = log
        self._expected = expected
        self._cond = threading.Condition()
        self._pending: B | None = None
        self._asked = 0  # flushes asked for
        self._done = 0  # flushes covered by a finished attempt
        self._ok = True  # whether that attempt wrote
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=thread_name or f"wall-writer:{label}", daemon=True)
        self._thread.start()

    def submit(self, change: B) -> None:
        """Queue a change; never waits for the disk."""
        with self._cond:
            self._pending = change if self._pending is None else self._pending.merged(change)
            self._cond.notify_all()

    def flush(self, timeout: float | None = CLOSE_TIMEOUT_S) -> bool:
        """Write everything submitted so far now, and wait for it. True when it is written; False when
        the write failed (it stays queued), the timeout passed, or the writer is closed. For
        shutdown paths and tests: never call it on the render thread."""
        with self._cond:
            if not self._thread.is_alive():
                return False
            self._asked += 1
            gen = self._asked
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._done >= gen, timeout):
                return False
            return self._ok

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> bool:
        """Write what is pending and stop the thread. False when it has not ended within timeout (a
        disk that hangs keeps it; its changes may be lost). Idempotent."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _cut_short(self) -> bool:
        return self._closing or self._asked > self._done

    def _run(self) -> None:
        failures = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._cut_short())
                if not failures:  # let the burst finish (after a failure, the retry delay did)
                    self._cond.wait_for(self._cut_short, self.coalesce_s)
                batch, gen, closing = self._pending, self._asked, self._closing
                self._pending = None
            ok = batch is None or self._attempt(batch, failures)
            with self._cond:
                if not ok:
                    assert batch is not None
                    self._pending = batch if self._pending is None else batch.merged(self._pending)
                self._done, self._ok = gen, ok
                self._cond.notify_all()
                if closing:
                    if not ok:
                        self._log.warning("%s: could not write the last changes before closing", self.label)
                    return
                if ok:
                    if failures:
                        self._log.info("%s: writing again", self.label)
                    failures = 0
                    continue
                failures += 1
                self._cond.wait_for(self._cut_short, min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** (failures - 1)))

    def _attempt(self, batch: B, failures: int) -> bool:
        try:
            self._write(batch)
        except self._expected as exc:
            if failures:
                self._log.debug("%s: still cannot write (%s)", self.label, exc)
            else:
                self._log.warning("%s: cannot write (%s); keeping the changes in memory and retrying", self.label, exc)
            return False
        except Exception:  # a bug must not kill the writer: the wall keeps running on what it holds
            if not failures:
                self._log.exception("%s: writing failed; keeping the changes in memory and retrying", self.label)
            return False
        return True
