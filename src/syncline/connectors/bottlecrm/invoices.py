"""ERP invoices and credit notes -> BottleCRM invoices (copies for analysis, read-only there).

BottleCRM has invoices but no credit notes, and it numbers and moves its invoices itself. So:

- both documents are BottleCRM invoices; the custom field ``erp_document`` (``invoice`` or
  ``credit_note``) tells them apart, and each canonical entity sees only its own kind;
- the ERP number is the custom field ``erp_number`` (BottleCRM's ``invoice_number`` is its own),
  the ERP state ``erp_state``, the origin ``erp_origin`` and the debtor number
  ``erp_party_number`` (all defined on target "Invoice" by an admin, see docs/bottlecrm.md);
- amounts are computed by BottleCRM from the lines: the document's tax rate is written as
  ``tax / untaxed`` so the totals agree to the cent in the usual cases;
- a cancelled document is cancelled in BottleCRM too, a paid one gets a payment of its
  balance (``mark-paid``); a posted one stays "Draft" in BottleCRM's own status, because
  BottleCRM's only way to "Sent" would mail the customer. Credit note amounts are positive.

Every invoice needs a contact of its account: ``contact_id`` when the document names one, else
the connector names one of the account's contacts: an active one before an archived one, then
one whose primary account is the document's account, then the earliest created
(``connector.first_contact``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.lines import lines_from_native, lines_to_native
from syncline.connectors.bottlecrm.resources import (
    Resource,
    clean,
    custom_fields,
    date_of,
    decimal_of,
    id_of,
    limited,
)
from syncline.model import (
    BillingDocument,
    CanonicalEntity,
    CreditNote,
    Invoice,
    InvoiceState,
)

NUMBER_FIELD = "erp_number"
DOCUMENT_FIELD = "erp_document"
STATE_FIELD = "erp_state"
ORIGIN_FIELD = "erp_origin"
PARTY_NUMBER_FIELD = "erp_party_number"

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"

_NATIVE_STATE = {
    "Draft": InvoiceState.DRAFT,
    "Pending": InvoiceState.DRAFT,
    "Sent": InvoiceState.POSTED,
    "Viewed": InvoiceState.POSTED,
    "Overdue": InvoiceState.POSTED,
    "Partially_Paid": InvoiceState.POSTED,
    "Paid": InvoiceState.PAID,
    "Cancelled": InvoiceState.CANCELLED,
}

CUSTOM_KEYS = ("number", "state", "origin", "party_number")
NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "number": ("invoice_title", "custom_fields"),
    "party_id": ("account_id", "contact_id"),
    "contact_id": ("contact_id",),
    "party_number": ("custom_fields",),
    "state": ("custom_fields",),
    "currency": ("currency",),
    "invoice_date": ("issue_date",),
    "due_date": ("due_date",),
    "origin": ("custom_fields",),
    "untaxed_amount": ("tax_rate",),
    "tax_amount": ("tax_rate",),
    "lines": ("line_items",),
}

TITLE_LENGTH = 100
CENT = Decimal("0.01")


def document_kind(record: Json) -> str:
    """``credit_note`` or ``invoice`` (the default for invoices made in BottleCRM)."""
    kind = custom_fields(record).get(DOCUMENT_FIELD)
    return CREDIT_NOTE if kind == CREDIT_NOTE else INVOICE


def is_invoice(record: Json) -> bool:
    return document_kind(record) == INVOICE


def is_credit_note(record: Json) -> bool:
    return document_kind(record) == CREDIT_NOTE


def native_state(record: Json) -> InvoiceState:
    """Paid or cancelled when BottleCRM says so, else the ERP state syncline wrote, else the
    state BottleCRM's status implies."""
    implied = _NATIVE_STATE.get(str(record.get("status") or ""), InvoiceState.DRAFT)
    if implied in (InvoiceState.PAID, InvoiceState.CANCELLED):
        return implied
    try:
        return InvoiceState(str(custom_fields(record).get(STATE_FIELD)))
    except ValueError:
        return implied


