"""The order entry form: pick a CRM account and deal; the form is pre-filled with the CRM
customer and the lines of the deal's quote, each matched to an ERP product with its stock and
forecast, and a ship date the ERP's forecast allows. Submitting places the order in the ERP
and sends the planned ship date back to the CRM deal (``order_placing``); the order names the
deal's contact person when the contact map links it to an ERP contact. With an order
handoff flow in the config, the form shows the deal's accepted quote as the flow sees it
(``syncline.flows.order_form``) and submits through the flow.

Pages: ``GET /orders/new`` (viewer), ``POST /orders/check`` (viewer: recompute stock and ship
date for edited lines), ``POST /orders`` (operator: place the order). API: ``GET
/api/orders/proposal``, ``POST /api/orders``, ``GET /api/erp/products``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from rapidfuzz import fuzz, process

from syncline.connectors.tryton import StockLevel
from syncline.errors import ConnectorError
from syncline.flows import FlowError
from syncline.flows import order_form as flow_order_form
from syncline.flows.order_handoff import waiting_note
from syncline.mapping import SynclineConfig
from syncline.web.customer_view import (
    DealContact,
    crm_account,
    crm_accounts,
    crm_deals,
    deal_contact,
    deal_of,
    erp_of,
    erp_party,
    products_of,
)
from syncline.web.deps import Config, Conn
from syncline.web.live import CrmAccount, CrmDeal, ErpProduct, LiveSystems
from syncline.web.live_wiring import live_of
from syncline.web.order_placing import place_order
from syncline.web.schemas_live import (
    CrmAccountOut,
    CrmDealOut,
    DealContactOut,
    ErpProductOut,
    OrderIn,
    OrderLineIn,
    OrderPlacedOut,
    OrderProposalOut,
    ProposedLine,
)
from syncline.web.security import Principal, operator, viewer
from syncline.web.views import page

api = APIRouter(tags=["orders"])
pages = APIRouter(include_in_schema=False)

Live = Annotated[LiveSystems, Depends(live_of)]
Viewer = Annotated[Principal, Depends(viewer)]
Operator = Annotated[Principal, Depends(operator)]
NativeId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
MATCH_CUTOFF = 60  # rapidfuzz token-set score a quote line needs to suggest a product
BLANK_LINES = 2  # empty rows under the quote's lines for products to add
ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "No such account or deal in the CRM"},
    409: {"description": "No CRM or ERP configured, or no ERP customer for the account"},
    422: {"description": "The ERP refused the order (its message says why)"},
    503: {"description": "The CRM or the ERP did not answer"},
}


@dataclass
class EntryLine:
    """One row of the form: what the customer wants and the ERP product that delivers it."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    product: ErpProduct | None = None
    stock: StockLevel | None = None

    @property
    def short(self) -> bool:
        """The forecast today does not cover the quantity (stocked goods only)."""
        return self.stock is not None and self.stock.forecast < self.quantity


@dataclass
class OrderForm:
    """Everything the order entry page shows."""

    accounts: list[CrmAccount]
    account: CrmAccount | None = None
    deals: list[CrmDeal] = field(default_factory=list)
    deal: CrmDeal | None = None
    party_id: str | None = None
    contact: DealContact | None = None  # the deal's contact person (direct entry only)
    products: list[ErpProduct] = field(default_factory=list)
    lines: list[EntryLine] = field(default_factory=list)
    ship_date: date | None = None
    erp_error: str | None = None
    submission: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    handoff: bool = False  # the order handoff flow orders the accepted quote as it is

    @property
    def can_submit(self) -> bool:
        if self.handoff:
            return bool(self.deal and self.lines and self.erp_error is None)
        return bool(self.deal and self.party_id and any(ln.product for ln in self.lines))


def best_product(description: str, products: Sequence[ErpProduct]) -> ErpProduct | None:
    """The product a quote line means: one whose ERP code the line's text is or names, else
    the one whose name matches the text best, if good enough."""
    text = description.strip()
    if not text or not products:
        return None
    words = {w.strip("[]():,;").casefold() for w in text.split()}
    for product in products:
        if product.code and product.code.casefold() in words:
            return product
    found = process.extractOne(
        text,
        [p.name for p in products],
        scorer=fuzz.token_set_ratio,
        score_cutoff=MATCH_CUTOFF,
    )
    return products[found[2]] if found is not None else None


def with_stock(live: LiveSystems, lines: list[EntryLine]) -> date | None:
    """Attach today's stock to the lines' goods and return the ERP's ship date proposal."""
    erp = erp_of(live)
    goods = sorted({ln.product.id for ln in lines if ln.product and ln.product.goods})
    if goods:
        levels = live.cache.get(("erp", "stock", *goods), lambda: erp.stock(goods)).value
        by_id = {s.product_id: s for s in levels}
        for line in lines:
            if line.product is not None:
                line.stock = by_id.get(line.product.id)
    wanted = [(ln.product.id, ln.quantity) for ln in lines if ln.product is not None]
    if not wanted:
        return None
    key = ("erp", "ship-date", *[f"{p}:{q}" for p, q in sorted(wanted)])
    proposed: date | None = live.cache.get(key, lambda: erp.ship_date(wanted)).value
    return proposed


