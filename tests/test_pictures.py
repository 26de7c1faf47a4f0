"""Pictures from the web (wall/pictures.py): fetched from a real HTTP server on 127.0.0.1 into the disk
cache, checked before decoding, painted on cards; every bad answer ends with the placeholder and a
health note, never a stall of the caller (the render thread) or a crash."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image
from widget_kit import assert_golden, render, snapshot_with

from feeds.model import Author, Media, Post, PostMetrics
from wall import pictures
from wall.paint.images import PictureUnavailable, picture
from wall.pictures import PictureService

RED, BLUE, GREEN = (220, 30, 30), (30, 60, 220), (20, 200, 60)


def near_mask(px: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """Where a rendered picture shows the colour `rgb` (within 12 in every channel: antialiasing)."""
    return np.abs(px[:, :, :3].astype(int) - np.array(rgb)).max(axis=2) <= 12


def near(px: np.ndarray, rgb: tuple[int, int, int]) -> int:
    """How many pixels show the colour `rgb`."""
    return int(near_mask(px, rgb).sum())


def _png(size: tuple[int, int], rgb: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, rgb).save(out, "PNG")
    return out.getvalue()


def _bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A PNG whose header declares width x height (a 20000x20000 picture, 1.6 GB decoded) in 100
    bytes: the real IHDR of a 1x1 PNG with its size rewritten and its CRC recomputed. The service must
    refuse it from the header, so the (absent) rows never matter."""
    raw = _png((1, 1), RED)
    ihdr = struct.pack(">II", width, height) + raw[24:29]
    chunk = b"IHDR" + ihdr
    return raw[:8] + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk)) + raw[33:]


def _gif_red_then_green() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), GREEN)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


