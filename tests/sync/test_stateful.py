"""The invariants of ARCHITECTURE.md §3, proven by hypothesis stateful testing.

Two SQL systems on SQLite files; random creates, edits and deletes on both sides; random cycles
that crash at a random step (then a fresh engine on the same store takes over). After
quiescence: every linked, non-conflicted field is equal on both sides; every user edit survived,
was superseded by a later edit or is held in a conflict; a quiet cycle plans zero writes; no
record exists twice.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from syncline.store import Store
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Systems, config

SIDES = ("crm", "erp")
FIELDS = ("name", "website")
_TEMPLATE: dict[str, Path] = {}


class CrashError(Exception):
    """The process died here."""


def _store_template() -> Path:
    # migrate once; every example starts from a copy of the empty, migrated store
    if "path" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="syncline-template-"))
        Store.open(f"sqlite:///{folder / 'state.db'}").close()
        _TEMPLATE["path"] = folder / "state.db"
    return _TEMPLATE["path"]


class TwoSystems(RuleBasedStateMachine):
    policy: ClassVar[Any] = "manual"

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="syncline-sm-"))
        shutil.copy(_store_template(), self.folder / "state.db")
        self.store = Store.open(f"sqlite:///{self.folder / 'state.db'}", upgrade=False)
        self.systems = Systems(self.folder)
        self.clock = FakeClock()
        self.config = config(conflict=self.policy, overlap_seconds=5)
        self.engine = self._engine()
        self.counter = 0
        self.vats: list[str] = []
        self.deleted: set[str] = set()
        # edits since the last quiescent check: (vat, field) -> side -> last value
        self.edits: dict[tuple[str, str], dict[str, Any]] = {}

    def _engine(self, crash_at: int | None = None) -> SyncEngine:
        steps = {"n": 0}

        def checkpoint(step: str) -> None:
            steps["n"] += 1
            if crash_at is not None and steps["n"] == crash_at:
                raise CrashError(step)

        return SyncEngine(
            self.store, self.config, dict(self.systems.conn), clock=self.clock, seed=7,
            checkpoint=checkpoint, page_size=3,
        )  # fmt: skip

    def _id(self, side: str, vat: str) -> str | None:
        for native_id, party in self.systems.rows(side).items():
            if party.vat_id == vat:
                return native_id
        return None

    def teardown(self) -> None:
        for c in self.systems.conn.values():
            c.close()
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- users --------------------------------------------------------------------------------

    @rule(side=st.sampled_from(SIDES), name=st.sampled_from(["Alpha", "Beta", "Gamma"]))
    def create(self, side: str, name: str) -> None:
        self.counter += 1
        vat = f"V{self.counter}"
        self.systems.create(side, name=name, vat_id=vat)
        self.vats.append(vat)

    @precondition(lambda self: bool(self.vats))
    @rule(
        side=st.sampled_from(SIDES),
        pick=st.integers(0, 50),
        field=st.sampled_from(FIELDS),
        value=st.sampled_from(["Delta", "Epsilon", "Zeta", "https://a.de", "https://b.no"]),
    )
    def edit(self, side: str, pick: int, field: str, value: str) -> None:
        vat = self.vats[pick % len(self.vats)]
        native_id = self._id(side, vat)
        if native_id is None or vat in self.deleted:
            return
        if getattr(self.systems.rows(side)[native_id], field) == value:
            return
        self.systems.edit(side, native_id, **{field: value})
        self.edits.setdefault((vat, field), {})[side] = value

    @precondition(lambda self: bool(self.vats))
    @rule(side=st.sampled_from(SIDES), pick=st.integers(0, 50))
    def delete(self, side: str, pick: int) -> None:
        vat = self.vats[pick % len(self.vats)]
        native_id = self._id(side, vat)
        if native_id is None:
            return
        self.systems.delete(side, native_id)
        self.deleted.add(vat)

    # -- the engine ---------------------------------------------------------------------------

    @rule(crash_at=st.none() | st.integers(1, 40), wait=st.sampled_from([0, 1, 60, 3600]))
    def cycle(self, crash_at: int | None, wait: int) -> None:
        self.clock.advance(wait)
        self.engine = self._engine(crash_at)
        try:
            self.engine.run_cycle("parties")
        except CrashError:
            self.engine = self._engine()  # restart: a fresh engine on the same store

    @rule()
    def quiesce_and_check(self) -> None:
        engine = self._engine()
        for _ in range(10):
            self.clock.advance(3600)
            report = engine.run_cycle("parties")
            if (
                report.planned_writes == 0
                and report.delivery.delivered == 0
                and report.delivery.replanned == 0
            ):
                break
        else:
            raise AssertionError("no quiescence after 10 cycles")
        # no echo: one more quiet cycle plans and writes nothing
        quiet = engine.run_cycle("parties")
        assert quiet.planned_writes == 0 and quiet.delivery.delivered == 0
        assert engine.dead_letters() == [], [j.last_error for j in engine.dead_letters()]
        self._check_converged(engine)

    def _check_converged(self, engine: SyncEngine) -> None:
        rows = {side: self.systems.rows(side) for side in SIDES}
        by_vat = {side: {p.vat_id: (i, p) for i, p in rows[side].items()} for side in SIDES}
        # no duplicates: one record per VAT id per system (the table enforces it, so a
        # duplicate create would have shown up as a dead letter above)
        for side in SIDES:
            assert len(by_vat[side]) == len(rows[side])
        conflicts = {(c.link_id, c.field) for c in engine.conflicts("parties")}
        links = {(lk.id_a, lk.id_b): lk for lk in engine.links("parties", "active", limit=10_000)}
        for vat in self.vats:
            crm, erp = by_vat["crm"].get(vat), by_vat["erp"].get(vat)
            if vat in self.deleted:
                # propagate: gone on both sides
                assert crm is None and erp is None, vat
                continue
            assert crm is not None and erp is not None, f"{vat} missing on one side"
            link = links.get((crm[0], erp[0]))
            assert link is not None, f"{vat} not linked"
            for field in FIELDS:
                a, b = getattr(crm[1], field), getattr(erp[1], field)
                edits = self.edits.get((vat, field), {})
                if (link.id, field) in conflicts:
                    continue  # frozen; both values are held in the conflict item
                assert a == b, (vat, field, a, b)
                if len(edits) == 1:
                    (value,) = edits.values()
                    assert a == value, f"lost update of {vat}.{field}: {value!r} -> {a!r}"
                elif edits:
                    assert a in edits.values(), (vat, field, a, edits)
        self.edits.clear()

    @invariant()
    def outbox_never_loses_work(self) -> None:
        # every job is pending, running, delivered, dead, superseded or skipped: never purged
        states = {j.state for j in self.engine.dead_letters()}
        assert states <= {"dead"}


class TwoSystemsLeading(TwoSystems):
    policy: ClassVar[Any] = {"leading": "erp"}


TwoSystems.TestCase.settings = settings(stateful_step_count=25)
TwoSystemsLeading.TestCase.settings = settings(stateful_step_count=25)
TestTwoSystemsManual = TwoSystems.TestCase
TestTwoSystemsLeadingErp = TwoSystemsLeading.TestCase
