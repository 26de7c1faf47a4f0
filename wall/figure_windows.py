"""The windows every feed's figures are kept for, and how a figure of one window is named.

The store (wall/store/windows.py) computes each figure derived from posts for these windows; the
widgets find them by name. The default window (24 h) keeps the plain names the listening platforms
use ('sentiment', 'topics', 'influencers'...), so a config reads the same whichever source feeds it;
the others are 'sentiment@1h', 'topics@7d'... A figure computed from every post says so in its
provenance, which is how a widget tells it from a vendor's own figure of the same name.
"""

from __future__ import annotations

from datetime import timedelta

WINDOWS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_WINDOW = "24h"
EVERY_POST = "derived from every post"


def window_name(metric: str, window: str) -> str:
    """'sentiment' for the default window, 'sentiment@7d' for the others."""
    return metric if window == DEFAULT_WINDOW else f"{metric}@{window}"


def window_for(minutes: float) -> str:
    """The shortest kept window at least `minutes` long (the longest kept, beyond it)."""
    for name, length in sorted(WINDOWS.items(), key=lambda kv: kv[1]):
        if length >= timedelta(minutes=minutes):
            return name
    return max(WINDOWS, key=lambda n: WINDOWS[n])
