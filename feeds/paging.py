"""One paging loop for every adapter that reads a vendor's answer page by page.

Why one: each vendor pages its own way (an offset in the query or in a JSON body, a cursor token, a next
URL in a Link header or in the body), yet every adapter needs the same walk around it: at most
`max_pages` requests per poll, so a busy query cannot spend a shared request budget in one go (the rest
waits for the next poll), and an end as soon as a page says there is nothing after it. Around the walk
sit the same small chores: keeping each post once when pages overlap, noting every item's time so the
cursor moves past items that cannot be shown, and keeping the newest of those times. They are written
once here, so an adapter's poll only says how to ask for a page and what comes after it.

Never imports `wall`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from .model import Post

__all__ = ["Pages", "PostsOnce", "latest", "posts_and_times"]

Request = TypeVar("Request")


class Pages(Generic[Request]):
    """The walk through one poll's pages: `for request in pages: ... pages.follow(next_request)`.

    Yields the request of each page to read: `first`, then whatever the loop's body passed to `follow`.
    A body that does not call `follow`, or passes None, has read the last page. At most `max_pages` pages
    are read; `complete` then says whether the vendor had more."""

    def __init__(self, first: Request, max_pages: int) -> None:
        self.max_pages = max_pages
        self.read = 0  # pages asked for so far
        self._next: Request | None = first

    def __iter__(self) -> Iterator[Request]:
        while self._next is not None and self.read < self.max_pages:
            request, self._next = self._next, None
            self.read += 1
            yield request

    def follow(self, request: Request | None) -> None:
        """The request of the page after this one; None: this one was the last."""
        self._next = request

    def retry(self, request: Request) -> None:
        """Ask `request` in place of the page that just failed; the failed one does not count as read."""
        self.read -= 1
        self._next = request

    @property
    def complete(self) -> bool:
        """True when the last page read had nothing after it; False when `max_pages` cut the walk short."""
        return self._next is None


class PostsOnce:
    """The posts one poll gathers across its pages, each once: the first copy wins.

    Pages overlap: offset paging over a list that grows at the top shifts by the posts that arrived
    between two requests, and a vendor's `since` may be inclusive. With `older_than` (the cursor of the
    last poll, when pages come newest first), older posts are left out: an earlier poll showed them."""

    def __init__(self, older_than: datetime | None = None) -> None:
        self.older_than = older_than
        self.posts: list[Post] = []
        self._keys: set[str] = set()

    def add(self, posts: Iterable[Post]) -> bool:
        """Keep the posts not seen yet. True when one was older than `older_than`: paging newest first
        has reached what an earlier poll already showed, so there is no need to read further."""
        reached = False
        for post in posts:
            if self.older_than is not None and post.published_at < self.older_than:
                reached = True
                continue
            if post.key not in self._keys:
                self._keys.add(post.key)
                self.posts.append(post)
        return reached


def posts_and_times(
    items: Iterable[Any],
    parse: Callable[[dict[str, Any]], Post | None],
    time_of: Callable[[dict[str, Any]], datetime | None],
) -> tuple[list[Post], list[datetime]]:
    """A page's items -> (the posts of those that parse, the time of every item that has one).

    Items that are not objects are skipped, and so are those `parse` rejects (a wall shows the rest);
    their times still count, so the cursor moves past an item that cannot be shown instead of asking
    for it again on every poll."""
    posts: list[Post] = []
    times: list[datetime] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        when = time_of(item)
        if when is not None:
            times.append(when)
        post = parse(item)
        if post is not None:
            posts.append(post)
    return posts, times


def latest(current: datetime | None, times: Iterable[datetime]) -> datetime | None:
    """The newest of `current` and `times` (None when there is none): where the next poll starts."""
    return max((t for t in (current, *times) if t is not None), default=None)
