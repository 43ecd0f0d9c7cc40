"""What the order entry form shows before the clerk submits a deal's order: the customer and
the accepted quote from the CRM, and per line the ERP product, the ERP price, stock on hand
and the forecast, plus a proposed ship date from the ERP's stock forecast.

The form submits with :func:`syncline.flows.order_handoff.submit_order`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from syncline.flows.ledger import get_item
from syncline.flows.linking import erp_products, linked_id
from syncline.flows.machine import FlowError
from syncline.flows.order_handoff import OrderHandoff, deal_key

HORIZON_WEEKS = 8
"""How far ahead the proposed ship date is searched in the stock forecast."""


@dataclass(frozen=True)
class OrderFormLine:
    """One quote line as the form shows it; ERP fields are None when the product is not in
    the ERP catalogue. Quantities are in the product's sales unit; prices per unit."""

    description: str
    product_code: str | None
    quantity: Decimal
    quoted_price: Decimal
    discount: Decimal
    erp_product_id: str | None
    erp_price: Decimal | None
    on_hand: Decimal | None
    forecast: Decimal | None

    @property
    def in_stock(self) -> bool:
        return self.forecast is None or self.forecast >= self.quantity


@dataclass(frozen=True)
class OrderForm:
    """The order entry form of one deal. ``proposed_ship_date`` is the first day (today, then
    weekly up to ``HORIZON_WEEKS``) on which the forecast covers every stocked line; None
    when it never does (production must be planned first)."""

    deal_id: str
    deal_name: str
    account_id: str | None
    account_name: str | None
    debtor_number: str | None
    quote_number: str | None
    discount: Decimal
    discount_limit: Decimal
    discount_approved: bool
    handoff_state: str | None
    order_number: str | None
    proposed_ship_date: date | None
    lines: list[OrderFormLine] = field(default_factory=list)

    @property
    def needs_approval(self) -> bool:
        return self.discount > self.discount_limit and not self.discount_approved


def _proposed_date(
    flow: OrderHandoff, needs: dict[str, Decimal], today: date
) -> tuple[date | None, dict[str, tuple[Decimal, Decimal]]]:
    """The first day the forecast covers ``needs`` and today's (on hand, forecast) per product."""
    levels = {s.product_id: s for s in flow.erp.stock(list(needs), today)}
    now = {p: (s.on_hand, s.forecast) for p, s in levels.items()}
    for week in range(HORIZON_WEEKS + 1):
        day = today + timedelta(weeks=week)
        found = levels if week == 0 else {s.product_id: s for s in flow.erp.stock(list(needs), day)}
        if all(p in found and found[p].forecast >= q for p, q in needs.items()):
            return day, now
    return None, now


def order_form(flow: OrderHandoff, deal_id: str, *, today: date | None = None) -> OrderForm:
    """The form of ``deal_id``; FlowError when the deal is gone or has no accepted quote."""
    day = today or date.today()
    found = flow.crm.deal(deal_id)
    if found is None:
        raise FlowError(f"the CRM deal {deal_id} does not exist")
    deal = found.data
    quote = flow.crm.accepted_quote(deal_id)
    if quote is None:
        raise FlowError(f"the CRM deal {deal.name!r} has no accepted quote to order from")
    account = flow.crm.account(deal.party_id) if deal.party_id else None
    with flow.store.begin() as conn:
        erp_party = linked_id(conn, flow.parties, "crm", deal.party_id) if deal.party_id else None
        item = get_item(conn, flow.name, deal_key(deal_id))
    lines = quote.data.lines
    products = erp_products(
        flow.store, flow.products, flow.erp, [(ln.product_id, ln.product_code) for ln in lines]
    )
    known = [(p, ln) for p, ln in zip(products, lines, strict=True) if p is not None]
    prices = (
        flow.erp.sale_prices(erp_party, [(p, ln.quantity) for p, ln in known]) if erp_party else []
    )
    price_of = {id(ln): price for (_, ln), price in zip(known, prices, strict=False)}
    catalogue = flow.erp.products([p for p, _ in known])
    needs: dict[str, Decimal] = {}
    for product, line in known:
        if catalogue.get(product) is not None and catalogue[product].kind == "goods":
            needs[product] = needs.get(product, Decimal(0)) + line.quantity
    proposed, stock = _proposed_date(flow, needs, day) if needs else (day, {})
    return OrderForm(
        deal_id=deal_id,
        deal_name=deal.name,
        account_id=deal.party_id,
        account_name=account.data.name if account else None,
        debtor_number=account.data.numbers.get(flow.erp.system) if account else None,
        quote_number=quote.data.number,
        discount=quote.data.max_discount(),
        discount_limit=flow.config.discount_limit,
        discount_approved=deal.discount_approved,
        handoff_state=item.state if item else None,
        order_number=deal.order_number,
        proposed_ship_date=proposed,
        lines=[
            OrderFormLine(
                description=line.description,
                product_code=line.product_code,
                quantity=line.quantity,
                quoted_price=line.unit_price,
                discount=line.discount,
                erp_product_id=product,
                erp_price=price_of.get(id(line)),
                on_hand=stock[product][0] if product in stock else None,
                forecast=stock[product][1] if product in stock else None,
            )
            for product, line in zip(products, lines, strict=True)
        ],
    )


__all__ = ["HORIZON_WEEKS", "OrderForm", "OrderFormLine", "order_form"]
