"""What a builder worked out from a feed snapshot (a ranking), remembered for exactly as long as
something else keeps that snapshot: the store, the demo feed's last minutes, a frozen wall.

Builders run every frame, and ranking a few thousand posts per zone per frame would eat the frame
budget, so rankings are remembered. A memo bounded only by its number of entries kept the posts
of snapshots the store had long replaced: each entry held its posts tuple, and the ranking itself
holds posts. A real feed re-delivers its newest posts on every poll (new objects with updated
counts) and the demo builds a minute's posts anew, so 32 stale entries held hundreds of posts the
wall would never show again (7-10 MB on the demo wall). Here each snapshot's
entries go with the snapshot: a weak reference's callback drops them once it is freed.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_NOTHING = object()


class _Ref(weakref.ref):
    """A weak reference that knows the id its snapshot had (gone from the reference once freed)."""

    __slots__ = ("ident",)
    ident: int


class SnapshotMemo(Generic[V]):
    """Per live snapshot, up to `per_snapshot` results by key, least recently used dropped first."""

    def __init__(self, per_snapshot: int):
        self.per_snapshot = per_snapshot
        # id(snapshot) -> (a weak reference to it, its results); the id is checked against the
        # reference, since an id is reused once its object is freed
        self._held: dict[int, tuple[_Ref, OrderedDict[Hashable, V]]] = {}

    def get(self, snapshot: Any, key: Hashable, compute: Callable[[], V]) -> V:
        """`compute()`, or what it returned for this snapshot and key before. A snapshot that takes
        no weak reference (not a store's: a tool's stand-in) is computed every time."""
        held = self._held.get(id(snapshot))
        if held is None or held[0]() is not snapshot:
            try:
                ref = _Ref(snapshot, self._forget)
            except TypeError:
                return compute()
            ref.ident = id(snapshot)
            held = self._held[id(snapshot)] = (ref, OrderedDict())
        results = held[1]
        value = results.get(key, _NOTHING)
        if value is not _NOTHING:
            results.move_to_end(key)
            return value  # type: ignore[return-value]
        value = results[key] = compute()
        while len(results) > self.per_snapshot:
            results.popitem(last=False)
        return value

    def _forget(self, ref: _Ref) -> None:
        # called on whichever thread lets the snapshot go (the store's writer, the render thread),
        # before the snapshot's memory is freed, so no newer snapshot can have taken its id yet
        held = self._held.get(ref.ident)
        if held is not None and held[0] is ref:
            self._held.pop(ref.ident, None)
