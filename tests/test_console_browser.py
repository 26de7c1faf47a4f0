"""The web console (wall/control/static) in a real browser: Debian's Chromium driven by Playwright,
against a live headless wall (tests/live_wall.py) with its control API on 127.0.0.1.

What an operator does with it: sign in, switch the wall by tapping a scenario and watch the
preview follow, approve a post from the queue and see it reach the wall, take a hostile post
off; what a viewer may not do; what a wrong token gets; how it fits a tablet. Post text is
untrusted: a post made of HTML markup must show as text and create no element.

Playwright cannot download its browsers here (no network), so it drives /usr/bin/chromium.
Without it these tests skip with the apt-get line; as root (CI: `make test` installs it
through scripts/test_deps.sh) a missing Chromium fails them instead of hiding them.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from conftest import REPO
from live_wall import OPERATOR, VIEWER, LiveHarness
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_LINE = "sudo apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

T = datetime(2026, 11, 23, 8, 30, 5, tzinfo=UTC)
SWITCH_S = 60  # a scenario switch on a loaded 2-CPU machine, with room to spare (waits end on the condition)

# A visitor's post that is nothing but markup: it must reach the console as text.
HOSTILE_KEY = "guests:hostile-1"
HOSTILE_TEXT = (
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Loved the launch <b>so much</b> & more'
)
HOSTILE_AUTHOR = '<b>Mallory</b><img src=y onerror="window.__pwned=3">'
PICTURED_KEY = "guests:pictured-1"
DEAD_AVATAR = "http://127.0.0.1:9/avatars/grace.png"  # nothing listens on port 9


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() == 0:
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it as root (scripts/test_deps.sh); "
            f"or run: apt-get install -y chromium"
        )
    pytest.skip(f"the console's browser tests need Debian's Chromium; install it with: {INSTALL_LINE}")


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    """The demo wall plus what the console's moderation needs: a `guests` feed the test fills
    through the store (its poll can only fail: nothing listens on port 9) and a public-facing
    `lobby` scenario showing it, so its posts wait for approval."""
    from feeds.model import Author, Post
    from wall.config.loader import load_config
    from wall.store import Store

    mp = pytest.MonkeyPatch()
    mp.setenv("WALL_OPERATOR_TOKEN", OPERATOR)
    mp.setenv("WALL_VIEWER_TOKEN", VIEWER)
    folder = tmp_path_factory.mktemp("console")
    mp.setenv("XDG_STATE_HOME", str(folder / "state"))  # moderation decisions stay in this test's folder
    shutil.copytree(REPO / "layouts", folder / "layouts")
    doc = yaml.safe_load((REPO / "config" / "demo.yaml").read_text(encoding="utf-8"))
    doc["feeds"]["guests"] = {
        "adapter": "json",
        "poll_s": 3600,
        "options": {"url": "http://127.0.0.1:9/guests", "post": {"id": "id", "published_at": "at", "text": "text"}},
    }
    doc["scenarios"]["lobby"] = {
        "title": "Visitors' lobby",
        "public_facing": True,
        "layout": {"grid": [1, 1], "zones": {"posts": {"cells": "A1"}}},
        "zones": {"posts": {"widget": "top_posts", "feed": "guests", "title": "Posts from our guests"}},
    }
    doc["scenarios"]["guests"] = {  # not public facing: its posts show without approval
        "title": "Guests, unmoderated",
        "layout": {"grid": [1, 1], "zones": {"posts": {"cells": "A1"}}},
        "zones": {"posts": {"widget": "top_posts", "feed": "guests", "title": "Guests"}},
    }
    assert doc["scenarios"]["launch"].get("public_facing") is True  # the demo's own approve-first scenario
    config = folder / "demo.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")

    loaded = load_config(config)
    store = Store.from_config(loaded.config)
    store.put(
        "guests",
        [
            Post(
                key=HOSTILE_KEY,
                source="guests",
                published_at=T - timedelta(minutes=2),
                text=HOSTILE_TEXT,
                author=Author(id="guests:mallory", handle="mallory", name=HOSTILE_AUTHOR),
            ),
            Post(  # an avatar no server gives: the wall shows initials, the console says why
                key=PICTURED_KEY,
                source="guests",
                published_at=T - timedelta(minutes=3),
                text="Great coffee in the lobby this morning",
                author=Author(id="guests:grace", handle="grace", name="Grace Hopper", avatar_url=DEAD_AVATAR),
            ),
        ],
        {},
        T,
    )
    harness = LiveHarness(config, T, store=store)
    harness.test_config = loaded  # what the test wrote (zone rectangles, scenario names)
    yield harness
    harness.stop()
    mp.undo()


@pytest.fixture
def open_console(browser, wall):
    """open_console(token, user=..., **context options) -> a signed-in page (a fresh browser context)."""
    contexts = []

    def open_(token: str, user: str = "", **options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(SWITCH_S * 1000)
        page.goto(wall.url + "/")
        sign_in(page, token, user)
        return page

    yield open_
    for c in contexts:
        c.close()


def sign_in(page, token: str, user: str = "") -> None:
    page.locator("#signin").wait_for(state="visible")
    page.fill("#signin-token", token)
    page.fill("#signin-user", user)
    page.click("#signin button[type=submit]")


def wait_console_ready(page, wall) -> None:
    """Signed in and the first status drawn: a button per scenario."""
    page.locator("#app").wait_for(state="visible")
    expect(page.locator("#scenarios .scenario")).to_have_count(len(wall.test_config.config.scenarios))


def expect(locator):
    """Playwright's expect, waiting as long as a scenario switch may take (its default is 5 s)."""
    from playwright.sync_api import expect as pw_expect

    pw_expect.set_options(timeout=SWITCH_S * 1000)
    return pw_expect(locator)


