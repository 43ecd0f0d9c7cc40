"""The contact of orders and invoices in a real Tryton 8.2: a sale's ``contact`` is a contact
mechanism (a canonical contact); an invoice has no contact field and takes its sale's."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity, Contact, DocumentLine, Invoice, Order, OrderState

pytestmark = [pytest.mark.integration, pytest.mark.tryton]

CUSTOMER = "3"  # a seeded customer whose confirmed sales Tryton invoices at once


def _create(connector: TrytonConnector, entity: str, data: CanonicalEntity) -> str:
    request = WriteRequest(WriteOp.CREATE, entity, f"c-{uuid.uuid4()}", data=data)
    (result,) = connector.write(entity, [request])
    assert result.ok, result.error
    return str(result.native_id)


def _contact(connector: TrytonConnector, first: str) -> str:
    tag = uuid.uuid4().hex[:6]
    person = Contact(
        first_name=first, last_name=f"Kontakt {tag}", party_id=CUSTOMER,
        email=f"{first.lower()}.{tag}@kunde.example",
    )  # fmt: skip
    return _create(connector, "contact", person)


def _order(contact_id: str | None, state: OrderState) -> Order:
    line = DocumentLine(product_id="2", product_code="MAS-012", description="Drehmaschine",
                        quantity=Decimal(1), unit_price=Decimal("23125.00"))  # fmt: skip
    return Order(
        party_id=CUSTOMER, contact_id=contact_id, reference=f"CRM-{uuid.uuid4().hex[:6]}",
        order_date=date.today(), state=state, lines=[line],
    )  # fmt: skip


def test_tryton_82_has_a_sale_contact_but_no_invoice_contact(
    tryton_connector: TrytonConnector,
) -> None:
    client = tryton_connector.client
    sale = client.model("sale.sale", "fields_get", ["contact"])
    assert sale["contact"]["relation"] == "party.contact_mechanism"
    invoice = client.model("account.invoice", "fields_get", None)
    assert "party" in invoice and "contact" not in invoice
    # So the engine never plans an invoice contact write into Tryton.
    for entity in ("invoice", "credit_note"):
        support = tryton_connector.capabilities.support(entity)
        assert support is not None and "contact_id" in support.unstored
    order = tryton_connector.capabilities.support("order")
    assert order is not None and "contact_id" not in order.unstored


def test_an_order_naming_the_second_contact_reads_back_with_it_and_can_be_readdressed(
    tryton_connector: TrytonConnector,
) -> None:
    first, second = _contact(tryton_connector, "Erika"), _contact(tryton_connector, "Zoe")
    native_id = _create(tryton_connector, "order", _order(second, OrderState.QUOTATION))
    (sale,) = tryton_connector.client.read("sale.sale", [int(native_id)], ["contact"])
    assert sale["contact"] == int(second)
    (record,) = tryton_connector.read("order", [native_id])
    assert isinstance(record.data, Order) and record.data.contact_id == second

    readdressed = record.data.model_copy(update={"contact_id": first})
    (result,) = tryton_connector.write(
        "order",
        [WriteRequest(WriteOp.UPDATE, "order", "to-first", native_id=native_id,
                      data=readdressed, fields=frozenset({"contact_id"}))],
    )  # fmt: skip
    assert result.ok, result.error
    (again,) = tryton_connector.read("order", [native_id])
    assert isinstance(again.data, Order) and again.data.contact_id == first
    assert again.data.state is OrderState.QUOTATION  # nothing else moved


def test_an_order_naming_a_missing_contact_is_refused(tryton_connector: TrytonConnector) -> None:
    request = WriteRequest(WriteOp.CREATE, "order", "x", data=_order("99999999", OrderState.DRAFT))
    (result,) = tryton_connector.write("order", [request])
    assert isinstance(result.error, PermanentError) and result.error.field == "contact_id"
    assert "99999999" in str(result.error)


def test_an_invoice_names_the_contact_of_the_sale_it_came_from(
    tryton_connector: TrytonConnector,
) -> None:
    second = _contact(tryton_connector, "Ida")
    native_id = _create(tryton_connector, "order", _order(second, OrderState.CONFIRMED))
    (sale,) = tryton_connector.client.read("sale.sale", [int(native_id)], ["invoices"])
    assert sale["invoices"], "Tryton invoiced the confirmed sale"
    records = tryton_connector.read("invoice", [str(i) for i in sale["invoices"]])
    assert records and all(
        isinstance(r.data, Invoice) and r.data.contact_id == second for r in records
    )
    # An invoice of a sale without a contact names none.
    plain = _create(tryton_connector, "order", _order(None, OrderState.CONFIRMED))
    (other,) = tryton_connector.client.read("sale.sale", [int(plain)], ["invoices"])
    (unnamed,) = tryton_connector.read("invoice", [str(other["invoices"][0])])
    assert isinstance(unnamed.data, Invoice) and unnamed.data.contact_id is None
