"""RingCentral Engage Digital (ex-Dimelo) -> customer-care Metrics from interventions.

Built from the vendor's API documentation:
- Authentication: an API access token, sent as `Authorization: Bearer <token>` (the `access_token`
  query parameter also works but would put the secret in every URL, so it is not used):
  https://developers.ringcentral.com/engage/digital/guide/basics/auth (also in the older
  https://[domain].api.engagement.dimelo.com docs, "Transmitting an Access Token")
- Interventions, "Getting all interventions": `GET /1.0/interventions`, ordered by creation date
  (descending); filters `thread_id`, `user_id`, `identity_group_id`, `identity_id[]`; `sort`
  (created_at / updated_at); paging by `offset` (default 0) and `limit` (default 30, max 150); the answer
  is {"count", "offset", "limit", "records": [Intervention]}; an Intervention carries `created_at`,
  `closed`, `closed_at`, `deferred_at`, `status`, `user_replies_count`, `first_user_reply_id`,
  `first_user_reply_in` / `first_user_reply_in_bh` ("minutes or seconds according to configuration"):
  https://developers.ringcentral.com/engage/digital/api-reference/Interventions/getAllInterventions
  (OpenAPI-generated client docs: InterventionsApi.md, GetAllInterventionsResponse.md, Intervention.md)

The API has no incremental export, so each poll reads the window afresh: pages of newest-first
interventions until one is older than the window's start (or the last page, or `max_pages`). Offset paging
over a list that grows at the top shifts by the number of new interventions between two pages, so the
same intervention can come twice; the last copy wins. Nothing needs keeping between polls: the result
replaces the feed's figures and the cursor stays empty.

First reply time is a MEDIAN by default (feeds/care.py says why); `statistic: mean` is there for
contracts written as an average.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .adapter import PollContext, PollResult, service_url
from .care import CareFigures, Statistic, Thresholds, statistic_name, summarise
from .errors import FeedError
from .http import decode_json
from .mapping import count_or_zero, iso_datetime, to_number
from .model import Metric
from .paging import Pages

NAME = "engage_digital"
CREDENTIALS = ("access_token",)
BUDGET = None  # no published per-token allowance; 429 + Retry-After is still honoured by feeds/retry.py

PATH = "/1.0/interventions"
METRIC_NAMES = ("care.first_reply_min", "care.response_rate", "care.replies", "care.waiting")


class Options(BaseModel):
    """`options:` of an engage_digital feed."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        description="API root, e.g. https://acme.api.engagement.dimelo.com or https://acme.api.digital.ringcentral.com"
    )
    window_hours: int = Field(24, ge=1, le=24 * 31, description="the rolling window the figures cover")
    hours: Literal["calendar", "business"] = Field(
        "calendar", description="first reply time in calendar hours or business hours (first_user_reply_in_bh)"
    )
    reply_time_unit: Literal["seconds", "minutes"] = Field(
        "seconds", description="the unit the account is configured to report reply times in"
    )
    statistic: Statistic = Field("median", description="how first reply times are summarised")
    user_id: str | None = Field(None, description="only interventions of this agent")
    identity_group_id: str | None = Field(None, description="only interventions of this customer identity group")
    thread_id: str | None = Field(None, description="only interventions of this thread")
    thresholds: dict[Literal[METRIC_NAMES], Thresholds] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="target/warn/breach per metric name"
    )
    limit: int = Field(150, ge=1, le=150, description="interventions per page (the API's maximum is 150)")
    max_pages: int = Field(10, ge=1, le=100, description="pages read per poll at most")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        v = v.rstrip("/")
        if v.endswith("/1.0"):
            v = v[: -len("/1.0")]
        return service_url(v, "base_url")  # https://<domain>.api.engagement.dimelo.com


# ------------------------------------------------------------------------------------------- parsing