def api(wall, token: str = VIEWER) -> httpx.Client:
    return wall.client(token)


def show_scenario(wall, name: str) -> None:
    """Put the wall on a scenario through the API (a test's starting point, not what it tests)."""
    with wall.client() as op:
        if op.get("/api/status").json()["shown"] != name:
            assert op.post("/api/scenario", json={"name": name, "wait": True}).status_code == 200


# ---------------------------------------------------------------- the preview as the page shows it


def preview_seq(page) -> int:
    return int(page.get_attribute("#preview", "data-seq") or 0)


def preview_pixels(page) -> np.ndarray:
    """The picture the preview <img> shows now, read back through a canvas (RGB). The page swaps the
    <img>'s source every few frames; between a swap and its decode the image has no size (a 0x0 canvas
    reads back as "data:,"), so the script waits for a decoded picture and draws it in the same turn of
    the page's event loop, where no swap can come between."""
    data_url = page.evaluate("""async () => {
        const img = document.getElementById('preview');
        const until = Date.now() + 60000;
        while (!(img.complete && img.naturalWidth > 0)) {
            if (Date.now() > until) return null;
            await new Promise(r => setTimeout(r, 50));
        }
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png');
    }""")
    assert data_url, "the preview showed no decoded picture for 60 s"
    import base64

    raw = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(int)


def wait_preview(page, predicate, what: str, timeout: float = SWITCH_S) -> np.ndarray:
    """Wait for a preview picture that arrived after now and satisfies predicate(pixels)."""
    deadline = time.monotonic() + timeout
    seen = preview_seq(page)
    while True:
        page.wait_for_function(
            "n => +document.getElementById('preview').dataset.seq > n",
            arg=seen,
            timeout=max(1, deadline - time.monotonic()) * 1000,
        )
        seen = preview_seq(page)
        pixels = preview_pixels(page)
        if predicate(pixels):
            return pixels
        assert time.monotonic() < deadline, f"the preview never showed {what}"


