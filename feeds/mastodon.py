"""Mastodon: hashtag, public (federated / local) and account timelines of any instance.

Built from Mastodon's own API documentation (github.com/mastodon/documentation, published at
docs.joinmastodon.org):
- https://docs.joinmastodon.org/methods/timelines/  GET /api/v1/timelines/tag/:hashtag (any[], all[],
  none[], local, remote, only_media, max_id, since_id, min_id, limit <= 40) and /api/v1/timelines/public;
  401 {"error": "The access token is invalid"}, 404 {"error": "Record not found"};
- https://docs.joinmastodon.org/methods/accounts/#statuses  GET /api/v1/accounts/:id/statuses
  (exclude_replies, exclude_reblogs, only_media, tagged, limit <= 40);
- https://docs.joinmastodon.org/entities/Status/, /entities/Account/, /entities/MediaAttachment/;
- https://docs.joinmastodon.org/api/guidelines/  (paging: the Link header's rel="next" / rel="prev";
  content is sanitised HTML with <p>, <br>, <span>, <a>; long links carry `invisible` and `ellipsis`
  spans that clients are expected to hide / end with an ellipsis);
- https://docs.joinmastodon.org/api/rate-limits/  X-RateLimit-Limit / -Remaining / -Reset (an ISO 8601
  timestamp), 300 calls per 5 minutes per account (or per IP without a token); a throttled call is
  answered 429 {"error": "Too many requests"} with those headers (mastodon config/initializers/rack_attack.rb).

Polling: the newest `limit` statuses newer than the cursor's `since_id`, following rel="next" (older) for at
most `max_pages` pages, so a busy hashtag shows its newest posts rather than catching up oldest-first.
The next poll starts from the newest id seen. The token (optional: public timelines are anonymous on most
instances) is sent as a Bearer header and never to another host than the instance.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .adapter import PollContext, PollResult, html_to_text, service_url
from .errors import FeedError
from .http import decode_json
from .mapping import MAX_COUNT, as_list, count_or_zero, iso_datetime, whole_number
from .model import SHORTCODE, Author, CustomEmoji, Media, Post, PostMetrics, web_url
from .paging import Pages, PostsOnce

NAME = "mastodon"
CREDENTIALS: tuple[str, ...] = ()  # nothing required: public timelines are readable anonymously
OPTIONAL_CREDENTIALS: tuple[str, ...] = ("access_token",)  # needed where public preview is disabled
BUDGET: tuple[int, float] | None = (300, 300.0)  # 300 calls per 5 minutes per account

SOURCE = "mastodon"
MAX_LIMIT = 40  # the documented maximum page size of every timeline endpoint
MAX_EXTRA_TAGS = 4  # "a limit to the number of tags applied from each query param (defaults to 4)"

log = logging.getLogger("feeds.mastodon")

_HASHTAG = re.compile(r"^[^\s#/?&%]{1,100}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


# ------------------------------------------------------------------------------------------- options


def _clean_tag(value: str) -> str:
    tag = value.strip().lstrip("#")
    if not _HASHTAG.match(tag):
        raise ValueError(f"{value!r} is not a hashtag: give its name without spaces, '/', '?', '&' or '%', e.g. 'cats'")
    return tag


class Options(BaseModel):
    """The `options:` of a mastodon feed."""

    model_config = ConfigDict(extra="forbid")

    instance: str = Field(description="the instance's base URL, e.g. https://mastodon.social")
    timeline: Literal["tag", "public", "account"] = Field(
        default="tag",
        description="tag: one hashtag; public: the federated or local timeline; account: one account's posts",
    )
    hashtag: str | None = Field(default=None, description="the hashtag for timeline: tag, without '#'")
    any_tags: list[str] = Field(default_factory=list, description="tag timeline: also statuses with any of these tags")
    all_tags: list[str] = Field(
        default_factory=list, description="tag timeline: only statuses with all of these tags too"
    )
    none_tags: list[str] = Field(default_factory=list, description="tag timeline: no statuses with any of these tags")
    account_id: str | None = Field(default=None, description="the account's id on this instance, for timeline: account")
    local: bool = Field(default=False, description="only statuses posted on this instance")
    remote: bool = Field(default=False, description="only statuses from other instances")
    only_media: bool = Field(default=False, description="only statuses with media attached")
    exclude_replies: bool = Field(default=True, description="account timeline: leave replies out")
    exclude_reblogs: bool = Field(default=False, description="account timeline: leave boosts out")
    limit: int = Field(default=40, ge=1, le=MAX_LIMIT, description="statuses per page (the API allows at most 40)")
    max_pages: int = Field(default=3, ge=1, le=10, description="pages followed per poll through the Link header")
    show_cw_content: bool = Field(
        default=False,
        description="show the text behind a content warning; by default a wall shows only the warning itself",
    )

    @field_validator("instance")
    @classmethod
    def _instance(cls, value: str) -> str:
        value = service_url(value, "instance")
        if urlsplit(value).path:
            raise ValueError(f"instance {value!r} must be the server's base URL only, e.g. https://mastodon.social")
        return value

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str | None) -> str | None:
        return None if value is None else _clean_tag(value)

    @field_validator("any_tags", "all_tags", "none_tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_EXTRA_TAGS:
            raise ValueError(f"at most {MAX_EXTRA_TAGS} tags: Mastodon ignores the rest")
        return [_clean_tag(v) for v in value]

    @field_validator("account_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is not None and not _ID.match(value.strip()):
            raise ValueError(
                f"account_id {value!r} must be the account's id (e.g. '109302436954721982'), not its @handle"
            )
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> Options:
        if self.timeline == "tag" and not self.hashtag:
            raise ValueError("timeline: tag needs `hashtag:` (e.g. hashtag: cats)")
        if self.timeline == "account" and not self.account_id:
            raise ValueError("timeline: account needs `account_id:` (GET /api/v1/accounts/lookup?acct=user finds it)")
        if self.timeline != "tag" and (self.hashtag or self.any_tags or self.all_tags or self.none_tags):
            raise ValueError(f"hashtag / any_tags / all_tags / none_tags apply to timeline: tag, not {self.timeline}")
        if self.local and self.remote:
            raise ValueError("local and remote exclude each other: set at most one")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.instance).netloc

    def endpoint(self) -> str:
        if self.timeline == "tag":
            return f"{self.instance}/api/v1/timelines/tag/{self.hashtag}"
        if self.timeline == "public":
            return f"{self.instance}/api/v1/timelines/public"
        return f"{self.instance}/api/v1/accounts/{self.account_id}/statuses"

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.limit}
        if self.only_media:
            params["only_media"] = "true"
        if self.timeline in ("tag", "public"):
            if self.local:
                params["local"] = "true"
            if self.remote:
                params["remote"] = "true"
        for name in ("any", "all", "none"):
            tags = getattr(self, f"{name}_tags")
            if tags:
                params[f"{name}[]"] = tags
        if self.timeline == "account":
            if self.exclude_replies:
                params["exclude_replies"] = "true"
            if self.exclude_reblogs:
                params["exclude_reblogs"] = "true"
        return params

    def scope(self) -> str:
        """What a saved since_id belongs to: ids are per instance, so another instance starts over."""
        return f"{self.instance}|{self.timeline}|{self.hashtag or self.account_id or ''}"


# ------------------------------------------------------------------------------------------- parsing

_INVISIBLE_SPAN = re.compile(r'<span\s+class="invisible">[^<]*</span>', re.IGNORECASE)
_ELLIPSIS_SPAN = re.compile(r'<span\s+class="ellipsis">([^<]*)</span>', re.IGNORECASE)
_PARAGRAPH_GAP = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)


def status_html_to_text(content: str) -> str:
    """A status's HTML `content` as plain text: link spans marked `invisible` are hidden and an `ellipsis`
    span ends with '…' as the API guidelines ask; paragraphs are separated by a blank line."""
    content = _INVISIBLE_SPAN.sub("", content)
    content = _ELLIPSIS_SPAN.sub(lambda m: m.group(1) + "…", content)
    content = _PARAGRAPH_GAP.sub("</p>\n<p>", content)
    return html_to_text(content).strip()


def parse_link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 `Link: <url>; rel="next", <url>; rel="prev"` -> {"next": url, "prev": url}."""
    links: dict[str, str] = {}
    for match in re.finditer(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)", value or ""):
        url, attrs = match.group(1), match.group(2)
        rel = re.search(r'rel\s*=\s*"?([^";,]+)"?', attrs)
        if rel:
            for name in rel.group(1).split():
                links.setdefault(name.lower(), url)
    return links


