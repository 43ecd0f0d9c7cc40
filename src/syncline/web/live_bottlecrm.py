"""BottleCRM behind :class:`~syncline.web.live.CrmDesk`, through syncline's connector."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.bottlecrm.client import ListShape
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.resources import parse_time
from syncline.model import Contact, Opportunity, Party
from syncline.web.live import (
    CrmAccount,
    CrmActivity,
    CrmContact,
    CrmDeal,
    DealLine,
    PlacedOrder,
)

ESTIMATES = "/api/invoices/estimates/"
ESTIMATES_SHAPE = (ListShape(("results",), count=("count",)),)
CASES_SHAPE = (ListShape(("cases",), count=("cases_count",)),)


def _decimal(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else default
    except InvalidOperation:
        return default


def _account(native_id: str, party: Party) -> CrmAccount:
    address = party.addresses[0] if party.addresses else None
    return CrmAccount(
        id=native_id,
        name=party.name,
        erp_number=next(iter(party.numbers.values()), None),
        city=address.city if address else None,
        country=address.country if address else None,
        emails=tuple(str(e) for e in party.emails),
        phones=tuple(party.phones),
        currency=party.currency,
    )


def _deal(native_id: str, deal: Opportunity) -> CrmDeal:
    return CrmDeal(
        id=native_id,
        name=deal.name,
        account_id=deal.party_id,
        stage=deal.stage,
        status=deal.status.value,
        amount=deal.amount.amount if deal.amount else None,
        currency=deal.amount.currency if deal.amount else None,
        expected_close=deal.expected_close,
        contact_id=deal.contact_id,
    )


class BottleCrmDesk:
    """Accounts, deals, quote lines and notices of one BottleCRM."""

    def __init__(self, connector: BottleCrmConnector) -> None:
        self.connector = connector

    def accounts(self) -> list[CrmAccount]:
        found = [
            _account(r.native_id, r.data)
            for page in self.connector.scan("party")
            for r in page
            if isinstance(r.data, Party) and r.data.active
        ]
        return sorted(found, key=lambda a: a.name.casefold())

    def account(self, account_id: str) -> CrmAccount | None:
        records = self.connector.read("party", [account_id])
        if not records or not isinstance(records[0].data, Party):
            return None
        return _account(records[0].native_id, records[0].data)

    def _all_deals(self) -> list[CrmDeal]:
        return [
            _deal(r.native_id, r.data)
            for page in self.connector.scan("opportunity")
            for r in page
            if isinstance(r.data, Opportunity)
        ]

    def deals(self, account_id: str) -> list[CrmDeal]:
        return [d for d in self._all_deals() if d.account_id == account_id]

    def deal_lines(self, deal_id: str) -> list[DealLine]:
        client = self.connector.client
        for page in client.pages(ESTIMATES, ESTIMATES_SHAPE):
            for estimate in page:  # newest first
                deal = estimate.get("opportunity")
                if isinstance(deal, dict) and str(deal.get("id")) == deal_id:
                    body = client.get(f"{ESTIMATES}{estimate['id']}/")
                    items = (body.get("estimate") or {}).get("line_items") or []
                    return [
                        DealLine(
                            description=str(i.get("name") or i.get("description") or ""),
                            quantity=_decimal(i.get("quantity"), Decimal(1)),
                            unit_price=_decimal(i.get("unit_price")),
                        )
                        for i in items
                    ]
        return []

    def contact(self, contact_id: str) -> CrmContact | None:
        records = self.connector.read("contact", [contact_id])
        if not records or not isinstance(records[0].data, Contact):
            return None
        person = records[0].data
        name = f"{person.first_name} {person.last_name}".strip()
        email = str(person.email) if person.email else None
        return CrmContact(id=records[0].native_id, name=name, email=email)

    def report_order(self, deal: CrmDeal, order: PlacedOrder) -> str:
        ship = order.planned_ship_date
        notice = ErpDocumentNotice(
            kind=NoticeKind.ORDER_CONFIRMATION,
            reference=order.number or f"sale {order.native_id}",
            summary=(
                f"Order placed in the ERP ({order.state}); planned ship date "
                f"{ship.isoformat() if ship else 'not yet known'}."
            ),
            opportunity_id=deal.id,
            due=ship,
        )
        return self.connector.post_notice(notice)

    def activity(self, since: date) -> CrmActivity:
        client = self.connector.client
        quotes = 0
        for page in client.pages(ESTIMATES, ESTIMATES_SHAPE):
            for estimate in page:
                created = parse_time(estimate.get("created_at"))
                if created is not None and created.date() >= since:
                    quotes += 1
        cases = 0
        for page in client.pages("/api/cases/", CASES_SHAPE):
            for case in page:
                created = parse_time(case.get("created_at"))
                if created is not None and created.date() >= since:
                    cases += 1
        outcome = {"won": 0, "lost": 0, "open": 0}
        for deal in self._all_deals():
            outcome[deal.status] = outcome.get(deal.status, 0) + 1
        return CrmActivity(
            quotes=quotes,
            deals_won=outcome["won"],
            deals_lost=outcome["lost"],
            deals_open=outcome["open"],
            cases=cases,
        )


__all__ = ["BottleCrmDesk"]
