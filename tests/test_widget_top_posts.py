"""`top_posts`: ranked post cards in pages that turn with time; every script, pictures, bad data."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from datetime import timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, demo_snapshot, make_ctx, options, paint, render, snapshot_with

from feeds.crossposts import cross_posted as cross_posted_groups
from feeds.model import Author, Media, Post, PostMetrics
from wall.config.base import rgba
from wall.numbers import human_number
from wall.paint.people import age_text, avatar_color, initials
from wall.paint.text import record_text_sizes
from wall.scenes.views import to_json
from wall.widgets import top_posts
from wall.widgets.top_posts import TRANSITION_S, TRANSITION_STEPS, grid_for, rank_posts

# T0 is 2026-11-23 08:30:00 UTC, epoch 1795422600 = 149618550 * 12: page 0 of 3 starts at T0.
PAGE_S = 12.0


def at_page(page: int, into: float = 2.0, page_seconds: float = PAGE_S, pages: int = 3):
    """A time `into` seconds after page `page` came up (same demo minute as T0)."""
    start = math.floor(T0.timestamp() / page_seconds)
    slot = next(s for s in range(start, start + pages) if s % pages == page)
    return T0 + timedelta(seconds=slot * page_seconds - T0.timestamp() + into)


def post(
    key: str,
    text: str = "hello",
    *,
    minutes_ago: float = 5,
    likes: int = 10,
    reposts: int = 0,
    replies: int = 0,
    name: str = "Ana Lima",
    handle: str = "@ana",
    avatar_url: str | None = None,
    network: str = "mastodon",
    media=(),
    reach: int | None = None,
    kind: str = "post",
    title: str | None = None,
    followers: int | None = 100,
    author_id: str | None = None,
) -> Post:
    return Post(
        key=key,
        source="t",
        network=network,
        published_at=T0 - timedelta(minutes=minutes_ago),
        text=text,
        author=Author(
            id=author_id or f"t:{handle}", handle=handle, name=name, avatar_url=avatar_url, followers=followers
        ),
        metrics=PostMetrics(likes=likes, reposts=reposts, replies=replies),
        media=tuple(media),
        reach=reach,
        kind=kind,
        title=title,
    )


def near(pixels: np.ndarray, hex_color: str, tol: int = 30) -> int:
    r, g, b, _ = rgba(hex_color)
    d = np.abs(pixels[:, :, :3].astype(int) - np.array([r, g, b])).max(axis=2)
    return int((d <= tol).sum())


# ------------------------------------------------------------------------------- goldens


def test_golden_arabic_emoji_latin_in_one_card():
    view, px = render("top_posts", 960, 540, data=demo_snapshot(), t=at_page(0, 1.0), rank_by="recency", count=2)
    first = view.posts[0]
    assert first.author == "Fatou Diop"
    assert "شكراً" in first.text and "❤️" in first.text and "Merci" in first.text
    assert first.network_label == "Bluesky" and first.age == "1 min" and first.verified
    assert view.posts[1].author == "Lena Becker" and view.posts[1].age == "4 min"
    assert_golden("top_posts_mixed_script", px)


def test_golden_hebrew_cjk_and_a_picture():
    view, px = render("top_posts", 1280, 720, data=demo_snapshot(), t=at_page(2), rank_by="recency", count=3)
    assert view.page == 2 and (view.columns, view.rows) == (3, 1)
    assert [c.author for c in view.posts] == ["王芳", "佐藤 陽翔", "יוסי לוי"]
    hebrew = view.posts[2]
    assert hebrew.rtl and hebrew.text.startswith("השירות") and not view.posts[0].rtl
    photo = view.posts[1]
    assert photo.image == "asset:demo/photo2.png" and photo.image_local
    assert_golden("top_posts_rtl_picture", px)


def test_golden_reach_wide_cards_with_pictures_beside_the_text():
    view, px = render("top_posts", 1280, 720, data=demo_snapshot(), t=at_page(0), count=4, rank_by="reach")
    assert view.subtitle == "widest reach · last 4 h" and (view.columns, view.rows) == (2, 2)
    # the widest reach is Tech Review Daily's, whose two posts the demo repeats: each shows once
    assert [c.author for c in view.posts] == ["Tech Review Daily"] * 2 + ["Camille Martin"] * 2
    assert len({c.text for c in view.posts}) == 4
    assert [c.image for c in view.posts] == ["asset:demo/photo2.png", "", "", "asset:demo/photo1.png"]
    assert_golden("top_posts_reach_pictures", px)


def test_golden_page_turn_mid_slide():
    view, px = render("top_posts", 960, 540, data=demo_snapshot(), t=at_page(1, 0.3), count=2)
    assert 0 < view.progress < 1 and view.outgoing and view.page == 1
    assert_golden("top_posts_page_turn", px)


def test_golden_post_with_a_remote_picture_and_a_long_text():
    long = "Une panne réseau touche plusieurs quartiers ce matin, les équipes sont sur place. " * 150
    assert len(long) > 10_000
    media = (Media(url="https://cdn.example.invalid/p.jpg", alt="technicians at work on a mast"),)
    data = snapshot_with(
        posts=[
            post(
                "a",
                long,
                media=media,
                name="Équipe Réseau",
                handle="@reseau",
                likes=12_400,
                reposts=3_100,
                replies=870,
                minutes_ago=125,
            )
        ]
    )
    view, px = render("top_posts", 960, 540, data=data, count=1)
    card = view.posts[0]
    assert len(card.text) <= top_posts.MAX_TEXT_CHARS + 1 and card.text.endswith("…")
    assert card.image == "https://cdn.example.invalid/p.jpg" and not card.image_local
    assert card.age == "2 h"
    assert_golden("top_posts_remote_picture_long_text", px)


# ------------------------------------------------------------------------------- the view from demo data


def test_demo_ranking_by_engagement_fills_pages_in_order():
    data = demo_snapshot()
    ranked = rank_posts(data.posts, T0, "engagement", 240)
    assert all(p.kind != "article" for p in ranked)
    totals = [p.total_engagement for p in ranked]
    assert totals == sorted(totals, reverse=True)
    seen = []
    for page in range(3):
        view = build("top_posts", make_ctx(960, 540, t=at_page(page), data=data), count=2)
        assert view.page == page and view.pages == 3 and len(view.posts) == 2
        seen += [c.key for c in view.posts]
    assert seen == [p.key for p in ranked[:6]]
    top = build("top_posts", make_ctx(960, 540, t=at_page(0), data=data), count=2).posts[0]
    assert (top.author, top.handle, top.likes, top.reposts, top.replies, top.age, top.network) == (
        "Samuel Okafor",
        "@sam_o",
        318,
        106,
        63,
        "8 min",
        "x",
    )


def test_recency_and_reach_rankings():
    data = demo_snapshot()
    recent = rank_posts(data.posts, T0, "recency", 240)
    assert [p.published_at for p in recent] == sorted((p.published_at for p in recent), reverse=True)
    reach = rank_posts(data.posts, T0, "reach", 240)
    assert reach[0].author.name == "Tech Review Daily" and reach[0].reach == 7_500_000
    assert [p.reach for p in reach] == sorted((p.reach for p in reach), reverse=True)


def test_window_keeps_only_recent_posts():
    view = build(
        "top_posts", make_ctx(1920, 1080, t=at_page(0), data=demo_snapshot()), window_minutes=10, rank_by="recency"
    )
    assert [c.age for c in view.posts] == ["1 min", "4 min", "8 min", "9 min"]
    assert view.pages == 1 and view.subtitle == "latest · last 10 min"


def test_articles_only_when_asked():
    data = demo_snapshot()
    assert not any(
        c.network == "rss"
        for c in build("top_posts", make_ctx(1920, 1080, data=data), pages=20, window_minutes=600).posts
    )
    with_press = rank_posts(data.posts, T0, "recency", 600, include_articles=True)
    press = [p for p in with_press if p.kind == "article"]
    assert len(press) == 7
    card = top_posts.card_for(press[0], T0, True)
    assert card.network_label == "RSS" and card.title and card.text == ""  # the headline once, not twice


def test_cards_per_page_follow_the_zone_and_the_room():
    # no viewing distance stated: the layout plans for 4 m (41 px text on 0.63 mm panels)
    sizes = {(960, 540): 1, (1920, 1080): 4, (480, 270): 1, (540, 960): 2, (1280, 720): 1, (3840, 2160): 6}
    for (w, h), n in sizes.items():
        view = build("top_posts", make_ctx(w, h, data=demo_snapshot()))
        assert view.columns * view.rows == n and len(view.posts) == n, (w, h)
    assert grid_for(3, 1280, 720) == (3, 1)
    assert grid_for(4, 1280, 720) == (2, 2)
    assert grid_for(6, 1920, 1080) == (3, 2)
    assert grid_for(2, 540, 960) == (1, 2)
    # a count is honoured, except where the room's floor says the cards would be unreadable
    assert len(build("top_posts", make_ctx(1920, 1080, data=demo_snapshot()), count=6).posts) == 6
    far = dataclasses.replace(make_ctx(1920, 1080, data=demo_snapshot()), min_text_px=41.3)
    view = build("top_posts", far, count=6)
    assert (view.columns, view.rows, len(view.posts)) == (2, 2, 4) and view.text_floor == 42


def test_no_text_below_the_rooms_floor():
    for (w, h), kw in {
        (1920, 1080): {},
        (1920, 674): {"count": 3, "rank_by": "recency"},
        (960, 540): {"count": 1},
    }.items():
        ctx = dataclasses.replace(make_ctx(w, h, t=at_page(0), data=demo_snapshot()), min_text_px=41.3)
        view = build("top_posts", ctx, **kw)
        with record_text_sizes() as sizes:
            paint("top_posts", view, w, h)
        assert min(size for size, _ in sizes) >= 41.3, ((w, h), min(sizes))


def test_pages_turn_as_a_pure_function_of_time():
    data = demo_snapshot()
    for k in range(7):
        t = at_page(0, 5.0) + timedelta(seconds=PAGE_S * k)
        view = build("top_posts", make_ctx(960, 540, t=t, data=data), count=2)
        assert view.page == math.floor(t.timestamp() / PAGE_S) % 3


def test_view_is_constant_between_page_turns():
    data = demo_snapshot()
    views = {
        build("top_posts", make_ctx(960, 540, t=at_page(1, s), data=data), count=2)
        for s in np.arange(TRANSITION_S + 0.001, PAGE_S, 0.25)
    }
    assert len(views) == 1
    (settled,) = views
    assert settled.progress == 1.0 and settled.outgoing == ()


def test_page_turn_is_quantised_and_slides_the_previous_page_out():
    data = demo_snapshot()
    frames = [
        build("top_posts", make_ctx(960, 540, t=at_page(1, s), data=data), count=2)
        for s in np.arange(0, TRANSITION_S, 1 / 120)
    ]
    progresses = sorted({v.progress for v in frames})
    assert len(progresses) == TRANSITION_STEPS and all(0 < p < 1 for p in progresses)
    assert len(set(frames)) == TRANSITION_STEPS  # 72 frames at 120 Hz, 8 paints
    page0 = build("top_posts", make_ctx(960, 540, t=at_page(0), data=data), count=2)
    assert frames[0].outgoing == page0.posts


def test_no_transition_when_asked_or_single_page():
    data = demo_snapshot()
    assert (
        build("top_posts", make_ctx(960, 540, t=at_page(1, 0.1), data=data), count=2, transition="none").progress == 1.0
    )
    single = build("top_posts", make_ctx(960, 540, t=at_page(1, 0.1), data=data), count=2, pages=1)
    assert single.pages == 1 and single.progress == 1.0 and single.outgoing == ()


def test_fade_transition_paints():
    view, px = render("top_posts", 960, 540, data=demo_snapshot(), t=at_page(2, 0.2), count=2, transition="fade")
    assert view.transition == "fade" and view.outgoing
    assert px.shape == (540, 960, 4)


def test_view_is_hashable_picklable_and_json_for_state():
    view = build("top_posts", make_ctx(1920, 1080, t=at_page(1, 0.1), data=demo_snapshot()))
    hash(view)
    assert pickle.loads(pickle.dumps(view)) == view
    state = json.loads(json.dumps(to_json(view), allow_nan=False))
    card = state["posts"][0]
    assert {"key", "author", "handle", "text", "likes", "reposts", "replies", "age", "network", "image"} <= set(card)
    assert state["status"]["state"] == "ok"


def test_options_are_validated():
    for bad in (
        {"count": 0},
        {"count": 13},
        {"pages": 0},
        {"page_seconds": 1},
        {"window_minutes": 0},
        {"rank_by": "likes"},
        {"transition": "spin"},
        {"colour": "#fff"},
    ):
        with pytest.raises(ValidationError):
            options("top_posts", **bad)


# ------------------------------------------------------------------------------- people and numbers


@pytest.mark.parametrize(
    "value, text",
    [
        (0, "0"),
        (940, "940"),
        (999, "999"),
        (1_000, "1,000"),
        (1_250, "1,250"),
        (48_200, "48.2 k"),
        (999_600, "1 M"),
        (1_284_500, "1.28 M"),
        (2.5e9, "2.5 B"),
        (6.4, "6.4"),
        (None, "–"),
        (float("nan"), "–"),
        (float("inf"), "–"),
    ],
)
def test_card_counts(value, text):
    assert human_number(value) == text


@pytest.mark.parametrize(
    "seconds, text",
    [
        (-30, "now"),
        (59, "now"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (47 * 3600, "47 h"),
        (49 * 3600, "2 d"),
    ],
)
def test_age_text(seconds, text):
    assert age_text(seconds) == text


def test_initials_in_every_script():
    assert initials("Camille Martin") == "CM"
    assert initials("María García") == "MG"
    assert initials("佐藤 陽翔") == "佐"
    assert initials("ليلى خالد") == "ل"
    assert initials("", "@j_dupont") == "J"
    assert initials("🔥🔥", "") == "?"
    assert avatar_color("demo:camille_tech") == avatar_color("demo:camille_tech")


# ------------------------------------------------------------------------------- bad data


def test_missing_avatar_draws_initials_in_a_coloured_circle():
    data = snapshot_with(posts=[post("a", avatar_url=None, name="Zoé Durand", handle="@zoe")])
    view, px = render("top_posts", 960, 540, data=data, count=1)
    card = view.posts[0]
    assert card.avatar == "" and card.initials == "ZD"
    assert near(px, card.avatar_color, 6) > 1000  # the circle is there, in the author's colour


def test_avatar_from_a_local_file_and_a_broken_one():
    good = post("a", avatar_url="asset:demo/photo1.png", handle="@a")
    broken = post("b", avatar_url="asset:demo/no-such-file.png", handle="@b", name="Bo Berg", minutes_ago=6)
    remote = post("c", avatar_url="https://example.invalid/me.png", handle="@c", name="Cy Cole", minutes_ago=7)
    view, px = render(
        "top_posts", 1920, 1080, data=snapshot_with(posts=[good, broken, remote]), count=3, rank_by="recency"
    )
    assert [c.avatar for c in view.posts] == ["asset:demo/photo1.png", "asset:demo/no-such-file.png", ""]
    # the broken file falls back to initials: its colour circle is painted, the picture's is not
    assert near(px, view.posts[1].avatar_color, 6) > 1000
    assert near(px, view.posts[2].avatar_color, 6) > 1000


def test_ten_thousand_characters_stay_inside_the_card():
    data = snapshot_with(posts=[post("a", "x" * 10_000), post("b", "word " * 2_000, minutes_ago=6)])
    view, px = render("top_posts", 960, 540, data=data, count=2)
    assert all(len(c.text) <= top_posts.MAX_TEXT_CHARS + 1 for c in view.posts)
    frame = np.array(rgba(THEME.background)[:3])
    gutter = max(3, round(540 * 0.022))
    # nothing spills into the gutters: the zone's outer frame and the gap between cards stay background
    for strip in (px[:gutter], px[-gutter:], px[:, :gutter], px[:, -gutter:], px[60:, 479:482]):
        assert (np.abs(strip[:, :, :3].astype(int) - frame).max(axis=2) <= 2).all()


def test_negative_counts_show_zero():
    bad = Post.model_construct(
        **{
            **post("a").__dict__,
            "metrics": PostMetrics.model_construct(likes=-5, reposts=-1, replies=-20, quotes=0, views=None),
        }
    )
    view, _ = render("top_posts", 960, 540, data=snapshot_with(posts=[bad]), count=1)
    card = view.posts[0]
    assert (card.likes, card.reposts, card.replies) == (0, 0, 0)
    assert PostMetrics(likes=-1).likes == 0  # the model clamps what adapters hand it


def test_nan_engagement_score_ranks_by_counts():
    # two different texts: the same text by the same person minutes apart would be one card
    nan = Post.model_construct(**{**post("a", "first", likes=50).__dict__, "engagement": float("nan")})
    ranked = rank_posts([nan, post("b", "second", likes=80)], T0, "engagement", 240)
    assert [p.key for p in ranked] == ["b", "a"]


def test_duplicates_future_and_empty_posts_are_dropped():
    posts = [
        post("a"),
        post("a", minutes_ago=4),
        post("future", minutes_ago=-30),
        post("empty", ""),
        post("old", minutes_ago=500),
    ]
    assert [p.key for p in rank_posts(posts, T0, "recency", 240)] == ["a"]


def test_sensitive_picture_is_hidden():
    media = (Media(url="asset:demo/photo1.png", alt="x", sensitive=True),)
    card = build("top_posts", make_ctx(960, 540, data=snapshot_with(posts=[post("a", media=media)])), count=1).posts[0]
    assert not card.image_local and card.image_alt == "sensitive picture hidden"


def test_unreadable_local_picture_gets_the_placeholder(tmp_path):
    # a feed's picture never names a file of this machine: the models refuse one (feeds/model.py), and
    # one built past that check is still never opened (wall/paint/images.py): the placeholder instead
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png at all")
    media = (Media.trusted(url=str(junk), alt="a photo"),)
    view, px = render("top_posts", 960, 540, data=snapshot_with(posts=[post("a", media=media)]), count=1)
    assert not view.posts[0].image_local
    assert near(px, THEME.muted, 10) > 200  # the picture pictogram and caption


def test_text_is_sanitised_before_the_view():
    card = build(
        "top_posts", make_ctx(960, 540, data=snapshot_with(posts=[post("a", "abc\u202edef\u200b <b>x</b>")])), count=1
    ).posts[0]
    assert card.text == "abcdef <b>x</b>"


def test_unknown_network_gets_a_neutral_badge():
    card = build(
        "top_posts", make_ctx(960, 540, data=snapshot_with(posts=[post("a", network="brandwatch")])), count=1
    ).posts[0]
    assert (card.network_label, card.network_color) == top_posts.OTHER_NETWORK


# ------------------------------------------------------------------------------- empty, stale, failing


def test_no_recent_posts_says_so():
    view, px = render("top_posts", 960, 540, data=snapshot_with(posts=[post("old", minutes_ago=500)]))
    assert view.posts == () and view.status.ok and view.empty_note == "No posts in the last 4 h"
    assert near(px, THEME.text, 10) > 500


def test_stale_data_keeps_the_cards_and_adds_a_badge():
    data = snapshot_with(posts=[post("a")], state="stale", as_of=T0 - timedelta(minutes=12))
    view, px = render("top_posts", 960, 540, data=data, count=1)
    assert view.posts and view.status.state == "stale" and "12 min ago" in view.status.note
    assert near(px[:80, 480:], "#f2a900", 20) > 300  # the amber badge, top right


@pytest.mark.parametrize("state, headline_color", [("failing", "#e5484d"), ("loading", "#9aa3b8")])
def test_no_data_shows_the_designed_placeholder(state, headline_color):
    data = snapshot_with(posts=[], state=state, as_of=None, error="HTTP 503")
    view, px = render("top_posts", 960, 540, data=data)
    assert view.posts == () and view.status.state == state
    assert near(px, headline_color, 20) > 500


def test_zone_without_feed():
    view, px = render("top_posts", 640, 360, data=None)
    assert view.status.state == "unbound" and view.posts == ()
    assert len(np.unique(px[:, :, :3].reshape(-1, 3), axis=0)) > 10  # a designed message, not a blank zone


def test_tiny_zone_does_not_crash():
    for w, h in ((1, 1), (20, 12), (120, 60)):
        view, px = render("top_posts", w, h, data=demo_snapshot())
        assert px.shape == (h, w, 4)


# ------------------------------------------------------------------------------- one post, one card

MASTODON_INK, BLUESKY_INK = top_posts.NETWORKS["mastodon"][1], top_posts.NETWORKS["bluesky"][1]


def cross_posted(likes=(6, 5, 4), minutes_ago=(6, 5, 3)) -> list[Post]:
    """One text posted by one person on X, Mastodon and Bluesky, each network shortening the link its
    own way and the person adding each network's hashtags at the end."""
    text = "Fibre is live in our village! Details: {url} #fibre"
    return [
        post(
            "x:1",
            text.format(url="https://t.co/Zx81"),
            network="x",
            handle="@ana",
            likes=likes[0],
            reposts=2,
            replies=1,
            minutes_ago=minutes_ago[0],
        ),  # fmt: skip
        post(
            "m:1",
            text.format(url="https://example.com/fibre") + " #mastodon",
            network="mastodon",
            handle="@ana@mastodon.social",
            likes=likes[1],
            minutes_ago=minutes_ago[1],
        ),  # fmt: skip
        post(
            "b:1",
            "fibre is live in our  village!  Details: example.com/fibre…".replace(
                "example.com/fibre…", "https://bit.ly/3f"
            ),
            network="bluesky",
            handle="ana.bsky.social",
            name="ANA LIMA",
            likes=likes[2],
            minutes_ago=minutes_ago[2],
        ),  # fmt: skip
    ]


