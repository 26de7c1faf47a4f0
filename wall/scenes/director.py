"""The director: which scenario the wall shows, and why, decided on the render thread each frame.

Operators, demo guides, the schedule and alert rules all want the wall to show something. Their
wishes meet here, in one order that an operator can predict:

1. the moderation kill switch (the fallback scenario, else the built-in holding screen of
   wall/scenes/holding.py; nothing else);
2. a presentation lock (a demo in progress: no scheduled or alert switch until it ends or times out;
   the guide's own next/prev/scenario commands still apply);
3. an operator's choice (holds until the operator resumes the schedule, or the schedule's next change);
4. an alert rule firing (its scenario with the banner filled in; when the rule ends, back to 3-5);
5. the schedule (day-parts, weekly and dated entries), else the default scenario.

The director is the only writer of "what is shown", and it never touches the engine. Other threads
queue typed commands (wall/scenes/commands.py) with `submit`; `tick(t)` runs them without waiting
and returns a `Direction`: the plan the wall should show, a switch number that changes each time
that plan must be prepared anew (two-phase: the runtime prepares it while the current one stays
on screen), the transition or spotlight zoom to use, the night state and the freeze. After the
frame, `after_frame` tells the director what the engine did (a switch committed), which ends the
switch's latency measurement. Everything is a function of the frame time `t`. What the director
decided is republished each frame as a frozen `DirectorState`, which other threads read without a
lock.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..config.loader import LoadedConfig, ScenarioPlan
from ..config.schema import TransitionConfig
from ..geometry import Rect, Wall
from ..layout import ResolvedLayout, Zone
from ..moderation import Moderator
from ..store import Store
from .alerts import AlertEngine, AlertEvent
from .commands import (
    Acknowledge,
    Answer,
    Command,
    Freeze,
    Lock,
    Resume,
    Settle,
    ShowScenario,
    Spotlight,
    StepScenario,
    Switching,
)
from .holding import HOLDING, holding_plan
from .schedule import NightState, Schedule, ScheduleState

log = logging.getLogger("wall.director")

ALERT_EVERY_S = 1.0  # alert rules are evaluated once a second, not every frame
SPOTLIGHT_S = 0.6  # how long a spotlight takes to grow (or shrink) when the scenario says no transition
DEFAULT_LOCK_MIN = 30.0
MAX_LOCK_MIN = 240.0


@dataclass(frozen=True)
class Zoom:
    """A spotlight's motion: the picture grows out of (in) or shrinks back into (out) a zone."""

    kind: str  # "zoom_in" | "zoom_out"
    rect: Rect  # the zone's rectangle on the canvas


@dataclass(frozen=True)
class Direction:
    """What the director wants on the wall for one frame."""

    plan: ScenarioPlan  # the scenario to show (an alert's banner filled in, or a spotlight)
    switch: int  # changes each time `plan` must be prepared anew (0: the opening scenario)
    transition: TransitionConfig | None = None  # overrides the plan's own transition
    zoom: Zoom | None = None
    night: NightState | None = None  # None: open (full brightness, no pixel shift)
    frozen_at: datetime | None = None  # the instant content froze (None: live)


@dataclass(frozen=True)
class FrameOutcome:
    """What the engine did with a frame, told back to the director."""

    shown: str | None  # the plan on screen
    preparing: str | None  # the plan being prepared, if any
    committed: str | None = None  # the plan this frame switched to (its first frame)
    prepare_ms: float | None = None  # how long that switch took to prepare
    frames_after_painted: int | None = None  # frames from its last paint's arrival to its first frame


@dataclass(frozen=True)
class DirectorState:
    """What the director decided, as of one frame (read by other threads, never changed)."""

    time: datetime
    scenario: str  # the scenario shown (a spotlight aside)
    shown: str | None
    preparing: str | None
    reason: str
    scenarios: tuple[str, ...]
    zones: tuple[str, ...]  # the zones of the scenario shown (what spotlight and zone states take)
    schedule: ScheduleState | None
    frozen: bool
    spotlight: str | None
    locked_until: datetime | None
    operator_choice: str | None
    alert: AlertEvent | None
    last_switch: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "time": self.time.isoformat(),
            "scenario": self.scenario,
            "shown": self.shown,
            "preparing": self.preparing,
            "reason": self.reason,
            "scenarios": list(self.scenarios),
            "zones": list(self.zones),
            "schedule": None
            if s is None
            else {
                "open": s.open,
                "scenario": s.scenario,
                "source": s.source,
                "reason": s.reason,
                "until": s.until.isoformat() if s.until else None,
                "night": None
                if s.night is None
                else {"mode": s.night.mode, "level": s.night.level, "shift": list(s.night.shift)},
            },
            "presentation": {
                "frozen": self.frozen,
                "spotlight": self.spotlight,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            },
            "operator_choice": self.operator_choice,
            "alert": None if self.alert is None else {"rule": self.alert.rule_id, "title": self.alert.title},
            "last_switch": self.last_switch,
        }


