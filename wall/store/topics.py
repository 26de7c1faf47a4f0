"""What a post speaks of: its topics, as the store counts them per time bucket.

`topic_keys(post)` gives the topics one post counts towards, each once, as (key, label): the key is
what counts add up under (two spellings of one topic are one key), the label what a wall shows.

- Hashtags (from `post.hashtags`, as the adapters found them): key '#' + the folded tag ('#fibre'
  for '#Fibre', '#reseau' for '#Réseau'), label the tag as written ('#Réseau'). A tag without a
  letter is no topic ('#22', '#2024', '#12_03', an emoji alone: dates and scores, not subjects), nor
  is one shorter than TAG_MIN or longer than TAG_MAX folded characters ('#a' says nothing; a
  50-character tag is a sentence glued together, and would not fit a zone anyway).
- Terms: the words of the title and text that carry meaning: key the folded word (no '#'), label the
  word in lower case with its accents, as the post last writes it ('réseau': one label whatever the
  capitals at a sentence's start). A term is a run of WORD_MIN to WORD_MAX letters with no letter,
  digit or '_' against it, so numbers, words glued to digits ('covid19', '4h30') and words shorter
  than three letters are none; URLs (also 'example.com/page' without its scheme), @mentions with
  their instance, #hashtags (counted as hashtags), e-mail addresses and domain names give no term;
  nor do the function words of STOP_WORDS' languages (English, French, Spanish, German, Italian,
  Portuguese, Dutch; the post's language's list when `post.lang` is one of them, else all of them
  together). Only the first TEXT_SCANNED characters of title + text are read: a social post whole,
  an article by its headline and first lines, and ingest stays bounded per post whatever an adapter
  hands it.
- Terms come from the alphabets that separate words with spaces (Latin, Greek, Cyrillic, Armenian,
  Hebrew, Arabic, Georgian). Scripts written without spaces between words (Chinese, Japanese, Thai,
  Lao, Khmer, Myanmar) give none: finding their words needs a dictionary, and cutting at characters
  would invent words. Nor do Korean (particles glued to words would make every noun many terms) and
  the Indic scripts (their words carry vowel signs the scan does not take for letters). Those posts
  count by their hashtags.

Folding (`fold`): casefold, then NFKD without combining marks (the accents of Latin, Greek and
Cyrillic, Hebrew points, Arabic harakat) and without invisible format characters, then NFC again (so
Hangul syllables and voiced kana stay whole). 'Réseau', 'RESEAU' and 'réseau' are one key; 'ﬁbre'
(a ligature) is 'fibre'.

The topics widget tells hashtags from terms by the key (`is_hashtag`): a hashtag's starts with '#',
a term's never does (terms are letters only).

Cost: it runs at ingest for every post (the target is 100,000 posts/s for the whole ingest path on
one core), so a post costs a few dictionary and set operations in C, not a loop over its words in
Python: its lower-cased text is split at spaces, each piece is looked up in a cache of the terms it
holds (pieces repeat: common words with their commas, brands' handles, hashtags), the lists are
merged into one dict (one entry per key) and the stop words taken out by a set intersection. A
piece seen for the first time costs one scan with the regular expression below (about a
microsecond); the cache keeps CACHE_MAX pieces (about 8 MB at most, for the whole process) and is
emptied when full (the frequent pieces are back within a few posts). URLs are cut out first, as
they never come twice. Measured on one core of the development machine (a 2-CPU AMD EPYC VM,
CPython 3.11), caches warm: 4 µs a post for the Mastodon fixtures and the demo's multilingual posts
(54 characters on average), 5-7 µs for 150-character customer-care posts in English and French,
15 µs for long posts (500 characters read); 9-13 µs for the first sight of every piece. The caches
are plain dicts shared by every thread that counts posts: each operation on them is atomic, and an
entry lost to a concurrent clear is only computed again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import chain
from typing import cast

from feeds.model import Post

TAG_MIN = 2  # folded characters of a hashtag's name (without '#'): '#5G', '#AI' are topics, '#a' is not
TAG_MAX = 40
WORD_MIN = 3  # letters of a term: 'le', 'of', 'on' are never topics, 'fibre', 'box', 'wifi' are
WORD_MAX = 30  # longer runs of letters are keyboard noise or glued words, not terms
TEXT_SCANNED = 500  # characters of title + text read for terms (a Mastodon post at most, by default)
CACHE_MAX = 30_000  # pieces of text (and hashtags) whose terms are remembered; emptied when full

# The letters a term is made of: the alphabets that separate words with spaces (Latin with Vietnamese,
# Greek, Cyrillic, Armenian, Hebrew, Arabic, Georgian), spelt out as ranges: a class of ranges is
# tested in C without a Unicode category lookup, which makes the scan below about a third faster
# than [^\W\d_]. Letters of every other script (Chinese, Japanese, Korean, Thai, the Indic scripts
# ...) are word characters that are not in it: a run of them gives no term, and neither does a Latin
# word glued to them.
_LETTERS = (
    "a-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0386\u0388-\u03ff\u0400-\u0481"
    "\u048a-\u052f\u0531-\u0556\u0561-\u0587\u05d0-\u05ea\u05f0-\u05f2\u0620-\u064a\u066e\u066f"
    "\u0671-\u06d3\u06d5\u06fa-\u06fc\u06ff\u10a0-\u10ff\u1e00-\u1fff"
)
# The scan of a piece of lower-cased text (between spaces), left to right; only the group (a term)
# is kept, the other alternatives match to be skipped whole (findall gives '' for them):
# 1. a URL;
# 2. a term: WORD_MIN to WORD_MAX letters, with no word character, '@' or '.'+letter after them;
# 3. anything else that starts with a word character, '@' or '#' and runs on through word characters
#    and URL punctuation: a number, a word glued to digits ('covid19') or to another script, a run of
#    CJK, an @mention with its instance, a #hashtag (counted as a hashtag), an e-mail address, a
#    domain and its path ('example.com/page', as links are often shown), a word too long.
# As a match never starts inside what an earlier one took, no term is cut out of any of these.
_SCAN = re.compile(
    rf"(?:https?://|www\.)\S*|([{_LETTERS}]{{{WORD_MIN},{WORD_MAX}}}+)(?![\w@]|\.\w)|[\w@#][\w.@#/:%?=&+~-]*"
)
_URLS = re.compile(r"(?:https?://|www\.)\S*")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def fold(text: str) -> str:
    """Text as topic keys compare it: casefolded, accents and invisible characters dropped."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", _MARKS.sub("", text))