def test_a_post_cross_posted_on_three_networks_is_one_card_with_every_badge():
    other = post("o:1", "Another post entirely", handle="@bo", name="Bo Berg", likes=12, minutes_ago=4, network="x")
    data = snapshot_with(posts=[*cross_posted(), other])
    view = build("top_posts", make_ctx(1920, 1080, data=data), count=2, rank_by="engagement")
    assert [c.key for c in view.posts] == ["x:1", "o:1"]  # two cards, not four
    card = view.posts[0]
    assert [(b.network, b.label) for b in card.badges] == [("x", "X"), ("mastodon", "Mastodon"), ("bluesky", "Bluesky")]
    assert card.copies == ("m:1", "b:1")
    # the first copy's words and age; counts (and the ranking) add up every copy: 6 + 5 + 4 likes
    # beat the other post's 12, though no single copy does
    assert card.text.startswith("Fibre is live") and card.age == "6 min" and card.network == "x"
    assert (card.likes, card.reposts, card.replies) == (15, 2, 1)
    assert [p.key for p in rank_posts(data.posts, T0, "engagement", 240)] == ["x:1", "o:1"]
    assert [b.network for b in view.posts[1].badges] == ["x"]
    state = json.loads(json.dumps(to_json(view)))
    assert [b["network"] for b in state["posts"][0]["badges"]] == ["x", "mastodon", "bluesky"]
    # every badge is painted on the card; a post seen on one network shows its one badge
    _, px = render("top_posts", 960, 540, data=data, count=1, t=at_page(0))
    assert near(px, MASTODON_INK, 12) > 300 and near(px, BLUESKY_INK, 12) > 300
    _, alone = render("top_posts", 960, 540, data=snapshot_with(posts=[other]), count=1)
    assert near(alone, MASTODON_INK, 12) == 0 and near(alone, BLUESKY_INK, 12) == 0


