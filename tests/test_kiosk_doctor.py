"""Kiosk deployment: the systemd unit `wallctl kiosk install` writes, the sd_notify datagrams
`wallctl run` sends to a real socket, and `wallctl doctor`'s verdicts (exit codes, no secrets)."""

from __future__ import annotations

import configparser
import os
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from conftest import REPO, run_cli, wallctl_command

from wall.deploy import sd_notify

ZENDESK_FEED = """
  care:
    adapter: zendesk
    poll_s: 60
    credentials: { token: "${ZENDESK_TOKEN}" }
    options: { base_url: "https://acme.zendesk.com", email: "ops@acme.com" }
"""


def run_env(*args: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str, str]:
    """run_cli with extra environment variables (and ZENDESK_TOKEN removed unless given)."""
    full = {k: v for k, v in os.environ.items() if k not in ("ZENDESK_TOKEN", "NOTIFY_SOCKET", "WATCHDOG_USEC")}
    full.update(env)
    proc = subprocess.run(
        [*wallctl_command(), *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout, env=full
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def zendesk_config(tmp_path: Path) -> Path:
    """config/replay.yaml with its recording path made absolute, plus a Zendesk feed whose token is
    ${ZENDESK_TOKEN}."""
    text = (REPO / "config" / "replay.yaml").read_text()
    text = text.replace("path: ../assets/replay/outage-day.csv", f"path: {REPO / 'assets/replay/outage-day.csv'}")
    text = text.replace("\nfeeds:\n", "\nfeeds:\n" + ZENDESK_FEED.lstrip("\n"), 1)
    path = tmp_path / "lobby.yaml"
    path.write_text(text)
    return path


def parse_unit(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#",))
    cp.optionxform = str  # systemd keys are case-sensitive
    cp.read_string(path.read_text())
    return cp


# ---------------------------------------------------------------- kiosk install


def test_kiosk_install_writes_a_watched_notify_unit(zendesk_config: Path, tmp_path: Path):
    units = tmp_path / "units"
    code, out, err = run_env("kiosk", "install", zendesk_config, "--unit-dir", units, env={"DISPLAY": ":0"})
    assert code == 0, err
    unit = units / "wall-replay-of-an-outage-day.service"
    assert [p.name for p in units.iterdir()] == [unit.name]
    cp = parse_unit(unit)
    svc = cp["Service"]
    assert svc["Type"] == "notify"
    assert svc["NotifyAccess"] == "main"
    wallctl, verb, config, *rest = svc["ExecStart"].split()
    assert Path(wallctl).is_absolute() and Path(wallctl).name == "wallctl"
    # a wall of several displays: desktop windows on the X display of the installing session
    assert (verb, Path(config), rest) == ("run", zendesk_config.resolve(), ["--backend", "pyglet"])
    assert svc["Environment"] == "DISPLAY=:0"
    assert "User" not in svc and "TTYPath" not in svc
    assert svc["WorkingDirectory"] == str(REPO)
    assert (svc["Restart"], svc["RestartSec"], svc["WatchdogSec"]) == ("on-failure", "5", "30")
    assert svc["PassEnvironment"] == "ZENDESK_TOKEN"  # names only, never a value
    assert svc["EnvironmentFile"] == "-/etc/wall/replay-of-an-outage-day.env"
    assert "ZENDESK_TOKEN" in unit.read_text().split("[Service]")[1].split("PassEnvironment")[0]  # the comment
    assert cp["Unit"]["After"] == "graphical.target network-online.target"
    assert cp["Unit"]["Wants"] == "network-online.target"
    assert cp["Install"]["WantedBy"] == "graphical.target"
    # it says how to enable it, and ran nothing
    assert "systemctl daemon-reload" in out
    assert f"systemctl enable --now {unit.name}" in out
    assert f"journalctl -u {unit.name}" in out
    assert "/etc/wall/replay-of-an-outage-day.env" in out


def test_kiosk_install_name_and_multi_user(zendesk_config: Path, tmp_path: Path):
    code, out, err = run_cli(
        "kiosk", "install", zendesk_config, "--unit-dir", tmp_path, "--name", "Lobby 2", "--no-graphical"
    )
    assert code == 0, err
    cp = parse_unit(tmp_path / "wall-lobby-2.service")
    assert cp["Install"]["WantedBy"] == "multi-user.target"
    assert "graphical.target" not in cp["Unit"]["After"]


def test_kiosk_install_one_display_on_the_console_as_a_user(tmp_path: Path):
    code, out, err = run_env(
        "kiosk",
        "install",
        REPO / "config" / "kiosk.yaml",
        "--unit-dir",
        tmp_path,
        "--run-as",
        "wall",
        env={"DISPLAY": ""},
    )
    assert code == 0, err
    cp = parse_unit(tmp_path / "wall-lobby-kiosk.service")
    svc = cp["Service"]
    assert svc["ExecStart"].endswith("--backend kiosk")  # one display: SDL, no desktop needed
    assert svc["User"] == "wall"
    assert svc["SupplementaryGroups"] == "video render input"
    assert svc["TTYPath"] == "/dev/tty1"  # KMSDRM on the console: the VT is the wall's, not getty's
    assert cp["Unit"]["Conflicts"] == "getty@tty1.service"
    assert "Environment" not in svc

    # the same panel on a desktop session instead
    code, out, err = run_env(
        "kiosk",
        "install",
        REPO / "config" / "kiosk.yaml",
        "--unit-dir",
        tmp_path,
        "--name",
        "desk",
        "--display",
        ":1",
        env={},
    )
    assert code == 0, err
    svc = parse_unit(tmp_path / "wall-desk.service")["Service"]
    assert svc["Environment"] == "DISPLAY=:1" and "TTYPath" not in svc


def test_kiosk_install_refuses_the_kiosk_backend_for_a_wall_of_several_displays(tmp_path: Path):
    code, out, err = run_cli("kiosk", "install", "config/demo.yaml", "--unit-dir", tmp_path, "--backend", "kiosk")
    assert code == 2
    assert "drives one screen" in err and "--backend pyglet" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    code, out, err = run_cli(
        "kiosk", "install", "config/kiosk.yaml", "--unit-dir", tmp_path, "--user", "--run-as", "wall"
    )
    assert code == 2 and "--run-as is for system units" in err


def test_hub_install_runs_after_redis_and_node_install_follows_the_hub(tmp_path: Path):
    room = tmp_path / "room.yaml"
    room.write_text(
        (REPO / "config" / "room.yaml")
        .read_text()
        .replace("  commit_deadline_s: 1.0", "  commit_deadline_s: 1.0\n  password: ${WALL_REDIS_PASSWORD}")
    )
    code, out, err = run_cli("hub", "install", room, "--unit-dir", tmp_path)
    assert code == 0, err
    cp = parse_unit(tmp_path / "wall-social-hub-room-hub.service")
    svc = cp["Service"]
    wallctl, verb, config, *rest = svc["ExecStart"].split()
    assert (verb, Path(config), rest) == ("hub", room.resolve(), ["--backend", "headless"])
    assert "redis-server.service" in cp["Unit"]["After"].split()
    assert "redis-server.service" in cp["Unit"]["Wants"].split()
    assert cp["Install"]["WantedBy"] == "multi-user.target"  # the hub shows nothing: no desktop needed
    assert svc["PassEnvironment"] == "WALL_REDIS_PASSWORD"

    code, out, err = run_env(
        "kiosk",
        "install",
        room,
        "--node",
        "left",
        "--redis",
        "rediss://hub.lan:6380/0",
        "--unit-dir",
        tmp_path,
        env={"DISPLAY": ":0"},
    )
    assert code == 0, err
    cp = parse_unit(tmp_path / "wall-social-hub-room-left.service")
    svc = cp["Service"]
    wallctl, verb, config, *rest = svc["ExecStart"].split()
    assert (verb, Path(config)) == ("node", room.resolve())
    assert rest == ["--node", "left", "--redis", "rediss://hub.lan:6380/0", "--backend", "pyglet"]
    assert svc["RestartSec"] == "1"  # a node killed is back at once
    assert svc["PassEnvironment"] == "WALL_REDIS_PASSWORD"  # never the feeds' credentials: a node polls nothing
    assert "redis-server.service" not in cp["Unit"]["After"]

    code, out, err = run_cli("kiosk", "install", room, "--node", "lobby", "--unit-dir", tmp_path)
    assert code == 2 and "no node 'lobby'" in err and "left, middle, right" in err
    code, out, err = run_cli("hub", "install", "config/demo.yaml", "--unit-dir", tmp_path)
    assert code == 2 and "no nodes: section" in err


def test_kiosk_install_refuses_to_overwrite_a_different_unit(zendesk_config: Path, tmp_path: Path):
    unit = tmp_path / "wall-lobby.service"
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    code, out, err = run_cli("kiosk", "install", zendesk_config, "--unit-dir", tmp_path, "--name", "lobby")
    assert code == 2
    assert "--force" in err and str(unit) in err
    assert unit.read_text() == "[Service]\nExecStart=/bin/true\n"
    # the same unit again is fine (idempotent), --force replaces a different one
    code, out, err = run_cli("kiosk", "install", zendesk_config, "--unit-dir", tmp_path, "--name", "lobby", "--force")
    assert code == 0, err
    written = unit.read_text()
    assert "Type=notify" in written
    code, out, err = run_cli("kiosk", "install", zendesk_config, "--unit-dir", tmp_path, "--name", "lobby")
    assert code == 0, err
    assert unit.read_text() == written


def test_kiosk_install_bad_config_writes_nothing(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "config" / "demo.yaml").read_text().replace("fps:", "fps_typo:", 1))
    units = tmp_path / "units"
    code, out, err = run_cli("kiosk", "install", bad, "--unit-dir", units)
    assert code == 1
    assert f"{bad}:" in err and any(
        line.startswith(f"{bad}:") and line.split(":")[1].isdigit() for line in err.splitlines()
    )
    assert not units.exists()


# ---------------------------------------------------------------- sd_notify


def _listen(address) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_sd_notify_sends_datagrams(tmp_path: Path, abstract: bool):
    if abstract:
        name = f"wall-test-{uuid.uuid4().hex}"
        sock, env = _listen(b"\0" + name.encode()), {"NOTIFY_SOCKET": "@" + name}
    else:
        path = tmp_path / "notify.sock"
        sock, env = _listen(str(path)), {"NOTIFY_SOCKET": str(path)}
    with sock:
        assert sd_notify.notify("READY=1", "STATUS=up", environ=env)
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"
        assert sd_notify.notify("STOPPING=1", environ=env)
        assert sock.recv(4096) == b"STOPPING=1"
        dog = sd_notify.Watchdog({**env, "WATCHDOG_USEC": "2000000"}, clock=iter([0.0, 0.5, 1.2]).__next__)
        assert dog.interval == 1.0
        dog.frame_done(), dog.frame_done(), dog.frame_done()  # pings at 0.0 and 1.2, not at 0.5
        assert [sock.recv(4096), sock.recv(4096)] == [b"WATCHDOG=1", b"WATCHDOG=1"]
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recv(4096)


def test_sd_notify_is_a_noop_without_a_socket():
    assert sd_notify.notify("READY=1", environ={}) is False
    assert sd_notify.Watchdog({}).interval is None
    assert sd_notify.Watchdog({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}).interval is None  # not ours


def test_run_tells_systemd_ready_watchdog_stopping(tmp_path: Path):
    path = tmp_path / "notify.sock"
    messages: list[str] = []
    with _listen(str(path)) as sock:
        sock.settimeout(0.2)
        done = threading.Event()

        def receive() -> None:  # like systemd: read while the wall runs (a full queue drops messages)
            while True:
                try:
                    messages.append(sock.recv(4096).decode())
                except TimeoutError:
                    if done.is_set():
                        return

        reader = threading.Thread(target=receive)
        reader.start()
        try:
            code, out, err = run_env(
                "run",
                "config/demo.yaml",
                "--frames",
                "40",
                "--store",
                "none",
                env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"},
            )
        finally:
            done.set()
            reader.join()
    assert code == 0, err
    firsts = [m.splitlines()[0] for m in messages]
    assert firsts[0] == "READY=1"
    assert "WATCHDOG=1" in firsts[1:-1]
    assert firsts[-1] == "STOPPING=1"
    assert firsts.index("READY=1") < firsts.index("WATCHDOG=1")


# ---------------------------------------------------------------- doctor


def test_doctor_ok_on_this_machine():
    code, out, err = run_env("doctor", "config/demo.yaml", env={})
    assert code == 0, out + err
    lines = out.splitlines()
    assert any(line.startswith("ok") and "gl context" in line and "GL_RENDERER" in line for line in lines)
    assert any(line.startswith("ok") and "fonts" in line and "Noto Color Emoji" in line for line in lines)
    assert any("config" in line and "valid" in line for line in lines)
    assert not any(line.startswith("problem") for line in lines)


def test_doctor_reports_an_unset_credential_without_values(zendesk_config: Path):
    code, out, err = run_env("doctor", zendesk_config, env={})
    assert code == 1
    (line,) = [line for line in out.splitlines() if line.startswith("problem") and "credentials" in line]
    assert "ZENDESK_TOKEN is not set" in line
    secret = "zd-SECRET-do-not-print"
    code, out, err = run_env("doctor", zendesk_config, env={"ZENDESK_TOKEN": secret})
    assert "ZENDESK_TOKEN is set" in out
    assert secret not in out + err
    assert code == 0, out + err