# Function words of each language, as written (folded at import: keys compare folded). Words shorter
# than WORD_MIN letters never make a term, so they are left out. Elided forms appear as what is left
# before the apostrophe ("aujourd'hui" -> 'aujourd', "don't" -> 'don', "dell'" -> 'dell').
_STOP_TEXT = {
    "en": """
        the and for are but not you your yours yourself yourselves all any can cannot could had has have
        having her hers herself him himself his how its itself may might must our ours ourselves she
        should than that their theirs them themselves then there these they this those through too under
        until very was were what when where which while who whom whose why will with would about above
        after again against also because been before being below between both did does doing down during
        each few from further here into more most much many off once only other out over own same some
        such yet every ever always never now just still even well back get got gets getting really lot
        lots thing things one two three today yesterday tomorrow shall upon within without onto per
        don doesn didn isn aren wasn weren haven hasn hadn won wouldn couldn shouldn mustn ain let via amp
        http https www com
    """,
    "fr": """
        les des une est pas que qui pour dans sur par avec plus tout tous toute toutes son ses leur leurs
        mon mes ton tes notre nos votre vos ils elles elle lui nous vous eux moi toi soi ces cet cette
        ceux celle celles celui mais donc car quand comme aussi très bien encore déjà été être avoir fait
        faire sont était étaient ont avait avons avez suis sommes êtes sera seront serait aux quoi dont
        sans sous chez entre vers depuis pendant avant après jamais toujours rien trop même autre autres
        ici alors puis ainsi oui non aujourd hui quel quelle quels quelles lequel laquelle cela ceci peu
        jusqu lorsqu puisqu quelqu parce peut peux veut faut fois chaque tant selon contre une uns unes
    """,
    "es": """
        que los las del una uno unos unas por para con sin sobre entre como más pero sus mis tus nos les
        ella ellas ellos esta este esto estos estas ese esa eso esos esas aquel aquella está están estaba
        estoy estás somos son ser sido fue fueron era han has hay había hace muy también todo todos toda
        todas nada algo cuando donde desde hasta porque qué cuál quien quién otro otra otros otras mismo
        misma aún sólo solo tan tanto cada usted ustedes nosotros vosotros hemos hoy ayer mañana
        ahora siempre nunca aquí allí así bien tiene tienen puede pueden
    """,
    "de": """
        der die das den dem des ein eine einer eines einem einen und oder aber nicht kein keine keinen
        ist sind war waren bin bist sein seine seinen seiner ihr ihre ihrem ihren ihrer ich sie wir mich
        mir dich dir uns euch sich mit von zum zur bei aus auf für über unter nach vor durch gegen ohne
        bis seit als wie wenn dass weil auch noch schon nur sehr mehr immer wieder hat habe haben hatte
        hatten wird werden wurde wurden kann können muss müssen soll sollen will wollen man dies diese
        dieser dieses diesen jetzt hier dort was wer warum doch mal ganz alle alles viel viele etwas
        nichts heute gestern morgen denn dann also einfach gibt geht
    """,
    "it": """
        che non per con una uno del della delle dei degli dello nel nella nelle nei negli sul sulla sui
        alla alle agli allo dal dalla dai dagli come più anche sono era erano stato stata essere avere
        hanno hai abbiamo questo questa questi queste quello quella quelli quelle loro suo sua suoi sue
        mio mia miei tuo tua nostro nostra vostro lui lei noi voi tutto tutti tutta tutte molto poco già
        ancora sempre mai dove quando perché cosa chi quale tra fra dopo prima senza sopra sotto solo così
        poi dell dall nell sull all quest quell oggi ieri domani qui anche però fatto fare
    """,
    "pt": """
        que não uma uns umas dos das nos nas aos pelo pela pelos pelas para por com sem sobre entre como
        mais mas também muito muita muitos muitas seu sua seus suas meu minha meus minhas ele ela eles
        elas você vocês nós isso isto esse essa este esta aquele aquela está estão estava estou ser sido
        foi foram era são tem têm ter tinha já ainda sempre nunca onde quando porque quem qual todo toda
        todos todas nada algo mesmo outra outro outros aqui ali então até depois antes hoje ontem amanhã
        bem pode podem
    """,
    "nl": """
        het een van jij hij zij wij jullie zijn was waren ben bent heb hebt heeft hebben had hadden dat
        die dit deze niet geen met voor naar bij uit over onder tegen door tot aan als maar ook nog wel
        dan toen hoe wat wie waar waarom want omdat zeer veel meer mijn jouw haar ons onze hun hen mij
        hier daar kan kunnen moet moeten zal zullen wordt worden werd doen gedaan toch even alleen alles
        iets niets vandaag gisteren morgen heel gewoon echt
    """,
}


