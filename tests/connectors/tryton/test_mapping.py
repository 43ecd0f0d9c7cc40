"""Entity mappings beyond the contract: numbers, partial updates, workflows, read-only documents."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.model import (
    BillingPeriod,
    Contact,
    CreditNote,
    DocumentLine,
    Invoice,
    Money,
    Order,
    OrderState,
    Party,
    ServiceAgreement,
    Shipment,
)

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _create(connector: TrytonConnector, entity: str, data: object) -> str:
    request = WriteRequest(WriteOp.CREATE, entity, f"m-{uuid.uuid4()}", data=data)  # type: ignore[arg-type]
    (result,) = connector.write(entity, [request])
    assert result.ok, result.error
    return str(result.native_id)


def _numbers(origin: str | None) -> list[str]:
    return [o.split(" [")[0].strip() for o in (origin or "").split(",")]


def test_party_number_round_trips_and_partial_update_keeps_other_fields(
    tryton_connector: TrytonConnector,
) -> None:
    code = f"D{uuid.uuid4().int % 10**8}"
    party = Party(name="Numbered AS", numbers={"erp": code}, emails=["a@numbered.example"])
    native_id = _create(tryton_connector, "party", party)
    (record,) = tryton_connector.read("party", [native_id])
    assert isinstance(record.data, Party)
    assert record.data.numbers == {"erp": code}
    assert record.data.canonical_values() == party.canonical_values()

    # Someone adds a phone in Tryton; syncline then renames only: the phone must survive.
    phoned = record.data.model_copy(update={"phones": ["+47 22 00 00 00"]})
    tryton_connector.write(
        "party", [WriteRequest(WriteOp.UPDATE, "party", "p", native_id=native_id, data=phoned)]
    )
    renamed = party.model_copy(update={"name": "Numbered ASA"})
    (result,) = tryton_connector.write(
        "party",
        [WriteRequest(WriteOp.UPDATE, "party", "n", native_id=native_id, data=renamed,
                      fields=frozenset({"name"}))],
    )  # fmt: skip
    assert result.ok, result.error
    (after,) = tryton_connector.read("party", [native_id])
    assert isinstance(after.data, Party)
    assert (after.data.name, after.data.phones) == ("Numbered ASA", ["+47 22 00 00 00"])
    assert after.version == result.version


def test_order_is_confirmed_and_processed_into_shipment_and_invoice(
    tryton_connector: TrytonConnector,
) -> None:
    order = Order(
        party_id="3",
        reference=f"CRM-{uuid.uuid4().hex[:6]}",
        order_date=date.today(),
        state=OrderState.CONFIRMED,
        lines=[DocumentLine(product_id="2", product_code="MAS-012", description="Drehmaschine",
                            quantity=Decimal(1), unit_price=Decimal("23125.00"))],
    )  # fmt: skip
    native_id = _create(tryton_connector, "order", order)
    (record,) = tryton_connector.read("order", [native_id])
    assert isinstance(record.data, Order)
    assert record.data.state in (OrderState.CONFIRMED, OrderState.PROCESSING)
    assert record.data.number and record.data.reference == order.reference
    assert record.data.lines == order.lines

    shipments = [
        r.data for page in tryton_connector.scan("shipment") for r in page
        if isinstance(r.data, Shipment) and record.data.number in r.data.order_numbers
    ]  # fmt: skip
    assert len(shipments) == 1 and shipments[0].party_id == "3"
    assert shipments[0].document_url and shipments[0].document_url.endswith(
        "stock.shipment.out/" + shipments[0].document_url.rsplit("/", 1)[1]
    )
    invoices = [
        r.data for page in tryton_connector.scan("invoice") for r in page
        if isinstance(r.data, Invoice) and record.data.number in _numbers(r.data.origin)
    ]  # fmt: skip
    assert len(invoices) == 1
    assert invoices[0].untaxed_amount == Decimal("23125.00")
    assert invoices[0].total_amount == invoices[0].untaxed_amount + invoices[0].tax_amount


def test_an_order_cannot_jump_back_from_confirmed(tryton_connector: TrytonConnector) -> None:
    line = DocumentLine(product_id="2", product_code="MAS-012", description="Drehmaschine",
                        quantity=Decimal(1), unit_price=Decimal("23125.00"))  # fmt: skip
    order = Order(party_id="4", order_date=date.today(), state=OrderState.QUOTATION, lines=[line])
    native_id = _create(tryton_connector, "order", order)
    back = order.model_copy(update={"state": OrderState.DONE})
    (result,) = tryton_connector.write(
        "order", [WriteRequest(WriteOp.UPDATE, "order", "o", native_id=native_id, data=back)]
    )
    assert result.error is not None and "quotation to done" in str(result.error)


def test_a_failed_workflow_step_leaves_no_draft_behind(tryton_connector: TrytonConnector) -> None:
    reference = f"NOLINES-{uuid.uuid4().hex[:6]}"
    order = Order(party_id="4", reference=reference, state=OrderState.QUOTATION, lines=[])
    request = WriteRequest(WriteOp.CREATE, "order", "x", data=order)
    (result,) = tryton_connector.write("order", [request])
    assert result.error is not None and "quote" in str(result.error)
    assert tryton_connector.client.search("sale.sale", [("reference", "=", reference)]) == []


def test_seeded_invoices_and_credit_notes_read_with_positive_amounts(
    tryton_connector: TrytonConnector,
) -> None:
    invoices = [r.data for page in tryton_connector.scan("invoice") for r in page]
    credits = [r.data for page in tryton_connector.scan("credit_note") for r in page]
    assert len(invoices) >= 20 and len(credits) >= 5
    assert all(isinstance(c, CreditNote) and c.total_amount > 0 for c in credits)
    posted = [i for i in invoices if isinstance(i, Invoice) and i.state == "posted"]
    assert posted and all(i.number and i.due_date and i.lines for i in posted)
    assert not set(tryton_connector.list_ids("invoice")) & set(
        tryton_connector.list_ids("credit_note")
    )


def test_service_agreement_is_created_running_and_reads_back(
    tryton_connector: TrytonConnector,
) -> None:
    (product,) = tryton_connector.client.search("product.product", [("code", "=", "SRV-WARTUNG")])
    agreement = ServiceAgreement(
        party_id="7",
        product_id=str(product),
        product_code="SRV-WARTUNG",
        description="Wartung Drehmaschine",
        period=BillingPeriod.QUARTERLY,
        quantity=Decimal(2),
        price=Money(amount=Decimal("149.00"), currency="EUR"),
        start_date=date.today().replace(day=1),
    )
    native_id = _create(tryton_connector, "service_agreement", agreement)
    (record,) = tryton_connector.read("service_agreement", [native_id])
    assert isinstance(record.data, ServiceAgreement)
    assert record.data.number
    assert record.data.model_copy(update={"number": None}) == agreement


def test_a_contacts_mechanisms_stay_out_of_its_partys_own(
    tryton_connector: TrytonConnector,
) -> None:
    party = Party(name=f"Kontakt {uuid.uuid4().hex[:6]} ApS", emails=["info@kontakt.example"])
    party_id = _create(tryton_connector, "party", party)
    contact = Contact(
        first_name="Mette", last_name="Sørensen", party_id=party_id,
        email="mette@kontakt.example", phone="+45 33 12 34 56",
    )  # fmt: skip
    contact_id = _create(tryton_connector, "contact", contact)
    (read_party,) = tryton_connector.read("party", [party_id])
    assert isinstance(read_party.data, Party)
    assert (read_party.data.emails, read_party.data.phones) == (["info@kontakt.example"], [])
    (read_contact,) = tryton_connector.read("contact", [contact_id])
    assert read_contact.data == contact
    seeded = [
        r.data for r in tryton_connector.read("contact", tryton_connector.list_ids("contact"))
    ]
    assert sum(isinstance(c, Contact) and c.role == "Einkauf" for c in seeded) >= 200