def id_order(status_id: str) -> tuple[int, str]:
    """Sort key of a status id: snowflake digits compare as numbers, fixed-length flake ids as strings."""
    return (len(status_id), status_id)


def _count(value: Any) -> int:
    """A documented integer count: a non-negative int as it is (the common case, decided here without
    a call), anything else as `count_or_zero` reads a malformed one (0)."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    return count_or_zero(value, numbers_only=True)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _url(value: Any) -> str | None:
    return web_url(value)  # the one check of a URL a feed supplies (feeds/model.py)


def parse_emojis(value: Any) -> tuple[CustomEmoji, ...]:
    """Mastodon's CustomEmoji list ({shortcode, url, static_url}): the static picture first, since the
    wall shows an animated emoji's first frame anyway; malformed entries are left out."""
    out: list[CustomEmoji] = []
    for e in as_list(value)[:64]:
        if not isinstance(e, dict):
            continue
        code = e.get("shortcode")
        url = _url(e.get("static_url")) or _url(e.get("url"))
        if isinstance(code, str) and SHORTCODE.fullmatch(code) and url and all(x.shortcode != code for x in out):
            out.append(CustomEmoji.trusted(shortcode=code, url=url))
    return tuple(out)


def parse_account(account: dict[str, Any], instance_host: str) -> Author:
    """An Account entity as an Author: handle is the full @user@domain, followers from followers_count."""
    acct = _str(account.get("acct")) or _str(account.get("username"))
    full = acct if "@" in acct else f"{acct}@{instance_host}"
    followers = account.get("followers_count")
    # values checked here (strings, a non-negative int): built without re-validation (feeds/model.py)
    return Author.trusted(
        id=f"{SOURCE}:{full}",
        handle=f"@{full}",
        name=html_to_text(_str(account.get("display_name"))) or _str(account.get("username")) or acct,
        avatar_url=_url(account.get("avatar_static")) or _url(account.get("avatar")),
        # some servers hide the count as -1 or null: unknown, not zero
        followers=whole_number(followers),
        verified=False,  # Mastodon has no account verification, only verified profile links
        emojis=parse_emojis(account.get("emojis")),
    )


