"""BottleCRM cases (tickets) <-> canonical ``ServiceCase``.

- ``title`` is the case name (at most 64 characters, unique among the caller's cases);
- ``case_type``: BottleCRM knows only Question, Incident and Problem. The canonical type
  (question, warranty, defect, complaint) is kept in the case custom field ``case_type`` and
  the native type is set to the closest one (warranty and defect: Problem, complaint:
  Incident); a case typed in BottleCRM without the custom field reads Question as question
  and Incident or Problem as defect;
- ``priority`` Low/Normal/High/Urgent; ``status`` is BottleCRM's status in lower case (new,
  assigned, pending, closed, rejected, duplicate);
- ``sla_due`` is BottleCRM's resolution deadline (computed from its SLA policy and business
  hours): read only, service levels stay in the CRM;
- ``product_code``, ``order_number``, ``erp_reference`` and ``erp_state`` are case custom
  fields of the same names; ``product_id`` is not stored (a case has no product reference);
- the account of a case cannot be changed after creation (BottleCRM ignores it);
- ``contact_id`` is the case's only contact, of several the one ``contact_rule.first_contact``
  ranks first (active, then of the case's account, then the earliest created).
"""

from __future__ import annotations

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.contact_rule import named_contact
from syncline.connectors.bottlecrm.resources import (
    Resource,
    clean,
    custom_fields,
    id_of,
    limited,
    parse_time,
)
from syncline.model import CanonicalEntity, CasePriority, CaseType, ServiceCase

CASE_TYPE_FIELD = "case_type"
TEXT_FIELDS = ("product_code", "order_number", "erp_reference", "erp_state")

LOSSY_FIELDS = frozenset({"product_id", "sla_due"})

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("name",),
    "description": ("description",),
    "party_id": ("account",),
    "contact_id": ("contacts",),
    "case_type": ("case_type", "custom_fields"),
    "priority": ("priority",),
    "status": ("status",),
    "product_code": ("custom_fields",),
    "order_number": ("custom_fields",),
    "erp_reference": ("custom_fields",),
    "erp_state": ("custom_fields",),
}

STATUSES = ("New", "Assigned", "Pending", "Closed", "Rejected", "Duplicate")
_STATUS_WORDS = {
    "open": "Assigned",
    "in_progress": "Assigned",
    "waiting": "Pending",
    "resolved": "Closed",
    "done": "Closed",
}

_NATIVE_TYPE = {
    CaseType.QUESTION: "Question",
    CaseType.WARRANTY: "Problem",
    CaseType.DEFECT: "Problem",
    CaseType.COMPLAINT: "Incident",
}
_TYPE_OF_NATIVE = {
    "Question": CaseType.QUESTION,
    "Incident": CaseType.DEFECT,
    "Problem": CaseType.DEFECT,
}

NAME_LENGTH = 64


def _case_type(record: Json) -> CaseType:
    written = custom_fields(record).get(CASE_TYPE_FIELD)
    try:
        return CaseType(str(written))
    except ValueError:
        return _TYPE_OF_NATIVE.get(str(record.get("case_type") or ""), CaseType.QUESTION)


def _priority(record: Json) -> CasePriority:
    try:
        return CasePriority(str(record.get("priority") or "").lower())
    except ValueError:
        return CasePriority.NORMAL


def native_status(status: str) -> str:
    """BottleCRM's status for a canonical one; raises ValueError naming the allowed ones."""
    word = status.strip().lower()
    for native in STATUSES:
        if native.lower() == word:
            return native
    if word in _STATUS_WORDS:
        return _STATUS_WORDS[word]
    allowed = ", ".join(s.lower() for s in STATUSES)
    raise ValueError(f"case status {status!r} is not one of BottleCRM's: {allowed}")


def case_from_native(record: Json) -> ServiceCase:
    """A BottleCRM case (list or detail form) as a canonical ServiceCase; a case linking several
    contacts needs their records in ``contacts`` (``contact_rule.ContactRecords.linked``)."""
    custom = custom_fields(record)
    return ServiceCase(
        title=str(record.get("name") or ""),
        description=str(record.get("description") or ""),
        party_id=id_of(record.get("account")),
        contact_id=named_contact(record),
        case_type=_case_type(record),
        priority=_priority(record),
        status=str(record.get("status") or "New").lower(),
        sla_due=parse_time(record.get("resolution_sla_deadline")),
        **{name: clean(custom.get(name)) for name in TEXT_FIELDS},
    )


def case_to_native(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The case request body; ``only`` limits it to changed canonical fields."""
    if not isinstance(entity, ServiceCase):
        raise TypeError(f"cases take a ServiceCase, not {type(entity).__name__}")
    custom: Json = {CASE_TYPE_FIELD: entity.case_type.value}
    custom.update({name: getattr(entity, name) or "" for name in TEXT_FIELDS})
    payload: Json = {
        "name": entity.title,
        "description": entity.description,
        "account": entity.party_id,
        "contacts": [entity.contact_id] if entity.contact_id else [],
        "case_type": _NATIVE_TYPE[entity.case_type],
        "priority": entity.priority.value.capitalize(),
        "status": native_status(entity.status),
        "custom_fields": custom,
    }
    return limited(payload, NATIVE_FIELDS, only)


CASES = Resource(
    entity="service_case",
    unstored=frozenset({"product_id"}),
    path="cases",
    shapes=(ListShape(("cases",), count=("cases_count",)),),
    detail_key="cases_obj",
    to_canonical=case_from_native,
    to_native=case_to_native,
    capture=frozenset({Capture.PUSH, Capture.SCAN}),
    writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE}),
    webhook_prefix="ticket",
    extra_params={"slim": "true"},
)