@dataclass
class _Queued:
    command: Command
    who: str
    future: Future = field(default_factory=Future)
    received: float = field(default_factory=time.perf_counter)


@dataclass
class _SwitchRecord:
    """A switch asked for through a command, from its arrival to the first frame that shows it."""

    scenario: str
    received: float  # perf_counter
    received_frame: int
    shown: Future


class Director:
    def __init__(self, loaded: LoadedConfig, store: Store, moderator: Moderator | None = None):
        self.loaded = loaded
        self.store = store
        self.moderator = moderator
        self.schedule = _schedule(loaded)
        self.alerts = _alerts(loaded)
        self.commands: queue.Queue[_Queued] = queue.Queue()
        self.frame_no = 0
        self.operator_choice: str | None = None  # 3.
        self.operator_until: datetime | None = None  # the schedule change that ends it
        self.alert: AlertEvent | None = None  # 4. the firing alert shown, if any
        self.locked_until: datetime | None = None
        self.lock_scenario: str | None = None
        self.frozen_at: datetime | None = None
        self.spotlight: str | None = None  # the zone spotlit
        self.base: str = loaded.default_scenario  # the scenario shown (spotlight aside)
        self.reason = "default scenario"
        self._direction: Direction | None = None  # the last one given (its plan is what the wall shows)
        self._switch_no = 0
        self._banner: tuple[tuple[ScenarioPlan, AlertEvent], ScenarioPlan] | None = None
        self._holding: tuple[LoadedConfig, ScenarioPlan] | None = None  # the kill switch's screen, per config
        self._last_alert_eval: datetime | None = None
        self._switches: list[_SwitchRecord] = []
        self._shown: str | None = None
        self._preparing: str | None = None
        self.last_switch: dict[str, Any] | None = None
        self._state: DirectorState | None = None
        self._force_switch = False  # set by reconfigure: the next tick prepares the wanted plan anew

    # ------------------------------------------------------------------ other threads

    def submit(self, command: Command, who: str = "operator") -> Future:
        """Queue a command for the render thread. The future answers with an `Answer`, or raises
        ValueError with a message for the operator."""
        queued = _Queued(command, who)
        self.commands.put(queued)
        return queued.future

    def choices(self) -> dict[str, Any]:
        """What operators chose that a restart must keep: their scenario (and the schedule change that
        ends it), a presentation lock, a freeze. (The kill switch is moderation's, kept with it.)"""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return {
            "operator_choice": self.operator_choice,
            "operator_until": iso(self.operator_until),
            "locked_until": iso(self.locked_until),
            "lock_scenario": self.lock_scenario,
            "frozen_at": iso(self.frozen_at),
        }

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Take back `choices()` kept by the last run, before `start`; names the config no longer has
        are dropped, a lock whose time ran out is over when the next tick sees it."""

        def when(key: str) -> datetime | None:
            value = saved.get(key)
            try:
                return datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                return None

        choice, lock = saved.get("operator_choice"), saved.get("lock_scenario")
        if isinstance(choice, str) and choice in self.loaded.scenarios:
            self.operator_choice, self.operator_until = choice, when("operator_until")
        if isinstance(lock, str) and lock in self.loaded.scenarios and when("locked_until") is not None:
            self.lock_scenario, self.locked_until = lock, when("locked_until")
        self.frozen_at = when("frozen_at")

    def state(self) -> DirectorState | None:
        """What the director decided as of the last frame (None before the wall opened)."""
        return self._state

    # ------------------------------------------------------------------ render thread

    def start(self, t: datetime, choice: str | None = None) -> Direction:
        """The opening scenario, shown at once: `choice` (`wallctl run --scenario`: held like an
        operator's choice, until a resume), else the schedule's or the default."""
        if choice is not None:
            self.operator_choice, self.operator_until = choice, None
        name, self.reason = self._wanted(t)
        self.base = name
        self._direction = Direction(self._plan_for(name), 0, night=self._night(t))
        self._publish(t)
        return self._direction

    def tick(self, t: datetime) -> Direction:
        """Before each frame: commands, then alerts (once a second), then what should be shown."""
        assert self._direction is not None, "start() opens the wall before the first tick"
        self.frame_no += 1
        answers: list[tuple[Future, Answer | BaseException]] = []
        while True:
            try:
                queued = self.commands.get_nowait()
            except queue.Empty:
                break
            try:
                answers.append((queued.future, self._run(queued, t)))
            except ValueError as exc:
                answers.append((queued.future, exc))
            except Exception as exc:  # a command's bug must not stop the wall
                log.exception("command %s failed", type(queued.command).__name__)
                answers.append(
                    (
                        queued.future,
                        RuntimeError(f"{type(queued.command).__name__} failed: {type(exc).__name__}: {exc}"),
                    )
                )
        if self.alerts is not None and (
            self._last_alert_eval is None or (t - self._last_alert_eval).total_seconds() >= ALERT_EVERY_S
        ):
            self._last_alert_eval = t
            self._evaluate_alerts(t)
        self._follow(t)
        self._direction = dataclasses.replace(self._direction, night=self._night(t), frozen_at=self.frozen_at)
        self._publish(t)
        # answered once the state is published: whoever reads the status after an answer sees its effect
        for future, answer in answers:
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)
        return self._direction

    def after_frame(self, outcome: FrameOutcome, t: datetime) -> None:
        """After the engine's frame: a committed switch ends its latency measurement."""
        self._shown, self._preparing = outcome.shown, outcome.preparing
        if outcome.committed:
            now = time.perf_counter()
            done = self._switches
            self._switches = []
            for rec in done:
                self.last_switch = {
                    "scenario": outcome.committed,
                    "frames": self.frame_no - rec.received_frame,
                    "ms": round((now - rec.received) * 1000, 1),
                    "prepare_ms": outcome.prepare_ms,
                    "frames_after_painted": outcome.frames_after_painted,
                }
            self._publish(t)  # whoever waited for the switch reads a status that shows it
            for rec in done:
                if not rec.shown.done():
                    rec.shown.set_result({"scenario": outcome.committed, "switched": True, **(self.last_switch or {})})
        elif self._state is not None and (self._state.shown, self._state.preparing) != (self._shown, self._preparing):
            self._publish(t)

    def reconfigure(self, loaded: LoadedConfig) -> None:
        """A reloaded config (render thread): schedule and alert rules are made again from it, and the
        scenario shown is prepared again from its new plan at the next tick (zones whose binding did
        not change keep their pixels and data)."""
        old, self.loaded = self.loaded, loaded
        if (loaded.config.schedule, loaded.default_scenario) != (old.config.schedule, old.default_scenario):
            self.schedule = _schedule(loaded)
        if loaded.config.alerts != old.config.alerts:
            # new rules start idle; unchanged ones keep their state (an acknowledged alert stays so)
            self.alerts = _alerts(loaded)
            self.alert = None
            self._last_alert_eval = None
        if self.base not in loaded.scenarios:
            self.base = loaded.default_scenario
        if self.operator_choice is not None and self.operator_choice not in loaded.scenarios:
            self.operator_choice = None
        if self.lock_scenario is not None and self.lock_scenario not in loaded.scenarios:
            self.lock_scenario = None
        self.spotlight = None
        self._banner = None
        self._force_switch = True

    # ------------------------------------------------------------------ deciding

    def _schedule_state(self, t: datetime) -> ScheduleState | None:
        return self.schedule.state(t) if self.schedule is not None else None

    def _wanted(self, t: datetime) -> tuple[str, str]:
        mod = self.moderator
        if mod is not None and mod.killed:
            # never the default scenario: with its posts withheld it would be a wall of empty zones
            return mod.fallback_scenario or HOLDING, "kill switch"
        if self.locked_until is not None and t >= self.locked_until:
            log.info("presentation lock ended (time limit)")
            self.locked_until = None
        if self.locked_until is not None and self.lock_scenario is not None:
            return self.lock_scenario, "presentation lock"
        if self.operator_choice is not None:
            if self.operator_until is not None and t >= self.operator_until:
                self.operator_choice = None  # the schedule moved on: so does the wall
            else:
                return self.operator_choice, "operator"
        if self.alert is not None:
            return self.alert.scenario, f"alert {self.alert.rule_id}"
        state = self._schedule_state(t)
        if state is not None and state.scenario:
            return state.scenario, state.reason
        return self.loaded.default_scenario, "default scenario"

    def _follow(self, t: datetime) -> None:
        assert self._direction is not None
        name, self.reason = self._wanted(t)
        plan = self._plan_for(name)
        # plans are the config's own objects, or one banner plan per alert: identity says "changed"
        if self._force_switch or name != self.base or (plan is not self._direction.plan and self.spotlight is None):
            self._force_switch = False
            self._switch(name, plan)

    def _plan_for(self, name: str) -> ScenarioPlan:
        if name == HOLDING:  # made once per config: the plan's identity says "unchanged" to _follow
            if self._holding is None or self._holding[0] is not self.loaded:
                self._holding = (self.loaded, holding_plan(self.loaded))
            return self._holding[1]
        plan = self.loaded.scenarios[name]
        if self.alert is not None and name == self.alert.scenario:
            key = (plan, self.alert)
            if self._banner is None or self._banner[0] != key:  # made once per alert, not every frame
                self._banner = (key, _with_banner(plan, self.alert))
            plan = self._banner[1]
        return plan

    def _switch(self, name: str, plan: ScenarioPlan, zoom: Zoom | None = None) -> None:
        assert self._direction is not None
        if self.spotlight is not None and zoom is None:
            self.spotlight = None  # a scenario change ends a spotlight
        self.base = name
        self._switch_no += 1
        self._direction = dataclasses.replace(self._direction, plan=plan, switch=self._switch_no, zoom=zoom)
        self._preparing = plan.name  # until the engine says it committed (see after_frame)
        log.info("switching to %s (%s)", plan.name, self.reason)

    def _evaluate_alerts(self, t: datetime) -> None:
        assert self.alerts is not None
        try:
            events = self.alerts.evaluate(self.store, t)
        except Exception:
            log.exception("alert rules failed to evaluate")
            return
        for ev in events:
            log.warning("alert %s %s: %s", ev.rule_id, ev.kind, ev.title)
        # the most severe firing rule nobody acknowledged (several may fire at once)
        self.alert = self.alerts.interrupt()

    def _night(self, t: datetime) -> NightState | None:
        state = self._schedule_state(t)
        if state is None or state.night is None or self.locked_until is not None:
            return None
        return state.night

    # ------------------------------------------------------------------ commands

    def _run(self, queued: _Queued, t: datetime) -> Answer:
        c = queued.command
        names = list(self.loaded.scenarios)
        if isinstance(c, ShowScenario):
            if c.name not in self.loaded.scenarios:
                raise ValueError(f"unknown scenario '{c.name}'; scenarios: {', '.join(names)}")
            return self._choose(queued, c.name, t)
        if isinstance(c, StepScenario):
            i = names.index(self.base) if self.base in names else 0
            return self._choose(queued, names[(i + c.step) % len(names)], t)
        if isinstance(c, Resume):
            self.operator_choice = self.operator_until = None
            return {"resumed": True}
        if isinstance(c, Spotlight):
            return self._spotlight(c.zone)
        if isinstance(c, Freeze):
            # frozen: the scenes stage keeps each feed's data and "now" as at this instant
            self.frozen_at = (self.frozen_at or t) if c.on else None
            return {"frozen": self.frozen_at is not None}
        if isinstance(c, Lock):
            return self._lock(c, t)
        if isinstance(c, Settle):
            return {}
        if isinstance(c, Acknowledge):
            if self.alerts is None:
                raise ValueError("this wall has no alert rules")
            ev = self.alerts.ack(c.rule, queued.who)  # AlertError (a ValueError) names what is wrong
            self.alert = self.alerts.interrupt()  # acknowledged: back to what the wall showed before
            return {"acknowledged": ev.rule_id, "by": ev.by, "at": ev.at.isoformat()}
        raise ValueError(f"unknown command {c!r}")

    def _lock(self, c: Lock, t: datetime) -> dict[str, Any]:
        if not c.on:
            self.locked_until = None
            return {"locked": False}
        minutes = float(c.minutes or DEFAULT_LOCK_MIN)
        if not 0 < minutes <= MAX_LOCK_MIN:
            raise ValueError(f"a lock lasts between 0 and {MAX_LOCK_MIN:g} minutes, not {minutes:g}")
        self.locked_until = t + timedelta(minutes=minutes)
        self.lock_scenario = self.base
        return {"locked": True, "until": self.locked_until.isoformat()}

    def _choose(self, queued: _Queued, name: str, t: datetime) -> Answer:
        if self.locked_until is not None:
            self.lock_scenario = name  # the guide drives the demo: the lock follows them
        else:
            self.operator_choice = name
            state = self._schedule_state(t)
            self.operator_until = state.until if state is not None else None
        if name == self.base and self.spotlight is None and self._preparing is None:
            return {"scenario": name, "switched": False, "reason": "already shown"}
        shown: Future = Future()
        self._switches.append(_SwitchRecord(name, queued.received, self.frame_no, shown))
        self.reason = "operator" if self.locked_until is None else "presentation lock"
        self._switch(name, self._plan_for(name))
        return Switching(name, shown)

    def _spotlight(self, zone: str | None) -> dict[str, Any]:
        base_plan = self._plan_for(self.base)
        if zone is None:  # back to the whole wall
            if self.spotlight is None:
                return {"spotlight": None}
            rect = base_plan.layout.zone(self.spotlight).rect
            self._switch(self.base, base_plan, Zoom("zoom_out", rect))
            self.spotlight = None
            return {"spotlight": None}
        if zone not in base_plan.bindings:
            raise ValueError(f"no zone '{zone}' in scenario {self.base}; zones: {', '.join(base_plan.bindings)}")
        rect = base_plan.layout.zone(zone).rect
        self.spotlight = zone
        self._switch(self.base, spotlight_plan(base_plan, zone, self.loaded.wall), Zoom("zoom_in", rect))
        return {"spotlight": zone}

    # ------------------------------------------------------------------ status

    def _publish(self, t: datetime) -> None:
        base = self.loaded.scenarios.get(self.base)
        self._state = DirectorState(
            time=t,
            scenario=self.base,
            shown=self._shown,
            preparing=self._preparing,
            reason=self.reason,
            scenarios=tuple(self.loaded.scenarios),
            zones=tuple(base.bindings) if base is not None else (),
            schedule=self._schedule_state(t),
            frozen=self.frozen_at is not None,
            spotlight=self.spotlight,
            locked_until=self.locked_until,
            operator_choice=self.operator_choice,
            alert=self.alert,
            last_switch=self.last_switch,
        )


def _schedule(loaded: LoadedConfig) -> Schedule | None:
    # the whole config: its default scenario while open
    return Schedule.from_config(loaded.config) if loaded.config.schedule is not None else None


def _alerts(loaded: LoadedConfig) -> AlertEngine | None:
    return AlertEngine.from_config(loaded.config) if loaded.config.alerts else None


def spotlight_plan(plan: ScenarioPlan, zone_id: str, wall: Wall) -> ScenarioPlan:
    """One zone of a scenario over the whole canvas (painted at that size, not stretched)."""
    zone = Zone(zone_id, Rect(0, 0, wall.canvas_w, wall.canvas_h), 0)
    return ScenarioPlan(
        f"{plan.name}+spotlight:{zone_id}",
        plan.layout_name,
        ResolvedLayout((zone,), ()),
        {zone_id: plan.bindings[zone_id]},
        plan.theme,
        transition=None,
        moderation=plan.moderation,
    )


def banner_of(event: AlertEvent) -> dict[str, Any]:
    """What an alert puts in its scenario's alert zones (a room's hub hands it to its nodes as is)."""
    return {"title": event.title, "message": event.message or "", "since": event.since, "severity": event.severity}


def _with_banner(plan: ScenarioPlan, event: AlertEvent) -> ScenarioPlan:
    return with_banner(plan, banner_of(event))


def with_banner(plan: ScenarioPlan, banner: Mapping[str, Any]) -> ScenarioPlan:
    """The scenario with its alert zones saying what the rule found."""
    bindings = dict(plan.bindings)
    changed = False
    for zid, b in plan.bindings.items():
        if getattr(b, "widget", None) == "alert":
            bindings[zid] = b.model_copy(update=dict(banner))
            changed = True
    return dataclasses.replace(plan, bindings=bindings) if changed else plan