def _pixels(value: Any) -> int | None:
    return whole_number(value) or None


def _size(meta: Any, which: str) -> tuple[int | None, int | None]:
    sub = meta.get(which) if isinstance(meta, dict) else None
    if not isinstance(sub, dict):
        return None, None
    return _pixels(sub.get("width")), _pixels(sub.get("height"))


def parse_media(attachment: dict[str, Any], sensitive: bool) -> Media | None:
    """A MediaAttachment as a Media a wall can paint. Images keep their full-size URL; for gifv and video
    (MP4 files) the still `preview_url` is used, since the wall paints pictures; audio and unknown are left out."""
    kind = attachment.get("type")
    meta = attachment.get("meta")
    if kind == "image":
        url = _url(attachment.get("url")) or _url(attachment.get("remote_url"))
        width, height = _size(meta, "original")
        media_kind = "image"
    elif kind in ("gifv", "video"):
        url = _url(attachment.get("preview_url"))
        width, height = _size(meta, "small")
        media_kind = "gif" if kind == "gifv" else "video"
    else:
        return None
    if url is None:
        return None
    alt = html_to_text(_str(attachment.get("description")))  # only for what is shown
    return Media.trusted(kind=media_kind, url=url, alt=alt, width=width, height=height, sensitive=sensitive)


