"""The customer 360 view model: a CRM account with its deals beside the ERP's live financial
overview, each answer through the in-memory :class:`~syncline.web.live.LiveCache`.

The ERP party of a CRM account is found through the state store's party links first, then
through the debtor number the CRM keeps on the account. A deal's contact person reaches the ERP
only through the links of the config's contact map (the same one the flows use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.engine import Connection

from syncline.connectors.tryton import CustomerAccount
from syncline.errors import ConnectorError
from syncline.flows.linking import linked_id
from syncline.flows.registry import contact_sides
from syncline.mapping import SynclineConfig
from syncline.store.schema import links
from syncline.web.live import (
    CrmAccount,
    CrmContact,
    CrmDeal,
    CrmDesk,
    ErpDesk,
    ErpProduct,
    Fetched,
    LiveSystems,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ErpSide:
    """What the ERP said about a customer; ``overview`` None when it could not say."""

    party_id: str | None
    overview: CustomerAccount | None
    as_of: datetime | None
    stale: bool
    error: str | None


@dataclass(frozen=True)
class DealContact:
    """The deal's contact person: the CRM contact (``name`` None when the CRM did not say)
    and the ERP contact it is linked to (``erp_id`` None: the order goes without one)."""

    crm_id: str
    name: str | None
    erp_id: str | None


@dataclass(frozen=True)
class CustomerView:
    account: CrmAccount
    deals: list[CrmDeal]
    erp: ErpSide


def crm_of(live: LiveSystems) -> CrmDesk:
    if live.crm is None:
        raise HTTPException(409, "no CRM is configured: add a system of type bottlecrm")
    return live.crm


def erp_of(live: LiveSystems) -> ErpDesk:
    if live.erp is None:
        raise HTTPException(409, "no ERP is configured: add a system of type tryton")
    return live.erp


def crm_answer(live: LiveSystems, key: tuple[str, ...], fetch: Callable[[], T]) -> T:
    """A CRM answer through the cache; 503 with the CRM's message when it cannot answer."""
    try:
        fetched = live.cache.get(key, fetch)
    except ConnectorError as exc:
        raise HTTPException(503, f"the CRM did not answer: {exc}") from None
    return fetched.value


def crm_account(live: LiveSystems, account_id: str) -> CrmAccount:
    crm = crm_of(live)
    account: CrmAccount | None = crm_answer(
        live, ("crm", "account", account_id), lambda: crm.account(account_id)
    )
    if account is None:
        raise HTTPException(404, f"the CRM has no account {account_id}")
    return account


def crm_deals(live: LiveSystems, account_id: str) -> list[CrmDeal]:
    crm = crm_of(live)
    deals: list[CrmDeal] = crm_answer(
        live, ("crm", "deals", account_id), lambda: crm.deals(account_id)
    )
    return deals


def crm_accounts(live: LiveSystems) -> list[CrmAccount]:
    crm = crm_of(live)
    accounts: list[CrmAccount] = crm_answer(live, ("crm", "accounts"), crm.accounts)
    return accounts


def products_of(live: LiveSystems) -> list[ErpProduct]:
    """The ERP's saleable products (cached)."""
    erp = erp_of(live)
    products: list[ErpProduct] = live.cache.get(("erp", "products"), erp.products).value
    return products


def deal_of(live: LiveSystems, account: CrmAccount, deal_id: str) -> CrmDeal:
    """The account's deal ``deal_id``; 404 when the account has no such deal."""
    deal = next((d for d in crm_deals(live, account.id) if d.id == deal_id), None)
    if deal is None:
        raise HTTPException(404, f"account {account.name!r} has no deal {deal_id} in the CRM")
    return deal


def linked_party(
    conn: Connection, config: SynclineConfig, live: LiveSystems, account_id: str
) -> str | None:
    """The ERP party linked to the CRM account by a party map, if any."""
    for m in config.maps:
        if m.entity != "party" or {m.a, m.b} != {live.crm_name, live.erp_name}:
            continue
        crm_col, erp_col = (links.c.id_a, links.c.id_b)
        if m.a == live.erp_name:
            crm_col, erp_col = erp_col, crm_col
        found = conn.execute(
            select(erp_col).where(
                links.c.map_name == m.name,
                links.c.state == "active",
                crm_col == account_id,
                erp_col.is_not(None),
            )
        ).scalar()
        if found:
            return str(found)
    return None


def linked_contact(
    conn: Connection, config: SynclineConfig, live: LiveSystems, contact_id: str
) -> str | None:
    """The ERP contact linked to the CRM contact by the first contact map joining the two
    systems; None when it is not linked or there is no such map."""
    sides = contact_sides(config, live.crm_name, live.erp_name)
    return linked_id(conn, sides, "crm", contact_id) if sides is not None else None


def deal_contact(
    conn: Connection, config: SynclineConfig, live: LiveSystems, deal: CrmDeal
) -> DealContact | None:
    """The deal's contact person with its name (cached) and linked ERP contact; None when the
    deal names none. A CRM that does not answer leaves the name out, never the form."""
    if deal.contact_id is None:
        return None
    contact_id, crm = deal.contact_id, crm_of(live)
    try:
        found: CrmContact | None = live.cache.get(
            ("crm", "contact", contact_id), lambda: crm.contact(contact_id)
        ).value
    except ConnectorError:
        found = None
    erp_id = linked_contact(conn, config, live, contact_id)
    return DealContact(contact_id, found.name if found else None, erp_id)


def erp_party(
    conn: Connection, config: SynclineConfig, live: LiveSystems, account: CrmAccount
) -> Fetched[str | None]:
    """The account's ERP party: by link, else by debtor number (asking the ERP)."""
    linked = linked_party(conn, config, live, account.id)
    erp = erp_of(live)
    if linked is not None:
        return Fetched(linked, datetime.now(UTC))
    return live.cache.get(("erp", "party", account.id), lambda: erp.party_for(account))


def erp_side(
    conn: Connection, config: SynclineConfig, live: LiveSystems, account: CrmAccount
) -> ErpSide:
    """The ERP's overview of the account's customer; stale (with its time) when the ERP is
    down and an earlier answer is cached; empty with the error when there is none."""
    erp = erp_of(live)
    try:
        party = erp_party(conn, config, live, account)
    except ConnectorError as exc:
        return ErpSide(None, None, None, False, f"the ERP did not answer: {exc}")
    party_id = party.value
    if party_id is None:
        return ErpSide(None, None, None, False, None)
    try:
        overview = live.cache.get(
            ("erp", "customer", party_id), lambda: erp.customer_account(party_id)
        )
    except ConnectorError as exc:
        return ErpSide(party_id, None, None, False, f"the ERP did not answer: {exc}")
    return ErpSide(
        party_id,
        overview.value,
        overview.fetched_at,
        overview.stale or party.stale,
        overview.error or party.error,
    )


def customer_view(
    conn: Connection, config: SynclineConfig, live: LiveSystems, account_id: str
) -> CustomerView:
    account = crm_account(live, account_id)
    return CustomerView(
        account=account,
        deals=crm_deals(live, account_id),
        erp=erp_side(conn, config, live, account),
    )


__all__ = [
    "CustomerView",
    "DealContact",
    "ErpSide",
    "crm_account",
    "crm_accounts",
    "crm_deals",
    "crm_of",
    "customer_view",
    "deal_contact",
    "deal_of",
    "erp_of",
    "erp_party",
    "erp_side",
    "linked_contact",
    "linked_party",
    "products_of",
]
