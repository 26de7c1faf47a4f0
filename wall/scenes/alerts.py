"""Alert rules: declarative conditions on feed data that interrupt the wall with a scenario (crisis)
and an `alert` banner, with a cooldown and an operator's acknowledge.

Two conditions:

- `surge`: the posts of a tone (or all posts) published in the last `window` number more than `k`
  times what the `baseline` before it predicts (its rate, scaled to the window), and at least
  `min_count` (2 posts against 0 is not a surge). Counts come from the store's per-feed tally
  (`Store.post_counts`), which covers 48 h whatever the post buffer holds. A baseline needs history:
  until the store has counted at least one window's length of baseline (after a start, a restart, a
  new feed), the rule is 'learning' and does not fire, so a restart never reads its first page of
  posts as a surge.
- `threshold`: a figure of the feed (`care.first_reply_min`) above or below a number, or beyond one
  of the figure's own levels (`above: breach` uses the metric's `breach`). A figure the feed does
  not have (yet) never fires.

A rule goes idle -> (pending, while `min_duration_s` runs) -> firing -> cooling -> idle. Firing
emits a "fired" event and wants the wall's interrupt; when the condition ends it emits "ended" and
cools for `cooldown_s`, during which it cannot fire again. An operator's acknowledge (`ack`) keeps
a firing rule from wanting the interrupt (the wall goes back to its schedule and the crisis does not
come back each time an operator lets go of the wall) until its condition ends; then the cooldown
runs as usual.

`evaluate(store, t)` is called by the director about once a second, never per frame; time is
passed in, so a replayed day gives the same events at the same instants.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..config.syntax import format_duration
from ..numbers import human_number
from ..store import Store

__all__ = ["AlertEngine", "AlertEvent", "AlertError", "UnknownAlert", "Reading"]

log = logging.getLogger("wall.alerts")

RuleState = Literal["idle", "pending", "firing", "acknowledged", "cooling"]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}

# ------------------------------------------------------------------------------------------- banners


def _fill(template: str, values: dict[str, str]) -> str:
    try:
        text = template.format_map(values)
    except (KeyError, ValueError, IndexError):  # checked when the config loaded; never blank a banner
        text = template
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _num(x: float | None) -> str:
    """A banner's figure, as every zone writes numbers (wall/numbers.py); a surge over nothing is ∞."""
    return "∞" if x is not None and math.isinf(x) else human_number(x)


DEFAULT_BANNERS = {
    "surge": (
        "Surge: {count} {posts} in {window}",
        "{ratio}x the rate of the previous {baseline} ({expected} expected)",
    ),
    "threshold": ("{name} {direction} {threshold} {unit}", "{value} {unit} now"),
}

# ------------------------------------------------------------------------------------------- model


class AlertError(ValueError):
    """An operator's request that cannot be done (acknowledging a rule that is not firing)."""


class UnknownAlert(AlertError, LookupError):
    """No rule has that id."""


@dataclass(frozen=True)
class AlertEvent:
    rule_id: str
    kind: Literal["fired", "ended", "acknowledged"]
    at: datetime  # when it happened
    scenario: str  # the scenario the rule switches the wall to
    title: str  # the banner, filled in with the figures at `at`
    message: str
    severity: Literal["info", "warning", "critical"]
    since: datetime  # when the condition began
    by: str | None = None  # who acknowledged


@dataclass(frozen=True)
class Reading:
    """One evaluation of a rule's condition."""

    active: bool  # the condition holds
    value: float | None = None  # the count in the window, or the figure
    threshold: float | None = None  # what the value had to exceed (or go under)
    ratio: float | None = None  # surge: count / expected (inf when nothing was expected)
    note: str | None = None  # why the rule cannot judge (learning, no data)
    fields: dict[str, str] = field(default_factory=dict)  # the banner's placeholders


@dataclass
class _Rule:
    id: str
    cfg: Any  # AlertRuleConfig
    kind: Literal["surge", "threshold"]
    state: RuleState = "idle"
    pending_since: datetime | None = None
    since: datetime | None = None  # firing since (when the condition began)
    cooling_until: datetime | None = None
    acked_by: str | None = None
    acked_at: datetime | None = None
    reading: Reading | None = None
    evaluated_at: datetime | None = None

    @property
    def firing(self) -> bool:
        return self.state in ("firing", "acknowledged")