def test_badges_that_do_not_fit_at_the_rooms_floor_give_way_to_a_count():
    # two cards side by side (one alone would grow to the zone's width, where every badge fits)
    other = post("o:1", "Another post entirely", handle="@bo", name="Bo Berg", likes=2, minutes_ago=4, network="x")
    data = snapshot_with(posts=[*cross_posted(), other])
    ctx = dataclasses.replace(make_ctx(1920, 1080, data=data), min_text_px=41.3)
    view = build("top_posts", ctx, count=2)
    with record_text_sizes() as painted:
        px = paint("top_posts", view, 1920, 1080)
    assert {"X", "Mastodon", "+1"} <= {text for _, text in painted}
    assert min(size for size, _ in painted) >= 41.3
    assert near(px, MASTODON_INK, 12) > 300 and near(px, top_posts.OTHER_NETWORK[1], 6) > 300  # the '+1' pill
    assert near(px, BLUESKY_INK, 12) == 0  # the badge it stands for


def test_golden_cross_posted_card():
    view, px = render("top_posts", 960, 540, data=snapshot_with(posts=cross_posted()), count=1, t=at_page(0))
    assert len(view.posts) == 1 and len(view.posts[0].badges) == 3
    assert_golden("top_posts_cross_posted", px)


def test_copies_by_name_or_by_handle_are_one_person():
    by_name = [
        post("a", "Coupure fibre depuis ce matin", handle="@ana_l", name="Ána  Lima", network="x"),
        post("b", "coupure fibre depuis ce matin #panne", handle="@analima", name="ana lima", network="bluesky"),
    ]
    by_handle = [
        post("c", "Coupure fibre depuis ce matin", handle="@ana", name="Ana", network="x"),
        post("d", "Coupure fibre depuis ce matin", handle="@ana@piaille.fr", name="Ana 🌻", network="mastodon"),
    ]
    for pair in (by_name, by_handle):
        cards = top_posts.rank_cards(pair, T0, "recency", 240)
        assert [[p.key for p in g] for g in cards] == [[pair[0].key, pair[1].key]]


