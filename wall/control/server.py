"""The control API and web console: FastAPI served by uvicorn in a thread of the wall process.

Handlers never touch GL, the engine or the director's state: they queue typed commands
(wall/scenes/commands.py) and wait (async, with a time limit) for the render thread to answer, or
read the typed status it republishes each frame (wall/control/status.py). What they may ask of the
wall is the `WallControl` protocol below (wall/live.py's LiveWall is the one implementation). A slow
or stuck client therefore cannot slow a frame, and a stuck render loop shows up as 503.

Two roles, each a bearer token taken from the environment at start: operators may change the
wall, viewers may read it. Without an operator token the API is read-only (and says so); without
any token it does not start (a wall's API is never open to anyone on the network).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ..config.base import resolve_env_ref
from ..config.loader import LoadedConfig
from ..errors import UsageError
from ..moderation import Moderator
from ..render.frame_loop import FrameTimes
from ..render.snapshot import wall_preview
from ..scenes import commands as cmd
from ..scenes.views import ZoneView, to_json
from .guard import MAX_CONNECTIONS, MAX_HEADER_BYTES, Guard, GuardedH11, raise_open_file_limit, throttle_logs
from .status import WallStatus

log = logging.getLogger("wall.control")

STATIC = Path(__file__).resolve().parent / "static"
ANSWER_S = 5.0  # how long a handler waits for the render thread
SWITCH_WAIT_S = 30.0  # how long `wait: true` may wait for a switch to show


class ControlUnavailable(UsageError):
    """The API cannot start as configured: the message says why and what to set."""


@dataclass(frozen=True)
class Identity:
    """Who a bearer token says is asking: a named person's token, or a role's shared one."""

    role: str  # "operator" | "viewer"
    name: str | None = None  # the token's name in control.operators (None: the role's shared token)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class Tokens:
    """The tokens the API accepts: one shared token per role, and named people's tokens (each with its
    role), kept as SHA-256 digests. `replace` swaps them whole (a reload revokes or adds tokens)."""

    def __init__(
        self,
        operator: str | None,
        viewer: str | None,
        named: dict[str, tuple[str, bytes]] | None = None,  # name -> (role, sha256 of the token)
    ):
        self._set(operator, viewer, named or {})

    def _set(self, operator: str | None, viewer: str | None, named: dict[str, tuple[str, bytes]]) -> None:
        by_digest: dict[bytes, Identity] = {}
        for name, (role, digest) in named.items():
            by_digest[digest] = Identity(role, name)
        if viewer:
            by_digest[_digest(viewer)] = Identity("viewer")
        if operator:
            by_digest[_digest(operator)] = Identity("operator")
        # one assignment: a request in flight on another thread sees the old set or the new one
        self._state = (by_digest, bool(operator) or any(r == "operator" for r, _ in named.values()))

    def replace(self, other: Tokens) -> None:
        self._state = other._state

    @property
    def any(self) -> bool:
        return bool(self._state[0])

    @property
    def writable(self) -> bool:
        return self._state[1]

    def identify(self, header: str | bytes | None) -> Identity | None:
        """The identity an Authorization header's bearer token gives; None for a missing, unknown or
        malformed one (any bytes, any case of 'Bearer')."""
        if header is None:
            return None
        raw = header if isinstance(header, bytes) else header.encode("latin-1", "replace")
        scheme, _, given = raw.strip().partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            return None
        digest = hashlib.sha256(given.strip()).digest()
        found = None
        for known, identity in self._state[0].items():  # every entry compared: no early exit to time
            if secrets.compare_digest(known, digest):
                found = identity
        return found

    def role(self, header: str | bytes | None) -> str | None:
        identity = self.identify(header)
        return identity.role if identity is not None else None


def tokens_of(loaded: LoadedConfig) -> Tokens:
    """The tokens a config gives: the shared role tokens and every named one (from the environment,
    or as hashes from control.operators_file). ValueError for a malformed operators file."""
    cfg = loaded.config.control
    operator = resolve_env_ref(cfg.operator_token) if cfg.operator_token else None
    viewer = resolve_env_ref(cfg.viewer_token) if cfg.viewer_token else None
    named: dict[str, tuple[str, bytes]] = {}
    for name, op in cfg.operators.items():
        token = resolve_env_ref(op.token)
        if token:  # a person whose variable is unset has no access (and is not an empty token)
            named[name] = (op.role, _digest(token))
    if cfg.operators_file:
        path = Path(cfg.operators_file)
        if not path.is_absolute():
            path = loaded.path.resolve().parent / path
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the operators file ({exc.strerror})") from None
        for n, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) != 3 or words[1] not in ("operator", "viewer") or not _is_sha256(words[2]):
                raise ValueError(
                    f"{path}:{n}: expected 'NAME ROLE SHA256' (ROLE operator or viewer; SHA256 the 64 hex digits "
                    "of `printf %s TOKEN | sha256sum`)"
                )
            named[words[0]] = (words[1], bytes.fromhex(words[2]))
    return Tokens(operator, viewer, named)


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


# ------------------------------------------------------------------ request bodies


class ScenarioBody(BaseModel):
    name: str
    group: str | None = Field(default=None, description="a hub's group of nodes (default: the wall itself)")
    wait: bool = Field(default=False, description="answer when the first frame of the new scenario is shown")


class SpotlightBody(BaseModel):
    zone: str | None = Field(default=None, description="the zone to fill the wall with; null: back to the whole wall")


class FreezeBody(BaseModel):
    on: bool = True


class LockBody(BaseModel):
    on: bool = True
    minutes: float | None = Field(default=None, gt=0, le=240, description="time limit; default 30")


class PostBody(BaseModel):
    key: str = Field(min_length=1, description="the post's key (source:native_id), as in the queue and zone states")


class BlockBody(BaseModel):
    kind: Literal["author", "term"]
    value: str = Field(min_length=1)


class KillBody(BaseModel):
    on: bool = True


class ReplayBody(BaseModel):
    feed: str
    start: datetime | None = Field(default=None, alias="from", description="file time to play from (ISO 8601)")
    speed: Annotated[float, Field(gt=0, le=10_000)] | Literal["max"] | None = Field(
        default=None, description="file seconds per wall second, or 'max': the whole period as fast as it loads"
    )


class WallControl(Protocol):
    """What the control API may ask of a running wall (thread-safe: called from uvicorn's thread)."""

    @property
    def loaded(self) -> LoadedConfig: ...

    @property
    def moderator(self) -> Moderator: ...

    def submit(self, command: cmd.Command, who: str, group: str | None = None) -> Future[cmd.Answer]: ...

    def status(self) -> WallStatus: ...

    def zone_view(self, zone_id: str) -> ZoneView | None: ...

    def zone_ids(self) -> list[str]: ...

    def preview(self, width: int) -> Future: ...

    def scenario_titles(self) -> list[tuple[str, str]]: ...

    def reload(self, who: str) -> dict[str, Any]:
        """Re-read the config file; ValueError with the file:line:col problems when it is invalid."""
        ...

    def replay(
        self, feed: str, start: datetime | None, speed: float | Literal["max"] | None, who: str
    ) -> dict[str, Any]: ...

    def frame_times(self) -> FrameTimes | None: ...

    def paints_in_flight(self) -> int: ...

    def commands_queued(self) -> int: ...


def create_app(wall: WallControl, tokens: Tokens, *, tls: bool = False) -> Guard:
    """The API as an ASGI application, behind its guard (guard.py). /docs and /openapi.json need a
    token like everything but the console's page and files."""
    app = FastAPI(
        title="wall control API",
        version="1",
        description="Switch, present, moderate and watch a wall.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    def identity(request: Request) -> Identity:
        found = tokens.identify(request.headers.get("authorization"))
        if found is None:
            raise HTTPException(
                401,
                "a bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return found

    def role(who: Identity = Depends(identity)) -> str:
        return who.role

    def viewer(r: str = Depends(role)) -> str:
        return r

    def operator(request: Request, who: Identity = Depends(identity)) -> str:
        if not tokens.writable:
            raise HTTPException(
                403,
                "the API is read-only: no operator token is set where the wall runs "
                "(set the variable named by control.operator_token)",
            )
        if who.role != "operator":
            raise HTTPException(403, "this needs the operator token; the viewer token may only read")
        host = request.client.host if request.client else "?"
        if who.name is not None:  # a named person's token: the audit names the token, not a claim
            return f"{who.name} (operator token)@{host}"
        raw = request.headers.get("x-wall-user") or ""
        try:  # HTTP headers arrive as Latin-1; browsers and wallctl send a name's UTF-8 bytes
            raw = raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        name = raw.strip()[:60]  # self-declared, with the shared operator token
        return f"{name or 'operator'}@{host}"

    async def answer(fut: Future, timeout: float = ANSWER_S):
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(fut), timeout)
        except TimeoutError:
            raise HTTPException(
                503, f"the wall did not answer within {timeout:g} s (is its frame loop running?)"
            ) from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        except RuntimeError as exc:
            raise HTTPException(500, str(exc)) from None
        return result

    def public(result: cmd.Answer) -> dict[str, Any]:
        return result.as_json() if isinstance(result, cmd.Switching) else result

    async def command(command: cmd.Command, who: str) -> dict[str, Any]:
        return public(await answer(wall.submit(command, who)))

    # ---------------------------------------------------------------- reading

    @app.get("/api/status", summary="scenario, schedule, frame times, displays, feeds, moderation")
    def status(r: str = Depends(viewer)):
        s = wall.status().as_json()
        s["control"] = {"writable": tokens.writable, "role": r}
        return s

    @app.get("/api/scenarios")
    def scenarios(_: str = Depends(viewer)):
        return {
            "current": wall.status().director.scenario,
            "scenarios": [{"name": name, "title": title} for name, title in wall.scenario_titles()],
        }

    @app.get("/api/zones/{zone_id}/state", summary="the view-model a zone's painter receives")
    def zone_state(zone_id: str, _: str = Depends(viewer)):
        shown = wall.zone_view(zone_id)
        if shown is None:
            raise HTTPException(404, f"no zone '{zone_id}' in the scenario shown; zones: {', '.join(wall.zone_ids())}")
        return {"zone": zone_id, "widget": shown.widget, "view": to_json(shown.view)}

    @app.get("/api/snapshot.png", summary="the wall as it is now (PNG, scaled to `width`)")
    async def snapshot(width: int = 1440, _: str = Depends(viewer)):
        width = max(160, min(width, 5760))
        scale, pictures = await answer(wall.preview(width))
        png = await asyncio.to_thread(_preview_png, wall.loaded.wall, pictures, width, scale)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.get("/api/moderation")
    def moderation(_: str = Depends(viewer)):
        mod = wall.moderator
        return {"state": mod.state(), "queue": mod.queue(), "audit": mod.audit(50)}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus text format")
    def metrics(_: str = Depends(viewer)):
        return PlainTextResponse(_metrics(wall), media_type="text/plain; version=0.0.4")

    # ---------------------------------------------------------------- operating

    @app.post("/api/scenario")
    async def scenario(body: ScenarioBody, who: str = Depends(operator)):
        try:
            submitted = wall.submit(cmd.ShowScenario(body.name), who, body.group)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        result = await answer(submitted)
        if not isinstance(result, cmd.Switching):
            return JSONResponse(result, status_code=200)
        if body.wait:
            return await answer(result.shown, SWITCH_WAIT_S)
        return JSONResponse(result.as_json(), status_code=202)

    @app.post("/api/next")
    async def next_(who: str = Depends(operator)):
        return await command(cmd.StepScenario(1), who)

    @app.post("/api/prev")
    async def prev(who: str = Depends(operator)):
        return await command(cmd.StepScenario(-1), who)

    @app.post("/api/resume", summary="back to the schedule (ends an operator's choice)")
    async def resume(who: str = Depends(operator)):
        return await command(cmd.Resume(), who)

    @app.post("/api/spotlight")
    async def spotlight(body: SpotlightBody, who: str = Depends(operator)):
        return await command(cmd.Spotlight(body.zone), who)

    @app.post("/api/freeze")
    async def freeze(body: FreezeBody, who: str = Depends(operator)):
        return await command(cmd.Freeze(body.on), who)

    @app.post("/api/lock")
    async def lock(body: LockBody, who: str = Depends(operator)):
        return await command(cmd.Lock(body.on, body.minutes), who)

    @app.post("/api/alerts/{rule}/ack")
    async def ack(rule: str, who: str = Depends(operator)):
        return await command(cmd.Acknowledge(rule), who)

    def moderate(action: str, value: str | bool | None, who: str):
        fn = getattr(wall.moderator, action)
        try:
            return fn(value, who=who) if value is not None else fn(who=who)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    # moderation acts at once (the moderator is thread-safe; the next frame filters with it)
    @app.post("/api/moderation/hide")
    def hide(body: PostBody, who: str = Depends(operator)):
        return moderate("hide", body.key, who)

    @app.post("/api/moderation/unhide")
    def unhide(body: PostBody, who: str = Depends(operator)):
        return moderate("unhide", body.key, who)

    @app.post("/api/moderation/approve")
    def approve(body: PostBody, who: str = Depends(operator)):
        return moderate("approve", body.key, who)

    @app.post("/api/moderation/reject")
    def reject(body: PostBody, who: str = Depends(operator)):
        return moderate("reject", body.key, who)

    @app.post("/api/moderation/block")
    def block(body: BlockBody, who: str = Depends(operator)):
        return moderate(f"block_{body.kind}", body.value, who)

    @app.post("/api/moderation/unblock")
    def unblock(body: BlockBody, who: str = Depends(operator)):
        return moderate(f"unblock_{body.kind}", body.value, who)

    @app.post("/api/moderation/kill", summary="the wall-wide kill switch (fallback scenario)")
    async def kill(body: KillBody, who: str = Depends(operator)):
        done = await asyncio.to_thread(moderate, "kill", body.on, who)
        # the director chooses the scenario a kill switch shows: answer once it has, so the status
        # read after this answer tells the wall's new state
        await command(cmd.Settle(), who)
        return done

    @app.post("/api/reload", summary="re-read the config file now (invalid: rejected, the wall keeps running)")
    async def reload_(who: str = Depends(operator)):
        try:
            return await asyncio.to_thread(wall.reload, who)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.post("/api/replay", summary="play a recorded period of a replay feed at a chosen speed")
    def replay_(body: ReplayBody, who: str = Depends(operator)):
        try:
            return wall.replay(body.feed, body.start, body.speed, who)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None

    # ---------------------------------------------------------------- console

    @app.get("/", include_in_schema=False)
    def console():
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_: str = Depends(viewer)):
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(_: str = Depends(viewer)):
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="wall control API")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return Guard(
        app,
        authorized=lambda header: tokens.identify(header) is not None,
        public=lambda path: path == "/" or path.startswith("/static/"),
        tls=tls,
    )


