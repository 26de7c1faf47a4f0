"""`wallctl bench`: frame-time figures of the real frame loop, next to the floor of any composite.

The floor is one 1:1 framebuffer blit of a prepared full-size image into each output, measured in
the same run and the same process between frames: no compositor can do less per frame than that
for a fully changing wall. `shaded_pass` is one textured full-output quad per output, what a naive
compositor that redraws everything through a shader pays every frame. Our frame time should sit
near the floor when little changes (dirty rectangles), far below the shaded pass.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime, timedelta

import moderngl
import numpy as np

from .config.loader import LoadedConfig
from .render import gl
from .render.frame_loop import FrameLoop, SteppedClock, SystemClock, percentiles_ms
from .runtime import WallRuntime


class _Floor:
    """Prepared full-size images and scratch targets, one per output."""

    def __init__(self, ctx: moderngl.Context, sizes: list[tuple[int, int]]):
        rng = np.random.default_rng(7)
        self.ctx = ctx
        self.pairs = []
        for w, h in sizes:
            src_t = ctx.texture((w, h), 4, rng.integers(0, 255, (h, w, 4), dtype=np.uint8).tobytes())
            dst_t = ctx.texture((w, h), 4)
            self.pairs.append((src_t, ctx.framebuffer([src_t]), dst_t, ctx.framebuffer([dst_t])))
        self.prog = gl.program(ctx, "zone_quad")
        quad = np.array([0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1], "f4")
        self.vbo = ctx.buffer(quad.tobytes())
        self.vao = ctx.vertex_array(self.prog, [(self.vbo, "2f 2f", "in_pos", "in_uv")])

    def blit(self) -> float:
        t = time.perf_counter()
        for src_t, src, _dst_t, dst in self.pairs:
            if gl.blit_available():
                gl.blit(src, dst, 0, 0, src_t.width, src_t.height, 0, 0)
            else:
                self.ctx.copy_framebuffer(dst, src)
        self.ctx.finish()
        return time.perf_counter() - t

    def shaded(self) -> float:
        t = time.perf_counter()
        for src_t, _, _dst_t, dst in self.pairs:
            dst.use()
            self.prog["u_output_size"].value = (1.0, 1.0)
            src_t.use(0)
            self.vao.render(moderngl.TRIANGLES)
        self.ctx.finish()
        return time.perf_counter() - t

    def release(self) -> None:
        for a, b, c, d in self.pairs:
            for obj in (b, a, d, c):
                obj.release()
        self.vao.release()
        self.vbo.release()
        self.prog.release()


def paint_costs(loaded: LoadedConfig, scenario: str, t: datetime, repeats: int = 3) -> dict[str, dict]:
    """Median time to paint each zone of a scenario once (what a worker process spends when the
    zone's content changes; never on the render thread)."""
    from .painters.registry import painter
    from .scenes.views import SceneViews
    from .store import Store

    plan = loaded.scenarios[scenario]
    store = Store.from_config(loaded.config)
    try:
        views = SceneViews(loaded, store).frame(plan, t).views
    finally:
        store.close()
    out = {}
    for zone_id, (name, view) in views.items():
        rect = plan.layout.zone(zone_id).rect
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            painter(name).paint(view, rect.w, rect.h)
            samples.append((time.perf_counter() - t0) * 1000)
        out[zone_id] = {"widget": name, "size": [rect.w, rect.h], "paint_ms": round(float(np.median(samples)), 2)}
    return out


CARD_TEXT = (
    "Merci Orange ❤️ شكراً جزيلاً for fixing the fibre in Dakar so fast! The technician came at 8:00, explained "
    "everything, and the new box is twice as fast. 🚀 Still waiting for the invoice correction though — "
    "the care team on X said 48 h. We'll see. 🤞 #service #fibre #merci"
)


def card_paint_cost(repeats: int = 7) -> dict:
    """Cost of painting one top_posts card holding a 280-character multilingual post (with emoji
    and Arabic), as a worker process pays it; median of `repeats` after one warm-up paint."""
    from types import MappingProxyType

    from feeds.model import Author, Post, PostMetrics

    from .config.schema import ThemeConfig
    from .store import FeedHealth, FeedSnapshot
    from .widgets.base import BuildContext, ThemeView
    from .widgets.registry import widget

    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    text = (CARD_TEXT * 2)[:280]
    post = Post(
        key="bench:1",
        source="bench",
        network="x",
        published_at=now,
        text=text,
        author=Author(id="bench:a", handle="@fatou_diop", name="Fatou Diop", followers=88000, verified=True),
        metrics=PostMetrics(likes=1200, reposts=230, replies=88),
    )
    snap = FeedSnapshot("bench", (post,), MappingProxyType({}), now, FeedHealth("ok", now))
    module = widget("top_posts")
    w, h = 960, 540
    ctx = BuildContext("card", w, h, (0, 0), (0.63, 0.63), now, ThemeView.from_config(ThemeConfig()), snap)
    view = module.build(module.Options(widget="top_posts", count=1), ctx)
    module.paint(view, w, h)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        module.paint(view, w, h)
        samples.append((time.perf_counter() - t0) * 1000)
    return {
        "chars": len(text),
        "size": [w, h],
        "paint_ms": round(float(np.median(samples)), 2),
        "upload_bytes": w * h * 4,
    }


def run_bench(
    loaded: LoadedConfig,
    scenario: str,
    frames: int,
    paced: bool = True,
    shaded_samples: int = 10,
    backend: str = "headless",
    window=None,
    details: bool = True,
) -> dict:
    """Frame times of `frames` frames of the real loop on `backend`. `details`: also the paint costs
    per zone and of a 280-character card (the same on every backend, so measured once)."""
    rt = WallRuntime(loaded, backend, window=window)
    if hasattr(rt.backend, "measure"):
        rt.backend.measure = True
    try:
        rt.use_scenario(scenario)
        start = datetime.now(UTC)
        t_settle = time.perf_counter()
        rt.settle(start)
        rt.ctx.finish()
        first_frame_ms = (time.perf_counter() - t_settle) * 1000
        floor = _Floor(rt.ctx, [d.resolution for d in loaded.wall.displays])
        floor_s: list[float] = []
        totals = {"paints": 0, "uploads": 0, "uploaded_bytes": 0, "composited_px": 0}

        def render(t: datetime) -> None:
            report = rt.frame(t)
            totals["paints"] += report.painted
            totals["uploads"] += report.uploads
            totals["uploaded_bytes"] += report.uploaded_bytes
            totals["composited_px"] += report.compose.pixels

        def after(n: int, work: float) -> None:
            floor_s.append(floor.blit())

        loop = FrameLoop(loaded.config.fps, SystemClock() if paced else SteppedClock(start))
        loop.run(render, frames=frames, after_frame=after)
        shaded_s = [floor.shaded() for _ in range(shaded_samples)]
        gl.check(rt.ctx, "benchmark")
        floor.release()
        summary = loop.times.summary()
        frame_ms = {k: summary[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}
        floor_ms = percentiles_ms(np.array(floor_s) * 1000)
        shaded_ms = percentiles_ms(np.array(shaded_s) * 1000)
        n = max(1, summary["frames"])
        result = {
            "config": str(loaded.path),
            "scenario": scenario,
            "renderer": rt.ctx.info.get("GL_RENDERER", "?"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "canvas": {"w": loaded.wall.canvas_w, "h": loaded.wall.canvas_h},
            "displays": len(loaded.wall.displays),
            "fps_target": loaded.config.fps,
            "paced": paced,
            "frames": summary["frames"],
            "dropped_frames": summary["dropped"],
            "frame_ms": frame_ms,
            "floor_blit_ms": floor_ms,
            "ratio_frame_to_floor": {
                "p50": round(frame_ms["p50_ms"] / floor_ms["p50_ms"], 3) if floor_ms["p50_ms"] else None,
                "p99": round(frame_ms["p99_ms"] / floor_ms["p99_ms"], 3) if floor_ms["p99_ms"] else None,
            },
            "shaded_full_pass_ms": shaded_ms,
            "first_complete_frame_ms": round(first_frame_ms, 1),
            "paints": totals["paints"],
            "uploads": totals["uploads"],
            "uploaded_mb": round(totals["uploaded_bytes"] / 1e6, 2),
            "composited_px_per_frame": round(totals["composited_px"] / n),
        }
        if details:
            result["paint_ms_per_zone"] = paint_costs(loaded, scenario, start)
            result["card_280_chars"] = card_paint_cost()
        present = getattr(rt.backend, "present_times", None)
        if present:
            arr = np.array(present) * 1000
            result["backend"] = backend
            result["window_mode"] = getattr(rt.backend, "mode", None)
            result["windows"] = len(getattr(rt.backend, "windows", []))
            result["present_ms"] = {
                "finish_compositing": percentiles_ms(arr[:, 0]),
                "blit_into_windows": percentiles_ms(arr[:, 1]),
                "swap": percentiles_ms(arr[:, 2]),
            }
        return result
    finally:
        rt.close()


def feed_bench(n: int = 100_000, batch: int = 100, duplicate_share: float = 0.2) -> dict:
    """The ingest path, one core, for two kinds of input: Mastodon statuses (the vendor's JSON, as the
    API serves it, through the adapter's parser) and replay rows (a recorded day's CSV, read into the
    replay index and delivered at `speed: max`). Each goes into a store in poll-sized batches (a
    share of the statuses delivered twice: sources deliver at least once), with moderation priming
    the new posts' text, the figures' counters counting every post and the figures recomputed as the
    live wall does, under the live wall's garbage-collection policy. No network, no SQLite."""
    from .live import calm_garbage_collection

    calm_garbage_collection()
    return {
        "mastodon": _mastodon_ingest(n, batch, duplicate_share),
        "replay": _replay_ingest(n),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def _ingest_store(adapter: str):  # noqa: ANN202 (a Store and its Moderator)
    from .moderation import Moderator
    from .store import Store

    moderator = Moderator()
    return Store({"f": (adapter, 60.0)}, on_new_posts=moderator.prime), moderator


def _mastodon_ingest(n: int, batch: int, duplicate_share: float) -> dict:
    import copy
    import json as json_mod
    import random

    from feeds.mastodon import parse_statuses

    from .assets import ROOT

    template = json_mod.loads((ROOT / "tests" / "fixtures" / "mastodon" / "tag_page1.json").read_text())
    rng = random.Random(3)
    base = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    raw = []
    for i in range(n):
        status = copy.deepcopy(template[i % len(template)])
        status["id"] = str(10_000_000 + i)
        status["uri"] = f"https://mastodon.example/users/u{i % 5000}/statuses/{i}"
        status["created_at"] = (base - timedelta(seconds=n - i)).isoformat().replace("+00:00", "Z")
        status["favourites_count"] = rng.randint(0, 500)
        raw.append(status)
    batches = [raw[i : i + batch] for i in range(0, n, batch)]
    redelivered = [rng.choice(batches) for _ in range(int(len(batches) * duplicate_share))]
    store, moderator = _ingest_store("mastodon")
    parse_s = store_s = 0.0
    normalised = 0
    try:
        for page in batches + redelivered:
            t0 = time.perf_counter()
            posts = parse_statuses(page, "mastodon.example")
            t1 = time.perf_counter()
            store.put("f", posts, {}, base)
            store_s += time.perf_counter() - t1
            parse_s += t1 - t0
            normalised += len(posts)
        t1 = time.perf_counter()
        store.settle_figures()  # the figures as of the last batch (their thread may lag by a tick)
        store_s += time.perf_counter() - t1
        counted = store.snapshot("f", base).metrics["kpi.posts@30d"].value
    finally:
        store.close()
        moderator.close()
    elapsed = parse_s + store_s
    return {
        "statuses": n,
        "deliveries": normalised,
        "batch": batch,
        "redelivered_batches": len(redelivered),
        "counted_once": counted,
        "parse_us_per_post": round(parse_s / normalised * 1e6, 1),
        "store_us_per_post": round(store_s / normalised * 1e6, 1),
        "posts_per_s": round(normalised / elapsed),
    }


def _replay_ingest(n: int, batch: int = 500) -> dict:
    import csv
    import random
    import tempfile
    from pathlib import Path

    from feeds import replay

    rng = random.Random(3)
    base = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["id", "created_at", "user", "name", "followers", "text", "likes", "lang", "country", "tone"])
            for i in range(n):
                at = base - timedelta(seconds=(n - i) * 0.8)
                user = int(rng.paretovariate(1.2)) % 20_000
                out.writerow(
                    [f"r{i}", at.strftime("%d/%m/%Y %H:%M:%S"), f"user{user}", f"User {user}", rng.randint(0, 10**5),
                     f"Panne fibre à Lyon depuis ce matin, toujours rien #panne #fibre {i}", rng.randint(0, 500),
                     "fr", "FR", rng.choice(["positive", "neutral", "negative"])]
                )  # fmt: skip
        mapping = {"id": "id", "published_at": "created_at", "author_handle": "user", "author_name": "name",
                   "author_followers": "followers", "text": "text", "likes": "likes", "lang": "lang",
                   "country": "country", "sentiment": "tone"}  # fmt: skip
        options = replay.Options.model_validate(
            {"path": str(path), "speed": "max", "max_per_poll": batch, "time_format": "%d/%m/%Y %H:%M:%S",
             "timezone": "Europe/Paris", "mapping": mapping}
        )  # fmt: skip
        t0 = time.perf_counter()
        index = replay.load_index(options)  # read and mapped once per file
        read_s = time.perf_counter() - t0
    store, moderator = _ingest_store("replay")
    now = base + timedelta(days=1)
    cursor: dict[str, str] = {}
    delivered = 0
    select_s = store_s = 0.0
    try:
        while True:
            t0 = time.perf_counter()
            result = replay.select(index, options, cursor, now)
            t1 = time.perf_counter()
            store.put("f", result.posts, {}, now, cursors=result.cursor)
            store_s += time.perf_counter() - t1
            select_s += t1 - t0
            cursor.update(result.cursor)
            delivered += len(result.posts)
            if not result.more:
                break
        t1 = time.perf_counter()
        store.settle_figures()
        store_s += time.perf_counter() - t1
        counted = store.snapshot("f", now).metrics["kpi.posts@30d"].value
    finally:
        store.close()
        moderator.close()
    return {
        "rows": n,
        "counted": counted,
        "read_us_per_row": round(read_s / n * 1e6, 1),
        "deliver_us_per_row": round(select_s / delivered * 1e6, 1),
        "store_us_per_row": round(store_s / delivered * 1e6, 1),
        "rows_per_s": round(delivered / (read_s + select_s + store_s)),
        "delivered_rows_per_s": round(delivered / (select_s + store_s)),
    }


def switch_bench(config_path, rounds: int = 3) -> dict:
    """The operator's switch, end to end: POST /api/scenario over a real socket to the frame that
    first shows the new scenario complete, on a live headless wall, for every scenario in turn.
    Frames and ms as the wall counts them (command received -> committed frame), and the
    round-trip the client sees."""
    import secrets

    import httpx

    from .live import BackgroundWall

    token = secrets.token_hex(16)
    saved = {k: os.environ.get(k) for k in ("WALL_OPERATOR_TOKEN", "WALL_VIEWER_TOKEN")}
    os.environ["WALL_OPERATOR_TOKEN"] = token  # this process's own wall only
    os.environ.pop("WALL_VIEWER_TOKEN", None)
    wall = None
    try:
        wall = BackgroundWall(config_path, watch=False)
        assert wall.live is not None
        names = list(wall.live.loaded.scenarios)
        samples = []
        with httpx.Client(base_url=wall.url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
            time.sleep(1.0)  # let the opening frames pass
            current = wall.live.director.base
            for _ in range(rounds):
                for name in names:
                    if name == current:
                        continue
                    t0 = time.perf_counter()
                    r = c.post("/api/scenario", json={"name": name, "wait": True})
                    r.raise_for_status()
                    body = r.json()
                    samples.append(
                        {
                            "from": current,
                            "to": name,
                            "frames": body["frames"],
                            "ms": body["ms"],
                            "client_ms": round((time.perf_counter() - t0) * 1000, 1),
                            "prepare_ms": body.get("prepare_ms"),
                            "frames_after_painted": body.get("frames_after_painted"),
                        }
                    )
                    current = name
                    time.sleep(1.0)  # the transition plays out before the next switch
        times = wall.loop.times.summary()
    finally:
        if wall is not None:
            wall.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    frames = np.array([s["frames"] for s in samples], float)
    ms = np.array([s["ms"] for s in samples], float)
    after = np.array([s["frames_after_painted"] for s in samples if s["frames_after_painted"] is not None], float)
    return {
        "config": str(config_path),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "switches": len(samples),
        "frames": {"p50": float(np.median(frames)), "max": float(frames.max())},
        # the switch's own cost: frames from the one in which its last paint arrived to its first
        "frames_after_painted": {"p50": float(np.median(after)), "max": float(after.max())} if len(after) else None,
        "ms": {"p50": round(float(np.median(ms)), 1), "max": round(float(ms.max()), 1)},
        "frame_ms_during": {k: times[k] for k in ("p50_ms", "p99_ms", "max_ms")},
        "dropped_frames_during": times["dropped"],
        "samples": samples,
    }


TRANSITION_KINDS = ("crossfade", "slide", "wipe", "zoom_in", "zoom_out")


def transitions_bench(loaded: LoadedConfig, duration_s: float = 5.0, zone: str | None = None) -> dict:
    """Frames a second while each transition runs, on the real engine (headless, unpaced: every
    frame drawn as soon as the last one is done, for the wall-clock time of the transition).

    crossfade, slide and wipe go between the config's first two scenarios (the default first);
    the spotlight grows a zone of the default scenario to the whole wall (zoom_in) and shrinks it
    back (zoom_out). `zone`: the zone spotlit (default: the largest that is not the whole canvas).
    The whole canvas changes in every one of them, as in the browser's full-wall figure."""
    from .config.schema import TransitionConfig
    from .scenes.director import Zoom, spotlight_plan

    names = list(loaded.scenarios)
    if len(names) < 2:
        raise ValueError("the config needs two scenarios to go between")
    first = loaded.default_scenario if loaded.default_scenario in names else names[0]
    second = next(n for n in names if n != first)
    base = loaded.scenarios[first]
    canvas_px = loaded.wall.canvas_w * loaded.wall.canvas_h
    zones = [z for z in base.layout.zones if z.id in base.bindings and z.rect.w * z.rect.h < canvas_px]
    if zone is None:
        if not zones:
            raise ValueError(f"scenario {first} has no zone to spotlight")
        zone = max(zones, key=lambda z: z.rect.w * z.rect.h).id
    elif zone not in base.bindings:
        raise ValueError(f"no zone '{zone}' in scenario {first}; zones: {', '.join(base.bindings)}")
    rect = base.layout.zone(zone).rect
    rt = WallRuntime(loaded, "headless")
    try:
        rt.use_scenario(first)
        rt.settle(datetime.now(UTC))
        rt.ctx.finish()
        steady = []
        for _ in range(30):
            t = time.perf_counter()
            rt.frame(datetime.now(UTC))
            steady.append(time.perf_counter() - t)
        results: dict[str, dict] = {}
        plans = {
            "crossfade": (loaded.scenarios[second], TransitionConfig(kind="crossfade", duration_s=duration_s), None),
            "slide": (base, TransitionConfig(kind="slide", duration_s=duration_s), None),
            "wipe": (loaded.scenarios[second], TransitionConfig(kind="wipe", duration_s=duration_s), None),
            "zoom_in": (spotlight_plan(base, zone, loaded.wall), TransitionConfig(kind="cut", duration_s=duration_s),
                        Zoom("zoom_in", rect)),
            "zoom_out": (base, TransitionConfig(kind="cut", duration_s=duration_s), Zoom("zoom_out", rect)),
        }  # fmt: skip
        for kind in TRANSITION_KINDS:
            plan, transition, zoom = plans[kind]
            if kind == "zoom_in":  # the spotlight grows out of the default scenario
                rt.engine.prepare(base, TransitionConfig(kind="cut"))
                _until_committed(rt)
            rt.engine.prepare(plan, transition, zoom)
            _until_committed(rt)
            times = []
            t0 = time.perf_counter()
            while rt.engine.transition is not None:
                t = time.perf_counter()
                rt.frame(datetime.now(UTC))
                times.append(time.perf_counter() - t)
            elapsed = time.perf_counter() - t0
            ms = np.array(times) * 1000
            results[kind] = {
                "fps": round(len(times) / elapsed, 1) if elapsed > 0 else None,
                "frames": len(times),
                "frame_ms": percentiles_ms(ms) if len(ms) else {},
                "first_frame_ms": round(float(ms[0]), 1) if len(ms) else None,
            }
        steady_ms = np.array(steady) * 1000
        return {
            "config": str(loaded.path),
            "renderer": rt.ctx.info.get("GL_RENDERER", "?"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "canvas": {"w": loaded.wall.canvas_w, "h": loaded.wall.canvas_h},
            "displays": len(loaded.wall.displays),
            "between": [first, second],
            "spotlight_zone": zone,
            "duration_s": duration_s,
            "steady_frame_ms": percentiles_ms(steady_ms),
            "transitions": results,
        }
    finally:
        rt.close()


def _until_committed(rt: WallRuntime, limit_s: float = 120.0) -> None:
    """Frames at the wall clock's time until the scenario being prepared is on screen."""
    end = time.perf_counter() + limit_s
    while rt.engine.pending is not None:
        if time.perf_counter() > end:
            raise RuntimeError("the scenario being prepared never completed")
        rt.frame(datetime.now(UTC))


BURST_TEXT = (
    "La fibre est coupée depuis ce matin dans tout le quartier 😡 #panne #fibre — still no news from support, "
    "اتصال الإنترنت مقطوع منذ الصباح, any ETA? @support #outage"
)


def burst_bench(loaded: LoadedConfig, posts: int = 500, over_s: float = 1.0, run_s: float = 8.0) -> dict:
    """A running wall receiving `posts` new posts within `over_s` seconds (as a busy poll of a big
    feed delivers them), into the first polled feed its config declares: frame times before, during
    and after, and the frames that took over twice the frame budget. The posts go through the
    store's put on another thread, as the poller's do: merging, counting into the windowed figures,
    moderation's text priming; the render thread paints and uploads what changes."""
    import threading

    from feeds.model import Author, Post, PostMetrics, Sentiment
    from feeds.registry import is_polled

    from .live import LiveWall

    feed = next((fid for fid, fc in loaded.config.feeds.items() if is_polled(fc.adapter)), None)
    if feed is None:
        from .errors import UsageError

        raise UsageError(
            f"{loaded.path} declares no polled feed to send the burst's posts to (the demo feed is made up "
            "in the wall itself); give a config with one, e.g. config/replay.yaml"
        )
    live = LiveWall(loaded, control_listen="none", watch=False)
    budget_s = 1.0 / loaded.config.fps
    frames: list[tuple[float, float]] = []  # (start, seconds) of every frame, on the monotonic clock
    burst: list[float] = []
    try:
        loop = live.make_loop()
        live.open(loop.clock.wall_time(loop.clock.monotonic()))

        def render(t: datetime) -> None:
            started = time.monotonic()
            live.frame(t)
            frames.append((started, time.monotonic() - started))

        def send() -> None:
            time.sleep(run_s / 3)
            burst.append(time.monotonic())
            batches = 10
            for b in range(batches):
                now = datetime.now(UTC)
                batch = [
                    Post(
                        key=f"burst:{b}:{i}",
                        source="burst",
                        network="mastodon",
                        published_at=now - timedelta(seconds=i % 60),
                        text=f"{BURST_TEXT} {b}-{i}",
                        lang="fr",
                        author=Author(id=f"burst:{i % 97}", handle=f"@user{i % 97}", name=f"User {i % 97}"),
                        metrics=PostMetrics(likes=i % 40, reposts=i % 7, replies=i % 5),
                        sentiment=Sentiment(score=-0.6, label="negative"),
                        hashtags=("panne", "fibre", "outage"),
                    )
                    for i in range(b * posts // batches, (b + 1) * posts // batches)
                ]
                live.rt.store.put(feed, batch, {}, now)
                time.sleep(over_s / batches)
            burst.append(time.monotonic())

        sender = threading.Thread(target=send, name="bench-burst", daemon=True)
        sender.start()
        loop.run(render, duration=run_s)
        sender.join()
    finally:
        live.close()
    start, end = burst
    during = [s for at, s in frames if start <= at <= end + 1.0]  # the burst and the second after it
    around = [s for at, s in frames if not start <= at <= end + 1.0]
    summary = loop.times.summary()
    return {
        "config": str(loaded.path),
        "feed": feed,
        "posts": posts,
        "over_s": over_s,
        "fps_target": loaded.config.fps,
        "frames": len(frames),
        "dropped_frames": summary["dropped"],
        "over_twice_budget": sum(1 for s in frames if s[1] > 2 * budget_s),
        "during_burst_ms": percentiles_ms(np.array(during) * 1000) if during else None,
        "outside_burst_ms": percentiles_ms(np.array(around) * 1000) if around else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def _rss_mb() -> float:
    """This process's resident memory (Linux /proc), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def feed_soak(rate: int = 2000, minutes: float = 30.0, sample_s: float = 30.0) -> dict:
    """Memory of a store receiving `rate` new posts a second for `minutes`, as a busy feed's polls
    bring them (a poll a second), with moderation priming their text: resident memory sampled every
    `sample_s`. Posts come from a million authors, most speaking once, with a thousand topics, so the
    figures' counters meet their bounds (wall/store/windows.py) within the run."""
    import gc
    import random

    from feeds.model import Author, Post, PostMetrics, Sentiment

    from .moderation import Moderator
    from .store import Store

    rng = random.Random(5)
    moderator = Moderator()
    store = Store({"m": ("mastodon", 1.0)}, on_new_posts=moderator.prime)
    tones = ("positive", "neutral", "negative")
    samples: list[tuple[float, float, int]] = []  # (minutes, RSS MB, posts sent)
    sent = 0
    start = time.monotonic()
    next_sample = 0.0
    try:
        while (elapsed := time.monotonic() - start) < minutes * 60:
            if elapsed >= next_sample:
                gc.collect()
                samples.append((round(elapsed / 60, 2), round(_rss_mb(), 1), sent))
                next_sample += sample_s
            now = datetime.now(UTC)
            page = []
            for _ in range(rate):
                a = int(rng.paretovariate(1.1)) if rng.random() < 0.3 else rng.randrange(1_000_000)
                tone = rng.choice(tones)
                page.append(
                    Post(
                        key=f"m:{sent}",
                        source="m",
                        network="mastodon",
                        published_at=now - timedelta(seconds=rng.random() * 5),
                        text=f"la fibre est coupée depuis ce matin {rng.randrange(1000)} #sujet{rng.randrange(1000)}",
                        lang="fr",
                        author=Author(id=f"m:{a}", handle=f"@u{a}", name=f"User {a}"),
                        metrics=PostMetrics(likes=rng.randrange(50)),
                        sentiment=Sentiment(score=0.0, label=tone),
                        hashtags=(f"sujet{rng.randrange(1000)}",),
                    )
                )
                sent += 1
            store.put("m", page, {}, now)
            spare = 1.0 - (time.monotonic() - start - elapsed)
            if spare > 0:
                time.sleep(spare)
        gc.collect()
        samples.append((round((time.monotonic() - start) / 60, 2), round(_rss_mb(), 1), sent))
    finally:
        store.close()
        moderator.close()
    rss = [mb for _, mb, _ in samples]
    half = len(rss) // 2
    return {
        "rate_per_s": rate,
        "minutes": minutes,
        "posts": sent,
        "achieved_per_s": round(sent / max(1e-9, samples[-1][0] * 60)),
        "rss_mb": {"start": rss[0], "end": rss[-1], "max": max(rss)},
        "rss_growth_second_half_mb": round(rss[-1] - rss[half], 1) if half else None,
        "samples": samples,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
