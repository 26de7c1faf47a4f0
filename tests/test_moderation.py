"""Moderation (wall/moderation/): what an operator blocks, hides or has not approved never reaches
a painter, on any screen, from the next frame on; who decided what is in the audit log; decisions
survive a restart.

Matching and actions are checked through `Moderator.filter` on real snapshots (the demo feed's and
small hand-made ones); the end-to-end tests render the demo wall in-process and read state.json and
the pixels of the posts zone before and after a decision.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import DEMO, load_png

from feeds.model import Author, Media, Metric, Post
from wall.config.errors import ConfigError
from wall.config.loader import load_config
from wall.moderation import Moderator, audit_path_for, normalize, state_path_for
from wall.moderation.moderator import SEEN_SPARE
from wall.store import FeedHealth, FeedSnapshot, Store

T = datetime.fromisoformat("2026-11-23T09:30:05+01:00")  # mid-page: no top-posts page turn in progress
NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded():
    return load_config(DEMO)


@pytest.fixture(scope="module")
def plans(loaded):
    """The demo's monitoring plan in each moderation mode."""
    base = loaded.scenarios["monitoring"]
    return {mode: dataclasses.replace(base, moderation=mode) for mode in ("open", "blocklist", "approve-first")}


def post(
    key: str, text: str = "", *, author: Author | None = None, hashtags=(), title=None, media=(), minutes_ago: int = 1
) -> Post:
    return Post(
        key=key,
        source="test",
        network="mastodon",
        published_at=NOW - timedelta(minutes=minutes_ago),
        text=text,
        title=title,
        author=author or Author(id="test:1", handle="@someone", name="Some One"),
        hashtags=tuple(hashtags),
        media=tuple(media),
    )


def snap(*posts: Post, metrics=None, feed: str = "f") -> FeedSnapshot:
    return FeedSnapshot(feed, tuple(posts), metrics or {}, NOW, FeedHealth("ok", last_success=NOW))


def keys(s: FeedSnapshot) -> list[str]:
    return [p.key for p in s.posts]


def shows(term: str, text: str, plans, **post_kw) -> bool:
    m = Moderator(terms=[term])
    return keys(m.filter(snap(post("k", text, **post_kw)), plans["blocklist"])) == ["k"]


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(
    "term, text",
    [
        ("idiot", "What an IDIÖT"),
        ("idiot", "ídiot!"),
        ("IDIÖT", "you idiot"),
        ("ass", "what an ass!"),
        ("ass", "ASS"),
        ("shut up", "Just SHUT   up already"),
        ("shut up", "shut-up!"),
        ("غبي", "أنت غبي جدا"),  # an Arabic word inside an Arabic sentence
        ("غبي", "هذا الغبي مرة أخرى"),  # with the article
        ("غبي", "يا غبية"),  # feminine ending
        ("أنت غبي", "وانت غبيه!"),  # a phrase, with a conjunction before it and a suffix after
        ("笨蛋", "你这个笨蛋！"),  # Chinese: no spaces, a substring
        ("バカ", "お前はバカだ"),
        ("바보", "너 바보야"),
        ("scam", "this is a #scam"),
        ("#scam", "total #SCAM here"),
        ("🖕", "you🖕"),
        ("idiot", "id\u200biot"),  # a zero-width space does not hide a word
        ("straße", "STRASSE"),
    ],
)
def test_a_blocked_term_leaves_out_the_post(plans, term, text):
    assert not shows(term, text, plans)


@pytest.mark.parametrize(
    "term, text",
    [
        ("ass", "a first-class passage"),  # inside other words
        ("ass", "assets and bass"),
        ("idiot", "idiotic"),
        ("#scam", "is this a scam?"),  # a hashtag term blocks the hashtag only
        ("scam", "#scamalert"),
        ("shut up", "shut the door, up we go"),
        ("غبي", "تغبية"),  # not a clitic before the word
        ("バカ", "ハカ"),  # kana voicing marks are letters, not accents
    ],
)
def test_a_term_spares_other_words(plans, term, text):
    assert shows(term, text, plans)


def test_terms_are_found_in_every_field_a_card_shows(plans):
    assert not shows("scam", "fine", plans, hashtags=("#Scam",))
    assert not shows("scam", "fine", plans, title="A SCAM, says who")
    assert not shows("scam", "fine", plans, author=Author(id="x:1", handle="@scam_bot", name="Bot"))
    assert not shows("scam", "fine", plans, author=Author(id="x:1", handle="@bot", name="Scam Bot"))
    assert not shows("scam", "fine", plans, media=(Media(url="https://example.invalid/p.png", alt="a scam flyer"),))