class AlertEngine:
    """Every alert rule of a wall, and where each one stands."""

    def __init__(self, rules: dict[str, Any]):
        self._rules = {
            rid: _Rule(rid, cfg, "surge" if cfg.surge is not None else "threshold") for rid, cfg in rules.items()
        }
        self._static = {rid: _static_fields(r) for rid, r in self._rules.items()}
        self._lock = threading.Lock()  # the director evaluates, the control API acknowledges and reads

    @classmethod
    def from_config(cls, cfg: Any) -> AlertEngine:
        """From a WallConfig (or a LoadedConfig): its `alerts:`."""
        return cls(dict(getattr(cfg, "config", cfg).alerts))

    @property
    def rule_ids(self) -> list[str]:
        return list(self._rules)

    # -------------------------------------------------------------- the director's calls

    def evaluate(self, store: Store, t: datetime) -> list[AlertEvent]:
        """Read each rule's data at t and move its state; the events of the moves, in rule order."""
        with self._lock:
            return [e for rule in self._rules.values() if (e := self._step(rule, store, t)) is not None]

    def _step(self, rule: _Rule, store: Store, t: datetime) -> AlertEvent | None:
        try:
            reading = self._read(rule, store, t)
        except Exception as exc:  # a bug in one rule must not stop the others, nor the director
            log.exception("alert rule %s: cannot read its data", rule.id)
            reading = Reading(False, note=f"cannot read its data: {exc}", fields=dict(self._static[rule.id]))
        rule.reading, rule.evaluated_at = reading, t
        if rule.firing and not reading.active:
            event = self._event(rule, "ended", t)
            rule.state, rule.cooling_until = "cooling", t + timedelta(seconds=rule.cfg.cooldown_s)
            rule.acked_by = rule.acked_at = None
            return event
        if rule.state == "cooling":
            assert rule.cooling_until is not None
            if t < rule.cooling_until:
                return None
            rule.state, rule.cooling_until = "idle", None
        if rule.state not in ("idle", "pending"):
            return None  # firing (or acknowledged) and the condition holds
        if not reading.active:
            rule.state, rule.pending_since = "idle", None
            return None
        if rule.pending_since is None:
            rule.pending_since = t
        if (t - rule.pending_since).total_seconds() < rule.cfg.min_duration_s:
            rule.state = "pending"
            return None
        rule.state, rule.since, rule.pending_since = "firing", rule.pending_since, None
        return self._event(rule, "fired", t)

    def interrupt(self) -> AlertEvent | None:
        """The alert the wall should show now: the most severe firing rule no operator acknowledged
        (then the one firing longest, then the first listed); None when there is none."""
        with self._lock:
            firing = [r for r in self._rules.values() if r.state == "firing"]
            if not firing:
                return None
            order = {rid: i for i, rid in enumerate(self._rules)}
            best = min(firing, key=lambda r: (-SEVERITY_RANK[r.cfg.severity], r.since, order[r.id]))
            assert best.evaluated_at is not None
            return self._event(best, "fired", best.evaluated_at)

    def ack(self, rule_id: str, who: str, t: datetime | None = None) -> AlertEvent:
        """An operator saw the alert: the rule stops wanting the interrupt until its condition ends.
        t: when (default: the time of the rule's last evaluation, the director's clock)."""
        with self._lock:
            rule = self._rules.get(rule_id)
            if rule is None:
                raise UnknownAlert(f"no alert rule '{rule_id}' (rules: {', '.join(self._rules) or 'none'})")
            if rule.state == "acknowledged":
                acked = rule.acked_at or t or rule.evaluated_at
                assert acked is not None  # acknowledged: it was firing, so it was evaluated
                return self._event(rule, "acknowledged", acked)
            if rule.state != "firing":
                raise AlertError(
                    f"alert '{rule_id}' is not firing (it is {rule.state}); there is nothing to acknowledge"
                )
            at = t or rule.evaluated_at
            assert at is not None  # firing: it was evaluated
            rule.state, rule.acked_by, rule.acked_at = "acknowledged", who, at
            return self._event(rule, "acknowledged", at)

    def status(self) -> list[dict[str, Any]]:
        """Every rule, JSON-ready, for the control API and the console."""
        with self._lock:
            return [self._status(r) for r in self._rules.values()]

    def _status(self, r: _Rule) -> dict[str, Any]:
        reading = r.reading
        title, message = self._banner(r)
        return {
            "rule": r.id,
            "feed": r.cfg.feed,
            "kind": r.kind,
            "condition": self._describe(r),
            "scenario": r.cfg.scenario,
            "severity": r.cfg.severity,
            "state": r.state,
            "since": _iso(r.since) if r.firing else None,
            "pending_since": _iso(r.pending_since),
            "cooling_until": _iso(r.cooling_until),
            "acknowledged_by": r.acked_by,
            "acknowledged_at": _iso(r.acked_at),
            "value": _round(reading.value) if reading else None,
            "threshold": _round(reading.threshold) if reading else None,
            "ratio": _round(reading.ratio) if reading else None,
            "ratio_text": reading.fields.get("ratio") if reading else None,
            "note": reading.note if reading else None,
            "title": title,
            "message": message,
            "evaluated_at": _iso(r.evaluated_at),
        }

    # -------------------------------------------------------------- inside

    def _banner(self, rule: _Rule) -> tuple[str, str]:
        default_title, default_message = DEFAULT_BANNERS[rule.kind]
        title = rule.cfg.banner.title if rule.cfg.banner.title is not None else default_title
        message = rule.cfg.banner.message if rule.cfg.banner.message is not None else default_message
        values = _Missing(rule.reading.fields if rule.reading else self._static[rule.id])
        return _fill(title, values), _fill(message, values)

    def _event(self, rule: _Rule, kind: Literal["fired", "ended", "acknowledged"], t: datetime) -> AlertEvent:
        title, message = self._banner(rule)
        return AlertEvent(
            rule.id,
            kind,
            t,
            rule.cfg.scenario,
            title,
            message,
            rule.cfg.severity,
            rule.since or t,
            rule.acked_by if kind == "acknowledged" else None,
        )

    def _describe(self, rule: _Rule) -> str:
        if rule.kind == "surge":
            s = rule.cfg.surge
            what = "posts" if s.tone == "any" else f"{s.tone} posts"
            return (
                f"{what} in the last {format_duration(s.window)} over {_num(s.k)}x the rate of the "
                f"previous {format_duration(s.baseline)}, at least {s.min_count}"
            )
        c = rule.cfg.threshold
        above = c.above is not None
        level = c.above if above else c.below
        level_text = f"its {level} level" if isinstance(level, str) else _num(level)
        return f"{c.metric} {'above' if above else 'below'} {level_text}"

    def _read(self, rule: _Rule, store: Store, t: datetime) -> Reading:
        fields = dict(self._static[rule.id])
        if rule.kind == "surge":
            return _read_surge(rule.cfg.surge, store, rule.cfg.feed, t, fields)
        return _read_threshold(rule.cfg.threshold, store, rule.cfg.feed, t, fields)


