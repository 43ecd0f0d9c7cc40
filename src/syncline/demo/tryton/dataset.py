"""A deterministic, believable customer base and catalogue for the demo ERP.

Pure Python (no Tryton import): the syncline process generates the data, writes it as JSON,
and the seeding script in Tryton's own virtual environment loads it.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from stdnum.iso7064 import mod_11_10

SEED = 20260101

# (country, legal forms, surnames, industry words, [(postal code, city)], street names, phone)
_COUNTRIES: dict[str, dict[str, Any]] = {
    "DE": {
        "forms": ["GmbH", "GmbH & Co. KG", "AG", "KG", "e.K."],
        "surnames": [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
            "Schwarz",
            "Zimmermann",
            "Braun",
            "Krüger",
        ],
        "trades": [
            "Maschinenbau",
            "Metallbau",
            "Elektrotechnik",
            "Antriebstechnik",
            "Haustechnik",
            "Werkzeugbau",
            "Fördertechnik",
            "Kunststofftechnik",
        ],
        "cities": [
            ("10115", "Berlin"),
            ("20095", "Hamburg"),
            ("80331", "München"),
            ("50667", "Köln"),
            ("60311", "Frankfurt am Main"),
            ("70173", "Stuttgart"),
            ("40213", "Düsseldorf"),
            ("04109", "Leipzig"),
            ("28195", "Bremen"),
            ("90402", "Nürnberg"),
            ("30159", "Hannover"),
            ("01067", "Dresden"),
        ],
        "streets": [
            "Hauptstraße",
            "Bahnhofstraße",
            "Industriestraße",
            "Gewerbering",
            "Lindenallee",
            "Schillerstraße",
            "Goethestraße",
            "Am Hafen",
        ],
        "phone": "+49 {a}{b} {c}",
        "domain": "de",
    },
    "AT": {
        "forms": ["GmbH", "AG", "KG", "OG"],
        "surnames": [
            "Gruber",
            "Huber",
            "Bauer",
            "Wagner",
            "Pichler",
            "Steiner",
            "Moser",
            "Mayer",
            "Hofer",
            "Leitner",
            "Berger",
            "Fuchs",
            "Eder",
            "Fischer",
        ],
        "trades": ["Anlagenbau", "Holztechnik", "Elektro", "Stahlbau", "Installationen"],
        "cities": [
            ("1010", "Wien"),
            ("8010", "Graz"),
            ("4020", "Linz"),
            ("5020", "Salzburg"),
            ("6020", "Innsbruck"),
            ("9020", "Klagenfurt"),
        ],
        "streets": [
            "Hauptplatz",
            "Landstraße",
            "Mariahilfer Straße",
            "Industriezeile",
            "Wiener Straße",
            "Kirchengasse",
        ],
        "phone": "+43 {a} {c}",
        "domain": "at",
    },
    "CH": {
        "forms": ["AG", "GmbH", "SA"],
        "surnames": [
            "Meier",
            "Keller",
            "Brunner",
            "Baumann",
            "Frei",
            "Gerber",
            "Widmer",
            "Zürcher",
            "Schmid",
            "Graf",
            "Huber",
            "Moser",
        ],
        "trades": ["Präzisionstechnik", "Feinmechanik", "Automation", "Medizintechnik"],
        "cities": [
            ("8001", "Zürich"),
            ("3011", "Bern"),
            ("4051", "Basel"),
            ("6003", "Luzern"),
            ("9000", "St. Gallen"),
            ("8400", "Winterthur"),
        ],
        "streets": [
            "Bahnhofstrasse",
            "Seestrasse",
            "Dorfstrasse",
            "Industriestrasse",
            "Hauptgasse",
        ],
        "phone": "+41 {a} {c}",
        "domain": "ch",
    },
    "NO": {
        "forms": ["AS", "ASA"],
        "surnames": [
            "Hansen",
            "Johansen",
            "Olsen",
            "Larsen",
            "Andersen",
            "Pedersen",
            "Nilsen",
            "Kristiansen",
            "Jensen",
            "Karlsen",
            "Haugen",
            "Berg",
        ],
        "trades": ["Mekaniske", "Elektro", "Offshore Service", "Industri", "Verksted"],
        "cities": [
            ("0150", "Oslo"),
            ("5003", "Bergen"),
            ("7010", "Trondheim"),
            ("4006", "Stavanger"),
            ("9008", "Tromsø"),
            ("3015", "Drammen"),
        ],
        "streets": ["Storgata", "Kirkegata", "Strandgata", "Industriveien", "Havnegata"],
        "phone": "+47 {c}",
        "domain": "no",
    },
    "DK": {
        "forms": ["A/S", "ApS"],
        "surnames": [
            "Nielsen",
            "Jensen",
            "Hansen",
            "Pedersen",
            "Andersen",
            "Christensen",
            "Larsen",
            "Sørensen",
            "Rasmussen",
            "Jørgensen",
            "Madsen",
            "Kristensen",
        ],
        "trades": ["Maskinfabrik", "Smedie", "El-teknik", "Automatik", "Industri"],
        "cities": [
            ("1050", "København K"),
            ("8000", "Aarhus C"),
            ("5000", "Odense C"),
            ("9000", "Aalborg"),
            ("6700", "Esbjerg"),
            ("7100", "Vejle"),
        ],
        "streets": [
            "Vestergade",
            "Østergade",
            "Industrivej",
            "Havnegade",
            "Nørregade",
            "Strandvejen",
        ],
        "phone": "+45 {c}",
        "domain": "dk",
    },
}

_FIRST_NAMES = {
    "DE": ["Anna", "Lukas", "Julia", "Jonas", "Laura", "Felix", "Sabine", "Thomas"],
    "AT": ["Katharina", "Florian", "Verena", "Matthias", "Theresa", "Stefan"],
    "CH": ["Lea", "Reto", "Nina", "Urs", "Corinne", "Beat"],
    "NO": ["Ingrid", "Lars", "Sigrid", "Ola", "Kari", "Magnus"],
    "DK": ["Mette", "Søren", "Freja", "Rasmus", "Karen", "Mads"],
}

_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"}
)

_COUNTRY_WEIGHTS = {"DE": 45, "AT": 15, "CH": 12, "NO": 14, "DK": 14}

PRODUCT_GROUPS = [
    ("MASCH", "Maschinen"),
    ("ERSATZ", "Ersatzteile"),
    ("WERKZ", "Werkzeuge"),
    ("ZUB", "Zubehör"),
    ("DIENST", "Dienstleistungen"),
]

_PRODUCTS: dict[str, list[tuple[str, int]]] = {
    "MASCH": [
        ("Drehmaschine D{n}", 18500),
        ("Fräsmaschine F{n}", 24900),
        ("Bandsäge B{n}", 6900),
        ("Bohrwerk W{n}", 31500),
        ("Presse P{n}", 42000),
    ],
    "ERSATZ": [
        ("Spindellager {n}", 390),
        ("Antriebsriemen {n}", 45),
        ("Kühlmittelpumpe {n}", 620),
        ("Steuerplatine {n}", 1450),
        ("Hydraulikventil {n}", 280),
    ],
    "WERKZ": [
        ("Schaftfräser Ø{n} mm", 38),
        ("Spiralbohrer Ø{n} mm", 12),
        ("Wendeschneidplatte {n}", 9),
        ("Drehmeißel {n}", 54),
    ],
    "ZUB": [
        ("Spannfutter {n}", 740),
        ("Schraubstock {n}", 310),
        ("Messuhr {n}", 85),
        ("Schutzabdeckung {n}", 160),
    ],
    "DIENST": [("Wartung Stufe {n}", 95), ("Inbetriebnahme {n}", 120), ("Schulung {n}", 110)],
}


@dataclass(frozen=True)
class DemoCustomer:
    """One generated customer: an organisation with one billing address and contacts."""

    name: str
    country: str
    street: str
    postal_code: str
    city: str
    email: str
    phone: str
    vat_id: str | None
    lang: str
    contact_first: str
    contact_last: str
    contact_email: str


@dataclass(frozen=True)
class DemoProduct:
    """One generated product; ``list_price`` in EUR, ``stock`` in units on hand."""

    code: str
    name: str
    group: str
    kind: str  # goods or service
    list_price: str
    stock: int


def _german_vat(rng: random.Random) -> str:
    base = str(rng.randint(10_000_000, 99_999_999))
    return "DE" + base + mod_11_10.calc_check_digit(base)


def customers(count: int = 220, seed: int = SEED) -> list[DemoCustomer]:
    """``count`` distinct customers from Germany, Austria, Switzerland, Norway and Denmark."""
    rng = random.Random(seed)
    countries = list(_COUNTRY_WEIGHTS)
    weights = list(_COUNTRY_WEIGHTS.values())
    result: list[DemoCustomer] = []
    names: set[str] = set()
    while len(result) < count:
        code = rng.choices(countries, weights)[0]
        spec = _COUNTRIES[code]
        surname = rng.choice(spec["surnames"])
        trade = rng.choice(spec["trades"])
        form = rng.choice(spec["forms"])
        if rng.random() < 0.3:
            surname = f"{surname} & {rng.choice(spec['surnames'])}"
        name = f"{surname} {trade} {form}"
        if name in names:
            continue
        names.add(name)
        postal_code, city = rng.choice(spec["cities"])
        street = f"{rng.choice(spec['streets'])} {rng.randint(1, 180)}"
        plain = surname.lower().translate(_ASCII)
        slug = "".join(ch for ch in plain if ch.isascii() and ch.isalnum())
        email = f"info@{slug}-{trade.lower().split()[0][:8]}{len(result)}.{spec['domain']}"
        email = email.encode("ascii", "ignore").decode()
        phone = spec["phone"].format(
            a=rng.randint(20, 99), b=rng.randint(0, 9), c=rng.randint(10_000_000, 99_999_999)
        )
        vat = _german_vat(rng) if code == "DE" and rng.random() < 0.7 else None
        first = rng.choice(_FIRST_NAMES[code])
        last = rng.choice(spec["surnames"])
        person = f"{first}.{last}".lower().translate(_ASCII)
        person = "".join(ch for ch in person if ch.isascii() and (ch.isalnum() or ch == "."))
        contact_email = email.replace("info@", f"{person}@")
        lang = {"DE": "de", "AT": "de", "CH": "de", "NO": "en", "DK": "en"}[code]
        customer = DemoCustomer(
            name, code, street, postal_code, city, email, phone, vat, lang,
            first, last, contact_email,
        )  # fmt: skip
        result.append(customer)
    return result


def products(seed: int = SEED) -> list[DemoProduct]:
    """The catalogue: about 60 products in five groups, with stock for the goods."""
    rng = random.Random(seed + 1)
    result: list[DemoProduct] = []
    for group, templates in _PRODUCTS.items():
        for index, (pattern, price) in enumerate(templates):
            for variant in range(1, 4):
                n = {"MASCH": 100 * variant, "WERKZ": 2 * variant + 4}.get(group, variant)
                code = f"{group[:3]}-{index + 1:02d}{variant}"
                factor = Decimal(1) + Decimal(variant - 1) / Decimal(4)
                list_price = (Decimal(price) * factor).quantize(Decimal("0.01"))
                kind = "service" if group == "DIENST" else "goods"
                stock = 0 if kind == "service" else rng.randint(2, 40 if price > 1000 else 400)
                result.append(
                    DemoProduct(code, pattern.format(n=n), group, kind, str(list_price), stock)
                )
    return result


def dataset(seed: int = SEED) -> dict[str, Any]:
    """Everything the seeding script loads, as JSON-able data."""
    return {
        "company": {
            "name": "Nordwerk Maschinenbau GmbH",
            "street": "Hafenstraße 12",
            "postal_code": "24103",
            "city": "Kiel",
            "country": "DE",
        },
        "countries": sorted(
            {
                "DE",
                "AT",
                "CH",
                "NO",
                "DK",
                "SE",
                "FI",
                "NL",
                "BE",
                "FR",
                "IT",
                "ES",
                "PL",
                "CZ",
                "GB",
                "US",
                "LU",
                "IE",
                "PT",
            }
        ),
        "groups": [{"code": c, "name": n} for c, n in PRODUCT_GROUPS],
        "customers": [asdict(c) for c in customers(seed=seed)],
        "products": [asdict(p) for p in products(seed=seed)],
        "seed": seed,
    }


__all__ = ["DemoCustomer", "DemoProduct", "customers", "dataset", "products"]