def test_normalize_folds_case_accents_and_arabic_variants():
    assert normalize("ÉCOLE Straße") == "ecole strasse"
    assert normalize("أحمد") == normalize("احمد")
    assert normalize("مدرسة") == normalize("مدرسه")


@pytest.mark.parametrize("entry", ["test:42", "TEST:42", "@Troll", "@troll", "troll"])
def test_an_author_is_blocked_by_id_or_handle_in_any_case(plans, entry):
    troll = Author(id="test:42", handle="@troll", name="T. Roll")
    m = Moderator(authors=[entry])
    s = m.filter(snap(post("a", "hello", author=troll), post("b", "hello")), plans["blocklist"])
    assert keys(s) == ["b"]


def test_modes_open_blocklist_and_approve_first(plans):
    troll = Author(id="test:42", handle="@troll", name="T. Roll")
    m = Moderator(terms=["idiot"], authors=["@troll"])
    s = snap(
        post("rude", "you idiot"), post("troll", "hello", author=troll), post("fine", "hello"), post("hidden", "hello")
    )
    m.hide("hidden", "ana")
    # open: an operator's hide and block hold; terms do not (a care room sees angry posts)
    assert keys(m.filter(s, plans["open"])) == ["rude", "fine"]
    assert keys(m.filter(s, plans["blocklist"])) == ["fine"]
    assert keys(m.filter(s, plans["approve-first"])) == []
    m.approve("fine", "ana")
    m.approve("rude", "ana")  # approving does not lift a blocklist
    assert keys(m.filter(s, plans["approve-first"])) == ["fine"]
    assert m.reason(s.posts[0], "approve-first") == "term 'idiot'"


def test_leaderboards_and_topics_lose_blocked_names_and_words(plans):
    demo = Store.from_config(load_config(DEMO).config).snapshot("demo", T)
    board = demo.metrics["influencers"].leaderboard
    first, second = board[0].author, board[1].author
    m = Moderator(terms=["5G", second.name.split()[0]], authors=[first.handle])
    out = m.filter(demo, plans["blocklist"])
    names = [e.author.name for e in out.metrics["influencers"].leaderboard]
    assert first.name not in names and second.name not in names
    assert len(names) == len(board) - 2
    assert "#5G" in demo.metrics["topics"].breakdown and "#5G" not in out.metrics["topics"].breakdown
    assert out.metrics["kpi.reach"] is demo.metrics["kpi.reach"]  # figures are not content
    assert first.handle not in {p.author.handle for p in out.posts}
    assert demo.metrics["influencers"].leaderboard == board  # the store's snapshot is never changed


def test_a_blocked_word_never_trends_in_any_mode_not_even_open(plans):
    def words(values: dict) -> Metric:
        return Metric(name="x", unit="posts", breakdown=values, computed_at=NOW)

    metrics = {
        "topics": words({"#Idiot": 9, "#fibre": 5}),
        "topics@7d": words({"#idiót": 40, "#fibre": 30}),  # other windows, as the store names them
        "topics.fr": words({"#IDIOT": 2, "#panne": 1}),
        "terms": words({"idiot": 7, "réseau": 6}),
        "terms@1h": words({"idiots": 3, "idiot": 1}),  # 'idiots' is another word: it stays
        "countries": words({"FR": 3, "SN": 1}),
    }
    angry = post("angry", "you idiot, still no #fibre", hashtags=("#idiot", "#fibre"))
    s = snap(angry, post("calm", "hello", hashtags=("#fibre",)), metrics=metrics)
    m = Moderator(terms=["idiot"])
    for mode, plan in plans.items():
        out = m.filter(s, plan)
        shown = {name: out.metrics[name].breakdown for name in metrics}
        assert shown["topics"] == {"#fibre": 5}, mode
        assert shown["topics@7d"] == {"#fibre": 30}, mode
        assert shown["topics.fr"] == {"#panne": 1}, mode
        assert shown["terms"] == {"réseau": 6}, mode
        assert shown["terms@1h"] == {"idiots": 3}, mode
        assert out.metrics["countries"] is metrics["countries"]  # categories, not words
    # open: the angry post still shows, whole, but no longer carries the blocked hashtag into a
    # cloud counted from the posts' hashtags
    out = m.filter(s, plans["open"])
    assert keys(out) == ["angry", "calm"]
    assert out.posts[0].text == "you idiot, still no #fibre" and out.posts[0].hashtags == ("#fibre",)
    assert out.posts[1] is s.posts[1]
    assert s.posts[0].hashtags == ("#idiot", "#fibre")  # the store's post is never changed
    # a snapshot with nothing blocked goes through untouched (the per-frame cache depends on it)
    clean = snap(post("calm", "hello", hashtags=("#fibre",)), metrics={"topics": words({"#fibre": 5})})
    assert m.filter(clean, plans["open"]) is clean


