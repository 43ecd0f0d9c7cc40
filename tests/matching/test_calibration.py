"""Estimates from the data: how often a different first (or family) name at one street is one
person, judged by the identifying fields where both records have them."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from syncline.matching import (
    Calibration,
    Decision,
    Matcher,
    MatchRecord,
    calibrate,
    candidate_pairs,
    prepare_records,
    score_pairs,
)

FAMILIES = ["Gruber", "Huber", "Berger", "Wimmer", "Lechner", "Aigner", "Ebner", "Koller"]
STREETS = ["Rosengasse", "Lindenweg", "Hauptstraße", "Mühlgasse", "Bahnhofstraße", "Kirchweg"]
PAIRS = [("Anna", "Thomas"), ("Maria", "Peter"), ("Sophie", "Lukas"), ("Julia", "Florian")]


def person(record_id: str, given: str, family: str, street: str, birth: str) -> MatchRecord:
    return MatchRecord(
        id=record_id,
        given_name=given,
        family_name=family,
        street=street,
        postal_code="1010",
        city="Wien",
        country="AT",
        birth_date=birth,
    )


def households(*, same_person: bool, count: int = 40) -> list[MatchRecord]:
    """``count`` addresses, each with two records of one family name and different first
    names, and a third record repeating the first one (a plain duplicate). With
    ``same_person`` the two names share a birth date (a retyped record), else not (a family)."""
    records = []
    for i in range(count):
        family = FAMILIES[i % len(FAMILIES)]
        street = f"{STREETS[i % len(STREETS)]} {i + 1}"
        first, second = PAIRS[i % len(PAIRS)]
        birth = f"19{50 + i % 40:02d}0{1 + i % 9}1{i % 10}"
        other = birth if same_person else f"20{10 + i % 10:02d}0{1 + i % 9}2{i % 10}"
        records += [
            person(f"{i}a", first, family, street, birth),
            person(f"{i}b", second, family, street, other),
            person(f"{i}c", first, family, street, birth),
        ]
    return records


def estimate(records: list[MatchRecord]) -> Calibration:
    prepared = prepare_records(records)
    pairs = candidate_pairs(prepared)
    return calibrate(
        prepared,
        pairs.left,
        pairs.right,
        given_conflict=0.82,
        family_conflict=0.72,
        prior_pairs=10,
        workers=1,
    )


def test_retyped_first_names_are_recognised_as_one_person() -> None:
    assert estimate(households(same_person=True)).household_match_rate >= 0.8


def test_family_members_are_recognised_as_different_people() -> None:
    assert estimate(households(same_person=False)).household_match_rate <= 0.05


def test_without_identifying_fields_every_such_pair_counts_as_a_family() -> None:
    bare = [
        MatchRecord(id=r.id, given_name=r.given_name, family_name=r.family_name, street=r.street)
        for r in households(same_person=True)
    ]
    assert estimate(bare) == Calibration()


def test_a_few_agreeing_pairs_do_not_outweigh_the_prior() -> None:
    # Two addresses only: the evidence is too thin to give up the family-member reading.
    assert estimate(households(same_person=True, count=2)).household_match_rate < 0.5


def test_renamed_people_are_estimated_by_their_birth_dates() -> None:
    records = []
    for i in range(40):
        street = f"{STREETS[i % len(STREETS)]} {i + 1}"
        birth = f"19{50 + i % 40:02d}0{1 + i % 9}1{i % 10}"
        records += [
            person(f"{i}a", "Maria", "Gruber", street, birth),
            person(f"{i}b", "Maria", "Oberhollenzer", street, birth),
            person(f"{i}c", "Maria", "Gruber", street, birth),
        ]
    found = estimate(records)
    assert found.renamed_match_rate >= 0.8
    assert found.household_match_rate == 0.0


def test_the_estimate_decides_a_household_like_pair_without_birth_dates() -> None:
    # The same pair (one family name, one street, two first names, no birth date on one side)
    # is one person in a file of retyped records and two people in customer data.
    pair = [
        person("x1", "Cooper", "Clarke", "Ballumbir Street 54", "19111009"),
        person("x2", "Madeline", "Clarke", "Ballumbir Street 54", ""),
    ]
    retyped = Matcher().deduplicate(households(same_person=True) + pair)
    family = Matcher().deduplicate(households(same_person=False) + pair)
    assert ("x1", "x2") in retyped.id_pairs(Decision.LINK)
    assert ("x1", "x2") not in family.id_pairs(Decision.LINK)
    assert ("x1", "x2") not in family.id_pairs(Decision.REVIEW)


def test_the_estimate_only_softens_pairs_at_one_address() -> None:
    records = prepare_records(
        [
            person("a", "Anna", "Gruber", "Rosengasse 7", ""),
            person("b", "Thomas", "Gruber", "Rosengasse 7", ""),
            person("c", "Thomas", "Gruber", "Industriezeile 40", ""),
        ]
    )
    left, right = np.array([0, 0]), np.array([1, 2])
    assumed = score_pairs(records, left, right, calibration=Calibration(household_match_rate=1.0))
    default = score_pairs(records, left, right)
    assert assumed.score[0] > default.score[0]
    assert assumed.score[1] == default.score[1]


def test_placeholder_birth_dates_give_no_estimate() -> None:
    # Unknown birth dates filled with one of three placeholders: family members "agree".
    rng = random.Random(5)
    placeholders = ["19000101", "19700101", "19800101"]
    noisy = [replace(r, birth_date=rng.choice(placeholders)) for r in households(same_person=False)]
    assert estimate(noisy) == Calibration()


def test_birth_dates_that_rarely_agree_even_for_one_person_give_no_estimate() -> None:
    # Dates filled in at random: they agree by chance as rarely between copies of one person
    # as between family members, so a few chance agreements must not count as evidence.
    # (Without the check, this data estimates that 100 % of its family members are one person.)
    rng = random.Random(0)
    pool = [f"19{year}0315" for year in range(50, 75)]
    noisy = [replace(r, birth_date=rng.choice(pool)) for r in households(same_person=False)]
    assert estimate(noisy) == Calibration()


def test_a_shared_family_e_mail_is_not_taken_for_one_person() -> None:
    # Couples often share one address; e-mails do not tell family members apart.
    shared = [
        MatchRecord(
            id=r.id,
            given_name=r.given_name,
            family_name=r.family_name,
            street=r.street,
            emails=(f"{r.family_name.lower()}.{r.street.split()[-1]}@example.at",),
        )
        for r in households(same_person=False)
    ]
    assert estimate(shared) == Calibration()
