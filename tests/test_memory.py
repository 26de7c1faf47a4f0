"""Memory a wall gives back: a transition's GL targets (100 MB on the demo wall) freed by the
driver return to the system, not only to the C library's free lists (wall/memory.py)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from wall.memory import trim_now


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _make_and_drop_targets(ctx, count: int = 12) -> float:
    """Make `count` 1080p targets as a transition does, draw into each, delete them; the RSS just after."""
    pairs = []
    for _ in range(count):
        tex = ctx.texture((1920, 1080), 4)
        fbo = ctx.framebuffer([tex])
        fbo.use()
        fbo.clear(0.2, 0.3, 0.4, 1.0)
        pairs.append((tex, fbo))
    ctx.finish()
    (ctx.screen if ctx.screen is not None else ctx.detect_framebuffer(0)).use()  # none of those deleted
    for tex, fbo in pairs:
        fbo.release()
        tex.release()
    ctx.finish()
    gc.collect()
    return _rss_mb()


def test_freed_transition_targets_go_back_to_the_system(gl_ctx):
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the resident size from /proc")
    _make_and_drop_targets(gl_ctx)  # the C library's mmap threshold now exceeds a target's size
    trim_now()
    base = _rss_mb()
    kept = _make_and_drop_targets(gl_ctx)
    assert trim_now(), "glibc's malloc_trim is available on the machines the wall runs on"
    after = _rss_mb()
    # without the trim the process keeps most of the 95 MB it freed; with it, they are gone
    assert kept - base > 40, f"freed targets were kept until trimmed ({base:.0f} -> {kept:.0f} MB)"
    assert after - base < 20, f"{after - base:.0f} MB still held after the trim ({base:.0f} -> {after:.0f} MB)"


def test_a_paint_worker_loads_no_network_stack():
    # a paint worker imports the painters (through the widgets) and never fetches: asyncio, ssl and
    # the HTTP client would cost each worker 7 MB and more, for the life of the wall
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from wall.render.paint_pool import _worker_init\n"
        "_worker_init()\n"
        "print(sorted(m for m in ('asyncio', 'ssl', 'httpx', 'httpcore', 'anyio') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
