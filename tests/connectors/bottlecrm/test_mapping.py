"""Default mappings both ways, on BottleCRM's reply shapes (no server)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from syncline.connectors.bottlecrm.accounts import account_to_party, party_to_account
from syncline.connectors.bottlecrm.contacts import contact_from_native, contact_to_native
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.opportunities import deal_to_opportunity, opportunity_to_deal
from syncline.model import Address, Contact, Money, Opportunity, OpportunityStatus, Party

ACCOUNT = {
    "id": "e0e7",
    "name": "Mueller Maschinenbau",
    "email": "info@mueller.de",
    "phone": "+49 711 1234567",
    "website": "https://mueller.de",
    "currency": "EUR",
    "address_line": "Hauptstr. 1",
    "city": "Stuttgart",
    "state": None,
    "postcode": "70173",
    "country": "DE",
    "is_active": True,
    "custom_fields": {"erp_number": "D10001"},
}


def test_account_to_party_and_back() -> None:
    party = account_to_party(ACCOUNT)
    assert party.numbers == {"erp": "D10001"}
    assert party.emails == ["info@mueller.de"] and party.phones == ["+49 711 1234567"]
    assert party.addresses == [
        Address(street="Hauptstr. 1", postal_code="70173", city="Stuttgart", country="DE")
    ]
    body = party_to_account(party)
    assert body["custom_fields"] == {"erp_number": "D10001"}
    assert {k: body[k] for k in ("name", "city", "postcode", "country", "is_active")} == {
        "name": "Mueller Maschinenbau",
        "city": "Stuttgart",
        "postcode": "70173",
        "country": "DE",
        "is_active": True,
    }


def test_party_update_writes_only_changed_fields() -> None:
    party = Party(name="X", numbers={"erp": "D1"}, active=False)
    assert party_to_account(party, frozenset({"active"})) == {"is_active": False}
    assert party_to_account(party, frozenset({"numbers"})) == {
        "custom_fields": {"erp_number": "D1"}
    }


def test_account_without_address_or_number() -> None:
    party = account_to_party({"id": "1", "name": "Leer", "custom_fields": {}, "city": ""})
    assert party.addresses == [] and party.numbers == {} and party.emails == []


def test_contact_both_ways() -> None:
    native = {
        "id": "c1",
        "first_name": "Kari",
        "last_name": "Bjørnstad",
        "email": "kari@verksted.no",
        "phone": "+47 73 505050",
        "title": "Innkjøp",
        "account": "e0e7",
        "is_active": False,
    }
    contact = contact_from_native(native)
    assert contact == Contact(
        first_name="Kari",
        last_name="Bjørnstad",
        email="kari@verksted.no",
        phone="+47 73 505050",
        role="Innkjøp",
        party_id="e0e7",
        active=False,
    )
    assert contact_to_native(contact)["account"] == "e0e7"
    assert contact_to_native(contact)["title"] == "Innkjøp"


def test_deal_both_ways_with_stage_kind() -> None:
    native = {
        "id": "d1",
        "name": "Rahmenvertrag",
        "account": {"id": "e0e7", "name": "Mueller"},
        "stage": "CLOSED_WON",
        "stage_kind": "won",
        "amount": "12500.50",
        "currency": "CHF",
        "probability": 40,
        "closed_on": "2026-12-31",
        "contacts": [{"id": "c1"}],
    }
    deal = deal_to_opportunity(native)
    assert deal.status is OpportunityStatus.WON and deal.stage == "CLOSED_WON"
    assert deal.amount == Money(amount=Decimal("12500.50"), currency="CHF")
    assert deal.party_id == "e0e7" and deal.contact_id == "c1"
    assert deal.expected_close == date(2026, 12, 31)
    body = opportunity_to_deal(deal)
    assert body["account"] == "e0e7" and body["contacts"] == ["c1"]
    assert body["amount"] == "12500.50" and body["currency"] == "CHF"


def test_status_without_stage_picks_the_closing_stage() -> None:
    lost = Opportunity(name="X", status=OpportunityStatus.LOST)
    assert opportunity_to_deal(lost)["stage"] == "CLOSED_LOST"
    assert opportunity_to_deal(Opportunity(name="Y"))["stage"] == "PROSPECTING"


def test_notice_is_a_task_on_one_parent() -> None:
    notice = ErpDocumentNotice(
        NoticeKind.SHIPMENT, "SH-1001", account_id="a", opportunity_id="d", document_url="u"
    )
    task = notice.to_task()
    assert task["title"] == "Shipment notice SH-1001"
    assert task["opportunity"] == "d" and "account" not in task
    assert "SH-1001" in task["description"]
