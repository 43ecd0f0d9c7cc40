"""Deterministic key forms of a load, and the review-item repository it writes to."""

from __future__ import annotations

import pytest

from syncline.matching.keys import key_forms
from syncline.store import Store
from syncline.store.reviews import NewReview, add_reviews, count_open, decide, list_reviews


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("vat_id", "DE 136 695 976", "de136695976"),
        ("vat_id", "NO 923 609 016 MVA", "NO923609016MVA"),
        ("emails", ["Info@Mueller.DE"], ["info@mueller.de", "other@x.de"]),
        ("phones", ["+49 (0)30 1234567"], ["+49 30 123 45 67"]),
        ("numbers", {"erp": " D10023 "}, {"erp": "D10023"}),
        ("name", "Müller  GmbH", "müller gmbh"),
    ],
)
def test_equal_keys_in_different_spellings_meet(field: str, first: object, second: object) -> None:
    assert key_forms(field, first) & key_forms(field, second)


def test_empty_and_different_keys_never_meet() -> None:
    assert key_forms("vat_id", None) == set() == key_forms("emails", [])
    assert not key_forms("numbers", {"erp": "D1"}) & key_forms("numbers", {"crm": "D1"})


def item(right_id: str, score: float) -> NewReview:
    return NewReview("parties", "party", "match", "crm:7", "crm", "7", "erp", right_id, score, {})


def test_review_items_are_added_once_and_decided_per_group(store: Store) -> None:
    with store.begin() as conn:
        assert add_reviews(conn, [item("1", 0.8), item("2", 0.85)]) == 2
        assert add_reviews(conn, [item("1", 0.8), item("3", 0.7)]) == 1
        items = list_reviews(conn, map_name="parties")
        assert [i.right_id for i in items] == ["2", "1", "3"]  # best score first
        chosen = next(i for i in items if i.right_id == "1")
        decided = decide(conn, chosen.id, "link", "ops@example.com")
        assert {(i.right_id, i.decision) for i in decided} == {
            ("1", "link"),
            ("2", "create"),
            ("3", "create"),
        }
        assert count_open(conn, "parties") == 0
        assert add_reviews(conn, [item("2", 0.9)]) == 0  # a decided pair is not asked again
        with pytest.raises(ValueError, match="unknown decision"):
            decide(conn, chosen.id, "maybe", "ops")
        with pytest.raises(KeyError):
            decide(conn, 999_999, "skip", "ops")