def test_other_people_other_texts_and_later_repeats_stay_apart():
    text = "Coupure fibre depuis ce matin"
    posts = [
        post("a", text, handle="@ana", name="Ana Lima", network="x", minutes_ago=30),
        post("someone", text, handle="@bo", name="Bo Berg", network="mastodon", minutes_ago=29),
        post("other-text", "Coupure fibre depuis hier", handle="@ana", network="bluesky", minutes_ago=29),
        # within the window of the first copy joins it; past it, a repeat is a post of its own
        post("copy", text, handle="@ana", network="bluesky", minutes_ago=30 - 9.5),
        post("repeat", text, handle="@ana", network="mastodon", minutes_ago=30 - 11),
        post("media-only", "", handle="@ana", media=(Media(url="asset:demo/photo1.png"),), minutes_ago=29),
        post("media-too", "", handle="@ana", media=(Media(url="asset:demo/photo1.png"),), minutes_ago=28),
    ]
    groups = sorted(tuple(p.key for p in g) for g in cross_posted_groups(posts))
    assert groups == sorted(
        [("a", "copy"), ("someone",), ("other-text",), ("repeat",), ("media-only",), ("media-too",)]
    )
    # ...but the wall shows the same person's same words once, as the best-ranked card (by recency:
    # the repeat, the newest); two equal cards on one page would look like a broken wall
    cards = top_posts.rank_cards(posts, T0, "recency", 240)
    assert sorted(tuple(p.key for p in g) for g in cards) == [g for g in groups if g != ("a", "copy")]


