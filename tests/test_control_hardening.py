"""The control API under attack, on real sockets against a real `wallctl run` process: a flood of
half-sent requests and a huge unauthenticated body while the wall renders, malformed credentials,
the security headers, named operators' tokens (audited by name, revoked by a reload) and TLS.

What is checked is what the room would notice: the wall process stays up and keeps rendering, its
log stays short, and an operator's request right after the flood succeeds.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO, wallctl_command

OPERATOR = "op-hard-4411"
VIEWER = "view-hard-9a0c"
ADA = "ada-own-token-77e1"
GRACE = "grace-hashed-token-52b0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Wall:
    """`wallctl run` on a copy of the demo config with the given control: section."""

    def __init__(self, tmp: Path, control: str, env: dict[str, str]):
        self.port = free_port()
        text = (REPO / "config" / "demo.yaml").read_text()
        start = text.index("control:\n")
        end = text.index("\n\n", start)
        text = text[:start] + control.replace("PORT", str(self.port)).rstrip("\n") + text[end:]
        self.config = tmp / "wall.yaml"
        self.config.write_text(text)
        self.log = tmp / "run.log"
        self._f = self.log.open("w")
        full = {k: v for k, v in os.environ.items() if not k.startswith("WALL_")}
        full.update(env)
        self.proc = subprocess.Popen(
            [*wallctl_command(), "run", str(self.config), "--store", "none", "--no-watch"],
            cwd=REPO,
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=self._f,
        )

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log.read_text()
            if text in log:
                return log
            if self.proc.poll() is not None:
                pytest.fail(f"wallctl run exited early:\n{log}")
            time.sleep(0.1)
        pytest.fail(f"no '{text}' in:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._f.close()


CONTROL = """control:
  listen: 127.0.0.1:PORT
  operator_token: ${WALL_OPERATOR_TOKEN}
  viewer_token: ${WALL_VIEWER_TOKEN}
"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    w = Wall(tmp_path_factory.mktemp("hard"), CONTROL, {"WALL_OPERATOR_TOKEN": OPERATOR, "WALL_VIEWER_TOKEN": VIEWER})
    w.url = f"http://127.0.0.1:{w.port}"
    w.wait_for("control API and console at")
    yield w
    w.stop()


