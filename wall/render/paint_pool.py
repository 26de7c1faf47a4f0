"""Painting zones in worker processes, so the render thread never waits on rasterising.

skia-python holds the GIL while it paints (measured: a 1920x1080 text card blocks other Python
threads for ~25 ms at a time), so threads would stall the frame loop. Workers are processes
(`python -m wall.render.paint_worker`); a worker paints into a shared-memory file and hands back
only its name, so the render thread's cost for new pixels is the texture upload alone.

The pool is ours rather than multiprocessing's: a ProcessPoolExecutor whose worker dies (the
kernel's OOM killer, a crash in a native library) refuses every later job, and a wall meant to run
for months would paint nothing more. Here the job the worker had becomes an error card and the
next job starts a new worker. And multiprocessing's spawned workers need its resource tracker, a
process of its own (13 MB) for the life of the wall. Jobs and replies are pickles over the
worker's stdin and stdout, one thread per worker waiting on its replies.

Every paint is tagged with a sequence number; the render thread keeps, per zone, only results
newer than what it already shows, so out-of-order completion never shows older content.

A job carries the parts of its zone each panel shows (computed once per layout by the engine):
the painter lays its text out inside them (wall/paint/text.py), and the result carries back the
boxes of the text it drew, which state.json lists.
"""

from __future__ import annotations

import glob
import itertools
import logging
import mmap
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..geometry import Rect
from ..memory import give_back_memory
from ..paint.images import PICTURE_CACHE_ENV
from ..paint.surface import rasters_in
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
    _map: mmap.mmap | None = None  # the shared memory the pixels are a view of
    text_boxes: list[TextBox] = field(default_factory=list)  # where the painter drew text (zone px)
    # the worker was lost on this job (died, or stopped for taking too long), not the painter's
    # error: the engine has the zone painted again once (by the next worker)
    lost: bool = False

    def release(self) -> None:
        if self._map is not None:
            self.pixels = np.empty((0, 0, 4), np.uint8)
            self._map.close()
            self._map = None


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
    from ..painters.registry import painter, scrolls  # not wall.widgets: a worker imports no pydantic

    try:
        if view.__class__.__name__ == "ErrorView":
            return paint_error_card(view, width, height), view.message
        pixels = painter(widget_name).paint(view, width, height)
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


log = logging.getLogger("wall.render")

# where pictures pass from a worker to the wall: memory-backed files (Linux: /dev/shm)
SHARED_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_names = itertools.count()


def _shared_name(pid: int | str, n: int | str) -> str:
    return os.path.join(SHARED_DIR, f"wall-paint-{pid}-{n}")


def _new_shared(shape: tuple[int, ...]) -> tuple[str, np.ndarray]:
    """A new shared-memory file (this process's) holding a zeroed picture of `shape`, and the
    picture, mapped: the mapping lasts as long as the array does."""
    path = _shared_name(os.getpid(), next(_names))
    size = max(1, int(np.prod(shape)))
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, size)  # reads as zeros until written
        mm = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    return path, np.ndarray(shape, np.uint8, buffer=mm)


def share(pixels: np.ndarray) -> str:
    """Copy a picture into a new shared-memory file (this process's); its name."""
    path, view = _new_shared(pixels.shape)
    view[...] = pixels
    return path


class _SharedRasters:
    """Allocates the rasters of one job in shared-memory files (wall/paint/surface.py's hook), so the
    picture a painter returns is handed over without a copy, and no picture-sized block passes
    through the worker's heap (glibc would keep its pages once freed)."""

    def __init__(self) -> None:
        self.files: list[tuple[str, np.ndarray]] = []

    def __call__(self, shape: tuple[int, int, int]) -> np.ndarray:
        path, pixels = _new_shared(shape)
        self.files.append((path, pixels))
        return pixels

    def holding(self, pixels: np.ndarray) -> str | None:
        """The file that holds exactly `pixels` (a painter's own raster, returned as it is)."""
        for path, raster in self.files:
            # the same memory, whole: the raster itself, or a view of all of it
            if pixels.ctypes.data == raster.ctypes.data and pixels.shape == raster.shape and pixels.flags.c_contiguous:
                return path
        return None

    def remove_all_but(self, keep: str | None) -> None:
        """Remove the files of the rasters not handed over (a painter's scratch pictures, a picture
        it turned or cut): their memory goes once nothing points into it."""
        for path, _ in self.files:
            if path != keep:
                os.unlink(path)
        self.files.clear()


