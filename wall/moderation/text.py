"""Normalising text and finding blocked terms in it.

Term matching: case-insensitive (casefold) and accent-insensitive (NFKD, then the combining accents
of Latin, Greek and Cyrillic, Hebrew points and Arabic harakat are dropped; Indic vowel signs and
kana voicing marks are letters and stay); invisible characters are ignored: every default-ignorable
code point and format character (zero-width spaces and joiners, bidi controls, tag characters,
variation selectors, Hangul fillers), so 'id\\u200biot' and 'idiot\\ufe0f' are 'idiot'. In scripts that
separate words with spaces a term matches whole words only ('ass' blocks 'ass!' and '#ass', not
'class'; '_' separates words, as in handles); the words of a multi-word term may be separated by any
run of spaces or punctuation. Arabic words also match with the article and one-letter proclitics
before them and common suffixes after (ال / و / ب ..., ـها / ـة ...), and ى/ي, ة/ه, tatweel are
folded. Chinese, Japanese, Korean, Thai, Lao, Khmer and Myanmar write words without spaces, so a term
in those scripts matches anywhere (a substring). A term that begins or ends with a symbol (an emoji,
'#') needs no boundary on that side: '#scam' blocks the hashtag only, 'scam' blocks the word and the
hashtag.

Lookalikes match what they look like, in text and terms alike:
- compatibility forms fold (NFKD: fullwidth 'ｉｄｉｏｔ', mathematical '𝐢𝐝𝐢𝐨𝐭', circled letters), and so do
  Unicode's confusables (UTS #39, as the confusable-homoglyphs package ships them): Cyrillic 'іdіоt'
  and Greek 'ιdιοt' are 'idiot', and so are small capitals ('ɪᴅɪᴏᴛ') and negative squared letters
  ('🅸🅳🅸🅾🆃'). A capital that looks like a Latin capital also reads as it where its small letter
  does not ('ΝΟ' in Greek capitals reads 'no', though 'νο' reads 'vo'). Right-to-left letters
  (Arabic, Hebrew) and the unspaced scripts are not folded (Arabic keeps its own folds above), nor is
  ASCII: 'burn' stays 'burn' when 'bum' is blocked, and 'l' is not 'I'; ASCII lookalikes are the
  leetspeak below.
- leetspeak: a word with digits or @ $ ! | among its letters also reads as letters (0 o, 1 i or l,
  3 e, 4 a, 5 s, 7 t, 8 b, 9 g, @ a, $ s, ! i, | i or l): '1d10t', '@ss', 'a$$', '$cam', '5hut up'
  match, and so does '@$$'; whole words still ('cl@ss' is not 'ass'). Numbers, ordinals and plurals
  of numbers ('1st', '3ème', '45s') and codes of a letter and digits ('A55', 'B52') are not read as
  letters, nor is '!' at the end of a word.
- letters apart: three or more single letters (or digits, '@', '$') in a row, separated on one line
  by spaces, punctuation or emoji, read as one word: 'i d i o t', 'i.d.i.o.t', 'i🔥d🔥i🔥o🔥t', and
  's h u t u p' for 'shut up'. Only single letters join: 'I do it' stays three words, and digits
  alone stay a number ('1 0 1' is no 'lol').
Not caught: a word cut into pieces of several letters ('idi ot'), letters one per line, 'l' for 'I'
('ldiot'), 'a55' alone (a code, as 'A55'), leetspeak in a term with symbols ('#$cam' for '#scam';
'#$cam' is caught by 'scam'), a phrase of which one word is a lookalike only in capitals, and
lookalikes that neither Unicode's confusables nor the lists above know ('ph' for 'f', '+' for 't').

Cost: each post's words are looked up in a dictionary of the blocked words (plus one regular
expression for terms with symbols or unspaced scripts), on text normalised once per distinct text
(`Texts` caches it, with the places where it may read otherwise: a text without digits, signs,
single letters or such capitals has none). ASCII text is only lowercased; other text is folded by
one str.translate. The tables for that are built once per process, on its first text that is not
ASCII: about 85 ms, loading the package's data included. Measured on a 2-CPU machine (other jobs
running) against 3,000 terms: the demo's 47 posts re-filter in 0.3 ms (1 ms when their texts are
new); 500 long multilingual posts in about 9 ms, and 60 ms once, the first time they are seen (a
restart with a full store, a first poll). Before lookalikes were read: 0.25, 0.6, 7.5 and 43 ms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from itertools import islice, repeat

from feeds.model import Author, Post

# Normalised texts kept (about 1.1 KB each) unless the moderator is sized to the wall's buffers
# (Moderator.size_for): several feeds' buffers of 500 posts and their authors. When full the older
# half goes, so the texts of the posts on screen stay (they were primed last), and the render thread
# does not find them all gone at once (it would normalise them again).
TEXT_CACHE_MAX = 6_000

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
# Dropped after NFKD: accents of Latin/Greek/Cyrillic, Hebrew points, Arabic harakat and tatweel
# (the invisible characters are added to these when the lookalike tables are built).
_MARKS = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640"
)
_FOLD = {"ى": "ي", "ی": "ي", "ة": "ه", "ک": "ك"}
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------- lookalikes

_SCANNED = frozenset(("Cf", "Cn", "Mn", "Ll", "So"))  # the categories `_Lookalikes` looks at
# Other_Default_Ignorable_Code_Point (Unicode's PropList.txt) that are assigned characters;
# unicodedata has categories and names but not this property.
_OTHER_IGNORABLE = (
    "COMBINING GRAPHEME JOINER",
    "HANGUL CHOSEONG FILLER",
    "HANGUL JUNGSEONG FILLER",
    "KHMER VOWEL INHERENT AQ",
    "KHMER VOWEL INHERENT AA",
    "HANGUL FILLER",
    "HALFWIDTH HANGUL FILLER",
)
# Letters that Unicode names after a Latin letter but neither decomposes nor lists as a confusable:
# small capitals ('ᴀ') and the negative squared and circled capitals ('🅰').
_LETTER_NAMED = re.compile("(?:LATIN LETTER SMALL CAPITAL|NEGATIVE (?:SQUARED|CIRCLED) LATIN CAPITAL LETTER) ([A-Z])")


def _char_class(chars: Iterable[str]) -> str:
    """The body of a regular expression's [...] holding exactly these characters (as ranges)."""
    cps = sorted({ord(c) for c in chars})
    out: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(f"\\U{cps[i]:08x}" if i == j else f"\\U{cps[i]:08x}-\\U{cps[j]:08x}")
        i = j + 1
    return "".join(out)


