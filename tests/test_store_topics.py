"""What a post speaks of (wall/store/topics.py): the hashtags and terms the store counts per post.

These keys are what the topics widgets rank and what an operator's blocked terms are matched
against, so the tests read like the room would: '#22' is never a trending topic, '#Réseau' and
'#reseau' are one, 'the' and 'les' are never frequent terms.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.model import Author, Post
from wall.store.topics import (
    STOP_WORDS,
    TAG_MAX,
    TEXT_SCANNED,
    WORD_MAX,
    fold,
    hashtag_topic,
    is_hashtag,
    term_topics,
    topic_keys,
)

T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def post(text: str = "", *, tags=(), lang: str | None = None, title: str | None = None, kind: str = "post") -> Post:
    return Post(
        key="t:1",
        source="t",
        published_at=T0,
        text=text,
        lang=lang,
        title=title,
        kind=kind,
        hashtags=tuple(tags),
        author=Author(id="t:a", handle="@ana", name="Ana"),
    )


def keys(p: Post) -> list[str]:
    return [k for k, _ in topic_keys(p)]


def terms(text: str, lang: str | None = None) -> list[str]:
    return [k for k, _ in term_topics(text, lang)]


# ------------------------------------------------------------------------------- hashtags


def test_hashtags_fold_case_and_accents_and_keep_their_spelling_as_label():
    found = topic_keys(post(tags=("#Réseau", "#reseau", "#RÉSEAU", "#Fibre", "5G")))
    assert found == [("#reseau", "#Réseau"), ("#fibre", "#Fibre"), ("#5g", "#5G")]  # each key once per post


@pytest.mark.parametrize(
    "tag", ["#22", "#2024", "#12_03", "#1-0", "#٢٠٢٤", "#🔥", "#a", "#", "#" + "x" * (TAG_MAX + 1)]
)
def test_numbers_only_one_letter_and_glued_sentences_are_no_topics(tag):
    assert hashtag_topic(tag) is None
    assert keys(post(tags=(tag,))) == []


@pytest.mark.parametrize(
    "tag, key",
    [
        ("#5G", "#5g"),
        ("#AI", "#ai"),
        ("#Covid19", "#covid19"),
        ("#خدمة", "#خدمة"),
        ("#网络", "#网络"),
        ("#ラーメン", "#ラーメン"),
    ],
)
def test_short_mixed_and_other_scripts_hashtags_are_topics(tag, key):
    assert hashtag_topic(tag) == (key, tag)


def test_fold_is_case_accents_and_compatibility_forms():
    assert fold("Réseau") == fold("RESEAU") == fold("réseau") == "reseau"
    assert fold("ﬁbre") == "fibre"  # a ligature
    assert fold("STRASSE") == fold("Straße") == "strasse"
    assert fold("ガ") == "ガ"  # voiced kana stay whole (NFC after dropping accents)
    assert fold("id\u200biot") == "idiot"  # invisible characters do not split a key


def test_hashtags_and_terms_are_told_apart_by_the_key():
    found = topic_keys(post("La fibre arrive", tags=("#fibre",), lang="fr"))
    assert found == [("#fibre", "#fibre"), ("fibre", "fibre"), ("arrive", "arrive")]
    assert [is_hashtag(k) for k, _ in found] == [True, False, False]


# ------------------------------------------------------------------------------- terms


def test_terms_are_words_that_carry_meaning():
    text = "The new fibre box is a big step up: setup took five minutes and Wi-Fi reaches the garden now 🚀"
    assert terms(text, "en") == [
        "new",
        "fibre",
        "box",
        "big",
        "step",
        "setup",
        "took",
        "five",
        "minutes",
        "reaches",
        "garden",
    ]


def test_stop_words_follow_the_posts_language_else_every_list():
    text = "Die Störung ist vorbei, die Techniker sind schon weg"
    assert terms(text, "de") == ["storung", "vorbei", "techniker", "weg"]
    # as English, 'die' is a word (the German list does not apply), the German function words are not
    assert "die" in terms(text, "en")
    # unknown language: every list applies
    assert "die" not in terms(text) and "sind" not in terms(text)
    assert terms(text, "de-AT") == terms(text, "de")  # a region does not change the language


@pytest.mark.parametrize("lang", sorted(STOP_WORDS))
def test_every_language_has_its_function_words(lang):
    sample = {
        "en": "the service was down and they said nothing about it",
        "fr": "les clients sont dans le noir depuis hier et personne ne répond",
        "es": "los clientes están sin servicio desde ayer y nadie responde",
        "de": "die Kunden sind seit gestern ohne Netz und niemand antwortet",
        "it": "i clienti sono senza servizio da ieri e nessuno risponde",
        "pt": "os clientes estão sem serviço desde ontem e ninguém responde",
        "nl": "de klanten zijn sinds gisteren zonder netwerk en niemand antwoordt",
    }[lang]
    found = terms(sample, lang)
    assert found, lang
    assert not set(found) & STOP_WORDS[lang]
    assert {"service", "noir", "servicio", "kunden", "clienti", "clientes", "klanten"} & set(found)


def test_accents_and_capitals_make_one_term_with_a_lower_case_label():
    found = term_topics("Panne RESEAU à Tunis. Le reseau est coupé, le Réseau aussi", "fr")
    assert found == [("panne", "panne"), ("reseau", "réseau"), ("tunis", "tunis"), ("coupe", "coupé")]
    assert terms("Très bien, trés vite, tres cher", "fr") == ["vite", "cher"]  # a stop word however accented


def test_numbers_urls_mentions_and_hashtags_give_no_term():
    text = (
        "Panne depuis 2 heures, 4h30 de coupure, covid19 #fibre @Orange @ana@mastodon.social "
        "https://status.example.com/incident/outage?region=north www.example.org/fibre "
        "voir example.com/page/that… ou écrire à contact@orange.fr"
    )
    assert terms(text, "fr") == ["panne", "heures", "coupure", "voir", "ecrire"]


def test_short_words_and_runs_of_letters_too_long_are_no_terms():
    assert terms("ok on y va, wifi box tv", "en") == ["wifi", "box"]
    assert terms("a" * (WORD_MAX + 1) + " fibre") == ["fibre"]


def test_scripts_without_spaces_give_no_terms_only_their_hashtags():
    p = post("新しい5Gプランに変更しました📱 本当に速い！网络今天很慢 ประกาศ iPhone发布", tags=("#5G", "#网络"))
    assert topic_keys(p) == [("#5g", "#5G"), ("#网络", "#网络")]
    # a spaced word among them is still a word
    assert terms("新しいプラン fibre 本当に速い", "ja") == ["fibre"]


def test_other_alphabets_give_terms():
    assert terms("Сеть не работает", "ru") == ["сеть", "работает"]
    arabic = "خدمة العملاء كانت رائعة اليوم"
    assert [label for _, label in term_topics(arabic, "ar")] == arabic.split()
    assert terms(arabic, "ar") == [fold(w) for w in arabic.split()]  # hamza folded, as moderation does


def test_title_and_text_both_count_once_each_term():
    p = post("La fibre arrive dans les villages", title="Fibre : le plan rural", lang="fr", kind="article")
    assert keys(p) == ["fibre", "plan", "rural", "arrive", "villages"]
    same = post("Panne géante à Lyon", title="Panne géante à Lyon", lang="fr", kind="article")
    assert keys(same) == ["panne", "geante", "lyon"]


def test_a_long_text_is_read_as_far_as_its_first_lines():
    head = "Incident fibre Lyon. " + "rien " * 200
    tail = " conclusion"
    found = terms(head + tail, "fr")
    assert found == ["incident", "fibre", "lyon"]
    assert len(head) > TEXT_SCANNED
    # the cut falls between words, never inside one
    assert terms("x" * (TEXT_SCANNED - 3) + " abcdefgh") == []


def test_each_key_once_per_post_whatever_the_repeats():
    found = topic_keys(post("fibre Fibre FIBRE fibré #fibre", tags=("#fibre", "#Fibre"), lang="fr"))
    assert [k for k, _ in found] == ["#fibre", "fibre"]
    assert len({k for k, _ in found}) == len(found)
