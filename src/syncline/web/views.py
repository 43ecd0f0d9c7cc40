"""Rendering pages: the Jinja2 environment, its filters and the common page context."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from syncline.web.security import CSRF_FIELD, Principal

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _shown(value: Any) -> str:
    """A stored JSON value as one short, readable line."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _money(value: Decimal | None, currency: str | None = None) -> str:
    """An amount with thousands separators and two decimals, then the currency code."""
    if value is None:
        return "—"
    text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


templates.env.filters["when"] = _when
templates.env.filters["money"] = _money
templates.env.filters["day"] = _day
templates.env.filters["shown"] = _shown
templates.env.globals["CSRF_FIELD"] = CSRF_FIELD

NAV = [
    ("/", "Dashboard"),
    ("/conflicts", "Conflicts"),
    ("/reviews", "Review queue"),
    ("/deadletters", "Dead letters"),
    ("/audit", "Audit trail"),
    ("/placement", "Data placement"),
    ("/customers", "Customers"),
    ("/orders/new", "Order entry"),
    ("/reports", "Reports"),
]


def page(
    request: Request,
    template: str,
    principal: Principal,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the navigation, the user and the CSRF token."""
    base = {
        "principal": principal,
        "csrf_token": principal.csrf_token or "",
        "nav": NAV,
        "current": request.url.path,
        "flash": request.query_params.get("done"),
    }
    return templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )


__all__ = ["NAV", "page", "templates"]
