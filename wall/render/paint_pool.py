"""Painting zones in worker processes, so the render thread never waits on rasterising.

skia-python holds the GIL while it paints (measured: a 1920x1080 text card blocks other Python
threads for ~25 ms at a time), so threads would stall the frame loop. Workers are processes; a
worker paints into a shared-memory block and hands back only its name, so the render thread's cost
for new pixels is the texture upload alone.

Every paint is tagged with a sequence number; the render thread keeps, per zone, only results
newer than what it already shows, so out-of-order completion never shows older content.

A job carries the parts of its zone each panel shows (computed once per layout by the engine):
the painter lays its text out inside them (wall/paint/text.py), and the result carries back the
boxes of the text it drew, which state.json lists.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import shared_memory
from typing import Any

import numpy as np

from ..geometry import Rect
from ..memory import give_back_memory
from ..paint.images import PICTURE_CACHE_ENV
from ..paint.text import TextBox, avoid_bezels, record_text_boxes


@dataclass
class PaintJob:
    zone_id: str
    widget: str
    view: Any
    width: int
    height: int
    seq: int
    generation: int  # the layout the zone belonged to when the job was sent
    # the pieces of the zone each panel shows (zone px); () when it is all on one panel
    parts: tuple[Rect, ...] = ()
    # quarter turns (counterclockwise) given to the picture once painted: a zone inside one rotated
    # panel arrives in the panel's own orientation, so the compositor copies it instead of drawing it
    turn: int = 0
    # the web picture cache the painter may open (the parent's WALL_PICTURE_CACHE when the job was
    # sent): workers may have started before the picture service, which the wall starts after them
    picture_cache: str = field(default_factory=lambda: os.environ.get(PICTURE_CACHE_ENV, ""))


@dataclass
class PaintResult:
    job: PaintJob
    pixels: np.ndarray  # (h, w, 4) uint8, possibly a view onto shared memory
    error: str | None = None
    _shm: shared_memory.SharedMemory | None = None
    text_boxes: list[TextBox] = field(default_factory=list)  # where the painter drew text (zone px)

    def release(self) -> None:
        if self._shm is not None:
            self.pixels = np.empty((0, 0, 4), np.uint8)
            self._shm.close()
            try:
                self._shm.unlink()
            except FileNotFoundError:
                pass
            self._shm = None


def paint_view(
    widget_name: str,
    view: Any,
    width: int,
    height: int,
    parts: tuple[Rect, ...] = (),
    turn: int = 0,
    picture_cache: str = "",
) -> tuple[np.ndarray, str | None, list[TextBox]]:
    """Paint in this process, text kept inside `parts` and the picture turned `turn` quarters (see
    PaintJob); also the boxes of the text drawn (zone px, as painted). A painter that fails yields
    an error card, never an exception."""
    if picture_cache and os.environ.get(PICTURE_CACHE_ENV) != picture_cache:
        os.environ[PICTURE_CACHE_ENV] = picture_cache  # this process paints for that wall from now on
    with avoid_bezels(parts), record_text_boxes() as boxes:
        pixels, error = _paint(widget_name, view, width, height)
    return turned(pixels, turn), error, boxes


def turned(pixels: np.ndarray, turn: int) -> np.ndarray:
    """A picture in the orientation of a panel rotated `turn` x 90 degrees clockwise."""
    return np.ascontiguousarray(np.rot90(pixels, turn)) if turn % 4 else pixels


def _paint(widget_name: str, view: Any, width: int, height: int) -> tuple[np.ndarray, str | None]:
    from ..paint.error_card import paint_error_card
    from ..widgets.registry import scrolls, widget

    try:
        if view.__class__.__name__ == "ErrorView":
            return paint_error_card(view, width, height), view.message
        module = widget(widget_name)
        pixels = module.paint(view, width, height)
        # a scrolling widget paints one period of its strip, at least as wide as the zone
        strip = scrolls(widget_name)
        ok_width = pixels.shape[1] >= width if strip else pixels.shape[1] == width
        if (
            pixels.ndim != 3
            or pixels.shape[0] != height
            or pixels.shape[2] != 4
            or not ok_width
            or pixels.dtype != np.uint8
        ):
            raise ValueError(f"painter returned {pixels.shape} {pixels.dtype}, expected ({height}, {width}, 4) uint8")
        return pixels, None
    except Exception as exc:  # a zone's failure stays in its zone
        from ..paint.error_card import ErrorView

        message = f"{type(exc).__name__}: {exc}"
        detail = traceback.format_exc(limit=3)
        return paint_error_card(ErrorView(widget_name, message, detail), width, height), message


def _worker_paint(
    widget_name: str,
    view: Any,
    width: int,
    height: int,
    parts: tuple[Rect, ...],
    turn: int = 0,
    picture_cache: str = "",
) -> tuple[str, tuple[int, ...], str | None, list[TextBox]]:
    pixels, error, boxes = paint_view(widget_name, view, width, height, parts, turn, picture_cache)
    shm = shared_memory.SharedMemory(create=True, size=max(1, pixels.nbytes))
    np.ndarray(pixels.shape, np.uint8, buffer=shm.buf)[...] = pixels
    name = shm.name
    shm.close()
    # a zone's picture and skia's surface are large blocks glibc keeps once freed: a worker that
    # painted a 4K zone once would hold its pages for good
    give_back_memory()
    return name, pixels.shape, error, boxes


def _worker_init(parent: int | None = None) -> None:
    # Workers paint; they must not be killed by the operator's Ctrl-C before the parent is.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # ...but they die with it: a wall killed with -9 (or crashed) must not leave 100 MB painters behind.
    # Linux sends SIGKILL to this process when the one that started it dies (prctl PR_SET_PDEATHSIG);
    # if it died before this line ran, its children were handed to another parent already.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers then exit when their queue's pipe closes
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(0)
    from ..widgets.registry import widgets

    widgets()  # import painters and fonts up front, not on the first paint


def _started() -> int:
    return os.getpid()


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class PaintPool:
    """Paints zones in `workers` processes. `inline=True` paints synchronously in this process
    (used only by unit tests of painters; the wall itself always uses processes)."""

    def __init__(self, workers: int | None = None, inline: bool = False):
        self.inline = inline
        self._pending: list[tuple[PaintJob, Future]] = []
        self._done: list[PaintResult] = []
        self._executor: ProcessPoolExecutor | None = None
        self.workers = 0 if inline else workers or default_workers()
        if not inline:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )

    def start(self) -> None:
        """Start the workers now rather than with the first paint. A worker takes about half a
        second to start (Python, skia, the painters and their fonts); a wall that starts them
        before it imports the rest of itself and reads its config has them ready for its first frame."""
        if self._executor is not None:
            for _ in range(self.workers):  # the executor starts a process per job while it has fewer
                self._executor.submit(_started)

    def submit(self, job: PaintJob) -> None:
        if self.inline:
            pixels, error, boxes = paint_view(job.widget, job.view, job.width, job.height, job.parts, job.turn)
            self._done.append(PaintResult(job, pixels, error, text_boxes=boxes))
            return
        assert self._executor is not None
        fut = self._executor.submit(
            _worker_paint, job.widget, job.view, job.width, job.height, job.parts, job.turn, job.picture_cache
        )
        self._pending.append((job, fut))

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job sent so far is done. For deterministic renders only: the live
        frame loop never calls this."""
        for _, fut in self._pending:
            if not fut.cancelled():
                fut.exception(timeout=timeout)

    def collect(self) -> list[PaintResult]:
        """Finished paints, oldest first; never blocks."""
        still: list[tuple[PaintJob, Future]] = []
        for job, fut in self._pending:
            if fut.cancelled():
                continue
            if not fut.done():
                still.append((job, fut))
                continue
            exc = fut.exception()
            if exc is not None:
                # the worker itself died (not the painter): paint the error card here
                from ..paint.error_card import ErrorView, paint_error_card

                view = ErrorView(job.widget, f"paint worker failed: {type(exc).__name__}", "")
                card = turned(paint_error_card(view, job.width, job.height), job.turn)
                self._done.append(PaintResult(job, card, str(exc)))
                continue
            name, shape, error, boxes = fut.result()
            shm = shared_memory.SharedMemory(name=name)
            pixels = np.ndarray(shape, np.uint8, buffer=shm.buf)
            self._done.append(PaintResult(job, pixels, error, shm, boxes))
        self._pending = still
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        if self._executor is not None:
            for _, fut in self._pending:
                fut.cancel()
            self._executor.shutdown(wait=True, cancel_futures=True)
            for result in self.collect():
                result.release()
            self._executor = None