def _preview_png(wall, pictures: dict, width: int, scale: float = 1.0) -> bytes:
    from PIL import Image

    img = Image.fromarray(wall_preview(wall, pictures, scale)[:, :, :3])
    if img.width > width:
        img = img.resize((width, max(1, round(img.height * width / img.width))), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _metrics(wall: WallControl) -> str:
    lines = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{labels} {value:g}")

    times = wall.frame_times()
    if times is not None:
        buckets, count, total = times.histogram()
        lines.append("# HELP wall_frame_seconds Work per frame (views, uploads, compositing, presenting).")
        lines.append("# TYPE wall_frame_seconds histogram")
        for bound, n in buckets:
            lines.append(f'wall_frame_seconds_bucket{{le="{bound:g}"}} {n}')
        lines.append(f'wall_frame_seconds_bucket{{le="+Inf"}} {count}')
        lines.append(f"wall_frame_seconds_sum {total:.6f}")
        lines.append(f"wall_frame_seconds_count {count}")
        metric(
            "wall_dropped_frames_total", "counter", "Frame slots missed because a frame overran.", [("", times.dropped)]
        )
    status = wall.status()
    metric(
        "wall_scenario_info", "gauge", "The scenario shown (1).", [(f'{{scenario="{status.director.scenario}"}}', 1)]
    )
    feeds = status.feeds
    metric(
        "wall_feed_up",
        "gauge",
        "1 when the feed's last poll succeeded and its data is fresh.",
        [(f'{{feed="{f}",state="{h.state}"}}', 1 if h.state in ("ok", "degraded") else 0) for f, h in feeds.items()],
    )
    metric(
        "wall_feed_posts",
        "gauge",
        "Posts the store holds per feed.",
        [(f'{{feed="{f}"}}', h.posts) for f, h in feeds.items()],
    )
    metric(
        "wall_paints_in_flight", "gauge", "Zone paints sent to workers, not yet back.", [("", wall.paints_in_flight())]
    )
    metric(
        "wall_commands_queued", "gauge", "Control commands waiting for the next frame.", [("", wall.commands_queued())]
    )
    if status.moderation:
        metric(
            "wall_moderation_queue_size",
            "gauge",
            "Posts waiting for approval.",
            [("", status.moderation.get("queue_size", 0))],
        )
    metric(
        "wall_display_shown",
        "gauge",
        "1 when the display's screen is present and shown.",
        [(f'{{display="{d["display"]}"}}', 1 if d["state"] in ("shown", "headless") else 0) for d in status.displays],
    )
    if status.nodes:  # a room's hub: every node's heartbeat, labelled by node
        up = [n for n in status.nodes if n.get("state") == "up"]
        metric(
            "wall_node_up",
            "gauge",
            "1 while the node's heartbeat is fresh.",
            [(f'{{node="{n["node"]}"}}', 1 if n.get("state") == "up" else 0) for n in status.nodes],
        )
        for name, key, help_ in (
            ("wall_node_fps", "fps", "Frames per second the node rendered over its last heartbeat."),
            ("wall_node_frame_ms_p99", "frame_ms_p99", "The node's 99th percentile of work per frame."),
            ("wall_node_dropped_frames_total", "dropped_frames", "Frame slots the node missed."),
            ("wall_node_clock_offset_ms", "clock_offset_ms", "The node's clock minus the room's (Redis TIME)."),
            ("wall_node_control_seq", "control_seq", "The last hub decision the node applied."),
            ("wall_node_data_age_seconds", "data_age_s", "Age of the node's freshest feed data."),
            ("wall_node_displays_alive", "displays_alive", "Displays the node drives that are shown."),
        ):
            samples = [(f'{{node="{n["node"]}"}}', float(n[key])) for n in up if isinstance(n.get(key), (int, float))]
            metric(name, "counter" if name.endswith("_total") else "gauge", help_, samples)
    return "\n".join(lines) + "\n"


class ControlServer:
    """uvicorn in a daemon thread, with the guards of guard.py; stop() shuts it down. tls: (certificate
    file, key file) to serve HTTPS."""

    def __init__(self, app: Any, host: str, port: int, tls: tuple[str, str] | None = None):
        import uvicorn

        raise_open_file_limit()
        throttle_logs()
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=GuardedH11,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
        )
        self.server = uvicorn.Server(self.config)
        # off the main thread uvicorn installs no signal handlers: the wall's own stay in charge
        self.thread = threading.Thread(target=self.server.run, name="wall-control", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        import time

        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise ControlUnavailable(
                    f"the control API could not listen on {self.config.host}:{self.config.port} "
                    "(in use? another wall running?)"
                )
            if time.monotonic() > deadline:
                raise ControlUnavailable("the control API did not start within 10 s")
            time.sleep(0.02)

    @property
    def port(self) -> int:
        for server in self.server.servers:
            for sock in server.sockets:
                return sock.getsockname()[1]
        return self.config.port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"control listen address '{text}' should look like 127.0.0.1:8750")
    return host, int(port)
