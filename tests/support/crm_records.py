"""Records for flow tests, made in a real BottleCRM through its REST API as a salesperson
would make them: accounts, contacts, won deals and quotes the customer accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from syncline.connectors.bottlecrm import BottleCrmConnector


@dataclass(frozen=True)
class QuoteLine:
    """A quote line: the product's SKU (its ERP code), quantity, price and discount (%)."""

    code: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    product_id: str | None = None


def _created_id(body: dict[str, Any], *path: str) -> str:
    value: Any = body if path else None
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not value:
        value = body.get("id")
    assert value, f"BottleCRM returned no id: {body}"
    return str(value)


def new_account(crm: BottleCrmConnector, name: str, **extra: Any) -> str:
    body = crm.client.post("/api/accounts/", {"name": name, "is_active": True, **extra})
    return _created_id(body)


def new_contact(crm: BottleCrmConnector, account_id: str, first: str, last: str) -> str:
    email = f"{first}.{last}@example.com".lower().replace(" ", "")
    body = crm.client.post(
        "/api/contacts/",
        {"first_name": first, "last_name": last, "email": email, "account": account_id},
    )
    return _created_id(body)


def won_deal(crm: BottleCrmConnector, account_id: str, name: str, amount: Decimal) -> str:
    body = crm.client.post(
        "/api/opportunities/",
        {
            "name": name,
            "account": account_id,
            "stage": "CLOSED_WON",
            "amount": str(amount),
            "currency": "EUR",
            "probability": 100,
            "closed_on": date.today().isoformat(),
            "pipeline": crm.default_pipeline(),
            "assigned_to": [],
            "teams": [],
            "contacts": [],
        },
    )
    return _created_id(body)


def new_product(crm: BottleCrmConnector, sku: str, name: str, price: Decimal) -> str:
    body = crm.client.post(
        "/api/invoices/products/",
        {"sku": sku, "name": name, "price": str(price), "currency": "EUR", "is_active": True},
    )
    return _created_id(body, "product", "id")


def accepted_quote(
    crm: BottleCrmConnector,
    *,
    account_id: str,
    contact_id: str,
    deal_id: str,
    title: str,
    lines: list[QuoteLine],
) -> str:
    """Create an estimate on the deal, send it, and accept it on the customer portal."""
    items = [
        {
            "product": line.product_id,
            "name": line.code,
            "description": line.code,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount_type": "PERCENTAGE" if line.discount else "",
            "discount_value": str(line.discount),
            "order": n,
        }
        for n, line in enumerate(lines)
    ]
    body = crm.client.post(
        "/api/invoices/estimates/",
        {
            "title": title,
            "account_id": account_id,
            "contact_id": contact_id,
            "opportunity_id": deal_id,
            "currency": "EUR",
            "line_items": items,
        },
    )
    estimate_id = _created_id(body, "estimate", "id")
    crm.client.post(f"/api/invoices/estimates/{estimate_id}/send/", {})
    detail = crm.client.get(f"/api/invoices/estimates/{estimate_id}/")
    token = detail["estimate"]["public_token"]
    reply = httpx.post(
        f"{crm.client.base_url}/api/public/estimate/{token}/accept/",
        json={"name": "Customer Buyer", "email": "buyer@example.com"},
        timeout=30.0,
    )
    assert reply.status_code == 200, reply.text
    return estimate_id


def deal_detail(crm: BottleCrmConnector, deal_id: str) -> dict[str, Any]:
    """The deal's detail reply (``opportunity_obj``, ``comments``, ...)."""
    return crm.client.get(f"/api/opportunities/{deal_id}/")


def account_detail(crm: BottleCrmConnector, account_id: str) -> dict[str, Any]:
    body: dict[str, Any] = crm.client.get(f"/api/accounts/{account_id}/")["account_obj"]
    return body


def new_project(crm: BottleCrmConnector, account_id: str, name: str) -> str:
    body = crm.client.post("/api/projects/", {"name": name, "account": account_id})
    return _created_id(body, "project", "id")


def new_task(crm: BottleCrmConnector, project_id: str, title: str, **custom_fields: str) -> str:
    """A task on the project (BottleCRM's create reply has no id: it is looked up by title)."""
    crm.client.post(
        "/api/tasks/",
        {"title": title, "status": "New", "priority": "Medium", "project": project_id,
         "custom_fields": custom_fields},
    )  # fmt: skip
    found = crm.client.get("/api/tasks/", {"project": project_id, "title": title, "slim": "true"})
    [task] = [t for t in found["tasks"] if t["title"] == title]
    return str(task["id"])


def log_time(
    crm: BottleCrmConnector,
    project_id: str,
    started: str,
    minutes: int,
    text: str,
    *,
    task: str | None = None,
) -> str:
    """Log ``minutes`` of billable time on a project (and one of its tasks), starting at
    ``started`` (ISO, UTC)."""
    begin = datetime.fromisoformat(started)
    end = begin + timedelta(minutes=minutes)
    body = crm.client.post(
        f"/api/projects/{project_id}/time-entries/",
        {
            "started_at": begin.isoformat().replace("+00:00", "Z"),
            "ended_at": end.isoformat().replace("+00:00", "Z"),
            "description": text,
            "billable": True,
            "task": task,
        },
    )
    return _created_id(body)


def new_agreement(
    crm: BottleCrmConnector,
    *,
    account_id: str,
    contact_id: str,
    title: str,
    start: date,
    lines: list[QuoteLine],
) -> str:
    """A monthly service agreement (a BottleCRM recurring invoice) with ``lines``."""
    body = crm.client.post(
        "/api/invoices/recurring/",
        {
            "title": title,
            "account_id": account_id,
            "contact_id": contact_id,
            "frequency": "MONTHLY",
            "start_date": start.isoformat(),
            "currency": "EUR",
            "line_items": _agreement_lines(lines),
        },
    )
    return _created_id(body, "recurring_invoice", "id")


def _agreement_lines(lines: list[QuoteLine]) -> list[dict[str, Any]]:
    return [
        {
            "name": line.code,
            "description": line.code,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "order": n,
        }
        for n, line in enumerate(lines)
    ]


def change_agreement(crm: BottleCrmConnector, agreement_id: str, lines: list[QuoteLine]) -> None:
    """Replace the agreement's lines (a late change of its price or quantity)."""
    crm.client.request(
        "PUT",
        f"/api/invoices/recurring/{agreement_id}/",
        json={"line_items": _agreement_lines(lines)},
    )
