"""Canonical entities: validation names entity, field and value; hashes are stable."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncline.model import (
    ENTITY_TYPES,
    Address,
    AddressKind,
    CanonicalEntity,
    CaseType,
    Contact,
    CreditNote,
    DocumentLine,
    EntityValidationError,
    Invoice,
    Money,
    Opportunity,
    Order,
    Party,
    PartyRole,
    Product,
    Quote,
    ServiceAgreement,
    ServiceCase,
    TimeEntry,
    canonical_json,
    entity_type,
)

PARTY = {
    "name": "Müller Maschinenbau",
    "legal_form": "GmbH",
    "roles": ["customer", "debtor"],
    "numbers": {"erp": "D10023", "crm": "42"},
    "vat_id": "DE123456789",
    "emails": ["info@mueller-mb.de"],
    "phones": ["+49 89 1234567"],
    "addresses": [
        {
            "kind": "billing",
            "street": "Hauptstraße 5",
            "postal_code": "80331",
            "city": "München",
            "country": "de",
        },
        {
            "kind": "shipping",
            "street": "Werkweg 2",
            "postal_code": "80999",
            "city": "München",
            "country": "DE",
        },
    ],
    "credit_limit": {"amount": "25000.00", "currency": "eur"},
}


def test_party_parses_and_normalises_codes() -> None:
    party = Party.parse(PARTY)
    assert party.credit_limit == Money(amount=Decimal("25000"), currency="EUR")
    assert [a.country for a in party.addresses] == ["DE", "DE"]
    assert party.address(AddressKind.SHIPPING) is not None
    assert party.roles == [PartyRole.CUSTOMER, PartyRole.DEBTOR]


@pytest.mark.parametrize(
    ("entity", "data", "field", "value"),
    [
        (Party, {**PARTY, "emails": ["not-an-email"]}, "emails.0", "not-an-email"),
        (Party, {**PARTY, "name": "   "}, "name", "   "),
        (Party, {**PARTY, "currency": "EURO"}, "currency", "EURO"),
        (Contact, {"last_name": "Hansen", "email": "ole@@example.no"}, "email", "ole@@example.no"),
        (
            Product,
            {"code": "P-1", "name": "Pump", "list_price": {"amount": "abc"}},
            "list_price.amount",
            "abc",
        ),
        (TimeEntry, {"work_date": "2026-01-05", "minutes": -5}, "minutes", -5),
    ],
)
def test_validation_error_names_entity_field_and_value(
    entity: type[Party], data: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(EntityValidationError) as info:
        entity.parse(data)
    message = str(info.value)
    assert f"{entity.entity_name}.{field}" in message
    assert repr(value) in message


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(EntityValidationError, match=r"party\.colour"):
        Party.parse({"name": "X", "colour": "red"})


def test_datetimes_must_be_aware_and_become_utc() -> None:
    oslo = timezone(timedelta(hours=1))
    case = ServiceCase(title="Pump leaks", sla_due=datetime(2026, 5, 1, 9, 0, tzinfo=oslo))
    assert case.sla_due == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert case.sla_due is not None and case.sla_due.tzinfo == UTC
    with pytest.raises(EntityValidationError, match="timezone-aware"):
        ServiceCase.parse({"title": "x", "sla_due": "2026-05-01T09:00:00"})


def test_money_and_amounts_are_decimal_not_float() -> None:
    line = DocumentLine(quantity=Decimal("3"), unit_price=Decimal("19.99"), discount=Decimal("10"))
    assert line.amount() == Decimal("53.973")
    quote = Quote(
        currency="NOK", lines=[line, DocumentLine(unit_price=Decimal("1"), discount=Decimal(50))]
    )
    assert quote.total() == Money(amount=Decimal("54.473"), currency="NOK")
    assert quote.max_discount() == Decimal(50)


def test_content_hash_ignores_field_order_and_equivalent_decimals() -> None:
    reordered = dict(reversed(list(PARTY.items())))
    assert Party.parse(PARTY).content_hash() == Party.parse(reordered).content_hash()
    more_zeros = {**PARTY, "credit_limit": {"amount": "25000.0000", "currency": "EUR"}}
    assert Party.parse(PARTY).content_hash() == Party.parse(more_zeros).content_hash()


def test_content_hash_changes_with_any_field() -> None:
    base = Party.parse(PARTY)
    changed = base.model_copy(update={"vat_id": "DE999999999"})
    assert base.content_hash() != changed.content_hash()
    moved = Party.parse({**PARTY, "addresses": [{**PARTY["addresses"][0], "city": "Augsburg"}]})  # type: ignore[index]
    assert moved.content_hash() != base.content_hash()


def test_content_hash_is_stable_across_processes() -> None:
    code = (
        "import json,sys; from syncline.model import Party; "
        "print(Party.parse(json.loads(sys.argv[1])).content_hash())"
    )
    import json

    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, json.dumps(PARTY)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout.strip()
        for seed in (1, 2, 3)
    }
    assert outputs == {Party.parse(PARTY).content_hash()}


@given(
    name=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
    emails=st.lists(st.sampled_from(["a@x.de", "b@y.no", "c@z.dk"]), max_size=3),
    limit=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
)
def test_hash_depends_only_on_values(name: str, emails: list[str], limit: Decimal) -> None:
    one = Party(name=name, emails=emails, credit_limit=Money(amount=limit))
    two = Party.parse(
        {"credit_limit": {"amount": str(limit)}, "emails": list(emails), "name": name}
    )
    assert one.content_hash() == two.content_hash()


def test_every_entity_is_registered_and_round_trips() -> None:
    samples = [
        Party(name="Fjord Fisk AS"),
        Contact(last_name="Nielsen", email="k.nielsen@example.dk"),
        Product(code="PUMP-10", name="Pumpe 10 l"),
        Order(number="SO-1", lines=[DocumentLine(product_code="PUMP-10", quantity=Decimal(2))]),
        ServiceCase(title="Defect", case_type=CaseType.DEFECT),
        TimeEntry(work_date=date(2026, 1, 31), minutes=90, project="Rollout", phase="Design"),
        ServiceAgreement(price=Money(amount=Decimal("99.00")), start_date=date(2026, 1, 1)),
        Address(street="Storgata 1", city="Oslo", country="no"),
    ]
    for sample in samples:
        again = type(sample).parse(sample.model_dump(mode="json"))
        assert again == sample and again.content_hash() == sample.content_hash()
    assert entity_type("party") is Party
    assert set(ENTITY_TYPES) >= {"party", "contact", "product", "order", "invoice", "credit_note"}
    with pytest.raises(KeyError, match="known entities"):
        entity_type("debtor")


def test_quotes_orders_and_billing_documents_name_a_contact_by_reference() -> None:
    # The person a document is addressed to is a link to a contact, like a deal's contact.
    for kind in (Opportunity, Quote, Order, Invoice, CreditNote):
        assert kind.references["contact_id"] == "contact", kind.__name__
        assert kind.references["party_id"] == "party", kind.__name__
    quote = Quote.parse({"title": "Angebot", "party_id": "a1", "contact_id": "k2"})
    assert quote.contact_id == "k2"
    invoice = Invoice(number="INV-1", contact_id="k2")
    assert invoice.content_hash() != invoice.model_copy(update={"contact_id": "k1"}).content_hash()
    assert Order().contact_id is None and CreditNote().contact_id is None


def test_time_entry_hours() -> None:
    assert TimeEntry(work_date=date(2026, 1, 1), minutes=90).hours() == Decimal("1.5")


def _reference_values(entity: CanonicalEntity) -> dict[str, Any]:
    """The canonical form as first defined: python dump, then canonical_json."""
    result: dict[str, Any] = canonical_json(entity.model_dump(mode="python"))
    return result


@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=4),
    quantity=st.decimals(min_value=0, max_value=10**6, allow_nan=False, places=3),
    hours=st.integers(min_value=-14, max_value=14),
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_canonical_values_equal_the_reference_form(
    amount: Decimal, quantity: Decimal, hours: int, moment: datetime
) -> None:
    """canonical_values (serialised in Rust) gives exactly the reference form for every
    entity: normalised decimals (10.00 -> "10", 0E-2 -> "0"), datetimes in UTC, enum values."""
    at = moment.replace(tzinfo=timezone(timedelta(hours=hours)))
    money = Money(amount=amount, currency="NOK")
    line = DocumentLine(product_code="P-1", quantity=quantity, unit_price=amount, discount=5)
    samples: list[CanonicalEntity] = [
        Party(name="Fjord Fisk AS", credit_limit=money, roles=["supplier", "customer"]),
        Product(code="PUMP-10", name="Pumpe", list_price=money),
        Order(number="SO-1", lines=[line], confirmed_at=at, order_date=at.date()),
        Quote(number="Q-1", lines=[line, line], valid_until=at.date()),
        Invoice(number="I-1", total_amount=amount, lines=[line], invoice_date=at.date()),
        ServiceCase(title="Defect", case_type=CaseType.DEFECT, sla_due=at),
        TimeEntry(work_date=at.date(), minutes=90, recorded_at=at),
        ServiceAgreement(price=money, quantity=quantity, start_date=at.date()),
    ]
    for sample in samples:
        assert sample.canonical_values() == _reference_values(sample), type(sample).__name__
    assert samples[0].canonical_values()["credit_limit"]["amount"] == format(
        amount.normalize() if amount != 0 else Decimal(0), "f"
    )
