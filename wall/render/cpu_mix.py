"""A crossfade's mix on the CPU, for software GL.

Mesa's llvmpipe in Debian 12 (22.3) runs every shaded pass through its general pixel pipeline:
a 1080p textured quad costs 5-8 ms of wall time and twice that in CPU time on two cores, blended or
not, whatever the shader or texture format (its 8-bit "linear" fast path does not take GL's NIR
shaders before Mesa 23). A crossfade needs that pass on every panel, every frame: about 17 fps on
the six-panel demo wall. The same mix in numpy's integer loops costs about 2.5 ms of CPU per 1080p
picture, runs on every core at once (numpy lets go of the GIL inside its loops), and a texture
upload costs llvmpipe 0.6 ms: about 8 ms a frame for six panels on two cores, plus the uploads.

So on software GL a crossfade keeps, per panel, the outgoing picture and the incoming one in
memory, mixes them here, and uploads the result into the panel's post target. The incoming
picture is read back from GL once, then only where the compositor redrew it (a ticker). On a GPU
the compositor keeps its shaded pass, which costs it next to nothing there.

The same threads scale a spotlight's picture (cpu_scale.py) and fade it as it shrinks back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

# rows per step: a step's two 16-bit scratch bands (1920 px x 4 x 2 B x 128 rows = 2 MB for both) stay
# in the cache the cores share; fewer, longer steps cost less Python per picture (of 32-540 rows, 128
# mixed six 1080p panels on two threads fastest on this project's 2-core machine)
BAND_ROWS = 128


def mix_rows(before: np.ndarray, after: np.ndarray, out: np.ndarray, k: int, rows: slice) -> None:
    """out = before + (after - before) * k / 256 over `rows`, in 8-bit steps as GL's blending does
    (rounded down; k in 0..256). Arrays (h, w, 4) uint8; works band by band."""
    start, stop = rows.start or 0, rows.stop if rows.stop is not None else before.shape[0]
    width = before.shape[1:]
    scratch = np.empty((min(BAND_ROWS, max(1, stop - start)), *width), np.uint16)
    other = np.empty_like(scratch)
    for y in range(start, stop, BAND_ROWS):
        y1 = min(stop, y + BAND_ROWS)
        s, o = scratch[: y1 - y], other[: y1 - y]
        # widened by a plain copy, then multiplied in place: a multiply that casts as it goes
        # (np.multiply(..., dtype=uint16) on uint8) runs numpy's buffered loop, 30-40 % slower
        # before*(256-k) + after*k <= 255*256: fits 16 bits unsigned
        np.copyto(s, before[y:y1])
        s *= 256 - k
        np.copyto(o, after[y:y1])
        o *= k
        s += o
        s >>= 8
        np.copyto(out[y:y1], s, casting="unsafe")


class MixPool:
    """Threads that mix or scale pictures, row range by row range (as many as the machine has cores)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, os.cpu_count() or 1)
        self._executor: ThreadPoolExecutor | None = None

    def mix(self, jobs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], k: int) -> list[list[Future]]:
        """Start mixing every (before, after, out) at k/256, split in row ranges over the threads;
        per job, the futures of its pieces (a job is mixed once they are all done: its caller may
        upload it while the threads mix the next)."""
        pieces = self.pieces(len(jobs))
        started = []
        for before, after, out in jobs:

            def piece(
                rows: slice, before: np.ndarray = before, after: np.ndarray = after, out: np.ndarray = out
            ) -> None:
                mix_rows(before, after, out, k, rows)

            started.append(self.rows(before.shape[0], pieces, piece))
        return started

    def pieces(self, jobs: int) -> int:
        """Row ranges per job for `jobs` jobs started together: about two a thread in all."""
        return max(1, (2 * self.workers + jobs - 1) // max(1, jobs))

    def rows(self, h: int, pieces: int, work: Callable[[slice], object]) -> list[Future]:
        """Start `work` on `pieces` row ranges covering 0..h; the futures of the pieces."""
        step = max(1, -(-h // pieces))
        return [self._threads().submit(work, slice(y, min(h, y + step))) for y in range(0, h, step)]

    def submit(self, work: Callable[..., object], *args: object) -> Future:
        """Run `work(*args)` on one of the threads."""
        return self._threads().submit(work, *args)

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="wall-mix")
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
