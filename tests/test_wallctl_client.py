"""`wallctl` as the client of a running wall: a real `wallctl run` process, real commands.

What an operator types in a terminal next to the wall, and what they see: the answers, the exit
codes, and the API refusing what their token may not do (or refusing to start writable at all).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time

import pytest
from conftest import REPO, wallctl_command

OPERATOR = "op-cli-5d1e"
VIEWER = "view-cli-88b0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningWall:
    def __init__(self, tmp_path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.err = tmp_path / f"run-{self.port}.txt"
        self._f = self.err.open("w")
        full = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
        full.update(env)
        self.proc = subprocess.Popen(
            [
                *wallctl_command(),
                "run",
                "config/demo.yaml",
                "--store",
                "none",
                "--control",
                f"127.0.0.1:{self.port}",
                "--no-watch",
            ],
            cwd=REPO,
            env=full,
            stdout=subprocess.PIPE,
            stderr=self._f,
            text=True,
        )

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.err.read_text()
            if text in log:
                return log
            if self.proc.poll() is not None:
                pytest.fail(f"wallctl run exited early:\n{log}")
            time.sleep(0.1)
        pytest.fail(f"no '{text}' in:\n{self.err.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._f.close()


def client(wall: RunningWall, *args: str, token: str | None = OPERATOR) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
    env["WALL_URL"] = wall.url
    if token:
        env["WALL_TOKEN"] = token
    p = subprocess.run([*wallctl_command(), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    w = RunningWall(tmp_path_factory.mktemp("cli"), {"WALL_OPERATOR_TOKEN": OPERATOR, "WALL_VIEWER_TOKEN": VIEWER})
    w.wait_for(f"control API and console at {w.url}/")
    yield w
    w.stop()


def test_operator_commands_change_the_wall(wall):
    rc, out, err = client(wall, "status", token=VIEWER)
    assert rc == 0, err
    assert out.startswith("scenario monitoring")
    assert re.search(r"frames \d+, frame time p50 [\d.]+ ms p99 [\d.]+ ms", out)
    assert "display A1: headless" in out and "feed demo: ok" in out

    rc, out, err = client(wall, "scenario", "crisis")
    assert rc == 0, err
    m = re.fullmatch(r"showing crisis \(switched in (\d+) frames, ([\d.]+) ms\)\n", out)
    assert m, out
    rc, out, _ = client(wall, "status", "--json", token=VIEWER)
    assert '"shown": "crisis"' in out

    assert client(wall, "next")[1] == "switching to launch\n"
    rc, out, err = client(wall, "spotlight", "hero")
    assert (rc, out) == (0, "spotlight on hero\n") or "no zone 'hero'" in err  # launch's zones vary
    client(wall, "spotlight")
    assert client(wall, "freeze")[1] == "frozen\n"
    assert client(wall, "unfreeze")[1] == "live\n"
    rc, out, _ = client(wall, "lock", "--minutes", "5")
    assert rc == 0 and out.startswith("locked until ")
    assert client(wall, "unlock")[1] == "unlocked\n"
    assert client(wall, "scenario", "monitoring")[0] == 0


def test_refusals_are_one_line_with_the_reason(wall):
    rc, out, err = client(wall, "scenario", "crisis", token=VIEWER)
    assert rc == 2 and "operator token" in err and "Traceback" not in err
    rc, out, err = client(wall, "scenario", "nope")
    assert rc == 2 and "unknown scenario 'nope'" in err
    rc, out, err = client(wall, "status", token=None)
    assert rc == 2 and "WALL_TOKEN" in err
    rc, out, err = client(wall, "status", token="wrong")
    assert rc == 2 and "refused" in err
    rc, out, err = client(wall, "lock", "--minutes", "999")
    assert rc == 2 and "minutes" in err


def test_without_an_operator_token_the_api_is_read_only_and_says_so(tmp_path):
    w = RunningWall(tmp_path, {"WALL_VIEWER_TOKEN": VIEWER})
    try:
        log = w.wait_for("READ-ONLY")
        assert f"control API at {w.url} is READ-ONLY: WALL_OPERATOR_TOKEN is not set" in log
        rc, out, err = client(w, "status", token=VIEWER)
        assert rc == 0
        rc, out, err = client(w, "scenario", "crisis", token=VIEWER)
        assert rc == 2 and "read-only" in err
    finally:
        w.stop()


def test_without_any_token_the_api_does_not_start(tmp_path):
    w = RunningWall(tmp_path, {})
    try:
        log = w.wait_for("control API not started")
        assert "set WALL_OPERATOR_TOKEN or WALL_VIEWER_TOKEN" in log
        rc, out, err = client(w, "status", token=VIEWER)
        assert rc == 5 and "no wall answers" in err
    finally:
        w.stop()


def test_a_taken_port_leaves_the_wall_running_without_its_api(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        full = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
        full.update({"WALL_OPERATOR_TOKEN": OPERATOR})
        p = subprocess.run(
            [
                *wallctl_command(),
                "run",
                "config/demo.yaml",
                "--store",
                "none",
                "--frames",
                "30",
                "--control",
                f"127.0.0.1:{port}",
                "--no-watch",
            ],
            cwd=REPO,
            env=full,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert p.returncode == 0, p.stderr
    assert f"control API not started: the control API could not listen on 127.0.0.1:{port}" in p.stderr
    assert '"frames": 30' in p.stdout
