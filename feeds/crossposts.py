"""One post on several networks: how to tell that posts are copies of one another.

People and their posting tools publish the same words on Mastodon, Bluesky and X within seconds or
minutes. A wall shows such a post once (wall/widgets/top_posts.py: one card, every network's mark)
and an operator who hides it hides every copy (wall/moderation): the rule that tells copies lives
here, once, for both.

Copies: the same person, the same text, within WINDOW of the first copy. Same person: the same
display name once folded (case, accents, spaces), or the same handle without '@', Mastodon's
'@instance' and Bluesky's '.domain' ('@ana@mastodon.social', 'ana.bsky.social' and '@ana' are all
'ana'). Same text: equal once case, runs of spaces, URLs (each network shortens them its own way)
and the hashtags at the end (a cross-poster adds each network's) are left aside; a post with no text
left is never anyone's copy. Exact duplicates (one key) are one post already.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache

from .model import Post

# Posting tools send their copies within seconds; people pasting by hand take a few minutes. The
# same words an hour later are a new post (a campaign repeating its line).
WINDOW = timedelta(minutes=10)

_URL = re.compile(r"(?:https?://|www\.)\S*")
_TRAILING_TAGS = re.compile(r"(?:\s*#\w+)+\s*$")


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    """Case and accents left aside, runs of spaces made one."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@lru_cache(maxsize=4096)
def same_text(text: str, title: str = "") -> str:
    """What two copies of one post have in common: the text without case, URLs, spacing and the
    hashtags it ends with ('' when nothing is left: such posts are never merged)."""
    text = _URL.sub(" ", f"{title}\n{text}".casefold())
    return " ".join(_TRAILING_TAGS.sub("", text).split())


@lru_cache(maxsize=4096)
def people(name: str, handle: str) -> tuple[str, ...]:
    """The names one person goes by on every network (see the module's docstring)."""
    out = []
    if name := _folded(name):
        out.append("name:" + name)
    if handle := handle.strip().lstrip("@").split("@", 1)[0].split(".", 1)[0].casefold():
        out.append("handle:" + handle)
    return tuple(out)


def identities(p: Post) -> list[tuple[str, str]]:
    """(its text as copies share it, a name its author goes by), for each such name; [] when the
    post has no text left to compare."""
    return _identities(p)


def _identities(p: Post) -> list[tuple[str, str]]:
    same = same_text(p.text, p.title or "")
    return [(same, who) for who in people(p.author.name, p.author.handle)] if same else []


def cross_posted(posts: Iterable[Post]) -> list[list[Post]]:
    """The posts in groups, one per post as a person wrote it: its copies (first copy first) within
    WINDOW of the first; every other post alone."""
    groups: list[list[Post]] = []
    latest: dict[tuple[str, str], list[Post]] = {}  # (text, name or handle) -> its latest group
    for p in sorted(posts, key=lambda p: (p.published_at, p.key)):
        ids = _identities(p)
        group = None
        for k in ids:
            g = latest.get(k)
            if g is not None and p.published_at - g[0].published_at <= WINDOW:
                group = g
                break
        if group is None:
            group = [p]
            groups.append(group)
        else:
            group.append(p)
        for k in ids:
            latest[k] = group
    return groups


def copies_of(post: Post, candidates: Iterable[Post]) -> list[Post]:
    """The candidates that are copies of `post` (it excluded): the group it falls in."""
    for group in cross_posted([post, *(c for c in candidates if c.key != post.key)]):
        if any(p.key == post.key for p in group):
            return [p for p in group if p.key != post.key]
    return []
