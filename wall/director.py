"""The director: which scenario the wall shows, and why, decided on the render thread each frame.

Operators, demo guides, the schedule and alert rules all want the wall to show something. Their
wishes meet here, in one order that an operator can predict:

1. the moderation kill switch (the fallback scenario, nothing else);
2. a presentation lock (a demo in progress: no scheduled or alert switch until it ends or times out;
   the guide's own next/prev/scenario commands still apply);
3. an operator's choice (holds until the operator resumes the schedule, or the schedule's next change);
4. an alert rule firing (its scenario with the banner filled in; when the rule ends, back to 3-5);
5. the schedule (day-parts, weekly and dated entries), else the default scenario.

Other threads (the control API) never touch the engine: they put commands on a queue and read a
status dictionary the render thread republishes. tick() drains the queue without waiting, and
when the wanted scenario changes it asks the engine to prepare it (two-phase: the switch shows on
the frame the new scenario is complete). Everything is a function of the frame time `t`.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from .geometry import Rect
from .layout import ResolvedLayout, Zone

log = logging.getLogger("wall.director")

_DEFERRED = object()  # a command answered later (after the frame), not by its handler
ALERT_EVERY_S = 1.0  # alert rules are evaluated once a second, not every frame
SPOTLIGHT_S = 0.6
DEFAULT_LOCK_MIN = 30.0
MAX_LOCK_MIN = 240.0


@dataclass
class Command:
    name: str
    args: dict[str, Any]
    who: str
    future: Future = field(default_factory=Future)
    received: float = field(default_factory=time.perf_counter)


@dataclass
class SwitchRecord:
    """A switch asked for through a command, from its arrival to the first frame that shows it."""

    scenario: str
    received: float  # perf_counter
    received_frame: int
    committed_frame: int | None = None
    ms: float | None = None
    frames: int | None = None
    future: Future | None = None


class Director:
    def __init__(self, runtime, *, moderator=None, schedule=None, alerts=None):
        self.rt = runtime
        self.moderator = moderator
        self.schedule = schedule
        self.alerts = alerts
        self.commands: queue.Queue[Command] = queue.Queue()
        self.frame_no = 0
        self.operator_choice: str | None = None  # 3.
        self.operator_until: datetime | None = None  # the schedule change that ends it
        self.alert: Any = None  # 4. the firing AlertEvent shown, if any
        self.locked_until: datetime | None = None
        self.lock_scenario: str | None = None
        self.frozen = False
        self.spotlight: str | None = None  # the zone spotlit
        self.base: str = runtime.loaded.default_scenario  # the scenario shown (spotlight aside)
        self.shown_plan = None  # the plan last prepared (with an alert banner filled in, or a spotlight)
        self._banner: tuple | None = None  # ((plan, alert event), that plan with the banner filled in)
        self.reason = "default scenario"
        self._last_alert_eval: datetime | None = None
        self._switches: list[SwitchRecord] = []
        self.last_switch: dict[str, Any] | None = None
        self.status_lock = threading.Lock()
        self._status: dict[str, Any] = {}
        self.reload_error: str | None = None
        self.reload_hook: Callable[[Any], None] | None = None  # applies a new LoadedConfig (runtime's)
        self.snapshot_requests: list[tuple[float, Future]] = []  # (scale, answer)

    # ------------------------------------------------------------------ other threads

    def submit(self, command: str, who: str = "operator", /, **args) -> Future:
        """Queue a command for the render thread; the future answers with a JSON-ready dict (or raises
        ValueError with a message for the operator)."""
        cmd = Command(command, args, who)
        self.commands.put(cmd)
        return cmd.future

    def status(self) -> dict[str, Any]:
        with self.status_lock:
            s = dict(self._status)
        s["reload_error"] = self.reload_error  # set by the reloading thread: as it is now, not a frame ago
        # thread-safe, and costlier than a frame should carry (the approval queue is recounted): asked
        # here, on the asking thread, not republished every frame
        s["alerts"] = self.alerts.status() if self.alerts is not None else []
        s["moderation"] = self.moderator.state() if self.moderator is not None else None
        return s

    # ------------------------------------------------------------------ render thread

    @property
    def loaded(self):
        return self.rt.loaded

    @property
    def engine(self):
        return self.rt.engine

    def start(self, t: datetime) -> None:
        """Choose the opening scenario (schedule or default) and show it at once."""
        name, self.reason = self._wanted(t)
        self.base = name
        self.shown_plan = self._plan_for(name)
        self.engine.set_scenario(self.shown_plan)
        self.rt.scenario = name
        self._apply_night(t)
        self._publish(t)

    def tick(self, t: datetime) -> None:
        """Before each frame: commands, then alerts (once a second), then what should be shown."""
        self.frame_no += 1
        while True:
            try:
                cmd = self.commands.get_nowait()
            except queue.Empty:
                break
            try:
                result = self._run(cmd, t)
                if result is not _DEFERRED and not cmd.future.done():
                    cmd.future.set_result(result)
            except ValueError as exc:
                cmd.future.set_exception(exc)
            except Exception as exc:  # a command's bug must not stop the wall
                log.exception("command %s failed", cmd.name)
                cmd.future.set_exception(RuntimeError(f"{cmd.name} failed: {type(exc).__name__}: {exc}"))
        if self.alerts is not None and (self._last_alert_eval is None
                                        or (t - self._last_alert_eval).total_seconds() >= ALERT_EVERY_S):
            self._last_alert_eval = t
            self._alerts(t)
        self._follow(t)
        self._apply_night(t)
        self._publish(t)

    def after_frame(self, report, t: datetime) -> None:
        """After the engine's frame: a committed switch ends its latency measurement."""
        if report.committed:
            now = time.perf_counter()
            for rec in self._switches:
                if rec.committed_frame is None:
                    rec.committed_frame = self.frame_no
                    rec.frames = self.frame_no - rec.received_frame
                    rec.ms = round((now - rec.received) * 1000, 1)
                    self.last_switch = {"scenario": report.committed, "frames": rec.frames, "ms": rec.ms,
                                        "prepare_ms": (self.engine.last_switch or {}).get("prepare_ms")}
            done = [r for r in self._switches if r.future is not None and not r.future.done()]
            self._switches = []
            self.rt.scenario = self.base
            self._publish(t)  # whoever waited for the switch reads a status that shows it
            for rec in done:
                rec.future.set_result({"scenario": report.committed, "switched": True, **self.last_switch})
        if self.snapshot_requests:
            scale = max(s for s, _ in self.snapshot_requests)
            comp = self.engine.compositor
            pictures = {d: comp.read_output_scaled(d, scale).copy() for d in comp.outputs}
            for _, fut in self.snapshot_requests:
                if not fut.done():
                    fut.set_result((scale, pictures))
            self.snapshot_requests = []

    # ------------------------------------------------------------------ deciding

    def _schedule_state(self, t: datetime):
        return self.schedule.state(t) if self.schedule is not None else None

    def _wanted(self, t: datetime) -> tuple[str, str]:
        mod = self.moderator
        if mod is not None and getattr(mod, "killed", False):
            fallback = getattr(mod, "fallback_scenario", None) or self.loaded.default_scenario
            return fallback, "kill switch"
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
        name, reason = self._wanted(t)
        self.reason = reason
        plan = self._plan_for(name)
        # plans are the config's own objects, or one banner plan per alert: identity says "changed"
        if name != self.base or (plan is not self.shown_plan and self.spotlight is None):
            self._switch(name, plan, t)

    def _plan_for(self, name: str):
        plan = self.loaded.scenarios[name]
        if self.alert is not None and name == self.alert.scenario:
            key = (plan, self.alert)
            if self._banner is None or self._banner[0] != key:  # made once per alert, not every frame
                self._banner = (key, _with_banner(plan, self.alert))
            plan = self._banner[1]
        return plan

    def _switch(self, name: str, plan, t: datetime, transition=None, zoom=None) -> None:
        if self.spotlight is not None and zoom is None:
            self.spotlight = None  # a scenario change ends a spotlight
        self.base = name
        self.shown_plan = plan
        self.engine.prepare(plan, t, transition=transition, zoom_rect=zoom)
        log.info("switching to %s (%s)", plan.name, self.reason)

    def _alerts(self, t: datetime) -> None:
        try:
            events = self.alerts.evaluate(self.rt.store, t)
        except Exception:
            log.exception("alert rules failed to evaluate")
            return
        for ev in events:
            log.warning("alert %s %s: %s", ev.rule_id, ev.kind, ev.title)
        # the most severe firing rule nobody acknowledged (several may fire at once)
        self.alert = self.alerts.interrupt()

    def _apply_night(self, t: datetime) -> None:
        state = self._schedule_state(t)
        night = getattr(state, "night", None) if state is not None else None
        if night is None or self.locked_until is not None:
            self.engine.night = (1.0, (0, 0))
        else:
            gain = 0.0 if night.mode == "black" else float(night.level)
            self.engine.night = (gain, tuple(night.shift))

    # ------------------------------------------------------------------ commands

    def _record_switch(self, cmd: Command, name: str) -> None:
        fut: Future = Future()
        self._switches.append(SwitchRecord(name, cmd.received, self.frame_no, future=fut))
        cmd.args["_switch_future"] = fut

    def _run(self, cmd: Command, t: datetime) -> dict[str, Any]:
        a = cmd.args
        names = list(self.loaded.scenarios)
        if cmd.name == "scenario":
            name = a["name"]
            if name not in self.loaded.scenarios:
                raise ValueError(f"unknown scenario '{name}'; scenarios: {', '.join(names)}")
            return self._choose(cmd, name, t)
        if cmd.name in ("next", "prev"):
            step = 1 if cmd.name == "next" else -1
            i = names.index(self.base) if self.base in names else 0
            return self._choose(cmd, names[(i + step) % len(names)], t)
        if cmd.name == "resume":
            self.operator_choice = self.operator_until = None
            return {"resumed": True}
        if cmd.name == "spotlight":
            return self._spotlight(a.get("zone"), t)
        if cmd.name == "freeze":
            self.frozen = bool(a.get("on", True))
            self.engine.freeze(self.frozen, t)
            return {"frozen": self.frozen}
        if cmd.name == "lock":
            on = bool(a.get("on", True))
            if not on:
                self.locked_until = None
                return {"locked": False}
            minutes = float(a.get("minutes") or DEFAULT_LOCK_MIN)
            if not 0 < minutes <= MAX_LOCK_MIN:
                raise ValueError(f"a lock lasts between 0 and {MAX_LOCK_MIN:g} minutes, not {minutes:g}")
            self.locked_until = t + timedelta(minutes=minutes)
            self.lock_scenario = self.base
            return {"locked": True, "until": self.locked_until.isoformat()}
        if cmd.name == "ack":
            if self.alerts is None:
                raise ValueError("this wall has no alert rules")
            ev = self.alerts.ack(a["rule"], cmd.who)  # AlertError (a ValueError) names what is wrong
            self.alert = self.alerts.interrupt()  # acknowledged: back to what the wall showed before
            return {"acknowledged": ev.rule_id, "by": ev.by, "at": ev.at.isoformat()}
        if cmd.name == "snapshot":
            scale = min(1.0, float(a.get("width", 1440)) / self.loaded.wall.canvas_w)
            self.snapshot_requests.append((scale, cmd.future))
            return _DEFERRED  # answered after this frame, with its pictures
        if cmd.name == "reload":
            if self.reload_hook is None:
                raise ValueError("reload is not available in this run")
            return self.reload_hook(a["loaded"])
        raise ValueError(f"unknown command '{cmd.name}'")

    def _choose(self, cmd: Command, name: str, t: datetime) -> dict[str, Any]:
        if self.locked_until is not None:
            self.lock_scenario = name  # the guide drives the demo: the lock follows them
        else:
            self.operator_choice = name
            state = self._schedule_state(t)
            self.operator_until = getattr(state, "until", None) if state is not None else None
        if name == self.base and self.spotlight is None and self.engine.pending is None:
            return {"scenario": name, "switched": False, "reason": "already shown"}
        self._record_switch(cmd, name)
        self.reason = "operator" if self.locked_until is None else "presentation lock"
        self._switch(name, self._plan_for(name), t)
        return {"scenario": name, "switched": True, "_wait": cmd.args["_switch_future"]}

    def _spotlight(self, zone: str | None, t: datetime) -> dict[str, Any]:
        base_plan = self._plan_for(self.base)
        if zone is None:  # back to the whole wall
            if self.spotlight is None:
                return {"spotlight": None}
            rect = base_plan.layout.zone(self.spotlight).rect
            self.spotlight = None
            self.shown_plan = base_plan
            self.engine.prepare(base_plan, t, zoom_rect=("zoom_out", rect))
            return {"spotlight": None}
        if zone not in base_plan.bindings:
            raise ValueError(f"no zone '{zone}' in scenario {self.base}; zones: {', '.join(base_plan.bindings)}")
        rect = base_plan.layout.zone(zone).rect
        plan = spotlight_plan(base_plan, zone, self.loaded.wall)
        self.spotlight = zone
        self.shown_plan = plan
        self.engine.prepare(plan, t, zoom_rect=("zoom_in", rect))
        return {"spotlight": zone}

    # ------------------------------------------------------------------ status

    def _publish(self, t: datetime) -> None:
        rt = self.rt
        times = rt.frame_times.summary() if getattr(rt, "frame_times", None) else {}
        state = self._schedule_state(t)
        store = rt.store
        feeds = {}
        for fid in store.feed_ids():
            snap = store.snapshot(fid, t)
            if snap is None:
                continue
            h = snap.health
            feeds[fid] = {"state": h.state, "last_success": h.last_success.isoformat() if h.last_success else None,
                          "last_error": h.last_error, "posts": len(snap.posts)}
        poller = getattr(rt, "poller", None)
        for spec in getattr(poller, "specs", []):
            if spec.adapter == "replay" and spec.feed_id in feeds:
                start = spec.options.get("start")
                feeds[spec.feed_id]["replay"] = {"start": start.isoformat() if isinstance(start, datetime) else start,
                                                 "speed": spec.options.get("speed", 1.0)}
        status = {
            "time": t.isoformat(),
            "scenario": self.base,
            "shown": self.engine.plan.name if self.engine.plan else None,
            "preparing": self.engine.pending.plan.name if self.engine.pending else None,
            "reason": self.reason,
            "scenarios": list(self.loaded.scenarios),
            # the zones of the scenario shown (what spotlight and zone states take)
            "zones": list(self.loaded.scenarios[self.base].bindings) if self.base in self.loaded.scenarios else [],
            "schedule": None if state is None else {
                "open": state.open, "scenario": state.scenario, "source": state.source, "reason": state.reason,
                "until": state.until.isoformat() if state.until else None,
                "night": None if state.night is None else {"mode": state.night.mode, "level": state.night.level,
                                                            "shift": list(state.night.shift)},
            },
            "presentation": {"frozen": self.frozen, "spotlight": self.spotlight,
                             "locked_until": self.locked_until.isoformat() if self.locked_until else None},
            "operator_choice": self.operator_choice,
            "alert": None if self.alert is None else {"rule": self.alert.rule_id, "title": self.alert.title},
            "fps_target": self.loaded.config.fps,
            "frames": times.get("frames", 0),
            "frame_ms_p50": times.get("p50_ms"),
            "frame_ms_p99": times.get("p99_ms"),
            "dropped_frames": times.get("dropped", 0),
            "displays": [d.as_dict() for d in rt.backend.displays()] or [
                {"display": d.id, "screen": None, "state": rt.backend.name, "detail": ""} for d in self.loaded.wall.displays],
            "feeds": feeds,
            "last_switch": self.last_switch,
            "reload_error": self.reload_error,
            "config": str(self.loaded.path),
        }
        with self.status_lock:
            self._status = status


def spotlight_plan(plan, zone_id: str, wall):
    """One zone of a scenario over the whole canvas (painted at that size, not stretched)."""
    from .config.loader import ScenarioPlan

    zone = Zone(zone_id, Rect(0, 0, wall.canvas_w, wall.canvas_h), 0)
    return ScenarioPlan(f"{plan.name}+spotlight:{zone_id}", plan.layout_name, ResolvedLayout((zone,), ()),
                        {zone_id: plan.bindings[zone_id]}, plan.theme, transition=None, moderation=plan.moderation)


def _with_banner(plan, event):
    """The scenario with its alert zones saying what the rule found."""
    bindings = dict(plan.bindings)
    changed = False
    for zid, b in plan.bindings.items():
        if getattr(b, "widget", None) == "alert":
            update = {"title": event.title, "message": event.message or "", "since": event.since}
            if getattr(event, "severity", None):
                update["severity"] = event.severity
            bindings[zid] = b.model_copy(update=update)
            changed = True
    return dataclasses.replace(plan, bindings=bindings) if changed else plan
