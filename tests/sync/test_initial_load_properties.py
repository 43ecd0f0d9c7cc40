"""The initial load under random data, page sizes, crashes, outages and user edits.

A map's first cycle into a system holding none of its parties (or, when the generator puts
live parties there, the ordinary first cycle) runs with a crash at a random checkpoint, or
with the target down; users then edit and delete source records before a restart, and the
engine cycles until quiet. Afterwards:

* no party twice in any system, and no record in two active links;
* every live record is linked to exactly one live record of the other system with equal
  mapped fields, or waits in the dead-letter list with a reason the target really gives (a
  unique VAT id a deleted row still holds, a name a trigger refuses): never silently dropped;
  only a one-way map leaves records of its target alone;
* a quiet cycle plans and writes nothing;
* no outbox job stays running or pending, and every ``create_batch`` job is done or superseded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import example, given, note, settings
from sqlalchemy import select

from syncline.connectors.base import TransientError
from syncline.store import Store
from syncline.store.links import Side
from syncline.store.outbox import OutboxJob
from syncline.store.schema import outbox
from syncline.sync import SyncEngine
from syncline.sync.first_load import BATCH_OP
from tests.sync.harness import SCRATCH, FakeClock, Outage, Systems, config, migrated_store_template

SIDE_OF: dict[str, Side] = {"crm": "a", "erp": "b"}
FIELDS = ("name", "vat_id", "emails", "website", "active")
NAMES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")
REFUSED = "Bad"  # the target's trigger refuses names starting with this
ANY_STEP = "any"
STEPS = (
    "capture.page",
    "capture.commit",
    "capture.committed",
    "load.write",
    "load.written",
    "load.recorded",
    "deliver.claimed",
    "deliver.written",
    "deliver.recorded",
)
# make test runs a fixed, modest number of examples; make test-deep as many as its profile says
EXAMPLES = (
    settings().max_examples if os.environ.get("SYNCLINE_HYPOTHESIS_PROFILE") == "deep" else 40
)


Edit = tuple[int, str]  # (which source record, action: rename, revat or delete)


class CrashError(Exception):
    """The process died here."""


@dataclass(frozen=True)
class Scenario:
    source: str  # the system holding the records to load
    one_way: bool  # direction from the source only
    scan: bool  # tables without change columns: full scans, hard deletes
    records: list[tuple[str, bool]]  # (name, refused by the target) per source record
    existing: list[tuple[int, bool]]  # target rows: (VAT number, deleted) before the first cycle
    page_size: int
    crash: tuple[str, int] | None  # (step, n): the n-th checkpoint of the step, or of any
    first_cycle: str  # "up", "down" (the target unreachable) or "writes_fail"
    during: tuple[int, list[Edit]] | None  # (checkpoint number, edits) in the first cycle
    edits: list[Edit]  # between the first cycle and the restart
    lease: float | None  # None: the store's default (0 on SQLite); 300 as on PostgreSQL
    restart_after: float  # seconds between the first cycle and the restart (10: in the lease)
    scan_every: float

    @property
    def target(self) -> str:
        return "erp" if self.source == "crm" else "crm"


edits = st.lists(
    st.tuples(st.integers(0, 11), st.sampled_from(("rename", "revat", "delete"))), max_size=4
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(0, 12))
    records = [
        (draw(st.sampled_from(NAMES)), draw(st.booleans() if i % 3 == 2 else st.just(False)))
        for i in range(count)
    ]
    # target rows share VAT numbers with the source's records (0..count-1) or not (>= 12)
    existing_vats = draw(st.lists(st.integers(0, 15), max_size=4, unique=True))
    return Scenario(
        source=draw(st.sampled_from(("crm", "erp"))),
        one_way=draw(st.booleans()),
        scan=draw(st.sampled_from((False, False, True))),
        records=records,
        existing=[(v, draw(st.sampled_from((True, True, False)))) for v in existing_vats],
        page_size=draw(st.integers(1, 5)),
        crash=draw(
            st.none()
            | st.tuples(st.just(ANY_STEP), st.integers(1, 40))
            | st.tuples(st.sampled_from(STEPS), st.integers(1, 3))
        ),
        first_cycle=draw(st.sampled_from(("up", "up", "down", "writes_fail"))),
        during=draw(st.none() | st.tuples(st.integers(1, 30), edits)),
        edits=draw(edits),
        lease=draw(st.sampled_from((None, 300.0))),
        restart_after=draw(st.sampled_from((10.0, 600.0))),
        scan_every=draw(st.sampled_from((0.0, 900.0))),
    )


class Run:
    """One scenario: the systems, the store, the engine of the moment and what users did."""

    def __init__(self, folder: Path, scenario: Scenario) -> None:
        self.s = scenario
        shutil.copy(migrated_store_template(), folder / "state.db")
        self.store = Store.open(f"sqlite:///{folder / 'state.db'}", upgrade=False)
        self.systems = Systems(folder, modified=not scenario.scan, deleted=not scenario.scan)
        self.outages = {name: Outage(self.systems.conn[name]) for name in SIDE_OF}
        self.clock = FakeClock()
        direction = (
            ("a_to_b" if scenario.source == "crm" else "b_to_a") if scenario.one_way else "both"
        )
        self.config = config(direction=direction, scan_every=scenario.scan_every)
        for op in ("INSERT", "UPDATE"):
            self.systems.execute(
                scenario.target,
                f"CREATE TRIGGER refuse_{op.lower()} BEFORE {op} ON parties "
                f"WHEN NEW.name LIKE '{REFUSED}%' "
                f"BEGIN SELECT RAISE(ABORT, 'names starting with {REFUSED} are refused'); END",
            )
        self.existing: set[str] = set()  # ids of the target's own rows, live ones
        self.deleted_vats: dict[str, set[str]] = {name: set() for name in SIDE_OF}
        for number, deleted in scenario.existing:
            vat = f"V{number}"
            native_id = self.systems.create(scenario.target, name=f"Own {number}", vat_id=vat)
            if deleted:
                self.systems.delete(scenario.target, native_id)
                if not scenario.scan:  # a soft-deleted row keeps its VAT id
                    self.deleted_vats[scenario.target].add(vat)
            else:
                self.existing.add(native_id)
        self.ids = [
            self.systems.create(
                scenario.source,
                name=f"{REFUSED} {name}" if refused else name,
                vat_id=f"V{i}",
                emails=[f"{name.lower()}{i}@example.de"],
                website=f"https://{i}.example.de" if i % 2 else None,
            )
            for i, (name, refused) in enumerate(scenario.records)
        ]
        self.armed = False  # crashes and edits at checkpoints happen in the first cycle only
        self.gone: set[str] = set()
        self.edited = 0
        self.engine = self._engine()

    def _engine(self, crash: tuple[str, int] | None = None) -> SyncEngine:
        seen: Counter[str] = Counter()

        def checkpoint(step: str) -> None:
            seen.update([step, ANY_STEP])
            if self.armed and self.s.during is not None and seen[ANY_STEP] == self.s.during[0]:
                self.users_edit(self.s.during[1])  # a user at work while the load runs
            due = crash is not None and crash[0] in (step, ANY_STEP) and seen[crash[0]] == crash[1]
            if due and self.armed:
                raise CrashError(step)

        return SyncEngine(
            self.store, self.config, dict(self.outages), clock=self.clock, seed=3,
            checkpoint=checkpoint, page_size=self.s.page_size, lease_seconds=self.s.lease,
        )  # fmt: skip

    # -- the story ----------------------------------------------------------------------------

    def first_cycle(self) -> str | None:
        """The first cycle, maybe with the target failing, maybe crashing: the step it crashed
        at, or None."""
        target = self.outages[self.s.target]
        self.engine = self._engine(self.s.crash)
        target.down = self.s.first_cycle == "down"
        self.armed = True
        if self.s.first_cycle == "writes_fail":
            target.write_failures = [TransientError("connection reset", system=target.system)] * 50
        try:
            self.engine.run_cycle("parties")
        except CrashError as crash:
            return str(crash)
        finally:
            self.armed = False
            target.down = False
            target.write_failures = []
        return None

    def users_edit(self, edits: list[Edit]) -> None:
        for pick, action in edits:
            if not self.ids:
                return
            native_id = self.ids[pick % len(self.ids)]
            if native_id in self.gone:
                continue
            self.edited += 1
            if action == "rename":
                self.systems.edit(self.s.source, native_id, name=f"Renamed {self.edited}")
            elif action == "revat":
                self.systems.edit(self.s.source, native_id, vat_id=f"W{self.edited}")
            else:
                vat = self.systems.rows(self.s.source)[native_id].vat_id
                self.systems.delete(self.s.source, native_id)
                self.gone.add(native_id)
                if not self.s.scan and vat is not None:
                    self.deleted_vats[self.s.source].add(vat)

    def quiet_cycle(self) -> bool:
        """One cycle; whether it planned no new job and wrote nothing (a dead letter planned
        again keeps its job: its record waits, unchanged)."""
        jobs, writes = len(self.jobs(None)), self.writes()
        report = self.engine.run_cycle("parties")
        return (
            len(self.jobs(None)) == jobs
            and self.writes() == writes
            and report.delivery.delivered == report.delivery.replanned == 0
        )

    def quiesce(self) -> None:
        for _ in range(12):
            if self.quiet_cycle() and not self.jobs({"pending", "running"}):
                return
            self.clock.advance(3600)
        raise AssertionError(f"no quiescence after 12 cycles: {self.jobs(None)}")

    # -- what there is ------------------------------------------------------------------------

    def jobs(self, states: set[str] | None) -> list[tuple[str, str]]:
        with self.store.begin() as conn:
            rows = conn.execute(select(outbox.c.op, outbox.c.state).order_by(outbox.c.id))
            return [(str(o), str(s)) for o, s in rows if states is None or s in states]

    def writes(self) -> int:
        return sum(len(o.writes) for o in self.outages.values())

    def close(self) -> None:
        for connector in self.systems.conn.values():
            connector.close()
        self.store.close()


def _justified(run: Run, job: OutboxJob) -> bool:
    """Whether the target of a dead letter really refuses it (not a duplicate's clash)."""
    values = job.payload.get("values", {})
    name, vat = str(values.get("name") or ""), values.get("vat_id")
    if job.target_system == run.s.target:
        return name.startswith(REFUSED) or vat in run.deleted_vats[run.s.target]
    # the target's own party copied back, refused for a VAT id a deleted source row holds
    link = run.engine.link(job.link_id) if job.link_id is not None else None
    own = link is not None and link.native_id(SIDE_OF[run.s.target]) in run.existing
    return own and vat in run.deleted_vats[run.s.source]


def _check(run: Run) -> None:
    engine, s = run.engine, run.s
    rows = {name: run.systems.rows(name) for name in SIDE_OF}
    for name in SIDE_OF:
        vats = Counter(p.vat_id for p in rows[name].values())
        assert all(n == 1 for n in vats.values()), f"a party twice in {name}: {vats}"
    active = engine.links("parties", "active", limit=10_000)
    held = Counter(
        (name, link.native_id(side)) for link in active for name, side in SIDE_OF.items()
    )
    twice = [k for k, n in held.items() if n > 1 and k[1] is not None]
    assert not twice, f"records in two active links: {twice}"
    dead = {j.link_id: j for j in engine.dead_letters("parties")}
    for job in dead.values():
        assert job.last_error, f"a dead letter without a reason: {job}"
        assert _justified(run, job), f"a dead letter the target would not refuse: {job}"
    conflicts = {(c.link_id, c.field) for c in engine.conflicts("parties")}
    by_id = {
        (name, link.native_id(side)): link for link in active for name, side in SIDE_OF.items()
    }
    for name, side in SIDE_OF.items():
        other = "erp" if name == "crm" else "crm"
        for native_id, party in rows[name].items():
            link = by_id.get((name, native_id))
            if link is None:
                left_alone = s.one_way and name == s.target and native_id in run.existing
                assert left_alone, f"{name} {native_id} ({party.vat_id}) neither linked nor dead"
                continue
            partner_id = link.native_id("b" if side == "a" else "a")
            if partner_id is None or link.id in dead:
                assert link.id in dead, f"{name} {native_id} waits for a copy that never comes"
                continue
            partner = rows[other].get(partner_id)
            assert partner is not None, f"{name} {native_id} linked to a gone {other} record"
            for field in FIELDS:
                if (link.id, field) not in conflicts:
                    mine, theirs = getattr(party, field), getattr(partner, field)
                    assert mine == theirs, (name, native_id, field, mine, theirs)


def _pinned(**changes: Any) -> Scenario:
    """A scenario that once broke the load: one CRM party, loaded into the empty ERP."""
    values: dict[str, Any] = {
        "source": "crm",
        "one_way": False,
        "scan": False,
        "records": [("Alpha", False)],
        "existing": [],
        "page_size": 2,
        "crash": None,
        "first_cycle": "up",
        "during": None,
        "edits": [],
        "lease": None,
        "restart_after": 600.0,
        "scan_every": 0.0,
    }
    return Scenario(**{**values, **changes})


@settings(max_examples=EXAMPLES)
@given(scenario=scenarios())
# the batch's write failed: left running under a live worker, which never recovers its own
@example(_pinned(first_cycle="writes_fail"))
# restarted within the lease: the batch's records unlinked while edits, deletes and the
# batch's own copies were captured
@example(_pinned(crash=("load.write", 1), edits=[(0, "delete")], lease=300.0, restart_after=10.0))
@example(
    _pinned(
        one_way=True,
        records=[("Alpha", False), ("Beta", False)],
        crash=("load.written", 1),
        edits=[(1, "revat")],
        lease=300.0,
        restart_after=10.0,
    )
)
# a crash between the batch's close and the plan for the record the target refused
@example(_pinned(existing=[(0, True)], crash=("load.recorded", 1)))
def test_the_initial_load_converges_without_duplicates_or_losses(scenario: Scenario) -> None:
    note(repr(scenario))
    folder = Path(tempfile.mkdtemp(prefix="syncline-load-", dir=SCRATCH))
    run = Run(folder, scenario)
    try:
        crashed = run.first_cycle()
        run.users_edit(scenario.edits)
        # a restart within the lease (as on PostgreSQL) after a crash in a batch or a capture;
        # one in the delivery of ordinary jobs is out of this test's scope: it leaves them
        # running, and edits seen meanwhile wait for them
        within = crashed is None or not crashed.startswith("deliver.")
        run.clock.advance(scenario.restart_after if within else 600)
        if crashed is not None:
            run.engine = run._engine()  # restart: a fresh engine (worker) on the same store
        run.quiesce()
        assert run.quiet_cycle(), "a quiet cycle planned or wrote"
        assert run.jobs({"running", "pending"}) == [], "work left undone"
        batches = {state for op, state in run.jobs(None) if op == BATCH_OP}
        assert batches <= {"done", "superseded"}, batches
        _check(run)
    finally:
        run.close()
        shutil.rmtree(folder, ignore_errors=True)
