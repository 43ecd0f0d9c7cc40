"""Time aggregation: the time logged in the CRM on cases and projects, summed per customer,
project, phase and month, becomes billable timesheet lines in the ERP, once per period.

    pending ──> booked
       ^          │
       └──────────┘  (late entries changed the group's sum)

An item is one group (``YYYY-MM|account|project|phase``). A run books every group up to its
period (``--period``, default: last month) with one line dated on the period's last day. When
entries arrive late for a group already booked, the next run books the difference as a
correction line, dated in that run's period, so a closed period is never rewritten. Each
booking carries a marker (``syncline:<flow>:<group>:<n>``) and is looked up before it is
made, so no booking happens twice. Time on cases goes to the ERP project named by
``case_project``; removed entries after booking need a manual correction in the ERP.

The phase is the CRM task the time was logged on (its title, or its ``phase_field`` custom
field); each phase of a project is its own group and line, booked on the ERP project's
sub-work (at any depth) the phase names where there is one, else on the project with the
phase in the line's description. ``phases: false`` sums a project's time on one line. A period of a
customer's project keeps the grouping it was first booked with (``phases`` in its items'
data; none before phases were read): switching ``phases``, or upgrading from a version
without phases, never books a booked period's time again under other groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem, list_items
from syncline.flows.linking import MapSides, linked_id
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.flows.periods import parse_period, period_of, previous_period
from syncline.flows.ports import CrmSide, ErpSide
from syncline.mapping.flows import TimeAggregationConfig
from syncline.model import TimeEntry
from syncline.store import Store


class TimeState(StrEnum):
    PENDING = "pending"
    BOOKED = "booked"


S = TimeState


def group_key(period: str, account: str, project: str | None, phase: str | None) -> str:
    return f"{period}|{account}|{project or '-'}|{phase or '-'}"


def _part(value: str) -> str | None:
    return None if value == "-" else value


def _project_of(key: str) -> str:
    """The ``period|account|project`` part of a group key: what one grouping covers."""
    return key.rsplit("|", 1)[0]


class TimeAggregation(Flow):
    """CRM time entries -> monthly ERP timesheet lines per customer, project and phase."""

    kind = "time_aggregation"
    entity = "time_entry"
    machine = StateMachine(
        TimeState,
        initial=S.PENDING,
        final=(),
        transitions=((S.PENDING, S.BOOKED), (S.BOOKED, S.PENDING)),
    )

    def __init__(
        self,
        config: TimeAggregationConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
        today: date | None = None,
    ) -> None:
        super().__init__(config.name, store)
        self.config = config
        self.crm = crm
        self.erp = erp
        self.parties = parties
        self.today = today
        self.period = previous_period(today or date.today())
        self._sums: dict[str, int] = {}
        self._phased: dict[str, bool] = {}  # grouping of each booked period|account|project

    def _counted(self, entry: TimeEntry) -> bool:
        return entry.party_id is not None and (entry.billable or not self.config.billable_only)

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        self.period = options.period or previous_period(self.today or date.today())
        last_day = parse_period(self.period)[1]
        self._phased = self._booked_groupings()
        sums: dict[str, int] = defaultdict(int)
        for entry in self.crm.time_entries(self.config.phase_field):
            if self._counted(entry) and entry.work_date <= last_day:
                assert entry.party_id is not None
                period = period_of(entry.work_date)
                whole = _project_of(group_key(period, entry.party_id, entry.project, None))
                phased = self._phased.get(whole, self.config.phases)
                phase = entry.phase if phased else None
                sums[group_key(period, entry.party_id, entry.project, phase)] += entry.minutes
        self._sums = dict(sums)
        return [Candidate(key, {"minutes": minutes}) for key, minutes in sorted(sums.items())]

    def _booked_groupings(self) -> dict[str, bool]:
        """Whether each period|account|project booked so far was booked by phase; one booked
        without (or before phases were read) stays without."""
        phased: dict[str, bool] = {}
        with self.store.begin() as conn:
            items = list_items(conn, self.name, limit=None)
        for item in items:
            if int(item.data.get("booked_minutes") or 0) or item.data.get("bookings"):
                whole = _project_of(item.key)
                by_phase = _part(item.key.rsplit("|", 1)[1]) is not None
                by_phase = by_phase or bool(item.data.get("phases", False))
                phased[whole] = phased.get(whole, True) and by_phase
        return phased

    @step(S.PENDING)
    def book(self, item: FlowItem) -> Outcome:
        account = item.key.split("|")[1]
        total = self._sums.get(item.key, 0)
        booked = int(item.data.get("booked_minutes") or 0)
        delta = total - booked
        if delta == 0:
            return Advance(S.BOOKED, detail="nothing left to book")
        if delta < 0:
            raise FlowError(
                f"{-delta} minute(s) of {item.key} were removed in the CRM after booking; "
                "correct the ERP timesheet by hand"
            )
        with self.store.begin() as conn:
            erp_party = linked_id(conn, self.parties, "crm", account)
        if erp_party is None:
            return Wait("the CRM account is not linked to an ERP party yet")
        bookings = int(item.data.get("bookings") or 0)
        marker = f"syncline:{self.name}:{item.key}:{bookings}"
        line = self.erp.find_timesheet_line(marker)
        if line is None:
            line = self.erp.book_time(self._entry(erp_party, item.key, delta, bookings), marker)
        return Advance(
            S.BOOKED,
            {"booked_minutes": total, "bookings": bookings + 1,
             "lines": [*item.data.get("lines", []), line],
             "phases": self._phased.get(_project_of(item.key), self.config.phases)},
            detail=f"booked {delta} min of {item.key}"
            + (" as a correction" if bookings else "")
            + f" on {self.period}",
            changes=(Change(self.erp.system, "time_entry", line, "minutes", delta),),
        )  # fmt: skip

    def _entry(self, erp_party: str, key: str, minutes: int, bookings: int) -> TimeEntry:
        period, _, project, phase = key.split("|")
        party = self.erp.party(erp_party)
        if party is None:
            raise FlowError(f"the linked ERP party {erp_party} no longer exists")
        name = _part(project) or self.config.case_project.format(customer=party.data.name)
        what = "correction" if bookings else "time"
        phase_text = f" phase {_part(phase)}" if _part(phase) else ""
        return TimeEntry(
            party_id=erp_party,
            project=name,
            phase=_part(phase),
            work_date=parse_period(self.period)[1],
            minutes=minutes,
            description=f"CRM {what} {period}{phase_text}",
        )

    @step(S.BOOKED)
    def watch(self, item: FlowItem) -> Outcome:
        total = self._sums.get(item.key, 0)
        booked = int(item.data.get("booked_minutes") or 0)
        if total != booked:
            return Advance(
                S.PENDING, detail=f"late entries changed the sum by {total - booked} min"
            )
        return Wait("booked")


__all__ = ["TimeAggregation", "TimeState", "group_key"]
