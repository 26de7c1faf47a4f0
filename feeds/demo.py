"""The demo source: deterministic, realistic, multilingual data with no network.

Everything is a pure function of the time asked for (bucketed to the minute), so a render at a
given --time always shows the same posts, figures and spike, and a live demo wall slowly evolves.
The content models an operator's brand account ("Orange"-like telco) in several countries.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, datetime, timedelta

from .model import Author, LeaderboardEntry, Media, Metric, Post, PostMetrics, Sentiment

SOURCE = "demo"

# (handle, name, followers, country, verified)
AUTHORS = [
    ("camille_tech", "Camille Martin", 184_000, "FR", True),
    ("j_dupont", "Julien Dupont", 2_340, "FR", False),
    ("laila.k", "ليلى خالد", 56_200, "MA", False),
    ("yossi_levi", "יוסי לוי", 12_800, "IL", False),
    ("haruto_s", "佐藤 陽翔", 98_100, "JP", True),
    ("wangfang", "王芳", 7_450, "CN", False),
    ("maria.garcia", "María García", 31_900, "ES", False),
    ("techreview", "Tech Review Daily", 1_250_000, "GB", True),
    ("anna_k", "Anna Kowalska", 4_120, "PL", False),
    ("sam_o", "Samuel Okafor", 22_700, "NG", False),
    ("lena.b", "Lena Becker", 15_300, "DE", False),
    ("fatou_diop", "Fatou Diop", 88_000, "SN", True),
    ("ines.r", "Inès Rahmani", 9_900, "TN", False),
    ("noah.w", "Noah Williams", 640, "US", False),
]

# (text, lang, sentiment score, hashtags, author index, image?)
POSTS = [
    (
        "Super accueil en boutique aujourd'hui 👏 merci @Orange pour le changement de forfait en 10 minutes",
        "fr",
        0.8,
        ("#service",),
        1,
        False,
    ),
    ("خدمة العملاء كانت رائعة اليوم 👍 شكراً على السرعة", "ar", 0.7, ("#خدمة",), 2, False),
    ("השירות היה מצוין, תודה רבה! 🙌", "he", 0.75, (), 3, False),
    ("新しい5Gプランに変更しました📱 本当に速い！", "ja", 0.85, ("#5G",), 4, True),
    ("网络今天很慢 😤 什么时候能修好？", "zh", -0.6, ("#网络",), 5, False),
    ("¿Alguien más sin fibra en Madrid desde esta mañana? 😡", "es", -0.7, ("#fibra", "#averia"), 6, False),
    (
        "The new fibre box is a big step up: setup took five minutes and Wi-Fi reaches the garden now 🚀",
        "en",
        0.6,
        ("#fibre",),
        7,
        True,
    ),
    ("Dzięki za szybką odpowiedź na czacie 💬", "pl", 0.6, (), 8, False),
    ("Still waiting for a technician, third call this week. Not impressed.", "en", -0.75, ("#support",), 9, False),
    ("Endlich stabiles Internet im Homeoffice 🙏", "de", 0.5, ("#homeoffice",), 10, False),
    ("Merci Orange ❤️ شكراً جزيلاً pour la réparation rapide au Sénégal 🇸🇳", "fr", 0.9, ("#merci",), 11, False),
    ("Panne réseau à Tunis depuis 2 heures… des nouvelles ? 📵", "fr", -0.5, ("#panne",), 12, False),
    ("Roaming in Japan worked out of the box. Nice. 🇯🇵✈️", "en", 0.55, ("#roaming",), 13, False),
    (
        "Le lancement du nouveau forfait jeunes est bien pensé, les prix sont clairs 👍",
        "fr",
        0.65,
        ("#lancement",),
        0,
        True,
    ),
    (
        "La app nueva es mucho más rápida, por fin puedo ver mi consumo en tiempo real 📊",
        "es",
        0.6,
        ("#app",),
        6,
        False,
    ),
    (
        "Facture incompréhensible ce mois-ci, le service client n'a pas su m'expliquer 🤔",
        "fr",
        -0.55,
        ("#facture",),
        1,
        False,
    ),
    (
        "Great coverage at the stadium tonight, streamed the whole match in HD ⚽",
        "en",
        0.7,
        ("#5G", "#match"),
        7,
        False,
    ),
    ("التغطية ضعيفة في الريف، نحتاج إلى أبراج جديدة", "ar", -0.4, ("#تغطية",), 2, False),
    ("Le support a répondu en 4 min sur X, impressionnant 😮", "fr", 0.7, ("#service",), 0, False),
    ("Neutral take: the price change is in line with the rest of the market.", "en", 0.0, ("#prices",), 9, False),
]

HEADLINES = [
    ("Les Echos", "Le marché des télécoms accélère sur la fibre en zones rurales"),
    ("Le Monde", "5G : les opérateurs promettent une couverture de 90 % d'ici 2027"),
    ("Financial Times", "European telcos bet on network sharing to cut costs"),
    ("Jeune Afrique", "Mobile money : l'Afrique de l'Ouest en tête de l'adoption"),
    ("El País", "La guerra de precios de la fibra llega a las ciudades medianas"),
    ("Reuters", "Operator reports record customer-satisfaction scores in Q3"),
    ("Le Figaro", "Panne géante : comment les opérateurs gèrent la crise en direct"),
]

# Activity per country: the 30 countries a group like Orange follows.
COUNTRIES = {
    "FR": 4200,
    "ES": 1850,
    "PL": 1100,
    "BE": 640,
    "RO": 720,
    "SK": 260,
    "MD": 120,
    "LU": 90,
    "SN": 980,
    "CI": 860,
    "CM": 700,
    "MA": 810,
    "TN": 560,
    "EG": 1300,
    "JO": 300,
    "ML": 410,
    "BF": 280,
    "GN": 260,
    "MG": 240,
    "CD": 530,
    "CF": 60,
    "GW": 40,
    "LR": 90,
    "SL": 110,
    "BW": 70,
    "GB": 520,
    "DE": 460,
    "US": 390,
    "JP": 180,
    "CN": 150,
}

TOPICS = [
    "#5G",
    "#fibre",
    "#service",
    "#panne",
    "#lancement",
    "#roaming",
    "#app",
    "#facture",
    "#homeoffice",
    "#match",
    "#merci",
    "#support",
]


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _minute(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(second=0, microsecond=0)


def _label(score: float) -> str:
    return "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"


def _author(i: int) -> Author:
    handle, name, followers, _, verified = AUTHORS[i]
    return Author(id=f"demo:{handle}", handle=f"@{handle}", name=name, followers=followers, verified=verified)


def posts(t: datetime, count: int = 40) -> list[Post]:
    """The most recent `count` posts at time t: one every ~3 minutes, cycling through the pool."""
    now = _minute(t)
    out = []
    step = 3
    base = int(now.timestamp() // 60) // step  # index of the newest post
    for k in range(count):
        n = base - k
        text, lang, score, tags, ai, has_image = POSTS[n % len(POSTS)]
        rng = _rng("post", n)
        # within the 3 minutes before its slot, so a post never dates from after `t` and keeps
        # one fixed time as the demo runs on (its age grows, it is never "now" twice)
        published = datetime.fromtimestamp(n * step * 60, UTC) - timedelta(seconds=rng.randint(0, 170))
        followers = AUTHORS[ai][2]
        likes = int(rng.paretovariate(1.6) * 8 * (1 + math.log10(followers)))
        network = ("x", "mastodon", "bluesky")[n % 3]
        out.append(
            Post(
                key=f"{SOURCE}:{n}",
                source=SOURCE,
                network=network,
                url=f"https://example.invalid/{network}/{n}",
                published_at=published,
                text=text,
                lang=lang,
                author=_author(ai),
                media=(Media(kind="image", url=f"asset:demo/photo{n % 3 + 1}.png", alt="photo shared with the post"),)
                if has_image
                else (),
                metrics=PostMetrics(
                    likes=likes, reposts=likes // rng.randint(3, 8), replies=likes // rng.randint(4, 12)
                ),
                reach=followers * rng.randint(2, 6),
                sentiment=Sentiment(score=score, label=_label(score)),
                country=AUTHORS[ai][3],
                hashtags=tags,
            )
        )
    return out


def headlines(t: datetime) -> list[Post]:
    now = _minute(t)
    out = []
    for i, (outlet, title) in enumerate(HEADLINES):
        published = now - timedelta(minutes=17 * i + 5)
        out.append(
            Post(
                key=f"{SOURCE}:press:{i}",
                source=SOURCE,
                network="rss",
                url=f"https://example.invalid/press/{i}",
                published_at=published,
                title=title,
                text=title,
                author=Author(id=f"demo:press:{outlet}", name=outlet),
                kind="article",
            )
        )
    return out


def _spike(minutes_ago: float) -> float:
    """A burst of mentions peaking 95 minutes before 'now' (the demo's incident)."""
    return 5.0 * math.exp(-(((minutes_ago - 95) / 18) ** 2))


def volume_series(t: datetime, hours: int = 24, step_min: int = 15) -> dict[str, tuple[tuple[datetime, float], ...]]:
    now = _minute(t)
    now = now - timedelta(minutes=now.minute % step_min)
    series: dict[str, list[tuple[datetime, float]]] = {"positive": [], "neutral": [], "negative": []}
    for k in range(hours * 60 // step_min, -1, -1):
        at = now - timedelta(minutes=k * step_min)
        rng = _rng("volume", at.isoformat())
        daily = 0.55 + 0.45 * math.sin((at.hour + at.minute / 60 - 8) / 24 * 2 * math.pi)
        base = 40 + 60 * max(0.1, daily)
        spike = _spike(k * step_min)
        series["positive"].append((at, round(base * 0.46 * rng.uniform(0.85, 1.15))))
        series["neutral"].append((at, round(base * 0.34 * rng.uniform(0.85, 1.15))))
        series["negative"].append((at, round(base * (0.20 + 0.5 * spike) * rng.uniform(0.85, 1.15))))
    return {k: tuple(v) for k, v in series.items()}


LOCATED_SHARE = 0.85  # of the mentions, those whose country is known (the rest carry no location)


def _countries(total: int, now: datetime) -> dict[str, int]:
    """The mentions per country, a share of the same 24 h total the tone and mention figures show:
    a map whose countries add up to more than the wall's mention count tells another story."""
    weight = sum(COUNTRIES.values())
    located = total * LOCATED_SHARE
    # within 10 % of each country's share, so the sum stays under the total whatever the draw
    return {
        c: max(1, round(located * v / weight * _rng("country", c, now.hour).uniform(0.9, 1.1)))
        for c, v in COUNTRIES.items()
    }


def metrics(t: datetime) -> dict[str, Metric]:
    now = _minute(t)
    rng = _rng("metrics", now.isoformat())
    wobble = math.sin(now.timestamp() / 900)
    vol = volume_series(t)
    pos = sum(v for _, v in vol["positive"][-96:])
    neu = sum(v for _, v in vol["neutral"][-96:])
    neg = sum(v for _, v in vol["negative"][-96:])
    total = pos + neu + neg
    topics = {tag: round(400 * (0.78**i) * rng.uniform(0.9, 1.1)) for i, tag in enumerate(TOPICS)}
    leaders = sorted(range(len(AUTHORS)), key=lambda i: -AUTHORS[i][2] * _rng("lead", i, now.hour).uniform(0.5, 1.5))
    m = {
        "care.first_reply_min": Metric(
            name="Average first reply",
            unit="min",
            value=round(14 + 4 * wobble, 1),
            previous=16.5,
            target=18,  # a normal day meets it; the alert rule's breach (30) is a crisis
            warn=22,
            breach=30,
            higher_is_better=False,
            window="24h",
            benchmarks={"Competitor A": 19.0, "Competitor B": 27.5},
            computed_at=now,
            provenance="demo",
        ),
        "care.response_rate": Metric(
            name="Response rate",
            unit="%",
            value=round(91 + 3 * wobble, 1),
            previous=89.0,
            target=90,
            warn=88,
            breach=80,
            higher_is_better=True,
            window="24h",
            benchmarks={"Competitor A": 86.0, "Competitor B": 78.0},
            computed_at=now,
            provenance="demo",
        ),
        "care.waiting": Metric(
            name="Waiting in queue",
            unit="tickets",
            value=float(max(0, round(9 + 7 * wobble))),
            previous=12.0,
            target=12,  # the one figure a normal day sometimes misses: the wall shows it honestly
            warn=15,
            breach=25,
            higher_is_better=False,
            computed_at=now,
            provenance="demo",
        ),
        "care.pickup_min": Metric(
            name="Wait before pick-up",
            unit="min",
            value=round(6 + 2 * wobble, 1),
            previous=7.5,
            target=8,
            warn=10,
            breach=20,
            higher_is_better=False,
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "kpi.followers": Metric(
            name="Followers",
            value=float(1_284_500 + int(now.timestamp() // 60) % 1000),
            previous=1_262_300.0,
            window="30d",
            computed_at=now,
            provenance="demo",
            series=tuple(
                (now - timedelta(days=29 - d), 1_262_300 + d * 760 + rng.randint(-300, 300)) for d in range(30)
            ),
        ),
        "kpi.engagement_rate": Metric(
            name="Engagement rate",
            unit="%",
            value=round(3.4 + 0.3 * wobble, 2),
            previous=3.1,
            window="7d",
            computed_at=now,
            provenance="demo",
        ),
        "kpi.posts": Metric(
            name="Posts",
            value=float(total),
            previous=float(round(total * 0.86)),
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "kpi.reach": Metric(
            name="Estimated reach",
            value=float(48_200_000 + 900_000 * wobble),
            previous=51_000_000.0,
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "sentiment": Metric(
            name="Tone",
            unit="posts",
            breakdown={"positive": pos, "neutral": neu, "negative": neg},
            previous=round(100 * pos / max(1, total)) - 3.0,
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "volume": Metric(
            name="Mentions",
            unit="posts/15 min",
            series=tuple(
                (a, vol["positive"][i][1] + vol["neutral"][i][1] + vol["negative"][i][1])
                for i, (a, _) in enumerate(vol["positive"])
            ),
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "volume.positive": Metric(name="Positive", series=vol["positive"], computed_at=now, provenance="demo"),
        "volume.neutral": Metric(name="Neutral", series=vol["neutral"], computed_at=now, provenance="demo"),
        "volume.negative": Metric(name="Negative", series=vol["negative"], computed_at=now, provenance="demo"),
        "topics": Metric(
            name="Trending topics", unit="posts", breakdown=topics, window="24h", computed_at=now, provenance="demo"
        ),
        "countries": Metric(
            name="Activity per country",
            unit="posts",
            breakdown=_countries(total, now),
            window="24h",
            computed_at=now,
            provenance="demo",
        ),
        "influencers": Metric(
            name="Influencers",
            window="7d",
            computed_at=now,
            provenance="demo",
            leaderboard=tuple(
                LeaderboardEntry(
                    author=_author(i),
                    mentions=(mentions := _rng("mentions", i, now.hour).randint(3, 40)),
                    reach=AUTHORS[i][2] * 3,
                    # interactions their posts got (a count, as every source's leaderboard gives it)
                    engagement=float(mentions * _rng("eng", i).randint(20, 160)),
                )
                for i in leaders[:10]
            ),
        ),
    }
    return m
