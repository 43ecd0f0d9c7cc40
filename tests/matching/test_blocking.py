"""Blocking: near-linear candidate counts, high recall on a generated set with the traps."""

from __future__ import annotations

import random

from syncline.matching import (
    BlockingPass,
    Matcher,
    MatchRecord,
    blocking_recall,
    candidate_pairs,
    prepare_records,
)

GIVEN = ["Anna", "Jürgen", "Søren", "Åsa", "Thomas", "Ingrid", "Jens", "Katharina", "Ole", "Mia"]
FAMILY = [
    "Müller",
    "Hansen",
    "Sørensen",
    "Schmidt",
    "Andersson",
    "Jäger",
    "Berg",
    "Weber",
    "Nilsen",
    "Krüger",
    "Lund",
    "Fischer",
]
STREETS = ["Hauptstraße", "Storgata", "Vestergade", "Kungsvägen", "Lindenweg", "High Road"]


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text))
    return text[:i] + text[i + 1 :]


def generated(n_entities: int, seed: int = 7) -> tuple[list[MatchRecord], set[tuple[int, int]]]:
    rng = random.Random(seed)
    records: list[MatchRecord] = []
    truth: set[tuple[int, int]] = set()
    for e in range(n_entities):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 90)}"
        postcode = str(rng.randint(1000, 1060))
        email = f"p{e}@example.com"
        phone = f"+49 30 {rng.randint(1000000, 9999999)}"
        first = len(records)
        for copy in range(rng.choice([1, 1, 2, 3])):
            g, f, s, p = given, family, street, postcode
            mail, tel = email, phone
            if copy:
                if rng.random() < 0.3:
                    f = _typo(rng, f)
                if rng.random() < 0.2:
                    g = g[0] + "."
                if rng.random() < 0.3:
                    s = s.replace("straße", "str.").replace("gata", "gt.").replace("Road", "Rd")
                if rng.random() < 0.2:
                    p = ""
                if rng.random() < 0.3:
                    mail = ""
                if rng.random() < 0.3:
                    tel = ""
            records.append(
                MatchRecord(
                    id=f"r{len(records)}",
                    given_name=g,
                    family_name=f,
                    street=s,
                    postal_code=p,
                    city="Berlin",
                    country="DE",
                    emails=(mail,) if mail else (),
                    phones=(tel,) if tel else (),
                )
            )
        truth |= {(a, b) for a in range(first, len(records)) for b in range(a + 1, len(records))}
    return records, truth


def test_blocking_keeps_nearly_all_true_pairs() -> None:
    records, truth = generated(3000)
    pairs = candidate_pairs(prepare_records(records))
    assert blocking_recall(pairs, truth) >= 0.99


def test_candidate_count_grows_near_linearly() -> None:
    small, _ = generated(1000, seed=1)
    large, _ = generated(4000, seed=1)
    same = [MatchRecord(id=str(i), family_name="Hansen", postal_code="0150") for i in range(2000)]
    # One huge block (everyone called Hansen at one postcode) stays capped.
    assert len(candidate_pairs(prepare_records(same))) <= len(same) * len(BlockingPass) * 7
    n_small = len(candidate_pairs(prepare_records(small)))
    n_large = len(candidate_pairs(prepare_records(large)))
    # Four times the records: far below the sixteen times of all-pairs comparison ...
    assert n_large <= 10 * n_small
    # ... and never more than records x passes x (block size - 1), whatever the data.
    assert n_large <= len(large) * len(BlockingPass) * 7


def test_each_pair_once_smaller_index_first_and_passes_recorded() -> None:
    records, _ = generated(500)
    pairs = candidate_pairs(prepare_records(records))
    codes = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    assert len(codes) == len(pairs)
    assert bool((pairs.left < pairs.right).all())
    assert bool((pairs.passes > 0).all())


def test_link_mode_only_pairs_across_collections() -> None:
    records, _ = generated(300)
    prepared = prepare_records(records)
    pairs = candidate_pairs(prepared, split=150)
    assert bool((pairs.left < 150).all()) and bool((pairs.right >= 150).all())


