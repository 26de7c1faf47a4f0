"""What moderation applies: the operators' decisions on top of the config's lists (`Decisions`,
changed by actions), and the immutable `Rules` built from them that `Moderator.filter` reads.

Actions run on the control API's thread and swap in a new `Rules`, which filter() reads without a
lock; a rule set is never changed once built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from feeds.model import Author

from .journal import SavedDecisions
from .text import NormalizedText, TermMatcher, normalize_term

MODES = ("open", "blocklist", "approve-first")
MAX_DECISIONS = 50_000  # hidden / approved keys kept (oldest forgotten first): years of a busy wall


@dataclass(frozen=True)
class Rules:
    """One immutable set of decisions: what filter() applies. Replaced (never changed) by actions."""

    version: int
    terms: tuple[tuple[str, str], ...]  # (normalised, as written), effective, in order
    matcher: TermMatcher | None  # None: no term is blocked
    author_ids: frozenset[str]
    author_handles: frozenset[str]  # without '@'
    hidden: frozenset[str]
    approved: frozenset[str]
    killed: bool

    def blocks_author(self, a: Author) -> bool:
        if not (self.author_ids or self.author_handles):
            return False
        return a.id.casefold() in self.author_ids or (
            bool(a.handle) and a.handle.lstrip("@").casefold() in self.author_handles
        )

    def term_in(self, text: NormalizedText) -> str | None:
        """The blocked term (as written) found in the text, or None."""
        return None if self.matcher is None else self.matcher.find(text)


def author_entry(value: str) -> str:
    """A blocked-author entry as kept: '@handle' or an id, casefolded; '' when it names no one."""
    v = value.strip()
    entry = "@" + v[1:].strip().casefold() if v.startswith("@") else v.casefold()
    return entry if entry.strip("@") else ""


class Blocklist:
    """Blocked entries (normalised -> as written): the config's, less those operators lifted, plus
    those they added. `key` normalises an entry ('' for one with nothing left to match)."""

    def __init__(self, kind: str, key: Callable[[str], str]):
        self.kind = kind
        self.key = key
        self.configured: dict[str, str] = {}
        self.added: dict[str, str] = {}
        self.lifted: dict[str, str] = {}  # configured entries an operator unblocked

    def entries(self, written: Iterable[str]) -> dict[str, str]:
        return {k: w for w in written if (k := self.key(w))}

    def effective(self) -> dict[str, str]:
        out = {k: w for k, w in self.configured.items() if k not in self.lifted}
        out.update(self.added)
        return out

    def block(self, key: str, written: str) -> bool:
        """Block an entry; False when it already was."""
        changed = key not in self.effective()
        self.lifted.pop(key, None)
        if key not in self.configured:
            self.added[key] = written
        return changed

    def unblock(self, key: str, written: str) -> None:
        effective = self.effective()
        if key not in effective:
            raise ValueError(
                f"{self.kind} '{written}' is not blocked (blocked: {', '.join(effective.values()) or 'none'})"
            )
        self.added.pop(key, None)
        if key in self.configured:
            self.lifted[key] = written


def _keep_newest(keys: dict[str, None], key: str, limit: int = MAX_DECISIONS) -> None:
    """Make key the newest of an insertion-ordered dict, and forget the oldest beyond limit."""
    keys.pop(key, None)
    keys[key] = None
    bound(keys, limit)


def bound(d: dict, limit: int) -> None:
    """Forget the oldest entries of an insertion-ordered dict beyond limit."""
    extra = len(d) - limit
    if extra > 0:
        for k in list(d)[:extra]:
            del d[k]


class Decisions:
    """What operators decided, on top of the config's lists. Not thread-safe: the Moderator holds its
    lock around every use, and builds new `Rules` after each change."""

    def __init__(self, terms: Iterable[str] = (), authors: Iterable[str] = ()):
        self.terms = Blocklist("term", normalize_term)
        self.authors = Blocklist("author", author_entry)
        self.hidden: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first
        self.approved: dict[str, None] = {}
        self.killed = False
        self.configure(terms, authors)

    def configure(self, terms: Iterable[str], authors: Iterable[str]) -> bool:
        """Take a config's lists (operators' decisions stay); True when they changed."""
        configured = self.terms.entries(terms), self.authors.entries(a.strip() for a in authors)
        changed = configured != (self.terms.configured, self.authors.configured)
        self.terms.configured, self.authors.configured = configured
        return changed

    def hide(self, key: str) -> bool:
        changed = key not in self.hidden
        _keep_newest(self.hidden, key)
        return changed

    def unhide(self, key: str) -> None:
        if key not in self.hidden:
            raise ValueError(f"post '{key}' is not hidden ({len(self.hidden)} posts are)")
        del self.hidden[key]

    def approve(self, key: str) -> bool:
        """Approve a post; an approval also lifts an earlier hide or reject."""
        changed = key not in self.approved or key in self.hidden
        self.hidden.pop(key, None)
        _keep_newest(self.approved, key)
        return changed

    def reject(self, key: str) -> bool:
        changed = key not in self.hidden or key in self.approved
        self.approved.pop(key, None)
        _keep_newest(self.hidden, key)
        return changed

    def kill(self, on: bool) -> bool:
        changed = self.killed != on
        self.killed = on
        return changed

    def rules(self, version: int, previous: Rules | None = None) -> Rules:
        """The rules these decisions make. With `previous`, its terms and authors are reused (for a
        decision about posts or the kill switch: compiling thousands of terms again is wasted)."""
        if previous is None:
            terms = tuple(self.terms.effective().items())
            matcher = TermMatcher(dict(terms)) if terms else None
            entries = self.authors.effective()
            ids = frozenset(e for e in entries if not e.startswith("@"))
            handles = frozenset(e[1:] for e in entries if e.startswith("@")) | ids  # a bare entry may be a handle
        else:
            terms, matcher = previous.terms, previous.matcher
            ids, handles = previous.author_ids, previous.author_handles
        return Rules(
            version, terms, matcher, ids, handles, frozenset(self.hidden), frozenset(self.approved), self.killed
        )

    def saved(self) -> SavedDecisions:
        return SavedDecisions(
            list(self.terms.added.values()),
            list(self.terms.lifted.values()),
            list(self.authors.added.values()),
            list(self.authors.lifted.values()),
            list(self.hidden),
            list(self.approved),
            self.killed,
        )

    def restore(self, saved: SavedDecisions) -> None:
        self.terms.added = self.terms.entries(saved.terms)
        self.terms.lifted = self.terms.entries(saved.unblocked_terms)
        self.authors.added = self.authors.entries(saved.authors)
        self.authors.lifted = self.authors.entries(saved.unblocked_authors)
        self.hidden = dict.fromkeys(saved.hidden)
        self.approved = dict.fromkeys(saved.approved)
        self.killed = saved.killed
