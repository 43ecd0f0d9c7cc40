"""Customer master as a state machine, on in-memory systems: take-over of ERP debtors, the
ERP leading number, name and address, reverted CRM edits, and quiet re-runs."""

from __future__ import annotations

import pytest

from syncline.flows.customer_master import CustomerMaster, debtor_key
from syncline.flows.ledger import get_item
from syncline.flows.linking import linked_id, map_sides
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import CustomerMasterConfig
from syncline.model import Address, AddressKind, Party, PartyRole
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [{"name": "customers", "entity": "party", "a": "erp", "b": "crm"}],
        "flows": [{"name": "debtors", "kind": "customer_master"}],
    }
)
KIEL = Address(kind=AddressKind.BILLING, street="Hafenstr. 1", postal_code="24103", city="Kiel")
HOME = Address(kind=AddressKind.SHIPPING, street="Werftweg 9", postal_code="24143", city="Kiel")


def debtor(name: str, number: str, *addresses: Address) -> Party:
    return Party(
        name=name,
        roles=[PartyRole.CUSTOMER, PartyRole.DEBTOR],
        numbers={"erp": number},
        emails=["info@example.com"],
        addresses=list(addresses),
    )


@pytest.fixture
def erp() -> FakeErp:
    fake = FakeErp()
    fake.parties["10"] = debtor("Nordwind GmbH", "D10", HOME, KIEL)
    fake.parties["11"] = debtor("Südwind AG", "D11", KIEL)
    fake.parties["12"] = Party(name="Just a prospect", roles=[PartyRole.CUSTOMER])
    return fake


def master(store: Store, crm: FakeCrm, erp: FakeErp) -> CustomerMaster:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, CustomerMasterConfig)
    sides = map_sides(CONFIG, "customers", "crm", "erp")
    return CustomerMaster(cfg, store, crm=crm, erp=erp, parties=sides)


def test_debtors_become_linked_accounts_with_number_and_billing_address(
    flow_store: Store, erp: FakeErp
) -> None:
    crm = FakeCrm()
    crm.accounts_store["old"] = Party(name="SÜDWIND AG", emails=["sales@sued.example"])
    report = master(flow_store, crm, erp).run()
    assert report.errors == [] and report.discovered == 2  # the prospect is no debtor
    created = [a for i, a in crm.accounts_store.items() if i != "old"]
    assert [(a.name, a.numbers, a.addresses) for a in created] == [
        ("Nordwind GmbH", {"erp": "D10"}, [KIEL])
    ]
    matched = crm.accounts_store["old"]  # matched by name, not duplicated
    assert matched.name == "Südwind AG" and matched.numbers == {"erp": "D11"}
    assert matched.emails == ["sales@sued.example"]  # the CRM's own data stays
    sides = map_sides(CONFIG, "customers", "crm", "erp")
    with flow_store.begin() as conn:
        assert linked_id(conn, sides, "erp", "11") == "old"
        item = get_item(conn, "debtors", debtor_key("10"))
    assert item is not None and item.state == "in_sync"


def test_a_quiet_rerun_writes_nothing(flow_store: Store, erp: FakeErp) -> None:
    crm = FakeCrm()
    flow = master(flow_store, crm, erp)
    flow.run()
    before = dict(crm.accounts_store)
    again = flow.run()
    assert (again.transitions, again.waiting, again.errors) == (0, 2, [])
    assert crm.accounts_store == before


def test_an_erp_change_flows_and_a_crm_edit_of_an_erp_field_is_reverted_and_audited(
    flow_store: Store, erp: FakeErp
) -> None:
    crm = FakeCrm()
    flow = master(flow_store, crm, erp)
    flow.run()
    (account_id,) = [i for i, a in crm.accounts_store.items() if a.name == "Nordwind GmbH"]
    moved = KIEL.model_copy(update={"street": "Kaistr. 5"})
    erp.parties["10"] = debtor("Nordwind GmbH", "D10", HOME, moved)
    flow.run()
    assert crm.accounts_store[account_id].addresses == [moved]

    edited = crm.accounts_store[account_id].model_copy(update={"name": "Nordwind (typo)"})
    crm.accounts_store[account_id] = edited
    flow.run()
    assert crm.accounts_store[account_id].name == "Nordwind GmbH"
    with flow_store.begin() as conn:
        reverts = query_events(conn, map_name="debtors", reason="ownership_revert")
        street = [e for e in query_events(conn, map_name="debtors") if e.field == "street"]
    assert [(e.field, e.old_value, e.new_value) for e in reverts] == [
        ("name", "Nordwind (typo)", "Nordwind GmbH")
    ]
    assert [(e.old_value, e.new_value, e.reason) for e in street] == [
        ("Hafenstr. 1", "Kaistr. 5", "flow")
    ]
