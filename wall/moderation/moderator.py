"""The Moderator: what never reaches a screen, and who decided it.

Every snapshot a widget sees goes through `Moderator.filter(snapshot, plan)` first (wall/scenes/views.py
calls it for every zone, every frame), so a post an operator hides, an author they block or a term
they add is gone from every screen on the next frame: no painter is ever given it. What a scenario
lets through depends on its mode (ScenarioConfig.moderation; see wall/config/schema.py):

- open: everything, except posts an operator hid and posts of blocked authors. These are a person's
  explicit decisions about one post or one person, so they hold everywhere, the monitoring room
  included; blocked terms do not apply to posts (a care team must see the angry posts it has to
  answer), only to trending topics (below).
- blocklist (the default): also no post whose text, title, hashtags, picture descriptions, author
  name or handle contains a blocked term.
- approve-first (the default of public_facing scenarios): only posts an operator approved, and
  not since hidden, nor by a blocked author, nor containing a blocked term. Posts waiting for a
  decision are listed by `queue()`.

Beyond posts, the figures that name people or carry their words are filtered too: leaderboards lose
blocked authors (open, blocklist) and, on approve-first walls, every author without an approved
post in the same snapshot (a visitor wall names no one an operator has not vetted); breakdown
labels that contain a blocked term are dropped (blocklist, approve-first). Trending topics and
terms are dropped in every mode, open included: a care room sees the angry posts it must answer, but
a blocked word is never put up in big letters as what the room is talking about. That covers the
breakdowns whose labels are words people wrote (`_user_words`: 'topics', 'terms', 'topics.fr', and
the same over other windows, 'topics@7d'; a label matches as a post's text does, so '#Idiot' and
'#idiót' are dropped for the term 'idiot'), and, on open walls, the hashtags of the posts let through
(each such post reaches the widgets without its blocked hashtags, so a cloud counted from the posts'
hashtags cannot show one; its text, on a card, is left whole). Counts and series (volume, tone,
countries) are statistics, not content: they are left as they are, and a hidden post's hashtags
still count in topics computed from posts.

The kill switch (`kill(True)`) is wall-wide: whatever the scenario, no post, no leaderboard and no
topic label reaches a painter until it is lifted, on the very next frame, even before the director
has switched to `fallback_scenario` (or when none is configured).

Cost on the render thread: `filter` keeps, per (feed, mode), the last snapshot it saw, the rules it
applied and its result; while neither changes, a frame costs a dictionary lookup and two identity
checks. A new snapshot or a new decision re-filters once (what that costs: text.py). Actions run on
the control API's thread and swap in a new immutable set of rules (rules.py), which filter() reads
without a lock (on a re-filter it only takes a short lock over what it saw, for `queue`). Decisions
and the audit log are written by a background thread (journal.py): neither `filter` nor an action
touches the disk.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from feeds.crossposts import copies_of
from feeds.model import Author, Metric, Post

from ..background_writer import CLOSE_TIMEOUT_S
from ..store import FeedSnapshot
from .journal import AUDIT_KEEP, Journal, SavedDecisions, state_path_for
from .rules import MODES, Blocklist, Decisions, Rules, author_entry, bound
from .text import TermMatcher, Texts, normalize_term

MAX_TERM_CHARS = 200
MAX_KEY_CHARS = 500
MAX_WHO_CHARS = 200
SEEN_MAX = 5_000  # posts remembered from filter() (approve/hide say whether a post was on a wall)
# ...or, once sized to a wall (size_for), the posts its buffers hold and this many more: those just
# pushed out, which an operator may still be looking at on the console
SEEN_SPARE = 500


@dataclass(frozen=True)
class _Seen:
    post: Post
    feed_id: str
    scenario: str | None


class Moderator:
    """Decides, for every zone and every frame, which posts and names may reach a painter.

    Thread-safe: actions (hide, block_author, approve, kill ...) come from the control API's thread;
    `filter` runs on the render thread and never waits on them nor on the disk."""

    def __init__(
        self,
        *,
        terms: Iterable[str] = (),
        authors: Iterable[str] = (),
        fallback_scenario: str | None = None,
        audit_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.fallback_scenario = fallback_scenario
        self.audit_path = Path(audit_path) if audit_path is not None else None
        self.state_path = state_path_for(self.audit_path) if self.audit_path is not None else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._decisions = Decisions(terms, authors)  # under _lock
        self._audit: deque[dict[str, Any]] = deque(maxlen=AUDIT_KEEP)
        # what filter() saw (render thread writes, control thread reads; under _seen_lock)
        self._seen_lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        self._seen_max = SEEN_MAX
        self._waiting: dict[str, dict[str, _Seen]] = {}  # feed -> key -> post awaiting approval
        self._cache: dict[tuple[str, str], tuple[FeedSnapshot, Rules, FeedSnapshot]] = {}
        self._texts = Texts()
        self._journal: Journal | None = None
        if self.audit_path is not None:
            self._journal = Journal(self.audit_path)
            saved = self._journal.read_decisions()
            if saved is not None:
                self._decisions.restore(saved)
            self._audit.extend(self._journal.read_audit())
        self._rules = self._decisions.rules(0)

    @classmethod
    def from_config(
        cls, config: Any, audit_path: Path | None, *, clock: Callable[[], datetime] | None = None
    ) -> Moderator:
        """The moderator of a wall config (a WallConfig): its blocked terms and authors, its kill
        switch's fallback. audit_path None: decisions live in memory only (tests, `wallctl render`);
        see `audit_path_for(loaded)` for where a running wall keeps them."""
        m = config.moderation
        return cls(
            terms=m.terms, authors=m.authors, fallback_scenario=m.fallback_scenario, audit_path=audit_path, clock=clock
        )

    def reconfigure(self, config: Any) -> None:
        """Take a reloaded wall config's lists and fallback; operators' decisions stay (a term they
        lifted stays lifted, one they added stays added)."""
        m = config.moderation
        with self._lock:
            self.fallback_scenario = m.fallback_scenario
            if self._decisions.configure(m.terms, m.authors):
                self._rules = self._decisions.rules(self._rules.version + 1)

    # ------------------------------------------------------------------ a room's hub and nodes

    def decisions(self) -> dict[str, Any]:
        """Every operator decision, as the decisions file holds them (the hub hands them to its nodes)."""
        with self._lock:
            return self._decisions.saved().to_json()

    def adopt(self, decisions: Any) -> None:
        """Take the hub's decisions whole (a node: its operators act on the hub). ValueError for
        anything but what `decisions()` gives."""
        saved = SavedDecisions.from_json(decisions)
        with self._lock:
            self._decisions.restore(saved)
            self._rules = self._decisions.rules(self._rules.version + 1)

    # ------------------------------------------------------------------ reading

    @property
    def version(self) -> int:
        """Bumped by every decision that changes what a wall may show."""
        return self._rules.version

    @property
    def killed(self) -> bool:
        return self._rules.killed

    def filter(self, snapshot: FeedSnapshot, plan: Any) -> FeedSnapshot:
        """The snapshot as `plan`'s scenario may show it (plan.moderation: its mode). Never mutates
        the snapshot; returns it unchanged when nothing is left out. Cached: while the snapshot
        object and the rules are the same, this is a dictionary lookup."""
        mode = getattr(plan, "moderation", None) or "blocklist"
        rules = self._rules
        slot = (snapshot.feed_id, mode)
        hit = self._cache.get(slot)
        if hit is not None and hit[0] is snapshot and hit[1] is rules:
            return hit[2]
        _check_mode(mode)
        result = self._apply(snapshot, mode, rules, getattr(plan, "name", None))
        self._cache[slot] = (snapshot, rules, result)
        return result

    def size_for(self, posts_held: int) -> None:
        """Remember what a wall whose buffers hold `posts_held` posts can show. A post kept here is a
        whole Post (about 3.4 KB): with the fixed SEEN_MAX, a wall fed 8 posts a second took 17 MB more
        within 11 minutes for posts no zone could show any longer, and its text cache 5 MB more."""
        self._seen_max = posts_held + SEEN_SPARE
        self._texts.limit = 2 * self._seen_max  # each post's text, and its author's
        with self._seen_lock:
            bound(self._seen, self._seen_max)

    def prime(self, posts: Iterable[Post]) -> None:
        """Normalise new posts' text ahead of filter() (the store calls this on the poller's thread
        with each poll's posts), so the render thread only looks the result up."""
        for p in posts:
            self._texts.post(p)
            self._texts.author(p.author)

    def reason(self, post: Post, mode: str = "blocklist") -> str | None:
        """Why `post` would be left out of a scenario in `mode` now ('hidden', 'author blocked',
        "term 'x'", 'waiting for approval', 'kill switch on'), or None when it would show."""
        return self._reason(post, mode, self._rules)

    def queue(self, limit: int = 50) -> list[dict[str, Any]]:
        """Posts waiting for approval, newest first: those the approve-first scenarios' feeds hold
        now that no operator has approved, rejected or hidden and no blocklist leaves out."""
        _check_limit(limit)
        return [self._describe(s) for s in self._pending(self._rules)[:limit]]

    def waiting(self, feed_id: str) -> int:
        """How many posts of a feed wait for an operator's approval, as its last filtering on an
        approve-first scenario found them (render thread: a short lock, no sorting)."""
        with self._seen_lock:
            return len(self._waiting.get(feed_id, ()))

    def state(self) -> dict[str, Any]:
        """A JSON-ready summary for the control API."""
        with self._lock:
            rules = self._rules
            authors = list(self._decisions.authors.effective().values())
        return {
            "version": rules.version,
            "killed": rules.killed,
            "fallback_scenario": self.fallback_scenario,
            "terms": [written for _, written in rules.terms],
            "authors": authors,
            "hidden": len(rules.hidden),
            "approved": len(rules.approved),
            "queue_size": len(self._pending(rules)),
            "audit_log": str(self.audit_path) if self.audit_path is not None else None,
        }

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last `limit` audit entries, newest first."""
        _check_limit(limit)
        with self._lock:
            entries = list(self._audit)
        return entries[::-1][:limit]

    # ------------------------------------------------------------------ actions

    def hide(self, post_key: str, who: str, *, scenario: str | None = None) -> dict[str, Any]:
        """Take a post off every screen, on the next frame, and keep it off (also after a restart).
        A key no wall has shown yet is accepted: it will never show. The copies of the post on
        other networks that walls have shown (feeds/crossposts.py) go with it: they are one card."""
        key, who = _key(post_key), _who(who)
        seen = self._lookup(key)
        copies = self._copies(seen)
        with self._lock:
            changed = self._decisions.hide(key)
            for c in copies:
                changed = self._decisions.hide(c) or changed
            extra: dict[str, Any] = {"copies": copies} if copies else {}
            return self._commit(who, "hide", key, _scenario(scenario, seen), changed, seen=seen is not None, **extra)

    def unhide(self, post_key: str, who: str, *, scenario: str | None = None) -> dict[str, Any]:
        key, who = _key(post_key), _who(who)
        seen = self._lookup(key)
        copies = self._copies(seen)
        with self._lock:
            self._decisions.unhide(key)
            for c in copies:
                self._decisions.unhide(c)
            extra: dict[str, Any] = {"copies": copies} if copies else {}
            return self._commit(who, "unhide", key, _scenario(scenario, seen), True, **extra)

    def _copies(self, seen: _Seen | None) -> list[str]:
        """Keys of the copies, among the posts walls have shown, of the post `seen` holds."""
        if seen is None:
            return []
        with self._seen_lock:
            shown = [s.post for s in self._seen.values()]
        return [p.key for p in copies_of(seen.post, shown)]

    def block_author(self, author: str, who: str) -> dict[str, Any]:
        """Block an author by id ('mastodon:1234') or @handle: their posts leave every screen on the
        next frame (those already shown too), and their name leaves leaderboards."""
        return self._block(self._decisions.authors, _author(author), author, who)

    def unblock_author(self, author: str, who: str) -> dict[str, Any]:
        return self._unblock(self._decisions.authors, _author(author), author, who)

    def block_term(self, term: str, who: str) -> dict[str, Any]:
        """Block a word or phrase (any language): posts that hold it leave blocklist and approve-first
        scenarios; trending topics and terms that hold it leave every scenario."""
        return self._block(self._decisions.terms, _term(term), term, who)

    def unblock_term(self, term: str, who: str) -> dict[str, Any]:
        return self._unblock(self._decisions.terms, _term(term), term, who)

    def approve(self, post_key: str, who: str, *, scenario: str | None = None) -> dict[str, Any]:
        """Let a post show on approve-first scenarios (an approval also lifts an earlier hide or
        reject). A post that a blocklist leaves out stays out: the answer says why."""
        key, who = _key(post_key), _who(who)
        seen = self._lookup(key)
        with self._lock:
            if seen is None and key not in self._decisions.approved:
                raise ValueError(f"no post '{key}' has reached the wall; approve a key from the approval queue")
            changed = self._decisions.approve(key)
            result = self._commit(who, "approve", key, _scenario(scenario, seen), changed)
        if seen is not None:
            why = self._reason(seen.post, "approve-first", self._rules)
            result["blocked_by"] = why  # None: it shows
        return result

    def reject(self, post_key: str, who: str, *, scenario: str | None = None) -> dict[str, Any]:
        """Turn a post down: it leaves the queue and never shows (as hide, recorded as a rejection)."""
        key, who = _key(post_key), _who(who)
        seen = self._lookup(key)
        with self._lock:
            if seen is None and key not in self._decisions.approved and key not in self._decisions.hidden:
                raise ValueError(f"no post '{key}' has reached the wall; reject a key from the approval queue")
            changed = self._decisions.reject(key)
            return self._commit(who, "reject", key, _scenario(scenario, seen), changed)

    def kill(self, on: bool, who: str) -> dict[str, Any]:
        """The wall-wide kill switch: on, no post, leaderboard or topic label reaches any screen
        (from the next frame) and the director shows `fallback_scenario`; off, moderation as before."""
        if not isinstance(on, bool):
            raise ValueError(f"kill takes true or false, not {on!r}")
        who = _who(who)
        with self._lock:
            changed = self._decisions.kill(on)
            result = self._commit(who, "kill" if on else "unkill", "wall", self.fallback_scenario, changed)
        result["killed"] = on
        result["fallback_scenario"] = self.fallback_scenario
        return result

    # ------------------------------------------------------------------ persistence

    def flush(self, timeout: float | None = CLOSE_TIMEOUT_S) -> bool:
        """Write every decision and audit entry so far, and wait. True when on disk (or in memory
        only). For shutdown and tests; never on the render thread."""
        return True if self._journal is None else self._journal.flush(timeout)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()

    # ------------------------------------------------------------------ internals: filtering

    def _apply(self, snap: FeedSnapshot, mode: str, rules: Rules, scenario: str | None) -> FeedSnapshot:
        kept: list[Post] = []
        waiting: dict[str, _Seen] = {}
        terms = rules.matcher if mode != "open" else None
        # open walls keep posts with blocked terms, not their blocked hashtags (see the docstring)
        tags = rules.matcher if mode == "open" else None
        retagged = False
        for p in snap.posts:
            if p.key in rules.hidden or rules.blocks_author(p.author):
                continue
            if terms is not None and terms.find(self._texts.post(p)) is not None:
                continue
            if mode == "approve-first" and p.key not in rules.approved:
                waiting[p.key] = _Seen(p, snap.feed_id, scenario)  # operators may still decide while killed
                continue
            if not rules.killed:
                if tags is not None and p.hashtags:
                    shown = self._without_blocked_tags(p, tags)
                    retagged |= shown is not p
                    p = shown
                kept.append(p)
        self._remember(snap, scenario, waiting if mode == "approve-first" else None)
        metrics = self._metrics(snap.metrics, mode, rules, kept)
        if len(kept) == len(snap.posts) and not retagged and metrics is snap.metrics:
            return snap
        return FeedSnapshot(snap.feed_id, tuple(kept), metrics, snap.as_of, snap.health)

    def _without_blocked_tags(self, p: Post, matcher: TermMatcher) -> Post:
        """The post without the hashtags that hold a blocked term (itself when none does: the usual
        case costs one look-up of its text, normalised ahead by prime())."""
        if matcher.find(self._texts.post(p)) is None:
            return p
        tags = tuple(t for t in p.hashtags if matcher.find(self._texts.of(t)) is None)
        return p if len(tags) == len(p.hashtags) else p.model_copy(update={"hashtags": tags})

    def _metrics(
        self, metrics: Mapping[str, Metric], mode: str, rules: Rules, kept: list[Post]
    ) -> Mapping[str, Metric]:
        out: dict[str, Metric] = {}
        changed = False
        terms = rules.matcher if mode != "open" else None
        vetted = {n for p in kept for n in _person(p.author)} if mode == "approve-first" else None
        for name, m in metrics.items():
            new = m
            if m.leaderboard:
                entries = (
                    ()
                    if rules.killed
                    else tuple(
                        e
                        for e in m.leaderboard
                        if not rules.blocks_author(e.author)
                        and (terms is None or terms.find(self._texts.author(e.author)) is None)
                        and (vetted is None or not vetted.isdisjoint(_person(e.author)))
                    )
                )
                if len(entries) != len(m.leaderboard):
                    new = new.model_copy(update={"leaderboard": entries})
            if m.breakdown:
                words = _user_words(name)
                matcher = terms if terms is not None or not words else rules.matcher  # words: every mode
                if rules.killed and words:
                    new = new.model_copy(update={"breakdown": {}})
                elif matcher is not None:
                    labels = {k: v for k, v in m.breakdown.items() if matcher.find(self._texts.of(str(k))) is None}
                    if len(labels) != len(m.breakdown):
                        new = new.model_copy(update={"breakdown": labels})
            changed |= new is not m
            out[name] = new
        return MappingProxyType(out) if changed else metrics

    def _reason(self, p: Post, mode: str, rules: Rules, *, kill: bool = True) -> str | None:
        _check_mode(mode)
        if kill and rules.killed:
            return "kill switch on"
        if p.key in rules.hidden:
            return "hidden"
        if rules.blocks_author(p.author):
            return "author blocked"
        if mode != "open":
            term = rules.term_in(self._texts.post(p))
            if term is not None:
                return f"term '{term}'"
        if mode == "approve-first" and p.key not in rules.approved:
            return "waiting for approval"
        return None

    def _remember(self, snap: FeedSnapshot, scenario: str | None, waiting: dict[str, _Seen] | None) -> None:
        with self._seen_lock:
            for p in snap.posts:
                self._seen.pop(p.key, None)
                self._seen[p.key] = _Seen(p, snap.feed_id, scenario)
            bound(self._seen, self._seen_max)
            if waiting is not None:
                self._waiting[snap.feed_id] = waiting

    def _pending(self, rules: Rules) -> list[_Seen]:
        """Posts of approve-first feeds still waiting for a decision under `rules`, newest first."""
        with self._seen_lock:
            entries = {k: s for waiting in self._waiting.values() for k, s in waiting.items()}
        pending = [
            s
            for s in entries.values()
            if self._reason(s.post, "approve-first", rules, kill=False) == "waiting for approval"
        ]
        pending.sort(key=lambda s: (s.post.published_at, s.post.key), reverse=True)
        return pending

    def _lookup(self, key: str) -> _Seen | None:
        with self._seen_lock:
            return self._seen.get(key)

    @staticmethod
    def _describe(s: _Seen) -> dict[str, Any]:
        p = s.post
        return {
            "key": p.key,
            "feed": s.feed_id,
            "scenario": s.scenario,
            "network": p.network,
            "author_id": p.author.id,
            "author_handle": p.author.handle,
            "author_name": p.author.name,
            "text": p.text,
            "title": p.title,
            "published_at": p.published_at.isoformat(),
            "url": p.url,
        }

    # ------------------------------------------------------------------ internals: decisions

    def _block(self, blocklist: Blocklist, entry: str, written: str, who: str) -> dict[str, Any]:
        written, who = written.strip(), _who(who)
        with self._lock:
            changed = blocklist.block(entry, written)
            return self._commit(who, f"block_{blocklist.kind}", written, None, changed, recompile=changed)

    def _unblock(self, blocklist: Blocklist, entry: str, written: str, who: str) -> dict[str, Any]:
        written, who = written.strip(), _who(who)
        with self._lock:
            blocklist.unblock(entry, written)
            return self._commit(who, f"unblock_{blocklist.kind}", written, None, True, recompile=True)

    def _commit(
        self,
        who: str,
        action: str,
        target: str,
        scenario: str | None,
        changed: bool,
        *,
        recompile: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Under self._lock: swap in the new rules (when something changed), record the action."""
        if changed:
            self._rules = self._decisions.rules(self._rules.version + 1, None if recompile else self._rules)
        entry: dict[str, Any] = {
            "at": self._clock().astimezone(UTC).isoformat(timespec="seconds"),
            "who": who,
            "action": action,
            "target": target,
        }
        if scenario is not None:
            entry["scenario"] = scenario
        if extra.get("copies"):  # the same post on other networks, hidden (or shown again) with it
            entry["copies"] = extra["copies"]
        entry["changed"] = changed
        self._audit.append(entry)
        if self._journal is not None:
            self._journal.record(entry, self._decisions.saved() if changed else None)
        return {**entry, **extra, "version": self._rules.version}