class _Table(dict[int, str]):
    """A str.translate table that answers for every character: those it does not change map to
    themselves, remembered on first sight (a translate that finds every character costs a few
    nanoseconds a character; one that does not raises and catches a KeyError for each). Both the
    poller's and the render thread add to it: one item set is atomic, and both set the same."""

    def __missing__(self, cp: int) -> str:
        c = self[cp] = chr(cp)
        return c


class _Lookalikes:
    """The tables that fold lookalikes, built once from Unicode's data (on first use: about 100 ms).

    - swap, for casefolded NFKD text: accents (`_MARKS`) and invisible characters are dropped
      (Default_Ignorable_Code_Point: format characters, variation selectors, Other_Default_Ignorable_
      Code_Point, the reserved tag and selector ranges; and the other format characters); each
      character that looks like another is what it looks like: the confusables of UTS #39 joined
      with Latin small capitals ('ᴀ' is 'a'), to one representative per set of lookalikes (an ASCII
      letter where the set has one); Arabic's letter variants are folded.
    - upper: capitals that look like a Latin capital where their small letter reads otherwise ('Ν'
      is 'N', 'ν' is 'v'), for the reading of the words that hold them (`_normalize_capitals`)."""

    def __init__(self) -> None:
        # the package's data read into a dict of our own, dropped once the tables are built: importing
        # its `confusables` module would keep the whole file's objects (6 MB) for the life of the wall
        from confusable_homoglyphs.utils import load

        confusables_data = load("confusables.json")

        ignorable = {unicodedata.lookup(name) for name in _OTHER_IGNORABLE}
        named: dict[str, str] = {}
        # format characters, variation selectors and the tag characters live in planes 0, 1 and 14
        chars = "".join(map(chr, (*range(0x20000), *range(0xE0000, 0xE1000))))
        for c, cat in zip(chars, map(unicodedata.category, chars), strict=True):
            if cat not in _SCANNED:
                continue
            if cat == "Cf" or (cat == "Cn" and c >= "\U000e0000"):
                ignorable.add(c)
            elif cat == "Mn":
                if "VARIATION SELECTOR" in unicodedata.name(c, ""):
                    ignorable.add(c)
            elif cat != "Cn" and (m := _LETTER_NAMED.fullmatch(unicodedata.name(c, ""))):
                named[c] = m[1].lower()
        drop = f"[{_MARKS}{_char_class(ignorable)}]"
        self.drop = re.compile(drop + "+")
        self.no_space = re.compile(f"[{_NO_SPACE}]")

        # Sets of lookalikes: confusables.txt maps each character to its prototype; the package keeps
        # both directions of each pair (right-to-left characters between LRM marks), so the sets are
        # rebuilt as connected pairs, which is what equal skeletons mean.
        parent: dict[str, str] = {}
        groups: dict[str, set[str]] = {}  # root -> members

        def root(x: str) -> str:
            while (p := parent.get(x, x)) != x:
                parent[x] = parent.get(p, p)
                x = p
            return x

        def join(a: str, b: str, *, distinct: bool = False) -> None:
            ra, rb = root(a), root(b)
            if ra == rb:
                return
            ga, gb = groups.get(ra, {ra}), groups.get(rb, {rb})
            if distinct and len({m for m in ga | gb if len(m) == 1 and "a" <= m <= "z"}) > 1:
                return  # would make two ASCII letters one ('ᴦ', a Greek small capital, is no 'γ')
            if len(ga) > len(gb):
                ra, rb, ga, gb = rb, ra, gb, ga
            parent[ra] = rb
            groups.pop(ra, None)
            groups[rb] = gb | ga

        for key, found in confusables_data.items():
            a = key.replace("\u200e", "").replace("\u200f", "")
            for entry in found:
                b = entry["c"].replace("\u200e", "").replace("\u200f", "")
                if a and b:
                    join(a, b)
        for c, letter in named.items():  # 'ᴋ' (and with it 'ĸ', 'к', 'κ') is 'k'
            join(c, letter, distinct=True)

        def rank(x: str) -> tuple[int, int, str]:
            if len(x) == 1 and "a" <= x <= "z":
                return (0, 1, x)
            if len(x) == 1 and "A" <= x <= "Z":
                return (1, 1, x)
            # else one that casefolding leaves as it is (a capital would fold into another set)
            return (2 if x.isascii() else 3 if x == x.casefold() else 4, len(x), x)

        swap: dict[int, str] = {ord(c): "" for c in re.findall(drop, chars)}
        swap.update((ord(k), v) for k, v in _FOLD.items())
        upper: dict[int, str] = {}
        for group in groups.values():
            first = min(group, key=rank)
            rep = self._clean(first)
            if not rep or any(self._kept(c) for c in rep):
                continue
            for c in group:
                if len(c) != 1 or c.isascii() or self._kept(c) or unicodedata.normalize("NFKD", c) != c:
                    continue
                # a letter stays a letter, a digit a digit: words keep their bounds, numbers their digits
                if c.isalpha() and not rep.isalpha() or c.isdecimal() and not rep.isdecimal():
                    continue
                # a symbol like 'l' ('∣', '⏽') is the stroke '|', which leetspeak reads as i or l
                fold = "|" if rep == "l" and not c.isalnum() else rep
                if c != c.casefold():
                    if rank(first)[0] == 1:  # a capital like a Latin capital ('К', 'Ν') reads as it
                        upper[ord(c)] = fold
                elif fold != c and not self.drop.fullmatch(c):
                    swap[ord(c)] = fold
        for table in (swap, upper):  # each value as folded as it goes: one pass is enough
            for k, v in table.items():
                for _ in range(4):
                    if (w := v.translate(swap)) == v:
                        break
                    v = w
                table[k] = v
        self.swap = _Table(swap)
        # a capital needs a reading of its own only where its small letter reads differently
        self.upper = _Table({k: v for k, v in upper.items() if self.fold(chr(k)) != v})
        capitals = _char_class(map(chr, self.upper))
        self.upper_re = re.compile(f"[{capitals}]")

    def _clean(self, s: str) -> str:
        s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", s).casefold())
        return self.drop.sub("", s)

    def _kept(self, c: str) -> bool:
        """Characters never folded: right-to-left letters and digits (inside a left-to-right word
        they reorder it for all to see; Arabic has its own folds and clitics) and the unspaced
        scripts (a fold would change how their syllables split)."""
        return unicodedata.bidirectional(c) in ("R", "AL", "AN") or bool(self.no_space.match(c))

    def fold(self, text: str) -> str:
        """casefold, NFKD, without accents and invisible characters, lookalikes folded, NFC."""
        text = unicodedata.normalize("NFKD", text.casefold()).casefold()
        return unicodedata.normalize("NFC", text.translate(self.swap))


