"""The store: every feed's latest good data and health for widgets, kept in a file across restarts.

store.py holds the `Store`; buffer.py each feed's buffer, figures and health; tally.py the post
counts for alert rules; demo.py the demo feed, prepared ahead of the render thread; persistence.py
and db.py the SQLite file and the thread that writes it.
"""

from .buffer import FeedHealth, FeedSnapshot, HealthState, merge_posts
from .db import SCHEMA_VERSION, StoreDB, default_store_path
from .store import FeedCopy, Store
from .tally import PostCounts

__all__ = [
    "Store",
    "FeedCopy",
    "FeedHealth",
    "FeedSnapshot",
    "HealthState",
    "PostCounts",
    "default_store_path",
    "merge_posts",
    "SCHEMA_VERSION",
    "StoreDB",
]