def test_approve_first_leaderboards_name_only_authors_an_operator_vetted(plans):
    demo = Store.from_config(load_config(DEMO).config).snapshot("demo", T)
    m = Moderator()
    assert m.filter(demo, plans["approve-first"]).metrics["influencers"].leaderboard == ()
    chosen = next(
        p for p in demo.posts if p.author.handle in {e.author.handle for e in demo.metrics["influencers"].leaderboard}
    )
    m.approve(chosen.key, "ana")
    out = m.filter(demo, plans["approve-first"])
    assert [e.author.handle for e in out.metrics["influencers"].leaderboard] == [chosen.author.handle]
    assert keys(out) == [chosen.key]


def test_kill_switch_empties_every_scenario_at_once(plans):
    demo = Store.from_config(load_config(DEMO).config).snapshot("demo", T)
    m = Moderator(fallback_scenario="test")
    r = m.kill(True, "duty manager")
    assert r["killed"] is True and r["fallback_scenario"] == "test" and m.killed
    for plan in plans.values():
        out = m.filter(demo, plan)
        assert out.posts == ()
        assert out.metrics["influencers"].leaderboard == ()
        assert not out.metrics["topics"].breakdown
        assert out.metrics["kpi.reach"] is demo.metrics["kpi.reach"]
    m.kill(False, "duty manager")
    assert len(m.filter(demo, plans["blocklist"]).posts) == len(demo.posts)


# ---------------------------------------------------------------- actions, queue, audit


def test_actions_bump_the_version_and_are_audited_with_who_what_when(plans):
    clock = iter(NOW + timedelta(seconds=i) for i in range(100))
    m = Moderator(clock=lambda: next(clock))
    s = snap(post("k1", "hello"))
    m.filter(s, plans["blocklist"])
    v0 = m.version
    r = m.hide("k1", "ana")
    assert r["changed"] is True and r["seen"] is True and r["version"] == v0 + 1
    assert m.hide("k1", "ana")["changed"] is False and m.version == v0 + 1  # nothing new: same rules
    m.block_term("scam", "bob")
    m.block_author("@troll", "bob")
    m.unblock_term("SCAM", "bob")
    m.kill(True, "carla")
    assert m.version == v0 + 5
    entries = m.audit(limit=10)
    assert [(e["who"], e["action"], e["target"]) for e in entries] == [
        ("carla", "kill", "wall"),
        ("bob", "unblock_term", "SCAM"),
        ("bob", "block_author", "@troll"),
        ("bob", "block_term", "scam"),
        ("ana", "hide", "k1"),
        ("ana", "hide", "k1"),
    ]
    assert entries[-1]["at"] == NOW.isoformat() and entries[-1]["scenario"] == "monitoring"
    assert m.audit(limit=1) == entries[:1]


def test_bad_input_gets_clear_errors(plans):
    m = Moderator(terms=["configured"])
    with pytest.raises(ValueError, match="empty string"):
        m.block_term("  ", "ana")
    with pytest.raises(ValueError, match="nothing left to match"):
        m.block_term("\u0301\u200b", "ana")
    with pytest.raises(ValueError, match="name the operator"):
        m.hide("k", "")
    with pytest.raises(ValueError, match="approval queue"):
        m.approve("demo:never-seen", "ana")
    with pytest.raises(ValueError, match="approval queue"):
        m.reject("demo:never-seen", "ana")
    with pytest.raises(ValueError, match=r"term 'nope' is not blocked \(blocked: configured\)"):
        m.unblock_term("nope", "ana")
    with pytest.raises(ValueError, match="is not blocked"):
        m.unblock_author("@nobody", "ana")
    with pytest.raises(ValueError, match="is not hidden"):
        m.unhide("k", "ana")
    with pytest.raises(ValueError, match="@handle"):
        m.block_author("@", "ana")
    with pytest.raises(ValueError, match="true or false"):
        m.kill("yes", "ana")
    with pytest.raises(ValueError, match="unknown moderation mode"):
        m.filter(snap(post("k")), dataclasses.replace(plans["open"], moderation="lenient"))
    assert m.version == 0 and m.audit() == []  # nothing half-done