def zone_box(wall, scenario: str, zone: str, pixels: np.ndarray) -> np.ndarray:
    """The part of a preview picture where a zone is (inset a little: the preview has a bezel frame)."""
    rect = wall.test_config.scenarios[scenario].layout.zone(zone).rect
    h, w = pixels.shape[:2]
    sx, sy = w / wall.test_config.wall.canvas_w, h / wall.test_config.wall.canvas_h
    x0, x1 = int((rect.x + 0.05 * rect.w) * sx), int((rect.x + 0.95 * rect.w) * sx)
    y0, y1 = int((rect.y + 0.05 * rect.h) * sy), int((rect.y + 0.95 * rect.h) * sy)
    return pixels[y0:y1, x0:x1]


# ---------------------------------------------------------------- tests


def test_tapping_a_scenario_switches_the_wall_and_the_preview_follows(wall, open_console):
    show_scenario(wall, "monitoring")
    page = open_console(OPERATOR, "Ada")
    wait_console_ready(page, wall)
    monitoring = page.locator('#scenarios [data-scenario="monitoring"]')
    expect(monitoring).to_have_attribute("aria-current", "true")
    expect(monitoring).to_contain_text("on the wall")
    expect(page.locator("#now-showing")).to_have_text("On the wall: Everyday monitoring")

    # the monitoring wall is navy (#0b1020): blue over red
    before = wait_preview(page, lambda px: px[..., 2].mean() > px[..., 0].mean() + 5, "the navy monitoring wall")

    page.click('#scenarios [data-scenario="crisis"]')
    crisis = page.locator('#scenarios [data-scenario="crisis"]')
    expect(crisis).to_have_attribute("aria-current", "true")
    expect(crisis).to_contain_text("on the wall")
    expect(monitoring).not_to_have_attribute("aria-current", "true")
    expect(page.locator("#reason")).to_contain_text("operator")
    with api(wall) as v:
        s = v.get("/api/status").json()
    assert s["shown"] == "crisis" and s["operator_choice"] == "crisis" and s["last_switch"]["scenario"] == "crisis"

    # the crisis wall is dark red (#1a0608): the preview turns red
    after = wait_preview(page, lambda px: px[..., 0].mean() > px[..., 2].mean() + 5, "the red crisis wall")
    assert np.abs(after - before).mean() > 5
    expect(page.locator("#last-switch")).to_contain_text("crisis")
    expect(page.locator("#status-line")).not_to_have_attribute("data-kind", "error")


def test_approving_a_post_from_the_queue_puts_it_on_the_wall(wall, open_console):
    page = open_console(OPERATOR, "Ada Lovelace")
    wait_console_ready(page, wall)
    page.click('#scenarios [data-scenario="launch"]')  # public facing: posts wait for approval
    expect(page.locator('#scenarios [data-scenario="launch"]')).to_have_attribute("aria-current", "true")

    page.locator("#queue li.post").first.wait_for(state="visible")
    key = page.locator("#queue li.post").first.get_attribute("data-key")
    item = page.locator(f"#queue li[data-key={json.dumps(key)}]")  # the queue may grow meanwhile
    text = item.locator(".text").text_content()
    assert key and text
    with api(wall) as v:
        mod = v.get("/api/moderation").json()
        assert key in [p["key"] for p in mod["queue"]]
        posts_zone = v.get("/api/zones/posts/state").json()
    if posts_zone["widget"] == "holding":  # nothing approved yet: visitors see the holding card...
        assert posts_zone["view"]["line"] == "Posts appear here once approved"
        assert posts_zone["view"]["waiting"] > 0
        # ...and the console says how many wait (all of them, not the page of them it lists)
        expect(page.locator("#queue-count")).to_have_text(re.compile(r"^\(\d+ waiting\)$"))
        shown = int(re.sub(r"\D", "", page.locator("#queue-count").text_content() or ""))
        with api(wall) as v:
            after = v.get("/api/moderation").json()["state"]["queue_size"]
        assert mod["state"]["queue_size"] <= shown <= after  # the queue may grow meanwhile
        # and why the posts zone holds, which the wall itself never shows
        expect(page.locator('#holding li[data-zone="posts"]')).to_contain_text("waiting for approval")
    else:  # an earlier test approved posts
        assert key not in [c["key"] for c in posts_zone["view"]["posts"]]
    before = zone_box(wall, "launch", "posts", preview_pixels(page))

    item.get_by_role("button", name="Approve").click()

    expect(item).to_have_count(0)
    with api(wall) as v:
        mod = v.get("/api/moderation").json()
        assert key not in [p["key"] for p in mod["queue"]]
        assert mod["state"]["approved"] >= 1
        last = mod["audit"][0]
        assert last["action"] == "approve" and last["target"] == key
        assert last["who"].startswith("Ada Lovelace@")  # the name given at sign-in, as X-Wall-User
        deadline = time.monotonic() + SWITCH_S
        while True:  # the next frame's view-model carries the post
            cards = v.get("/api/zones/posts/state").json()["view"]["posts"]
            if any(c["key"] == key for c in cards):
                break
            assert time.monotonic() < deadline, f"the approved post never reached the posts zone: {cards}"
            time.sleep(0.1)
    assert next(c for c in cards if c["key"] == key)["text"] == text
    audit = page.locator("#audit li").first
    expect(audit).to_contain_text("Ada Lovelace@")
    expect(audit).to_contain_text("approve")

    # the posts zone of the preview shows it now
    wait_preview(
        page,
        lambda px: np.abs(zone_box(wall, "launch", "posts", px) - before).mean() > 2,
        "the approved post in the posts zone",
    )

    # Hide takes a post out of the queue for good
    other = page.locator("#queue li.post").first.get_attribute("data-key")
    page.locator(f"#queue li[data-key={json.dumps(other)}]").get_by_role("button", name="Hide").click()
    expect(page.locator(f"#queue li[data-key={json.dumps(other)}]")).to_have_count(0)
    with api(wall) as v:
        mod = v.get("/api/moderation").json()
    assert other not in [p["key"] for p in mod["queue"]]
    assert (mod["audit"][0]["action"], mod["audit"][0]["target"]) == ("hide", other)


