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


WORKER_PROBE = r"""
import json, pickle, sys
from wall.render.paint_pool import _worker_init, paint_view
_worker_init()
painted = []
for widget, view, width, height in pickle.loads(open(sys.argv[1], "rb").read()):
    pixels, error, boxes = paint_view(widget, view, width, height)
    colours = len({bytes(p) for p in pixels[::7, ::7].reshape(-1, 4)})
    painted.append({"widget": widget, "error": error, "colours": colours})
loaded = [m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core", "_hashlib", "yaml")
          or m.startswith(("wall.widgets", "wall.config", "feeds.model", "wall.pictures"))]
print(json.dumps({"painted": painted, "loaded": sorted(loaded)}))
"""


def test_a_paint_worker_paints_every_demo_widget_without_the_config_and_feed_models(tmp_path):
    # a worker unpickles views, which imports the modules that define them: views and painters live in
    # wall/painters, away from the options models (pydantic) and builders, so each worker is about
    # 16 MB smaller for the life of the wall (pydantic and its schemas; OpenSSL, which hashlib loads)
    import json
    import pickle
    import subprocess
    import sys
    from datetime import UTC, datetime

    from wall.config.loader import load_config
    from wall.scenes.views import SceneViews
    from wall.store import Store

    loaded = load_config("config/demo.yaml")
    store = Store.from_config(loaded.config)
    jobs = []
    try:
        for plan in loaded.scenarios.values():
            for zone_id, (widget, view) in SceneViews(loaded, store).frame(plan, datetime.now(UTC)).views.items():
                rect = plan.layout.zone(zone_id).rect
                jobs.append((widget, view, rect.w, rect.h))
    finally:
        store.close()
    (tmp_path / "jobs.pickle").write_bytes(pickle.dumps(jobs))
    done = subprocess.run(
        [sys.executable, "-c", WORKER_PROBE, str(tmp_path / "jobs.pickle")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["loaded"] == [], "a paint worker loaded what only the wall process needs"
    widgets = {p["widget"] for p in got["painted"]}
    assert len(got["painted"]) == len(jobs) and len(widgets) >= 10, widgets
    assert [p for p in got["painted"] if p["error"]] == []  # every view unpickled and painted...
    assert min(p["colours"] for p in got["painted"]) > 1  # ...into a picture, not a blank


COMPILER_PROBE = r"""
import json, re, sys
from pathlib import Path
import moderngl
import numpy as np
from wall.memory import page_out_compiler

def compiler_private_mb():
    total, ours = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            parts = line.split()
            ours = len(parts) >= 6 and "libLLVM" in parts[5] and "w" not in parts[1]
            if ours and not parts[5].startswith(sys.argv[1]):
                raise SystemExit("the probe loaded the system's library, not its own copy: " + parts[5])
        elif ours and line.startswith("Private_Clean:"):
            total += int(line.split()[1])
    return total / 1024

VS = "#version 330\nin vec2 p; void main() { gl_Position = vec4(p, 0.0, 1.0); }"
FS = "#version 330\nout vec4 c; void main() { c = vec4(%s); }"
def draw(ctx, colour):
    prog = ctx.program(vertex_shader=VS, fragment_shader=FS % colour)
    vbo = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], "f4").tobytes())
    fbo = ctx.simple_framebuffer((64, 64))
    fbo.use()
    ctx.vertex_array(prog, [(vbo, "2f", "p")]).render()
    return list(fbo.read(components=4)[:4])

ctx = moderngl.create_standalone_context(backend="egl")
if "llvmpipe" not in ctx.info["GL_RENDERER"]:
    print(json.dumps({"skip": ctx.info["GL_RENDERER"]}))
    sys.exit()
first = draw(ctx, "1.0, 0.0, 0.0, 1.0")
before = compiler_private_mb()
asked = page_out_compiler()
after = compiler_private_mb()
second = draw(ctx, "0.0, 0.0, 1.0, 1.0")  # a program never compiled before: LLVM runs again
print(json.dumps({"before": before, "after": after, "asked": asked, "first": first, "second": second}))
"""


def _compiler_library() -> Path | None:
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and "/libLLVM" in parts[5]:
            return Path(parts[5])
    return None


def test_the_shader_compilers_code_goes_back_to_the_system_and_still_compiles_after(gl_ctx, tmp_path):
    # on software GL, 45-55 MB of the wall's resident memory is the code of the driver's compiler,
    # unused between compiles: it is handed back, and a new program still compiles and draws right
    import json
    import os
    import shutil
    import subprocess
    import sys

    library = _compiler_library()
    if library is None:
        pytest.skip("this GL driver loads no LLVM")
    # the probe loads a copy of the library of its own: pages this test process (or anything else on
    # the machine) maps are shared, and shared pages are rightly not reclaimed
    shutil.copy(library, tmp_path / library.name)
    with open(tmp_path / library.name, "rb") as copied:
        os.fsync(copied.fileno())  # written back: pages still dirty in the page cache are not reclaimed
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": os.pathsep.join(filter(None, (str(tmp_path), os.environ.get("LD_LIBRARY_PATH")))),
    }
    done = subprocess.run(
        [sys.executable, "-c", COMPILER_PROBE, str(tmp_path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in got:
        pytest.skip(f"not llvmpipe: {got['skip']}")
    assert got["first"] == [255, 0, 0, 255] and got["second"] == [0, 0, 255, 255]
    assert got["asked"] > 50 * 2**20, "the compiler's read-only mappings were found"
    assert got["before"] > 20, f"the compiler's code was resident: {got['before']:.1f} MB"
    assert got["after"] < got["before"] / 4, f"{got['before']:.1f} MB -> {got['after']:.1f} MB"


def test_the_rankings_a_wall_remembers_keep_no_post_of_a_snapshot_the_store_replaced(monkeypatch):
    # a live wall builds its top posts and influencers every frame and remembers their rankings
    # (sorting thousands of posts a frame would eat its budget); a snapshot the store replaced (a
    # poll re-delivered its posts, the demo built the next minute's) must take its posts with it:
    # remembered by entry count only, 32 stale rankings kept hundreds of posts for hours
    import weakref
    from datetime import timedelta

    from widget_kit import T0, build, make_ctx

    from wall.store import Store
    from wall.widgets import influencers, top_posts

    ranked = {"top_posts": 0, "influencers": 0}
    for module, name, fn in ((top_posts, "top_posts", "rank_cards"), (influencers, "influencers", "rank_authors")):
        real = getattr(module, fn)

        def counting(*args, real=real, name=name, **kw):
            ranked[name] += 1
            return real(*args, **kw)

        monkeypatch.setattr(module, fn, counting)

    store = Store({"demo": ("demo", 60.0)})  # it keeps the demo's last minutes' snapshots, and the next
    replaced: list[weakref.ref] = []
    for minute in range(40):  # the demo builds each minute's posts anew
        t = T0 + timedelta(minutes=minute)
        snapshot = store.snapshot("demo", t)
        for name, kw in (("top_posts", {}), ("influencers", {"source": "posts"})):
            before = dict(ranked)
            first = build(name, make_ctx(1280, 720, t=t, data=snapshot), **kw)
            asked = ranked[name] - before[name]
            assert asked >= 1
            again = build(name, make_ctx(1280, 720, t=t, data=snapshot), **kw)  # the next frame
            assert again == first and ranked[name] == before[name] + asked, f"{name} ranked again a frame later"
        if minute < 37:  # the store keeps 38, 39 and 40 (built ahead)
            replaced += [weakref.ref(p) for p in snapshot.posts]
        del snapshot
    store.close()
    gc.collect()
    alive = [r() for r in replaced if r() is not None]
    assert len(replaced) > 1000
    assert not alive, f"{len(alive)} posts of replaced snapshots still alive, e.g. {alive[0].key}"
