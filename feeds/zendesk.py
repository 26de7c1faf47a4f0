"""Zendesk Support -> customer-care Metrics (first reply time, response rate, waiting, SLA breaches).

Built from Zendesk's own API documentation:
- Incremental exports, cursor-based ticket export (`GET /api/v2/incremental/tickets/cursor.json` with
  `start_time` for the first request, then `cursor=<after_cursor>`; `end_of_stream`, `after_cursor`,
  `after_url`; 10 requests per minute; side-loading with `include=`):
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
- Ticket metrics (`reply_time_in_minutes` / `requester_wait_time_in_minutes` /
  `first_resolution_time_in_minutes` as {"calendar", "business"}, `replies`, `solved_at`), side-loaded
  onto the export as `metric_sets` (one object per ticket, keyed by `ticket_id`):
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metrics/
- SLA policy metrics side-loaded as `slas` (`policy_metrics[]` with `metric`, `stage`, `breach_at`):
  https://developer.zendesk.com/api-reference/ticketing/business-rules/sla_policies/
- Rate limits: HTTP 429 with `Retry-After` (seconds), honoured by feeds/retry.py, never here:
  https://developer.zendesk.com/api-reference/introduction/rate-limits/
- Authentication: Basic `{email}/token:{api_token}` or OAuth `Authorization: Bearer {access_token}`:
  https://developer.zendesk.com/api-reference/introduction/security-and-auth/

Why the adapter keeps a compact ticket table in its cursor: Zendesk asks integrations not to re-export
complete data sets with the incremental API (and allows 10 calls a minute), yet a care KPI is a figure
over a rolling window. So the first poll exports every ticket changed since the window's start, and each
later poll asks only for what changed since the persisted `after_cursor`, folds it into a small table
(id -> created, status, reply/wait minutes, SLA first-reply deadline) persisted with the cursor, drops
tickets created before the window, and recomputes every figure from the table. A restart resumes from the
store's copy; a changed window or an unreadable table starts a fresh export.

First reply time is a MEDIAN by default (option `statistic`; feeds/care.py says why); `statistic: mean`
is there for teams whose SLA contract is written as an average.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .adapter import PollContext, PollResult, ServiceURL
from .care import CareFigures, Statistic, Thresholds, statistic_name, summarise
from .errors import FeedError
from .http import decode_json
from .mapping import as_list, iso_datetime, to_number
from .model import Metric
from .paging import Pages

NAME = "zendesk"
CREDENTIALS = ("token",)  # the API token (auth: api_token) or the OAuth access token (auth: oauth)
BUDGET = (10, 60.0)  # incremental exports: 10 requests per minute per account

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
METRIC_NAMES = (
    "care.first_reply_min",
    "care.response_rate",
    "care.waiting",
    "care.sla_breaches",
    "care.requester_wait_min",
)
WAITING_STATUSES = frozenset({"new", "open"})
# one letter per status keeps the persisted table small
_STATUS_CODE = {"new": "n", "open": "o", "pending": "p", "hold": "h", "solved": "s", "closed": "c"}
_CODE_STATUS = {v: k for k, v in _STATUS_CODE.items()}


class Options(BaseModel):
    """`options:` of a zendesk feed."""

    model_config = ConfigDict(extra="forbid")

    base_url: ServiceURL = Field(description="the account's API root, e.g. https://acme.zendesk.com")
    auth: Literal["api_token", "oauth"] = Field(
        "api_token", description="api_token: Basic email/token:TOKEN; oauth: Bearer TOKEN (credential `token`)"
    )
    email: str | None = Field(None, description="the agent email the API token belongs to (auth: api_token)")
    window_hours: int = Field(24, ge=1, le=24 * 31, description="the rolling window the figures cover")
    hours: Literal["calendar", "business"] = Field(
        "calendar", description="reply/wait minutes counted in calendar or business hours (schedules)"
    )
    statistic: Statistic = Field("median", description="how first reply times are summarised")
    first_reply_target_min: float = Field(
        60.0,
        gt=0,
        le=60 * 24 * 14,
        description="first reply later than this counts as an SLA breach when no SLA policy applies",
    )
    use_sla_policies: bool = Field(
        True, description="side-load `slas` and count a breach when the first reply came after breach_at"
    )
    thresholds: dict[Literal[METRIC_NAMES], Thresholds] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="target/warn/breach per metric name"
    )
    per_page: int = Field(1000, ge=1, le=1000, description="tickets per export page (Zendesk's maximum is 1000)")
    max_pages: int = Field(5, ge=1, le=50, description="export pages read per poll (the rest next poll)")
    max_tickets: int = Field(20_000, ge=10, le=100_000, description="bound on the ticket table kept in the cursor")

    @model_validator(mode="after")
    def _email_for_tokens(self) -> Options:
        if self.auth == "api_token" and not (self.email and "@" in self.email):
            raise ValueError("auth: api_token needs `email` (the agent the token belongs to)")
        return self


# ------------------------------------------------------------------------------------------- parsing


def _minutes(value: Any, hours: str) -> float | None:
    """{"calendar": 5, "business": 3} -> the chosen one; null, negative or non-numbers -> None."""
    if not isinstance(value, dict):
        return None
    n = to_number(value.get(hours), numbers_only=True)  # finite, or None (an integer past any float too)
    return n if n is not None and n >= 0 else None


def parse_export_page(doc: Any, *, hours: str = "calendar") -> tuple[dict[int, list], str | None, bool]:
    """One cursor-export page -> ({ticket_id: row}, after_cursor, end_of_stream).

    A row is [created_epoch, status_code, first_reply_min|None, requester_wait_min|None,
    replied_at_epoch|None, sla_breach_at_epoch|None] (or None for a deleted ticket, so it leaves the
    table). Tickets with no usable id or created_at are skipped; the last copy of a ticket wins."""
    if not isinstance(doc, dict) or not isinstance(doc.get("tickets"), list):
        raise FeedError("bad_response", "Zendesk export page has no `tickets` list")
    metric_sets: dict[int, dict] = {}
    for m in as_list(doc.get("metric_sets")):
        if isinstance(m, dict) and isinstance(m.get("ticket_id"), int):
            metric_sets[m["ticket_id"]] = m
    rows: dict[int, list | None] = {}
    for t in doc["tickets"]:
        if not isinstance(t, dict) or not isinstance(t.get("id"), int) or isinstance(t.get("id"), bool):
            continue
        status = str(t.get("status") or "").lower()
        if status == "deleted":
            rows[t["id"]] = None
            continue
        created = iso_datetime(t.get("created_at"))
        if created is None:
            continue
        m = metric_sets.get(t["id"]) or (t.get("metric_set") if isinstance(t.get("metric_set"), dict) else {})
        reply = _minutes(m.get("reply_time_in_minutes"), hours)
        wait = _minutes(m.get("requester_wait_time_in_minutes"), hours)
        # the wall-clock moment of the first reply, for comparing with an SLA's breach_at
        reply_cal = _minutes(m.get("reply_time_in_minutes"), "calendar")
        replied_at = created.timestamp() + reply_cal * 60 if reply_cal is not None else None
        if replied_at is not None and not math.isfinite(replied_at):  # a reply "1e308 minutes" later: never
            replied_at = None
        rows[t["id"]] = [
            int(created.timestamp()),
            _STATUS_CODE.get(status, "o"),
            reply,
            wait,
            int(replied_at) if replied_at is not None else None,
            _sla_breach_at(t.get("slas")),
        ]
    cursor = doc.get("after_cursor")
    return rows, cursor if isinstance(cursor, str) and cursor else None, doc.get("end_of_stream") is True


def _sla_breach_at(slas: Any) -> int | None:
    """The first-reply deadline an SLA policy set on the ticket (earliest, if several), as epoch."""
    if not isinstance(slas, dict):
        return None
    deadlines = []
    for pm in as_list(slas.get("policy_metrics")):
        if isinstance(pm, dict) and pm.get("metric") == "first_reply_time":
            at = iso_datetime(pm.get("breach_at"))
            if at is not None:
                deadlines.append(int(at.timestamp()))
    return min(deadlines) if deadlines else None


def compute_metrics(table: dict[int, list], options: Options, now: datetime, *, note: str = "") -> dict[str, Metric]:
    """The care figures over the tickets created in the window ending at `now`."""
    start = (now - timedelta(hours=options.window_hours)).timestamp()
    rows = [r for r in table.values() if r and r[0] >= start]
    replies = [r[2] for r in rows if r[2] is not None]
    waits = [r[3] for r in rows if r[3] is not None and r[1] in ("s", "c")]
    now_s = now.timestamp()
    target_s = options.first_reply_target_min * 60

    def breached(r: list) -> bool:
        replied_at = r[4] if r[4] is not None else None
        if options.use_sla_policies and r[5] is not None:
            return (replied_at if replied_at is not None else now_s) > r[5]
        if r[2] is not None:
            return r[2] > options.first_reply_target_min
        # no reply yet: breached once it has waited past the target (solved-without-reply is not a breach)
        return r[1] in ("n", "o") and now_s - r[0] > target_s

    figures = CareFigures.over_window(
        options.thresholds,
        options.window_hours,
        now,
        hours=options.hours,
        note=note,
        counted=f"zendesk incremental export: {len(rows)} tickets created",
    )
    stat = statistic_name(options.statistic)
    return {
        "care.first_reply_min": figures.metric(
            "care.first_reply_min", f"{stat} first reply", "min", summarise(replies, options.statistic), False
        ),
        "care.response_rate": figures.metric(
            "care.response_rate", "Response rate", "%", 100.0 * len(replies) / len(rows) if rows else None, True
        ),
        "care.waiting": figures.metric(
            "care.waiting",
            "Waiting for a first reply",
            "tickets",
            float(sum(1 for r in rows if r[1] in ("n", "o") and r[2] is None)),
            False,
        ),
        "care.sla_breaches": figures.metric(
            "care.sla_breaches",
            "First-reply SLA breaches",
            "tickets",
            float(sum(1 for r in rows if breached(r))),
            False,
        ),
        "care.requester_wait_min": figures.metric(
            "care.requester_wait_min", f"{stat} requester wait", "min", summarise(waits, options.statistic), False
        ),
    }


# ------------------------------------------------------------------------------------------- state


def _load_table(cursor: dict[str, str], options: Options, start: int) -> dict[int, list] | None:
    """The persisted ticket table, or None when a fresh export is needed (none yet, unreadable, or made
    for a window that began later than the one asked for now)."""
    include = "metric_sets,slas" if options.use_sla_policies else "metric_sets"
    if not cursor.get("after_cursor") or cursor.get("hours") != options.hours or cursor.get("include") != include:
        return None
    try:
        since = int(cursor["since"])
        raw = json.loads(cursor.get("tickets", "{}"))
        table = {int(k): v for k, v in raw.items() if isinstance(v, list) and len(v) == 6}
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return table if since <= start else None


def _dump_table(table: dict[int, list], max_tickets: int) -> tuple[str, int]:
    """JSON of the newest `max_tickets` rows; returns (text, how many were dropped)."""
    rows = sorted(table.items(), key=lambda kv: kv[1][0], reverse=True)
    kept = dict(rows[:max_tickets])
    return json.dumps(kept, separators=(",", ":")), len(rows) - len(kept)


# ------------------------------------------------------------------------------------------- poll


def _auth_header(ctx: PollContext) -> dict[str, str]:
    token = ctx.secret("token")
    if ctx.options.auth == "oauth":
        return {"Authorization": f"Bearer {token}"}
    pair = f"{ctx.options.email}/token:{token}".encode()
    basic = base64.b64encode(pair).decode("ascii")
    ctx.fetcher.add_secret(basic)
    return {"Authorization": f"Basic {basic}"}


def _export_params(options: Options, include: str, start: int, after: str | None) -> dict[str, Any]:
    """One export request: from the stored cursor, or from the window's start for a fresh export."""
    params: dict[str, Any] = {"include": include, "per_page": options.per_page}
    if after:
        params["cursor"] = after
    else:
        params["start_time"] = start
    return params


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    headers = {"Accept": "application/json", **_auth_header(ctx)}
    include = "metric_sets,slas" if options.use_sla_policies else "metric_sets"
    start = int((ctx.now - timedelta(hours=options.window_hours)).timestamp())
    table = _load_table(ctx.cursor, options, start)
    fresh = table is None
    table = table if table is not None else {}
    since = start if fresh else int(ctx.cursor["since"])
    after = None if fresh else ctx.cursor["after_cursor"]

    url = options.base_url + EXPORT_PATH
    end_of_stream = False
    pages = Pages(_export_params(options, include, start, after), options.max_pages)
    for params in pages:
        try:
            response = await ctx.fetcher.get(
                url, params=params, headers=headers, credential_key=ctx.credential_key, conditional=False
            )
        except FeedError as exc:
            # a stored cursor Zendesk no longer accepts (expired, account moved): start a fresh export
            if exc.kind == "client" and after and pages.read == 1 and not fresh:
                fresh, table, since, after = True, {}, start, None
                pages.retry(_export_params(options, include, start, after))
                continue
            raise
        rows, next_cursor, end_of_stream = parse_export_page(decode_json(response), hours=options.hours)
        for ticket_id, row in rows.items():  # later pages (and later copies) win: the newest state
            if row is None:
                table.pop(ticket_id, None)
            else:
                table[ticket_id] = row
        if next_cursor is None:
            if not end_of_stream:
                raise FeedError("bad_response", "Zendesk export page has neither after_cursor nor end_of_stream")
            break
        after = next_cursor
        if end_of_stream:
            break
        pages.follow(_export_params(options, include, start, after))

    table = {k: v for k, v in table.items() if v[0] >= start}  # created before the window: gone
    text, dropped = _dump_table(table, options.max_tickets)
    notes = []
    if not end_of_stream:
        notes.append(f"catching up: more changes wait on Zendesk after {pages.read} pages")
    if dropped:
        notes.append(f"{dropped} oldest tickets left out (max_tickets {options.max_tickets})")
        table = {int(k): v for k, v in json.loads(text).items()}
    metrics = compute_metrics(table, options, ctx.now, note="; ".join(notes))
    cursor = {"since": str(max(since, start)), "hours": options.hours, "include": include, "tickets": text}
    if after:
        cursor["after_cursor"] = after
    return PollResult(metrics=metrics, cursor=cursor, replace=True)
