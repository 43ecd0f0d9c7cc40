"""Thresholds, decisions, deterministic keys and pinned (manual) decisions."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from syncline.matching import Decision, Matcher, MatchRecord, PinnedPair, Reason, Thresholds


def test_thresholds_classify_into_three_zones() -> None:
    t = Thresholds(auto_link=0.9, review=0.5, new=0.2)
    assert t.classify(0.95) is Decision.LINK
    assert t.classify(0.9) is Decision.LINK
    assert t.classify(0.7) is Decision.REVIEW
    assert t.classify(0.3) is Decision.NEW
    assert t.classify(0.99, ambiguous=True) is Decision.REVIEW


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="new <= review <= auto_link"):
        Thresholds(auto_link=0.5, review=0.8)


def anna(rid: str, **extra: object) -> MatchRecord:
    fields: dict[str, object] = {
        "given_name": "Anna",
        "family_name": "Müller",
        "street": "Hauptstraße 12",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "emails": ("anna.mueller@example.com",),
    }
    fields.update(extra)
    return MatchRecord(id=rid, **fields)  # type: ignore[arg-type]


def other(rid: str) -> MatchRecord:
    return MatchRecord(
        id=rid,
        given_name="Ole",
        family_name="Hansen",
        street="Storgata 5",
        postal_code="0150",
        city="Oslo",
        country="NO",
    )


def test_link_across_two_collections() -> None:
    outcome = Matcher().link([anna("crm1"), other("crm2")], [anna("erp1", family_name="Mueller")])
    assert outcome.id_pairs(Decision.LINK) == {("crm1", "erp1")}
    [result] = list(outcome.pairs(Decision.LINK))
    assert result.reason is Reason.SCORE and 0.9 <= result.score <= 1.0


def test_shared_system_number_links_outright() -> None:
    crm = MatchRecord(id="c", organisation="Muster GmbH", numbers=(("erp", "D10023"),))
    erp = MatchRecord(id="e", organisation="Ganz Anders AG", numbers=(("erp", "D10023"),))
    [result] = list(Matcher().link([crm], [erp]))
    assert (result.decision, result.reason) == (Decision.LINK, Reason.SYSTEM_NUMBER)


def test_conflicting_system_numbers_never_link() -> None:
    a = anna("a", numbers=(("erp", "D1"),))
    b = anna("b", numbers=(("erp", "D2"),))
    [result] = list(Matcher().deduplicate([a, b]))
    assert (result.decision, result.reason) == (Decision.NEW, Reason.NUMBER_CONFLICT)


def test_a_pinned_rejection_is_never_linked_again() -> None:
    pins = [PinnedPair("a", "b", linked=False)]
    [result] = list(Matcher().deduplicate([anna("a"), anna("b")], pinned=pins))
    assert (result.decision, result.reason) == (Decision.NEW, Reason.PINNED_REJECTION)


def test_a_pinned_link_stays_even_when_the_score_says_otherwise() -> None:
    pins = [PinnedPair("crm1", "erp9", linked=True)]
    outcome = Matcher().link([anna("crm1")], [other("erp9")], pinned=pins)
    assert outcome.id_pairs(Decision.LINK) == {("crm1", "erp9")}
    assert [r.reason for r in outcome] == [Reason.PINNED_LINK]


def test_a_manually_linked_record_is_not_linked_automatically_elsewhere() -> None:
    pins = [PinnedPair("crm1", "erp9", linked=True)]
    outcome = Matcher().link([anna("crm1")], [anna("erp1"), other("erp9")], pinned=pins)
    assert outcome.id_pairs(Decision.LINK) == {("crm1", "erp9")}
    held = [r for r in outcome if r.right_id == "erp1"]
    assert [(r.decision, r.reason) for r in held] == [(Decision.REVIEW, Reason.PINNED_ELSEWHERE)]


def test_pairs_below_the_new_threshold_are_not_reported() -> None:
    outcome = Matcher().deduplicate([anna("a"), other("b")])
    assert len(outcome) == 0