_tables: _Lookalikes | None = None
_tables_lock = threading.Lock()


def _lookalikes() -> _Lookalikes:
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = _Lookalikes()
    return _tables


def normalize(text: str) -> str:
    """Text as terms are matched against it: casefolded, accents and invisible characters dropped,
    lookalikes and Arabic letter variants folded, then recomposed (so Hangul syllables and kana stay
    whole). ASCII text is only lowercased."""
    if text.isascii():
        return text.lower()
    return _lookalikes().fold(text)


def _normalize_capitals(text: str) -> str | None:
    """The words of the text that hold a capital that reads otherwise than its small letter, read
    with their capitals' lookalikes ('ΝΟ' in Greek: 'no'); None when there is none (most texts)."""
    if text.isascii():
        return None
    tables = _lookalikes()
    text = unicodedata.normalize("NFKD", text)
    words: list[str] = []
    end = 0
    for m in tables.upper_re.finditer(text):
        start = m.start()
        if start < end:
            continue  # in the word just taken
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = m.end()
        while end < len(text) and not text[end].isspace():
            end += 1
        words.append(text[start:end])
    return tables.fold(" ".join(words).translate(tables.upper)) if words else None


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
# `_TOKEN` on ASCII text (most text, once folded): there its class is exactly the ASCII letters and
# digits, which the regex engine tests a few times faster than a class of categories and ranges
_ASCII_TOKEN = re.compile("[A-Za-z0-9]+")


