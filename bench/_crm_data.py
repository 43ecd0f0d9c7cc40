"""The CRM-like benchmark data: people and organisations with the traps of real customer data.

:func:`generate` builds people and organisations in DE, AT, CH, NO, DK, SE and GB, then
perturbed copies of some of them, and knows which records are the same (the ground truth). The
traps: family members sharing an address and a landline, sister companies sharing an address
and a switchboard, branches of one company with the same name at other addresses, people of the
same name in the same town, first names cut to an initial, street types written out or
abbreviated, typos, umlauts and Nordic letters transliterated or dropped, letter case, phone
formats, legal form spellings, and missing fields. The same seed gives the same records.
"""

from __future__ import annotations

import random
import resource
from collections.abc import Iterator
from dataclasses import dataclass

from bench._crm_vocabulary import (
    CALLING,
    CITIES,
    COMPANY_TRADES,
    COMPANY_WORDS,
    FAMILY,
    GIVEN,
    LEGAL,
    MAIL_PROVIDERS,
    STREET_BASE,
    STREET_BASE_GB,
    STREET_BASE_NORDIC,
    STREET_TYPES,
    TRANSLITERATIONS,
    TRUNK,
)
from syncline.matching import MatchRecord

RECORDS = 100_000
SEED = 20261122


@dataclass
class _Entity:
    country: str
    given: str = ""
    family: str = ""
    organisation: str = ""
    legal: tuple[str, tuple[str, ...]] = ("", ())
    street: str = ""
    street_variants: tuple[str, ...] = ()
    house: str = ""
    postcode: str = ""
    city: str = ""
    email: str = ""
    phone: str = ""
    vat: str = ""


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == 0:
        return text[:i] + letter + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + letter + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _transliterate(rng: random.Random, text: str) -> str:
    table = rng.choice(TRANSLITERATIONS)
    return "".join(table.get(c, c) for c in text)


def _phone_variant(rng: random.Random, country: str, national: str) -> str:
    calling, trunk = CALLING[country], TRUNK[country]
    area, rest = national[:3], national[3:]
    style = rng.randrange(5)
    if style == 0:
        return f"+{calling} {area} {rest}"
    if style == 1:
        return (
            f"{trunk}{area} {rest}" if trunk or country in ("NO", "DK") else f"+{calling}{national}"
        )
    if style == 2:
        return f"00{calling}{national}"
    if style == 3 and trunk:
        return f"+{calling} ({trunk}){area}-{rest}"
    return f"{trunk}{area}/{rest[:3]} {rest[3:]}"