def test_approval_queue_lists_waiting_posts_newest_first(plans):
    troll = Author(id="test:42", handle="@troll", name="T. Roll")
    m = Moderator(terms=["idiot"], authors=["@troll"])
    s = snap(
        post("new", "hello", minutes_ago=1),
        post("old", "hi", minutes_ago=9),
        post("rude", "idiot", minutes_ago=2),
        post("troll", "hey", author=troll, minutes_ago=3),
        post("mid", "hey", minutes_ago=5),
    )
    assert m.queue() == []  # nothing seen yet
    assert keys(m.filter(s, plans["approve-first"])) == []
    q = m.queue()
    assert [e["key"] for e in q] == ["new", "mid", "old"]  # blocked ones never wait
    assert q[0] == {
        "key": "new",
        "feed": "f",
        "scenario": "monitoring",
        "network": "mastodon",
        "author_id": "test:1",
        "author_handle": "@someone",
        "author_name": "Some One",
        "text": "hello",
        "title": None,
        "published_at": (NOW - timedelta(minutes=1)).isoformat(),
        "url": None,
    }
    json.dumps(q)  # ready for the control API
    assert m.approve("mid", "ana")["blocked_by"] is None
    assert m.reject("old", "ana")["changed"] is True
    assert [e["key"] for e in m.queue()] == ["new"]
    assert m.queue(limit=1) == m.queue()[:1]
    assert keys(m.filter(s, plans["approve-first"])) == ["mid"]
    assert m.state()["queue_size"] == 1 and m.state()["approved"] == 1 and m.state()["hidden"] == 1
    m.hide("mid", "ana")  # hidden after approval: gone
    assert keys(m.filter(s, plans["approve-first"])) == []
    m.approve("mid", "ana")  # approved again: the later decision wins
    assert keys(m.filter(s, plans["approve-first"])) == ["mid"]


def test_filter_is_cached_until_the_snapshot_or_a_decision_changes(plans):
    m = Moderator(terms=["idiot"])
    s = snap(post("a", "hello"), post("b", "you idiot"))
    first = m.filter(s, plans["blocklist"])
    assert m.filter(s, plans["blocklist"]) is first  # a frame with nothing new costs a lookup
    assert keys(first) == ["a"] and s.posts[1].key == "b"  # the input is left alone
    m.hide("a", "ana")
    second = m.filter(s, plans["blocklist"])
    assert second is not first and keys(second) == []
    assert m.filter(s, plans["blocklist"]) is second
    fresh = snap(*s.posts)
    assert m.filter(fresh, plans["blocklist"]) is not second  # the store's next snapshot


def test_untouched_snapshots_come_back_as_they_are(plans):
    s = snap(post("a", "hello"))
    assert Moderator(terms=["idiot"]).filter(s, plans["blocklist"]) is s


def test_decisions_survive_a_restart(tmp_path, plans):
    audit = tmp_path / "state" / "wall.moderation.jsonl"
    m = Moderator(terms=["configured"], audit_path=audit)
    s = snap(post("k1", "hello"), post("k2", "hello"), post("k3", "a configured word"), post("k4", "ein Schimpfwort"))
    m.filter(s, plans["approve-first"])
    m.hide("k1", "ana")
    m.approve("k2", "ana")
    m.approve("k3", "ana")
    m.block_term("schimpfwort", "bob")
    m.unblock_term("configured", "bob")  # a configured term lifted by an operator stays lifted
    m.block_author("@troll", "bob")
    m.kill(True, "carla")
    assert m.flush()
    m.close()
    lines = [json.loads(x) for x in audit.read_text(encoding="utf-8").splitlines()]
    assert [x["action"] for x in lines] == [
        "hide",
        "approve",
        "approve",
        "block_term",
        "unblock_term",
        "block_author",
        "kill",
    ]
    assert all({"at", "who", "action", "target"} <= set(x) for x in lines)

    again = Moderator(terms=["configured"], audit_path=audit)
    try:
        assert again.killed
        state = again.state()
        assert state["terms"] == ["schimpfwort"] and state["authors"] == ["@troll"]
        assert state["hidden"] == 1 and state["approved"] == 2
        again.kill(False, "carla")
        assert keys(again.filter(s, plans["approve-first"])) == ["k2", "k3"]
        assert keys(again.filter(s, plans["blocklist"])) == ["k2", "k3"]
        assert again.audit(limit=2)[1]["action"] == "kill"  # the history is read back
    finally:
        again.close()


