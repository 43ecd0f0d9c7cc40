"""Shipment notice: when the ERP has shipped, the CRM account and the deal of the order get an
activity with the ERP shipment number, the date and a link to the ERP document: a reference,
not a copy of its lines.

    new ──> account_notified ──> done

An item waits in ``new`` while its ERP customer is not linked to a CRM account. Notices are
found by their title before one is posted, so a re-run never posts one twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem
from syncline.flows.linking import MapSides, linked_id
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.flows.ports import CrmSide, ErpSide, Notice, Record
from syncline.mapping.flows import ShipmentNoticeConfig
from syncline.model import Shipment
from syncline.store import Store


class NoticeState(StrEnum):
    NEW = "new"
    ACCOUNT_NOTIFIED = "account_notified"
    DONE = "done"


S = NoticeState


def shipment_key(shipment_id: str) -> str:
    return f"shipment:{shipment_id}"


def summary_of(shipment: Shipment) -> str:
    """The notice's text: what was shipped when, for which orders."""
    when = shipment.effective_date.isoformat() if shipment.effective_date else "today"
    orders = ", ".join(shipment.order_numbers) or "no order"
    return f"Shipped on {when} (orders: {orders})."


class ShipmentNotice(Flow):
    """ERP shipment done -> activity on the CRM account and on the deal of its order."""

    kind = "shipment_notice"
    entity = "shipment"
    machine = StateMachine(
        NoticeState,
        initial=S.NEW,
        final=(S.DONE,),
        transitions=((S.NEW, S.ACCOUNT_NOTIFIED), (S.ACCOUNT_NOTIFIED, S.DONE)),
    )

    def __init__(
        self,
        config: ShipmentNoticeConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
        today: date | None = None,
    ) -> None:
        super().__init__(config.name, store)
        self.config = config
        self.crm = crm
        self.erp = erp
        self.parties = parties
        self.today = today
        self._shipments: dict[str, Shipment] = {}

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        since = (self.today or date.today()) - timedelta(days=self.config.lookback_days)
        found = self.erp.shipments_done_since(since)
        self._shipments = {s.id: s.data for s in found}
        return [Candidate(shipment_key(s.id), {"shipment_id": s.id}) for s in found]

    def _shipment(self, item: FlowItem) -> Record[Shipment]:
        shipment_id = str(item.data.get("shipment_id") or item.key.removeprefix("shipment:"))
        data = self._shipments.get(shipment_id)
        if data is None:
            records = self.erp.shipments_done_since(date.min)
            self._shipments.update({r.id: r.data for r in records})
            data = self._shipments.get(shipment_id)
        if data is None or data.number is None:
            raise FlowError(f"the ERP shipment {shipment_id} is no longer done or has no number")
        return Record(shipment_id, data)

    def _notice(
        self, shipment: Shipment, *, account_id: str | None = None, deal_id: str | None = None
    ) -> Notice:
        return Notice(
            reference=shipment.number or "",
            summary=summary_of(shipment),
            account_id=account_id,
            deal_id=deal_id,
            document_url=shipment.document_url,
        )

    @step(S.NEW)
    def notify_account(self, item: FlowItem) -> Outcome:
        shipment = self._shipment(item)
        if shipment.data.party_id is None:
            raise FlowError(f"the ERP shipment {shipment.data.number} has no customer")
        with self.store.begin() as conn:
            account = linked_id(conn, self.parties, "erp", shipment.data.party_id)
        if account is None:
            return Wait("the ERP customer is not linked to a CRM account yet")
        task = self.crm.post_shipment_notice(self._notice(shipment.data, account_id=account))
        return Advance(
            S.ACCOUNT_NOTIFIED,
            {"account_id": account, "account_task": task},
            detail=f"shipment {shipment.data.number} noticed on account {account}",
            changes=(Change(self.crm.system, "party", account, "notice", shipment.data.number),),
        )

    @step(S.ACCOUNT_NOTIFIED)
    def notify_deals(self, item: FlowItem) -> Outcome:
        shipment = self._shipment(item)
        deals = sorted(
            {d for number in shipment.data.order_numbers for d in self.crm.deals_with_order(number)}
        )
        tasks = [
            self.crm.post_shipment_notice(self._notice(shipment.data, deal_id=d)) for d in deals
        ]
        return Advance(
            S.DONE,
            {"deals": deals, "deal_tasks": tasks},
            detail=f"shipment {shipment.data.number} noticed on {len(deals)} deal(s)",
            changes=tuple(
                Change(self.crm.system, "opportunity", d, "notice", shipment.data.number)
                for d in deals
            ),
        )


__all__ = ["NoticeState", "ShipmentNotice", "shipment_key", "summary_of"]
