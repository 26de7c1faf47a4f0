"""Giving freed memory back to the system.

glibc keeps the pages of large blocks a process freed (GL targets, painted pictures) when its
mmap threshold has grown past their size, which it does after the first such block is freed: a
wall that made and dropped a transition's targets would otherwise keep their 100 MB for good.
`malloc_trim` returns whole free pages of every arena. It walks the heap for a few ms, so it runs on
a thread of its own, never on the render thread."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

_lock = threading.Lock()
_running = False


def _libc_trim():  # noqa: ANN202 (a ctypes function, or None where the C library has none)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask for
        return None


_trim = _libc_trim()


def trim_now() -> bool:
    """Return free pages to the system, on this thread. False where the C library cannot."""
    if _trim is None:
        return False
    _trim(0)
    return True


def give_back_memory(after_s: float = 2.0) -> None:
    """trim_now() on a background thread, `after_s` from now: a GL driver frees a deleted texture
    once the commands that used it have run, not when it is deleted. A call while one waits or
    runs is folded into it."""
    global _running
    if _trim is None:
        return
    with _lock:
        if _running:
            return
        _running = True

    def run() -> None:
        global _running
        try:
            time.sleep(after_s)
            trim_now()
        finally:
            with _lock:
                _running = False

    threading.Thread(target=run, name="malloc-trim", daemon=True).start()
