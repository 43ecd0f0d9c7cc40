"""Notices that point at an ERP document (shipment, order confirmation, invoice) on a CRM
account or deal. They are BottleCRM tasks: a link to the ERP document, not a copy of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from syncline.connectors.bottlecrm.client import Json


class NoticeKind(StrEnum):
    SHIPMENT = "shipment"
    ORDER_CONFIRMATION = "order_confirmation"
    INVOICE = "invoice"


_TITLES = {
    NoticeKind.SHIPMENT: "Shipment notice",
    NoticeKind.ORDER_CONFIRMATION: "Order confirmation",
    NoticeKind.INVOICE: "Invoice notice",
}


@dataclass(frozen=True)
class ErpDocumentNotice:
    """A notice about one ERP document. ``reference`` is the document's number in the ERP
    (``SH-1001``); ``document_url`` where a person can open it; ``due`` when to act (or None).

    Give ``account_id`` or ``opportunity_id`` (BottleCRM ids). A task has one parent in
    BottleCRM, so when both are given the notice goes on the deal.
    """

    kind: NoticeKind
    reference: str
    summary: str = ""
    account_id: str | None = None
    opportunity_id: str | None = None
    document_url: str | None = None
    due: date | None = None

    def title(self) -> str:
        return f"{_TITLES[self.kind]} {self.reference}"

    def to_task(self) -> Json:
        """The BottleCRM task request body for this notice."""
        if not (self.account_id or self.opportunity_id):
            raise ValueError("a notice needs an account_id or an opportunity_id")
        lines = [self.summary] if self.summary else []
        lines.append(f"ERP document: {self.reference}")
        if self.document_url:
            lines.append(f"Open: {self.document_url}")
        body: Json = {
            "title": self.title(),
            "status": "New",
            "priority": "Medium",
            "description": "\n".join(lines),
            "assigned_to": [],
            "contacts": [],
            "teams": [],
        }
        if self.opportunity_id:
            body["opportunity"] = self.opportunity_id
        else:
            body["account"] = self.account_id
        if self.due:
            body["due_date"] = self.due.isoformat()
        return body