def _values(record: Json) -> dict[str, object]:
    custom = custom_fields(record)
    subtotal = decimal_of(record.get("subtotal"))
    discount = decimal_of(record.get("discount_amount"))
    return {
        "number": clean(custom.get(NUMBER_FIELD)),
        "party_id": id_of(record.get("account")),
        "contact_id": id_of(record.get("contact")),
        "party_number": clean(custom.get(PARTY_NUMBER_FIELD)),
        "state": native_state(record),
        "currency": clean(record.get("currency")) or "EUR",
        "invoice_date": date_of(record.get("issue_date")),
        "due_date": date_of(record.get("due_date")),
        "origin": clean(custom.get(ORIGIN_FIELD)),
        "untaxed_amount": subtotal - discount,
        "tax_amount": decimal_of(record.get("tax_amount")),
        "total_amount": decimal_of(record.get("total_amount")),
        "amount_to_pay": decimal_of(record.get("amount_due")),
        "lines": lines_from_native(record),
    }


def invoice_from_native(record: Json) -> Invoice:
    """A BottleCRM invoice (detail form, with lines and custom fields) as an Invoice."""
    return Invoice.model_validate(_values(record))


def credit_note_from_native(record: Json) -> CreditNote:
    """A BottleCRM invoice marked ``erp_document=credit_note`` as a CreditNote."""
    return CreditNote.model_validate(_values(record))


def tax_rate(document: BillingDocument) -> Decimal:
    """The document's tax as a percentage of its untaxed amount (two decimals)."""
    if document.untaxed_amount <= 0 or document.tax_amount <= 0:
        return Decimal(0)
    return (document.tax_amount * 100 / document.untaxed_amount).quantize(CENT, ROUND_HALF_UP)


def _title(document: BillingDocument) -> str:
    label = "Credit note" if isinstance(document, CreditNote) else "Invoice"
    return f"{label} {document.number or ''}".strip()[:TITLE_LENGTH]


def document_to_native(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The invoice request body for an Invoice or CreditNote; ``only`` limits it."""
    if not isinstance(entity, BillingDocument):
        raise TypeError(f"invoices take an Invoice or CreditNote, not {type(entity).__name__}")
    kind = CREDIT_NOTE if isinstance(entity, CreditNote) else INVOICE
    custom: Json = {
        DOCUMENT_FIELD: kind,
        NUMBER_FIELD: entity.number or "",
        STATE_FIELD: entity.state.value,
        ORIGIN_FIELD: entity.origin or "",
        PARTY_NUMBER_FIELD: entity.party_number or "",
    }
    payload: Json = {
        "invoice_title": _title(entity),
        "account_id": entity.party_id,
        "contact_id": entity.contact_id,
        "currency": entity.currency,
        "issue_date": entity.invoice_date.isoformat() if entity.invoice_date else None,
        "due_date": entity.due_date.isoformat() if entity.due_date else None,
        "tax_rate": str(tax_rate(entity)),
        "line_items": lines_to_native(entity.lines),
        "custom_fields": custom,
    }
    if entity.invoice_date is None:
        payload.pop("issue_date")  # BottleCRM's default is today; null is refused
    return limited(payload, NATIVE_FIELDS, only)


def _resource(entity: str, to_canonical: type[BillingDocument]) -> Resource:
    is_credit = to_canonical is CreditNote
    return Resource(
        entity=entity,
        path="invoices",
        shapes=(ListShape(("results",), count=("count",)),),
        detail_key="invoice",
        to_canonical=credit_note_from_native if is_credit else invoice_from_native,
        to_native=document_to_native,
        # BottleCRM's invoice events do not say which kind a record is; invoices take them.
        capture=frozenset({Capture.SCAN} if is_credit else {Capture.PUSH, Capture.SCAN}),
        writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE}),
        archive_action="cancel",
        webhook_prefix=None if is_credit else "invoice",
        created_id=("invoice", "id"),
        update_method="PUT",
        scan_details=True,
        keeps=is_credit_note if is_credit else is_invoice,
        needs_contact=True,
    )


INVOICES = _resource("invoice", Invoice)
CREDIT_NOTES = _resource("credit_note", CreditNote)


def lifecycle_action(document: CanonicalEntity, native: Json) -> str | None:
    """The BottleCRM action that brings ``native`` to the document's state (or None).

    ``cancel`` for a cancelled document, ``mark-paid`` for a paid one; nothing for a draft or
    posted one (see the module docstring) or when BottleCRM is there already.
    """
    if not isinstance(document, BillingDocument):
        return None
    status = str(native.get("status") or "")
    if status in ("Paid", "Cancelled"):
        return None
    if document.state is InvoiceState.CANCELLED:
        return "cancel"
    if document.state is InvoiceState.PAID:
        return "mark-paid"
    return None
