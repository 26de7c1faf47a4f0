"""`wallctl` as the control API's client: status, scenario, next, prev, spotlight, freeze, ...

The address comes from --url or WALL_URL (default http://127.0.0.1:8750), the token from
WALL_TOKEN. Each command prints one human line (or the JSON with --json) and exits 0; the API's
refusals print its own words and exit 2; an unreachable wall exits 5.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from ..errors import UsageError

DEFAULT_URL = "http://127.0.0.1:8750"
EXIT_UNREACHABLE = 5


class Unreachable(Exception):
    pass


def request(args, method: str, path: str, body: dict | None = None, timeout: float = 40.0) -> Any:
    import httpx

    url = (getattr(args, "url", None) or os.environ.get("WALL_URL") or DEFAULT_URL).rstrip("/")
    token = os.environ.get("WALL_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    user = os.environ.get("WALL_USER") or os.environ.get("USER")
    if user:
        headers["X-Wall-User"] = user
    try:
        r = httpx.request(method, url + path, json=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise Unreachable(
            f"no wall answers at {url} ({type(exc).__name__}); is `wallctl run` running there, and is "
            f"--url / WALL_URL right?"
        ) from None
    if r.status_code == 401:
        raise UsageError(
            f"{url} wants a token: set WALL_TOKEN to the operator or viewer token"
            + (" (the one given was refused)" if token else "")
        )
    if r.status_code >= 400:
        try:
            detail = r.json().get("detail")
        except ValueError:
            detail = r.text
        if isinstance(detail, list):  # pydantic's validation errors
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        raise UsageError(str(detail))
    return r.json() if "json" in r.headers.get("content-type", "") else r.content


def _say(args, data: Any, line: str) -> None:
    print(json.dumps(data, indent=2) if args.json else line)


def cmd_status(args) -> int:
    s = request(args, "GET", "/api/status")
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    p = s.get("presentation") or {}
    flags = [
        f
        for f, on in (
            ("frozen", p.get("frozen")),
            (f"spotlight {p.get('spotlight')}", p.get("spotlight")),
            (f"locked until {p.get('locked_until')}", p.get("locked_until")),
        )
        if on
    ]
    print(
        f"scenario {s['scenario']} ({s['reason']})"
        + (f", preparing {s['preparing']}" if s.get("preparing") else "")
        + (f"; {', '.join(flags)}" if flags else "")
    )
    print(
        f"frames {s['frames']}, frame time p50 {s['frame_ms_p50']} ms p99 {s['frame_ms_p99']} ms, "
        f"{s['dropped_frames']} dropped, target {s['fps_target']:g} fps"
    )
    sched = s.get("schedule")
    if sched:
        print(
            f"schedule: {'open' if sched['open'] else 'closed'}, {sched['reason']}"
            + (f", until {sched['until']}" if sched.get("until") else "")
        )
    if s.get("alert"):
        print(f"ALERT {s['alert']['rule']}: {s['alert']['title']}")
    for d in s.get("displays", []):
        print(f"display {d['display']}: {d['state']}" + (f" on {d['screen']}" if d.get("screen") else ""))
    for fid, h in (s.get("feeds") or {}).items():
        print(
            f"feed {fid}: {h['state']}, {h['posts']} posts"
            + (f", last error: {h['last_error']}" if h.get("last_error") else "")
        )
    mod = s.get("moderation")
    if mod:
        print(
            f"moderation: {mod.get('queue_size', 0)} waiting for approval"
            + (", KILL SWITCH ON" if mod.get("killed") else "")
        )
    if s.get("reload_error"):
        print(f"config reload rejected:\n{s['reload_error']}")
    return 0


def cmd_scenario(args) -> int:
    r = request(args, "POST", "/api/scenario", {"name": args.name, "wait": not args.no_wait})
    if r.get("frames") is not None:
        _say(args, r, f"showing {r['scenario']} (switched in {r['frames']} frames, {r['ms']:g} ms)")
    else:
        _say(args, r, f"{r['scenario']}: {'switching' if r.get('switched') else r.get('reason', 'unchanged')}")
    return 0


def _speed(text: str) -> float | str:
    """--speed: a number of file seconds per wall second, or 'max'."""
    if text == "max":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a speed; give a number like 60, or max") from None


def _simple(
    method: str,
    path: str | Callable[[argparse.Namespace], str],
    body_of: Callable[[argparse.Namespace], dict] | None = None,
    line_of: Callable[[Any, argparse.Namespace], str] | None = None,
) -> Callable[[argparse.Namespace], int]:
    """A client command: one request, one line of answer (or the API's JSON with --json)."""

    def run(args) -> int:
        r = request(args, method, path(args) if callable(path) else path, body_of(args) if body_of else None)
        _say(args, r, line_of(r, args) if line_of else json.dumps(r))
        return 0

    return run


COMMANDS: dict[str, tuple[str, Any, list[tuple[tuple, dict]]]] = {
    "status": ("the wall's state: scenario, frame times, displays, feeds, moderation", cmd_status, []),
    "scenario": (
        "switch to a scenario (waits until the wall shows it)",
        cmd_scenario,
        [(("name",), {}), (("--no-wait",), {"action": "store_true", "help": "return at once"})],
    ),
    "next": (
        "the next scenario",
        _simple("POST", "/api/next", line_of=lambda r, a: f"switching to {r['scenario']}"),
        [],
    ),
    "prev": (
        "the previous scenario",
        _simple("POST", "/api/prev", line_of=lambda r, a: f"switching to {r['scenario']}"),
        [],
    ),
    "resume": (
        "back to the schedule (ends an operator's choice)",
        _simple("POST", "/api/resume", line_of=lambda r, a: "following the schedule"),
        [],
    ),
    "spotlight": (
        "one zone fills the wall; without ZONE: back to the whole wall",
        _simple(
            "POST",
            "/api/spotlight",
            lambda a: {"zone": a.zone},
            lambda r, a: f"spotlight on {r['spotlight']}" if r["spotlight"] else "the whole wall again",
        ),
        [(("zone",), {"nargs": "?"})],
    ),
    "freeze": (
        "stop the content changing (animations go on)",
        _simple("POST", "/api/freeze", lambda a: {"on": True}, lambda r, a: "frozen"),
        [],
    ),
    "unfreeze": (
        "live content again",
        _simple("POST", "/api/freeze", lambda a: {"on": False}, lambda r, a: "live"),
        [],
    ),
    "lock": (
        "no scheduled or alert switch during a demo (time-limited)",
        _simple(
            "POST", "/api/lock", lambda a: {"on": True, "minutes": a.minutes}, lambda r, a: f"locked until {r['until']}"
        ),
        [(("--minutes",), {"type": float, "default": 30.0})],
    ),
    "unlock": (
        "end a presentation lock",
        _simple("POST", "/api/lock", lambda a: {"on": False}, lambda r, a: "unlocked"),
        [],
    ),
    "hide": (
        "hide a post from every screen now",
        _simple("POST", "/api/moderation/hide", lambda a: {"key": a.key}, lambda r, a: f"hidden: {a.key}"),
        [(("key",), {})],
    ),
    "unhide": (
        "show a hidden post again",
        _simple("POST", "/api/moderation/unhide", lambda a: {"key": a.key}, lambda r, a: f"no longer hidden: {a.key}"),
        [(("key",), {})],
    ),
    "approve": (
        "approve a post waiting in the queue",
        _simple("POST", "/api/moderation/approve", lambda a: {"key": a.key}, lambda r, a: f"approved: {a.key}"),
        [(("key",), {})],
    ),
    "reject": (
        "reject a post waiting in the queue",
        _simple("POST", "/api/moderation/reject", lambda a: {"key": a.key}, lambda r, a: f"rejected: {a.key}"),
        [(("key",), {})],
    ),
    "block": (
        "block an author (id or @handle) or a term, everywhere, at once",
        _simple(
            "POST",
            "/api/moderation/block",
            lambda a: {"kind": a.kind, "value": a.value},
            lambda r, a: f"blocked {a.kind} {a.value!r}",
        ),
        [(("kind",), {"choices": ["author", "term"]}), (("value",), {})],
    ),
    "unblock": (
        "lift a block",
        _simple(
            "POST",
            "/api/moderation/unblock",
            lambda a: {"kind": a.kind, "value": a.value},
            lambda r, a: f"unblocked {a.kind} {a.value!r}",
        ),
        [(("kind",), {"choices": ["author", "term"]}), (("value",), {})],
    ),
    "kill": (
        "the kill switch: the fallback scenario on the whole wall (--off ends it)",
        _simple(
            "POST",
            "/api/moderation/kill",
            lambda a: {"on": not a.off},
            lambda r, a: "kill switch OFF" if a.off else "kill switch ON",
        ),
        [(("--off",), {"action": "store_true"})],
    ),
    "ack": (
        "acknowledge a firing alert rule (stops repeats)",
        _simple("POST", lambda a: f"/api/alerts/{a.rule}/ack", None, lambda r, a: f"acknowledged {a.rule}"),
        [(("rule",), {})],
    ),
    "replay": (
        "play a recorded period of a replay feed at a chosen speed",
        _simple(
            "POST",
            "/api/replay",
            lambda a: {"feed": a.feed, "from": a.start, "speed": a.speed},
            lambda r, a: f"replaying {r['feed']} from {r['start'] or 'its start'} at {r['speed']}x",
        ),
        [
            (("feed",), {}),
            (("--from",), {"dest": "start", "help": "file time, ISO 8601"}),
            (("--speed",), {"type": _speed, "help": "file seconds per wall second, or max (as fast as it loads)"}),
        ],
    ),
    "reload": (
        "re-read the config file now (an invalid one is rejected; the wall keeps running)",
        _simple(
            "POST",
            "/api/reload",
            None,
            lambda r, a: f"reloaded ({', '.join(r.get('changed', [])) or 'nothing changed'})",
        ),
        [],
    ),
}


def add_commands(sub) -> None:
    for name, (help_, func, arguments) in COMMANDS.items():
        s = sub.add_parser(name, help=f"[client] {help_}")
        for a, kw in arguments:
            s.add_argument(*a, **kw)
        s.add_argument("--url", help=f"the wall's control API (default: WALL_URL or {DEFAULT_URL}); token: WALL_TOKEN")
        s.add_argument("--json", action="store_true", help="print the API's JSON answer")
        s.set_defaults(func=_guarded(func))


def _guarded(func):
    def run(args) -> int:
        try:
            return func(args)
        except Unreachable as exc:
            print(f"wallctl {args.command}: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE

    return run
