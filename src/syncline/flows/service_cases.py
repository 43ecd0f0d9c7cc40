"""Service cases: a CRM case of type warranty, defect or complaint becomes a complaint in the
ERP (``sale.complaint`` on the order the case names, with the product in its text), and the
ERP's complaint state comes back onto the case. Service levels stay in the CRM.

    new ──> filed ──> reported ──> closed
              ^          │
              └──────────┘  (the ERP complaint's state changed)

The ERP complaint carries the item's marker (``syncline:<flow>:<case id>``) from its creation
on, and filing first looks for it, so a crash between filing and recording files nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.flows.ports import CrmSide, ErpSide
from syncline.mapping.flows import ServiceCasesConfig
from syncline.model import ServiceCase
from syncline.store import Store

FINAL_ERP_STATES = frozenset({"done", "rejected", "cancelled"})
"""ERP complaint states after which nothing changes any more."""


class CaseState(StrEnum):
    NEW = "new"
    FILED = "filed"
    REPORTED = "reported"
    CLOSED = "closed"


S = CaseState


def case_key(case_id: str) -> str:
    return f"case:{case_id}"


class ServiceCases(Flow):
    """CRM warranty/defect/complaint case -> ERP complaint, its state back to the case."""

    kind = "service_cases"
    entity = "service_case"
    machine = StateMachine(
        CaseState,
        initial=S.NEW,
        final=(S.CLOSED,),
        transitions=(
            (S.NEW, S.FILED),
            (S.FILED, S.REPORTED),
            (S.REPORTED, S.FILED),
            (S.REPORTED, S.CLOSED),
        ),
    )

    def __init__(
        self, config: ServiceCasesConfig, store: Store, *, crm: CrmSide, erp: ErpSide
    ) -> None:
        super().__init__(config.name, store)
        self.config = config
        self.crm = crm
        self.erp = erp
        self._cases: dict[str, ServiceCase] = {}

    def marker(self, case_id: str) -> str:
        return f"syncline:{self.name}:{case_id}"

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        wanted = set(self.config.case_types)
        self._cases = {
            i: c for i, c in self.crm.service_cases().items() if c.case_type.value in wanted
        }
        return [Candidate(case_key(i), {"case_id": i}) for i in self._cases]

    def _case(self, item: FlowItem) -> tuple[str, ServiceCase]:
        case_id = str(item.data.get("case_id") or item.key.removeprefix("case:"))
        case = self._cases.get(case_id) or self.crm.service_case(case_id)
        if case is None:
            raise FlowError(f"the CRM case {case_id} no longer exists")
        return case_id, case

    def _complaint(self, item: FlowItem) -> ServiceCase:
        complaint_id = str(item.data.get("complaint_id") or "")
        complaint = self.erp.complaint(complaint_id) if complaint_id else None
        if complaint is None:
            raise FlowError(f"the ERP complaint {complaint_id or '?'} no longer exists")
        return complaint

    @step(S.NEW)
    def file(self, item: FlowItem) -> Outcome:
        case_id, case = self._case(item)
        marker = self.marker(case_id)
        existing = self.erp.find_complaint(marker)
        if existing is not None:
            return Advance(
                S.FILED,
                {"complaint_id": existing},
                detail=f"found ERP complaint {existing} an interrupted run had filed",
            )
        if not case.order_number:
            return Wait("the case names no ERP order (order_number)")
        complaint_id = self.erp.file_complaint(case, marker)
        return Advance(
            S.FILED,
            {"complaint_id": complaint_id},
            detail=f"ERP complaint {complaint_id} filed on order {case.order_number}",
            changes=(Change(self.erp.system, "service_case", complaint_id, "created", case.title),),
        )

    @step(S.FILED)
    def report(self, item: FlowItem) -> Outcome:
        case_id, case = self._case(item)
        complaint = self._complaint(item)
        reference, state = complaint.erp_reference or "", complaint.erp_state or ""
        changes: tuple[Change, ...] = ()
        if (case.erp_reference, case.erp_state) != (reference, state):
            self.crm.report_complaint(case_id, reference, state)
            changes = (
                Change(self.crm.system, "service_case", case_id, "erp_reference", reference,
                       case.erp_reference),
                Change(self.crm.system, "service_case", case_id, "erp_state", state,
                       case.erp_state),
            )  # fmt: skip
        return Advance(
            S.REPORTED,
            {"erp_reference": reference, "erp_state": state},
            detail=f"ERP complaint {reference} is {state}",
            changes=changes,
        )

    @step(S.REPORTED)
    def watch(self, item: FlowItem) -> Outcome:
        complaint = self._complaint(item)
        if complaint.erp_state != item.data.get("erp_state"):
            return Advance(S.FILED, detail=f"the ERP complaint is now {complaint.erp_state}")
        if complaint.erp_state in FINAL_ERP_STATES:
            return Advance(S.CLOSED, detail=f"the ERP complaint ended {complaint.erp_state}")
        return Wait(f"the ERP complaint is {complaint.erp_state}")


__all__ = ["CaseState", "ServiceCases", "case_key"]