class _Pictures(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet test output
        pass

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/avatar.png":
            self._send(200, _png((96, 96), RED), "image/png")
        elif path == "/photo.png":
            self._send(200, _png((320, 200), BLUE), "image/png")
        elif path == "/anim.gif":
            self._send(200, _gif_red_then_green(), "image/gif")
        elif path == "/html.png":  # an error page served with a 200 under a picture's name
            self._send(200, b"<html><body>login</body></html>", "text/html; charset=utf-8")
        elif path == "/svg.svg":
            self._send(200, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
        elif path == "/big.png":  # over the per-picture byte cap, with an honest Content-Length
            self._send(200, _png((8, 8), RED) + b"\0" * 300_000, "image/png")
        elif path == "/bomb.png":
            self._send(200, _bomb_png(), "image/png")
        elif path == "/bomb-10k.png":  # under Pillow's own bomb limit: the service's cap must catch it
            self._send(200, _bomb_png(10000, 10000), "image/png")
        elif path == "/slow.png":  # headers at once, then a byte every half second: a trickle
            body = _png((16, 16), RED)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for b in body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
        elif path == "/loop-a.png":
            self._send(302, b"", "text/plain", {"Location": "/loop-b.png"})
        elif path == "/loop-b.png":
            self._send(302, b"", "text/plain", {"Location": "/loop-a.png"})
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pictures)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.delenv("WALL_PICTURE_CACHE", raising=False)
    svc = PictureService(tmp_path / "pictures", max_bytes=200_000, timeout_s=1.5, retry_s=60).start()
    yield svc
    svc.stop()
    pictures.set_active(None)


def _fetched(svc: PictureService, url: str, timeout: float = 10.0) -> str:
    assert svc.lookup(url) == ""  # the first look-up only asks for it
    assert svc.wait_idle(timeout)
    return svc.lookup(url)


def _colour(path: str) -> tuple[int, int, int]:
    with Image.open(path) as im:
        return im.convert("RGB").getpixel((im.width // 2, im.height // 2))


def test_a_picture_arrives_in_the_cache_and_paints(server, service):
    path = _fetched(service, f"{server}/avatar.png")
    assert path.startswith(str(service.cache_dir)) and path.endswith(".png")
    assert _colour(path) == RED
    # a painter opens it even as a feed's picture (the cache is the one place feeds' pictures live)
    img = picture(path, 40, 40, "cover", feed=True)
    assert img.width() == 40
    assert service.health()["cached"] == 1 and service.health()["failed"] == 0


def test_an_animated_picture_shows_its_first_frame(server, service):
    assert _colour(_fetched(service, f"{server}/anim.gif")) == RED


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow.png", "total limit"),
        ("/html.png", "not a picture (Content-Type 'text/html')"),
        ("/svg.svg", "not a picture (Content-Type 'image/svg+xml')"),
        ("/big.png", "byte cap"),
        ("/bomb.png", "too many pixels"),
        ("/bomb-10k.png", "too many pixels (10000x10000"),
        ("/missing.png", "404"),
        ("/loop-a.png", "too many redirects"),
    ],
)
def test_bad_answers_end_with_the_placeholder_and_a_health_note(server, service, path, reason):
    url = f"{server}{path}"
    started = time.monotonic()
    assert service.lookup(url) == ""
    assert service.lookup(url) == ""  # asked twice while pending: still instant, fetched once
    assert time.monotonic() - started < 0.05  # the render thread never waits for the network
    assert service.wait_idle(10)
    assert service.lookup(url) == ""  # the placeholder stays; no retry before the back-off
    note = service.health()
    assert note["failed"] == 1 and note["cached"] == 0
    assert reason in note["failures"][0]["reason"], note
    assert list(service.cache_dir.iterdir()) == []  # nothing was written for it


def test_feed_paths_outside_the_cache_are_still_refused(tmp_path, service):
    stray = tmp_path / ("0" * 64 + ".png")  # the cache's naming, but not in the cache directory
    stray.write_bytes(_png((8, 8), RED))
    with pytest.raises(PictureUnavailable):
        picture(str(stray), 8, 8, feed=True)


def test_the_cache_is_bounded_and_survives_a_restart(server, tmp_path, monkeypatch):
    monkeypatch.delenv("WALL_PICTURE_CACHE", raising=False)
    folder = tmp_path / "pics"
    # room for one 320x200 picture, not two
    svc = PictureService(folder, max_mb=1500 / 1024 / 1024, timeout_s=2).start()
    try:
        first = _fetched(svc, f"{server}/avatar.png")
        second = _fetched(svc, f"{server}/photo.png")
        assert second and not (first and svc.lookup(f"{server}/avatar.png"))  # least recently used went
        assert sorted(p.name for p in folder.iterdir()) == [second.rsplit("/", 1)[-1]]
    finally:
        svc.stop()
    again = PictureService(folder, fetch=False)  # a restart: no fetching needed for what is on disk
    assert again.lookup(f"{server}/photo.png") == second


def test_a_mastodon_card_shows_the_fetched_avatar_and_picture(server, service):
    pictures.set_active(service)
    author = Author(id="m:1", handle="@ana@example.social", name="Ana Lima", avatar_url=f"{server}/avatar.png")
    post = Post(
        key="m:1",
        source="t",
        network="mastodon",
        published_at=__import__("widget_kit").T0,
        text="Fibre reached the valley today",
        author=author,
        metrics=PostMetrics(likes=12),
        media=(Media(kind="image", url=f"{server}/photo.png", alt="the valley"),),
    )
    data = snapshot_with(posts=[post])
    before, px_before = render("top_posts", 1280, 720, data=data, count=1)
    assert before.posts[0].avatar == "" and not before.posts[0].image_local  # initials and placeholder first

    assert near(px_before, RED) < 50 and near(px_before, BLUE) < 50
    assert service.wait_idle(10)
    after, px = render("top_posts", 1280, 720, data=data, count=1)
    assert after != before  # the view changed, so the zone repaints once the pictures are in
    assert after.posts[0].avatar.startswith(str(service.cache_dir)) and after.posts[0].image_local
    assert near(px, RED) > 500  # the avatar's pixels
    assert near(px, BLUE) > 5000  # the post's picture


def _status_with_emoji(server: str) -> dict:
    """A Mastodon status as the API gives it: custom emoji in the text and in the display name
    (Mastodon's CustomEmoji: shortcode, url, static_url; static_url is the still of an animated one)."""
    blobcat = {
        "shortcode": "blobcat",
        "url": f"{server}/anim.gif",
        "static_url": f"{server}/avatar.png",
        "visible_in_picker": True,
    }
    return {
        "id": "109",
        "uri": "https://example.social/users/ana/statuses/109",
        "url": "https://example.social/@ana/109",
        "created_at": "2026-11-23T08:25:00.000Z",
        "visibility": "public",
        "content": "<p>Fibre reached the valley :blobcat: today</p>",
        "emojis": [blobcat],
        "favourites_count": 12,
        "reblogs_count": 1,
        "replies_count": 0,
        "account": {
            "id": "1",
            "username": "ana",
            "acct": "ana",
            "display_name": "Ana :blobcat: Lima",
            "avatar": f"{server}/avatar.png",
            "avatar_static": f"{server}/avatar.png",
            "followers_count": 120,
            "emojis": [blobcat],
        },
        "media_attachments": [
            {"id": "5", "type": "image", "url": f"{server}/photo.png", "description": "the valley", "meta": {}}
        ],
    }


def test_custom_emoji_are_kept_with_their_static_picture_and_never_shown_as_shortcodes(server):
    from feeds.mastodon import parse_status

    p = parse_status(_status_with_emoji(server), "example.social")
    assert p is not None
    assert [(e.shortcode, e.url) for e in p.emojis] == [("blobcat", f"{server}/avatar.png")]
    assert [e.shortcode for e in p.author.emojis] == ["blobcat"]
    view, _ = render("top_posts", 1280, 720, data=snapshot_with(posts=[p]), count=1)
    card = view.posts[0]
    assert ":blobcat:" not in card.text and card.text == "Fibre reached the valley today"
    assert card.author == "Ana Lima" and card.initials == "AL"  # not 'A:' nor 'AB'


def test_custom_emoji_are_drawn_inline_once_fetched(server, service):
    from feeds.mastodon import parse_status

    pictures.set_active(service)
    status = _status_with_emoji(server)
    status["media_attachments"] = []  # only the emoji and the avatar can be red
    status["account"]["avatar"] = status["account"]["avatar_static"] = None
    p = parse_status(status, "example.social")
    data = snapshot_with(posts=[p])
    before, px_before = render("top_posts", 1280, 720, data=data, count=1)
    assert before.posts[0].text == "Fibre reached the valley today" and before.posts[0].emoji == ()

    assert near(px_before, RED) == 0
    assert service.wait_idle(10)
    after, px = render("top_posts", 1280, 720, data=data, count=1)
    card = after.posts[0]
    assert card.text == "Fibre reached the valley \u2003 today" and card.emoji[0].startswith(str(service.cache_dir))
    assert ":" not in card.text
    assert near(px, RED) > 100  # the emoji's picture (the static one: red) sits in the text
    # and in the author's display name, on the card's first line; the initials skip it
    assert card.author == "Ana \u2003 Lima" and len(card.author_emoji) == 1 and card.initials == "AL"
    header = px[: px.shape[0] // 4]
    assert near(header, RED) > 50 and near(px_before[: px.shape[0] // 4], RED) == 0


def test_custom_emoji_in_a_name_are_drawn_on_the_influencer_board_once_fetched(server, service):
    from feeds.mastodon import parse_status

    pictures.set_active(service)
    status = _status_with_emoji(server)
    status["account"]["avatar"] = status["account"]["avatar_static"] = None  # only the emoji can be red
    data = snapshot_with(posts=[parse_status(status, "example.social")])

    before, px_before = render("influencers", 960, 540, data=data, source="posts", count=5)
    row = before.rows[0]
    assert row.name == "Ana Lima" and row.name_emoji == () and row.initials == "AL"
    assert near(px_before, RED) == 0
    assert service.wait_idle(10)
    after, px = render("influencers", 960, 540, data=data, source="posts", count=5)
    row = after.rows[0]
    assert row.name == "Ana \u2003 Lima" and len(row.name_emoji) == 1 and row.initials == "AL"
    assert row.handle == "@ana@example.social"
    assert near(px, RED) > 50  # the emoji's picture (the static one: red) between the first and last name


def test_custom_emoji_are_drawn_in_the_ticker_once_fetched(server, service):
    from feeds.mastodon import parse_status

    pictures.set_active(service)
    status = _status_with_emoji(server)
    data = snapshot_with(posts=[parse_status(status, "example.social")])

    before, px_before = render("ticker", 1280, 96, data=data, source="posts", limit=5)
    assert before.headlines == ("Ana Lima: Fibre reached the valley today",)
    assert near(px_before, RED) == 0
    assert service.wait_idle(10)
    after, px = render("ticker", 1280, 96, data=data, source="posts", limit=5)
    # read out (state.json, the API) as words; painted with the pictures between them
    assert after.headlines == ("Ana Lima: Fibre reached the valley today",)
    who, body = (s for s in after.segments if s.emoji)
    assert who.text == "Ana \u2003 Lima" and body.text == "Fibre reached the valley \u2003 today"
    assert ":" not in who.text + body.text
    assert near(px, RED) > 2 * 200  # two emoji (the static picture: red), each about 17 px square here


def test_a_custom_emoji_sits_between_the_words_of_a_right_to_left_text(server, service):
    from feeds.mastodon import parse_status

    pictures.set_active(service)
    status = _status_with_emoji(server)
    status["content"] = "<p>وصلت الألياف إلى الوادي :blobcat: اليوم</p>"  # "fibre reached the valley today"
    status["account"]["display_name"] = "Ana Lima"
    status["account"]["emojis"] = []
    status["account"]["avatar"] = status["account"]["avatar_static"] = None
    status["media_attachments"] = []
    data = snapshot_with(posts=[parse_status(status, "example.social")])
    render("top_posts", 1280, 720, data=data, count=1)
    assert service.wait_idle(10)
    view, px = render("top_posts", 1280, 720, data=data, count=1)
    assert view.posts[0].text == "وصلت الألياف إلى الوادي \u2003 اليوم" and len(view.posts[0].emoji) == 1
    ys, xs = np.nonzero(near_mask(px, RED))
    assert len(xs) > 200, "the emoji is drawn"
    line = px[ys.min() : ys.max() + 1, :, :3]
    ink = np.nonzero((line.min(axis=2) > 180).any(axis=0))[0]  # the line's white letters
    # read right to left: 'the valley' on its right, 'today' on its left, as the words go
    assert ink.min() + 40 < xs.mean() < ink.max() - 40, (ink.min(), xs.mean(), ink.max())
    assert (ink < xs.min()).sum() > 20 and (ink > xs.max()).sum() > 20
    # over the gap the text left for it, not over letters: no white ink in its columns, around it
    above = max(0, ys.min() - (ys.max() - ys.min()))
    column = px[above : ys.max() + (ys.max() - ys.min()), xs.min() - 1 : xs.max() + 2, :3]
    assert int((column.min(axis=2) > 180).sum()) == 0


def test_golden_mastodon_status_with_avatar_picture_and_custom_emoji(server, service):
    from feeds.mastodon import parse_status

    pictures.set_active(service)
    data = snapshot_with(posts=[parse_status(_status_with_emoji(server), "example.social")])
    render("top_posts", 1280, 720, data=data, count=1)  # asks for the avatar, the photo and the emoji
    assert service.wait_idle(10)
    _, px = render("top_posts", 1280, 720, data=data, count=1)
    assert_golden("top_posts_web_pictures", px)


def test_the_pictures_section_configures_the_live_walls_service(tmp_path, monkeypatch):
    from wall.config.errors import ConfigError
    from wall.config.loader import load_config
    from wall.live import build_pictures

    root = __import__("pathlib").Path(__file__).resolve().parent.parent
    text = (root / "config" / "demo.yaml").read_text(encoding="utf-8")
    layouts = [root / "layouts"]
    cfg = tmp_path / "wall.yaml"
    cfg.write_text(text + "\npictures: { max_mb: 32, timeout_s: 4 }\n", encoding="utf-8")
    svc = build_pictures(load_config(cfg, layouts), tmp_path / "wall.sqlite")
    assert svc is not None and svc.cache_dir == (tmp_path / "wall.pictures").resolve()
    assert svc.max_total == 32 * 1024 * 1024 and svc.timeout_s == 4
    cfg.write_text(text + "\npictures: { fetch: false }\n", encoding="utf-8")
    assert build_pictures(load_config(cfg, layouts), tmp_path / "wall.sqlite") is None
    cfg.write_text(text + "\npictures: { max_mb: -1 }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_mb"):
        load_config(cfg, layouts)


def test_a_ticker_never_shows_shortcodes(server):
    from widget_kit import build, make_ctx

    from feeds.mastodon import parse_status

    p = parse_status(_status_with_emoji(server), "example.social")
    view = build("ticker", make_ctx(1280, 96, data=snapshot_with(posts=[p])), source="posts", limit=5)
    assert view.headlines == ("Ana Lima: Fibre reached the valley today",)


def test_painters_started_before_the_picture_service_paint_its_pictures(server, tmp_path, monkeypatch):
    # `wallctl run` starts its paint workers first (they load while the wall reads its config), and
    # the picture service after them: every job tells its worker where the picture cache is
    from widget_kit import build, make_ctx

    from wall.render.paint_pool import PaintJob, PaintPool

    monkeypatch.delenv("WALL_PICTURE_CACHE", raising=False)
    pool = PaintPool(workers=1)
    pool.start()
    svc = PictureService(tmp_path / "pictures", timeout_s=5).start()
    try:
        pictures.set_active(svc)
        assert _fetched(svc, f"{server}/photo.png") and _fetched(svc, f"{server}/avatar.png")
        post = Post(
            key="m:2",
            source="t",
            network="mastodon",
            published_at=__import__("widget_kit").T0,
            text="A photo from the valley",
            author=Author(id="m:2", handle="@bo@example.social", name="Bo", avatar_url=f"{server}/avatar.png"),
            media=(Media(kind="image", url=f"{server}/photo.png", alt="the valley"),),
        )
        view = build("top_posts", make_ctx(1280, 720, data=snapshot_with(posts=[post])), count=1)
        assert view.posts[0].image_local
        pool.submit(PaintJob("z", "top_posts", view, 1280, 720, 1, 1))
        pool.wait(60)
        (result,) = pool.collect()
        px = result.pixels[:, :, :3].astype(int)
        blue = (np.abs(px - np.array(BLUE)).max(axis=2) <= 12).sum()
        red = (np.abs(px - np.array(RED)).max(axis=2) <= 12).sum()
        result.release()
        assert result.error is None and blue > 5000 and red > 500  # the cached picture and avatar
    finally:
        pool.close()
        svc.stop()
        pictures.set_active(None)
