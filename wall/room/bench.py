"""`wallctl bench --nodes N`: a hub, a redis-server and N headless nodes on this machine, each node
driving one small display, fed by a feed that delivers `rate` posts a second; scenario switches
asked through the hub's API, timed from the call to the last node's commit frame.

Everything runs here, on one machine's CPUs, so the figures are an upper bound of what Redis and
the hub cost and a lower bound of how fast a room of real machines switches.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis

TOKEN = "bench-operator"
PANEL = (320, 180)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Feed:
    """Serves, at each poll, the posts 'published' since the previous one: `rate` a second."""

    def __init__(self, rate: int):
        self.rate = rate
        self.last = time.time()
        self.next_id = 0
        lock = threading.Lock()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    now = time.time()
                    n = min(5000, int((now - feed.last) * feed.rate))
                    feed.last += n / feed.rate if feed.rate else 0
                    first, feed.next_id = feed.next_id, feed.next_id + n
                stamp = datetime.now(UTC)
                items = [
                    {
                        "id": f"b-{i}",
                        "created": (stamp - timedelta(milliseconds=(n - k))).isoformat(),
                        "content": {"text": f"Post {i} about the #launch, with a few words more than a title"},
                        "user": {"id": i % 997, "name": f"Author {i % 997}"},
                        "url": f"https://example.org/p/{i}",
                    }
                    for k, i in enumerate(range(first, first + n))
                ]
                body = json.dumps({"results": items}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/posts"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def _config(n: int, redis_url: str, port: int, feed_url: str) -> str:
    cols = math.ceil(math.sqrt(n * 2))
    displays = []
    for i in range(n):
        c, r = i % cols, i // cols
        displays.append(
            f"  - {{ id: d{i}, resolution: [{PANEL[0]}, {PANEL[1]}], active_mm: [400, 225], bezel_mm: 2, "
            f"position_mm: [{c * 404}, {r * 229}] }}"
        )
    nodes = "\n".join(f"  n{i}: {{ displays: [d{i}] }}" for i in range(n))
    return f"""name: Room bench {n}
fps: 30
displays:
{chr(10).join(displays)}
feeds:
  posts:
    adapter: json
    poll_s: 1
    options:
      url: "{feed_url}"
      items: results
      max_items: 5000
      post: {{ id: id, published_at: created, text: content.text, url: url, author_id: user.id,
              author_name: user.name }}
layout:
  grid: [4, 2]
  zones:
    main: {{ cells: A1:B2 }}
    side: {{ cells: C1:D1 }}
    foot: {{ cells: C2:D2 }}
scenarios:
  a:
    transition: {{ kind: cut }}
    zones:
      main: {{ widget: top_posts, feed: posts, rank_by: recency, title: "Latest" }}
      side: {{ widget: clock, zones: [{{ tz: Europe/Paris, label: Paris }}] }}
      foot: {{ widget: text, text: "Scenario A" }}
  b:
    transition: {{ kind: cut }}
    zones:
      main: {{ widget: top_posts, feed: posts, rank_by: engagement, title: "Most engaging" }}
      side: {{ widget: text, text: "Scenario B" }}
      foot: {{ widget: clock, zones: [{{ tz: America/New_York, label: New York }}] }}
control:
  listen: 127.0.0.1:{port}
  operator_token: ${{WALL_OPERATOR_TOKEN}}
nodes:
{nodes}
redis:
  url: {redis_url}
"""


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def room_bench(n: int, rounds: int = 10, rate: int = 200, wallctl: list[str] | None = None) -> dict[str, Any]:
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("wallctl bench --nodes needs redis-server: sudo apt-get install -y redis-server")
    cmd = wallctl or [sys.executable, "-m", "wall.cli"]
    tmp = Path(tempfile.mkdtemp(prefix="wall-room-bench-"))
    rport, port = _free_port(), _free_port()
    redis_proc = subprocess.Popen(
        [server, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs: list[subprocess.Popen] = []
    feed = _Feed(rate)
    env = {**os.environ, "WALL_OPERATOR_TOKEN": TOKEN}
    url = f"redis://127.0.0.1:{rport}/0"
    config = tmp / "room.yaml"
    config.write_text(_config(n, url, port, feed.url))
    api = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        client = redis.Redis(port=rport, decode_responses=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        log = (tmp / "hub.log").open("w")
        hub = subprocess.Popen(
            [*cmd, "hub", str(config), "--store", "none", "--no-watch"], env=env, stdout=log, stderr=log
        )
        procs.append(hub)
        started = time.monotonic()
        for i in range(n):
            nlog = (tmp / f"n{i}.log").open("w")
            procs.append(
                subprocess.Popen(
                    [*cmd, "node", str(config), "--node", f"n{i}", "--store", "none", "--workers", "1"],
                    env=env,
                    stdout=nlog,
                    stderr=nlog,
                )
            )

        def nodes() -> list[dict[str, Any]]:
            r = httpx.get(api + "/api/status", headers=auth, timeout=30)
            r.raise_for_status()
            return list(r.json()["nodes"])

        while True:
            try:
                if all(x["state"] == "up" for x in nodes()):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 60 + 10 * n:
                raise RuntimeError(f"not every node came up; logs in {tmp}")
            time.sleep(0.5)
        startup_s = time.monotonic() - started
        time.sleep(3)
        info0, t0 = client.info(), time.monotonic()
        latencies = []
        for k in range(rounds):
            name = "b" if k % 2 == 0 else "a"
            asked = time.time()
            httpx.post(api + "/api/scenario", json={"name": name}, headers=auth, timeout=30).raise_for_status()
            while True:
                got = nodes()
                commits = [x.get("last_commit") or {} for x in got]
                if all(c.get("scenario") == name and c.get("frame_time") for c in commits) and all(
                    datetime.fromisoformat(c["frame_time"]).timestamp() >= asked for c in commits
                ):
                    last = max(datetime.fromisoformat(c["frame_time"]).timestamp() for c in commits)
                    latencies.append((last - asked) * 1000)
                    break
                if time.time() - asked > 30:
                    raise RuntimeError(f"switch {k} to {name} not shown on every node within 30 s; logs in {tmp}")
                time.sleep(0.05)
            time.sleep(1.0)
        info1, t1 = client.info(), time.monotonic()
        span = t1 - t0
        cpu = (info1["used_cpu_sys"] + info1["used_cpu_user"] - info0["used_cpu_sys"] - info0["used_cpu_user"]) / span
        out_bps = (info1["total_net_output_bytes"] - info0["total_net_output_bytes"]) / span
        rss = [_rss_mb(p.pid) for p in procs[1:]]
        lat = np.array(latencies)
        return {
            "nodes": n,
            "posts_per_s": rate,
            "rounds": rounds,
            "startup_s": round(startup_s, 1),
            "switch_ms": {
                "p50": round(float(np.percentile(lat, 50)), 1),
                "p99": round(float(np.percentile(lat, 99)), 1),
                "max": round(float(lat.max()), 1),
            },
            "redis_cpu_percent": round(cpu * 100, 1),
            "redis_used_memory_mb": round(info1["used_memory"] / 2**20, 1),
            "bytes_per_s_per_node": round(out_bps / n),
            "node_rss_mb": {"max": round(max(rss), 1), "mean": round(sum(rss) / len(rss), 1)},
            "hub_rss_mb": round(_rss_mb(hub.pid), 1),
            "machine": f"{os.cpu_count()} CPUs, everything on this one machine",
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        redis_proc.kill()
        feed.httpd.shutdown()
