"""The CRM side of the flows on BottleCRM.

Records are read and written through the BottleCRM connector. What the connector does not
offer is done here through its API client:

- the ERP order fields and the discount approval of a deal live in deal custom fields
  (``erp_order_number``, ``erp_order_state``, ``erp_ship_date``, ``discount_approved``),
  whose definitions this adapter creates once when they are missing;
- a "waiting for approval" note is a comment on the deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector, ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.contact_rule import ContactRecords
from syncline.connectors.bottlecrm.opportunities import OPPORTUNITIES
from syncline.connectors.bottlecrm.products import PRODUCTS
from syncline.errors import PermanentError
from syncline.flows.ports import CatalogueItem, Notice, OrderStatus, Record
from syncline.model import (
    BillingDocument,
    BillingPeriod,
    Money,
    Opportunity,
    OpportunityStatus,
    Party,
    Product,
    Quote,
    QuoteStatus,
    ServiceAgreement,
    ServiceCase,
    TimeEntry,
)

ORDER_NUMBER = "erp_order_number"
ORDER_STATE = "erp_order_state"
SHIP_DATE = "erp_ship_date"
APPROVED = "discount_approved"


@dataclass(frozen=True)
class DealField:
    """A custom field the flows keep on BottleCRM deals."""

    key: str
    label: str
    field_type: str


DEAL_FIELDS = (
    DealField(ORDER_NUMBER, "ERP order number", "text"),
    DealField(ORDER_STATE, "ERP order state", "text"),
    DealField(SHIP_DATE, "Planned ship date (ERP)", "date"),
    DealField(APPROVED, "Discount approved", "checkbox"),
)
DEAL_MODEL = "Opportunity"
_ESTIMATES = ListShape(("results",), count=("count",))
AGREEMENTS_PATH = "/api/invoices/recurring/"
"""Service agreements are BottleCRM recurring invoices (turn off their own generation)."""
_PERIODS = {
    "MONTHLY": BillingPeriod.MONTHLY,
    "QUARTERLY": BillingPeriod.QUARTERLY,
    "YEARLY": BillingPeriod.YEARLY,
}
DOCUMENT_ENTITIES = ("invoice", "credit_note")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _approved(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _positions(native: Json, period: BillingPeriod) -> list[ServiceAgreement]:
    """A recurring invoice as one ServiceAgreement per line (its billable positions)."""
    start = _date(native.get("start_date"))
    if start is None:
        return []
    account = native.get("account")
    party = str(account.get("id") if isinstance(account, dict) else account or "") or None
    currency = _text(native.get("currency")) or "EUR"
    return [
        ServiceAgreement(
            number=_text(native.get("title")),
            party_id=party,
            product_id=_text(line.get("product")),
            product_code=_text(line.get("name")),
            description=str(line.get("description") or ""),
            period=period,
            quantity=Decimal(str(line.get("quantity") or 1)),
            price=Money(amount=Decimal(str(line.get("unit_price") or 0)), currency=currency),
            start_date=start,
            end_date=_date(native.get("end_date")),
            active=bool(native.get("is_active", True)),
        )
        for line in sorted(native.get("line_items") or [], key=lambda i: int(i.get("order") or 0))
        if isinstance(line, dict)
    ]


class BottleCrmSide:
    """BottleCRM as the flows' CRM (implements ``CrmSide``)."""

    def __init__(self, connector: BottleCrmConnector) -> None:
        self.connector = connector
        self.client = connector.client
        self.system = connector.system
        self._fields_ready = False

    # -- deals -----------------------------------------------------------------------------

    def _deal(self, native: Json) -> Record[Opportunity]:
        base = OPPORTUNITIES.to_canonical(native)
        assert isinstance(base, Opportunity)
        custom = native.get("custom_fields") or {}
        if not isinstance(custom, dict):
            custom = {}
        deal = base.model_copy(
            update={
                "discount_approved": _approved(custom.get(APPROVED)),
                "order_number": _text(custom.get(ORDER_NUMBER)),
                "order_state": _text(custom.get(ORDER_STATE)),
                "planned_ship_date": _date(custom.get(SHIP_DATE)),
            }
        )
        return Record(str(native["id"]), deal)

    def _deals(self) -> list[Record[Opportunity]]:
        """Every deal, its contact person ranked as the connector ranks it (one pass over the
        contact list, where a deal links several)."""
        contacts = ContactRecords(self.client, from_listing=True)
        return [
            self._deal(native)
            for page in self.client.pages(OPPORTUNITIES.list_path(), OPPORTUNITIES.shapes)
            for native in contacts.linked(page)
        ]

    def won_deals(self) -> list[Record[Opportunity]]:
        return [d for d in self._deals() if d.data.status is OpportunityStatus.WON]

    def deal(self, deal_id: str) -> Record[Opportunity] | None:
        body = self.client.get_optional(OPPORTUNITIES.detail_path(deal_id))
        native = body.get("opportunity_obj") if body else None
        if not isinstance(native, dict):
            return None
        return self._deal(ContactRecords(self.client).linked([native])[0])

    def deals_with_order(self, order_number: str) -> list[str]:
        return [d.id for d in self._deals() if d.data.order_number == order_number]

    def accepted_quote(self, deal_id: str) -> Record[Quote] | None:
        candidates: list[tuple[str, str]] = []
        accepted: dict[str, str | int] = {"status": "Accepted"}  # BottleCRM filters
        for page in self.client.pages("/api/invoices/estimates/", (_ESTIMATES,), accepted):
            for row in page:
                deal = row.get("opportunity")
                deal = deal.get("id") if isinstance(deal, dict) else deal
                if str(deal) == deal_id and row.get("status") == "Accepted":
                    candidates.append((str(row.get("created_at") or ""), str(row["id"])))
        if not candidates:
            return None
        newest = max(candidates)[1]
        records = self.connector.read("quote", [newest])
        if not records or not isinstance(records[0].data, Quote):
            return None
        quote = records[0].data
        if quote.status is not QuoteStatus.ACCEPTED:
            return None
        return Record(newest, quote)

    def _ensure_fields(self) -> None:
        """Define the custom fields the flows write (the connector's and the deal fields) once;
        BottleCRM silently drops values of undefined fields."""
        if self._fields_ready:
            return
        self.connector.ensure_custom_fields()
        body = self.client.get(
            "/api/custom-fields/", {"target_model": DEAL_MODEL, "include_counts": "false"}
        )
        have = {str(d.get("key")) for d in body.get("definitions") or [] if isinstance(d, dict)}
        for field in DEAL_FIELDS:
            if field.key not in have:
                self.client.post(
                    "/api/custom-fields/",
                    {
                        "target_model": DEAL_MODEL,
                        "key": field.key,
                        "label": field.label,
                        "field_type": field.field_type,
                    },
                )
        self._fields_ready = True

    def write_order_status(self, deal_id: str, status: OrderStatus) -> OrderStatus | None:
        self._ensure_fields()
        before = self.deal(deal_id)
        if before is None:
            raise PermanentError(f"BottleCRM has no deal {deal_id}", system=self.system)
        old = before.data
        previous = (
            OrderStatus(old.order_number, old.order_state or "", old.planned_ship_date)
            if old.order_number
            else None
        )
        ship = status.planned_ship_date.isoformat() if status.planned_ship_date else None
        self.client.patch(
            OPPORTUNITIES.detail_path(deal_id),
            {"custom_fields": {ORDER_NUMBER: status.number, ORDER_STATE: status.state,
                               SHIP_DATE: ship}},
        )  # fmt: skip
        return previous

    def note_on_deal(self, deal_id: str, text: str) -> bool:
        body = self.client.get_optional(OPPORTUNITIES.detail_path(deal_id))
        if body is None:
            raise PermanentError(f"BottleCRM has no deal {deal_id}", system=self.system)
        comments = body.get("comments") or []
        if any(isinstance(c, dict) and c.get("comment") == text for c in comments):
            return False
        self.client.post(OPPORTUNITIES.detail_path(deal_id), {"comment": text})
        return True

    def approve_discount(self, deal_id: str, approved: bool = True) -> None:
        """Record (or withdraw) the discount approval on a deal, as a sales manager would."""
        self._ensure_fields()
        self.client.patch(
            OPPORTUNITIES.detail_path(deal_id), {"custom_fields": {APPROVED: approved}}
        )

    # -- accounts --------------------------------------------------------------------------

    def account(self, account_id: str) -> Record[Party] | None:
        records = self.connector.read("party", [account_id])
        if not records or not isinstance(records[0].data, Party):
            return None
        return Record(records[0].native_id, records[0].data)

    def accounts(self) -> list[Record[Party]]:
        return [
            Record(r.native_id, r.data)
            for page in self.connector.scan("party")
            for r in page
            if isinstance(r.data, Party)
        ]

    def _write_party(self, request: WriteRequest) -> str:
        self._ensure_fields()
        result = self.connector.write("party", [request])[0]
        if result.error is not None:
            raise result.error
        if result.native_id is None:
            raise PermanentError("BottleCRM wrote no account", system=self.system)
        return result.native_id

    def create_account(self, party: Party) -> str:
        return self._write_party(
            WriteRequest(
                op=WriteOp.CREATE,
                entity="party",
                idempotency_key=f"account:{party.name}",
                data=party,
            )
        )

    def update_account(self, account_id: str, party: Party, fields: frozenset[str]) -> None:
        self._write_party(
            WriteRequest(
                op=WriteOp.UPDATE,
                entity="party",
                idempotency_key=f"account:{account_id}:{party.content_hash()}",
                native_id=account_id,
                data=party,
                fields=fields,
            )
        )

    # -- catalogue -------------------------------------------------------------------------

    def _catalogue_item(self, native: Json) -> CatalogueItem:
        product = PRODUCTS.to_canonical(native)
        assert isinstance(product, Product)
        return CatalogueItem(product, _text(native.get("category")))

    def catalogue(self) -> dict[str, CatalogueItem]:
        return {
            str(native["id"]): self._catalogue_item(native)
            for page in self.client.pages(PRODUCTS.list_path(), PRODUCTS.shapes)
            for native in page
        }

    def catalogue_item(self, product_id: str) -> CatalogueItem | None:
        body = self.client.get_optional(PRODUCTS.detail_path(product_id))
        if not body:
            return None
        native = body.get("product", body)
        return self._catalogue_item(native) if isinstance(native, dict) else None

    def _write_product(self, request: WriteRequest, group: str | None) -> str:
        result = self.connector.write("product", [request])[0]
        if result.error is not None:
            raise result.error
        if result.native_id is None:
            raise PermanentError("BottleCRM wrote no product", system=self.system)
        # The product group travels as BottleCRM's free-text category.
        self.client.request(
            "PUT", PRODUCTS.detail_path(result.native_id), json={"category": group or ""}
        )
        return result.native_id

    def create_catalogue_item(self, item: CatalogueItem) -> str:
        return self._write_product(
            WriteRequest(
                op=WriteOp.CREATE,
                entity="product",
                idempotency_key=f"product:{item.product.code}",
                data=item.product,
            ),
            item.group,
        )

    def update_catalogue_item(self, product_id: str, item: CatalogueItem) -> None:
        self._write_product(
            WriteRequest(
                op=WriteOp.UPDATE,
                entity="product",
                idempotency_key=f"product:{product_id}:{item.product.content_hash()}",
                native_id=product_id,
                data=item.product,
            ),
            item.group,
        )

    # -- invoices and credit notes ---------------------------------------------------------

    def billing_documents(self) -> dict[str, BillingDocument]:
        return {
            r.native_id: r.data
            for entity in DOCUMENT_ENTITIES
            for page in self.connector.scan(entity)
            for r in page
            if isinstance(r.data, BillingDocument)
        }

    def billing_document(self, document_id: str) -> BillingDocument | None:
        for entity in DOCUMENT_ENTITIES:
            for record in self.connector.read(entity, [document_id]):
                if isinstance(record.data, BillingDocument):
                    return record.data
        return None

    def _write_document(self, request: WriteRequest) -> str:
        self._ensure_fields()
        result = self.connector.write(request.entity, [request])[0]
        if result.error is not None:
            raise result.error
        if result.native_id is None:
            raise PermanentError(f"BottleCRM wrote no {request.entity}", system=self.system)
        return result.native_id

    def create_billing_document(self, document: BillingDocument) -> str:
        return self._write_document(
            WriteRequest(
                op=WriteOp.CREATE,
                entity=document.entity_name,
                idempotency_key=f"{document.entity_name}:{document.number}",
                data=document,
            )
        )

    def update_billing_document(self, document_id: str, document: BillingDocument) -> None:
        self._write_document(
            WriteRequest(
                op=WriteOp.UPDATE,
                entity=document.entity_name,
                idempotency_key=f"{document_id}:{document.content_hash()}",
                native_id=document_id,
                data=document,
            )
        )

    # -- service cases ---------------------------------------------------------------------

    def service_cases(self) -> dict[str, ServiceCase]:
        return {
            r.native_id: r.data
            for page in self.connector.scan("service_case")
            for r in page
            if isinstance(r.data, ServiceCase)
        }

    def service_case(self, case_id: str) -> ServiceCase | None:
        records = self.connector.read("service_case", [case_id])
        found = records[0].data if records else None
        return found if isinstance(found, ServiceCase) else None

    def report_complaint(self, case_id: str, reference: str, state: str) -> None:
        self._ensure_fields()
        current = self.service_case(case_id)
        if current is None:
            raise PermanentError(f"BottleCRM has no case {case_id}", system=self.system)
        case = current.model_copy(update={"erp_reference": reference, "erp_state": state})
        result = self.connector.write(
            "service_case",
            [
                WriteRequest(
                    op=WriteOp.UPDATE,
                    entity="service_case",
                    idempotency_key=f"complaint:{case_id}:{reference}:{state}",
                    native_id=case_id,
                    data=case,
                    fields=frozenset({"erp_reference", "erp_state"}),
                )
            ],
        )[0]
        if result.error is not None:
            raise result.error

    def service_agreements(self) -> dict[str, list[ServiceAgreement]]:
        found: dict[str, list[ServiceAgreement]] = {}
        for page in self.client.pages(AGREEMENTS_PATH, (_ESTIMATES,)):
            for row in page:
                body = self.client.get_optional(f"{AGREEMENTS_PATH}{row['id']}/")
                native = body.get("recurring_invoice") if body else None
                period = _PERIODS.get(str(row.get("frequency") or ""))
                if isinstance(native, dict) and period is not None:
                    found[str(row["id"])] = _positions(native, period)
        return found

    def time_entries(self, phase_field: str | None = None) -> list[TimeEntry]:
        return [e for page in self.connector.time_entries.scan(phase_field) for _, e in page]

    def set_erp_number(self, account_id: str, number: str) -> str | None:
        current = self.account(account_id)
        if current is None:
            raise PermanentError(f"BottleCRM has no account {account_id}", system=self.system)
        before = current.data.numbers.get("erp")
        if before == number:
            return before
        party = current.data.model_copy(update={"numbers": {**current.data.numbers, "erp": number}})
        self.update_account(account_id, party, frozenset({"numbers"}))
        return before

    # -- notices ---------------------------------------------------------------------------

    def post_shipment_notice(self, notice: Notice) -> str:
        return self.connector.post_notice(
            ErpDocumentNotice(
                kind=NoticeKind.SHIPMENT,
                reference=notice.reference,
                summary=notice.summary,
                account_id=notice.account_id,
                opportunity_id=notice.deal_id,
                document_url=notice.document_url,
                due=notice.due,
            )
        )


__all__ = ["DEAL_FIELDS", "BottleCrmSide", "DealField"]
