"""Service cases on in-memory systems: which cases become ERP complaints, the ERP state on
the case, and no second complaint after a crash."""

from __future__ import annotations

from syncline.flows.ledger import get_item, register_items
from syncline.flows.service_cases import ServiceCases, case_key
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import ServiceCasesConfig
from syncline.model import CaseType, ServiceCase
from syncline.store import Store
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate({"flows": [{"name": "cases", "kind": "service_cases"}]})


def cases(store: Store, crm: FakeCrm, erp: FakeErp) -> ServiceCases:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, ServiceCasesConfig)
    return ServiceCases(cfg, store, crm=crm, erp=erp)


def test_goods_cases_become_complaints_and_learn_the_erp_state(flow_store: Store) -> None:
    crm, erp = FakeCrm(), FakeErp()
    crm.cases = {
        "c1": ServiceCase(title="Press leaks", case_type=CaseType.WARRANTY, order_number="SO7"),
        "c2": ServiceCase(title="How to log in?", case_type=CaseType.QUESTION),
        "c3": ServiceCase(title="Broken part", case_type=CaseType.DEFECT),
    }
    flow = cases(flow_store, crm, erp)
    report = flow.run()
    assert report.discovered == 2  # the question stays in the CRM
    ((filed, marker),) = erp.complaints.values()
    assert (filed.title, filed.order_number, marker) == ("Press leaks", "SO7", "syncline:cases:c1")
    assert (crm.cases["c1"].erp_reference, crm.cases["c1"].erp_state) == ("C1", "draft")
    with flow_store.begin() as conn:
        waiting = get_item(conn, "cases", case_key("c3"))
    assert waiting is not None and waiting.data["waiting"] == (
        "the case names no ERP order (order_number)"
    )
    assert flow.run().transitions == 0
    erp.complaints["1"] = (filed.model_copy(update={"erp_state": "done"}), marker)
    flow.run()
    assert crm.cases["c1"].erp_state == "done"
    with flow_store.begin() as conn:
        closed = get_item(conn, "cases", case_key("c1"))
    assert closed is not None and closed.state == "closed"


def test_a_complaint_filed_before_a_crash_is_found_not_filed_again(flow_store: Store) -> None:
    crm, erp = FakeCrm(), FakeErp()
    crm.cases = {"c1": ServiceCase(title="Leak", case_type=CaseType.COMPLAINT, order_number="S")}
    flow = cases(flow_store, crm, erp)
    erp.file_complaint(crm.cases["c1"], flow.marker("c1"))  # filed, then the process died
    with flow_store.begin() as conn:
        register_items(conn, "cases", [(case_key("c1"), {"case_id": "c1"})], "new")
    flow.run()
    assert len(erp.complaints) == 1 and crm.cases["c1"].erp_reference == "C1"
