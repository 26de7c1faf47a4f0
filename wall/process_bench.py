"""`wallctl bench CONFIG --startup` and `--memory SECONDS`: a real `wallctl run` process, measured from
outside as an operator would see it.

- start-up: from the process being started to the line `wallctl run` prints once its first frame is
  complete ("wall: running ..."), over several runs. The first run is a warm-up and not counted:
  it writes the bytecode caches an installed wall already has.
- memory: the resident size (RSS) and proportional size (PSS: shared pages split between the
  processes sharing them) of the wall and every process it started (its paint workers), SECONDS
  after it started, each process named.

Both run the wall headless with no control API, on a store of their own, so they measure the wall
and nothing around it. `wallctl bench CONFIG --soak` follows memory over hours with switches.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .soak import process_tree


def _run_args(config: Path, store: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "wall.cli",
        "run",
        str(config),
        "--control",
        "none",
        "--no-watch",
        "--store",
        str(store),
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed wall has its bytecode caches
    return env


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def startup_bench(config: Path, rounds: int = 3, limit_s: float = 120.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wall-startup-") as tmp:
        store = Path(tmp) / "store.sqlite3"
        times: list[float] = []
        for n in range(rounds + 1):
            start = time.perf_counter()
            proc = subprocess.Popen(
                _run_args(config, store), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            took = None
            tail: list[str] = []
            try:
                assert proc.stderr is not None
                for line in proc.stderr:
                    if line.startswith("wall: running"):
                        took = time.perf_counter() - start
                        break
                    tail = (tail + [line.rstrip()])[-5:]
                    if time.perf_counter() - start > limit_s:
                        break
            finally:
                _stop(proc)
            if took is None:
                raise RuntimeError(f"`wallctl run {config}` showed no first frame; it said: " + " | ".join(tail))
            if n:
                times.append(took)
    return {
        "config": str(config),
        "measure": "process start -> first complete frame (the 'wall: running' line)",
        "runs_s": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
    }


def _memory(pid: int) -> dict[str, Any]:
    figures = {"rss_mb": 0.0, "pss_mb": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                figures[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return {}
    if "wall.cli" in cmdline:
        name = "wall"
    elif "wall.render.paint_worker" in cmdline:
        name = "paint worker"
    else:
        name = cmdline[:60]
    return {"process": name, "pid": pid, **figures}


def memory_bench(config: Path, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wall-memory-") as tmp:
        proc = subprocess.Popen(
            _run_args(config, Path(tmp) / "store.sqlite3"),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"`wallctl run {config}` exited ({proc.returncode}) before {seconds:g} s")
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            processes = [m for m in (_memory(p) for p in process_tree(proc.pid)) if m]
        finally:
            _stop(proc)
    return {
        "config": str(config),
        "after_s": seconds,
        "rss_mb": round(sum(p["rss_mb"] for p in processes), 1),
        "pss_mb": round(sum(p["pss_mb"] for p in processes), 1),
        "processes": processes,
    }