def get(wall, path: str, token: str | None = VIEWER, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(wall.url + path, headers=headers, timeout=30, **kw)


def test_a_connection_flood_and_a_huge_body_leave_the_wall_rendering(wall):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))  # this test's own 2,000 sockets
    before = get(wall, "/api/status").json()
    rss_before = rss_mb(wall.proc.pid)
    log_before = len(wall.log.read_text().splitlines())
    # 100 MB without a token: refused from the headers, before any body is read
    big = socket.create_connection(("127.0.0.1", wall.port), timeout=30)
    big.sendall(b"POST /api/scenario HTTP/1.1\r\nHost: wall\r\nContent-Length: 104857600\r\n\r\n")
    sent = 0
    chunk = b"x" * (1 << 20)
    answer = b""
    big.settimeout(5)
    try:
        while sent < 100 * (1 << 20):
            big.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the wall answered and closed: the rest was never read
    try:
        answer = big.recv(4096)
    except OSError:
        pass
    big.close()
    assert answer.startswith(b"HTTP/1.1 401"), (answer[:200], sent)
    assert sent < 100 * (1 << 20)  # cut off long before the end
    assert rss_mb(wall.proc.pid) - rss_before < 100  # the 100 MB body never entered the process
    t0 = time.monotonic()
    socks = []
    try:
        for _ in range(2000):  # half-sent requests: the headers never end
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", wall.port))
            except BlockingIOError:
                pass
            socks.append(s)
        time.sleep(0.5)
        for s in socks:
            try:
                s.send(b"GET /api/status HTTP/1.1\r\nHost: wall\r\nX-Slow: ")
            except OSError:
                pass  # refused at the cap: closed at once, as intended
        time.sleep(12)  # past the request time limit: the half-sent requests are cut
        assert wall.proc.poll() is None, wall.log.read_text()[-3000:]
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    elapsed = time.monotonic() - t0
    r = httpx.post(
        wall.url + "/api/scenario",
        json={"name": "crisis", "wait": True},
        headers={"Authorization": f"Bearer {OPERATOR}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    after = get(wall, "/api/status").json()
    rendered = after["frames"] - before["frames"]
    assert rendered >= 0.5 * 30 * elapsed, (rendered, elapsed)  # it went on rendering all along
    log = wall.log.read_text().splitlines()[log_before:]
    assert len(log) < 60, "\n".join(log[-20:])  # bounded: no line per connection
    assert not any("Traceback" in line for line in log)


def test_malformed_credentials_are_401_and_the_scheme_is_case_insensitive(wall):
    for header in (b"Bearer \xe9", b"Bearer", b"Basic b3A6b3A=", b"Bearer  ", b"\xff\xfe"):
        with socket.create_connection(("127.0.0.1", wall.port), timeout=10) as s:
            s.sendall(b"GET /api/status HTTP/1.1\r\nHost: wall\r\nAuthorization: " + header + b"\r\n\r\n")
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 401"), (header, answer[:300])
    r = httpx.get(wall.url + "/api/status", headers={"Authorization": f"bearer {VIEWER}"}, timeout=10)
    assert r.status_code == 200
    # a body over the cap with a valid token: 413, read no further
    r = httpx.post(
        wall.url + "/api/scenario",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"Authorization": f"Bearer {OPERATOR}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413


def test_every_response_carries_the_security_headers(wall):
    for r in (get(wall, "/", token=None), get(wall, "/api/status"), get(wall, "/api/status", token=None)):
        h = r.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], (r.url, dict(h))
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
    assert get(wall, "/openapi.json", token=None).status_code == 401
    assert get(wall, "/docs", token=None).status_code == 401


def test_named_operators_are_audited_by_name_and_revoked_by_a_reload(tmp_path):
    hashes = tmp_path / "operators.txt"
    hashes.write_text(f"# name role sha256\ngrace operator {hashlib.sha256(GRACE.encode()).hexdigest()}\n")
    control = f"""control:
  listen: 127.0.0.1:PORT
  operator_token: ${{WALL_OPERATOR_TOKEN}}
  operators:
    ada:
      role: operator
      token: ${{WALL_TOKEN_ADA}}
  operators_file: {hashes}
"""
    w = Wall(tmp_path, control, {"WALL_OPERATOR_TOKEN": OPERATOR, "WALL_TOKEN_ADA": ADA})
    url = f"http://127.0.0.1:{w.port}"
    try:
        w.wait_for("control API and console at")

        def hide(token: str, key: str) -> httpx.Response:
            return httpx.post(
                url + "/api/moderation/hide",
                json={"key": key},
                headers={"Authorization": f"Bearer {token}", "X-Wall-User": "Somebody Else"},
                timeout=30,
            )

        assert hide(ADA, "demo:a").status_code == 200
        assert hide(GRACE, "demo:b").status_code == 200
        audit = httpx.get(url + "/api/moderation", headers={"Authorization": f"Bearer {OPERATOR}"}).json()["audit"]
        by_target = {a["target"]: a["who"] for a in audit}
        # the token's name and role and the address, never the name the request claims
        assert by_target["demo:a"] == "ada (operator token)@127.0.0.1"
        assert by_target["demo:b"] == "grace (operator token)@127.0.0.1"

        w.config.write_text(
            w.config.read_text().replace("    ada:\n      role: operator\n      token: ${WALL_TOKEN_ADA}\n", "")
        )
        r = httpx.post(url + "/api/reload", headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=60)
        assert r.status_code == 200, r.text
        assert hide(ADA, "demo:c").status_code == 401  # revoked
        assert hide(GRACE, "demo:d").status_code == 200
    finally:
        w.stop()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a test certificate")
def test_tls_serves_https_and_plain_http_beyond_loopback_is_called_out(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    control = f"""control:
  listen: 127.0.0.1:PORT
  operator_token: ${{WALL_OPERATOR_TOKEN}}
  tls_cert: {cert}
  tls_key: {key}
"""
    w = Wall(tmp_path, control, {"WALL_OPERATOR_TOKEN": OPERATOR})
    try:
        w.wait_for(f"control API and console at https://127.0.0.1:{w.port}/")
        r = httpx.get(
            f"https://127.0.0.1:{w.port}/api/status",
            headers={"Authorization": f"Bearer {OPERATOR}"},
            verify=ssl.create_default_context(cafile=str(cert)),
            timeout=30,
        )
        assert r.status_code == 200
        assert "max-age" in r.headers["strict-transport-security"]
    finally:
        w.stop()

    plain = tmp_path / "plain"
    plain.mkdir()
    w = Wall(
        plain,
        "control:\n  listen: 0.0.0.0:PORT\n  operator_token: ${WALL_OPERATOR_TOKEN}\n",
        {"WALL_OPERATOR_TOKEN": OPERATOR},
    )
    try:
        log = w.wait_for("control API and console at")
        assert "over plain HTTP" in log and "tls_cert" in log
    finally:
        w.stop()
