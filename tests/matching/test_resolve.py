"""Decisions in context: sole candidates and links implied through other records."""

from __future__ import annotations

import numpy as np

from syncline.matching import Decision, MatchConfig, Matcher, MatchRecord, Reason, Thresholds
from syncline.matching.resolve import components, linked_elsewhere


def gruber(record_id: str, given: str, email: str = "", phone: str = "") -> MatchRecord:
    return MatchRecord(
        id=record_id,
        given_name=given,
        family_name="Gruber",
        street="Rosengasse 76",
        postal_code="1010",
        city="Wien",
        country="AT",
        emails=(email,) if email else (),
        phones=(phone,) if phone else (),
    )


def test_components_joins_chains_and_keeps_singletons_apart() -> None:
    left = np.array([0, 1, 5], dtype=np.int64)
    right = np.array([1, 2, 6], dtype=np.int64)
    assert components(8, left, right).tolist() == [0, 0, 0, 3, 4, 5, 5, 7]


def test_pairs_linked_through_others_are_found_when_blocking_missed_them() -> None:
    # Links 0-1, 1-2 and 5-6; 0-2 was never a candidate, 1-2 was.
    left = np.array([0, 1, 5], dtype=np.int64)
    right = np.array([1, 2, 6], dtype=np.int64)
    known = np.array([0 * 8 + 1, 1 * 8 + 2, 5 * 8 + 6], dtype=np.int64)
    found = linked_elsewhere(8, left, right, known, split=None, max_group=5)
    assert list(zip(*(a.tolist() for a in found), strict=True)) == [(0, 2)]


def test_pairs_linked_through_others_respect_sides_and_group_size() -> None:
    # Link mode (split 2): 0 and 1 are both linked to 3, but both are on the left side.
    left = np.array([0, 1], dtype=np.int64)
    right = np.array([3, 3], dtype=np.int64)
    known = np.array([0 * 4 + 3, 1 * 4 + 3], dtype=np.int64)
    assert linked_elsewhere(4, left, right, known, split=2, max_group=5)[0].size == 0
    # Ten records in one chain: too large a group to complete, however few pairs it misses.
    chain = np.arange(9, dtype=np.int64)
    found, _ = linked_elsewhere(
        10, chain, chain + 1, chain * 10 + chain + 1, split=None, max_group=9
    )
    assert found.size == 0
    found, _ = linked_elsewhere(
        10, chain, chain + 1, chain * 10 + chain + 1, split=None, max_group=10
    )
    assert found.size == 45 - 9


def test_an_initial_with_a_sole_candidate_is_linked() -> None:
    records = [gruber("agnes", "Agnes", phone="+43 1 9046228"), gruber("a", "A.")]
    outcome = Matcher().deduplicate(records)
    (result,) = list(outcome)
    assert result.decision is Decision.LINK
    assert result.reason is Reason.SOLE_CANDIDATE


def test_an_initial_stays_in_review_when_two_people_fit() -> None:
    records = [
        gruber("agnes", "Agnes", email="agnes@example.at"),
        gruber("anna", "Anna", email="anna@example.at"),
        gruber("a", "A."),
    ]
    outcome = Matcher().deduplicate(records)
    held = {r.right_id for r in outcome if r.left_id == "a" or r.right_id == "a"}
    assert outcome.id_pairs(Decision.LINK) == set()
    assert {r.decision for r in outcome if "a" in (r.left_id, r.right_id)} == {Decision.REVIEW}
    assert held  # both candidates are reported for a person to choose


def test_without_context_resolution_the_sole_candidate_is_held() -> None:
    records = [gruber("agnes", "Agnes", phone="+43 1 9046228"), gruber("a", "A.")]
    outcome = Matcher(MatchConfig(resolve_in_context=False)).deduplicate(records)
    (result,) = list(outcome)
    assert result.decision is Decision.REVIEW
    assert result.reason is Reason.AMBIGUOUS


def test_a_branch_without_address_is_not_linked_to_either_site() -> None:
    def rema(record_id: str, street: str, postcode: str, city: str) -> MatchRecord:
        return MatchRecord(
            id=record_id,
            organisation="Rema Bygg AS",
            street=street,
            postal_code=postcode,
            city=city,
            country="NO",
        )

    records = [
        rema("hq", "Strandgaten 1", "5003", "Bergen"),
        rema("branch", "Sjøgata 9", "5003", "Bergen"),
        rema("bare", "", "5003", "Bergen"),
    ]
    outcome = Matcher().deduplicate(records)
    assert outcome.id_pairs(Decision.LINK) == set()


def test_a_held_pair_linked_through_a_third_record_is_linked() -> None:
    # "A." is Agnes by her e-mail; the second Agnes record is Agnes by phone. Anna at the same
    # address keeps "A." from being a sole candidate, but the links through Agnes decide.
    records = [
        gruber("a", "A.", email="agnes@example.at"),
        gruber("agnes1", "Agnes", email="agnes@example.at", phone="+43 1 9046228"),
        gruber("agnes2", "Agnes", phone="+43 1 9046228"),
        gruber("anna", "Anna", email="anna@example.at"),
    ]
    decided = {frozenset((r.left_id, r.right_id)): r for r in Matcher().deduplicate(records)}
    assert decided[frozenset(("a", "agnes1"))].decision is Decision.LINK
    assert decided[frozenset(("agnes1", "agnes2"))].decision is Decision.LINK
    implied = decided[frozenset(("a", "agnes2"))]
    assert implied.decision is Decision.LINK
    assert implied.reason is Reason.IMPLIED_LINK
    assert decided[frozenset(("a", "anna"))].decision is not Decision.LINK


def test_a_low_grey_zone_pair_is_not_linked_by_a_chain() -> None:
    full = MatchRecord(
        id="full",
        given_name="Ole",
        family_name="Hansen",
        street="Storgata 5",
        postal_code="0150",
        city="Oslo",
        country="NO",
        emails=("ole@example.no",),
        phones=("22334455",),
    )
    # Each partial record shares one contact field with the full one, and nothing but the
    # name with the other: linked to "full" each, but only a weak pair with each other.
    by_mail = MatchRecord(
        id="mail", given_name="Ole", family_name="Hansen", city="Oslo", emails=full.emails
    )
    by_phone = MatchRecord(
        id="phone", given_name="Ole", family_name="Hansen", country="NO", phones=full.phones
    )
    outcome = Matcher().deduplicate([full, by_mail, by_phone])
    decided = {frozenset((r.left_id, r.right_id)): r for r in outcome}
    assert decided[frozenset(("full", "mail"))].decision is Decision.LINK
    assert decided[frozenset(("full", "phone"))].decision is Decision.LINK
    weak = decided[frozenset(("mail", "phone"))]
    assert weak.score < (Thresholds().review + Thresholds().auto_link) / 2
    assert weak.decision is Decision.REVIEW
