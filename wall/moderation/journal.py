"""Moderation's memory on disk: the operators' decisions and the audit log of who decided what.

Decisions (added and removed terms and authors, hidden and approved posts, the kill switch) are kept
in `<name>.state.json` next to the JSON-lines audit log `<name>.jsonl`, so a post hidden yesterday
stays hidden after a reboot. Lists in the wall config are the starting point: an operator may
unblock a configured term, and that decision is kept too.

Both files are written by a background thread (wall/background_writer.py): neither `filter` nor an
action touches the disk. A burst of decisions is one write; a failing disk is retried, the decisions
holding in memory and on screen meanwhile; through an outage the writer keeps the newest
`MAX_PENDING_LINES` audit lines and only the latest decisions.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..background_writer import CLOSE_TIMEOUT_S, BackgroundWriter
from ..store import default_store_path

log = logging.getLogger("wall.moderation")

STATE_FORMAT = 1
AUDIT_KEEP = 1_000  # audit entries kept in memory (and read back from the file's tail at start)
AUDIT_TAIL_BYTES = 512 * 1024
MAX_PENDING_LINES = 10 * AUDIT_KEEP  # a disk gone for days: the newest lines are kept
COALESCE_S = 0.05  # the writer waits this long for the rest of a burst of decisions


def audit_path_for(loaded: Any) -> Path:
    """Where a loaded wall's audit log goes: `moderation.audit_log` (relative to the config file),
    else next to the wall's store: ${XDG_STATE_HOME:-~/.local/state}/wall/<name>.moderation.jsonl."""
    configured = loaded.config.moderation.audit_log
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_absolute() else (loaded.path.resolve().parent / p)
    store = default_store_path(loaded.config.name)
    return store.with_name(store.stem + ".moderation.jsonl")


def state_path_for(audit_path: Path) -> Path:
    """The operators' decisions, kept next to the audit log."""
    return audit_path.with_name(audit_path.stem + ".state.json")


@dataclass(frozen=True)
class SavedDecisions:
    """The decisions file: every list as operators wrote its entries."""

    terms: list[str] = field(default_factory=list)  # added
    unblocked_terms: list[str] = field(default_factory=list)  # configured terms an operator lifted
    authors: list[str] = field(default_factory=list)
    unblocked_authors: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)  # oldest first
    approved: list[str] = field(default_factory=list)
    killed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> SavedDecisions:
        """Raises ValueError for anything but a decisions file of this format."""
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError(f"not a decisions file of format {STATE_FORMAT}")
        lists = {
            k: data.get(k, [])
            for k in ("terms", "unblocked_terms", "authors", "unblocked_authors", "hidden", "approved")
        }
        if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists.values()):
            raise ValueError("its lists must hold strings")
        return cls(**lists, killed=data.get("killed") is True)


class _Pending:
    """Audit lines and the latest decisions not written yet. Merged in place: once submitted, a batch
    belongs to the writer."""

    def __init__(self, line: str, decisions: SavedDecisions | None):
        self.lines: deque[str] = deque((line,), maxlen=MAX_PENDING_LINES)
        self.decisions = decisions

    def merged(self, newer: _Pending) -> _Pending:
        self.lines.extend(newer.lines)
        if newer.decisions is not None:
            self.decisions = newer.decisions
        return self


class Journal:
    """One wall's decisions file and audit log: read at start, then appended and replaced off the
    caller's thread (`record` never waits)."""

    def __init__(self, audit_path: Path):
        self.audit_path = audit_path
        self.state_path = state_path_for(audit_path)
        self._writer: BackgroundWriter[_Pending] = BackgroundWriter(
            self._write,
            label=f"moderation {audit_path.parent}",
            log=log,
            coalesce_s=COALESCE_S,
            thread_name=f"wall-moderation:{audit_path.name}",
        )

    def read_decisions(self) -> SavedDecisions | None:
        """The decisions file (at start, before the wall shows anything). One that cannot be read is
        moved aside and reported: the wall starts from the config's lists."""
        path = self.state_path
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("moderation: cannot read %s (%s); starting from the config's blocklists only", path, exc)
            return None
        try:
            return SavedDecisions.from_json(json.loads(raw))
        except ValueError as exc:
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            log.error(
                "moderation: %s is unreadable (%s); moved to %s, starting from the config's blocklists only",
                path,
                exc,
                aside,
            )
            try:
                os.replace(path, aside)
            except OSError:
                pass
            return None

    def read_audit(self) -> list[dict[str, Any]]:
        """The last `AUDIT_KEEP` entries of the audit log, oldest first (from its last `AUDIT_TAIL_BYTES`)."""
        try:
            with open(self.audit_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - AUDIT_TAIL_BYTES))
                tail = f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("moderation: cannot read the audit log %s (%s)", self.audit_path, exc)
            return []
        lines = tail.splitlines()
        if size > AUDIT_TAIL_BYTES and lines:
            lines = lines[1:]  # the first line is cut
        entries: deque[dict[str, Any]] = deque(maxlen=AUDIT_KEEP)
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return list(entries)

    def record(self, entry: dict[str, Any], decisions: SavedDecisions | None) -> None:
        """Append an audit entry and, when they changed, replace the decisions: both soon, off this thread."""
        self._writer.submit(_Pending(json.dumps(entry, ensure_ascii=False) + "\n", decisions))

    def flush(self, timeout: float | None = CLOSE_TIMEOUT_S) -> bool:
        return self._writer.flush(timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        self._writer.close(timeout)

    def _write(self, pending: _Pending) -> None:
        if pending.lines:
            self.audit_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.audit_path, "a", encoding="utf-8") as f:
                f.write("".join(pending.lines))
                f.flush()
                os.fsync(f.fileno())
        if pending.decisions is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_name(self.state_path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(pending.decisions.to_json(), f, ensure_ascii=False, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)