def test_post_text_is_shown_as_text_and_never_run(wall, open_console):
    page = open_console(OPERATOR, "Grace")
    wait_console_ready(page, wall)
    page.click('#scenarios [data-scenario="lobby"]')
    expect(page.locator('#scenarios [data-scenario="lobby"]')).to_have_attribute("aria-current", "true")

    item = page.locator(f"#queue li[data-key={json.dumps(HOSTILE_KEY)}]")
    item.wait_for(state="visible")
    # the markup shows, character for character...
    assert item.locator(".text").text_content() == HOSTILE_TEXT
    assert item.locator(".author").text_content() == HOSTILE_AUTHOR
    expect(item.locator(".text")).to_contain_text('<img src=x onerror="window.__pwned=1">')
    # ...and nothing was made of it
    assert item.locator("img, script, b").count() == 0
    assert page.locator('img[src="x"], img[src="y"]').count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert page.evaluate("window.__pwned") is None

    # Block author: the post leaves the queue, and the name is shown as text in the blocked list
    item.get_by_role("button", name="Block author").click()
    expect(item).to_have_count(0)
    with api(wall) as v:
        mod = v.get("/api/moderation").json()
    assert "guests:mallory" in mod["state"]["authors"]
    assert HOSTILE_KEY not in [p["key"] for p in mod["queue"]]
    chip = page.locator('#blocked li[data-kind="author"]', has_text="guests:mallory")
    expect(chip).to_have_count(1)
    # and lifting it from the console brings the post back to the queue
    chip.get_by_role("button").click()
    expect(item).to_have_count(1)
    with api(wall) as v:
        assert "guests:mallory" not in v.get("/api/moderation").json()["state"]["authors"]

    # a term blocked from the form
    page.fill("#block-term", "<script>")
    page.click("#block-term-form button[type=submit]")
    expect(page.locator('#blocked li[data-kind="term"]')).to_contain_text("<script>")
    with api(wall) as v:
        assert "<script>" in v.get("/api/moderation").json()["state"]["terms"]
    assert page.evaluate("window.__pwned") is None
    with wall.client() as op:
        op.post("/api/moderation/unblock", json={"kind": "term", "value": "<script>"})