def _words_of(norm: str) -> list[str]:
    """`_TOKEN.findall(norm)`."""
    return _ASCII_TOKEN.findall(norm) if norm.isascii() else _TOKEN.findall(norm)


# the same clitics as _AR_PREFIX / _AR_SUFFIX, spelt out for word lookups
_AR_PREFIXES = tuple(
    sorted(
        {a + b for a in ("", "و", "ف") for b in ("", "ال", "بال", "كال", "لال", "لل", "ب", "ك", "ل")} - {""}, key=len
    )
)
_AR_SUFFIXES = ("ه", "ها", "هم", "هن", "هما", "ك", "كم", "كن", "ي", "نا", "ات", "ون", "ين", "ان")
_AR_MIN_STEM = 2  # a clitic is only split off a word that keeps at least this many letters


# ---------------------------------------------------------------------------------- other readings

# Leetspeak: what a digit or symbol inside a word reads as. 'l' reads as 'i' too, so that '1' can be
# either ('1d10t' is 'idiot', 'k1ll' is 'kill'); both sides of a comparison go through this table.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "l": "i",
        "!": "i",
        "|": "i",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
        "9": "g",
    }
)
# numbers, ordinals and plurals of numbers ('1st', '3e', '45s', '90s') and codes of one letter and
# digits ('A55', 'B52', 'G7'): not leetspeak
_NUMBER = re.compile(r"[^\W\d_]?\d+(?:s|st|nd|rd|th|e|er|re|eme|o|a)?")
# single letters apart: three or more, each alone between separators (not a new line) on both sides
_UNIT = f"(?:{_WORD}|[@$])"
_SEPARATOR = "(?:[^\\w@$\\n]|_)"
_APART = f"(?<!{_WORD})(?<![@$]){_UNIT}(?:{_SEPARATOR}{{1,5}}{_UNIT}){{2,}}(?!{_WORD})(?![@$])"
_SEPARATORS = re.compile(_SEPARATOR)
_LONE_SIGN = re.compile(r"[@$](?![\w@$])(?<![\w@$].)")
_APART_RE = re.compile(_APART)
# a leetspeak word: letters and signs, a sign against a letter ('1d', 'a$', '@s'; '!' and '|' between
# two letters: 'sh!t', not 'wow!')
_LETTER = "[^\\W\\d_]"
_SIGN_AT = re.compile(f"[0-9@$!|](?:(?<={_LETTER}.)|(?={_LETTER}))")
_IS_LETTER = re.compile(_LETTER)
_ALL_SIGNS = re.compile(r"(?<![\w@$!|])[@$!|]*[@$][@$!|]*(?![\w@$!|])")  # '@$$': no letter, no digit
_SIGNED = re.compile(f"(?:{_WORD}|[@$!|])+")
_SIGNED_CHAR = re.compile(f"{_WORD}|[@$!|]")

