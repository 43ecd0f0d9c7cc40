"""Customer 360 (viewer role): the CRM account and its deals beside the ERP's live financial
overview. API: ``/api/customers``; pages: ``/customers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from syncline.web.customer_view import CustomerView, crm_accounts, customer_view
from syncline.web.deps import Config, Conn
from syncline.web.live import LiveSystems
from syncline.web.live_wiring import live_of
from syncline.web.schemas_live import CrmAccountOut, CrmDealOut, CustomerOut, ErpOverviewOut
from syncline.web.security import Principal, viewer
from syncline.web.views import page

api = APIRouter(dependencies=[Depends(viewer)], tags=["customers"])
pages = APIRouter(include_in_schema=False)

Live = Annotated[LiveSystems, Depends(live_of)]
Viewer = Annotated[Principal, Depends(viewer)]
AccountId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="CRM account")
]
ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "The CRM has no such account"},
    409: {"description": "No CRM or ERP is configured"},
    503: {"description": "The CRM did not answer"},
}


def customer_out(view: CustomerView) -> CustomerOut:
    erp = view.erp
    return CustomerOut(
        account=CrmAccountOut.model_validate(view.account),
        deals=[CrmDealOut.model_validate(d) for d in view.deals],
        erp_party_id=erp.party_id,
        erp=ErpOverviewOut.model_validate(erp.overview) if erp.overview is not None else None,
        erp_as_of=erp.as_of,
        erp_stale=erp.stale,
        erp_error=erp.error,
    )


@api.get(
    "/api/customers",
    response_model=list[CrmAccountOut],
    summary="CRM accounts (the customers the 360 view and the order form start from)",
    responses=ERRORS,
)
def list_customers(
    live: Live, q: Annotated[str, Query(max_length=200, description="Name contains")] = ""
) -> list[CrmAccountOut]:
    wanted = q.casefold()
    return [
        CrmAccountOut.model_validate(a) for a in crm_accounts(live) if wanted in a.name.casefold()
    ]


@api.get(
    "/api/customers/{account_id}",
    response_model=CustomerOut,
    summary="Customer 360: CRM account and deals beside the ERP's open items, overdue, credit "
    "limit, revenue, last invoices and open orders (cached; stale when the ERP is down)",
    responses=ERRORS,
)
def get_customer(account_id: AccountId, conn: Conn, config: Config, live: Live) -> CustomerOut:
    return customer_out(customer_view(conn, config, live, account_id))


@pages.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    principal: Viewer,
    live: Live,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    wanted = q.casefold()
    accounts = [a for a in crm_accounts(live) if wanted in a.name.casefold()]
    return page(request, "customers.html", principal, {"accounts": accounts, "q": q})


@pages.get("/customers/{account_id}", response_class=HTMLResponse)
def customer_page(
    *,
    request: Request,
    principal: Viewer,
    account_id: AccountId,
    conn: Conn,
    config: Config,
    live: Live,
) -> HTMLResponse:
    view = customer_view(conn, config, live, account_id)
    return page(request, "customer.html", principal, {"view": view, "erp": view.erp})


__all__ = ["api", "customer_out", "pages"]
