"""Moderation matches what a person reads (wall/moderation/text.py): a blocked term written with
invisible characters, homoglyphs of other scripts, small capitals, fullwidth or mathematical
letters, letters set apart, or leetspeak is blocked like the term; words that only share its
letters, in any language, still show. The last test puts such posts on a wall and reads what its
posts zone shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from feeds import registry
from feeds.model import Author, Post
from wall.config.loader import load_config
from wall.moderation import Moderator, normalize

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
BLOCKLIST = SimpleNamespace(name="test", moderation="blocklist")
TERMS = ["idiot", "ass", "scam", "shut up", "connard", "pendejo", "Dummkopf", "сука", "غبي", "lol"]

TAG = "\U000e0020"  # TAG SPACE: invisible, and not a space
VS16 = "\ufe0f"  # VARIATION SELECTOR-16

LOOKALIKES = [
    # invisible characters inside the word
    ("idiot", f"you id{TAG}iot"),
    ("idiot", f"i{VS16}diot"),
    ("idiot", "id\U000e0101iot"),  # a variation selector of the supplement
    ("idiot", "id\u2060iot"),  # word joiner
    ("idiot", "i\u200dd\u200di\u200do\u200dt"),  # zero-width joiners
    ("idiot", "id\u034fiot"),  # combining grapheme joiner
    ("idiot", "id\u3164iot"),  # Hangul filler
    ("ass", "what an a\u2063ss"),  # invisible separator
    # other scripts' letters, small capitals, compatibility forms
    ("idiot", "іdіоt"),  # Cyrillic і and о
    ("idiot", "ιdιοt"),  # Greek iota and omicron
    ("idiot", "ɪᴅɪᴏᴛ"),  # small capitals
    ("idiot", "ｉｄｉｏｔ"),  # fullwidth
    ("idiot", "𝐢𝐝𝐢𝐨𝐭"),
    ("idiot", "𝐈𝐃𝐈𝐎𝐓"),  # mathematical bold capitals
    ("idiot", "Ⓘⓓⓘⓞⓣ"),
    ("idiot", "🅸🅳🅸🅾🆃"),  # negative squared capitals
    ("ass", "аss"),  # Cyrillic а
    ("ass", "ᴀꜱꜱ"),
    ("scam", "ѕсаm alert"),  # Cyrillic ѕ, с, а
    ("scam", "TOTAL SCAМ"),  # a Cyrillic capital М
    ("scam", "ꜱᴄᴀᴍ"),
    ("scam", "𝓈𝒸𝒶𝓂"),
    ("shut up", "ѕhut uр"),
    ("shut up", "SHUT UΡ"),  # a Greek capital rho
    ("connard", "сonnаrd"),
    ("connard", "ᴄᴏɴɴᴀʀᴅ"),
    ("connard", "CONNΑRD"),  # a Greek capital alpha
    ("pendejo", "реndејо"),  # Cyrillic р, е, ј, о
    ("pendejo", "ＰＥＮＤＥＪＯ"),
    ("Dummkopf", "DUΜΜΚΟΡF"),  # Greek capitals mu, kappa, omicron, rho
    ("Dummkopf", "Dummkоpf"),
    ("Dummkopf", "ᴅᴜᴍᴍᴋᴏᴘꜰ"),
    ("сука", "сукa"),  # a Latin a in the Russian word
    ("сука", "cyka"),  # all Latin, and it reads the same
    ("сука", "СУКА"),
    ("сука", f"сук{TAG}а"),
    ("غبي", "ﻏﺒﻲ"),  # Arabic presentation forms
    ("غبي", "غ\u200cبي"),  # zero-width non-joiner
    ("غبي", f"غ{TAG}بي"),
    ("غبي", "يا غبی"),  # a Persian yeh
    # letters apart
    ("idiot", "i d i o t"),
    ("idiot", "what an i.d.i.o.t!"),
    ("idiot", "i🔥d🔥i🔥o🔥t"),
    ("idiot", "i-d-i-o-t"),
    ("idiot", "i_d_i_o_t"),
    ("idiot", "⒤⒟⒤⒪⒯"),
    ("ass", "a s s"),
    ("ass", "@ s s"),
    ("scam", "s.c.a.m"),
    ("shut up", "s h u t u p"),
    ("shut up", "s.h.u.t up"),
    ("connard", "quel c o n n a r d"),
    ("pendejo", "P E N D E J O"),
    ("Dummkopf", "D u m m k o p f"),
    ("сука", "с у к а"),
    ("غبي", "غ ب ي"),
    # leetspeak
    ("idiot", "1d10t"),
    ("idiot", "ID10T!"),
    ("idiot", "!d!ot"),
    ("ass", "@ss"),
    ("ass", "a$$"),
    ("ass", "what an a$$!"),
    ("ass", "@$$"),
    ("ass", "4ss"),
    ("scam", "$cam"),
    ("scam", "5cam"),
    ("scam", "#$cam"),
    ("shut up", "5hut up"),
    ("connard", "c0nn4rd"),
    ("pendejo", "p3nd3j0"),
    ("Dummkopf", "Dummk0pf"),
    # mixtures
    ("idiot", "і.d.1.о.t"),  # Cyrillic, leetspeak, dots
    ("idiot", "1 d 1 0 t"),
    ("idiot", f"ɪᴅ1{VS16}0ᴛ"),
    ("idiot", "1️⃣d1️⃣0️⃣t"),  # keycap digits
    ("ass", "ａ＄＄"),  # fullwidth leetspeak
    ("scam", f"$с{TAG}аm"),
    ("connard", "с0nn@rd"),
]

INNOCENT = [
    # the blocked terms' letters inside other words
    "a first-class passage",
    "the assessment is due",
    "bass, brass and glass",
    "scamper off, scampi for lunch",
    "idiotic idea, two idiots",
    "le passer à Kassel",
    "assez de classe",
    "connaître la connexion",
    "pendiente de la clase",
    "die Kasse in Kassel, dumm gelaufen, Kopf hoch",
    "сукно и наука",
    "скам",  # Russian for scam: it does not look like 'scam'
    "الغبار كثير اليوم",  # dust
    "تغبية",
    # sentences of short words are not letters apart
    "I do it again",
    "I do it, a bit",
    "je t'ai dit qu'il y a un problème",
    "il l'a à peine vu",
    "y a-t-il un souci ?",
    "u. a. in der 3. Klasse",
    "J. R. R. Tolkien",
    "Ir a y o",
    "shut the door, up we go",
    # signs that are not leetspeak
    "cl@ss of 2026",
    "p@ssword reset at 10:30",
    "pa$$ the salt",
    "A55 closed near Bangor",
    "the 45s and the 90s",
    "it costs $5, 3€ or 4 £",
    "pages 1, 0.1 and 1 0 1, lane A 5 5",  # numbers apart are numbers ('101' is no 'lol')
    "1st, 2nd, 3ème, 1er, 4x4, mp3, covid19, B52, G7",
    "@support any news?",
    "wow! great!!",
    "a | b",
    # other scripts
    "Η σύνδεση έπεσε ξανά",
    "ΝΟ ΠΡΟΒΛΗΜΑ",
    "Интернет не работает уже второй день",
    "光纤又断了，已经三天了。",
    "バカンスに行きます",
]


def post(text: str, key: str = "k") -> Post:
    return Post(
        key=key,
        source="test",
        network="mastodon",
        published_at=NOW - timedelta(minutes=1),
        text=text,
        author=Author(id="test:1", handle="@someone", name="Some One"),
    )


@pytest.fixture(scope="module")
def moderator() -> Moderator:
    return Moderator(terms=TERMS)


@pytest.mark.parametrize("term, text", LOOKALIKES)
def test_a_lookalike_of_a_blocked_term_is_blocked(moderator, term, text):
    assert moderator.reason(post(text)) == f"term '{term}'"


@pytest.mark.parametrize("text", INNOCENT)
def test_words_that_only_share_the_letters_still_show(moderator, text):
    assert moderator.reason(post(text)) is None


def test_a_lookalike_in_a_term_blocks_the_word_it_looks_like():
    """An operator may paste a term as it was seen, lookalikes and all; a term in leetspeak blocks
    its other spellings in leetspeak."""
    m = Moderator(terms=["ѕсаm", "1d10t"])
    assert m.reason(post("total scam")) == "term 'ѕсаm'"
    assert m.reason(post("what an 1d1ot")) == "term '1d10t'"
    assert m.reason(post("scampi")) is None


def test_normalize_reads_lookalikes_as_their_letters():
    assert normalize(f"ɪᴅɪᴏᴛ {TAG}ｉｄｉｏｔ{VS16} іdіоt") == "idiot idiot idiot"
    assert normalize("Straße ÉCOLE") == "strasse ecole"
    # Arabic, kana and Hangul keep their letters
    assert normalize("ﻏﺒﻲ") == "غبي"
    assert normalize("バカ") == "バカ" and normalize("바보") == "바보"


def test_blocked_words_in_trending_topics_are_read_the_same_way(moderator):
    from feeds.model import Metric

    topics = Metric(name="topics", unit="posts", breakdown={"#ѕсаm": 9, "#$cam": 4, "#fibre": 3}, computed_at=NOW)
    s = moderator.filter(_snap(post("hello"), metrics={"topics": topics}), BLOCKLIST)
    assert s.metrics["topics"].breakdown == {"#fibre": 3}


def _snap(*posts: Post, metrics=None):
    from wall.store import FeedHealth, FeedSnapshot

    return FeedSnapshot("f", tuple(posts), metrics or {}, NOW, FeedHealth("ok", last_success=NOW))


# ---------------------------------------------------------------- on the wall

WALL_YAML = """\
name: Lookalikes test wall
displays:
  - id: D
    resolution: [1920, 1080]
    active_mm: [1209.6, 680.4]
    bezel_mm: 1
    position_mm: [0, 0]
