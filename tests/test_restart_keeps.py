"""A wall killed and started again keeps what its operators chose, leaves no process behind, and
calls a full disk full: real `wallctl run` processes, killed with -9 as a power cut or a crash would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO, wallctl_command

OPERATOR = "op-restart-1d2c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to pid (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Run:
    def __init__(self, tmp: Path, store: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / f"run-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
        env["WALL_OPERATOR_TOKEN"] = OPERATOR
        self._f = self.log.open("w")
        self.proc = subprocess.Popen(
            [*wallctl_command(), "run", "config/demo.yaml", "--store", str(store), "--control", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._f,
        )
        deadline = time.monotonic() + 120
        while "control API and console at" not in self.log.read_text():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        r = httpx.request(
            method, self.url + path, json=body, headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=60
        )
        assert r.status_code in (200, 202), r.text
        return r.json()


def test_a_wall_killed_comes_back_as_the_operators_left_it_and_leaves_no_orphans(tmp_path):
    store = tmp_path / "wall.sqlite3"
    port = free_port()
    run = Run(tmp_path, store, port)
    try:
        run.api("POST", "/api/scenario", {"name": "crisis", "wait": True})
        run.api("POST", "/api/freeze", {"on": True})
        run.api("POST", "/api/lock", {"on": True, "minutes": 30})
        run.api("POST", "/api/moderation/kill", {"on": True})
        status = run.api("GET", "/api/status")
        assert status["presentation"]["frozen"] and status["presentation"]["locked_until"]
        locked_until = status["presentation"]["locked_until"]
        time.sleep(1.5)  # the choices reach the disk (a background writer, within a fraction of a second)
        children = descendants(run.proc.pid)
        assert children, "the paint workers"
        run.proc.kill()
        run.proc.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in children):
            assert time.monotonic() < deadline, [p for p in children if alive(p)]
            time.sleep(0.1)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    again = Run(tmp_path, store, port)
    try:
        status = again.api("GET", "/api/status")
        assert status["presentation"]["frozen"] is True
        assert status["presentation"]["locked_until"] == locked_until
        assert status["moderation"]["killed"] is True
        # the lock holds the scenario the operator locked (crisis), above the kill switch's fallback
        again.api("POST", "/api/moderation/kill", {"on": False})
        status = again.api("GET", "/api/status")
        assert status["scenario"] == "crisis", status["reason"]
    finally:
        again.proc.send_signal(signal.SIGTERM)
        again.proc.wait(60)


def test_a_full_disk_is_called_full_not_corrupt(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root (make test runs as root in CI)")
    disk = tmp_path / "tiny"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("this machine does not let tests mount a tmpfs")
    try:
        (disk / "filler").write_bytes(b"\0" * 60_000)
        try:
            with (disk / "filler2").open("wb") as f:
                f.write(b"\0" * 64_000)
        except OSError:
            pass  # full now
        store = disk / "wall.sqlite3"
        done = subprocess.run(
            [
                *wallctl_command(),
                "run",
                "config/demo.yaml",
                "--store",
                str(store),
                "--control",
                "none",
                "--frames",
                "3",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "is full" in done.stderr, done.stderr
        assert "unreadable" not in done.stderr and "corrupt" not in done.stderr
        assert not [p for p in disk.iterdir() if "corrupt" in p.name]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def _paint_workers(pid: int) -> set[int]:
    found = set()
    for p in descendants(pid):
        try:
            if b"wall.render.paint_worker" in Path(f"/proc/{p}/cmdline").read_bytes():
                found.add(p)
        except OSError:
            continue
    return found


def test_a_paint_worker_killed_is_replaced_and_the_wall_paints_on(tmp_path):
    # the kernel's OOM killer or a crash in a native library ends a paint worker: the wall must not
    # stop with it (with multiprocessing's pool it did: "BrokenProcessPool", and the screens went black)
    run = Run(tmp_path, tmp_path / "wall.sqlite3", free_port())
    try:
        (worker,) = _paint_workers(run.proc.pid)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(worker):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # the switch paints every crisis zone: the next job starts a new worker, which paints them
        switched = run.api("POST", "/api/scenario", {"name": "crisis", "wait": True})
        assert switched["frames"] >= 1
        status = run.api("GET", "/api/status")
        assert status["scenario"] == "crisis" and run.proc.poll() is None
        (again,) = _paint_workers(run.proc.pid)
        assert again != worker
        r = httpx.get(
            run.url + "/api/snapshot.png?width=720", headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=60
        )
        from io import BytesIO

        import numpy as np
        from PIL import Image

        picture = np.asarray(Image.open(BytesIO(r.content)).convert("RGB"))
        assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 200  # a painted wall, not a blank one
        assert "Traceback" not in run.log.read_text() and "internal error" not in run.log.read_text()
    finally:
        run.proc.kill()
        run.proc.wait(10)
