"""Canonical values are the JSON-mode dump of every kind of entity (nested, decimal, dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from syncline.model import (
    Address,
    AddressKind,
    CanonicalEntity,
    DocumentLine,
    Money,
    Order,
    Party,
    PartyRole,
)


def test_canonical_values_are_the_json_dump() -> None:
    samples: list[CanonicalEntity] = [
        Party(
            name="Müller",
            roles=[PartyRole.DEBTOR, PartyRole.CUSTOMER],
            numbers={"erp": "D1"},
            emails=["Info@Example.com"],
            addresses=[Address(kind=AddressKind.SHIPPING, city="Oslo", country="no")],
            credit_limit=Money(amount=Decimal("1000.50"), currency="nok"),
        ),
        Order(
            number="SO-1",
            lines=[DocumentLine(product_code="P-1", quantity=Decimal("2.00"), discount=5)],
            confirmed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            order_date=date(2026, 1, 2),
        ),
    ]
    for sample in samples:
        assert sample.canonical_values() == sample.model_dump(mode="json")