def _hidden_by_filter(status: dict[str, Any]) -> bool:
    """With a token, the server applies the user's filters: a match whose action is "hide" must not show."""
    for result in as_list(status.get("filtered")):
        if isinstance(result, dict) and isinstance(result.get("filter"), dict):
            if result["filter"].get("filter_action") == "hide":
                return True
    return False


def parse_status(status: Any, instance_host: str, *, show_cw_content: bool = False) -> Post | None:
    """One Status entity as a Post, or None when it cannot or must not be shown (malformed, not public,
    hidden by a filter). A boost shows the boosted status (kind "repost") under that status's own key,
    so the original and its boosts are one item on the wall."""
    if not isinstance(status, dict):
        return None
    outer_id = status.get("id")
    if not isinstance(outer_id, str) or not outer_id:
        return None
    if status.get("visibility") not in ("public", "unlisted") or _hidden_by_filter(status):
        return None  # followers-only or direct posts never reach a screen in a public room
    kind = "post"
    shown = status
    if isinstance(status.get("reblog"), dict):
        shown, kind = status["reblog"], "repost"
    elif shown.get("in_reply_to_id"):
        kind = "reply"
    elif isinstance(shown.get("quote"), dict):  # 4.5 quote posts
        kind = "quote"
    account = shown.get("account")
    published = iso_datetime(shown.get("created_at"))
    native_id = shown.get("id")
    if not isinstance(account, dict) or published is None or not isinstance(native_id, str):
        return None
    # the ActivityPub uri is the same on every instance: two instances' feeds showing one toot dedup
    uri = _url(shown.get("uri"))
    key = f"{SOURCE}:{uri}" if uri else f"{SOURCE}:{instance_host}:{native_id}"

    sensitive = bool(shown.get("sensitive"))
    spoiler_text = shown.get("spoiler_text")
    spoiler = html_to_text(spoiler_text).strip() if isinstance(spoiler_text, str) and spoiler_text else ""
    body = status_html_to_text(_str(shown.get("content")))
    if spoiler:
        text = f"CW: {spoiler}" + (f"\n\n{body}" if show_cw_content and body else "")
    else:
        text = body
    media = tuple(
        m
        for a in as_list(shown.get("media_attachments"))
        if isinstance(a, dict)
        if (m := parse_media(a, sensitive or bool(spoiler))) is not None
    )
    tags: list[str] = []
    for tag in as_list(shown.get("tags")):
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name and f"#{name}" not in tags:
            tags.append(f"#{name}")
    language = shown.get("language")
    # every value below is checked or built here; the model still cleans the text and the names
    return Post.trusted(
        key=key,
        source=SOURCE,
        network="mastodon",
        url=_url(shown.get("url")) or uri,
        published_at=published,
        text=text,
        lang=language if isinstance(language, str) and language else None,
        author=parse_account(account, instance_host),
        media=media,
        emojis=parse_emojis(shown.get("emojis")),
        # Mastodon documents its counts as integers: any other type is a malformed entity and counts
        # as 0 (a string is not read as a number here, unlike the lenient json/replay mapping).
        metrics=PostMetrics.trusted(
            likes=_count(shown.get("favourites_count")),
            reposts=_count(shown.get("reblogs_count")),
            replies=_count(shown.get("replies_count")),
            quotes=_count(shown.get("quotes_count")),
        ),
        hashtags=tuple(tags),
        kind=kind,
        raw={"id": outer_id, "uri": uri, "instance": instance_host},
    )


