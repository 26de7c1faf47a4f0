"""The systemd service unit that runs a wall as a kiosk: started at boot, restarted on failure,
and watched: `wallctl run` tells systemd READY=1 after its first complete frame and pings
WATCHDOG=1 while frames are produced (see sd_notify.py), so a hung render loop is restarted.

Only the text is made here; installing writes one file and never runs systemctl (the installer
decides when to enable it, and tests can write units to a temporary folder).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config.base import env_var_name
from ..config.loader import LoadedConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
USER_UNIT_DIR = Path("~/.config/systemd/user")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _arg(value: object) -> str:
    """One ExecStart= argument: '%' is systemd's specifier character, spaces need quotes."""
    text = str(value).replace("%", "%%")
    return f'"{text}"' if any(c.isspace() for c in text) else text


def unit_name(name: str) -> str:
    return f"wall-{name}.service"


def credential_env_vars(loaded: LoadedConfig) -> list[str]:
    """The environment variables the config's feed credentials name (names only, sorted)."""
    return sorted({env_var_name(ref) for fc in loaded.config.feeds.values() for ref in fc.credentials.values()})


def wallctl_path() -> Path:
    """The `wallctl` script of the interpreter running now (the venv's), not resolved through its
    symlinks: resolving the venv's python would leave the venv."""
    return Path(sys.executable).absolute().parent / "wallctl"


@dataclass(frozen=True)
class KioskUnit:
    name: str  # the slug in wall-<name>.service
    config_path: Path  # absolute
    env_vars: tuple[str, ...]
    backend: str = "kiosk"
    graphical: bool = True
    user: bool = False
    run_as: str | None = None  # system units: the account the wall runs as (default: root)
    display: str | None = None  # an X display to draw on (DISPLAY=); None with kiosk: the console
    # a room over several machines: `hub` (polls and decides; after the local redis-server) or `node`
    # (renders its displays from the hub's data); "run": a wall on its own
    role: str = "run"
    node: str | None = None
    redis_url: str | None = None

    @property
    def file_name(self) -> str:
        return unit_name(self.name)

    @property
    def env_file(self) -> str:
        return f"/etc/wall/{self.name}.env"

    def render(self, wallctl: Path | None = None, working_dir: Path = REPO_ROOT) -> str:
        wallctl = wallctl or wallctl_path()
        # a user manager has no graphical.target or multi-user.target: default.target is its boot
        target = "default.target" if self.user else ("graphical.target" if self.graphical else "multi-user.target")
        after = "graphical.target network-online.target" if self.graphical else "network-online.target"
        what = {"hub": "room hub", "node": f"room node '{self.node}'"}.get(self.role, "kiosk")
        written_by = "wallctl hub install" if self.role == "hub" else "wallctl kiosk install"
        if self.role == "hub" and not self.user:
            after += " redis-server.service"  # the room's Redis on this machine, when it is here
        lines = [
            f"# wall {what} '{self.name}', written by `{written_by}`.",
            f"# `wallctl {self.role}` reports READY=1 after its first complete frame and pings the watchdog",
            "# while frames are produced; a hung render loop is restarted after WatchdogSec.",
            "[Unit]",
            f"Description=wall video wall: {self.name}",
            f"After={after}",
        ]
        if not self.user:  # a user manager cannot pull in the system's network-online.target
            lines.append("Wants=network-online.target" + (" redis-server.service" if self.role == "hub" else ""))
        console = self.backend == "kiosk" and self.display is None and not self.user
        if console:
            # SDL on the console (KMSDRM) owns a virtual terminal: the login prompt must not take it
            lines += ["Conflicts=getty@tty1.service", "After=systemd-user-sessions.service getty@tty1.service"]
        lines += [
            "",
            "[Service]",
            "Type=notify",
            "NotifyAccess=main",
            f"ExecStart={self._exec(wallctl)}",
            f"WorkingDirectory={working_dir}",
            "Restart=on-failure",
            # a node killed is back within seconds: it reopens on the hub's scenario and data at once
            f"RestartSec={1 if self.role == 'node' else 5}",
            "WatchdogSec=30",
        ]
        if self.run_as and not self.user:
            lines.append(f"User={self.run_as}")
            if self.backend != "headless":
                # the GPU (render), the display outputs (video) and keyboards (input) without root
                lines.append("SupplementaryGroups=video render input")
        if console:
            lines += ["TTYPath=/dev/tty1", "StandardInput=tty-fail", "StandardOutput=journal", "StandardError=journal"]
        if self.display is not None:
            lines.append(f"Environment=DISPLAY={self.display}")
            if self.run_as is None and not self.user:
                lines.append(
                    "# root drawing on someone's X session needs its cookie: set XAUTHORITY= here, "
                    "or use --run-as that session's user"
                )
        if self.env_vars:
            # names only: `Environment=NAME` without a value is invalid, and `NAME=` would turn an
            # unset secret into an empty one; PassEnvironment names them, the file gives the values
            lines.append(f"# credentials the config references: {' '.join(self.env_vars)}")
            lines.append(f"# their values go in {self.env_file} (NAME=value lines, mode 600);")
            lines.append("# the '-' makes that file optional (the feeds then report a credentials error)")
            lines.append(f"PassEnvironment={' '.join(self.env_vars)}")
        lines.append(f"EnvironmentFile=-{self.env_file}")
        lines += ["", "[Install]", f"WantedBy={target}", ""]
        return "\n".join(lines)

    def _exec(self, wallctl: Path) -> str:
        args = [_arg(wallctl), self.role, _arg(self.config_path)]
        if self.role == "node":
            args += ["--node", _arg(self.node)]
        if self.redis_url:
            args += ["--redis", _arg(self.redis_url)]
        return " ".join([*args, "--backend", self.backend])

    def enable_instructions(self, path: Path) -> list[str]:
        sc = "systemctl --user" if self.user else "sudo systemctl"
        jc = "journalctl --user" if self.user else "journalctl"
        out = [f"wrote {path}"]
        if self.env_vars:
            out.append(
                f"put the credentials in {self.env_file} ({', '.join(self.env_vars)}; NAME=value lines, "
                f"then: sudo chmod 600 {self.env_file})"
            )
        out += [
            "enable it with:",
            f"  {sc} daemon-reload",
            f"  {sc} enable --now {self.file_name}",
            "follow it with:",
            f"  {jc} -u {self.file_name} -f",
        ]
        return out