def _stop_set(words: Iterable[str]) -> frozenset[str]:
    """The words as written (lower case, accents: what the scan returns) and folded (what keys are)."""
    kept = [w for w in words if len(w) >= WORD_MIN]
    return frozenset(kept) | frozenset(fold(w) for w in kept)


STOP_WORDS: dict[str, frozenset[str]] = {lang: _stop_set(text.split()) for lang, text in _STOP_TEXT.items()}
_ALL_STOPS = frozenset().union(*STOP_WORDS.values())
_lang_skip: dict[str, frozenset[str]] = {}  # post.lang as adapters give it ('fr', 'fr-FR', 'pt_BR') -> list

_tags: dict[str, tuple[str, str] | None] = {}  # hashtag as written -> (key, label), or None: no topic
# piece of lower-cased text between spaces -> the terms in it, stop words included (see term_topics)
_pieces: dict[str, tuple[tuple[str, str], ...]] = {}


def is_hashtag(key: str) -> bool:
    """Whether a topic key (or a label) is a hashtag's; otherwise it is a term's."""
    return key.startswith("#")


def hashtag_topic(tag: str) -> tuple[str, str] | None:
    """(key, label) of one hashtag as an adapter gives it ('#Réseau' or 'Réseau'), or None when it
    is no topic (no letter, too short or too long: see the module's docstring)."""
    if tag in _tags:
        return _tags[tag]
    name = tag.strip().lstrip("#").strip()
    key = fold(name)
    found: tuple[str, str] | None = None
    if TAG_MIN <= len(key) <= TAG_MAX and not any(c.isspace() for c in key) and _HAS_LETTER.search(key):
        found = ("#" + key, "#" + name)
    if len(_tags) >= CACHE_MAX:
        _tags.clear()
    _tags[tag] = found
    return found