def build_form(
    conn: Conn,
    config: SynclineConfig,
    live: LiveSystems,
    account_id: str | None,
    deal_id: str | None,
    *,
    edited: list[EntryLine] | None = None,
) -> OrderForm:
    """The form for the chosen account and deal; ``edited`` lines replace the quote's."""
    form = OrderForm(accounts=crm_accounts(live))
    if not account_id:
        return form
    form.account = crm_account(live, account_id)
    form.deals = crm_deals(live, account_id)
    if not deal_id:
        return form
    form.deal = deal_of(live, form.account, deal_id)
    if live.handoff is not None and edited is None:
        return _handoff_form(live, form, deal_id)
    if live.handoff is None:
        form.contact = deal_contact(conn, config, live, form.deal)
    try:
        form.party_id = erp_party(conn, config, live, form.account).value
        form.products = products_of(live)
        if edited is None:
            crm = live.crm
            assert crm is not None
            quoted = live.cache.get(("crm", "lines", deal_id), lambda: crm.deal_lines(deal_id))
            edited = [
                EntryLine(
                    q.description,
                    q.quantity,
                    q.unit_price,
                    best_product(q.description, form.products),
                )
                for q in quoted.value
            ]
        form.lines = edited
        form.ship_date = with_stock(live, form.lines)
    except ConnectorError as exc:
        form.erp_error = f"the ERP did not answer: {exc}"
        form.lines = edited or []
    if form.party_id is None and form.erp_error is None:
        form.erp_error = (
            "the ERP knows no customer for this account: link it (party map) or store its "
            "ERP number in the CRM"
        )
    return form


def _handoff_form(live: LiveSystems, form: OrderForm, deal_id: str) -> OrderForm:
    """The form as the order handoff flow sees the deal: its accepted quote's lines with the
    ERP's products, stock and forecast, and the flow's proposed ship date."""
    assert live.handoff is not None
    form.handoff = True
    try:
        view = flow_order_form(live.handoff, deal_id)
        catalogue = {p.id: p for p in products_of(live)}
        today = erp_of(live).today()
    except (FlowError, ConnectorError) as exc:
        form.erp_error = str(exc)
        return form
    form.lines = [
        EntryLine(
            description=ln.description or ln.product_code or "",
            quantity=ln.quantity,
            unit_price=ln.erp_price if ln.erp_price is not None else ln.quoted_price,
            product=catalogue.get(ln.erp_product_id) if ln.erp_product_id else None,
            stock=(
                StockLevel(ln.erp_product_id, today, ln.on_hand, ln.forecast)
                if ln.erp_product_id and ln.on_hand is not None and ln.forecast is not None
                else None
            ),
        )
        for ln in view.lines
    ]
    form.ship_date = view.proposed_ship_date
    if view.needs_approval:
        form.erp_error = waiting_note(view.discount, view.discount_limit)
    return form


# -- parsing the form's lines ----------------------------------------------------------------


def _decimal(text: str, default: Decimal) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ".")) if text.strip() else default
    except InvalidOperation:
        return default
    return value if value.is_finite() else default


def form_lines(
    live: LiveSystems,
    descriptions: list[str],
    product_ids: list[str],
    quantities: list[str],
    prices: list[str],
) -> list[EntryLine]:
    """The rows as typed: rows without a product and without a text are dropped."""
    catalogue = {p.id: p for p in products_of(live)}
    rows = []
    for i, text in enumerate(descriptions):
        product = catalogue.get(product_ids[i]) if i < len(product_ids) else None
        if product is None and not text.strip():
            continue
        quantity = _decimal(quantities[i] if i < len(quantities) else "", Decimal(1))
        price = _decimal(prices[i] if i < len(prices) else "", Decimal(0))
        rows.append(EntryLine(text.strip(), quantity, price, product))
    return rows


# -- routes ----------------------------------------------------------------------------------


def proposal_out(form: OrderForm) -> OrderProposalOut:
    assert form.account is not None and form.deal is not None
    return OrderProposalOut(
        account=CrmAccountOut.model_validate(form.account),
        deal=CrmDealOut.model_validate(form.deal),
        erp_party_id=form.party_id,
        contact=DealContactOut.model_validate(form.contact) if form.contact else None,
        lines=[
            ProposedLine(
                description=ln.description,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                product_id=ln.product.id if ln.product else None,
                product_name=ln.product.name if ln.product else None,
                unit=ln.product.unit if ln.product else None,
                on_hand=ln.stock.on_hand if ln.stock else None,
                forecast=ln.stock.forecast if ln.stock else None,
            )
            for ln in form.lines
        ],
        ship_date=form.ship_date,
    )


