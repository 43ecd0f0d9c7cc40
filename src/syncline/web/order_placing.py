"""Placing the order of the order entry form: through the config's order handoff flow when
there is one (the deal's accepted quote is ordered, and the flow writes the order back to the
deal), else directly: the form's lines become a Tryton sale through the connector (naming the
deal's contact person when the contact map links it to an ERP contact), and the planned ship
date goes to the CRM deal as a notice. Either way a repeated submission returns the first
order, and the order entry is audited."""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from datetime import date

from fastapi import HTTPException, Request
from sqlalchemy import select

from syncline.errors import ConnectorError, PermanentError, TransientError
from syncline.flows import FlowError, OrderHandoff, submit_order
from syncline.model import DocumentLine, Order, OrderState
from syncline.store.audit import record_events
from syncline.store.schema import audit_events
from syncline.web.customer_view import (
    crm_account,
    deal_of,
    erp_of,
    erp_party,
    linked_contact,
    products_of,
)
from syncline.web.deps import runtime_of
from syncline.web.live import CrmDeal, ErpDesk, ErpProduct, LiveSystems, PlacedOrder
from syncline.web.schemas_live import OrderIn, OrderLineIn, OrderPlacedOut

log = logging.getLogger("syncline.web")


class Submissions:
    """Orders placed per form submission id, so a repeated submit does not order twice."""

    def __init__(self, size: int = 1000) -> None:
        self._placed: OrderedDict[str, OrderPlacedOut] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: str) -> OrderPlacedOut | None:
        with self._lock:
            return self._placed.get(key)

    def put(self, key: str, placed: OrderPlacedOut) -> None:
        with self._lock:
            self._placed[key] = placed
            while len(self._placed) > self.size:
                self._placed.popitem(last=False)


_submit_lock = threading.Lock()


def submissions_of(request: Request) -> Submissions:
    state = request.app.state
    with _submit_lock:
        found: Submissions | None = getattr(state, "order_submissions", None)
        if found is None:
            found = Submissions()
            state.order_submissions = found
    return found


def place_order(request: Request, live: LiveSystems, body: OrderIn, actor: str) -> OrderPlacedOut:
    """Place the deal's order (through the order handoff flow when there is one, else from
    ``body.lines``), tell the CRM deal its ship date, and audit the order entry once."""
    submissions = submissions_of(request)
    key = body.submission or secrets.token_urlsafe(16)
    with _submit_lock:
        done = submissions.get(key)
        if done is not None:
            return done
        runtime = runtime_of(request)
        account = crm_account(live, body.account_id)
        deal = deal_of(live, account, body.deal_id)
        if live.handoff is not None:
            result = _through_handoff(live.handoff, deal)
            live.cache.forget("erp")
            handed = PlacedOrder(
                result.native_id, result.number, result.state, result.planned_ship_date
            )
            _audit(request, live, actor, deal, handed)
            submissions.put(key, result)
            return result
        if not body.lines:
            raise HTTPException(422, "give at least one line")
        erp = erp_of(live)
        with runtime.store.begin() as conn:
            try:
                party = erp_party(conn, runtime.config, live, account).value
            except ConnectorError as exc:
                raise HTTPException(503, f"the ERP did not answer: {exc}") from None
            contact = (
                linked_contact(conn, runtime.config, live, deal.contact_id)
                if deal.contact_id
                else None
            )
        if party is None:
            raise HTTPException(409, f"the ERP knows no customer for {account.name!r}")
        try:
            catalogue = {p.id: p for p in products_of(live)}
            today = erp.today()
        except ConnectorError as exc:
            raise HTTPException(503, f"the ERP did not answer: {exc}") from None
        unknown = [ln.product_id for ln in body.lines if ln.product_id not in catalogue]
        if unknown:
            raise HTTPException(422, f"the ERP sells no product {', '.join(unknown)}")
        order = Order(
            party_id=party,
            contact_id=contact,
            state=OrderState.CONFIRMED if body.confirm else OrderState.QUOTATION,
            currency=account.currency or "EUR",
            order_date=today,
            reference=deal.name[:100],
            description=f"Entered from CRM deal {deal.name} by {actor}",
            lines=[_line(ln, catalogue[ln.product_id]) for ln in body.lines],
        )
        try:
            placed = _place(erp, order, f"order-entry:{key}")
        except ConnectorError as exc:
            status = 503 if isinstance(exc, TransientError) else 422
            raise HTTPException(status, f"the ERP did not take the order: {exc}") from None
        live.cache.forget("erp")
        notice_id, crm_error = _tell_crm(live, deal, placed)
        _audit(request, live, actor, deal, placed)
        result = OrderPlacedOut(
            native_id=placed.native_id,
            number=placed.number,
            state=placed.state,
            planned_ship_date=placed.planned_ship_date,
            crm_notice_id=notice_id,
            crm_error=crm_error,
        )
        submissions.put(key, result)
    log.info("order %s placed in the ERP by %s for deal %s", placed.number, actor, deal.id)
    return result