# ---------------------------------------------------------------------------------- operators' input


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown moderation mode {mode!r} (expected one of: {', '.join(MODES)})")


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or limit < 1:
        raise ValueError("limit must be a whole number, at least 1")


def _given(value: object, what: str, how: str, limit: int) -> str:
    """An operator's input: a string with something in it, at most `limit` characters, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: {how}")
    if len(value) > limit:
        raise ValueError(f"{what}: at most {limit} characters")
    return value.strip()


def _who(who: str) -> str:
    return _given(who, "who", "name the operator taking the action (it goes into the audit log)", MAX_WHO_CHARS)


def _key(post_key: str) -> str:
    return _given(
        post_key, "post key", "give the key of a post (e.g. 'mastodon:109876'), not an empty string", MAX_KEY_CHARS
    )


def _term(term: str) -> str:
    norm = normalize_term(_given(term, "term", "give a word or phrase to block, not an empty string", MAX_TERM_CHARS))
    if not norm:
        raise ValueError(f"term {term!r} has nothing left to match once accents and invisible characters go")
    return norm


def _author(author: str) -> str:
    how = "give an author id (e.g. 'mastodon:1234') or a @handle, not an empty string"
    entry = author_entry(_given(author, "author", how, MAX_KEY_CHARS))
    if not entry:  # nothing but '@'
        raise ValueError(f"author: {how}")
    return entry


def _scenario(given: str | None, seen: _Seen | None) -> str | None:
    """The scenario an action on a post is recorded under: the one named, else where the post was seen."""
    return given or (seen.scenario if seen else None)


def _person(a: Author) -> tuple[str, ...]:
    """The names one author goes by (a source's leaderboard and its posts may use either)."""
    return tuple(n for n in (a.id.casefold(), "@" + a.handle.lstrip("@").casefold() if a.handle else "") if n)


_WORD_FIGURES = ("topics", "terms")  # the store's trending hashtags and terms; listening tools' topics
_WORD_VARIANTS = tuple(f + "." for f in _WORD_FIGURES)


def _user_words(metric_name: str) -> bool:
    """Breakdowns whose labels are words people wrote (trending topics and terms), not categories:
    'topics', 'terms', their variants ('topics.fr') and the same over other windows ('topics@7d',
    'terms@1h': wall/figure_windows.py names them so)."""
    stem = metric_name.split("@", 1)[0]
    return stem in _WORD_FIGURES or stem.startswith(_WORD_VARIANTS)