def _street(rng: random.Random, country: str) -> tuple[str, tuple[str, ...]]:
    if country == "GB":
        base = rng.choice(STREET_BASE_GB)
    elif country in ("NO", "DK", "SE"):
        base = rng.choice(STREET_BASE_NORDIC)
    else:
        base = rng.choice(STREET_BASE)
    kind, variants = rng.choice(STREET_TYPES[country])
    return base + kind, tuple(base + v for v in variants)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def _number(self, digits: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(digits))

    def _address(self, entity: _Entity) -> None:
        rng = self.rng
        entity.street, entity.street_variants = _street(rng, entity.country)
        entity.house = str(rng.randint(1, 140)) + (rng.choice("abc") if rng.random() < 0.08 else "")
        entity.city, entity.postcode = rng.choice(CITIES[entity.country])

    def person(self) -> _Entity:
        rng = self.rng
        country = rng.choice(list(CALLING))
        entity = _Entity(country)
        entity.given = rng.choice(GIVEN[country].split())
        entity.family = rng.choice(FAMILY[country].split())
        self._address(entity)
        self.serial += 1
        local = f"{entity.given}.{entity.family}".lower()
        local = _transliterate(rng, local).replace(" ", "")
        provider = rng.choice(MAIL_PROVIDERS)
        entity.email = f"{local}{self.serial}@{provider}"
        entity.phone = "9" + self._number(8)
        return entity

    def household_member(self, other: _Entity) -> _Entity:
        rng = self.rng
        member = self.person()
        member.country = other.country
        member.given = rng.choice([g for g in GIVEN[other.country].split() if g != other.given])
        member.family = other.family
        local = _transliterate(rng, f"{member.given}.{member.family}".lower()).replace(" ", "")
        member.email = f"{local}{self.serial}@{rng.choice(['gmail.com', 'gmx.de', 'online.no'])}"
        member.street, member.street_variants = other.street, other.street_variants
        member.house, member.postcode, member.city = other.house, other.postcode, other.city
        if rng.random() < 0.7:
            member.phone = other.phone  # the family landline
        return member

    def company(self) -> _Entity:
        rng = self.rng
        country = rng.choice(list(CALLING))
        entity = _Entity(country)
        entity.organisation = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)}"
        if rng.random() < 0.5:
            entity.organisation += f" {rng.choice(FAMILY[country].split())}"
        entity.legal = rng.choice(LEGAL[country])
        self._address(entity)
        self.serial += 1
        domain = entity.organisation.split()[0].lower() + str(self.serial)
        entity.email = (
            f"{rng.choice(['info', 'post', 'office', 'kontakt'])}@{_transliterate(rng, domain)}.com"
        )
        entity.phone = self._number(9)
        return entity

    def sister_company(self, other: _Entity) -> _Entity:
        sister = self.company()
        sister.country = other.country
        first = other.organisation.split()[0]
        trade = self.rng.choice([t for t in COMPANY_TRADES if t not in other.organisation])
        sister.organisation = f"{first} {trade}"
        sister.street, sister.street_variants = other.street, other.street_variants
        sister.house, sister.postcode, sister.city = other.house, other.postcode, other.city
        if self.rng.random() < 0.5:
            sister.phone = other.phone  # one switchboard
        return sister

    def branch(self, other: _Entity) -> _Entity:
        branch = self.company()
        branch.country = other.country
        branch.organisation, branch.legal = other.organisation, other.legal
        self._address(branch)
        return branch

    def copy(self, entity: _Entity, record_id: str, original: bool) -> MatchRecord:
        rng = self.rng
        p = 0.0 if original else 1.0
        given, family, org = entity.given, entity.family, entity.organisation
        street = entity.street
        if rng.random() < 0.4 * p and entity.street_variants:
            street = rng.choice(entity.street_variants)
        city, house, postcode = entity.city, entity.house, entity.postcode
        legal, legal_variants = entity.legal
        if org and rng.random() < 0.4 * p and legal_variants:
            legal = rng.choice(legal_variants)
        if rng.random() < 0.15 * p:
            family = _typo(rng, family)
        if rng.random() < 0.1 * p:
            given = _typo(rng, given)
        if rng.random() < 0.15 * p:
            street = _typo(rng, street)
        if rng.random() < 0.05 * p:
            city = _typo(rng, city)
        if org and rng.random() < 0.15 * p:
            org = _typo(rng, org)
        if given and rng.random() < 0.1 * p:
            given = given[0] + "."
        if rng.random() < 0.3 * p:
            given, family, street, city, org = (
                _transliterate(rng, v) for v in (given, family, street, city, org)
            )
        if rng.random() < 0.15 * p:
            given, family, org = given.upper(), family.upper(), org.upper()
        email = entity.email if rng.random() > 0.2 * p else ""
        if email and rng.random() < 0.3 * p:
            email = email.capitalize() if rng.random() < 0.5 else email.upper()
        phone = ""
        if rng.random() > 0.2 * p:
            phone = (
                _phone_variant(rng, entity.country, entity.phone)
                if rng.random() < 0.6 * p
                else f"+{CALLING[entity.country]} {entity.phone}"
            )
        if rng.random() < 0.08 * p:
            street, house = "", ""
        if rng.random() < 0.05 * p:
            given = ""
        if rng.random() < 0.05 * p:
            postcode = ""
        # Half of the records keep the house number in the street line.
        street_line, house_field = (
            (f"{street} {house}".strip(), "") if street and rng.random() < 0.5 else (street, house)
        )
        if entity.country == "GB" and street and not house_field:
            street_line = f"{house} {street}".strip()
        return MatchRecord(
            id=record_id,
            organisation=f"{org} {legal}".strip() if org else "",
            given_name=given,
            family_name=family,
            street=street_line,
            house_number=house_field,
            postal_code=postcode,
            city=city,
            country=entity.country,
            emails=(email,) if email else (),
            phones=(phone,) if phone else (),
        )


def generate(records: int = RECORDS, seed: int = SEED) -> tuple[list[MatchRecord], list[int]]:
    """``records`` CRM-like records and, for each, the id of the real-world entity it is."""
    gen = _Generator(seed)
    rng = gen.rng
    out: list[MatchRecord] = []
    truth: list[int] = []
    entity_id = 0

    def emit(entity: _Entity) -> Iterator[None]:
        nonlocal entity_id
        copies = rng.choices((0, 1, 2, 3), weights=(55, 30, 10, 5))[0]
        for c in range(copies + 1):
            out.append(gen.copy(entity, f"r{len(out)}", original=c == 0))
            truth.append(entity_id)
            yield None
        entity_id += 1

    while len(out) < records:
        if rng.random() < 0.6:
            entity = gen.person()
            group = [entity]
            if rng.random() < 0.15:
                group += [gen.household_member(entity) for _ in range(rng.randint(1, 3))]
        else:
            entity = gen.company()
            group = [entity]
            if rng.random() < 0.1:
                group.append(gen.sister_company(entity))
            if rng.random() < 0.1:
                group.append(gen.branch(entity))
        for member in group:
            for _ in emit(member):
                if len(out) >= records:
                    break
    order = list(range(len(out)))
    rng.shuffle(order)
    return [out[i] for i in order], [truth[i] for i in order]


def true_pairs(truth: list[int]) -> set[tuple[int, int]]:
    """Index pairs (smaller first) of records of the same entity."""
    groups: dict[int, list[int]] = {}
    for index, entity in enumerate(truth):
        groups.setdefault(entity, []).append(index)
    return {(a, b) for g in groups.values() for i, a in enumerate(g) for b in g[i + 1 :]}


def prf(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of ``predicted`` against ``truth``."""
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def max_rss_mb() -> float:
    """Peak memory (max RSS) of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