def _through_handoff(flow: OrderHandoff, deal: CrmDeal) -> OrderPlacedOut:
    """Submit the deal through the order handoff flow (idempotent per deal; the flow audits
    and writes the order number, state and ship date back to the deal)."""
    try:
        result = submit_order(flow, deal.id)
    except FlowError as exc:
        raise HTTPException(422, str(exc)) from None
    except ConnectorError as exc:
        raise HTTPException(503, f"the order could not be handed over now: {exc}") from None
    if result.error:
        raise HTTPException(422, f"the order handoff stopped: {result.error}")
    if not result.done or not result.order_number:
        raise HTTPException(409, result.waiting or f"the order handoff is at {result.state}")
    return OrderPlacedOut(
        native_id=result.order_number,
        number=result.order_number,
        state=result.order_state or result.state,
        planned_ship_date=result.planned_ship_date,
        crm_notice_id=None,
        crm_error=None,
    )


def _place(erp: ErpDesk, order: Order, idempotency_key: str) -> PlacedOrder:
    """Place the order; when the ERP no longer has its contact (a stale contact link), place
    it without one: the contact person never stops an order."""
    try:
        return erp.place_order(order, idempotency_key)
    except PermanentError as exc:
        if order.contact_id is None or exc.field != "contact_id":
            raise
        log.warning("the ERP has no contact %s (%s): ordering without it", order.contact_id, exc)
        return erp.place_order(order.model_copy(update={"contact_id": None}), idempotency_key)


def _line(line: OrderLineIn, product: ErpProduct) -> DocumentLine:
    return DocumentLine(
        product_id=product.id,
        product_code=product.code,
        description=line.description or product.name,
        quantity=line.quantity,
        unit=product.unit,
        unit_price=line.unit_price,
    )


def _tell_crm(
    live: LiveSystems, deal: CrmDeal, placed: PlacedOrder
) -> tuple[str | None, str | None]:
    if live.crm is None:
        return None, "no CRM configured"
    try:
        return live.crm.report_order(deal, placed), None
    except ConnectorError as exc:
        log.warning("the CRM did not take the notice for order %s: %s", placed.number, exc)
        return None, f"the order is placed, but the CRM did not take the notice: {exc}"


def _audit(
    request: Request, live: LiveSystems, actor: str, deal: CrmDeal, placed: PlacedOrder
) -> None:
    """One audit event per entered order (a resubmitted deal is not counted twice)."""
    detail = f"order entry: ERP order {placed.number or placed.native_id} for CRM deal {deal.id}"
    with runtime_of(request).store.begin() as conn:
        seen = conn.execute(
            select(audit_events.c.id).where(
                audit_events.c.reason == "flow", audit_events.c.detail == detail
            )
        ).first()
        if seen is not None:
            return
        record_events(
            conn,
            [
                {
                    "entity": "order",
                    "reason": "flow",
                    "actor": actor,
                    "source_system": live.crm_name,
                    "target_system": live.erp_name,
                    "new_value": {
                        "number": placed.number,
                        "state": placed.state,
                        "planned_ship_date": _iso(placed.planned_ship_date),
                    },
                    "detail": detail,
                }
            ],
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


__all__ = ["Submissions", "place_order"]
