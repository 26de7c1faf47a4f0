"""Feed adapters by name (the `adapter:` value of a feed in a wall config).

Each name but `demo` is a module `feeds/<name>.py` following feeds/adapter.py. `demo` is computed
by the store from the frame's time (deterministic renders) and `aggregate` from other feeds, so
neither has a module nor is polled.
"""

from __future__ import annotations

ADAPTERS: dict[str, str] = {
    "demo": "deterministic synthetic posts, care metrics, volumes and countries (no network)",
    "engage_digital": "RingCentral Engage Digital interventions -> first reply, response rate, replies, waiting",
    "mastodon": "Mastodon hashtag, public or account timelines (Link-header paging, since_id)",
    "rss": "RSS 2.0 and Atom press feeds (the press review), fetched with conditional GET",
    "zendesk": "Zendesk Support ticket export -> first reply, response rate, waiting, SLA breaches, requester wait",
    "aggregate": "several feeds shown as one: options {feeds: [id, ...]}; posts merged, figures recomputed",
    "bluesky": "Bluesky search (app.bsky.feed.searchPosts, follower counts from getProfiles)",
    "brandwatch": "Brandwatch Consumer Research mentions, sentiment and volume, top authors",
    "json": "any HTTP JSON API, mapped to posts and metrics by paths in the config",
    "radarly": "Linkfluence Radarly inbox search (POST), publications with tone and reach",
    "replay": "a recorded day from CSV or JSON Lines, replayed at a chosen speed (offline)",
    "talkwalker": "Talkwalker search results and published-histogram (volume, tone); token in the query, never logged",
    "x": "X API v2 recent search with authors and public metrics",
}

COMPUTED = frozenset({"demo", "aggregate"})


def adapter_names() -> list[str]:
    return sorted(ADAPTERS)


def is_polled(name: str) -> bool:
    return name in ADAPTERS and name not in COMPUTED