def test_an_unreadable_decisions_file_is_moved_aside_and_reported(tmp_path, caplog):
    audit = tmp_path / "m.jsonl"
    state_path_for(audit).write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="wall.moderation"):
        m = Moderator(terms=["configured"], audit_path=audit)
    m.close()
    assert m.state()["terms"] == ["configured"]
    assert "unreadable" in caplog.text and "moved to" in caplog.text
    assert list(tmp_path.glob("m.state.json.corrupt-*"))


def test_actions_and_frames_never_wait_for_the_disk(tmp_path, plans, monkeypatch):
    """A disk that hangs (a dead NFS mount) holds the writer thread only."""
    from wall.moderation import journal

    release = threading.Event()
    real_write = journal.Journal._write
    monkeypatch.setattr(journal.Journal, "_write", lambda self, *a: release.wait() and real_write(self, *a))
    m = Moderator(audit_path=tmp_path / "m.jsonl")
    s = snap(post("a", "hello"), post("b", "hello"))
    done = []

    def operator():
        m.hide("a", "ana")
        m.block_term("x", "ana")
        done.append(keys(m.filter(s, plans["blocklist"])))

    worker = threading.Thread(target=operator)
    worker.start()
    worker.join(timeout=30)
    try:
        assert done == [["b"]], "an action or a frame waited for the disk"
        assert not m.flush(timeout=0.2)  # the disk is still hanging: nothing claims it is written
    finally:
        release.set()
    assert m.flush()
    m.close()
    assert (tmp_path / "m.jsonl").read_text().count("\n") == 2


# ---------------------------------------------------------------- config


def test_config_resolves_each_scenarios_mode(loaded):
    assert loaded.scenarios["launch"].moderation == "approve-first"  # public_facing in the demo
    assert loaded.scenarios["monitoring"].moderation == "blocklist"
    m = Moderator.from_config(loaded.config, None)
    assert m.fallback_scenario == "holding" and m.state()["terms"] == []  # the demo's holding screen


def _demo_variant(tmp_path, monkeypatch, edit) -> str:
    monkeypatch.chdir(tmp_path)
    # without the demo's own moderation section (its holding fallback): the edits bring theirs
    own = "moderation:\n  fallback_scenario: holding\n"
    text = DEMO.read_text(encoding="utf-8")
    assert own in text
    text = edit(text.replace(own, ""))
    Path("wall.yaml").write_text(text, encoding="utf-8")
    return "wall.yaml"


def _line_col(text: str, needle: str) -> tuple[int, int]:
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)


def test_config_moderation_section_loads(tmp_path, monkeypatch):
    path = _demo_variant(
        tmp_path,
        monkeypatch,
        lambda t: (
            t
            + (
                "moderation:\n  terms: [idiot, 'shut up']\n  authors: ['@troll']\n  fallback_scenario: test\n"
                "  audit_log: logs/moderation.jsonl\n"
            )
        ),
    )
    loaded = load_config(path)
    m = Moderator.from_config(loaded.config, None)
    assert m.fallback_scenario == "test" and m.state()["terms"] == ["idiot", "shut up"]
    assert m.state()["authors"] == ["@troll"]
    assert audit_path_for(loaded) == tmp_path / "logs" / "moderation.jsonl"


def test_a_reloaded_config_changes_the_lists_and_keeps_operators_decisions(tmp_path, monkeypatch, plans):
    first = load_config(_demo_variant(tmp_path, monkeypatch, lambda t: t + "moderation:\n  terms: [idiot]\n"))
    m = Moderator.from_config(first.config, None)
    m.block_term("scam", "ana")
    v = m.version
    second = load_config(
        _demo_variant(
            tmp_path, monkeypatch, lambda t: t + ("moderation:\n  terms: [dummkopf]\n  fallback_scenario: test\n")
        )
    )
    m.reconfigure(second.config)
    assert m.version == v + 1 and m.fallback_scenario == "test"
    assert m.state()["terms"] == ["dummkopf", "scam"]
    s = snap(post("a", "idiot"), post("b", "scam"), post("c", "Dummkopf"))
    assert keys(m.filter(s, plans["blocklist"])) == ["a"]