def take_shared(path: str, shape: tuple[int, ...]) -> tuple[np.ndarray, mmap.mmap]:
    """Map a picture a worker handed over (painted in its file, or copied there by `share`), and
    remove the file at once (the mapping keeps the memory until it is closed: nothing is left
    behind, whatever happens to this process later)."""
    fd = os.open(path, os.O_RDWR)
    try:
        mm = mmap.mmap(fd, max(1, int(np.prod(shape))))
    finally:
        os.close(fd)
        os.unlink(path)
    return np.ndarray(shape, np.uint8, buffer=mm), mm


def _worker_paint(
    widget_name: str,
    view: Any,
    width: int,
    height: int,
    parts: tuple[Rect, ...],
    turn: int = 0,
    picture_cache: str = "",
) -> tuple[str, tuple[int, ...], str | None, list[TextBox]]:
    rasters = _SharedRasters()
    try:
        with rasters_in(rasters):
            pixels, error, boxes = paint_view(widget_name, view, width, height, parts, turn, picture_cache)
        name = rasters.holding(pixels) or share(pixels)
    except BaseException:  # no picture to hand over: none of this job's files stays behind
        rasters.remove_all_but(None)
        raise
    rasters.remove_all_but(name)
    shape = pixels.shape
    del pixels  # unmaps this process's view of the picture: the wall maps the file next
    # what painting left in the heap (skia's scratch, a picture cut or turned) goes back to the system:
    # glibc keeps the pages of large blocks once freed
    give_back_memory()
    return name, shape, error, boxes


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
    except (OSError, AttributeError):  # not Linux: workers then exit when their pipe closes
        pass
    if parent is not None and os.getppid() != parent:
        os._exit(0)
    from ..painters.registry import load_all

    load_all()  # import painters and fonts up front, not on the first paint


HEADER = struct.Struct("<Q")  # the length of the pickle that follows


def send(stream: IO[bytes], data: bytes) -> None:
    """One message (a pickle's bytes), framed by its length."""
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes], timeout_s: float | None = None) -> bytes:
    """The next message's bytes (whole: the stream stays in step whatever they hold); EOFError
    when the other side is gone, TimeoutError when nothing came within `timeout_s` (checked at a
    message's start, where the reader holds nothing it read ahead)."""
    if timeout_s is not None and not select.select([stream], [], [], timeout_s)[0]:
        raise TimeoutError(f"no reply in {timeout_s:g} s")
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError("the pipe closed")
    (n,) = HEADER.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("the pipe closed mid-message")
    return data


# how long a job may take before its worker is stopped (a 4K zone paints in well under a second; a
# fresh worker's first job also waits for its imports, about half a second)
JOB_TIMEOUT_S = 60.0


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


@dataclass
class _Worker:
    index: int
    proc: subprocess.Popen | None = None
    thread: threading.Thread | None = None
    started: int = 0  # processes started for this slot (more than one: an earlier one died)


