"""Order handoff: "the order marks the border". A won deal with an accepted quote in the CRM
becomes a confirmed sales order in the ERP, and the ERP's order number, state and planned ship
date go back onto the deal.

    new ──> waiting_approval ──> approved ──> customer_linked ──> order_created
     │            │                 ^                                  │
     └────────────┴─> cancelled     └── (discount within the limit)    v
                                 closed <── done <──> order_confirmed

After the handoff (``done``) the deal keeps following its order: when the ERP's state or
planned ship date changes, the item goes back to ``order_confirmed`` and writes them again;
once the ERP order is done or cancelled and written, the item is ``closed``.

The ERP order names the quote's contact when that contact is linked to an ERP contact (in
the contact map joining the two systems); an unlinked contact leaves the order's contact empty.

Crash safety: the ERP order carries the item's marker (``syncline:<flow>:<deal id>``) from
its creation on, and the step that creates it first looks for an order with that marker; the
ERP debtor is found by its name before a new one is created. A re-run therefore never creates
a second order or a second debtor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from syncline.flows.base import Candidate, Flow, FlowReport, RunOptions, run_flow
from syncline.flows.ledger import FlowItem, get_item, note_item, register_items
from syncline.flows.linking import MapSides, erp_products, linked_id, record_link
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.flows.ports import CrmSide, ErpSide, Record
from syncline.mapping.flows import OrderHandoffConfig
from syncline.model import DocumentLine, Opportunity, OpportunityStatus, Order, Quote
from syncline.store import Store

PRICE_DIGITS = Decimal("0.0001")
ENDED_ORDER_STATES = frozenset({"done", "cancelled"})
"""ERP order states after which the deal needs no more updates."""


class HandoffState(StrEnum):
    NEW = "new"
    WAITING_APPROVAL = "waiting_approval"
    APPROVED = "approved"
    CUSTOMER_LINKED = "customer_linked"
    ORDER_CREATED = "order_created"
    ORDER_CONFIRMED = "order_confirmed"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = HandoffState


def deal_key(deal_id: str) -> str:
    """The flow item key of a deal."""
    return f"deal:{deal_id}"


def waiting_note(discount: Decimal, limit: Decimal) -> str:
    """The note a deal gets while its discount waits for approval."""
    return (
        f"Waiting for approval: the accepted quote gives a discount of {discount.normalize():f} %, "
        f"above the limit of {limit.normalize():f} %. A sales manager must tick "
        "'Discount approved' on this deal before syncline hands the order to the ERP."
    )


@dataclass(frozen=True)
class HandoffResult:
    """Where a deal's handoff stands after a submit (for the order entry form)."""

    deal_id: str
    state: str
    order_number: str | None
    order_state: str | None
    planned_ship_date: date | None
    waiting: str | None
    error: str | None

    @property
    def done(self) -> bool:
        """Whether the order is in the ERP and its data on the deal."""
        return self.state in (S.DONE.value, S.CLOSED.value)