def test_default_audit_log_sits_next_to_the_store(loaded, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert audit_path_for(loaded) == tmp_path / "wall" / "social-hub-demo.moderation.jsonl"


def test_config_fallback_scenario_must_exist(tmp_path, monkeypatch):
    path = _demo_variant(tmp_path, monkeypatch, lambda t: t + "moderation:\n  fallback_scenario: lobby\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    (p,) = exc.value.problems
    text = Path(path).read_text()
    assert (p.mark.file, p.mark.line, p.mark.column) == ("wall.yaml", *_line_col(text, "lobby"))
    assert (
        "fallback_scenario 'lobby' is not a scenario (scenarios: monitoring, crisis, launch, holding, test)"
        in p.message
    )


def test_config_blank_blocklist_entry_is_an_error(tmp_path, monkeypatch):
    path = _demo_variant(tmp_path, monkeypatch, lambda t: t + "moderation:\n  terms: [idiot, '  ']\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    (p,) = exc.value.problems
    assert p.mark.line == _line_col(Path(path).read_text(), "'  '")[0]
    assert p.message == "moderation.terms.1: empty entry; remove it or write the word, id or @handle to block"


def test_config_warns_about_an_unmoderated_public_scenario(tmp_path, monkeypatch):
    path = _demo_variant(
        tmp_path,
        monkeypatch,
        lambda t: t.replace("    public_facing: true", "    public_facing: true\n    moderation: open", 1),
    )
    loaded = load_config(path)
    assert loaded.scenarios["launch"].moderation == "open"
    (w,) = [w for w in loaded.warnings if "moderation" in w.message]
    assert "scenario 'launch' faces visitors but shows posts unmoderated" in w.message


# ---------------------------------------------------------------- end to end: state.json and pixels


@pytest.fixture(scope="module")
def rt(loaded):
    from wall.runtime import WallRuntime

    runtime = WallRuntime(load_config(DEMO))
    yield runtime
    runtime.close()


def shoot(rt, out: Path) -> tuple[dict, str, np.ndarray]:
    """Render T: (state.json, its text, the canvas as the displays show it)."""
    rt.snapshot(T, out)
    text = (out / "state.json").read_text(encoding="utf-8")
    wall = rt.loaded.wall
    canvas = np.zeros((wall.canvas_h, wall.canvas_w, 3), np.uint8)
    for d in wall.displays:
        vp = d.viewport
        assert d.rotation == 0
        canvas[vp.y : vp.y1, vp.x : vp.x1] = load_png(out / f"{d.id}.png")
    return json.loads(text), text, canvas


def zone(state: dict, canvas: np.ndarray, zone_id: str) -> np.ndarray:
    r = state["zones"][zone_id]["rect"]
    return canvas[r["y"] : r["y"] + r["h"], r["x"] : r["x"] + r["w"]]


def first_card(state: dict, canvas: np.ndarray, zone_id: str = "posts") -> np.ndarray:
    view = state["zones"][zone_id]["view"]
    crop = zone(state, canvas, zone_id)
    return crop[: crop.shape[0] // view["rows"], : crop.shape[1] // view["columns"]]


@pytest.fixture(scope="module")
def monitoring(rt, tmp_path_factory):
    """The monitoring wall with nothing moderated away: what the room saw before a decision."""
    rt.use_scenario("monitoring")
    rt.moderate_with(Moderator.from_config(rt.loaded.config, None))
    return shoot(rt, tmp_path_factory.mktemp("before"))


def test_blocking_a_word_of_the_top_post_takes_it_off_the_wall(rt, monitoring, tmp_path):
    state0, text0, canvas0 = monitoring
    top = state0["zones"]["posts"]["view"]["posts"][0]
    word = max(re.findall(r"[^\W\d_]{5,}", top["text"]), key=len)
    assert word in text0
    m = Moderator.from_config(rt.loaded.config, None)
    rt.use_scenario("monitoring")
    rt.moderate_with(m)
    m.block_term(word.upper(), "ana")
    state1, text1, canvas1 = shoot(rt, tmp_path)
    assert word.casefold() not in text1.casefold()
    assert top["key"] not in text1 and top["text"] not in text1
    assert state1["zones"]["posts"]["view"]["posts"][0]["key"] != top["key"]
    assert not np.array_equal(zone(state0, canvas0, "posts"), zone(state1, canvas1, "posts"))
    assert not np.array_equal(first_card(state0, canvas0), first_card(state1, canvas1))


def test_hide_now_removes_the_post_and_unhide_brings_back_the_same_pixels(rt, monitoring, tmp_path):
    state0, text0, canvas0 = monitoring
    top = state0["zones"]["posts"]["view"]["posts"][0]
    m = Moderator.from_config(rt.loaded.config, None)
    rt.use_scenario("monitoring")
    rt.moderate_with(m)
    m.hide(top["key"], "ana")
    state1, text1, canvas1 = shoot(rt, tmp_path / "hidden")
    assert f'"{top["key"]}"' not in text1
    assert state1["zones"]["posts"]["view"]["posts"][0]["key"] != top["key"]
    assert not np.array_equal(first_card(state0, canvas0), first_card(state1, canvas1))
    m.unhide(top["key"], "ana")
    state2, text2, canvas2 = shoot(rt, tmp_path / "back")
    assert state2["zones"]["posts"] == state0["zones"]["posts"]
    assert np.array_equal(zone(state0, canvas0, "posts"), zone(state2, canvas2, "posts"))


def test_blocking_an_author_removes_their_posts_and_name_everywhere(rt, monitoring, tmp_path):
    state0, text0, canvas0 = monitoring
    top = state0["zones"]["posts"]["view"]["posts"][0]
    assert top["author"] in text0
    m = Moderator.from_config(rt.loaded.config, None)
    rt.use_scenario("monitoring")
    rt.moderate_with(m)
    m.block_author(top["handle"].upper(), "ana")
    state1, text1, canvas1 = shoot(rt, tmp_path)
    assert top["author"] not in text1 and top["handle"] not in text1
    assert not np.array_equal(zone(state0, canvas0, "posts"), zone(state1, canvas1, "posts"))
    assert not np.array_equal(first_card(state0, canvas0), first_card(state1, canvas1))


def test_an_open_wall_shows_the_posts_but_not_the_blocked_word_as_a_topic(rt, tmp_path):
    """End to end: the monitoring wall run open (as a care room runs it); an operator blocks a
    word that is the room's top trending topic and is written in posts on screen."""
    plan = dataclasses.replace(rt.loaded.scenarios["monitoring"], name="monitoring-open", moderation="open")
    rt.loaded.scenarios[plan.name] = plan
    try:
        rt.use_scenario(plan.name)
        rt.moderate_with(Moderator.from_config(rt.loaded.config, None))
        state0, _, canvas0 = shoot(rt, tmp_path / "before")
        m = Moderator.from_config(rt.loaded.config, None)
        rt.moderate_with(m)
        m.block_term("5g", "ana")
        state1, text1, canvas1 = shoot(rt, tmp_path / "after")
    finally:
        del rt.loaded.scenarios[plan.name]
    before = [i["label"] for i in state0["zones"]["topics"]["view"]["items"]]
    after = [i["label"] for i in state1["zones"]["topics"]["view"]["items"]]
    assert before[0] == "#5G" and "#5G" not in after and after[: len(before) - 1] == before[1:]
    assert "#5G" not in json.dumps(state1["zones"]["topics"], ensure_ascii=False)
    assert not np.array_equal(zone(state0, canvas0, "topics"), zone(state1, canvas1, "topics"))
    # the posts are the same: an open wall shows what people wrote, 5G included
    assert state1["zones"]["posts"] == state0["zones"]["posts"]
    with_5g = [p for p in m.filter(rt.store.snapshot("demo", T), plan).posts if "5G" in p.text]
    assert with_5g and all("#5G" not in p.hashtags for p in with_5g)


def test_hide_takes_a_post_out_of_the_very_next_frame_of_every_scenario(rt):
    """What the next frame sends to the painters (the zone's pixels follow when its paint lands)."""
    from wall.scenes.views import to_json

    m = Moderator.from_config(rt.loaded.config, None)
    rt.moderate_with(m)
    rt.use_scenario("crisis")
    key = rt.scenes.frame(rt.engine.plan, T).views["latest"][1].posts[0].key
    m.approve(key, "ana")  # so that the launch wall (approve-first) would show it too
    m.hide(key, "ana")  # the later decision wins
    for name in ("monitoring", "crisis", "launch"):
        rt.use_scenario(name)
        views = json.dumps(to_json(rt.scenes.frame(rt.engine.plan, T).views), ensure_ascii=False)
        assert f'"{key}"' not in views, name


def test_approve_first_wall_shows_only_what_an_operator_approved(rt, tmp_path):
    m = Moderator.from_config(rt.loaded.config, None)
    rt.use_scenario("launch")
    rt.moderate_with(m)
    feed_keys = [p.key for p in rt.store.snapshot("demo", T).posts]
    state0, text0, canvas0 = shoot(rt, tmp_path / "before")
    # nothing approved yet: the holding card (tests/test_holding.py), no post, no name
    assert state0["zones"]["posts"]["widget"] == state0["zones"]["influencers"]["widget"] == "holding"
    assert not [k for k in feed_keys if f'"{k}"' in text0]
    waiting = m.queue(limit=100)
    assert {e["key"] for e in waiting} == set(feed_keys)
    chosen = next(e for e in waiting if ":press:" not in e["key"])
    assert m.approve(chosen["key"], "ana")["blocked_by"] is None
    state1, text1, canvas1 = shoot(rt, tmp_path / "after")
    assert [c["key"] for c in state1["zones"]["posts"]["view"]["posts"]] == [chosen["key"]]
    assert [k for k in feed_keys if f'"{k}"' in text1] == [chosen["key"]]
    assert [r["name"] for r in state1["zones"]["influencers"]["view"]["rows"]] == [chosen["author_name"]]
    assert not np.array_equal(zone(state0, canvas0, "posts"), zone(state1, canvas1, "posts"))


def test_hiding_a_cross_posted_post_hides_its_copies_on_other_networks(plans):
    """One post on Mastodon and Bluesky is one card (feeds/crossposts.py): hiding it by either key
    takes both copies off the wall, and the audit log names the copies."""
    m = Moderator()
    ana = Author(id="bsky:ana", handle="ana.bsky.social", name="Ana Ruiz")
    copy = post("bluesky:9", "The fibre is down again https://bsky.app/x #fibre", author=ana).model_copy(
        update={"network": "bluesky"}
    )
    original = post("mastodon:9", "The fibre is down again https://t.co/y", minutes_ago=3)
    original = original.model_copy(
        update={"author": Author(id="m:ana", handle="@ana@mastodon.social", name="ana ruiz")}
    )
    other = post("mastodon:10", "Something else entirely")
    s = snap(original, copy, other)
    assert keys(m.filter(s, plans["open"])) == ["mastodon:9", "bluesky:9", "mastodon:10"]  # the wall shows them
    result = m.hide("mastodon:9", "ana")
    assert result["copies"] == ["bluesky:9"]
    assert keys(m.filter(s, plans["open"])) == ["mastodon:10"]
    assert m.audit(1)[0]["copies"] == ["bluesky:9"]
    m.unhide("bluesky:9", "ana")  # shown again, by either key, with its copies
    assert keys(m.filter(s, plans["open"])) == ["mastodon:9", "bluesky:9", "mastodon:10"]


def test_the_cache_of_normalised_texts_is_bounded_and_keeps_the_newest():
    # a busy feed brings new texts all day: memory stays bounded, and the texts primed last (the
    # posts on screen) are still there when the render thread asks for them
    from wall.moderation.text import TEXT_CACHE_MAX, Texts

    texts = Texts()
    recent = [f"post number {i} about the launch" for i in range(TEXT_CACHE_MAX - 100, TEXT_CACHE_MAX + 1500)]
    for i in range(TEXT_CACHE_MAX + 1500):
        texts.of(f"post number {i} about the launch")
    assert len(texts._done) <= TEXT_CACHE_MAX
    kept = [texts._done.get(r) for r in recent]
    assert all(k is not None for k in kept), "the newest texts survive an eviction"
    assert texts._done.get("post number 0 about the launch") is None
    assert texts.of(recent[-1]) is kept[-1]  # served from the cache, not normalised again


def test_a_moderator_sized_to_the_wall_remembers_what_it_can_show_and_a_little_more(plans):
    # a wall's buffers hold 100 posts; 1,000 pass through them. What was shown long ago is forgotten
    # (memory stays that of the buffers), what just left them is still acted on as shown: its
    # scenario is recorded and its copy on another network is hidden with it
    m = Moderator()
    m.size_for(100)
    stream = [post(f"mastodon:{i}", f"update number {i} on the outage") for i in range(1000)]
    copy = post("bluesky:950", "Update number 950 on the outage", minutes_ago=2)
    for end in range(100, 1001, 50):
        window = stream[end - 100 : end]
        m.prime(window)
        m.filter(snap(*reversed(window), *([copy] if end == 1000 else [])), plans["open"])
    assert len(m._seen) <= 100 + SEEN_SPARE
    assert len(m._texts._done) <= 2 * (100 + SEEN_SPARE)
    old = m.hide("mastodon:3", "ana")  # left the buffers 900 posts ago
    assert "scenario" not in m.audit(1)[0] and "copies" not in old
    m.filter(snap(*stream[900:]), plans["open"])  # 950's copy has left the buffer too
    m.hide("mastodon:950", "ana")
    entry = m.audit(1)[0]
    assert entry["scenario"] == "monitoring" and entry["copies"] == ["bluesky:950"]


def test_a_wall_sizes_its_moderator_to_its_store(loaded):
    from wall.runtime import WallRuntime

    m = Moderator()
    rt = WallRuntime(loaded, moderator=m)
    try:
        held = rt.store.max_posts * len(rt.store.feed_ids())
        assert m._seen_max == held + SEEN_SPARE and m._texts.limit == 2 * (held + SEEN_SPARE)
    finally:
        rt.close()
