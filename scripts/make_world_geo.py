"""Build assets/geo/ne_110m_countries.json, the country shapes the `map` widget paints.

Source: Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), as bundled in
the geopandas 0.14.4 wheel (geopandas/datasets/naturalearth_lowres, made from
ne_110m_admin_0_countries.zip by geopandas' naturalearth_creation.py, which also puts Crimea with
Ukraine and replaces ISO_A3 "-99" by ADM0_A3 for sovereign countries such as France and Norway).

This script is a one-off tool, not part of the product: its two helpers live in a throwaway venv,
never in pyproject.toml.

    python3 -m venv /tmp/geo-venv && /tmp/geo-venv/bin/pip install pyshp pycountry
    /tmp/geo-venv/bin/pip download --no-deps geopandas==0.14.4 -d /tmp/geo
    cd /tmp/geo && unzip -o geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*'
    /tmp/geo-venv/bin/python scripts/make_world_geo.py \
        /tmp/geo/geopandas/datasets/naturalearth_lowres/naturalearth_lowres

Output: one entry per country with its ISO 3166-1 alpha-2 code (the key feeds use), alpha-3 code,
name, continent and rings. A ring is a flat list [x0, y0, x1, y1, ...] of longitude/latitude in
tenths of a degree (integers: 0.1 degree is ~11 km, far below a pixel on any wall map), with
repeated points dropped. Rings are painted with the even-odd rule, so holes need no orientation.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pycountry  # throwaway venv only
import shapefile  # pyshp, throwaway venv only

OUT = Path(__file__).resolve().parent.parent / "assets" / "geo" / "ne_110m_countries.json"
SCALE = 10  # coordinates are stored as round(degrees * SCALE)

# Natural Earth codes that pycountry does not know.
A2_OVERRIDES = {
    "-99:Kosovo": "XK",  # user-assigned code, used by the EU and most data vendors
}
NO_ISO = {"CYN", "SOL"}  # N. Cyprus, Somaliland: drawn as land, no ISO 3166-1 code of their own


def alpha2(a3: str, name: str) -> str | None:
    key = f"{a3}:{name}"
    if key in A2_OVERRIDES:
        return A2_OVERRIDES[key]
    if a3 in NO_ISO:
        return None
    country = pycountry.countries.get(alpha_3=a3)
    if country is None:
        raise SystemExit(f"no ISO 3166-1 alpha-2 code for {name} ({a3}); add it to A2_OVERRIDES")
    return country.alpha_2


def ring(points: list[tuple[float, float]]) -> list[int] | None:
    flat: list[int] = []
    last = None
    for lon, lat in points:
        p = (round(lon * SCALE), round(lat * SCALE))
        if p != last:
            flat.extend(p)
            last = p
    if len(flat) >= 4 and flat[:2] == flat[-2:]:
        flat = flat[:-2]  # closing point: paths close themselves
    return flat if len(flat) >= 6 else None


def main(shp: str) -> None:
    reader = shapefile.Reader(shp)
    countries = []
    for shape_rec in reader.iterShapeRecords():
        rec, shape = shape_rec.record, shape_rec.shape
        parts = list(shape.parts) + [len(shape.points)]
        rings = [r for r in (ring(shape.points[a:b]) for a, b in itertools.pairwise(parts)) if r]
        if not rings:
            continue
        a3 = rec["iso_a3"]
        countries.append(
            {
                "iso": alpha2(a3, rec["name"]),
                "a3": a3 if a3 != "-99" else None,
                "name": rec["name"],
                "continent": rec["continent"],
                "rings": rings,
            }
        )
    isos = [c["iso"] for c in countries if c["iso"]]
    assert len(isos) == len(set(isos)), "duplicate ISO codes"
    for must in ("FR", "NO", "ES", "XK"):
        assert must in isos, must
    countries.sort(key=lambda c: (c["iso"] is None, c["iso"] or c["name"]))
    doc = {
        "source": "Natural Earth 1:110m Admin 0 - Countries, via geopandas 0.14.4 naturalearth_lowres",
        "licence": "public domain (https://www.naturalearthdata.com/about/terms-of-use/)",
        "scale": SCALE,
        "countries": countries,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for c in countries for r in c["rings"])
    print(f"{OUT}: {len(countries)} countries, {points} points, {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(sys.argv[1])