@api.get(
    "/api/orders/proposal",
    response_model=OrderProposalOut,
    summary="The order a CRM deal would become: quote lines matched to ERP products, with "
    "stock, forecast and the ERP's proposed ship date",
    responses=ERRORS,
    dependencies=[Depends(viewer)],
)
def get_proposal(
    account_id: NativeId, deal_id: NativeId, conn: Conn, config: Config, live: Live
) -> OrderProposalOut:
    form = build_form(conn, config, live, account_id, deal_id)
    if form.erp_error and not form.lines:
        raise HTTPException(503, form.erp_error)
    return proposal_out(form)


@api.get(
    "/api/erp/products",
    response_model=list[ErpProductOut],
    summary="The ERP's saleable products (cached)",
    responses=ERRORS,
    dependencies=[Depends(viewer)],
)
def get_products(live: Live) -> list[ErpProductOut]:
    try:
        return [ErpProductOut.model_validate(p) for p in products_of(live)]
    except ConnectorError as exc:
        raise HTTPException(503, f"the ERP did not answer: {exc}") from None


@api.post(
    "/api/orders",
    response_model=OrderPlacedOut,
    status_code=201,
    summary="Place an order from a CRM deal in the ERP; its ship date goes back to the deal",
    responses=ERRORS,
)
def post_order(body: OrderIn, request: Request, live: Live, who: Operator) -> OrderPlacedOut:
    return place_order(request, live, body, who.name)


Lines = Annotated[list[str], Form(max_length=500)]
NoLines: list[str] = []


@pages.get("/orders/new", response_class=HTMLResponse)
def order_entry_page(
    *,
    request: Request,
    principal: Viewer,
    conn: Conn,
    config: Config,
    live: Live,
    account_id: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9-]*$")] = "",
    deal_id: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9-]*$")] = "",
) -> HTMLResponse:
    form = build_form(conn, config, live, account_id or None, deal_id or None)
    return _render(request, principal, form)


@pages.post("/orders/check", response_class=HTMLResponse)
def order_entry_check(
    *,
    request: Request,
    principal: Viewer,
    conn: Conn,
    config: Config,
    live: Live,
    account_id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    deal_id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    description: Lines,
    product_id: Lines,
    quantity: Lines,
    unit_price: Lines,
) -> HTMLResponse:
    """Recompute stock and ship date for the lines as edited (nothing is written)."""
    try:
        lines = form_lines(live, description, product_id, quantity, unit_price)
    except ConnectorError as exc:
        raise HTTPException(503, f"the ERP did not answer: {exc}") from None
    form = build_form(conn, config, live, account_id, deal_id, edited=lines)
    return _render(request, principal, form)


@pages.post("/orders")
def order_entry_submit(
    *,
    request: Request,
    who: Operator,
    live: Live,
    account_id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    deal_id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9-]+$")],
    submission: Annotated[str, Form(min_length=8, max_length=64)],
    description: Lines = NoLines,
    product_id: Lines = NoLines,
    quantity: Lines = NoLines,
    unit_price: Lines = NoLines,
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> RedirectResponse:
    chosen: list[EntryLine] = []
    if live.handoff is None:
        try:
            lines = form_lines(live, description, product_id, quantity, unit_price)
        except ConnectorError as exc:
            raise HTTPException(503, f"the ERP did not answer: {exc}") from None
        chosen = [ln for ln in lines if ln.product is not None]
        if not chosen:
            raise HTTPException(422, "choose an ERP product for at least one line")
    body = OrderIn(
        account_id=account_id,
        deal_id=deal_id,
        submission=submission,
        confirm=confirm == "yes",
        lines=[
            OrderLineIn(
                product_id=ln.product.id,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                description=ln.description,
            )
            for ln in chosen
            if ln.product is not None
        ],
    )
    placed = place_order(request, live, body, who.name)
    ship = placed.planned_ship_date.isoformat() if placed.planned_ship_date else "not yet known"
    message = f"Order {placed.number or placed.native_id} placed ({placed.state}); ships {ship}."
    if placed.crm_error:
        message += f" {placed.crm_error}"
    return RedirectResponse(f"/customers/{account_id}?done={quote(message)}", status_code=303)


def _render(request: Request, principal: Principal, form: OrderForm) -> HTMLResponse:
    rows = [*form.lines, *[EntryLine("", Decimal(1), Decimal(0)) for _ in range(BLANK_LINES)]]
    return page(request, "order_entry.html", principal, {"form": form, "rows": rows})


__all__ = [
    "EntryLine",
    "OrderForm",
    "api",
    "best_product",
    "build_form",
    "form_lines",
    "pages",
]
