"""wallctl: check, inspect, render, run and benchmark a wall.

Every failure a user can cause ends in one clear line per problem and a non-zero exit, never a
traceback (`--debug` shows one for bug reports). Exit codes: 0 ok, 1 bad config, 2 bad usage,
3 no OpenGL, 4 a feed failed (`feed poll`, `render --poll`: the output names it; a render still
writes its pictures, with that feed's zones marked failing), 5 no wall answers (client commands),
70 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .assets import DEMO_CONFIG
from .errors import UsageError
from .outputs.registry import BACKENDS

EXIT_CONFIG, EXIT_USAGE, EXIT_GL, EXIT_FEED, EXIT_INTERNAL = 1, 2, 3, 4, 70


def _parse_time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise UsageError(f"--time '{text}' is not an ISO 8601 time; write e.g. 2026-11-23T09:30:00+01:00") from None
    if t.tzinfo is None:
        raise UsageError(
            f"--time '{text}' has no UTC offset; add one (e.g. 'Z' or '+01:00') so the render is unambiguous"
        )
    return t


def _load(path: str, warnings_to=sys.stderr):
    from .config.loader import load_config

    loaded = load_config(path)
    for w in loaded.warnings:
        print(w, file=warnings_to)
    return loaded


def _scenario(loaded, name: str | None) -> str:
    if name is None:
        return loaded.default_scenario
    if name not in loaded.scenarios:
        raise UsageError(f"unknown scenario '{name}'; scenarios: {', '.join(loaded.scenarios)}")
    return name


def _window(loaded, mode: str | None):
    """The config's `window:`, with --window-mode forced when given."""
    return loaded.config.window.model_copy(update={"mode": mode}) if mode else loaded.config.window


# ------------------------------------------------------------------ commands


def cmd_check(args) -> int:
    loaded = _load(args.config)
    if not args.no_legibility:
        from .checks import check_legibility, check_text_bezels

        t = _parse_time(args.time)
        for problem in [*check_legibility(loaded, t), *check_text_bezels(loaded, t)]:
            print(problem, file=sys.stderr)
            loaded.warnings.append(problem)
    wall = loaded.wall
    print(
        f"{args.config}: ok: '{loaded.config.name}', {len(wall.displays)} displays, canvas "
        f"{wall.canvas_w}x{wall.canvas_h} px, scenarios: {', '.join(loaded.scenarios)} "
        f"(default {loaded.default_scenario}), {len(loaded.warnings)} warning(s)"
    )
    return 0


def cmd_geometry(args) -> int:
    loaded = _load(args.config)
    data = loaded.wall.as_json()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(
        f"canvas {data['canvas']['w']}x{data['canvas']['h']} px at "
        f"{loaded.wall.pitch_x:.4f} x {loaded.wall.pitch_y:.4f} mm/px"
    )
    for d in data["displays"]:
        vp, mm = d["viewport"], d["mm"]
        print(
            f"  {d['id']:>4}  {d['resolution'][0]}x{d['resolution'][1]} rot {d['rotation']:>3}  "
            f"viewport {vp['w']}x{vp['h']}+{vp['x']}+{vp['y']}  "
            f"active {mm['w']:.1f}x{mm['h']:.1f} mm at ({mm['x']:.1f}, {mm['y']:.1f})"
        )
    return 0


def cmd_schema(args) -> int:
    from .config.schema import WallConfig

    schema = WallConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wall config"
    print(json.dumps(schema, indent=2))
    return 0


