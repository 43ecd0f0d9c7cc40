"""Sale lines syncline creates in a real Tryton 8.2 carry the taxes Tryton's own client would
give them: the product's customer taxes, mapped through the party's customer tax rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector, connect
from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.sale_taxes import tax_ids
from syncline.demo.tryton import TrytonInstance
from syncline.model import Address, DocumentLine, Order, OrderState, Party
from tests.support.live_systems import tryton_settings_for

pytestmark = [pytest.mark.integration, pytest.mark.tryton]

LATHE = DocumentLine(product_id="2", product_code="MAS-012", description="Drehmaschine",
                     quantity=Decimal(1), unit_price=Decimal("23125.00"))  # fmt: skip
BELT = DocumentLine(product_id="20", product_code="ERS-022", description="Riemen",
                    quantity=Decimal(4), unit_price=Decimal("45.00"))  # fmt: skip
FREIGHT = DocumentLine(description="Fracht pauschal", quantity=Decimal(1),
                       unit_price=Decimal("80.00"))  # fmt: skip


def _order(party_id: str, state: OrderState, lines: Sequence[DocumentLine]) -> Order:
    return Order(party_id=party_id, reference=f"TAX-{uuid.uuid4().hex[:6]}",
                 order_date=date.today(), state=state, lines=list(lines))  # fmt: skip


def _create(connector: TrytonConnector, entity: str, items: Sequence[Any]) -> list[str]:
    """Create ``items`` in one write batch; their native ids."""
    requests = [WriteRequest(WriteOp.CREATE, entity, f"t-{uuid.uuid4()}", data=i) for i in items]
    results = connector.write(entity, requests)
    assert all(r.ok for r in results), [r.error for r in results]
    return [str(r.native_id) for r in results]


def _customer(connector: TrytonConnector) -> str:
    party = Party(name=f"Steuerkunde {uuid.uuid4().hex[:6]} GmbH",
                  addresses=[Address(street="Kai 1", city="Kiel")])  # fmt: skip
    (party_id,) = _create(connector, "party", [party])
    return party_id


def _line_taxes(client: TrytonClient, sale_id: str) -> list[tuple[int | None, list[int]]]:
    """(product id, sorted tax ids) of each line of the sale, in line order."""
    rows = client.search_read(
        "sale.line", [("sale", "=", int(sale_id))], ["product", "taxes"],
        order=[("sequence", "ASC"), ("id", "ASC")],
    )  # fmt: skip
    return [(r.get("product"), sorted(r["taxes"])) for r in rows]


def _default_taxes(client: TrytonClient, product_id: int) -> list[int]:
    """The customer taxes of a product's account category (the seeded VAT)."""
    (product,) = client.read("product.product", [product_id], ["account_category"])
    (category,) = client.read(
        "product.category", [product["account_category"]], ["customer_taxes_used"]
    )
    return sorted(category["customer_taxes_used"])


@pytest.mark.parametrize("state", [OrderState.QUOTATION, OrderState.CONFIRMED])
def test_created_order_lines_carry_the_products_customer_taxes(
    tryton_connector: TrytonConnector, state: OrderState
) -> None:
    client = tryton_connector.client
    vat = _default_taxes(client, 2)
    assert vat and _default_taxes(client, 20) == vat
    lines = [LATHE, BELT] if state is OrderState.CONFIRMED else [LATHE, BELT, FREIGHT]
    order = _order(_customer(tryton_connector), state, lines)
    (sale_id,) = _create(tryton_connector, "order", [order])

    expected: list[tuple[int | None, list[int]]] = [(2, vat), (20, vat)]
    if FREIGHT in lines:
        expected.append((None, []))
    assert _line_taxes(client, sale_id) == expected  # a line without product: no taxes
    (sale,) = client.read("sale.sale", [int(sale_id)], ["untaxed_amount", "tax_amount"])
    assert sale["untaxed_amount"] == sum((line.quantity * line.unit_price for line in lines),
                                         Decimal(0))  # fmt: skip
    taxed = sum((line.quantity * line.unit_price for line in lines if line.product_id), Decimal(0))
    assert sale["tax_amount"] == (taxed * Decimal("0.19")).quantize(Decimal("0.01")) > 0

    # Taxes are not canonical: the order reads back as written.
    (record,) = tryton_connector.read("order", [sale_id])
    assert isinstance(record.data, Order)
    assert (record.data.party_id, record.data.reference) == (order.party_id, order.reference)
    assert record.data.lines == order.lines


