"""Adapters build their models without re-validation (`trusted`): what they build must be exactly what
validation would build from the same values, and the text a painter receives is still clean.

Validation is idempotent, so a post that validation would change (text with a bidi override left in,
a time not in UTC, a default shared wrongly) reads back different: every parsed post is put through
`model_validate` and compared whole, field set and field order included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feed_kit
import pytest

from feeds import mastodon, replay
from feeds.model import Author, Media, Post, PostMetrics
from feeds.sanitize import plain_text

statuses, _ = feed_kit.recorded("mastodon")
REPLAY = Path(__file__).parent / "fixtures" / "replay"


def revalidated(post: Post) -> Post:
    return Post.model_validate({name: getattr(post, name) for name in post.model_fields_set})


def assert_as_validated(posts: list[Post]) -> None:
    assert posts
    for post in posts:
        again = revalidated(post)
        assert again == post
        assert list(again.__dict__) == list(post.__dict__)  # the same field order: the same JSON
        assert again.model_dump_json() == post.model_dump_json()
        assert again.model_fields_set == post.model_fields_set
        assert again.author.model_fields_set == post.author.model_fields_set


@pytest.mark.parametrize("page", ["tag_page1.json", "tag_page2.json", "account_statuses.json"])
def test_mastodon_posts_are_what_validation_would_build(page):
    for cw in (False, True):
        assert_as_validated(mastodon.parse_statuses(statuses(page), "mastodon.example", show_cw_content=cw))


@pytest.mark.parametrize(
    "name, mapping",
    [
        ("day.csv", {"id": "id", "published_at": "created_at", "text": "text", "author_name": "author_name",
                     "author_handle": "author_handle", "likes": "likes", "sentiment": "sentiment",
                     "media_url": "media_url", "network": "network", "author_followers": "author_followers"}),
        ("day.jsonl", {"id": "id", "published_at": "created", "text": "content.text", "author_name": "user.name",
                       "media": "media", "media_url": "url", "media_kind": "type", "likes": "stats.likes"}),
    ],
)  # fmt: skip
def test_replay_rows_are_what_validation_would_build(name, mapping):
    opts = replay.Options.model_validate({"path": str(REPLAY / name), "mapping": mapping})
    assert_as_validated(replay.parse_replay((REPLAY / name).read_bytes(), opts).posts)


def test_trusted_still_cleans_text_names_and_times():
    paris = timezone(timedelta(hours=2))
    dirty = "Bonjour\u202e  le\u200b monde\x00\r\n\n\n\nfin "
    author = Author.trusted(id="x:1", handle="@mar\u200bie", name="  Marie\u202e Curie\t")
    post = Post.trusted(
        key="x:1", source="x", published_at=datetime(2024, 5, 2, 12, 0, tzinfo=paris), text=dirty, author=author
    )
    assert post.text == plain_text(dirty) == "Bonjour le monde\n\nfin"
    assert (author.handle, author.name) == ("@marie", "Marie Curie")
    assert post.published_at == datetime(2024, 5, 2, 10, 0, tzinfo=UTC) and post.published_at.tzinfo is UTC
    assert post == Post(key="x:1", source="x", published_at=post.published_at, text=dirty, author=author)
    assert post.metrics == PostMetrics() and post.media == ()


def test_trusted_refuses_unknown_and_missing_fields():
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        Media.trusted(url="https://img.example/a.jpg", colour="red")
    with pytest.raises(TypeError, match="missing fields \\['author', 'published_at'\\]"):
        Post.trusted(key="x:1", source="x")


def test_replaced_is_model_copy_without_validation():
    author = Author.trusted(id="x:1", name="A")
    post = Post.trusted(key="x:1", source="x", published_at=datetime(2024, 5, 2, tzinfo=UTC), author=author)
    later = datetime(2025, 1, 1, tzinfo=UTC)
    moved = post.replaced(key="x:1@1", published_at=later)
    assert moved == post.model_copy(update={"key": "x:1@1", "published_at": later})
    assert moved.model_fields_set == post.model_fields_set and post.key == "x:1"
