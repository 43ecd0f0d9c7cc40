"""Service cases end to end: a BottleCRM warranty case becomes a Tryton complaint on the
order it names, and the complaint's state comes back onto the case."""

from __future__ import annotations

import uuid

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.erp_tryton import marker_text
from syncline.flows.ledger import get_item
from syncline.flows.service_cases import ServiceCases, case_key
from syncline.model import CaseType, ServiceCase
from syncline.store import Store
from tests.flows.scenario import flow_named
from tests.support.crm_records import new_account

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def test_a_warranty_case_becomes_an_erp_complaint_whose_state_comes_back(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    erp = tryton_connector.client
    (sale,) = erp.search_read(
        "sale.sale", [("state", "=", "processing")], ["number", "party"], limit=1
    )
    tag = uuid.uuid4().hex[:8]
    account = new_account(crm_connector, f"Garantie {tag} GmbH")
    case = ServiceCase(
        title=f"Press leaks oil {tag}",
        description="Hydraulic oil under the press after two weeks.",
        party_id=account,
        case_type=CaseType.WARRANTY,
        order_number=sale["number"],
        product_code="MAS-013",
    )
    (written,) = crm_connector.write(
        "service_case", [WriteRequest(WriteOp.CREATE, "service_case", tag, data=case)]
    )
    assert written.ok and written.native_id, written.error
    case_id = written.native_id

    flow = flow_named("cases", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, ServiceCases)
    mine = RunOptions(keys=frozenset({case_key(case_id)}))
    assert flow.run(mine).errors == []

    marker = marker_text(flow.marker(case_id))
    (complaint,) = erp.search_read(
        "sale.complaint",
        [("description", "like", f"%{marker}")],
        ["number", "state", "origin", "customer", "reference", "description"],
    )
    assert complaint["origin"] == f"sale.sale,{sale['id']}"
    assert complaint["customer"] == sale["party"] and complaint["reference"] == case.title
    assert "Product: MAS-013" in complaint["description"]
    crm_case = crm_connector.read("service_case", [case_id])[0].data
    assert isinstance(crm_case, ServiceCase)
    assert (crm_case.erp_reference, crm_case.erp_state) == (complaint["number"], "draft")

    erp.model("sale.complaint", "wait", [complaint["id"]])
    flow.run(mine)
    crm_case = crm_connector.read("service_case", [case_id])[0].data
    assert isinstance(crm_case, ServiceCase) and crm_case.erp_state == "waiting"
    assert flow.run(mine).transitions == 0
    with flow_store.begin() as conn:
        item = get_item(conn, "cases", case_key(case_id))
    assert item is not None and item.state == "reported"
    assert len(erp.search("sale.complaint", [("description", "like", f"%{marker}")])) == 1