def test_a_party_with_a_customer_tax_rule_gets_the_mapped_tax(
    tryton_connector: TrytonConnector,
) -> None:
    client = tryton_connector.client
    (vat,) = _default_taxes(client, 2)
    (reduced,) = client.model(
        "account.tax", "copy", [vat],
        {"name": f"Reduced {uuid.uuid4().hex[:4]}", "rate": Decimal("0.07")},
    )  # fmt: skip
    (rule,) = client.create(
        "account.tax.rule",
        [{"name": "Reduced customers", "kind": "sale", "company": client.context["company"],
          "lines": [("create", [{"origin_tax": vat, "tax": reduced}])]}],
    )  # fmt: skip
    ruled, plain = _customer(tryton_connector), _customer(tryton_connector)
    client.write("party.party", [int(ruled)], {"customer_tax_rule": rule})

    # One batch, one product, two parties: each gets its own taxes.
    orders = [_order(party, OrderState.QUOTATION, [LATHE]) for party in (ruled, plain)]
    ruled_sale, plain_sale = _create(tryton_connector, "order", orders)
    assert _line_taxes(client, ruled_sale) == [(2, [reduced])]
    assert _line_taxes(client, plain_sale) == [(2, [vat])]
    (sale,) = client.read("sale.sale", [int(ruled_sale)], ["tax_amount"])
    assert sale["tax_amount"] == Decimal("1618.75")  # 7 % of 23,125.00


def test_taxes_are_asked_of_tryton_once_per_product_in_a_write_batch(
    tryton_connector: TrytonConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = tryton_connector.client
    asked: list[Any] = []
    model = client.model

    def counting(name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if (name, method) == ("sale.line", "on_change_product"):
            asked.append(args[0]["product"])
        return model(name, method, *args, **kwargs)

    monkeypatch.setattr(client, "model", counting)
    first, second = _customer(tryton_connector), _customer(tryton_connector)
    orders = [
        _order(first, OrderState.QUOTATION, [LATHE, BELT, BELT]),
        _order(second, OrderState.QUOTATION, [BELT, LATHE]),
        _order(first, OrderState.QUOTATION, [LATHE]),
    ]
    sale_ids = _create(tryton_connector, "order", orders)

    assert sorted(asked) == [2, 20]
    vat = _default_taxes(client, 2)
    for sale_id, order in zip(sale_ids, orders, strict=True):
        taxes = _line_taxes(client, sale_id)
        assert [t for _, t in taxes] == [vat] * len(order.lines)


def test_a_line_without_product_gets_the_default_revenue_accounts_taxes(
    own_tryton: TrytonInstance,
) -> None:
    """As in Tryton's client: where the company names a default revenue account, a line
    without product (freight) takes that account's taxes. A server of its own: the account
    configuration changes."""
    connector = connect("erp", tryton_settings_for(own_tryton))
    try:
        client = connector.client
        vat = _default_taxes(client, 2)
        (product,) = client.read("product.product", [2], ["account_category"])
        (category,) = client.read(
            "product.category", [product["account_category"]], ["account_revenue"]
        )
        revenue = int(category["account_revenue"])
        client.write("account.account", [revenue], {"taxes": [("add", vat)]})
        (config,) = client.search("account.configuration", [])
        client.write(
            "account.configuration", [config], {"default_category_account_revenue": revenue}
        )
        (sale_id,) = _create(
            connector, "order",
            [_order(_customer(connector), OrderState.QUOTATION, [LATHE, FREIGHT])],
        )  # fmt: skip
        assert _line_taxes(client, sale_id) == [(2, vat), (None, vat)]
        (sale,) = client.read("sale.sale", [int(sale_id)], ["tax_amount"])
        assert sale["tax_amount"] == ((Decimal("23125.00") + Decimal("80.00")) * Decimal("0.19")
                                      ).quantize(Decimal("0.01"))  # fmt: skip
    finally:
        connector.close()


def test_an_on_change_reply_without_taxes_means_none_not_an_error() -> None:
    """Tryton answers only what changed: a tax-free product leaves the empty list as sent."""
    assert tax_ids({"taxes": {"add": [[0, {"id": 5}], [1, {"id": 3}]]}}) == [3, 5]
    assert tax_ids({"unit_price": Decimal(1), "amount": Decimal(1)}) == []
    assert tax_ids(["garbage"]) is None
