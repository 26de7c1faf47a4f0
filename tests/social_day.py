"""A day and a half of a brand's social mentions, generated from a seed: the data set the figure tests
replay, and the truth they compare the wall with, computed here independently of the wall's code.

Shape, so the figures have something to get right: a daily rhythm (quiet nights, a busy evening) and
an outage spike in the last hours; authors follow a heavy-tailed law (a few post dozens of times a
day, most once); hashtags are written in mixed case and with and without accents ('#Réseau',
'#reseau'), a few are numbers only ('#22': no topic), and some posts carry none; tones, countries,
languages and networks are drawn with fixed weights. Nothing here is tuned to the wall's buckets:
times are spread over every second.
"""

from __future__ import annotations

import csv
import math
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

TONES = ("positive", "neutral", "negative")
TONE_WEIGHTS = (0.42, 0.33, 0.25)
NETWORKS = (("mastodon", 0.45), ("bluesky", 0.35), ("x", 0.20))
LANGS = (("fr", 0.55), ("en", 0.30), ("es", 0.15))
COUNTRIES = (
    ("FR", 30), ("SN", 9), ("CI", 8), ("MA", 7), ("ES", 6), ("BE", 5), ("CH", 4), ("CM", 4), ("TN", 3),
    ("DZ", 3), ("GB", 3), ("US", 3), ("DE", 2), ("IT", 2), ("PT", 2), ("CA", 2), ("ML", 1), ("BF", 1),
)  # fmt: skip
TAGS = (
    "#Fibre", "#fibre", "#Réseau", "#reseau", "#panne", "#Panne", "#5G", "#service", "#merci", "#forfait",
    "#Dakar", "#Abidjan", "#Paris", "#livebox", "#client", "#facture", "#box", "#mobile", "#wifi", "#débit",
    "#debit", "#assistance", "#SAV", "#roaming", "#promo", "#iPhone", "#TV", "#sport", "#Casablanca", "#Lyon",
)  # fmt: skip
NUMERIC_TAGS = ("#22", "#2026", "#1")
WORDS = {
    "fr": "la connexion fibre coupe depuis matin technicien passe demain merci équipe réseau lent ce soir".split(),
    "en": "the fibre connection dropped again this morning engineer coming tomorrow thanks network slow".split(),
    "es": "la conexión fibra cortada desde mañana técnico viene gracias equipo red lenta esta noche".split(),
}


@dataclass(frozen=True)
class Row:
    id: str
    at: datetime
    network: str
    author_id: str
    author_handle: str
    author_name: str
    followers: int
    text: str
    tags: tuple[str, ...]
    lang: str
    country: str
    tone: str
    likes: int
    reposts: int
    replies: int


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [p for _, p in weighted])[0]


def generate(seed: int = 11, posts: int = 50_000, end: datetime | None = None, hours: float = 36.0) -> list[Row]:
    """`posts` rows over the `hours` before `end`, oldest first."""
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    span = hours * 3600

    def rate(s: float) -> float:  # relative volume at s seconds from the start
        hour = (end - timedelta(seconds=span - s)).hour
        day = 0.25 + 0.75 * max(0.0, math.sin((hour - 6) / 24 * 2 * math.pi)) if 6 <= hour <= 23 else 0.12
        spike = 4.0 if span - 3 * 3600 < s < span - 2 * 3600 else 1.0  # the outage, hours -3 to -2
        return day * spike

    # times by rejection sampling against the rhythm: every second equally likely under the curve
    peak = 4.0
    times: list[float] = []
    while len(times) < posts:
        s = rng.uniform(0, span)
        if rng.uniform(0, peak) < rate(s):
            times.append(s)
    times.sort()
    authors = 20_000
    weights = [1 / (i + 30) for i in range(authors)]  # heavy-tailed: a few speak dozens of times a day
    rows = []
    for n, s in enumerate(times):
        a = rng.choices(range(authors), weights)[0]
        lang = _pick(rng, LANGS)
        k = rng.choices((0, 1, 2, 3), (0.25, 0.4, 0.25, 0.1))[0]
        tags = tuple(dict.fromkeys(rng.choice(TAGS) for _ in range(k)))
        if rng.random() < 0.03:
            tags += (rng.choice(NUMERIC_TAGS),)
        words = " ".join(rng.choice(WORDS[lang]) for _ in range(rng.randint(5, 14)))
        rows.append(
            Row(
                id=f"p{n:06d}",
                at=end - timedelta(seconds=span - s),
                network=_pick(rng, NETWORKS),
                author_id=f"a{a:05d}",
                author_handle=f"user{a}",
                author_name=f"Person {a}",
                followers=int(50 * (authors / (a + 1)) ** 1.2),
                text=f"{words} {' '.join(tags)}".strip(),
                tags=tags,
                lang=lang,
                country=rng.choices([c for c, _ in COUNTRIES], [w for _, w in COUNTRIES])[0],
                tone=rng.choices(TONES, TONE_WEIGHTS)[0],
                likes=rng.randint(0, 40),
                reposts=rng.randint(0, 10),
                replies=rng.randint(0, 6),
            )
        )
    return rows


COLUMNS = (
    "id", "created_at", "network", "author_id", "author_handle", "author_name", "followers", "text", "lang",
    "country", "sentiment", "likes", "reposts", "replies",
)  # fmt: skip
MAPPING = {
    "id": "id", "published_at": "created_at", "network": "network", "author_id": "author_id",
    "author_handle": "author_handle", "author_name": "author_name", "author_followers": "followers",
    "text": "text", "lang": "lang", "country": "country", "sentiment": "sentiment", "likes": "likes",
    "reposts": "reposts", "replies": "replies",
}  # fmt: skip


def record(r: Row) -> dict[str, str]:
    """The row as a CSV file holds it: column -> text."""
    values = (r.id, r.at.isoformat().replace("+00:00", "Z"), r.network, r.author_id, r.author_handle,
              r.author_name, r.followers, r.text, r.lang, r.country, r.tone, r.likes, r.reposts, r.replies)  # fmt: skip
    return dict(zip(COLUMNS, map(str, values), strict=True))


def write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(record(r) for r in rows)


# ------------------------------------------------------------------------------------ the truth


def fold(tag: str) -> str:
    """A hashtag as one topic: case and accents do not make another one."""
    decomposed = unicodedata.normalize("NFKD", tag.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Truth:
    posts: int
    tones: Counter[str]
    authors: Counter[str]  # author id -> posts
    topics: Counter[str]  # folded hashtag -> posts
    countries: Counter[str]

    def share(self, tone: str) -> float:
        return self.tones[tone] / max(1, sum(self.tones.values()))


def truth(rows: list[Row], start: datetime, end: datetime) -> Truth:
    """What every post published in [start, end] adds up to."""
    inside = [r for r in rows if start <= r.at <= end]
    topics: Counter[str] = Counter()
    for r in inside:
        topics.update({fold(t) for t in r.tags if not t[1:].isdigit()})
    return Truth(
        len(inside),
        Counter(r.tone for r in inside),
        Counter(r.author_id for r in inside),
        topics,
        Counter(r.country for r in inside),
    )


def window_start(t: datetime, length: timedelta) -> datetime:
    """Where the wall's window of this length ending at t starts (wall/store/windows.py: on a quarter
    hour for windows up to 48 h)."""
    step = 900 if length <= timedelta(hours=48) else 3600
    return datetime.fromtimestamp(((t - length).timestamp() // step) * step, UTC)