def parse_interventions(doc: Any, *, hours: str = "calendar", unit: str = "seconds") -> list[dict]:
    """One page -> [{id, created_at, closed, replies, first_reply_min}] in the page's order.

    first_reply_min is None when no agent has replied (no first_user_reply_id and no user replies) or the
    duration is missing/negative; records without id or a readable created_at are skipped."""
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise FeedError("bad_response", "Engage Digital interventions answer has no `records` list")
    field = "first_user_reply_in_bh" if hours == "business" else "first_user_reply_in"
    per_minute = 60.0 if unit == "seconds" else 1.0
    out = []
    for r in doc["records"]:
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) or not r["id"]:
            continue
        created = iso_datetime(r.get("created_at"))
        if created is None:
            continue
        replies = count_or_zero(r.get("user_replies_count"))
        replied = replies > 0 or bool(r.get("first_user_reply_id"))
        raw = to_number(r.get(field), numbers_only=True)  # finite, or None (an integer past any float too)
        first = None
        if replied and raw is not None and raw >= 0:
            first = raw / per_minute
        out.append(
            {
                "id": r["id"],
                "created_at": created,
                "closed": r.get("closed") is True,
                "replies": replies,
                "replied": replied,
                "first_reply_min": first,
            }
        )
    return out


def compute_metrics(items: list[dict], options: Options, now: datetime, *, note: str = "") -> dict[str, Metric]:
    """The care figures over the interventions created in the window ending at `now` (one per id: the
    last copy wins)."""
    start = now - timedelta(hours=options.window_hours)
    rows = [i for i in {i["id"]: i for i in items}.values() if i["created_at"] >= start]
    firsts = [i["first_reply_min"] for i in rows if i["first_reply_min"] is not None]
    figures = CareFigures.over_window(
        options.thresholds,
        options.window_hours,
        now,
        hours=options.hours,
        note=note,
        counted=f"engage digital interventions: {len(rows)} created",
    )
    stat = statistic_name(options.statistic)
    replied = sum(1 for i in rows if i["replied"])
    return {
        "care.first_reply_min": figures.metric(
            "care.first_reply_min", f"{stat} first reply", "min", summarise(firsts, options.statistic), False
        ),
        "care.response_rate": figures.metric(
            "care.response_rate", "Response rate", "%", 100.0 * replied / len(rows) if rows else None, True
        ),
        "care.replies": figures.metric(
            "care.replies", "Agent replies", "replies", float(sum(i["replies"] for i in rows)), True
        ),
        "care.waiting": figures.metric(
            "care.waiting",
            "Waiting for a first reply",
            "conversations",
            float(sum(1 for i in rows if not i["closed"] and not i["replied"])),
            False,
        ),
    }


# ------------------------------------------------------------------------------------------- poll


async def poll(ctx: PollContext) -> PollResult:
    options: Options = ctx.options
    token = ctx.secret("access_token")
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    filters = {
        k: v
        for k, v in (
            ("user_id", options.user_id),
            ("identity_group_id", options.identity_group_id),
            ("thread_id", options.thread_id),
        )
        if v
    }
    start = ctx.now - timedelta(hours=options.window_hours)
    seen: dict[str, dict] = {}
    pages = Pages(0, options.max_pages)
    for offset in pages:
        params = {**filters, "sort": "created_at", "offset": offset, "limit": options.limit}
        response = await ctx.fetcher.get(
            options.base_url + PATH,
            params=params,
            headers=headers,
            credential_key=ctx.credential_key,
            conditional=False,
        )
        doc = decode_json(response)
        items = parse_interventions(doc, hours=options.hours, unit=options.reply_time_unit)
        for item in items:
            seen[item["id"]] = item  # a shifted page repeats an intervention: the last copy wins
        records = len(doc["records"])
        offset += records
        total = doc.get("count")
        oldest = min((i["created_at"] for i in items), default=None)
        if (
            records < options.limit
            or (isinstance(total, int) and offset >= total)
            or (oldest is not None and oldest < start)
        ):
            break
        pages.follow(offset)
    note = "" if pages.complete else f"window not fully read: stopped after {pages.read} pages (max_pages)"
    return PollResult(metrics=compute_metrics(list(seen.values()), options, ctx.now, note=note), replace=True)