# A place where text may read otherwise: (start, end, candidates, the words as written there,
# letters apart).
_Special = tuple[int, int, tuple[str, ...], tuple[str, ...], bool]


def _specials(norm: str, words: list[str]) -> list[_Special]:
    """Where normalised text (`words`: its words) may read otherwise, in order: letters apart, words
    with leetspeak signs."""
    found: list[_Special] = []
    # letters apart need three words of one letter in a row (two and a lone '@' or '$'): most texts have none
    try:
        lengths = bytes(map(len, words))
    except ValueError:  # a word of more than 255 letters
        lengths = bytes(map(min, map(len, words), repeat(2)))
    if b"\1\1\1" in lengths or b"\1\1" in lengths and _LONE_SIGN.search(norm):
        for m in _APART_RE.finditer(norm):
            joined = _SEPARATORS.sub("", m.group())
            if _NUMBER.fullmatch(joined) or not (_IS_LETTER.search(joined) or "@" in joined or "$" in joined):
                continue  # '1, 0.1', 'A 5 5': numbers and codes, as written
            found.append((m.start(), m.end(), (joined,), (joined,), True))
    end = 0
    for m in _SIGN_AT.finditer(norm):
        start, stop = m.span()
        if start < end:
            continue  # in the word just read
        if m.group() in "!|" and not (start and _IS_LETTER.match(norm, start - 1) and _IS_LETTER.match(norm, stop)):
            continue  # 'wow!'
        while start > 0 and _SIGNED_CHAR.match(norm, start - 1):
            start -= 1
        word = _SIGNED.match(norm, start)
        if word is None:  # cannot happen: norm[start] is a letter or a sign
            continue
        end = word.end()
        s = word.group()
        if _NUMBER.fullmatch(s) or any(f[0] < end and start < f[1] for f in found):
            continue  # '45s', 'A55'; letters apart around it
        stripped = s.strip("!|")  # 'a$$!' is 'a$$' and an exclamation mark
        candidates = (s, stripped) if stripped and stripped != s else (s,)
        found.append((start, end, candidates, tuple(_words_of(s)), False))
    if "$$" in norm or "@$" in norm or "$@" in norm or "@@" in norm:  # '@$$', '$$$' ...
        for m in _ALL_SIGNS.finditer(norm):
            s, (start, end) = m.group(), m.span()
            stripped = s.strip("!|")
            if len(stripped) > 1 and not any(f[0] < end and start < f[1] for f in found):  # not a lone '@'
                found.append((start, end, (s, stripped) if stripped != s else (s,), (), False))
    found.sort(key=lambda f: f[0])
    return found


class _Words:
    """Normalised text and its words (runs of letters and digits of spaced scripts); for Arabic
    text, also each word without its clitics (computed once, when first asked)."""

    __slots__ = ("norm", "words", "arabic", "_forms")

    def __init__(self, norm: str, words: list[str], arabic: bool | None = None):
        self.norm = norm
        self.words = words
        if arabic is None:
            arabic = not norm.isascii() and _ARABIC_LETTER.search(norm) is not None
        self.arabic = arabic
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


class _Reading:
    """Another way a person reads a text: leetspeak, letters apart (`specials`), or the words that
    hold capitals read with their lookalikes (`whole`: words of their own). Its words depend on the
    blocked terms (a leetspeak word reads as the blocked word it can be): `TermMatcher._read`."""

    __slots__ = ("norm", "words", "specials", "whole", "arabic")

    def __init__(self, norm: str, words: list[str], specials: list[_Special], whole: bool):
        self.norm = norm
        self.words = words
        self.specials = specials
        self.whole = whole
        self.arabic = not norm.isascii() and _ARABIC_LETTER.search(norm) is not None

    def words_with(self, read: dict[int, tuple[str, ...]]) -> list[str]:
        """The words, with the words at specials[i] read as read[i] (the others as written)."""
        if not self.specials:
            return self.words
        out: list[str] = []
        start = 0
        for i, (a, b, _, written, _) in enumerate(self.specials):
            if a > start:
                out += _TOKEN.findall(self.norm, start, a)
            out += read.get(i, written)
            start = b
        out += _TOKEN.findall(self.norm, start)
        return out