class OrderHandoff(Flow):
    """Won deal + accepted quote in the CRM -> confirmed sales order in the ERP."""

    kind = "order_handoff"
    entity = "opportunity"
    machine = StateMachine(
        HandoffState,
        initial=S.NEW,
        final=(S.CLOSED, S.CANCELLED),
        transitions=(
            (S.NEW, S.WAITING_APPROVAL),
            (S.NEW, S.APPROVED),
            (S.NEW, S.CANCELLED),
            (S.WAITING_APPROVAL, S.APPROVED),
            (S.WAITING_APPROVAL, S.CANCELLED),
            (S.APPROVED, S.CUSTOMER_LINKED),
            (S.CUSTOMER_LINKED, S.ORDER_CREATED),
            (S.ORDER_CREATED, S.ORDER_CONFIRMED),
            (S.ORDER_CONFIRMED, S.DONE),
            (S.DONE, S.ORDER_CONFIRMED),
            (S.DONE, S.CLOSED),
        ),
    )

    def __init__(
        self,
        config: OrderHandoffConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
        products: MapSides,
        contacts: MapSides | None = None,
    ) -> None:
        super().__init__(config.name, store)
        self.config = config
        self.crm = crm
        self.erp = erp
        self.parties = parties
        self.products = products
        self.contacts = contacts

    def marker(self, deal_id: str) -> str:
        """The idempotency key the ERP order of ``deal_id`` carries."""
        return f"syncline:{self.name}:{deal_id}"

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        return [Candidate(deal_key(d.id), {"deal_id": d.id}) for d in self.crm.won_deals()]

    # -- helpers ---------------------------------------------------------------------------

    def _deal(self, deal_id: str) -> Opportunity:
        found = self.crm.deal(deal_id)
        if found is None:
            raise FlowError(f"the CRM deal {deal_id} no longer exists")
        return found.data

    def _quote(self, deal_id: str) -> Record[Quote]:
        quote = self.crm.accepted_quote(deal_id)
        if quote is None:
            raise FlowError(f"the CRM deal {deal_id} has no accepted quote any more")
        return quote

    def _guard(self, deal_id: str, deal: Opportunity, source: S) -> Outcome:
        """The approval guard: a discount above the limit needs an approval in the CRM."""
        if deal.status is OpportunityStatus.LOST:
            return Advance(S.CANCELLED, detail="the deal was marked lost")
        if deal.status is not OpportunityStatus.WON:
            return Wait("the deal is not marked won")
        quote = self.crm.accepted_quote(deal_id)
        if quote is None:
            return Wait("the deal has no accepted quote")
        discount = quote.data.max_discount()
        data = {"quote_id": quote.id, "quote_number": quote.data.number, "discount": str(discount)}
        if discount <= self.config.discount_limit or deal.discount_approved:
            why = "approved in the CRM" if discount > self.config.discount_limit else "within"
            return Advance(S.APPROVED, data, detail=f"discount {discount} % {why} the limit")
        if source is S.WAITING_APPROVAL:
            return Wait("waiting for the discount approval in the CRM", data)
        note = waiting_note(discount, self.config.discount_limit)
        added = self.crm.note_on_deal(deal_id, note)
        changes = (Change(self.crm.system, "opportunity", deal_id, "note", note),) if added else ()
        return Advance(S.WAITING_APPROVAL, data, detail=note, changes=changes)

    # -- steps -----------------------------------------------------------------------------

    @step(S.NEW)
    def check_deal(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        return self._guard(item.deal_id, self._deal(item.deal_id), S.NEW)

    @step(S.WAITING_APPROVAL)
    def await_approval(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        return self._guard(item.deal_id, self._deal(item.deal_id), S.WAITING_APPROVAL)

    @step(S.APPROVED)
    def link_customer(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        deal = self._deal(item.deal_id)
        if deal.party_id is None:
            raise FlowError(f"the CRM deal {item.deal_id} has no account; set its account")
        changes: list[Change] = []
        with self.store.begin() as conn:
            erp_id = linked_id(conn, self.parties, "crm", deal.party_id)
        if erp_id is not None:
            erp_party = self.erp.party(erp_id)
            if erp_party is None:
                raise FlowError(f"the linked ERP party {erp_id} no longer exists")
            how = "already linked"
        else:
            account = self.crm.account(deal.party_id)
            if account is None:
                raise FlowError(f"the CRM account {deal.party_id} no longer exists")
            found = self.erp.find_party(account.data)
            if found is not None:
                erp_party, origin, how = found, "key", "matched an existing ERP party"
            else:
                erp_party = self.erp.create_party(account.data)
                origin, how = "created", "created as ERP debtor"
                changes.append(
                    Change(self.erp.system, "party", erp_party.id, "created", account.data.name)
                )
            with self.store.begin() as conn:
                record_link(
                    conn, self.parties, deal.party_id, erp_party.id, origin=origin, actor=self.actor
                )
        number = erp_party.data.numbers.get(self.erp.system)
        if number:
            before = self.crm.set_erp_number(deal.party_id, number)
            if before != number:
                changes.append(
                    Change(self.crm.system, "party", deal.party_id, "numbers.erp", number, before)
                )
        return Advance(
            S.CUSTOMER_LINKED,
            {"account_id": deal.party_id, "erp_party_id": erp_party.id, "debtor_number": number},
            detail=f"customer {how} (ERP party {erp_party.id}, number {number})",
            changes=tuple(changes),
        )

    def erp_lines(self, erp_party_id: str, quote: Quote) -> list[DocumentLine]:
        """The quote's lines as ERP order lines: ERP products through the catalogue links
        (else by product code), ERP prices less the quoted discount."""
        found = erp_products(
            self.store, self.products, self.erp,
            [(ln.product_id, ln.product_code) for ln in quote.lines],
        )  # fmt: skip
        product_ids: list[str] = []
        for line, product in zip(quote.lines, found, strict=True):
            if product is None:
                raise FlowError(
                    f"quote line {line.description or line.product_code!r} names no product "
                    "of the ERP catalogue; pick a catalogue product in the CRM quote"
                )
            product_ids.append(product)
        prices = self.erp.sale_prices(
            erp_party_id, [(p, ln.quantity) for p, ln in zip(product_ids, quote.lines, strict=True)]
        )
        catalogue = self.erp.products(product_ids)
        lines = []
        for product, line, price in zip(product_ids, quote.lines, prices, strict=True):
            net = (price * (Decimal(100) - line.discount) / Decimal(100)).quantize(PRICE_DIGITS)
            lines.append(
                DocumentLine(
                    product_id=product,
                    product_code=catalogue[product].code if product in catalogue else None,
                    description=line.description,
                    quantity=line.quantity,
                    unit=catalogue[product].unit if product in catalogue else "u",
                    unit_price=net,
                )
            )
        return lines

    def erp_contact(self, quote: Quote) -> str | None:
        """The ERP contact linked to the quote's contact; None when the quote names none, the
        contact is not linked or no contact map joins the systems."""
        if self.contacts is None or quote.contact_id is None:
            return None
        with self.store.begin() as conn:
            return linked_id(conn, self.contacts, "crm", quote.contact_id)

    @step(S.CUSTOMER_LINKED)
    def create_order(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        marker = self.marker(item.deal_id)
        existing = self.erp.find_order(marker)
        if existing is not None:
            return Advance(
                S.ORDER_CREATED,
                {"erp_order_id": existing},
                detail=f"found ERP order {existing} an interrupted run had created",
            )
        deal = self._deal(item.deal_id)
        quote = self._quote(item.deal_id)
        if item.erp_party_id is None:
            raise FlowError("the item lost its ERP party; re-link the customer")
        order = Order(
            reference=quote.data.number,
            party_id=item.erp_party_id,
            contact_id=self.erp_contact(quote.data),
            currency=quote.data.currency,
            description=deal.name,
            planned_ship_date=item.requested_ship_date,
            lines=self.erp_lines(item.erp_party_id, quote.data),
        )
        order_id = self.erp.create_order(order, marker)
        return Advance(
            S.ORDER_CREATED,
            {"erp_order_id": order_id},
            detail=f"ERP order {order_id} created from quote {quote.data.number}",
            changes=(Change(self.erp.system, "order", order_id, "created", quote.data.number),),
        )

    @step(S.ORDER_CREATED)
    def confirm(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        self.erp.confirm_order(item.require_order())
        return Advance(S.ORDER_CONFIRMED, detail=f"ERP order {item.require_order()} confirmed")

    @step(S.ORDER_CONFIRMED)
    def write_back(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        status = self.erp.order_status(item.require_order())
        before = self.crm.write_order_status(item.deal_id, status)
        ship = status.planned_ship_date.isoformat() if status.planned_ship_date else None
        old_ship = before.planned_ship_date if before else None
        changes = tuple(
            Change(self.crm.system, "opportunity", item.deal_id, name, new, old)
            for name, new, old in (
                ("order_number", status.number, before.number if before else None),
                ("order_state", status.state, before.state if before else None),
                ("planned_ship_date", ship, old_ship.isoformat() if old_ship else None),
            )
        )
        return Advance(
            S.DONE,
            {"order_number": status.number, "order_state": status.state, "planned_ship_date": ship},
            detail=f"ERP order {status.number} ({status.state}, ships {ship}) written to the deal",
            changes=changes,
        )

    @step(S.DONE)
    def track(self, stored: FlowItem) -> Outcome:
        item = _view(stored)
        status = self.erp.order_status(item.require_order())
        ship = status.planned_ship_date.isoformat() if status.planned_ship_date else None
        data = stored.data
        if (status.number, status.state, ship) != (
            data.get("order_number"), data.get("order_state"), data.get("planned_ship_date"),
        ):  # fmt: skip
            return Advance(S.ORDER_CONFIRMED, detail=f"the ERP order is now {status.state}")
        if status.state in ENDED_ORDER_STATES:
            return Advance(S.CLOSED, detail=f"the ERP order is {status.state}")
        return Wait(f"handed off; the ERP order is {status.state}")


@dataclass(frozen=True)
class _HandoffItem:
    """The data an order handoff item carries, typed."""

    deal_id: str
    erp_party_id: str | None
    erp_order_id: str | None
    requested_ship_date: date | None

    def require_order(self) -> str:
        if self.erp_order_id is None:
            raise FlowError("the item has no ERP order id; it cannot be confirmed")
        return self.erp_order_id


def _view(stored: FlowItem) -> _HandoffItem:
    data = stored.data
    requested = data.get("requested_ship_date")
    return _HandoffItem(
        deal_id=str(data.get("deal_id") or stored.key.removeprefix("deal:")),
        erp_party_id=data.get("erp_party_id"),
        erp_order_id=data.get("erp_order_id"),
        requested_ship_date=date.fromisoformat(requested) if requested else None,
    )


def submit_order(
    flow: OrderHandoff, deal_id: str, *, requested_ship_date: date | None = None
) -> HandoffResult:
    """Hand the deal's order to the ERP now (the order entry form's "submit").

    Registers the deal with the flow (once) and advances it as far as it can go: through the
    approval guard, customer linking, order creation and confirmation to the write-back. Safe
    to call again: a second submit of a handed-off deal creates nothing. ``requested_ship_date``
    is the customer's wish, given to the ERP as the order's shipping date.
    """
    key = deal_key(deal_id)
    seed = {"deal_id": deal_id}
    with flow.store.begin() as conn:
        register_items(conn, flow.name, [(key, seed)], flow.machine.initial.value)
        item = get_item(conn, flow.name, key)
        assert item is not None
        if requested_ship_date is not None and item.state in (S.NEW, S.WAITING_APPROVAL):
            note_item(
                conn,
                item,
                error=None,
                data={"requested_ship_date": requested_ship_date.isoformat()},
            )
    report: FlowReport = run_flow(flow, RunOptions(keys=frozenset({key}), discover=False))
    with flow.store.begin() as conn:
        item = get_item(conn, flow.name, key)
    assert item is not None
    shipped = item.data.get("planned_ship_date")
    return HandoffResult(
        deal_id=deal_id,
        state=item.state,
        order_number=item.data.get("order_number"),
        order_state=item.data.get("order_state"),
        planned_ship_date=date.fromisoformat(shipped) if shipped else None,
        waiting=item.data.get("waiting"),
        error=item.error if item.error else (report.errors[0] if report.errors else None),
    )


__all__ = [
    "HandoffResult",
    "HandoffState",
    "OrderHandoff",
    "deal_key",
    "submit_order",
    "waiting_note",
]
