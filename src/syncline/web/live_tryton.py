"""Tryton behind :class:`~syncline.web.live.ErpDesk`: the connector's read-only insight queries
plus its order write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import CustomerAccount, StockLevel, TrytonConnector
from syncline.errors import PermanentError
from syncline.flows.erp_tryton import ALL, marker_text
from syncline.model import Order
from syncline.web.live import CrmAccount, ErpProduct, PlacedOrder, SaleFact

#: Days from the company's today on which the forecast is probed for a ship date (a call each).
SHIP_DATE_PROBES = (0, 3, 7, 14, 21, 28, 42, 56)


class TrytonDesk:
    """Customer standing, catalogue, stock, ship dates and orders of one Tryton database."""

    def __init__(self, connector: TrytonConnector) -> None:
        self.connector = connector
        self.client = connector.client

    def party_for(self, account: CrmAccount) -> str | None:
        if not account.erp_number:
            return None
        ids = self.client.search(
            "party.party", [("code", "=", account.erp_number)], limit=1, context={}
        )
        return str(ids[0]) if ids else None

    def customer_account(self, party_id: str) -> CustomerAccount:
        return self.connector.insight.customer_account(party_id)

    def products(self) -> list[ErpProduct]:
        rows = self.client.search_read(
            "product.product",
            [("salable", "=", True)],
            ["code", "rec_name", "default_uom", "list_price_used", "type"],
            order=[("code", "ASC")],
        )
        units = self.connector.lookups.units
        return [
            ErpProduct(
                id=str(r["id"]),
                code=r.get("code") or None,
                name=str(r.get("rec_name") or r.get("code") or r["id"]),
                unit=units.code_of(r.get("default_uom")) or "u",
                list_price=r.get("list_price_used") or Decimal(0),
                goods=r.get("type") == "goods",
            )
            for r in rows
        ]

    def today(self) -> date:
        return self.connector.insight.today()

    def stock(self, product_ids: Sequence[str], at: date | None = None) -> list[StockLevel]:
        return self.connector.insight.stock(product_ids, at)

    def ship_date(self, wanted: Sequence[tuple[str, Decimal]]) -> date | None:
        """The first probed day, counted from the company's today, on which the forecast of
        every stocked product covers the quantity wanted; services and unknown products need
        no stock."""
        needed: dict[str, Decimal] = {}
        for product_id, quantity in wanted:
            needed[product_id] = needed.get(product_id, Decimal(0)) + quantity
        if not needed:
            return None
        rows = self.client.read(
            "product.product", [int(p) for p in needed if p.isdigit()], ["type"]
        )
        stocked = [str(r["id"]) for r in rows if r.get("type") == "goods"]
        today = self.today()
        if not stocked:
            return today
        for days in SHIP_DATE_PROBES:
            day = today + timedelta(days=days)
            levels = {s.product_id: s for s in self.stock(stocked, day)}
            if all(p in levels and levels[p].forecast >= needed[p] for p in stocked):
                return day
        return None

    def place_order(self, order: Order, idempotency_key: str) -> PlacedOrder:
        """Create the sale, once per ``idempotency_key``: the sale's description carries the
        key's marker, and a sale showing it is returned instead of a second one (a form
        submitted again after a timeout, or after the web server restarted)."""
        marker = marker_text(f"syncline:{idempotency_key}")
        found = self.client.search(
            "sale.sale", [("description", "like", f"%{marker}")], order=[("id", "ASC")],
            context=ALL,
        )  # fmt: skip
        native_id = str(found[0]) if found else self._create(order, idempotency_key, marker)
        (record,) = self.connector.read("order", [native_id])
        placed = record.data
        assert isinstance(placed, Order)
        return PlacedOrder(
            native_id=native_id,
            number=placed.number,
            state=placed.state.value,
            planned_ship_date=placed.planned_ship_date or self._planned(native_id),
        )

    def _create(self, order: Order, idempotency_key: str, marker: str) -> str:
        marked = order.model_copy(
            update={"description": f"{order.description or ''} {marker}".strip()}
        )
        request = WriteRequest(WriteOp.CREATE, "order", idempotency_key, data=marked)
        (result,) = self.connector.write("order", [request])
        if result.error is not None:
            raise result.error
        if not result.native_id:
            raise PermanentError("Tryton created no order", system=self.connector.system)
        return result.native_id

    def _planned(self, sale_id: str) -> date | None:
        """The earliest planned date of the sale's stock moves (Tryton plans them when it
        processes a confirmed sale); None before that."""
        (sale,) = self.client.read("sale.sale", [int(sale_id)], ["moves"])
        moves = self.client.read("stock.move", sale.get("moves") or [], ["planned_date"])
        dates = [m["planned_date"] for m in moves if m.get("planned_date")]
        return min(dates) if dates else None

    def sales(self, since: date) -> list[SaleFact]:
        rows = self.client.search_read(
            "sale.sale",
            [("sale_date", ">=", since)],
            ["sale_date", "state", "untaxed_amount"],
        )
        returns = {
            int(r["sale"])
            for r in self.client.search_read(
                "sale.line",
                [("sale.sale_date", ">=", since), ("quantity", "<", 0), ("type", "=", "line")],
                ["sale"],
            )
        }
        return [
            SaleFact(
                sale_date=r.get("sale_date"),
                state=str(r["state"]),
                untaxed_amount=r.get("untaxed_amount") or Decimal(0),
                is_return=int(r["id"]) in returns,
            )
            for r in rows
        ]

    def complaints(self, since: date) -> int:
        return len(self.client.search("sale.complaint", [("date", ">=", since)]))


__all__ = ["SHIP_DATE_PROBES", "TrytonDesk"]