class NormalizedText(_Words):
    """A text as terms are matched against it: normalised, its words, and its other readings
    (computed once per distinct text: texts are cached)."""

    __slots__ = ("readings",)

    def __init__(self, raw: str):
        norm = normalize(raw)
        super().__init__(norm, _words_of(norm))
        readings = []
        if found := _specials(norm, self.words):
            readings.append(_Reading(norm, self.words, found, False))
        capitals = _normalize_capitals(raw)
        if capitals:
            words = _words_of(capitals)
            readings.append(_Reading(capitals, words, _specials(capitals, words), True))
        self.readings = tuple(readings)


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
    expression. Both follow the rules of `term_pattern`. A text's other readings (leetspeak, letters
    apart, capitals' lookalikes) are looked up the same way."""

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
        # Leetspeak: each word of a term by how it reads (single-word terms first, for a word that
        # two terms share), and multi-word terms written as one ('s h u t u p' for 'shut up').
        self.leet: dict[str, tuple[str, ...]] = {}
        self.joined: dict[str, tuple[str, ...]] = {}
        for norm in sorted(self.words, key=lambda n: (n.count(" "), n)):
            parts = norm.split(" ")
            for w in parts:
                self.leet.setdefault(w.translate(_LEET), (w,))
            if len(parts) > 1:
                self.joined.setdefault("".join(parts).translate(_LEET), tuple(parts))

    def find(self, text: NormalizedText) -> str | None:
        """The first blocked term (as written) in the text, or None."""
        hit = self._in_words(text)
        if hit is None and self.regex is not None:
            hit = self._in_others(text.norm)
        for reading in text.readings:
            if hit is not None:
                break
            if self.words and (words := self._read(reading)) is not None:
                hit = self._in_words(_Words(reading.norm, words, reading.arabic))
            if hit is None and self.regex is not None and reading.whole:
                hit = self._in_others(reading.norm)
        return hit

    def _read(self, reading: _Reading) -> list[str] | None:
        """The words of another reading: each leetspeak word as the blocked word it reads as, or as
        written; letters apart joined (as a blocked word or phrase they read as). None when that
        changes no word of the text."""
        leet, joined = self.leet, self.joined
        read: dict[int, tuple[str, ...]] = {}
        for i, (_, _, candidates, _, apart) in enumerate(reading.specials):
            for c in candidates:
                key = c.translate(_LEET)
                if (hit := leet.get(key) or (joined.get(key) if apart else None)) is not None:
                    read[i] = hit
                    break
        if not read and not reading.whole:
            return None
        return reading.words_with(read)

    def _in_words(self, text: _Words) -> str | None:
        words, toks = self.words, text.words
        if not words or not toks:
            return None
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
        return None

    def _in_others(self, norm: str) -> str | None:
        if self.regex is not None and self.regex.search(norm):
            for term, written in self.others:
                if re.search(term_pattern(term), norm):
                    return written
        return None


class Texts:
    """Normalised texts by raw text, for everything of a post or an author that terms are matched
    against. Filled ahead of the render thread by `Moderator.prime` (on the poller's thread); dict
    operations are atomic, so both threads use it without a lock."""

    def __init__(self, limit: int = TEXT_CACHE_MAX) -> None:
        self.limit = limit
        self._done: dict[str, NormalizedText] = {}

    def of(self, raw: str) -> NormalizedText:
        done = self._done.get(raw)
        if done is None:
            if len(self._done) >= self.limit:
                # the oldest entries first (insertion order); list() takes them in one C call
                for old in list(islice(self._done, max(1, self.limit // 2))):
                    self._done.pop(old, None)
            done = self._done[raw] = NormalizedText(raw)
        return done

    def post(self, p: Post) -> NormalizedText:
        alts = " ".join(m.alt for m in p.media if m.alt)
        return self.of("\n".join((p.text, p.title or "", " ".join(p.hashtags), alts, p.author.name, p.author.handle)))

    def author(self, a: Author) -> NormalizedText:
        return self.of(f"{a.name}\n{a.handle}")
