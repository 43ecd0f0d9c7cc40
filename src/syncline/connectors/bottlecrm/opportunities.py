"""BottleCRM opportunities (deals) <-> canonical ``Opportunity``.

``stage`` is the pipeline stage code (``PROSPECTING`` ... ``CLOSED_WON``); ``status`` follows
the stage's kind (open / won / lost). Writing a won or lost status without a stage moves the
deal to ``CLOSED_WON`` / ``CLOSED_LOST``. New deals go to the organisation's default pipeline.
``contact_id`` is the deal's contact person: its only contact, of several the one
``contact_rule.first_contact`` ranks first (active, then of the deal's account, then the
earliest created), the contact a quote on the deal naming none is addressed to.
Not stored: discount approval and the ERP order fields (order number, state, ship date).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.contact_rule import named_contact
from syncline.connectors.bottlecrm.resources import Resource, clean, limited
from syncline.model import CanonicalEntity, Money, Opportunity, OpportunityStatus

WON_STAGE = "CLOSED_WON"
LOST_STAGE = "CLOSED_LOST"
FIRST_STAGE = "PROSPECTING"

LOSSY_FIELDS = frozenset({"discount_approved", "order_number", "order_state", "planned_ship_date"})

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "party_id": ("account",),
    "contact_id": ("contacts",),
    "stage": ("stage",),
    "status": ("stage",),
    "amount": ("amount", "currency"),
    "probability": ("probability",),
    "expected_close": ("closed_on",),
    "description": ("description",),
}

_KIND_STATUS = {"won": OpportunityStatus.WON, "lost": OpportunityStatus.LOST}


def _id_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return clean(value)


def _status(record: Json) -> OpportunityStatus:
    kind = clean(record.get("stage_kind"))
    if kind in _KIND_STATUS:
        return _KIND_STATUS[kind]
    stage = clean(record.get("stage"))
    if stage == WON_STAGE:
        return OpportunityStatus.WON
    if stage == LOST_STAGE:
        return OpportunityStatus.LOST
    return OpportunityStatus.OPEN


def deal_to_opportunity(record: Json) -> Opportunity:
    """A BottleCRM deal (list or detail form) as a canonical Opportunity; a deal linking several
    contacts needs their records in ``contacts`` (``contact_rule.ContactRecords.linked``)."""
    amount: Money | None = None
    raw_amount = record.get("amount")
    if raw_amount not in (None, ""):
        try:
            amount = Money(
                amount=Decimal(str(raw_amount)), currency=clean(record.get("currency")) or "EUR"
            )
        except InvalidOperation:
            amount = None
    closed_on = clean(record.get("closed_on"))
    probability = record.get("probability")
    return Opportunity(
        name=str(record.get("name") or ""),
        party_id=_id_of(record.get("account")),
        contact_id=named_contact(record),
        stage=clean(record.get("stage")) or "",
        status=_status(record),
        amount=amount,
        probability=int(probability) if probability is not None else None,
        expected_close=date.fromisoformat(closed_on) if closed_on else None,
        description=clean(record.get("description")),
    )


def stage_for(entity: Opportunity) -> str:
    """The stage code to write: the given one, else the one the status implies."""
    if entity.stage:
        return entity.stage
    if entity.status is OpportunityStatus.WON:
        return WON_STAGE
    if entity.status is OpportunityStatus.LOST:
        return LOST_STAGE
    return FIRST_STAGE


def opportunity_to_deal(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The deal request body; ``only`` limits it to changed canonical fields."""
    if not isinstance(entity, Opportunity):
        raise TypeError(f"opportunities take an Opportunity, not {type(entity).__name__}")
    payload: Json = {
        "name": entity.name,
        "account": entity.party_id,
        "contacts": [entity.contact_id] if entity.contact_id else [],
        "stage": stage_for(entity),
        "amount": str(entity.amount.amount) if entity.amount else None,
        "currency": entity.amount.currency if entity.amount else None,
        "probability": entity.probability,
        "closed_on": entity.expected_close.isoformat() if entity.expected_close else None,
        "description": entity.description or "",
    }
    if entity.amount is None:
        payload.pop("currency")
    return limited(payload, NATIVE_FIELDS, only)


OPPORTUNITIES = Resource(
    entity="opportunity",
    path="opportunities",
    shapes=(ListShape(("opportunities",), count=("opportunities_count",)),),
    detail_key="opportunity_obj",
    to_canonical=deal_to_opportunity,
    to_native=opportunity_to_deal,
    capture=frozenset({Capture.PUSH, Capture.SCAN}),
    writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE}),
    webhook_prefix="deal",
)
