"""Read-only questions later flows ask the ERP: stock per product and date, and a customer's
account (receivable, overdue, credit limit, revenue, last invoices, open orders).

"Today" is the date in the company's time zone, as Tryton itself dates moves and invoices:
around midnight UTC the company's day may already be the next one (or still the last).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.lookups import Lookups
from syncline.errors import PermanentError

OPEN_ORDER_STATES = ("quotation", "confirmed", "processing")
WAITING_MOVE_STATES = ("draft", "assigned")


@dataclass(frozen=True)
class StockLevel:
    """Quantities of one product in its default unit: on hand at ``at`` and forecast (on hand
    plus waiting receipts minus waiting deliveries planned up to ``at``, late ones included)."""

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TrytonInsight:
    """Read-only queries on a Tryton database (share the connector's client).

    ``clock`` gives the current time, timezone-aware; the company's time zone is read once.
    """

    def __init__(
        self,
        client: TrytonClient,
        lookups: Lookups | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.client = client
        self.lookups = lookups or Lookups(client)
        self.clock = clock
        self._zone: tzinfo | None = None

    def today(self) -> date:
        """The current date in the company's time zone (Tryton's ``ir.date.today``)."""
        return self.clock().astimezone(self.company_zone()).date()

    def company_zone(self) -> tzinfo:
        """The company's time zone, read on first use; UTC when the company names none (or
        one unknown here), as Tryton does."""
        if self._zone is None:
            company = int(self.lookups.company()["id"])
            rows = self.client.read("company.company", [company], ["timezone"])
            name = rows[0].get("timezone") if rows else None
            try:
                self._zone = ZoneInfo(name) if name else UTC
            except (ZoneInfoNotFoundError, ValueError):
                self._zone = UTC
        return self._zone

    def _warehouses(self) -> list[int]:
        return self.client.search("stock.location", [("type", "=", "warehouse")])

    def stock(self, product_ids: Sequence[str], at: date | None = None) -> list[StockLevel]:
        """On-hand and forecast quantities of the products in all warehouses on ``at``
        (default the company's today), in each product's default unit. Unknown ids are left out.

        From today on, the forecast also counts late moves (waiting, dated before today):
        Tryton's own forecast leaves them out although the goods will still move."""
        today = self.today()
        day = at or today
        ids = [int(i) for i in product_ids]
        warehouses = self._warehouses()
        context = {
            "locations": warehouses,
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
        late = self._late_balance(ids, warehouses, today) if ids and day >= today else {}
        by_id = {int(r["id"]): r for r in rows}
        return [
            StockLevel(
                product_id=str(i),
                at=day,
                on_hand=Decimal(str(by_id[i]["quantity"] or 0)),
                forecast=Decimal(str(by_id[i]["forecast_quantity"] or 0)) + late.get(i, Decimal(0)),
            )
            for i in ids
            if i in by_id
        ]

    def _late_balance(
        self, ids: list[int], warehouses: list[int], today: date
    ) -> dict[int, Decimal]:
        """Per product, late receipts into the warehouses minus late deliveries out of them,
        in the product's default unit; moves within the warehouses change no total."""
        inside = set(
            self.client.search(
                "stock.location",
                [("parent", "child_of", warehouses)],
                context={"active_test": False},
            )
        )
        locations = sorted(inside)
        moves = self.client.search_read(
            "stock.move",
            [
                ("product", "in", ids),
                ("state", "in", list(WAITING_MOVE_STATES)),
                ["OR", ("from_location", "in", locations), ("to_location", "in", locations)],
                # dated as Tryton does: effective date, else today if assigned, else planned
                [
                    "OR",
                    ("effective_date", "<", today),
                    [
                        ("effective_date", "=", None),
                        ("state", "=", "draft"),
                        ("planned_date", "<", today),
                    ],
                ],
            ],
            ["product", "internal_quantity", "from_location", "to_location"],
        )
        balance: dict[int, Decimal] = {}
        for move in moves:
            enters = move["to_location"] in inside
            if enters == (move["from_location"] in inside):
                continue
            quantity = Decimal(str(move["internal_quantity"]))
            product = int(move["product"])
            change = quantity if enters else -quantity
            balance[product] = balance.get(product, Decimal(0)) + change
        return balance

    def customer_account(
        self, party_id: str, *, invoices: int = 5, today: date | None = None
    ) -> CustomerAccount:
        """The customer's receivable, overdue amount, credit limit, revenue of this and last
        year, last ``invoices`` invoices (newest first) and open orders; years are counted
        from ``today``, by default the company's."""
        day = today or self.today()
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
