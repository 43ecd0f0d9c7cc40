"""Invoices and credit notes: the ERP's customer invoices and credit notes, with their lines,
become copies in the CRM so that sales can analyse revenue down to the product there. The
copies are read-only in spirit: the ERP owns every field, so a CRM edit is reverted and
audited as an ownership revert, and a later ERP change (posted -> paid) flows.

A document is copied once its customer is linked to a CRM account (the item waits before);
its lines point at the CRM products the catalogue links name (else they keep only the code).
An unlinked CRM copy is found by its ERP number before a new one is created. The state machine
is the one of every ERP-led flow (:mod:`syncline.flows.erp_led`).

The copy names the document's contact when the ERP names one that is linked to a CRM contact
(in the contact map joining the two systems). Else the CRM picks its own (BottleCRM needs one),
and that choice is left alone: the ERP owns the contact only when it names one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from syncline.flows.erp_led import ErpLedFlow
from syncline.flows.linking import MapSides, linked_id
from syncline.flows.ports import CrmSide, ErpSide
from syncline.mapping.flows import BillingDocumentsConfig
from syncline.model import BillingDocument
from syncline.store import Store


def document_key(document_id: str) -> str:
    return f"document:{document_id}"


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


class BillingDocuments(ErpLedFlow[BillingDocument]):
    """ERP invoice or credit note -> its copy in the CRM, the ERP owning every field."""

    kind = "billing_documents"
    entity = "invoice"
    crm_entity = "invoice"
    key_prefix = "document"

    def __init__(
        self,
        config: BillingDocumentsConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
        products: MapSides,
        contacts: MapSides | None = None,
        today: date | None = None,
    ) -> None:
        # The copies are linked in a map named after the flow: no sync map carries documents.
        own = MapSides(config.name, "invoice", crm="b", erp="a")
        super().__init__(config.name, store, sides=own, crm_system=crm.system)
        self.config = config
        self.crm = crm
        self.erp = erp
        self.parties = parties
        self.products = products
        self.contacts = contacts
        self.today = today

    def _in_crm_terms(self, documents: dict[str, BillingDocument]) -> dict[str, BillingDocument]:
        """The documents with the customer, the contact and the line products as CRM ids (None
        where not linked), so that they compare with the CRM copies."""
        translated = {}
        with self.store.begin() as conn:
            for erp_id, doc in documents.items():
                party = linked_id(conn, self.parties, "erp", doc.party_id) if doc.party_id else None
                contact = (
                    linked_id(conn, self.contacts, "erp", doc.contact_id)
                    if self.contacts is not None and doc.contact_id
                    else None
                )
                lines = [
                    line.model_copy(
                        update={
                            "product_id": linked_id(conn, self.products, "erp", line.product_id)
                            if line.product_id
                            else None
                        }
                    )
                    for line in doc.lines
                ]
                translated[erp_id] = doc.model_copy(
                    update={"party_id": party, "contact_id": contact, "lines": lines}
                )
        return translated

    def list_erp(self) -> dict[str, BillingDocument]:
        since = (self.today or date.today()) - timedelta(days=self.config.lookback_days)
        return self._in_crm_terms(self.erp.billing_documents(since))

    def list_crm(self) -> dict[str, BillingDocument]:
        return self.crm.billing_documents()

    def read_erp(self, erp_id: str) -> BillingDocument | None:
        found = self.erp.billing_document(erp_id)
        return self._in_crm_terms({erp_id: found})[erp_id] if found else None

    def read_crm(self, crm_id: str) -> BillingDocument | None:
        return self.crm.billing_document(crm_id)

    def owned(self, record: BillingDocument) -> dict[str, Any]:
        # A contact the ERP does not name is the CRM's choice, not owned by the ERP.
        contact = {"contact_id": record.contact_id} if record.contact_id else {}
        return {
            "number": record.number,
            "document": record.entity_name,
            "party_id": record.party_id,
            "party_number": record.party_number,
            "state": record.state.value,
            "currency": record.currency,
            "invoice_date": record.invoice_date.isoformat() if record.invoice_date else None,
            "due_date": record.due_date.isoformat() if record.due_date else None,
            "lines": [
                [ln.product_code, _amount(ln.quantity), _amount(ln.unit_price)]
                for ln in record.lines
            ],
        } | contact

    def matches(self, erp_record: BillingDocument, crm_record: BillingDocument) -> bool:
        return (erp_record.entity_name, erp_record.number) == (
            crm_record.entity_name,
            crm_record.number,
        )

    def create(self, erp_record: BillingDocument) -> tuple[str, BillingDocument] | str:
        if erp_record.party_id is None:
            return "the ERP customer is not linked to a CRM account yet"
        return self.crm.create_billing_document(erp_record), erp_record

    def write(
        self, crm_id: str, erp_record: BillingDocument, crm_record: BillingDocument
    ) -> BillingDocument:
        self.crm.update_billing_document(crm_id, erp_record)
        return erp_record


__all__ = ["BillingDocuments", "document_key"]
