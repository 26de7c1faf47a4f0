"""Shared fixtures: a headless GL context with GL-error checks around each test, the CLI run as a real
subprocess (what a user types, exit code and all), and a local HTTP server for the feed tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "config" / "demo.yaml"
NO_ERROR = "GL_NO_ERROR"


# ---------------------------------------------------------------- GL


@pytest.fixture(scope="module")
def gl_ctx():
    """A headless OpenGL 3.3 context (EGL, Mesa llvmpipe in CI), one per test module."""
    from wall.render.gl import GLUnavailable, create_headless_context

    try:
        ctx = create_headless_context()
    except GLUnavailable as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
    yield ctx
    ctx.release()


@contextlib.contextmanager
def gl_checked(ctx, what: str = "the test"):
    """Assert the context has no pending GL error before and after the block.

    Also makes `ctx` current for the block: several standalone contexts may live in one process
    (a test's own and a WallRuntime's), and GL calls go to whichever is current."""
    with ctx:
        before = ctx.error
        assert before == NO_ERROR, f"GL error {before} pending before {what}"
        yield ctx
        after = ctx.error
        assert after == NO_ERROR, f"GL error {after} after {what}"


@pytest.fixture(autouse=True)
def _gl_error_check(request):
    """Every test that uses `gl_ctx` runs with it current and ends with no GL error."""
    if "gl_ctx" not in request.fixturenames:
        yield
        return
    ctx = request.getfixturevalue("gl_ctx")
    with gl_checked(ctx, request.node.name):
        yield


# ---------------------------------------------------------------- CLI


def wallctl_command() -> list[str]:
    """The installed `wallctl` script of the interpreter running the tests, else `python -m wall.cli`."""
    script = shutil.which("wallctl", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "wall.cli"]


def run_cli(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Run `wallctl ARGS` in the repository root as a subprocess: (returncode, stdout, stderr)."""
    proc = subprocess.run(
        [*wallctl_command(), *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def cli():
    return run_cli


def load_png(path: Path):
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# ---------------------------------------------------------------- a real X server with six monitors


@pytest.fixture(scope="session")
def dummy_x():
    """Xorg with the dummy driver and six 1920x1080 outputs in a 3x2 grid (see tests/dummy_x.py).

    Skipped, with the apt-get line, where it cannot run (an ordinary user without the packages).
    As root (CI), `make test` has installed the packages, so a server that does not start fails
    the tests instead of hiding them."""
    from dummy_x import DummyX, Unavailable, missing

    try:
        server = DummyX()
    except Unavailable as exc:
        if os.geteuid() == 0 and missing() is None:
            pytest.fail(f"the dummy X server should run here but did not: {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()


# ---------------------------------------------------------------- a local HTTP server for the feed tests


@pytest.fixture(scope="module")
def _fixture_server():
    from http_fixture_server import FixtureServer

    with FixtureServer() as srv:
        yield srv


@pytest.fixture
def server(_fixture_server):
    """The module's HTTP fixture server (tests/http_fixture_server.py), with no routes and no requests
    seen: one server per test module, emptied before each test."""
    _fixture_server.reset()
    return _fixture_server