def cmd_render(args) -> int:
    from .runtime import PATTERNS, WallRuntime

    loaded = _load(args.config)
    t = _parse_time(args.time)
    scenario = _scenario(loaded, args.scenario)
    if args.pattern and args.pattern not in PATTERNS:
        raise UsageError(f"unknown pattern '{args.pattern}'; patterns: {', '.join(PATTERNS)}")
    store_path = Path(args.store) if args.store else None
    # --poll: the feeds' pictures (avatars, photos, custom emoji) are fetched too, as a live wall
    # does; started before the painters, which learn where the picture cache is when they start
    pictures = _render_pictures(loaded, store_path) if args.poll else None
    rt = WallRuntime(loaded, store_path=store_path)
    failed: list[str] = []
    try:
        if args.poll:
            failed = _poll_before_render(rt)
        if args.pattern:
            rt.use_pattern(args.pattern)
        else:
            rt.use_scenario(scenario)
        if pictures is not None:
            rt.settle(t)  # the frame's views ask for the pictures they show...
            pictures.wait_idle(loaded.config.pictures.timeout_s * 2 + 5)  # ...which arrive (or fail)
            h = pictures.health()
            print(f"pictures: {h['cached']} cached, {h['failed']} failed", file=sys.stderr)
            failures = h["failures"]
            assert isinstance(failures, list)
            for f in failures:
                print(f"picture {f['url']}: {f['reason']}", file=sys.stderr)
        written = rt.snapshot(t, Path(args.out))
    finally:
        rt.close()
        if pictures is not None:
            from .pictures import set_active

            pictures.stop()
            set_active(None)
    what = f"pattern {args.pattern}" if args.pattern else f"scenario {scenario}"
    print(f"rendered {what} at {t.isoformat()} to {args.out}/: {', '.join(p.name for p in written)}")
    if failed:
        # the pictures are written (the failed feeds' zones say so); the exit code tells a script
        # that this render does not show every feed's data, as `feed poll` does for one feed
        print(f"{len(failed)} feed(s) failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FEED
    return 0


def _render_pictures(loaded: Any, store_path: Path | None) -> Any:
    """The picture service of `render --poll` (None when the config turns fetching off)."""
    from .live import build_pictures
    from .pictures import set_active

    service = build_pictures(loaded, store_path)
    if service is not None:
        set_active(service.start())
    return service


def _poll_before_render(rt: Any) -> list[str]:
    """`render --poll`: one poll of every network feed, a line for each; the ids of those that failed."""
    started = time.monotonic()
    outcomes = rt.poll_feeds_once()
    if not outcomes:
        print("--poll: this config has no network feed to poll (the demo feed is computed)", file=sys.stderr)
    for o in outcomes:
        if o.error is None:
            print(f"feed {o.feed_id}: ok, {o.posts} post(s), {o.metrics} figure(s)")
        else:
            print(f"feed {o.feed_id}: failed: {o.error}", file=sys.stderr)
    if outcomes:
        print(f"polled {len(outcomes)} feed(s) in {time.monotonic() - started:.1f} s")
    return [o.feed_id for o in outcomes if o.error is not None]


def cmd_run(args) -> int:
    from .render.paint_pool import PaintPool

    # the paint workers start first: they load skia and the painters while this process imports
    # the rest of the wall and reads the config, and are ready for the first frame
    pool = PaintPool()
    pool.start()
    try:
        return _run(args, pool)
    finally:
        pool.close()  # the runtime closed it already, unless the wall never opened


def _run(args, pool) -> int:
    from .deploy import sd_notify
    from .live import LiveWall
    from .render.frame_loop import FixedClock
    from .store import default_store_path

    loaded = _load(args.config)
    fixed = _parse_time(args.fixed_time) if args.fixed_time else None
    choice = _scenario(loaded, args.scenario) if args.scenario else None
    # the live wall keeps its feeds' last good data on disk, so a restart shows the last wall at once
    store_path = None if args.store == "none" else Path(args.store or default_store_path(loaded.config.name))
    hub = getattr(args, "hub", False)
    if hub and not loaded.config.nodes:
        raise UsageError(f"{args.config} has no nodes: section; a hub needs the nodes it feeds (see the README)")
    try:
        live = LiveWall(
            loaded,
            args.backend,
            window=_window(loaded, args.window_mode),
            pool=pool,
            store_path=store_path,
            control_listen=args.control,
            watch=not args.no_watch,
            hub=hub,
            redis_url=getattr(args, "redis", None),
        )
    except ValueError as exc:  # a hub's group config that does not fit its room
        raise UsageError(str(exc)) from None
    rt = live.rt
    try:
        rt.start_feeds()
        loop = live.make_loop(FixedClock(fixed) if fixed else None)
        loop.stop_on_signals()
        after = _after_frames(
            loop,
            rt,
            args.status_every,
            lambda s: (
                f"wall: {s['frames']} frames, frame time p50 {s['p50_ms']:.1f} ms p99 {s['p99_ms']:.1f} ms, "
                f"{s['dropped']} dropped, showing {live.director.base}"
            ),
        )

        live.open(loop.clock.wall_time(loop.clock.monotonic()), choice)
        live.start_background()
        shown = "; ".join(
            f"{d.display_id} {d.state}{' on ' + d.screen if d.screen else ''}" for d in rt.backend.displays()
        )
        print(
            f"wall: running '{loaded.config.name}' scenario {live.director.base} ({live.director.reason}) "
            f"on {args.backend}"
            f"{' (' + rt.backend.mode + ' mode)' if getattr(rt.backend, 'mode', None) else ''} "
            f"({len(loaded.wall.displays)} displays, {loaded.config.fps:g} fps"
            f"{', time fixed at ' + fixed.isoformat() if fixed else ''}){': ' + shown if shown else ''}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        if live.control_note:
            print(f"wall: {live.control_note}", file=sys.stderr, flush=True)
        if live.hub is not None:
            from .room.bus import shown_url

            print(
                f"wall: hub of room {live.hub.keys.prefix} on {shown_url(live.hub.url)}, "
                f"feeding nodes {', '.join(loaded.config.nodes)}",
                file=sys.stderr,
                flush=True,
            )
        sd_notify.ready(f"running '{loaded.config.name}' scenario {live.director.base}")
        loop.run(live.frame, frames=args.frames, duration=args.duration, after_frame=after)
        if args.snapshot:
            t = loop.clock.wall_time(loop.clock.monotonic())
            rt.snapshot(t, Path(args.snapshot))
            print(f"wall: last frame written to {args.snapshot}/", file=sys.stderr)
        if args.capture:
            from .render.snapshot import write_snapshot

            written = write_snapshot(Path(args.capture), rt.loaded.wall, rt.backend.capture(rt.engine.compositor))
            print(
                f"wall: what the {args.backend} outputs show written to {args.capture}/ ({len(written)} files)",
                file=sys.stderr,
            )
    finally:
        sd_notify.stopping()
        live.close()
    s = loop.times.summary()
    print(
        json.dumps(
            {
                "frames": s["frames"],
                "dropped": s["dropped"],
                "frame_ms": {k: s[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
            }
        )
    )
    return 0


def _after_frames(loop: Any, rt: Any, every: float, line: Callable[[dict], str]) -> Callable[[int, float], None]:
    """What runs after each frame of `run` and `node`: the systemd watchdog pinged (only from here, so a
    hung loop stops the pings), a closed window or Escape ends the loop, a status line every `every` s."""
    from .deploy import sd_notify

    watchdog = sd_notify.Watchdog()
    last_report = [time.monotonic()]

    def after(n: int, work: float) -> None:
        watchdog.frame_done()
        if rt.backend.closed or "escape" in rt.keys:
            loop.stop()  # the window was closed, or Escape pressed on a desktop window
        rt.keys.clear()
        now = time.monotonic()
        if now - last_report[0] >= every:
            last_report[0] = now
            s = loop.times.summary()
            print(line(s), file=sys.stderr, flush=True)
            sd_notify.status(
                f"{s['frames']} frames, {loop.fps:g} fps target, p99 {s['p99_ms']:.1f} ms, {s['dropped']} dropped"
            )

    return after


def cmd_hub(args) -> int:
    """`wallctl run` as the hub of a room: the same live wall, its feeds and decisions on Redis."""
    args.hub = True
    return cmd_run(args)


def cmd_node(args) -> int:
    from .deploy import sd_notify
    from .room.node import NodeWall, UnknownNode
    from .store import default_store_path

    loaded = _load(args.config)
    fixed = _parse_time(args.fixed_time) if args.fixed_time else None
    default_path = default_store_path(f"{loaded.config.name}-{args.node}")
    store_path = None if args.store == "none" else Path(args.store or default_path)
    try:
        node = NodeWall(
            loaded,
            args.node,
            args.backend,
            url=args.redis,
            store_path=store_path,
            window=_window(loaded, args.window_mode),
            workers=args.workers,
        )
    except UnknownNode as exc:
        raise UsageError(str(exc)) from None
    rt = node.rt
    try:
        t0 = node.open(fixed)
        displays = ", ".join(d.id for d in node.loaded.wall.displays)
        # said before the heartbeats start: whoever sees this node up can read how it opened
        print(
            f"wall node {args.node}: displays {displays} on {args.backend}, opened at {t0.isoformat()} on "
            f"{rt.engine.plan.name if rt.engine.plan else '-'}; {node.startup_note}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        node.start_background()
        loop = node.make_loop(fixed)
        loop.stop_on_signals()
        after = _after_frames(
            loop,
            rt,
            args.status_every,
            lambda s: (
                f"wall node {args.node}: {s['frames']} frames, p99 {s['p99_ms']:.1f} ms, {s['dropped']} dropped, "
                f"showing {rt.engine.plan.name if rt.engine.plan else '-'}, decision {node.control_seq}, "
                f"{'linked' if node.link.connected else 'Redis unreachable: ' + str(node.link.last_error)}"
            ),
        )

        sd_notify.ready(f"node {args.node}: {displays}")
        loop.run(node.frame, frames=args.frames, duration=args.duration, after_frame=after)
        if args.capture:
            from .render.snapshot import write_snapshot, write_state
            from .room.bus import parse_time

            out = Path(args.capture)
            written = write_snapshot(out, node.loaded.wall, rt.backend.capture(rt.engine.compositor))
            beat = dict(node._beat)
            (out / "frame.json").write_text(json.dumps({"node": args.node, **beat}, indent=1))
            plan = rt.engine.plan
            if plan is not None:  # what each zone of the scenario shows (its view-model), as `render` writes it
                zones = {z.id: z.rect.as_dict() for z in plan.layout.zones}
                last = parse_time(beat["frame_time"]) if beat.get("frame_time") else t0
                write_state(out / "state.json", plan.name, last, zones, rt.views, rt.engine.text_boxes)
            print(f"wall node {args.node}: its displays written to {out}/ ({len(written)} files)", file=sys.stderr)
    finally:
        sd_notify.stopping()
        node.close()
    s = loop.times.summary()
    summary = {"node": args.node, "frames": s["frames"], "dropped": s["dropped"], "last_commit": node.last_commit}
    print(json.dumps(summary))
    return 0


def cmd_nodes(args) -> int:
    """Every node of a room as the hub sees them: up (its heartbeat) or down. Exit 1 if one is down."""
    import redis

    from .live import load_groups
    from .room.bus import RoomKeys, connect, room_prefix, shown_url

    loaded = _load(args.config)
    if not loaded.config.nodes:
        raise UsageError(f"{args.config} has no nodes: section")
    try:
        groups = load_groups(loaded)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    room = {name: n.displays for name, n in loaded.config.nodes.items()}
    for group in groups.values():
        room.update({name: n.displays for name, n in group.config.nodes.items()})
    keys = RoomKeys(room_prefix(loaded.config))
    client = connect(loaded.config.redis, args.redis)
    url = shown_url(args.redis or loaded.config.redis.url)
    try:
        texts = client.mget([keys.node(n) for n in room])
    except (redis.RedisError, OSError) as exc:
        raise UsageError(f"cannot read the room's nodes from Redis at {url}: {exc}") from None
    rows = []
    for name, text in zip(room, texts, strict=True):
        beat = json.loads(text) if text else None
        rows.append({"node": name, "state": "up" if beat else "down", **(beat or {})})
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            if r["state"] == "down":
                displays = ", ".join(room[r["node"]])
                print(f"{r['node']:<16} DOWN  (no heartbeat for over 3 s) displays {displays}")
                continue
            commit = r.get("last_commit") or {}
            print(
                f"{r['node']:<16} up    {r.get('scenario') or '-':<14} fps {r.get('fps', 0):>5}  "
                f"p99 {r.get('frame_ms_p99') or 0:>6.1f} ms  dropped {r.get('dropped_frames', 0):>4}  "
                f"clock {r.get('clock_offset_ms', 0):+.1f} ms  decision {r.get('control_seq')}  "
                f"data {r.get('data_age_s')} s old  displays {r.get('displays_alive')}/{len(r.get('displays', []))}"
                + (f"  last switch {commit.get('scenario')} at {commit.get('frame_time')}" if commit else "")
                + ("" if r.get("connected", True) else "  (Redis unreachable)")
            )
    return 0 if all(r["state"] == "up" for r in rows) else 1


def cmd_displays(args) -> int:
    from .outputs.registry import system_screens
    from .outputs.screens import NoScreens, bind_displays

    try:
        source, screens = system_screens()
    except NoScreens as exc:
        raise UsageError(f"cannot list screens: {exc}") from None
    bindings = []
    if args.config:
        loaded = _load(args.config)
        for b, d in zip(bind_displays(loaded.wall, screens), loaded.wall.displays, strict=True):
            size_ok = b.screen is None or (b.screen.width, b.screen.height) == d.resolution
            bindings.append(
                {
                    "display": d.id,
                    "screen": b.screen.name if b.screen else None,
                    "how": b.reason,
                    "resolution": list(d.resolution),
                    "resolution_matches": size_ok,
                }
            )
    if args.json:
        out = {"source": source, "screens": [s.as_dict() for s in screens]}
        if args.config:
            out["bindings"] = bindings
        print(json.dumps(out, indent=2))
        return 0
    print(f"{len(screens)} screen(s) reported by {source}:")
    for s in screens:
        hz = f"{s.refresh_hz:g} Hz" if s.refresh_hz else "? Hz"
        print(
            f"  [{s.index}] {s.name:<12} {s.width}x{s.height} at +{s.x}+{s.y}, {hz}{'  (primary)' if s.primary else ''}"
        )
    if args.config:
        print(f"displays of {args.config}:")
        for b in bindings:
            where = f"on {b['screen']}" if b["screen"] else "NO SCREEN"
            note = (
                ""
                if b["resolution_matches"]
                else (
                    f"  (configured {b['resolution'][0]}x{b['resolution'][1]}: "
                    "the picture will be scaled; fix the mode or the config)"
                )
            )
            print(f"  {b['display']:<6} {where:<14} ({b['how']}){note}")
    return 0


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def cmd_demo(args) -> int:
    """The demo wall, every scenario rendered headless to out/demo/ (works on any machine, with or
    without screens); `wallctl run config/demo.yaml --backend pyglet` shows it live on screens."""
    from .runtime import WallRuntime

    loaded = _load(str(DEMO_CONFIG))
    t = _parse_time(args.time)
    out = Path(args.out)
    if _has_display():
        print(
            "wallctl demo: to see it live on this machine's screens: wallctl run config/demo.yaml --backend pyglet "
            "(its 6 displays take the screens in reading order; `wallctl displays config/demo.yaml` shows which)",
            file=sys.stderr,
        )
    rt = WallRuntime(loaded)
    try:
        for name in loaded.scenarios:
            rt.use_scenario(name)
            rt.snapshot(t, out / name)
    finally:
        rt.close()
    print(f"Rendered the demo wall ({', '.join(loaded.scenarios)}) at {t.strftime('%Y-%m-%d %H:%M:%S %Z')} to {out}/")
    for name in loaded.scenarios:
        print(f"  {out / name / 'wall.png'}   (one PNG per display beside it)")
    return 0


def cmd_feed_list(args) -> int:
    from feeds.registry import ADAPTERS

    for name, what in sorted(ADAPTERS.items()):
        print(f"{name:16} {what}")
    return 0


def cmd_feed_poll(args) -> int:
    """One poll of one feed: each normalised item as a JSON line, then a health line. Exit 0 when
    the poll succeeded, 4 when the source failed (the health line says how)."""
    import asyncio

    from feeds.errors import FeedError
    from feeds.http import Fetcher
    from feeds.poller import poll_once

    from .runtime import feed_specs

    loaded = _load(args.config)
    if args.feed_id not in loaded.config.feeds:
        raise UsageError(
            f"no feed '{args.feed_id}' in {args.config}; feeds: {', '.join(loaded.config.feeds) or 'none'}"
        )
    fc = loaded.config.feeds[args.feed_id]
    now = datetime.now(UTC)
    if fc.adapter == "demo":
        from feeds import demo

        posts, metrics = demo.posts(now) + demo.headlines(now), demo.metrics(now)
        health = {"state": "ok", "last_success": now.isoformat(), "last_error": None}
    else:
        spec = next(s for s in feed_specs(loaded) if s.feed_id == args.feed_id)

        async def once():
            async with Fetcher() as fetcher:
                return await poll_once(spec, fetcher, {}, now)

        try:
            result = asyncio.run(once())
            posts, metrics = result.posts, result.metrics
            health = {
                "state": "degraded" if result.skipped else "ok",
                "last_success": now.isoformat(),
                "last_error": None,
                "not_modified": result.not_modified,
                "cursor": result.cursor,
                "more": result.more,  # the source has more due: the next poll would come at once
            }
            if result.skipped:  # what the source sent that could not be used, and where
                health["notes"] = [
                    f"{s.count} {reason}" + (f" ({'; '.join(s.examples)})" if s.examples else "")
                    for reason, s in result.skipped.items()
                ]
        except FeedError as exc:
            posts, metrics = [], {}
            health = {
                "state": "credentials" if exc.kind == "credentials" else "failing",
                "last_success": None,
                "last_error": f"{exc.kind}: {exc}",
                "retry_after": exc.retry_after,
            }
    for post in posts:
        print(
            json.dumps(post.model_dump(mode="json"), ensure_ascii=False)
            if args.json
            else f"{post.published_at:%Y-%m-%d %H:%M} {post.author.name or post.author.handle}: {post.text[:100]}"
        )
    for metric in metrics.values():
        print(
            json.dumps(metric.model_dump(mode="json"), ensure_ascii=False)
            if args.json
            else f"metric {metric.name}: "
            f"{metric.value if metric.value is not None else '(series/breakdown)'} {metric.unit}"
        )
    print(
        json.dumps({"health": health}) if args.json else f"health: {health['state']} {health.get('last_error') or ''}"
    )
    return 0 if health["state"] == "ok" else 4


def cmd_kiosk_install(args) -> int:
    """Write the systemd unit that runs CONFIG as a kiosk; print how to enable it (never runs systemctl)."""
    from .config.base import env_var_name
    from .deploy.systemd import SYSTEM_UNIT_DIR, USER_UNIT_DIR, KioskUnit, credential_env_vars, slug

    loaded = _load(args.config)  # a config that does not load is never installed
    role = "hub" if getattr(args, "hub_install", False) else "node" if getattr(args, "node", None) else "run"
    node = getattr(args, "node", None)
    if role == "node" and node not in loaded.config.nodes:
        known = ", ".join(loaded.config.nodes) or "none: add a nodes: section"
        raise UsageError(f"{args.config} has no node '{node}' (nodes: {known})")
    if role == "hub" and not loaded.config.nodes:
        raise UsageError(f"{args.config} has no nodes: section; a hub needs the nodes it feeds")
    default_name = loaded.config.name + ("-hub" if role == "hub" else f"-{node}" if role == "node" else "")
    name = slug(args.name if args.name is not None else default_name)
    if not name:
        raise UsageError("the unit needs a name made of letters or digits; give one with --name")
    if args.run_as and args.user:
        raise UsageError("--run-as is for system units; a --user unit runs as the user who enables it")
    displays = len(loaded.config.nodes[node].displays) if role == "node" and node else len(loaded.wall.displays)
    backend = args.backend or ("headless" if role == "hub" else "kiosk" if displays == 1 else "pyglet")
    if backend == "kiosk" and displays != 1:
        raise UsageError(
            f"the kiosk backend drives one screen; {'node ' + node if role == 'node' else args.config} has "
            f"{displays} displays: use --backend pyglet"
        )
    display = args.display
    if display is None and backend == "pyglet":
        display = os.environ.get("DISPLAY") or ":0"  # desktop windows need an X display; the local one
    env_vars = set(credential_env_vars(loaded)) if role != "node" else set()  # a node never calls an API
    for ref in (loaded.config.redis.username, loaded.config.redis.password):
        if ref and role != "run":
            env_vars.add(env_var_name(ref))
    unit = KioskUnit(
        name,
        loaded.path.resolve(),
        tuple(sorted(env_vars)),
        backend=backend,
        graphical=not args.no_graphical and role != "hub",
        role=role,
        node=node,
        redis_url=getattr(args, "redis", None),
        user=args.user,
        run_as=args.run_as,
        display=display,
    )
    unit_dir = Path(args.unit_dir) if args.unit_dir else (USER_UNIT_DIR if args.user else SYSTEM_UNIT_DIR)
    path = unit_dir.expanduser() / unit.file_name
    text = unit.render()
    if path.exists() and not args.force:
        if path.read_text() == text:
            for line in unit.enable_instructions(path):
                print(line.replace("wrote", "unchanged:", 1) if line.startswith("wrote ") else line)
            return 0
        raise UsageError(
            f"{path} exists and differs from the unit for this config; "
            f"rerun with --force to replace it, or choose another --name"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except PermissionError:
        raise UsageError(
            f"cannot write {path} (permission denied); run with sudo, or install a user unit with --user"
        ) from None
    for line in unit.enable_instructions(path):
        print(line)
    return 0


def cmd_doctor(args) -> int:
    from .doctor import run_checks

    checks = run_checks(args.config)
    for check in checks:
        print(check.line(), flush=True)
    problems = sum(not c.ok for c in checks)
    print(f"{problems} problem(s)" if problems else "no problems")
    return 0 if problems == 0 else 1


def cmd_identify(args) -> int:
    """Each display shows its id, resolution and output in huge type (headless: written to --out)."""
    from .installer import run_identify
    from .runtime import WallRuntime

    loaded = _load(args.config)
    if args.backend == "headless" and not args.out:
        raise UsageError(
            "the headless backend shows nothing on a screen; give --out DIR to write what each "
            "display would show, or choose --backend pyglet or kiosk"
        )
    rt = WallRuntime(loaded, args.backend, window=_window(loaded, args.window_mode))
    try:
        written = run_identify(rt, args.duration, Path(args.out) if args.out else None)
    finally:
        rt.close()
    if written:
        print(f"identify: written to {args.out}/: {', '.join(p.name for p in written)}", file=sys.stderr)
    return 0


def cmd_calibrate(args) -> int:
    """The bezel pattern, adjusted with keys until lines run straight; Enter prints the YAML to paste."""
    from .installer import parse_keys, run_calibrate, step_mm
    from .runtime import WallRuntime

    try:
        script, step = parse_keys(args.keys), step_mm(args.step)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    loaded = _load(args.config)
    if args.backend == "headless" and not any(k in ("enter", "escape", "q") for k in script):
        raise UsageError(
            "the headless backend has no keyboard: give the keys with --keys, ending with enter "
            '(accept) or escape (leave), e.g. --keys "right right enter"'
        )
    rt = WallRuntime(loaded, args.backend, window=_window(loaded, args.window_mode))
    try:
        accepted, cal = run_calibrate(rt, script, step)
        if args.out:
            written = rt.snapshot(_parse_time(None), Path(args.out))
            print(f"calibrate: pattern written to {args.out}/: {', '.join(p.name for p in written)}", file=sys.stderr)
    finally:
        rt.close()
    if not accepted:
        print("calibration cancelled; nothing to paste", file=sys.stderr)
        return 1
    sys.stdout.write(cal.yaml(args.config))
    return 0


def cmd_bench(args) -> int:
    from .bench import feed_bench, run_bench

    if args.nodes:
        from .room.bench import room_bench

        print(json.dumps(room_bench(args.nodes, args.rounds, args.rate or 200), indent=2))
        return 0
    if args.soak and not args.feeds:
        from .soak import wall_soak

        if args.config is None:
            raise UsageError("give a CONFIG to soak (a feed of --rate posts a second is added to it)")
        _load(args.config)
        out = Path(args.out) if args.out else None
        result = wall_soak(Path(args.config), args.soak, args.switch_every, 8 if args.rate is None else args.rate, out)
        print(json.dumps(result["summary"], indent=2))
        return 0
    if args.feeds and args.soak:
        from .bench import feed_soak

        print(json.dumps(feed_soak(args.rate or 2000, args.soak), indent=2))
        return 0
    if args.feeds:
        print(json.dumps(feed_bench(args.posts), indent=2))
        return 0
    if args.startup or args.memory is not None:
        from .process_bench import memory_bench, startup_bench

        if args.config is None:
            raise UsageError("give the CONFIG whose `wallctl run` to measure")
        _load(args.config)  # a bad config is reported as such, before anything starts
        if args.startup:
            print(json.dumps(startup_bench(Path(args.config), args.rounds), indent=2))
        if args.memory is not None:
            print(json.dumps(memory_bench(Path(args.config), args.memory), indent=2))
        return 0
    if args.transitions:
        from .bench import transitions_bench

        if args.config is None:
            raise UsageError("give a CONFIG with two scenarios to measure its transitions")
        loaded = _load(args.config)
        print(json.dumps(transitions_bench(loaded, args.duration, args.zone), indent=2))
        return 0
    if args.switch:
        from .bench import switch_bench

        if args.config is None:
            raise UsageError("give a CONFIG whose scenario switches to measure")
        _load(args.config)  # a bad config is reported as such, before anything starts
        print(json.dumps(switch_bench(args.config, args.rounds), indent=2))
        return 0
    if args.config is None:
        raise UsageError("give a CONFIG to benchmark its frames, or --feeds for the feed pipeline")
    loaded = _load(args.config)
    if args.burst:
        from .bench import burst_bench

        print(json.dumps(burst_bench(loaded, args.burst), indent=2))
        return 0
    scenario = _scenario(loaded, args.scenario)
    if args.backend == "headless":
        result = run_bench(loaded, scenario, args.frames, paced=not args.unpaced)
    else:
        # windowed figures next to headless ones of the same run, so the difference is the windows'
        window = _window(loaded, args.window_mode)
        # headless in a child process: EGL and GLX contexts do not mix in one thread (glvnd refuses
        # to make the second API current), and a fresh process is a fair comparison anyway
        cmd = [
            sys.executable,
            "-m",
            "wall.cli",
            "bench",
            args.config,
            "--scenario",
            scenario,
            "--frames",
            str(args.frames),
        ] + (["--unpaced"] if args.unpaced else [])
        child = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DISPLAY": ""})
        if child.returncode != 0:
            raise RuntimeError(f"the headless half of the benchmark failed: {child.stderr.strip()[-500:]}")
        headless = json.loads(child.stdout)
        for key in ("paint_ms_per_zone", "card_280_chars"):
            headless.pop(key, None)
        windowed = run_bench(
            loaded, scenario, args.frames, paced=not args.unpaced, backend=args.backend, window=window, details=False
        )
        result = {"headless": headless, args.backend: windowed}
    print(json.dumps(result, indent=2))
    return 0


# ------------------------------------------------------------------ parser


def _output_arguments(s: argparse.ArgumentParser, backend_help: str, window_help: str) -> None:
    """--backend and --window-mode: where a command that draws puts its picture."""
    s.add_argument("--backend", default="headless", choices=list(BACKENDS), help=backend_help)
    s.add_argument("--window-mode", choices=["auto", "span", "per-screen"], help=window_help)


def _run_arguments(s: argparse.ArgumentParser) -> None:
    """`run` and `hub`: the same live wall."""
    s.add_argument("config")
    _output_arguments(
        s,
        "headless (no screen), pyglet (desktop windows), kiosk (SDL2, one screen, no desktop needed)",
        "pyglet: one window spanning the screens, or one per screen (default: the config's window.mode)",
    )
    s.add_argument(
        "--fixed-time",
        metavar="TIME",
        help="show every frame at this ISO 8601 instant (to compare the screens with `wallctl render --time`)",
    )
    s.add_argument(
        "--capture",
        metavar="DIR",
        help="when stopping, write what each display's window shows (read back from the window) to DIR",
    )
    s.add_argument("--scenario")
    s.add_argument("--frames", type=int, help="stop after N frames")
    s.add_argument("--duration", type=float, help="stop after S seconds")
    s.add_argument("--snapshot", help="when stopping, write the last frame's PNGs to this folder")
    s.add_argument("--status-every", type=float, default=10.0, help="seconds between status lines")
    s.add_argument(
        "--control",
        metavar="HOST:PORT",
        help="where the control API and console listen (default: the config's control.listen, "
        "127.0.0.1:8750); 'none' for no API",
    )
    s.add_argument("--no-watch", action="store_true", help="do not reload the config file when it changes")
    s.add_argument(
        "--store",
        help="SQLite file keeping the feeds' last good data (default: under "
        "~/.local/state/wall/); 'none' keeps it in memory only",
    )


def _install_arguments(k: argparse.ArgumentParser) -> None:
    """`kiosk install` and `hub install`: where and how the systemd unit is written."""
    k.add_argument("config")
    k.add_argument("--name", help="the unit is wall-NAME.service (default: a slug of the config's name)")
    k.add_argument(
        "--unit-dir",
        help="where to write the unit (default: /etc/systemd/system, or ~/.config/systemd/user with --user)",
    )
    k.add_argument("--user", action="store_true", help="a user unit (systemctl --user) instead of a system one")
    k.add_argument(
        "--backend",
        choices=list(BACKENDS),
        help="kiosk (default for one display): SDL fullscreen on the console or a desktop; pyglet "
        "(default for several): desktop windows; headless: no screen",
    )
    k.add_argument("--display", help="draw on this X display (e.g. :0) instead of the console")
    k.add_argument(
        "--run-as",
        metavar="USER",
        help="run the wall as USER (system units; default root); adds the video, render and input groups",
    )
    k.add_argument("--no-graphical", action="store_true", help="start with multi-user.target, not graphical.target")
    k.add_argument("--force", action="store_true", help="replace an existing, different unit of that name")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wallctl", description="Check, render, run and benchmark a video wall.")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("check", help="validate a wall config (exit 0 when valid)")
    s.add_argument("config")
    s.add_argument(
        "--no-legibility", action="store_true", help="skip painting zones to check text sizes and text across bezels"
    )
    s.add_argument("--time", help="ISO 8601 time the legibility check paints at; default: now")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("geometry", help="canvas size and every display's viewport")
    s.add_argument("config")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_geometry)

    s = sub.add_parser("schema", help="print the config's JSON Schema (for YAML editors)")
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("render", help="render one frame headless: a PNG per display and wall.png")
    s.add_argument("config")
    s.add_argument("--scenario")
    s.add_argument("--time", help="ISO 8601 time with offset; default: now")
    s.add_argument("--pattern", help="draw a test pattern instead of a scenario: bezel or grid")
    s.add_argument(
        "--store",
        help="show the feeds' data kept in this SQLite file by `wallctl run --store` "
        "(default: none; network feeds then show 'waiting for data' unless --poll)",
    )
    s.add_argument(
        "--poll",
        action="store_true",
        help="poll every network feed once before rendering, so the render shows their data now, and "
        "fetch the pictures it shows; each feed's outcome is printed, and a feed that failed makes the exit code 4",
    )
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("run", help="run the live wall")
    _run_arguments(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("hub", help="run the hub of a room over several machines: feeds, decisions, the one API")
    _run_arguments(s)
    s.add_argument("--redis", metavar="URL", help="redis:// or rediss:// URL (default: the config's redis.url)")
    s.set_defaults(func=cmd_hub)

    s = sub.add_parser("node", help="run one node of a room: its displays, following the hub through Redis")
    s.add_argument("config")
    s.add_argument("--node", required=True, help="the node's name in the config's nodes: section")
    s.add_argument("--workers", type=int, help="paint worker processes (default: one per CPU)")
    s.add_argument("--redis", metavar="URL", help="redis:// or rediss:// URL (default: the config's redis.url)")
    _output_arguments(
        s,
        "headless (no screen), pyglet (desktop windows), kiosk (SDL2, one screen, no desktop needed)",
        "pyglet: one window spanning the screens, or one per screen (default: the config's window.mode)",
    )
    s.add_argument("--fixed-time", metavar="TIME", help="show every frame at this ISO 8601 instant")
    s.add_argument("--capture", metavar="DIR", help="when stopping, write its displays' pictures and frame.json to DIR")
    s.add_argument("--frames", type=int, help="stop after N frames")
    s.add_argument("--duration", type=float, help="stop after S seconds")
    s.add_argument("--status-every", type=float, default=10.0, help="seconds between status lines")
    s.add_argument(
        "--store",
        help="SQLite file keeping the hub's data for offline starts (default: under ~/.local/state/wall/); "
        "'none' keeps it in memory only",
    )
    s.set_defaults(func=cmd_node)

    s = sub.add_parser("hub-install", help="`wallctl hub install CONFIG`: the hub's systemd unit (after redis-server)")
    _install_arguments(s)
    s.add_argument("--redis", metavar="URL", help="the room's Redis (default: the config's redis.url)")
    s.set_defaults(func=cmd_kiosk_install, hub_install=True)

    s = sub.add_parser("nodes", help="the nodes of a room: up with their heartbeat, or down (exit 1 if one is down)")
    s.add_argument("config")
    s.add_argument("--redis", metavar="URL", help="redis:// or rediss:// URL (default: the config's redis.url)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_nodes)

    s = sub.add_parser("displays", help="the screens the system reports; with CONFIG, which display goes on which")
    s.add_argument("config", nargs="?")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_displays)

    s = sub.add_parser("feed", help="feed adapters: list them, or poll one feed once")
    feed_sub = s.add_subparsers(dest="feed_command", required=True, metavar="ACTION")
    f = feed_sub.add_parser("list", help="the adapter names")
    f.set_defaults(func=cmd_feed_list)
    f = feed_sub.add_parser("poll", help="poll one feed of a config and print what it returns")
    f.add_argument("config")
    f.add_argument("feed_id")
    f.add_argument("--once", action="store_true", help="one poll (the only mode for now)")
    f.add_argument("--json", action="store_true", help='one JSON object per line, then {"health": ...}')
    f.set_defaults(func=cmd_feed_poll)

    s = sub.add_parser("demo", help="the demo wall (config/demo.yaml)")
    s.add_argument("--out", default="out/demo")
    s.add_argument("--time", help="ISO 8601 time with offset; default: now")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("kiosk", help="deploy a wall as a kiosk service")
    kiosk_sub = s.add_subparsers(dest="kiosk_command", required=True, metavar="ACTION")
    k = kiosk_sub.add_parser("install", help="write a systemd unit that runs CONFIG at boot (prints how to enable it)")
    _install_arguments(k)
    k.add_argument("--node", help="a node of a room: the unit runs `wallctl node CONFIG --node NODE`")
    k.add_argument("--redis", metavar="URL", help="with --node: the room's Redis (default: the config's redis.url)")
    k.set_defaults(func=cmd_kiosk_install)

    s = sub.add_parser("doctor", help="check GL, fonts, screens, a config and its credentials; say how to fix")
    s.add_argument("config", nargs="?")
    s.set_defaults(func=cmd_doctor)

    calibrate_help = "the bezel pattern, adjusted with the arrow keys until lines run straight; Enter prints YAML"
    for name, what in (
        ("identify", "every display shows its id, resolution and output in huge type"),
        ("calibrate", calibrate_help),
    ):
        s = sub.add_parser(name, help=what)
        s.add_argument("config")
        _output_arguments(
            s,
            "headless (writes PNGs to --out), pyglet (desktop windows), kiosk (SDL2)",
            "pyglet: one window spanning the screens, or one per screen",
        )
        s.add_argument(
            "--out",
            metavar="DIR",
            help="write what each display shows (a PNG per display, wall.png) "
            "to DIR (identify needs it with the headless backend)",
        )
    s = sub.choices["identify"]
    s.add_argument(
        "--duration",
        type=float,
        default=30.0,
        help="stop after S seconds (default 30); Escape, q or Enter stops sooner",
    )
    s.set_defaults(func=cmd_identify)
    s = sub.choices["calibrate"]
    s.add_argument(
        "--keys",
        metavar="KEYS",
        help="keys to apply first, one per frame (how the headless "
        "backend and SSH sessions drive it): left right up down, shift+..., r, enter, escape",
    )
    s.add_argument("--step", type=float, default=0.1, help="mm per arrow key (default 0.1; with shift: 1 mm)")
    s.set_defaults(func=cmd_calibrate)

    s = sub.add_parser("bench", help="frame-time benchmark, or --feeds: the feed pipeline (JSON)")
    s.add_argument("config", nargs="?")
    s.add_argument("--feeds", action="store_true", help="normalise + dedup + store throughput instead")
    s.add_argument(
        "--switch",
        action="store_true",
        help="scenario switches through the control API: call -> first frame of the new scenario",
    )
    s.add_argument(
        "--transitions",
        action="store_true",
        help="frames a second during crossfade, slide, wipe and a spotlight's zoom in and out (unpaced)",
    )
    s.add_argument(
        "--startup",
        action="store_true",
        help="`wallctl run CONFIG` started --rounds times: seconds to its first complete frame",
    )
    s.add_argument(
        "--memory",
        type=float,
        metavar="SECONDS",
        help="`wallctl run CONFIG` left running SECONDS: RSS and PSS of it and every process it started",
    )
    s.add_argument("--duration", type=float, default=5.0, help="with --transitions: seconds each transition lasts")
    s.add_argument("--zone", help="with --transitions: the zone spotlit (default: the largest)")
    s.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="with --switch: passes over every scenario; --nodes: switches; --startup: runs",
    )
    s.add_argument(
        "--nodes",
        type=int,
        metavar="N",
        help="a room on this machine: redis-server, a hub and N headless nodes (one small display each); "
        "switch latency to the last node, Redis CPU and memory, bytes per node (--rate posts/s fed)",
    )
    s.add_argument(
        "--burst",
        type=int,
        metavar="POSTS",
        help="a running wall receiving POSTS new posts within one second (frame times during the burst)",
    )
    s.add_argument("--posts", type=int, default=100_000, help="with --feeds: how many posts")
    s.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="with --feeds: memory over MINUTES of posts at --rate a second; with CONFIG: a `wallctl run` "
        "process over MINUTES with a feed of --rate posts/s (default 8; 0: none) and a switch every --switch-every s",
    )
    s.add_argument(
        "--switch-every", type=float, default=10.0, help="with CONFIG --soak: seconds between switches (0: none)"
    )
    s.add_argument("--out", help="with CONFIG --soak: write the samples here as they come (JSON)")
    s.add_argument(
        "--rate", type=int, help="posts a second: --feeds --soak (default 2000), --nodes (200), CONFIG --soak (8)"
    )
    s.add_argument("--frames", type=int, default=300)
    s.add_argument("--scenario")
    s.add_argument("--unpaced", action="store_true", help="do not wait for frame slots (simulated time)")
    _output_arguments(
        s,
        "a windowed backend: its figures next to headless ones from the same run",
        "pyglet: one window spanning the screens, or one per screen",
    )
    s.set_defaults(func=cmd_bench)
    # the running wall's control API, from the command line
    from .control.client import add_commands

    add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, word in enumerate(argv):  # `wallctl hub install CONFIG`: the hub's unit, not a hub named "install"
        if not word.startswith("-"):
            if word == "hub" and argv[i + 1 : i + 2] == ["install"]:
                argv[i : i + 2] = ["hub-install"]
            break
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(name)s: %(message)s")
    from .config.errors import ConfigError
    from .render.gl import GLUnavailable

    try:
        return args.func(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as exc:
        print(f"wallctl {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GLUnavailable as exc:
        print(f"wallctl {args.command}: {exc}", file=sys.stderr)
        return EXIT_GL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"wallctl {args.command}: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