def test_one_record_gives_no_pairs_instead_of_failing() -> None:
    """An import of a one-row file deduplicates a collection of one."""
    anna = MatchRecord(id="a", given_name="Anna", family_name="Schmidt")
    assert len(candidate_pairs(prepare_records([anna]))) == 0
    outcome = Matcher().deduplicate([anna])
    assert outcome.candidates == 0 and len(outcome.score) == 0


def test_shared_email_is_always_a_candidate() -> None:
    a = MatchRecord(id="a", family_name="Zyx", emails=("same@example.com",))
    b = MatchRecord(id="b", family_name="Qwv", emails=("SAME@example.com",))
    pairs = candidate_pairs(prepare_records([a, b]))
    assert len(pairs) == 1 and int(pairs.passes[0]) & BlockingPass.EMAIL


def test_birth_date_with_day_and_month_swapped_is_a_candidate() -> None:
    a = MatchRecord(id="a", family_name="Zyx", birth_date="19810314")
    b = MatchRecord(id="b", family_name="Qwv", birth_date="19811403")
    pairs = candidate_pairs(prepare_records([a, b]))
    assert len(pairs) == 1 and int(pairs.passes[0]) & BlockingPass.BIRTH_DATE


def test_name_blocks_are_split_by_the_initial_of_the_given_name() -> None:
    # Everyone is a Hansen at one postcode; only the same initial shares a name block.
    records = [
        MatchRecord(
            id=str(i),
            given_name=given,
            family_name="Hansen",
            postal_code="0150",
            street=f"Gate {i}",
            house_number=str(i),
        )
        for i, given in enumerate(["Ole", "Oda", "Per", "Kari"])
    ]
    pairs = candidate_pairs(prepare_records(records))
    by_name = {
        (int(a), int(b))
        for a, b, p in zip(pairs.left, pairs.right, pairs.passes, strict=True)
        if int(p) & BlockingPass.NAME_POSTCODE
    }
    assert by_name == {(0, 1)}


def test_swapped_first_and_family_names_meet_in_the_name_blocks() -> None:
    # Nothing else is shared: different house numbers and streets, no contact fields.
    a = MatchRecord(
        id="a", given_name="Ole", family_name="Hansen", postal_code="0150", street="Gate 1"
    )
    b = MatchRecord(
        id="b", given_name="Hansen", family_name="Ole", postal_code="0150", street="Vei 2"
    )
    pairs = candidate_pairs(prepare_records([a, b]))
    assert len(pairs) == 1 and int(pairs.passes[0]) & BlockingPass.NAME_POSTCODE


def test_a_typo_in_the_family_name_meets_through_the_first_name() -> None:
    # "Kexel"/"Cexel" sound different; the first name with the family initial still matches.
    records = [
        MatchRecord(id="a", given_name="Amber", family_name="Kexel", postal_code="4061"),
        MatchRecord(id="b", given_name="Amber", family_name="Kxel", postal_code="4061"),
    ]
    pairs = candidate_pairs(prepare_records(records))
    assert len(pairs) == 1 and int(pairs.passes[0]) & BlockingPass.NAME_POSTCODE


def test_address_lines_entered_the_other_way_round_share_a_building_block() -> None:
    a = MatchRecord(
        id="a",
        street="Oceanpark Towers",
        address_extra="Dines Place",
        house_number="7",
        postal_code="2506",
    )
    b = MatchRecord(
        id="b",
        street="Dines Place",
        address_extra="Ocean Park Towers",
        house_number="7",
        postal_code="2506",
    )
    c = MatchRecord(id="c", street="Wattle Street", house_number="7", postal_code="2506")
    pairs = candidate_pairs(prepare_records([a, b, c]))
    by_building = {
        (int(x), int(y))
        for x, y, p in zip(pairs.left, pairs.right, pairs.passes, strict=True)
        if int(p) & BlockingPass.HOUSE_POSTCODE
    }
    assert by_building == {(0, 1)}