def test_a_viewer_may_watch_but_not_change_the_wall(wall, open_console):
    with api(wall) as v:
        before = v.get("/api/status").json()
    page = open_console(VIEWER)
    wait_console_ready(page, wall)
    test_button = page.locator('#scenarios [data-scenario="test"]')
    if test_button.is_enabled():  # the console learns the role from the wall's first 403
        test_button.click()
    expect(page.locator("#view-only")).to_contain_text("may only view")
    expect(test_button).to_be_disabled()
    page.wait_for_function("[...document.querySelectorAll('[data-write]')].every(b => b.disabled)")
    with api(wall) as v:
        s = v.get("/api/status").json()
    assert s["scenario"] == before["scenario"] and s["operator_choice"] == before["operator_choice"]
    # watching still works: status and preview
    wait_preview(page, lambda px: px.size > 0, "a picture for the viewer")
    expect(page.locator("#feeds li")).to_have_count(len(s["feeds"]))


def test_a_wrong_token_brings_back_the_prompt(wall, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(wall.url + "/")
        sign_in(page, "not-the-token")
        expect(page.locator("#signin-message")).to_contain_text("did not accept")
        expect(page.locator("#app")).to_be_hidden()
        assert page.evaluate("sessionStorage.length") == 0  # a refused token is not kept

        sign_in(page, OPERATOR)
        expect(page.locator("#app")).to_be_visible()
        page.reload()  # the token lasts as long as the tab
        expect(page.locator("#app")).to_be_visible()
        page.click("#sign-out")
        expect(page.locator("#signin")).to_be_visible()
        page.reload()
        expect(page.locator("#signin")).to_be_visible()
    finally:
        context.close()


def test_on_a_tablet_it_is_one_column_of_large_touch_targets(wall, open_console):
    page = open_console(
        OPERATOR, viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    wait_console_ready(page, wall)
    lefts = {round(b["x"]) for b in (s.bounding_box() for s in page.locator("main.grid > section").all())}
    assert len(lefts) == 1, f"the panels should stack in one column on a tablet, at x {sorted(lefts)}"
    small = page.evaluate("""() => [...document.querySelectorAll('button, input')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
        .filter(([, r]) => r.height < 44 || r.width < 44)
        .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert not small, f"touch targets under 44 px: {small}"

    page.tap("#freeze")
    expect(page.locator("#freeze")).to_have_attribute("aria-pressed", "true")
    with api(wall) as v:
        assert v.get("/api/status").json()["presentation"]["frozen"] is True
    page.tap("#freeze")
    expect(page.locator("#freeze")).to_have_attribute("aria-pressed", "false")
    with api(wall) as v:
        assert v.get("/api/status").json()["presentation"]["frozen"] is False


def test_a_wide_screen_has_two_columns(wall, open_console):
    page = open_console(OPERATOR, viewport={"width": 1280, "height": 900})
    wait_console_ready(page, wall)
    lefts = {round(b["x"]) for b in (s.bounding_box() for s in page.locator("main.grid > section").all())}
    assert len(lefts) == 2


def test_spotlight_lock_and_the_kill_switch_which_asks_first(wall, open_console):
    show_scenario(wall, "monitoring")
    page = open_console(OPERATOR, "Ada")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    wait_console_ready(page, wall)
    zone_button = page.locator('#zone-buttons [data-zone="tone"]')
    if zone_button.count():  # the wall lists its zones
        zone_button.click()
    else:  # typed in; a wrong id gets the wall's answer in the status line, not a dialog box
        page.fill("#zone-input", "nope")
        page.click("#zone-form button[type=submit]")
        expect(page.locator("#status-line")).to_have_attribute("data-kind", "error")
        expect(page.locator("#status-line")).to_contain_text("no zone 'nope'")
        page.fill("#zone-input", "tone")
        page.click("#zone-form button[type=submit]")
    expect(page.locator("#spotlight-state")).to_have_text("Spotlight on tone")
    wall.wait_status(lambda s: s["shown"] == "monitoring+spotlight:tone")
    expect(page.locator('#scenarios [data-scenario="monitoring"]')).to_have_attribute("aria-current", "true")
    page.click("#spotlight-off")
    expect(page.locator("#spotlight-state")).to_have_text("")
    wall.wait_status(lambda s: s["presentation"]["spotlight"] is None)

    page.fill("#lock-minutes", "15")
    page.click("#lock")
    expect(page.locator("#lock-state")).to_contain_text("Presentation lock until")
    with api(wall) as v:
        s = v.get("/api/status").json()
    until = datetime.fromisoformat(s["presentation"]["locked_until"])
    assert (until - datetime.fromisoformat(s["time"])).total_seconds() == pytest.approx(900, abs=30)
    page.click("#unlock")
    expect(page.locator("#lock")).to_be_visible()
    with api(wall) as v:
        assert v.get("/api/status").json()["presentation"]["locked_until"] is None

    # the kill switch asks first; cancelling changes nothing
    page.click("#kill")
    expect(page.locator("#kill-confirm")).to_be_visible()
    page.click("#kill-no")
    expect(page.locator("#kill-confirm")).to_be_hidden()
    with api(wall) as v:
        assert v.get("/api/moderation").json()["state"]["killed"] is False
    page.click("#kill")
    page.click("#kill-yes")
    expect(page.locator("#kill-state")).to_contain_text("Kill switch ON")
    with api(wall) as v:
        assert v.get("/api/moderation").json()["state"]["killed"] is True
    page.click("#unkill")
    expect(page.locator("#kill-state")).to_have_text("Kill switch off.")
    with api(wall) as v:
        mod = v.get("/api/moderation").json()
    assert mod["state"]["killed"] is False
    assert [e["action"] for e in mod["audit"][:2]] == ["unkill", "kill"]
    assert dialogs == []


def test_a_config_that_fails_to_reload_is_shown_with_its_file_line_and_column(wall, open_console):
    page = open_console(VIEWER)
    wait_console_ready(page, wall)
    expect(page.locator("#reload-error")).to_be_hidden()
    good = wall.config.read_text(encoding="utf-8")
    assert "fps: 30" in good
    try:
        wall.config.write_text(good.replace("fps: 30", "fps: 30\nfrobnicate: true", 1), encoding="utf-8")
        box = page.locator("#reload-error")
        expect(box).to_be_visible()  # the watcher notices the file, the console the error
        expect(box).to_contain_text("was not reloaded")
        lines = page.locator("#reload-error-text").text_content().splitlines()
        assert any(line.startswith(f"{wall.config}:") and "frobnicate" in line for line in lines), lines
    finally:
        wall.config.write_text(good, encoding="utf-8")
    expect(page.locator("#reload-error")).to_be_hidden()


def test_pictures_the_wall_could_not_fetch_are_listed_with_why(wall, open_console):
    show_scenario(wall, "guests")
    try:
        with api(wall) as v:
            deadline = time.monotonic() + SWITCH_S
            while True:  # the posts zone asked for the avatar; the fetch is refused at once
                pictures = v.get("/api/status").json()["pictures"]
                if any(f["url"] == DEAD_AVATAR for f in pictures["failures"]):
                    break
                assert time.monotonic() < deadline, f"the avatar was never tried: {pictures}"
                time.sleep(0.2)
            card = next(c for c in v.get("/api/zones/posts/state").json()["view"]["posts"] if c["key"] == PICTURED_KEY)
        assert card["initials"] == "GH"  # on the wall: the initials, never an error
        page = open_console(VIEWER)
        wait_console_ready(page, wall)
        expect(page.locator("#pictures-part")).to_be_visible()
        expect(page.locator("#pictures-summary")).to_contain_text(re.compile(r"\d+ cached \(.* MB of 256 MB\)"))
        expect(page.locator("#pictures-summary")).to_contain_text(re.compile(r"[1-9]\d* not shown"))
        failure = page.locator("#pictures li", has_text=DEAD_AVATAR)
        expect(failure).to_have_count(1)
        expect(failure).to_contain_text("initials or a placeholder shown instead")
        expect(failure.locator(".error")).not_to_be_empty()
    finally:
        show_scenario(wall, "monitoring")
