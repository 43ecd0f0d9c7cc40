"""Read-only questions later flows ask the ERP: stock per product and date, and a customer's
account (receivable, overdue, credit limit, revenue, last invoices, open orders)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.lookups import Lookups
from syncline.errors import PermanentError

OPEN_ORDER_STATES = ("quotation", "confirmed", "processing")


@dataclass(frozen=True)
class StockLevel:
    """Quantities of one product in the sales unit: on hand at ``at`` and forecast (on hand
    plus planned receipts minus planned deliveries up to ``at``)."""

    product_id: str
    at: date
    on_hand: Decimal
    forecast: Decimal


@dataclass(frozen=True)
class InvoiceSummary:
    """A customer invoice in brief; amounts in ``currency``, negative for credit notes."""

    native_id: str
    number: str | None
    invoice_date: date | None
    state: str
    currency: str
    total_amount: Decimal
    amount_to_pay: Decimal


@dataclass(frozen=True)
class OrderSummary:
    """An open sales order in brief; ``total_amount`` in ``currency``."""

    native_id: str
    number: str | None
    state: str
    order_date: date | None
    planned_ship_date: date | None
    currency: str
    total_amount: Decimal


@dataclass(frozen=True)
class CustomerAccount:
    """A customer's standing in the company's currency.

    ``overdue`` is what has fallen due by today; ``credit_limit`` is None when Tryton keeps
    none (the ``account_credit_limit`` module is not activated). Revenue is untaxed, posted
    and paid invoices minus credit notes, by invoice date.
    """

    party_id: str
    currency: str
    receivable: Decimal
    overdue: Decimal
    credit_limit: Decimal | None
    revenue_this_year: Decimal
    revenue_last_year: Decimal
    last_invoices: list[InvoiceSummary] = field(default_factory=list)
    open_orders: list[OrderSummary] = field(default_factory=list)


class TrytonInsight:
    """Read-only queries on a Tryton database (share the connector's client)."""

    def __init__(self, client: TrytonClient, lookups: Lookups | None = None) -> None:
        self.client = client
        self.lookups = lookups or Lookups(client)

    def _warehouses(self) -> list[int]:
        return self.client.search("stock.location", [("type", "=", "warehouse")])

    def stock(self, product_ids: Sequence[str], at: date | None = None) -> list[StockLevel]:
        """On-hand and forecast quantities of the products in all warehouses on ``at``
        (default today), in each product's default unit. Unknown ids are left out."""
        day = at or date.today()
        ids = [int(i) for i in product_ids]
        context = {
            "locations": self._warehouses(),
            "stock_date_end": day,
            "with_childs": True,
            "active_test": False,
        }
        rows = self.client.search_read(
            "product.product",
            [("id", "in", ids)],
            ["quantity", "forecast_quantity"],
            context=context,
        )
        by_id = {int(r["id"]): r for r in rows}
        return [
            StockLevel(
                product_id=str(i),
                at=day,
                on_hand=Decimal(str(by_id[i]["quantity"] or 0)),
                forecast=Decimal(str(by_id[i]["forecast_quantity"] or 0)),
            )
            for i in ids
            if i in by_id
        ]

    def customer_account(
        self, party_id: str, *, invoices: int = 5, today: date | None = None
    ) -> CustomerAccount:
        """The customer's receivable, overdue amount, credit limit, revenue of this and last
        year, last ``invoices`` invoices (newest first) and open orders."""
        day = today or date.today()
        party = int(party_id)
        fields = self.client.model("party.party", "fields_get", ["credit_limit_amount"])
        wanted = ["receivable", "receivable_today", *fields.keys()]
        rows = self.client.read("party.party", [party], wanted, context={"active_test": False})
        if not rows:
            raise PermanentError(f"Tryton has no party {party_id}", system=self.client.system)
        row = rows[0]
        currency = self.lookups.company_currency()
        limit = row.get("credit_limit_amount")
        return CustomerAccount(
            party_id=party_id,
            currency=currency,
            receivable=row.get("receivable") or Decimal(0),
            overdue=row.get("receivable_today") or Decimal(0),
            credit_limit=limit if isinstance(limit, Decimal) else None,
            revenue_this_year=self._revenue(party, day.year),
            revenue_last_year=self._revenue(party, day.year - 1),
            last_invoices=self._last_invoices(party, invoices),
            open_orders=self._open_orders(party),
        )

    def _revenue(self, party: int, year: int) -> Decimal:
        rows = self.client.search_read(
            "account.invoice",
            [
                ("party", "=", party),
                ("type", "=", "out"),
                ("state", "in", ["posted", "paid"]),
                ("invoice_date", ">=", date(year, 1, 1)),
                ("invoice_date", "<=", date(year, 12, 31)),
            ],
            ["untaxed_amount"],
        )
        return sum((r["untaxed_amount"] or Decimal(0) for r in rows), Decimal(0))

    def _last_invoices(self, party: int, count: int) -> list[InvoiceSummary]:
        rows = self.client.search_read(
            "account.invoice",
            [("party", "=", party), ("type", "=", "out"), ("state", "!=", "cancelled")],
            ["number", "invoice_date", "state", "currency", "total_amount", "amount_to_pay"],
            limit=count,
            order=[("invoice_date", "DESC NULLS LAST"), ("id", "DESC")],
        )
        return [
            InvoiceSummary(
                native_id=str(r["id"]),
                number=r.get("number") or None,
                invoice_date=r.get("invoice_date"),
                state=r["state"],
                currency=self.lookups.currencies.code_of(r.get("currency")) or "EUR",
                total_amount=r.get("total_amount") or Decimal(0),
                amount_to_pay=r.get("amount_to_pay") or Decimal(0),
            )
            for r in rows
        ]

    def _open_orders(self, party: int) -> list[OrderSummary]:
        rows = self.client.search_read(
            "sale.sale",
            [("party", "=", party), ("state", "in", list(OPEN_ORDER_STATES))],
            ["number", "state", "sale_date", "shipping_date", "currency", "total_amount"],
            order=[("sale_date", "DESC NULLS LAST"), ("id", "DESC")],
        )
        return [
            OrderSummary(
                native_id=str(r["id"]),
                number=r.get("number") or None,
                state=r["state"],
                order_date=r.get("sale_date"),
                planned_ship_date=r.get("shipping_date"),
                currency=self.lookups.currencies.code_of(r.get("currency")) or "EUR",
                total_amount=r.get("total_amount") or Decimal(0),
            )
            for r in rows
        ]


__all__ = ["CustomerAccount", "InvoiceSummary", "OrderSummary", "StockLevel", "TrytonInsight"]
