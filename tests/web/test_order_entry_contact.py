"""The order entry form's direct path names the deal's contact person on the ERP order, against
the real BottleCRM and Tryton: the deal's first contact in the CRM, translated to a Tryton
contact (a named e-mail contact mechanism of the party) through the contact map's links. An
unlinked contact, a link whose ERP contact is gone, or no contact map: the order still goes,
without a contact."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.flows.linking import record_link
from syncline.flows.registry import contact_sides
from syncline.model import Contact
from tests.support.crm_records import new_contact
from tests.web.conftest import RealSystems, World, login

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]

HTML = {"Accept": "text/html"}


def _deal(real: RealSystems, name: str, contacts: list[str]) -> str:
    """An open deal of the session's numbered account naming ``contacts``."""
    crm = real.crm.connector
    body = crm.client.post(
        "/api/opportunities/",
        {
            "name": name,
            "account": real.account.id,
            "stage": "PROSPECTING",
            "amount": "100",
            "currency": "EUR",
            "probability": 10,
            "closed_on": date.today().isoformat(),
            "pipeline": crm.default_pipeline(),
            "assigned_to": [],
            "teams": [],
            "contacts": contacts,
        },
    )
    found = body.get("id") or (body.get("opportunity") or {}).get("id")
    assert found, body
    return str(found)


def _deal_with_contact(real: RealSystems, first: str, last: str) -> tuple[str, str]:
    """A new CRM contact of the account and a deal naming it: ``(deal id, contact id)``."""
    contact = new_contact(real.crm.connector, real.account.id, first, last)
    return _deal(real, f"Order for {first} {last}", [contact]), contact


def _erp_contact(real: RealSystems, first: str, last: str) -> str:
    """A Tryton contact of the account's ERP party (its named e-mail mechanism)."""
    person = Contact(
        first_name=first,
        last_name=last,
        party_id=real.party_id,
        email=f"{first}.{last}@erp.example".lower(),
    )
    [made] = real.erp.connector.write(
        "contact", [WriteRequest(WriteOp.CREATE, "contact", f"{first}-{last}", data=person)]
    )
    assert made.ok and made.native_id, made.error
    return made.native_id


def _link(world: World, crm_contact: str, erp_contact: str) -> None:
    sides = contact_sides(world.runtime.config, "crm", "erp")
    assert sides is not None and sides.crm == "b"  # the map has the ERP on side a
    with world.runtime.store.begin() as conn:
        record_link(conn, sides, crm_contact, erp_contact, origin="key", actor="test")


def _proposal(world: World, real: RealSystems, deal: str) -> dict[str, Any]:
    answer = world.client("viewer").get(
        "/api/orders/proposal", params={"account_id": real.account.id, "deal_id": deal}
    )
    assert answer.status_code == 200, answer.text
    proposal: dict[str, Any] = answer.json()
    return proposal


def _order(world: World, real: RealSystems, deal: str, submission: str) -> dict[str, Any]:
    """Place a one-line order for ``deal`` through the API; the Tryton sale as read back."""
    goods = [p for p in real.erp.products() if p.goods]
    answer = world.client("operator").post(
        "/api/orders",
        json={
            "account_id": real.account.id,
            "deal_id": deal,
            "submission": submission,
            "lines": [{"product_id": goods[0].id, "quantity": "1", "unit_price": "10"}],
        },
    )
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    (sale,) = real.erp.client.read(
        "sale.sale", [int(placed["native_id"])], ["party", "contact", "state", "number"]
    )
    assert sale["number"] == placed["number"] and str(sale["party"]) == real.party_id
    assert sale["state"] in ("confirmed", "processing")
    return dict(sale)


def test_the_deals_linked_contact_is_named_on_the_erp_order(
    contact_world: World, real_systems: RealSystems
) -> None:
    tag = uuid.uuid4().hex[:8]
    deal, contact = _deal_with_contact(real_systems, "Clara", f"Linked{tag}")
    erp_contact = _erp_contact(real_systems, "Clara", f"Linked{tag}")
    _link(contact_world, contact, erp_contact)

    proposal = _proposal(contact_world, real_systems, deal)
    assert proposal["contact"] == {
        "crm_id": contact,
        "name": f"Clara Linked{tag}",
        "erp_id": erp_contact,
    }
    client = contact_world.client()
    login(client, "viewer")
    page = client.get(
        "/orders/new", params={"account_id": real_systems.account.id, "deal_id": deal}, headers=HTML
    ).text
    assert f"Clara Linked{tag}" in page
    assert f"named on the ERP order (ERP contact #{erp_contact})" in page

    sale = _order(contact_world, real_systems, deal, f"contact-linked-{tag}")
    assert sale["contact"] == int(erp_contact)


def test_an_unlinked_or_vanished_contact_leaves_the_erp_order_without_one(
    contact_world: World, real_systems: RealSystems
) -> None:
    tag = uuid.uuid4().hex[:8]
    unlinked_deal, unlinked = _deal_with_contact(real_systems, "Dora", f"Unlinked{tag}")
    # A linked ERP contact deleted in Tryton since (the app caches the deals it has listed).
    gone_deal, gone = _deal_with_contact(real_systems, "Emil", f"Gone{tag}")
    erp_contact = _erp_contact(real_systems, "Emil", f"Gone{tag}")
    _link(contact_world, gone, erp_contact)
    [deleted] = real_systems.erp.connector.write(
        "contact", [WriteRequest(WriteOp.DELETE, "contact", f"gone-{tag}", native_id=erp_contact)]
    )
    assert deleted.ok, deleted.error

    assert _proposal(contact_world, real_systems, unlinked_deal)["contact"] == {
        "crm_id": unlinked,
        "name": f"Dora Unlinked{tag}",
        "erp_id": None,
    }
    client = contact_world.client()
    login(client, "viewer")
    page = client.get(
        "/orders/new",
        params={"account_id": real_systems.account.id, "deal_id": unlinked_deal},
        headers=HTML,
    ).text
    assert f"Dora Unlinked{tag}" in page and "not linked to an ERP contact" in page
    sale = _order(contact_world, real_systems, unlinked_deal, f"contact-unlinked-{tag}")
    assert sale["contact"] is None

    # The link still names the deleted ERP contact; the order goes without it.
    assert _proposal(contact_world, real_systems, gone_deal)["contact"]["erp_id"] == erp_contact
    sale = _order(contact_world, real_systems, gone_deal, f"contact-gone-{tag}")
    assert sale["contact"] is None


def test_without_a_contact_map_the_contact_is_shown_but_not_sent(
    live_world: World, real_systems: RealSystems
) -> None:
    tag = uuid.uuid4().hex[:8]
    deal, contact = _deal_with_contact(real_systems, "Fritz", f"Mapless{tag}")
    nobody = _deal(real_systems, f"Order without a contact {tag}", [])
    assert _proposal(live_world, real_systems, deal)["contact"] == {
        "crm_id": contact,
        "name": f"Fritz Mapless{tag}",
        "erp_id": None,
    }
    sale = _order(live_world, real_systems, deal, f"contact-mapless-{tag}")
    assert sale["contact"] is None

    assert _proposal(live_world, real_systems, nobody)["contact"] is None
    client = live_world.client()
    login(client, "viewer")
    page = client.get(
        "/orders/new",
        params={"account_id": real_systems.account.id, "deal_id": nobody},
        headers=HTML,
    ).text
    assert "The deal names no contact person: the order goes without one." in page
