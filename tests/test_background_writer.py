"""The one writer thread behind the store's file and moderation's log (wall/background_writer.py):
a burst is one write, a failing disk keeps the changes and is retried with one log line per outage,
flush and close never hang on a disk that does, and what an outage holds stays bounded."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from wall.background_writer import BackgroundWriter
from wall.moderation import Moderator
from wall.moderation.journal import MAX_PENDING_LINES

SLOW = 3600.0  # a burst that never ends by itself: writes happen when flushed or closed
log = logging.getLogger("test.writer")


@dataclass(frozen=True)
class Items:
    items: tuple[int, ...]

    def merged(self, newer: Items) -> Items:
        return Items(self.items + newer.items)


class Disk:
    """A write target that records each write, and fails or hangs when told to."""

    def __init__(self) -> None:
        self.writes: list[tuple[int, ...]] = []
        self.fail_next = 0
        self.error: Exception = OSError("disk full")
        self.hang = threading.Event()
        self.hang.set()
        self.wrote = threading.Event()

    def write(self, batch: Items) -> None:
        self.hang.wait()
        if self.fail_next:
            self.fail_next -= 1
            raise self.error
        self.writes.append(batch.items)
        self.wrote.set()


def writer(disk: Disk, coalesce_s: float = SLOW) -> BackgroundWriter[Items]:
    return BackgroundWriter(disk.write, label="test disk", log=log, coalesce_s=coalesce_s)


def test_a_burst_of_changes_is_one_write_in_order():
    disk = Disk()
    w = writer(disk)
    for i in range(50):
        w.submit(Items((i,)))
    assert w.flush()
    assert disk.writes == [tuple(range(50))]
    assert w.flush() and disk.writes == [tuple(range(50))]  # nothing new: nothing written
    w.close()


def test_changes_are_written_once_the_burst_is_over_without_a_flush():
    disk = Disk()
    w = writer(disk, coalesce_s=0.05)
    w.submit(Items((1,)))
    w.submit(Items((2,)))
    assert disk.wrote.wait(timeout=30)
    assert disk.writes == [(1, 2)]
    w.close()


def test_a_failed_write_keeps_its_changes_before_newer_ones_and_logs_one_line_per_outage(caplog):
    caplog.set_level(logging.DEBUG, logger="test.writer")
    disk = Disk()
    w = writer(disk)
    disk.fail_next = 3
    w.submit(Items((1, 2)))
    assert w.flush() is False
    w.submit(Items((3,)))
    assert w.flush() is False and w.flush() is False  # a flush retries at once, whatever the backoff
    assert disk.writes == []
    assert w.flush() is True
    assert disk.writes == [(1, 2, 3)]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "cannot write" in warnings[0].getMessage() and "disk full" in warnings[0].getMessage()
    assert any("writing again" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    w.close()


def test_an_unexpected_error_is_logged_with_its_traceback_and_retried(caplog):
    disk = Disk()
    disk.error = KeyError("a bug")
    disk.fail_next = 2
    w = writer(disk)
    w.submit(Items((1,)))
    with caplog.at_level(logging.WARNING, logger="test.writer"):
        assert w.flush() is False and w.flush() is False
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert w.flush() and disk.writes == [(1,)]
    w.close()


def test_flush_and_close_give_up_after_their_timeout_on_a_hanging_disk():
    disk = Disk()
    disk.hang.clear()
    w = writer(disk)
    w.submit(Items((1,)))
    try:
        assert w.flush(timeout=0.1) is False
        assert w.close(timeout=0.1) is False  # the thread is still in the write
    finally:
        disk.hang.set()
    assert w.close(timeout=30) is True
    assert disk.writes == [(1,)]


def test_close_writes_what_is_pending_and_a_closed_writer_writes_no_more():
    disk = Disk()
    w = writer(disk)
    w.submit(Items((1,)))
    assert w.close() is True
    assert disk.writes == [(1,)]
    assert w.close() is True  # idempotent
    assert w.flush() is False  # nothing is written any more


def test_a_close_during_an_outage_tries_once_more_and_says_what_was_lost(caplog):
    disk = Disk()
    disk.fail_next = 10
    w = writer(disk)
    w.submit(Items((1,)))
    assert w.flush() is False
    with caplog.at_level(logging.WARNING, logger="test.writer"):
        assert w.close() is True
    assert disk.writes == []
    assert "could not write the last changes before closing" in caplog.text


# ---------------------------------------------------------------- moderation's log through it


def test_moderation_keeps_the_newest_audit_lines_through_an_outage(tmp_path: Path):
    blocker = tmp_path / "state"
    blocker.write_text("a file where the log's folder should be")  # every write fails
    m = Moderator(audit_path=blocker / "m.jsonl")
    n = MAX_PENDING_LINES + 25
    for i in range(n):
        m.hide(f"post:{i}", "ana")
    assert m.flush() is False
    blocker.unlink()  # the disk is back
    assert m.flush() is True
    m.close()
    lines = (blocker / "m.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == MAX_PENDING_LINES
    assert '"post:25"' in lines[0] and f'"post:{n - 1}"' in lines[-1]
    assert m.state()["hidden"] == n  # decisions held in memory all along
    again = Moderator(audit_path=blocker / "m.jsonl")
    try:
        assert again.state()["hidden"] == n  # the latest decisions were written whole
    finally:
        again.close()


@pytest.mark.parametrize("coalesce_s", [0.0, SLOW])
def test_a_change_submitted_while_writing_is_not_lost(coalesce_s):
    disk = Disk()
    disk.hang.clear()
    w = writer(disk, coalesce_s)
    w.submit(Items((1,)))
    flushing = threading.Thread(target=w.flush)
    flushing.start()
    w.submit(Items((2,)))  # the first write may be under way: this one waits for the next
    disk.hang.set()
    flushing.join(timeout=30)
    assert w.flush()
    assert [x for batch in disk.writes for x in batch] == [1, 2]
    w.close()