def test_a_cross_posted_card_ranks_by_its_copies_reach_and_its_first_time():
    posts = [
        post("x:1", "Big news today", network="x", reach=300, minutes_ago=9),
        post("m:1", "Big news today", network="mastodon", reach=300, minutes_ago=2),
        post("o:1", "Other news", handle="@bo", name="Bo", reach=500, minutes_ago=5),
    ]
    assert [p.key for p in rank_posts(posts, T0, "reach", 240)] == ["x:1", "o:1"]  # 600 > 500
    assert [p.key for p in rank_posts(posts, T0, "recency", 240)] == ["o:1", "x:1"]  # its first copy: 9 min


# ------------------------------------------------------------------------------- press articles


def test_press_articles_are_cards_without_counters():
    article = post(
        "press:1",
        "Les opérateurs promettent une couverture de 90 % d'ici 2027.",
        kind="article",
        title="5G : le calendrier des opérateurs",
        network="rss",
        name="Le Monde",
        handle="",
        likes=0,
        minutes_ago=12,
    )
    view = build("top_posts", make_ctx(960, 540, data=snapshot_with(posts=[article])), count=1, include_articles=True)
    card = view.posts[0]
    assert (card.author, card.title, card.network_label, card.age) == (
        "Le Monde",
        "5G : le calendrier des opérateurs",
        "RSS",
        "12 min",
    )
    assert (card.likes, card.reposts, card.replies) == (None, None, None)
    state = json.loads(json.dumps(to_json(view)))
    assert state["posts"][0]["likes"] is None  # "no counters", not "nobody liked it"
    with record_text_sizes() as painted:
        px = paint("top_posts", view, 960, 540)
    texts = {text for _, text in painted}
    assert {"Le Monde", "RSS", "12 min"} <= texts and "0" not in texts
    assert near(px, "#ff5c8a", 40) == 0  # no heart
    # the same card as a post has its counters row
    as_post = dataclasses.replace(card, likes=0, reposts=0, replies=0)
    with record_text_sizes() as painted:
        px = paint("top_posts", dataclasses.replace(view, posts=(as_post,)), 960, 540)
    assert "0" in {text for _, text in painted} and near(px, "#ff5c8a", 40) > 50


def test_a_tone_filter_shows_only_the_posts_a_crisis_wall_must_answer():
    from feeds.model import Sentiment

    def toned(key: str, label: str | None, minutes_ago: float) -> Post:
        p = post(key, f"post {key}", minutes_ago=minutes_ago, handle=f"@{key}", name=key.upper())
        sentiment = (
            Sentiment(score={"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label], label=label) if label else None
        )
        return p.model_copy(update={"sentiment": sentiment})

    posts = [toned("a", "positive", 1), toned("b", "negative", 2), toned("c", "neutral", 3), toned("d", None, 4)]
    data = snapshot_with(posts=posts)
    every = build("top_posts", make_ctx(1920, 1080, data=data), rank_by="recency", count=4)
    assert [c.key for c in every.posts] == ["a", "b", "c", "d"]
    complaints = build(
        "top_posts", make_ctx(1920, 1080, data=data), rank_by="recency", count=4, tone=["negative", "neutral"]
    )
    assert [c.key for c in complaints.posts] == ["b", "c"]  # no cheerful post beside an outage banner
    with pytest.raises(ValidationError):
        options("top_posts", tone=["angry"])
