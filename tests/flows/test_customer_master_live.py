"""Customer master end to end: ERP debtors become linked BottleCRM accounts carrying the ERP
debtor number and billing address; ERP changes flow, CRM edits of ERP fields are reverted."""

from __future__ import annotations

import uuid

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.customer_master import CustomerMaster, debtor_key
from syncline.flows.erp_tryton import TrytonSide
from syncline.flows.ledger import get_item
from syncline.model import Address, AddressKind, Party
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.scenario import flow_named
from tests.support.crm_records import account_detail, new_account

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def erp_debtor(erp: TrytonConnector, name: str, street: str) -> tuple[str, str]:
    """A debtor created in the ERP with a billing and a shipping address; (id, number)."""
    party = Party(
        name=name,
        emails=[f"billing@{uuid.uuid4().hex[:6]}.example.de"],
        addresses=[
            Address(kind=AddressKind.BILLING, street=street, postal_code="24103", city="Kiel",
                    country="DE"),
            Address(kind=AddressKind.SHIPPING, street="Werftweg 9", postal_code="24143",
                    city="Kiel", country="DE"),
        ],
    )  # fmt: skip
    created = TrytonSide(erp).create_party(party)
    return created.id, created.data.numbers["erp"]


def accounts_named(crm: BottleCrmConnector, name: str) -> list[str]:
    return [
        r.native_id
        for page in crm.scan("party")
        for r in page
        if isinstance(r.data, Party) and r.data.name == name
    ]


def test_erp_debtors_become_linked_crm_accounts_and_the_erp_keeps_leading(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    new_name, known_name = f"Debitor {tag} GmbH", f"Bestand {tag} AG"
    new_id, new_number = erp_debtor(tryton_connector, new_name, "Hafenstr. 1")
    known_id, known_number = erp_debtor(tryton_connector, known_name, "Kaiweg 2")
    existing = new_account(crm_connector, known_name, phone="+49 431 000000")
    flow = flow_named("debtors", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, CustomerMaster)
    mine = RunOptions(keys=frozenset({debtor_key(new_id), debtor_key(known_id)}))

    report = flow.run(mine)
    assert report.errors == [] and report.finished == 0
    (created,) = accounts_named(crm_connector, new_name)
    account = account_detail(crm_connector, created)
    assert account["custom_fields"]["erp_number"] == new_number
    assert (account["address_line"], account["postcode"], account["city"]) == (
        "Hafenstr. 1", "24103", "Kiel",
    )  # fmt: skip
    assert accounts_named(crm_connector, known_name) == [existing]  # matched, not duplicated
    known = account_detail(crm_connector, existing)
    assert known["custom_fields"]["erp_number"] == known_number
    assert known["phone"] == "+49 431 000000"  # the CRM's own data stays

    # The ERP moves the debtor: the CRM follows.
    (address,) = tryton_connector.client.search(
        "party.address", [("party", "=", int(new_id)), ("invoice", "=", True)]
    )
    tryton_connector.client.write("party.address", [address], {"street_unstructured": "Kaistr. 5"})
    flow.run(mine)
    assert account_detail(crm_connector, created)["address_line"] == "Kaistr. 5"

    # A salesperson edits an ERP-led field in the CRM: it is reverted and audited.
    crm_connector.client.patch(f"/api/accounts/{created}/", {"city": "Flensburg"})
    flow.run(mine)
    assert account_detail(crm_connector, created)["city"] == "Kiel"
    with flow_store.begin() as conn:
        reverts = query_events(conn, map_name="debtors", reason="ownership_revert")
        item = get_item(conn, "debtors", debtor_key(new_id))
    assert [(e.field, e.old_value, e.new_value) for e in reverts] == [("city", "Flensburg", "Kiel")]
    assert item is not None and item.state == "in_sync"

    quiet = flow.run(mine)
    assert (quiet.transitions, quiet.waiting, quiet.errors) == (0, 2, [])
