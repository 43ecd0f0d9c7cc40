"""BottleCRM estimates (with line items) <-> canonical ``Quote``.

``number`` is BottleCRM's own estimate number (``EST-...``): read only, BottleCRM assigns it.
``status`` is read only too: BottleCRM moves an estimate on only through its own actions (send,
the customer's acceptance on the portal), so a written status is not stored. An estimate needs
a contact of its account: ``contact_id`` when the Quote names one, else the connector names one
of the opportunity's contacts (when it has any) or of the account's: an active one before an
archived one, then one whose primary account is the Quote's account, then the earliest created
(``connector.first_contact``). Estimates send no webhooks: scan only.
"""

from __future__ import annotations

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.lines import lines_from_native, lines_to_native
from syncline.connectors.bottlecrm.resources import Resource, clean, date_of, id_of, limited
from syncline.model import CanonicalEntity, Quote, QuoteStatus

LOSSY_FIELDS = frozenset({"number", "status"})
"""Canonical fields a write cannot set (BottleCRM assigns or moves them itself)."""

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "party_id": ("account_id", "contact_id"),
    "contact_id": ("contact_id",),
    "opportunity_id": ("opportunity_id",),
    "currency": ("currency",),
    "issue_date": ("issue_date",),
    "valid_until": ("expiry_date",),
    "lines": ("line_items",),
}

_STATUS = {
    "Draft": QuoteStatus.DRAFT,
    "Sent": QuoteStatus.SENT,
    "Viewed": QuoteStatus.SENT,
    "Accepted": QuoteStatus.ACCEPTED,
    "Declined": QuoteStatus.DECLINED,
    "Expired": QuoteStatus.DECLINED,
}

TITLE_LENGTH = 100


def estimate_to_quote(record: Json) -> Quote:
    """A BottleCRM estimate (detail form, with ``line_items``) as a canonical Quote."""
    return Quote(
        number=clean(record.get("estimate_number")),
        title=str(record.get("title") or ""),
        party_id=id_of(record.get("account")),
        contact_id=id_of(record.get("contact")),
        opportunity_id=id_of(record.get("opportunity")),
        status=_STATUS.get(str(record.get("status") or ""), QuoteStatus.DRAFT),
        currency=clean(record.get("currency")) or "EUR",
        issue_date=date_of(record.get("issue_date")),
        valid_until=date_of(record.get("expiry_date")),
        lines=lines_from_native(record),
    )


def quote_to_estimate(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The estimate request body; ``only`` limits it to changed canonical fields.

    An empty ``contact_id`` is filled in by the connector with a contact of the account.
    """
    if not isinstance(entity, Quote):
        raise TypeError(f"estimates take a Quote, not {type(entity).__name__}")
    payload: Json = {
        "title": (entity.title or entity.number or "Quote")[:TITLE_LENGTH],
        "account_id": entity.party_id,
        "contact_id": entity.contact_id,
        "opportunity_id": entity.opportunity_id,
        "currency": entity.currency,
        "issue_date": entity.issue_date.isoformat() if entity.issue_date else None,
        "expiry_date": entity.valid_until.isoformat() if entity.valid_until else None,
        "line_items": lines_to_native(entity.lines),
    }
    if entity.issue_date is None:
        payload.pop("issue_date")  # BottleCRM's default is today; null is refused
    return limited(payload, NATIVE_FIELDS, only)


QUOTES = Resource(
    entity="quote",
    path="invoices/estimates",
    shapes=(ListShape(("results",), count=("count",)),),
    detail_key="estimate",
    to_canonical=estimate_to_quote,
    to_native=quote_to_estimate,
    capture=frozenset({Capture.SCAN}),
    writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE}),
    created_id=("estimate", "id"),
    update_method="PUT",
    scan_details=True,
    needs_contact=True,
)
