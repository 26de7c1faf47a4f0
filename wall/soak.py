"""`wallctl bench CONFIG --soak MINUTES`: a real `wallctl run` process left running for a long time with
one more feed bringing new posts all along (`--rate` a second, by default ten times the demo feed's
rate; `--rate 0`: none) and an operator switching scenarios every few seconds (`--switch-every 0`:
never), sampled from outside, each sample once the last switch has settled: the
resident memory of the wall and its paint workers, open files, threads, the store's size on disk,
frame times and dropped frames. What a kiosk left alone for months would show first, in hours.

Samples are written to `--out` as they come (a run stopped early keeps what it measured); the
summary gives each figure's first and last value and its trend over the second half of the run
(least squares, per hour), which is what "flat" is judged on.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

TOKEN = "soak-operator"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """`pid` and every process it started, theirs too (from /proc): a wall and its paint workers."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [pid], {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier}
        found += sorted(frontier)
    return found


def _status(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _soak_config(config: Path, feed_url: str | None, out: Path) -> Path:
    """The config with one more feed, `live`, polled from this benchmark's feed server every second,
    shown by the first top-posts zone bound to the demo feed (if any): new posts all along. No
    feed_url: the config's own feeds only. Either way with an operator token for the soak's switches."""
    text = config.read_text()
    if feed_url is None:
        return _with_control(text, out / config.name)
    feed = (
        "  live:\n    adapter: json\n    poll_s: 1\n    options:\n"
        f'      url: "{feed_url}"\n      items: results\n      max_items: 5000\n'
        "      post: { id: id, published_at: created, text: content.text, url: url, author_id: user.id,\n"
        "              author_name: user.name }\n"
    )
    if "\nfeeds:\n" not in text:
        raise ValueError(f"{config} has no feeds: section to add the soak's feed to")
    text = text.replace("\nfeeds:\n", "\nfeeds:\n" + feed, 1)
    text = re.sub(r"(widget: top_posts, feed: )demo\b", r"\1live", text, count=1)
    return _with_control(text, out / config.name)


def _with_control(text: str, target: Path) -> Path:
    if "\ncontrol:" not in text:
        text += "\ncontrol:\n  operator_token: ${WALL_OPERATOR_TOKEN}\n"
    target.write_text(text)
    return target


def _trend_per_hour(minutes: list[float], values: list[float]) -> float | None:
    half = [(m, v) for m, v in zip(minutes, values, strict=True) if m >= minutes[-1] / 2]
    if len(half) < 3:
        return None
    x = np.array([m for m, _ in half]) / 60.0
    y = np.array([v for _, v in half])
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def wall_soak(
    config: Path, minutes: float, switch_every: float = 10.0, rate: float = 8.0, out: Path | None = None
) -> dict[str, Any]:
    """rate: posts a second the soak's feed delivers (8: ten times the demo feed's ~47 a minute; 0:
    no such feed, the config as it is). switch_every 0: no switch (the wall shows its opening
    scenario throughout)."""
    from .room.bench import _Feed

    work = Path(tempfile.mkdtemp(prefix="wall-soak-"))
    feed = _Feed(rate) if rate > 0 else None
    cfg = _soak_config(config.resolve(), feed.url if feed is not None else None, work)
    store = work / "soak.sqlite3"
    port = _free_port()
    api = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    log = (work / "run.log").open("w")
    env = {**os.environ, "WALL_OPERATOR_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wall.cli", "run", str(cfg), "--store", str(store), "--control", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    samples: list[dict[str, Any]] = []
    switches = failed = 0
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                scenarios = httpx.get(api + "/api/scenarios", headers=auth, timeout=10).json()["scenarios"]
                break
            except (httpx.HTTPError, KeyError, ValueError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the wall did not start; its log: {work / 'run.log'}") from None
                time.sleep(0.5)
        names = [s["name"] for s in scenarios if s["name"] != "test"] or [s["name"] for s in scenarios]
        start = time.monotonic()
        # a sample waits until the last switch has settled (its transition run, its targets given
        # back: the engine hands memory back 2 s after a transition): the figure is the wall's, not
        # the transition's; the peak between samples is kept apart (`peak_with_workers_mb`)
        settle_s = min(switch_every / 2, 8.0) if switch_every > 0 else 0.0
        next_switch = 0.0 if switch_every > 0 else float("inf")
        next_sample = next_peak = last_switch = 0.0
        tree = process_tree(proc.pid)
        peak = 0.0
        while (elapsed := time.monotonic() - start) < minutes * 60:
            if proc.poll() is not None:
                raise RuntimeError(f"the wall exited ({proc.returncode}) after {elapsed / 60:.1f} min; log {work}")
            if elapsed >= next_switch:
                next_switch += switch_every
                last_switch = elapsed
                try:
                    r = httpx.post(
                        api + "/api/scenario", json={"name": names[switches % len(names)]}, headers=auth, timeout=30
                    )
                    switches += 1
                    failed += r.status_code not in (200, 202)
                except httpx.HTTPError:
                    failed += 1
            if elapsed >= next_peak:
                next_peak = elapsed + 1.0
                peak = max(peak, sum(_status(p, "VmRSS") for p in tree) / 1024)
            if elapsed >= next_sample and (switches == 0 or elapsed - last_switch >= settle_s):
                next_sample += 60.0
                tree = process_tree(proc.pid)
                status = httpx.get(api + "/api/status", headers=auth, timeout=30).json()
                sample = {
                    "minute": round(elapsed / 60, 2),
                    "rss_mb": round(_status(proc.pid, "VmRSS") / 1024, 1),
                    "rss_with_workers_mb": round(sum(_status(p, "VmRSS") for p in tree) / 1024, 1),
                    "peak_with_workers_mb": round(peak, 1),
                    "processes": len(tree),
                    "open_files": _fds(proc.pid),
                    "threads": _status(proc.pid, "Threads"),
                    "store_mb": round(
                        sum(p.stat().st_size for p in work.glob("soak.sqlite3*") if p.is_file()) / 2**20, 2
                    ),
                    "frames": status["frames"],
                    "dropped_frames": status["dropped_frames"],
                    "frame_ms_p99": status["frame_ms_p99"],
                    "posts": sum(f["posts"] for f in status["feeds"].values()),
                    "switches": switches,
                }
                samples.append(sample)
                peak = 0.0
                if out is not None:
                    out.write_text(json.dumps({"samples": samples}, indent=1))
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if feed is not None:
            feed.httpd.shutdown()
    minutes_at = [s["minute"] for s in samples]
    summary: dict[str, Any] = {
        "config": str(config),
        "minutes": minutes,
        "feed_posts_per_s": rate,
        "switch_every_s": switch_every,
        "switches": switches,
        "switches_refused": failed,
    }
    for key in (
        "rss_mb",
        "rss_with_workers_mb",
        "peak_with_workers_mb",
        "open_files",
        "threads",
        "store_mb",
        "frame_ms_p99",
    ):
        values = [float(s[key] or 0) for s in samples]
        summary[key] = {
            "first": values[0] if values else None,
            "last": values[-1] if values else None,
            "max": max(values) if values else None,
            "trend_per_hour_second_half": _trend_per_hour(minutes_at, values) if values else None,
        }
    if samples:
        summary["dropped_frames"] = samples[-1]["dropped_frames"]
        summary["frames"] = samples[-1]["frames"]
    result = {"summary": summary, "samples": samples}
    if out is not None:
        out.write_text(json.dumps(result, indent=1))
    return result