def _static_fields(rule: _Rule) -> dict[str, str]:
    """The placeholders the config alone fills (a banner shown before any data came in)."""
    out = {"rule": rule.id, "feed": rule.cfg.feed}
    if rule.kind == "surge":
        s = rule.cfg.surge
        out.update(
            window=format_duration(s.window),
            baseline=format_duration(s.baseline),
            k=_num(s.k),
            tone=s.tone,
            posts="posts" if s.tone == "any" else f"{s.tone} posts",
        )
    else:
        c = rule.cfg.threshold
        out.update(metric=c.metric, name=c.metric, unit="", direction="over" if c.above is not None else "under")
    return out


class _Missing(dict):
    """Placeholders without a value yet (a rule that never read its data) show as '-'."""

    def __missing__(self, key: str) -> str:
        return "-"


def _round(x: float | None) -> float | None:
    """For JSON: two decimals, and no infinity (JSON has none; `ratio_text` says '∞')."""
    return None if x is None or math.isinf(x) else round(x, 2)


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _read_surge(s: Any, store: Store, feed: str, t: datetime, fields: dict[str, str]) -> Reading:
    win_start = t - s.window
    now = store.post_counts(feed, win_start, t)
    if now is None:
        return Reading(False, note=f"feed '{feed}' is not in the store", fields=fields)
    if now.counted_since is None:
        return Reading(False, note="no posts counted yet", fields=fields)
    count = now.of(s.tone)
    base_start = max(t - s.window - s.baseline, now.counted_since)
    covered = win_start - base_start
    fields.update(count=_num(count), value=_num(count))
    if covered < s.window:  # a baseline shorter than the window it judges is no baseline
        ready = now.counted_since + 2 * s.window
        return Reading(
            False, value=float(count), note=f"learning the baseline until {ready.isoformat()}", fields=fields
        )
    base = store.post_counts(feed, base_start, win_start)
    assert base is not None
    base_count = base.of(s.tone)
    expected = base_count * (s.window / covered)
    need = max(float(s.min_count), s.k * expected)
    ratio = count / expected if expected > 0 else (math.inf if count > 0 else 0.0)
    active = count >= s.min_count and count > s.k * expected
    fields.update(ratio=_num(ratio), expected=_num(expected), baseline_count=_num(base_count), threshold=_num(need))
    return Reading(active, value=float(count), threshold=need, ratio=ratio, fields=fields)


def _read_threshold(c: Any, store: Store, feed: str, t: datetime, fields: dict[str, str]) -> Reading:
    above = c.above is not None
    snap = store.snapshot(feed, t)
    metric = snap.metrics.get(c.metric) if snap is not None else None
    if metric is None or metric.value is None:
        return Reading(False, note=f"feed '{feed}' has no value for {c.metric} yet", fields=fields)
    level = c.above if above else c.below
    threshold = getattr(metric, level) if isinstance(level, str) else float(level)
    fields.update(name=metric.name or c.metric, unit=metric.unit, value=_num(metric.value))
    if threshold is None:
        return Reading(False, value=metric.value, note=f"{c.metric} has no {level} level", fields=fields)
    active = metric.value > threshold if above else metric.value < threshold
    fields["threshold"] = _num(threshold)
    return Reading(active, value=metric.value, threshold=float(threshold), fields=fields)