class PaintPool:
    """Paints zones in `workers` processes. `inline=True` paints synchronously in this process
    (used only by unit tests of painters; the wall itself always uses processes)."""

    def __init__(self, workers: int | None = None, inline: bool = False, job_timeout_s: float = JOB_TIMEOUT_S):
        self.inline = inline
        self.workers = 0 if inline else workers or default_workers()
        self.job_timeout_s = job_timeout_s
        self._cond = threading.Condition()
        self._queue: deque[PaintJob] = deque()
        self._done: list[PaintResult] = []
        self._in_flight = 0
        self._closed = False
        self._slots = [_Worker(i) for i in range(self.workers)]

    def start(self) -> None:
        """Start the workers now rather than with the first paint. A worker takes about half a
        second to start (Python, skia, the painters and their fonts); a wall that starts them
        before it imports the rest of itself and reads its config has them ready for its first frame."""
        with self._cond:
            if self._closed:
                return
            if not any(slot.thread for slot in self._slots):
                remove_orphaned_pictures()
            for slot in self._slots:
                if slot.thread is None:
                    self._spawn(slot)
                    slot.thread = threading.Thread(
                        target=self._serve, args=(slot,), name=f"wall-paint-{slot.index}", daemon=True
                    )
                    slot.thread.start()

    def submit(self, job: PaintJob) -> None:
        if self.inline:
            pixels, error, boxes = paint_view(job.widget, job.view, job.width, job.height, job.parts, job.turn)
            self._done.append(PaintResult(job, pixels, error, text_boxes=boxes))
            return
        self.start()
        with self._cond:
            self._queue.append(job)
            self._in_flight += 1
            self._cond.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job sent so far is done. For deterministic renders only: the live
        frame loop never calls this."""
        with self._cond:
            self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    def collect(self) -> list[PaintResult]:
        """Finished paints, oldest first; never blocks (the lock is only ever held for list moves)."""
        with self._cond:
            done, self._done = self._done, []
        return done

    def close(self) -> None:
        if self.inline:
            return
        with self._cond:
            self._closed = True
            self._in_flight -= len(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for slot in self._slots:
            if slot.proc is not None and slot.proc.stdin is not None:
                try:
                    slot.proc.stdin.close()  # a worker ends when its pipe closes
                except OSError:
                    pass
        for slot in self._slots:
            proc = slot.proc
            if proc is not None:
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:  # still painting: its picture is not wanted
                    proc.kill()
                    proc.wait()
                _remove_leftovers(proc.pid)
            if slot.thread is not None:
                slot.thread.join(5)
        for result in self.collect():
            result.release()

    # -- one thread per worker

    def _spawn(self, slot: _Worker) -> None:
        # the worker imports this wall's code from where this process found it
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        slot.proc = subprocess.Popen(
            [sys.executable, "-m", "wall.render.paint_worker", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        slot.started += 1

    def _serve(self, slot: _Worker) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or bool(self._queue))
                if self._closed:
                    return
                job = self._queue.popleft()
            try:
                result = self._paint(slot, job)
            except Exception as exc:  # whatever happens, the job ends (wait() and in_flight count on it)
                result = _error_result(job, f"paint worker failed: {type(exc).__name__}: {exc}")
            with self._cond:
                if self._closed:  # close() ran meanwhile: it may not have seen a worker started since
                    result.release()
                    if slot.proc is not None and slot.proc.stdin is not None:
                        slot.proc.stdin.close()
                    return
                self._done.append(result)
                self._in_flight -= 1
                self._cond.notify_all()

    def _paint(self, slot: _Worker, job: PaintJob) -> PaintResult:
        """`job` painted by this slot's worker; an error card (and a new worker for the next job)
        when the worker died."""
        if slot.proc is None or slot.proc.poll() is not None:
            self._spawn(slot)
        proc = slot.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        try:
            message = pickle.dumps(
                (job.widget, job.view, job.width, job.height, job.parts, job.turn, job.picture_cache),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except Exception as exc:  # a view that cannot travel: this zone's error, not the worker's
            return _error_result(job, f"paint job could not be sent: {type(exc).__name__}: {exc}")
        try:
            send(proc.stdin, message)
            kind, reply = pickle.loads(receive(proc.stdout, self.job_timeout_s))
        except TimeoutError:
            # a painter that never returns (a loop, a pathological layout) would hold this worker,
            # and with one worker every zone, for good: it is stopped, the zone shows an error card
            return self._worker_lost(slot, job, None, f"no picture in {self.job_timeout_s:g} s, stopped")
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            return self._worker_lost(slot, job, exc)
        if kind != "done":  # the worker could not paint it (a view it cannot read, no room to share...)
            return _error_result(job, f"paint worker failed: {reply}")
        name, shape, error, boxes = reply
        pixels, mapped = take_shared(name, shape)
        return PaintResult(job, pixels, error, mapped, boxes)

    def _worker_lost(
        self, slot: _Worker, job: PaintJob, exc: BaseException | None, how: str | None = None
    ) -> PaintResult:
        proc = slot.proc
        assert proc is not None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        _remove_leftovers(proc.pid)
        slot.proc = None  # the next job starts another
        if how is None:
            how = f"killed by signal {-code}" if code < 0 else f"exited with {code}"
        cause = f": {type(exc).__name__}" if exc is not None else ""
        message = f"paint worker failed ({how}){cause}"
        log.warning("zone %s: %s; a new worker starts with the next job", job.zone_id, message)
        result = _error_result(job, message)
        result.lost = True
        return result


def _error_result(job: PaintJob, message: str) -> PaintResult:
    from ..paint.error_card import ErrorView, paint_error_card

    card = turned(paint_error_card(ErrorView(job.widget, message, ""), job.width, job.height), job.turn)
    return PaintResult(job, card, message)


def _remove_leftovers(pid: int) -> None:
    """Shared pictures a worker wrote and never handed over (it died between the two)."""
    for path in glob.glob(_shared_name(pid, "*")):
        try:
            os.unlink(path)
        except OSError:
            pass


def remove_orphaned_pictures() -> None:
    """Remove the shared pictures of workers that are gone along with their wall (a wall killed with
    -9, or by the OOM killer, takes its workers with it, and nobody was left to call
    `_remove_leftovers`: each such file held a zone's picture in memory until the machine restarted).
    A file whose worker still runs (another wall's, on this machine) stays."""
    pids = set()
    for path in glob.glob(_shared_name("*", "*")):
        try:
            pids.add(int(os.path.basename(path).split("-")[2]))
        except (ValueError, IndexError):  # not ours
            continue
    for pid in pids:
        try:
            os.kill(pid, 0)  # raises when no such process exists
        except ProcessLookupError:
            _remove_leftovers(pid)
        except PermissionError:  # another user's live process
            pass