def _skip_for(lang: str | None) -> frozenset[str]:
    if not lang:
        return _ALL_STOPS
    skip = _lang_skip.get(lang)
    if skip is None:
        primary = lang.replace("_", "-").split("-", 1)[0].lower()
        skip = STOP_WORDS.get(primary, _ALL_STOPS)
        if len(_lang_skip) < 1000:  # a bounded memo, whatever adapters put in `lang`
            _lang_skip[lang] = skip
    return skip


def _token_terms(token: str) -> tuple[tuple[str, str], ...]:
    """The terms in one whitespace-separated piece of lower-cased text, stop words included: the
    scan gives the same words piece by piece as over the whole text, as none of its matches spans a
    space (a URL ends at one, and the next-character checks see a space either way)."""
    return tuple((w if w.isascii() else fold(w), w) for w in _SCAN.findall(token) if w)  # already lower case


def term_topics(text: str, lang: str | None = None) -> list[tuple[str, str]]:
    """(key, label) of each term of `text`, once each, in the order they first appear; the label is
    the key's last spelling in the text."""
    if len(text) > TEXT_SCANNED:
        cut = text.rfind(" ", 0, TEXT_SCANNED)  # never half a word
        text = text[: cut if cut > 0 else TEXT_SCANNED]
    text = text.lower()
    if "://" in text or "www." in text:  # URLs never come twice: out before the cache sees them
        text = _URLS.sub(" ", text)
    tokens = text.split()
    # Word by word in Python would cost a few hundred ns a word; instead each piece of text between
    # spaces is looked up in a cache of the terms it holds (pieces repeat: words, with their commas,
    # brands' handles, hashtags), and the lists are merged and stripped of stop words by dict and set
    # operations, in C. A piece seen for the first time costs a scan (about a microsecond).
    hits = list(map(_pieces.get, tokens))
    if None in hits:
        hits = [_terms_of(t) if f is None else f for t, f in zip(tokens, hits, strict=True)]
    found = cast(list[tuple[tuple[str, str], ...]], hits)  # no None left
    terms = dict(chain.from_iterable(found))  # key -> label (its last spelling), in order of appearance
    for stop in _skip_for(lang).intersection(terms):  # (terms.keys() & stops would walk every stop word)
        del terms[stop]
    return list(terms.items())


def _terms_of(token: str) -> tuple[tuple[str, str], ...]:
    """`_token_terms`, remembered (the cache is emptied when full: the frequent pieces come back
    within a few posts)."""
    found = () if token[0] in "@#" or token.isdigit() else _token_terms(token)
    if len(_pieces) >= CACHE_MAX:
        _pieces.clear()
    _pieces[token] = found
    return found


def topic_keys(post: Post) -> list[tuple[str, str]]:
    """The topics `post` counts towards, each key once: its hashtags first, then its terms."""
    out: list[tuple[str, str]] = []
    tags: set[str] = set()
    for tag in post.hashtags:
        found = hashtag_topic(tag)
        if found is not None and found[0] not in tags:
            tags.add(found[0])
            out.append(found)
    text = post.text
    if post.title and post.title != text:
        text = f"{post.title}\n{text}" if text else post.title
    if text:
        out += term_topics(text, post.lang)
    return out


__all__ = [
    "STOP_WORDS",
    "TAG_MAX",
    "TAG_MIN",
    "TEXT_SCANNED",
    "WORD_MAX",
    "WORD_MIN",
    "fold",
    "hashtag_topic",
    "is_hashtag",
    "term_topics",
    "topic_keys",
]