layout:
  grid: [1, 1]
  zones:
    posts: { cells: A1 }
feeds:
  social: { adapter: replay, poll_s: 60 }
scenarios:
  monitoring:
    zones:
      posts: { widget: top_posts, feed: social, rank_by: recency, count: 6, pages: 1, transition: none }
"""


def test_posts_with_lookalikes_never_reach_the_posts_zone(tmp_path, monkeypatch):
    """A blocklist wall (the default mode) fed posts as a poll delivers them: the lookalikes of
    blocked terms are not in what the posts zone shows, nor in state.json; the innocent post is,
    painted."""
    from wall.runtime import WallRuntime

    # the replay feed is never polled here: its options are not checked against the adapter's model
    monkeypatch.setattr(registry, "COMPUTED", registry.COMPUTED | {"replay"})
    path = tmp_path / "wall.yaml"
    path.write_text(WALL_YAML)
    loaded = load_config(path)
    assert loaded.scenarios["monitoring"].moderation == "blocklist"
    rude = {
        "tag": f"What an id{TAG}iot",
        "cyrillic": "Total ѕсаm, do not buy",
        "small-caps": "ɪᴅɪᴏᴛ",
        "apart": "you i 🔥 d 🔥 i 🔥 o 🔥 t",
        "leet": "1d10t, and a $cam too",
        "variation": f"sh{VS16}ut up",
    }
    fine = "A first-class passage to Kassel, and no scampi"
    t = NOW + timedelta(minutes=5)
    rt = WallRuntime(loaded, workers=1, moderator=Moderator(terms=["idiot", "scam", "shut up"]))
    try:
        rt.use_scenario("monitoring")
        posts = [post(text, key=f"test:{name}") for name, text in rude.items()]
        rt.store.put("social", [*posts, post(fine, key="test:fine")], {}, NOW)
        rt.snapshot(t, tmp_path / "out")
        _, view = rt.views["posts"]
        assert [(c.key, c.text) for c in view.posts] == [("test:fine", fine)]
        state = (tmp_path / "out" / "state.json").read_text(encoding="utf-8")
        assert fine in json.loads(state)["zones"]["posts"]["view"]["posts"][0]["text"]
        for name in rude:
            assert f"test:{name}" not in state
        assert rt.engine.compositor.has_content("posts")
        assert not rt.engine.errors
    finally:
        rt.close()
