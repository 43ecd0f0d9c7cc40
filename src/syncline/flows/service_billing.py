"""Periodic service billing: the CRM manages service agreements (maintenance, support plans);
for each period the billable positions of every agreement due go to the ERP as a confirmed
sales order, which the ERP invoices. Each period of an agreement is billed exactly once; when
an agreement changes after its period was billed, the next run bills the difference as a
correction order.

    pending ──> billed
       ^          │
       └──────────┘  (the agreement changed for a billed period)

An item is one agreement in one period (``YYYY-MM|agreement``). Every order carries a marker
(``syncline:<flow>:<item>:<n>``) and is looked up before it is created, so a crash between
creating and recording the order bills nothing twice. Prices are the agreement's (the CRM leads
the contract); products map through the catalogue links, else by code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem
from syncline.flows.linking import MapSides, erp_products, linked_id
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.flows.periods import parse_period, previous_period
from syncline.flows.ports import CrmSide, ErpSide
from syncline.mapping.flows import ServiceBillingConfig
from syncline.model import BillingPeriod, DocumentLine, Order, ServiceAgreement
from syncline.store import Store

MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}


class BillingState(StrEnum):
    PENDING = "pending"
    BILLED = "billed"


S = BillingState


def billing_key(period: str, agreement_id: str) -> str:
    return f"{period}|{agreement_id}"


def due(position: ServiceAgreement, period: str) -> bool:
    """Whether the position is billed in ``period`` (its start month, then every cycle)."""
    first, last = parse_period(period)
    if not position.active or position.start_date > last:
        return False
    if position.end_date is not None and position.end_date < first:
        return False
    months = (first.year - position.start_date.year) * 12 + first.month - position.start_date.month
    return months % MONTHS[position.period] == 0


def amounts(positions: list[ServiceAgreement], period: str) -> dict[str, str]:
    """What each position due in ``period`` costs (``code/line no -> amount``)."""
    return {
        f"{p.product_code or '-'}/{n}": format((p.quantity * p.price.amount).normalize(), "f")
        for n, p in enumerate(positions)
        if due(p, period)
    }


class ServiceBilling(Flow):
    """CRM service agreement positions -> one confirmed ERP order per agreement and period."""

    kind = "service_billing"
    entity = "service_agreement"
    machine = StateMachine(
        BillingState,
        initial=S.PENDING,
        final=(),
        transitions=((S.PENDING, S.BILLED), (S.BILLED, S.PENDING)),
    )

    def __init__(
        self,
        config: ServiceBillingConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
        products: MapSides,
        today: date | None = None,
    ) -> None:
        super().__init__(config.name, store)
        self.config = config
        self.crm = crm
        self.erp = erp
        self.parties = parties
        self.products = products
        self.today = today
        self._agreements: dict[str, list[ServiceAgreement]] = {}

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        period = options.period or previous_period(self.today or date.today())
        self._agreements = self.crm.service_agreements()
        return [
            Candidate(billing_key(period, agreement_id), {"agreement_id": agreement_id})
            for agreement_id, positions in sorted(self._agreements.items())
            if amounts(positions, period)
        ]

    def _lines(
        self, positions: list[ServiceAgreement], now: dict[str, str], before: dict[str, str],
        period: str,
    ) -> list[DocumentLine]:  # fmt: skip
        """Order lines: every due position the first time, the differences afterwards."""
        keyed = {f"{p.product_code or '-'}/{n}": p for n, p in enumerate(positions)}
        changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
        found = erp_products(
            self.store, self.products, self.erp,
            [(keyed[k].product_id, keyed[k].product_code) if k in keyed else (None, k.split("/")[0])
             for k in changed],
        )  # fmt: skip
        catalogue = self.erp.products([p for p in found if p is not None])
        lines = []
        for key, product in zip(changed, found, strict=True):
            if product is None:
                raise FlowError(f"position {key} names no product of the ERP catalogue")
            unit = catalogue[product].unit if product in catalogue else "u"
            position = keyed.get(key)
            text = position.description if position else key
            if not before:
                assert position is not None
                lines.append(
                    DocumentLine(
                        product_id=product, description=f"{text} {period}",
                        quantity=position.quantity, unit=unit,
                        unit_price=position.price.amount,
                    )
                )  # fmt: skip
                continue
            delta = Decimal(now.get(key, "0")) - Decimal(before.get(key, "0"))
            lines.append(
                DocumentLine(product_id=product, description=f"Correction {period}: {text}",
                             quantity=Decimal(1), unit=unit, unit_price=delta)
            )  # fmt: skip
        return lines

    @step(S.PENDING)
    def bill(self, item: FlowItem) -> Outcome:
        period, agreement_id = item.key.split("|")
        positions = self._agreements.get(agreement_id, [])
        now, before = amounts(positions, period), dict(item.data.get("billed") or {})
        if now == before:
            return Advance(S.BILLED, {"billed": now}, detail="nothing left to bill")
        account = next((p.party_id for p in positions if p.party_id), None)
        with self.store.begin() as conn:
            party = linked_id(conn, self.parties, "crm", account) if account else None
        if party is None:
            return Wait("the agreement's CRM account is not linked to an ERP party yet")
        bookings = int(item.data.get("bookings") or 0)
        marker = f"syncline:{self.name}:{item.key}:{bookings}"
        order_id = self.erp.find_order(marker)
        if order_id is None:
            title = positions[0].number if positions else agreement_id
            order = Order(
                party_id=party,
                reference=title,
                currency=positions[0].price.currency if positions else "EUR",
                description=f"{'Correction' if before else 'Service'} {title} {period}",
                lines=self._lines(positions, now, before, period),
            )
            order_id = self.erp.create_order(order, marker)
        self.erp.confirm_order(order_id)
        return Advance(
            S.BILLED,
            {"billed": now, "bookings": bookings + 1,
             "orders": [*item.data.get("orders", []), order_id]},
            detail=f"{'correction ' if before else ''}order {order_id} for {item.key}",
            changes=(Change(self.erp.system, "order", order_id, "billed", now, before or None),),
        )  # fmt: skip

    @step(S.BILLED)
    def watch(self, item: FlowItem) -> Outcome:
        period, agreement_id = item.key.split("|")
        now = amounts(self._agreements.get(agreement_id, []), period)
        if now != item.data.get("billed"):
            return Advance(S.PENDING, detail="the agreement changed after its period was billed")
        return Wait("billed")


__all__ = ["BillingState", "ServiceBilling", "amounts", "billing_key", "due"]