def parse_statuses(doc: Any, instance_host: str, *, show_cw_content: bool = False) -> list[Post]:
    """A timeline page (a JSON array of Status) as Posts, newest first as served, skipping what
    `parse_status` rejects. Anything but an array is a bad response (an HTML page, an error object)."""
    if not isinstance(doc, list):
        raise FeedError(
            "bad_response", f"expected a JSON array of statuses from {instance_host}, got {type(doc).__name__}"
        )
    posts = []
    for item in doc:
        post = parse_status(item, instance_host, show_cw_content=show_cw_content)
        if post is not None:
            posts.append(post)
    return posts


def _rate_limit_wait(headers: Any, now: datetime) -> float | None:
    """Seconds until X-RateLimit-Reset when X-RateLimit-Remaining says no call is left, else None."""
    if str(headers.get("x-ratelimit-remaining", "")).strip() != "0":
        return None
    reset = iso_datetime(str(headers.get("x-ratelimit-reset", "")).strip())
    return max((reset - now).total_seconds(), 0.0) if reset else 300.0  # documented window: 5 minutes


# ------------------------------------------------------------------------------------------- polling


def _same_origin(url: str, instance: str) -> bool:
    a, b = urlsplit(url), urlsplit(instance)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


async def poll(ctx: PollContext) -> PollResult:
    opts: Options = ctx.options
    token = ctx.credentials.get("access_token")
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
        ctx.fetcher.add_secret(token)

    since_id = ctx.cursor.get("since_id") if ctx.cursor.get("scope") == opts.scope() else None
    if since_id is not None and not _ID.match(since_id):
        since_id = None  # a corrupt cursor: start from the newest posts, never send junk upstream
    params = opts.params()
    if since_id:
        params["since_id"] = since_id

    found = PostsOnce()
    newest = since_id
    pages: Pages[tuple[str, dict[str, Any] | None]] = Pages((opts.endpoint(), params), opts.max_pages)
    for page, (url, page_params) in enumerate(pages):
        response = await ctx.fetcher.get(
            url,
            params=page_params,
            headers=headers,
            credential_key=ctx.credential_key,
            conditional=page == 0,  # the first page's URL repeats when nothing is new: a 304 then
        )
        if response.not_modified:
            if page == 0:
                return PollResult(not_modified=True)
            break
        doc = decode_json(response)
        page_posts = parse_statuses(doc, opts.host, show_cw_content=opts.show_cw_content)
        ids = [s["id"] for s in doc if isinstance(s, dict) and isinstance(s.get("id"), str) and _ID.match(s["id"])]
        for status_id in ids:  # skipped statuses move the cursor too: they are not asked for again
            if newest is None or id_order(status_id) > id_order(newest):
                newest = status_id
        found.add(page_posts)

        wait = _rate_limit_wait(response.headers, ctx.now)
        if wait is not None:  # out of calls: let every feed on this token wait, stop paging now
            budget = ctx.fetcher.budget(ctx.credential_key)
            if budget is not None:
                budget.pause(wait)
            break
        if not doc or (since_id and any(id_order(i) <= id_order(since_id) for i in ids)):
            break  # the end, or the server ignored since_id
        following = parse_link_header(response.headers.get("link")).get("next")
        if not following:
            break
        if not _same_origin(following, opts.instance):
            log.warning("not following a Link header to another host than %s", opts.host)
            break
        # Mastodon's next link keeps limit and filters but not since_id: add it back
        keep_since = since_id and "since_id" not in parse_qs(urlsplit(following).query)
        pages.follow((following, {"since_id": since_id} if keep_since else None))

    cursor = {"scope": opts.scope()}
    if newest:
        cursor["since_id"] = newest
    return PollResult(posts=found.posts, cursor=cursor)
