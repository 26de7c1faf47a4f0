"""Giving memory the wall no longer uses back to the system.

glibc keeps the pages of large blocks a process freed (GL targets, painted pictures) when its
mmap threshold has grown past their size, which it does after the first such block is freed: a
wall that made and dropped a transition's targets would otherwise keep their 100 MB for good.
`malloc_trim` returns whole free pages of every arena. It walks the heap for a few ms, so it runs on
a thread of its own, never on the render thread.

On software GL the driver's shader compiler, LLVM, is a 100 MB library of which starting a context
and compiling the wall's programs leave 45-55 MB of code resident. A compiled program runs from
memory of its own, not from LLVM's code, so once the wall is drawing those pages only wait for the
next compile. They are clean file pages: `page_out_compiler` asks the kernel to reclaim them
(madvise MADV_PAGEOUT, Linux 5.4 and later); a later compile reads back what it needs from the file.
Pages another process maps too (a second wall, a test run beside it) stay: they are not ours alone."""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import threading
import time
from pathlib import Path

_lock = threading.Lock()
_running = False


def _libc_function(name: str, *argtypes: type):  # noqa: ANN202 (a ctypes function, or None)
    """`name` from the C library, or None where it has none (not glibc: musl, macOS)."""
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None
    if argtypes:
        fn.argtypes = list(argtypes)
    return fn


_trim = _libc_function("malloc_trim")
_madvise = _libc_function("madvise", ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

MADV_PAGEOUT = 21
_COMPILER = re.compile(r"/libLLVM[^/]*\.so[^/]*$")


def page_out_compiler() -> int:
    """Ask the kernel to reclaim the resident code of the GL driver's shader compiler (see above);
    the bytes of mappings it was asked about (0 where no such library is loaded: a paint worker,
    a GPU's driver, not Linux)."""
    if _madvise is None:
        return 0
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return 0
    asked = 0
    for line in maps.splitlines():
        parts = line.split()
        # read-only mappings only: code and constants, whose pages the file holds too
        if len(parts) >= 6 and "w" not in parts[1] and _COMPILER.search(parts[5]):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if _madvise(start, end - start, MADV_PAGEOUT) == 0:  # EINVAL before Linux 5.4: nothing done
                asked += end - start
    return asked


def trim_now() -> bool:
    """Return free pages to the system, and the shader compiler's code, on this thread. False where
    the C library cannot."""
    page_out_compiler()
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
