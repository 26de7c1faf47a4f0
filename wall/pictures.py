"""Pictures from the web (avatars, post photos, custom emoji), fetched off the render thread into a
bounded disk cache that painters read.

The render thread only calls `PictureService.lookup` (through `cached`): a dict look-up and a hash, no
disk, no network. It answers the cached file's path when the picture is there, else '' (the widget
draws initials or its placeholder) and registers the URL as wanted. A thread of the service's own runs
an asyncio loop that fetches wanted URLs with the feeds' one HTTP client (feeds/http.py: connect, read
and total time-outs, a byte cap enforced while streaming, redirects followed one hop at a time with
credentials dropped across origins, a redirect loop cut short), then checks what came back before
anything is decoded:

- the Content-Type must be a raster image (not HTML, not SVG);
- the pixel count is read from the image's header and a picture over `max_pixels` (a 20000 x 20000 PNG
  of a few kilobytes, a decompression bomb) is refused before a row is decompressed;
- an animated GIF / WebP keeps its first frame; the picture is scaled down to `max_side` and written as
  PNG under the cache directory, named by the URL's hash, so it survives restarts.

The cache holds at most `max_mb` (least recently looked-up pictures go first). A failure is remembered
per URL with a retry after a back-off, and reported by `health()` (the control API's status, "pictures"),
never as a traceback on the wall. Painters open cached files through wall/paint/images.py, which
accepts a feed's picture only from a directory named in WALL_PICTURE_CACHE (set by `start`, inherited by
the painter processes spawned afterwards).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError

from feeds.urls import web_url

if TYPE_CHECKING:
    import asyncio

    from feeds.http import Fetcher

from .paint.images import MAX_PIXELS, PICTURE_CACHE_ENV, cache_file_name

log = logging.getLogger("wall.pictures")

MIB = 1024 * 1024
# content types a picture may arrive as; SVG is a document (scripts, external references), not a picture
RASTER_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/bmp", "image/avif", "image/x-icon"}
)
_FAILURES_SHOWN = 8  # recent failures listed in health(); the count covers all of them
_FAILURES_KEPT = 4096  # a feed full of dead avatars must not grow memory without end


class PictureRefused(Exception):
    """What came back is not a picture the wall will show; str() is the health note."""


@dataclass
class _Failure:
    reason: str
    attempts: int
    retry_at: float  # time.monotonic()
    at: float  # time.time(), for the console


def url_key(url: str) -> str:
    """The cache file's stem for a URL (sha-256: no URL text reaches the file system)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def normalise(body: bytes, content_type: str, *, max_pixels: int = MAX_PIXELS, max_side: int = 1024) -> bytes:
    """`body` checked and re-encoded as a PNG of at most `max_side` pixels a side (first frame of an
    animation). Raises PictureRefused. Pure: the service runs it in a worker thread."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in RASTER_TYPES:
        raise PictureRefused(f"not a picture (Content-Type {kind or 'missing'!r})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(body))  # the header only: nothing decompressed yet
        with im:
            if im.width * im.height > max_pixels:
                raise PictureRefused(f"too many pixels ({im.width}x{im.height}, limit {max_pixels})")
            im.seek(0)  # an animated GIF / WebP shows its first frame
            frame = ImageOps.exif_transpose(im).convert("RGBA")
    except PictureRefused:
        raise
    except Image.DecompressionBombError:
        raise PictureRefused("too many pixels (a decompression bomb)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PictureRefused("not a readable image") from None
    if max(frame.size) > max_side:
        frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, "PNG", optimize=False, compress_level=3)
    return out.getvalue()


class PictureService:
    """URLs in, cached PNG files out; see the module's docstring."""

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        *,
        max_mb: float = 256,
        max_bytes: int = 8 * MIB,
        timeout_s: float = 15.0,
        max_pixels: int = MAX_PIXELS,
        max_side: int = 1024,
        retry_s: float = 300.0,
        concurrency: int = 4,
        fetch: bool = True,
    ) -> None:
        if max_mb <= 0 or max_bytes <= 0 or timeout_s <= 0:
            raise ValueError("pictures: max_mb, max_bytes and timeout_s must be positive")
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        self.max_total = int(max_mb * MIB)
        self.max_bytes = int(max_bytes)
        self.timeout_s = float(timeout_s)
        self.max_pixels = int(max_pixels)
        self.max_side = int(max_side)
        self.retry_s = float(retry_s)
        self.concurrency = max(1, int(concurrency))
        self.fetch = fetch
        self._lock = threading.Lock()
        # url hash -> (path, bytes), least recently looked-up first
        self._files: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._bytes = 0
        self._failed: dict[str, _Failure] = {}
        self._pending: set[str] = set()
        self._fetched = 0
        # bumped whenever a look-up's answer may change (a picture cached, or failed): views built
        # from look-ups are reused only while it stays the same (wall/scenes/views.py)
        self.generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[str] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._scan()

    # -- the render thread's side (cheap: no disk, no network)

    def lookup(self, url: str | None) -> str:
        """The cached file for `url`, or '' (and `url` is wanted, when this service fetches)."""
        if not url or web_url(url) is None:
            return ""
        key = url_key(url)
        with self._lock:
            hit = self._files.get(key)
            if hit is not None:
                self._files.move_to_end(key)
                return hit[0]
            if not self.fetch or url in self._pending:
                return ""
            failed = self._failed.get(url)
            if failed is not None and time.monotonic() < failed.retry_at:
                return ""
            loop, queue = self._loop, self._queue
            if loop is None or queue is None:
                return ""
            self._pending.add(url)
        loop.call_soon_threadsafe(queue.put_nowait, url)
        return ""

    def health(self) -> dict[str, object]:
        """For the control API's status: what is cached, what is waiting, and why pictures failed."""
        from feeds.redaction import redact

        with self._lock:
            recent = sorted(self._failed.items(), key=lambda kv: kv[1].at, reverse=True)[:_FAILURES_SHOWN]
            return {
                "cache_dir": str(self.cache_dir),
                "cached": len(self._files),
                "cached_bytes": self._bytes,
                "limit_bytes": self.max_total,
                "pending": len(self._pending),
                "fetched": self._fetched,
                "failed": len(self._failed),
                "failures": [{"url": redact(url), "reason": f.reason, "attempts": f.attempts} for url, f in recent],
            }

    # -- lifecycle

    def start(self) -> PictureService:
        """Start fetching (a daemon thread), and tell painter processes spawned from now on where the
        cache is."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        dirs = [d for d in os.environ.get(PICTURE_CACHE_ENV, "").split(os.pathsep) if d]
        if str(self.cache_dir) not in dirs:
            os.environ[PICTURE_CACHE_ENV] = os.pathsep.join([*dirs, str(self.cache_dir)])
        if self.fetch and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wall-pictures", daemon=True)
            self._thread.start()
            self._ready.wait(5)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(self._stop_event.set)
            thread.join(timeout=self.timeout_s + 5)
        self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending (tests, `wallctl render --pictures`): never on the render thread."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False

    # -- the fetching thread

    def _run(self) -> None:
        # imported here, not at the top: the paint workers import this module (through the widgets)
        # and never fetch; asyncio costs each of them 7 MB, the HTTP client a few more
        import asyncio

        asyncio.run(self._main())

    async def _main(self) -> None:
        import asyncio

        from feeds.http import Fetcher

        self._queue = asyncio.Queue()
        self._stop_event = asyncio.Event()
        gate = asyncio.Semaphore(self.concurrency)
        fetcher = Fetcher(
            connect_timeout=self.timeout_s,
            read_timeout=self.timeout_s,
            total_timeout=self.timeout_s,
            max_bytes=self.max_bytes,
            user_agent="wall-pictures/0.1 (social-room video wall)",
        )
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        tasks: set[asyncio.Task[None]] = set()
        async with fetcher:
            stopping = asyncio.ensure_future(self._stop_event.wait())
            while not self._stop_event.is_set():
                getting = asyncio.ensure_future(self._queue.get())
                await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                task = asyncio.create_task(self._one(fetcher, gate, getting.result()))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, fetcher: Fetcher, gate: asyncio.Semaphore, url: str) -> None:
        import asyncio

        from feeds.errors import FeedError
        from feeds.redaction import redact

        try:
            async with gate:
                response = await fetcher.get(url, conditional=False, headers={"Accept": "image/*"})
                png = await asyncio.to_thread(
                    normalise,
                    response.body,
                    response.headers.get("content-type", ""),
                    max_pixels=self.max_pixels,
                    max_side=self.max_side,
                )
                await asyncio.to_thread(self._store, url, png)
        except (FeedError, PictureRefused, OSError) as exc:
            self._fail(url, str(exc))
        except Exception as exc:  # a picture never takes the service down; the note says what broke
            log.exception("picture %s: unexpected failure", redact(url))
            self._fail(url, f"unexpected error ({type(exc).__name__})")
        finally:
            with self._lock:
                self._pending.discard(url)

    def _fail(self, url: str, reason: str) -> None:
        with self._lock:
            self.generation += 1
            previous = self._failed.get(url)
            attempts = (previous.attempts if previous else 0) + 1
            # back off: 5 min, 10, 20 ... at most 6 h, so a dead avatar costs a request now and then
            wait = min(self.retry_s * 2 ** (attempts - 1), 6 * 3600.0)
            self._failed[url] = _Failure(reason, attempts, time.monotonic() + wait, time.time())
            while len(self._failed) > _FAILURES_KEPT:  # dicts keep insertion order: the oldest go
                self._failed.pop(next(iter(self._failed)))
        from feeds.redaction import redact

        log.info("picture %s not shown (initials / placeholder instead): %s", redact(url), reason)

    def _store(self, url: str, png: bytes) -> None:
        key = url_key(url)
        path = self.cache_dir / cache_file_name(key)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(png)
        os.replace(tmp, path)  # a painter never reads half a file
        with self._lock:
            old = self._files.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._files[key] = (str(path), len(png))
            self._bytes += len(png)
            self._failed.pop(url, None)
            self._fetched += 1
            self.generation += 1
            evicted = self._evict_locked()
        for stale in evicted:
            with_suppressed_unlink(stale)

    def _evict_locked(self) -> list[str]:
        evicted = []
        while self._bytes > self.max_total and len(self._files) > 1:
            _, (stale, size) = self._files.popitem(last=False)
            self._bytes -= size
            evicted.append(stale)
        return evicted

    def _scan(self) -> None:
        """What an earlier run cached, oldest use (mtime) first; over the cap, the oldest go."""
        if not self.cache_dir.is_dir():
            return
        found = []
        for entry in os.scandir(self.cache_dir):
            stem = entry.name[: -len(".png")]
            if entry.is_file() and entry.name == cache_file_name(stem):
                st = entry.stat()
                found.append((st.st_mtime, stem, entry.path, st.st_size))
        for _, stem, path, size in sorted(found):
            self._files[stem] = (path, size)
            self._bytes += size
        for stale in self._evict_locked():
            with_suppressed_unlink(stale)


def with_suppressed_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# The service the live wall runs; widgets' build() asks it through `cached`. None: nothing is fetched.
_active: PictureService | None = None


def set_active(service: PictureService | None) -> None:
    global _active
    _active = service


def active() -> PictureService | None:
    return _active


def generation() -> tuple[int, int]:
    """Changes whenever `cached` may answer differently (another service, a picture arrived or failed)."""
    service = _active
    return (id(service), service.generation) if service is not None else (0, 0)


def cached(url: str | None) -> str:
    """The cached file of a web picture, or '' (render thread: cheap; see PictureService.lookup)."""
    service = _active
    return service.lookup(url) if service is not None else ""
