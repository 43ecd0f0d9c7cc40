"""Delivery (ARCHITECTURE.md §3.6): dead letters, retries with backoff, the circuit, catching up."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from syncline.errors import RateLimitedError, TransientError
from syncline.store import Store
from syncline.store.circuits import load_circuits
from syncline.store.outbox import OutboxJob, get_job, list_jobs
from syncline.store.schema import outbox
from syncline.sync import CircuitPolicy, SyncEngine
from syncline.sync.worker import RetryPolicy
from tests.sync.harness import FakeClock, Outage, Systems, engine

REJECT_ANGLE_BRACKETS = (
    "CREATE TRIGGER reject_markup BEFORE UPDATE ON parties WHEN NEW.name LIKE '%<%' "
    "BEGIN SELECT RAISE(ABORT, 'name may not contain <'); END"
)


def _linked(
    store: Store, tmp_path: Path, **options: object
) -> tuple[Systems, SyncEngine, FakeClock, Outage, str, str]:
    """One synced party; the ERP is wrapped so that tests can make it fail."""
    systems = Systems(tmp_path)
    erp = Outage(systems.conn["erp"])
    clock = FakeClock()
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    sync = engine(store, systems, clock, connectors={"crm": systems.conn["crm"], "erp": erp},
                  **options)  # fmt: skip
    sync.run_cycle("parties")
    erp.writes.clear()
    return systems, sync, clock, erp, crm_id, systems.by_vat("erp")["DE1"][0]


def test_a_rejected_write_is_a_dead_letter_carrying_the_targets_message(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, _, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    systems.edit("crm", crm_id, name="Alpha <GmbH>")
    report = sync.run_cycle("parties")
    assert (report.delivery.dead, report.delivery.delivered) == (1, 0)
    (dead,) = sync.dead_letters()
    assert dead.last_error == "name may not contain <" and dead.error_kind == "permanent"
    assert (dead.target_system, dead.op, dead.native_id) == ("erp", "update", erp_id)
    assert dead.payload["values"]["name"] == "Alpha <GmbH>"
    assert systems.rows("erp")[erp_id].name == "Alpha"
    # a dead letter waits for a person: it is neither retried nor planned again
    report = sync.run_cycle("parties")
    assert report.planned_writes == 0 and report.delivery.delivered == 0
    assert [j.id for j in sync.dead_letters()] == [dead.id]


def test_a_dead_letter_retried_with_an_edited_payload_lands_and_converges(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, _, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    systems.edit("crm", crm_id, name="Alpha <GmbH>", website="https://alpha.de")
    sync.run_cycle("parties")
    (dead,) = sync.dead_letters()
    sync.retry_dead_letter(dead.id, {"name": "Alpha GmbH"})
    report = sync.deliver("parties")
    assert report.delivered == 2, "the edited job, then the edit passed on to the CRM"
    erp, crm = systems.rows("erp")[erp_id], systems.rows("crm")[crm_id]
    assert erp.name == crm.name == "Alpha GmbH"
    assert erp.website == "https://alpha.de", "the rest of the payload was kept"
    with store.begin() as conn:
        assert get_job(conn, dead.id).state == "done"  # type: ignore[union-attr]
    assert sync.dead_letters() == []
    reasons = {(e.target_system, e.reason) for e in sync.audit(field="name")}
    assert ("erp", "manual_resolution") in reasons and ("crm", "sync") in reasons
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_dead_letter_retried_as_it_was_dies_again_and_can_be_skipped(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, _, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    systems.edit("crm", crm_id, name="Alpha <GmbH>")
    sync.run_cycle("parties")
    (dead,) = sync.dead_letters()
    sync.retry_dead_letter(dead.id)
    assert sync.deliver("parties").dead == 1
    sync.skip_dead_letter(dead.id, actor="bob")
    assert sync.dead_letters() == []
    with store.begin() as conn:
        assert [j.id for j in list_jobs(conn, "skipped")] == [dead.id]
    (skip,) = [e for e in sync.audit() if e.reason == "skip"]
    assert skip.actor == "bob" and skip.job_id == dead.id
    assert skip.detail is not None and "name may not contain <" in skip.detail
    assert systems.rows("erp")[erp_id].name == "Alpha"
    assert sync.run_cycle("parties").planned_writes == 0


def test_transient_errors_retry_with_exponential_backoff_and_jitter(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp, crm_id, erp_id = _linked(store, tmp_path)
    erp.write_failures = [TransientError("503 Service Unavailable", system="erp")] * 2
    systems.edit("crm", crm_id, name="Alpha GmbH")
    assert sync.run_cycle("parties").delivery.retried == 1
    delays = []
    for attempt in (1, 2):
        if attempt == 2:
            assert sync.deliver("parties").retried == 1
        (job,) = _open(store)
        assert (job.attempts, job.error_kind) == (attempt, "transient")
        assert job.last_error == "[erp] 503 Service Unavailable"
        delays.append((job.next_attempt_at - clock.now).total_seconds())
        assert systems.rows("erp")[erp_id].name == "Alpha"
        clock.advance(delays[-1] + 0.01)
    # base 1 s doubling per attempt, scattered by +-50 %
    assert 0.5 <= delays[0] <= 1.5 and 1.0 <= delays[1] <= 3.0
    assert sync.deliver("parties").delivered == 1
    assert systems.rows("erp")[erp_id].name == "Alpha GmbH"
    assert len(erp.writes) == 1, "written once"


def test_backoff_never_waits_longer_than_its_cap_however_long_a_system_is_down(
    store: Store, tmp_path: Path
) -> None:
    policy, rng = RetryPolicy(), random.Random(7)
    waits = [policy.delay(attempts, rng) for attempts in range(2000) for _ in range(3)]
    assert max(waits) <= policy.max_delay, "jitter does not push a wait past the cap"
    assert min(waits[-300:]) >= policy.max_delay / 2, "capped waits stay near the cap"
    systems, sync, clock, erp, crm_id, _ = _linked(store, tmp_path)
    erp.write_failures = [TransientError("503 Service Unavailable", system="erp")]
    systems.edit("crm", crm_id, name="Alpha GmbH")
    sync.capture("parties")
    with store.begin() as conn:  # as if the ERP had been failing for days
        conn.execute(update(outbox).values(attempts=5000))
    assert sync.deliver("parties").retried == 1
    (job,) = _open(store)
    assert 0 < (job.next_attempt_at - clock.now).total_seconds() <= policy.max_delay


def test_a_target_that_goes_down_while_a_raced_write_is_read_again_loses_nothing(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp, alpha, erp_alpha = _linked(store, tmp_path)
    beta = systems.create("crm", name="Beta", vat_id="DE2")
    sync.run_cycle("parties")
    erp_beta = systems.by_vat("erp")["DE2"][0]
    systems.edit("crm", alpha, name="Alpha GmbH")
    systems.edit("crm", beta, name="Beta GmbH")
    sync.capture("parties")

    def race() -> None:  # a person edits Alpha in the ERP, then the ERP drops off
        systems.edit("erp", erp_alpha, website="https://alpha.no")
        erp.down = True

    erp.before_write = race
    report = sync.deliver("parties")  # reading Alpha again fails: it waits, nothing escapes
    assert (report.delivered, report.retried) == (1, 1)
    assert systems.rows("erp")[erp_beta].name == "Beta GmbH"
    assert systems.rows("erp")[erp_alpha].name == "Alpha", "the raced write was not made"
    erp.down = False
    for _ in range(3):
        clock.advance(60)
        sync.run_cycle("parties")
    assert systems.rows("erp")[erp_alpha].name == systems.rows("crm")[alpha].name == "Alpha GmbH"
    assert systems.rows("crm")[alpha].website == "https://alpha.no", "the person's edit stands"
    assert sync.run_cycle("parties").planned_writes == 0 and not sync.conflicts()


def test_an_edited_retry_outlives_a_later_edit_of_another_field(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    systems.edit("crm", crm_id, name="Alpha <GmbH>")
    sync.run_cycle("parties")
    (dead,) = sync.dead_letters()
    sync.retry_dead_letter(dead.id, {"name": "Alpha GmbH"})  # the operator's fix, queued
    clock.advance(1)
    systems.edit("crm", crm_id, website="https://alpha.de")  # before the next cycle
    for _ in range(3):
        sync.run_cycle("parties")
        clock.advance(60)
    erp, crm = systems.rows("erp")[erp_id], systems.rows("crm")[crm_id]
    assert erp.name == crm.name == "Alpha GmbH", "the operator's fix landed and flowed back"
    assert erp.website == crm.website == "https://alpha.de"
    assert sync.dead_letters() == [] and sync.run_cycle("parties").planned_writes == 0


def test_a_dead_letter_is_replaced_by_newer_work_and_a_stale_create_never_duplicates(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    sync = engine(store, systems, clock)
    systems.create("crm", name="Seed", vat_id="DE0")
    sync.run_cycle("parties")
    systems.execute("erp", REJECT_ANGLE_BRACKETS.replace("BEFORE UPDATE", "BEFORE INSERT"))
    beta = systems.create("crm", name="Beta <AS>", vat_id="NO2")
    sync.run_cycle("parties")
    (dead,) = sync.dead_letters()
    systems.edit("crm", beta, name="Beta AS")  # the user fixes the name: a new create lands
    clock.advance(60)
    sync.run_cycle("parties")
    assert [p.name for p in systems.rows("erp").values()] == ["Seed", "Beta AS"]
    assert sync.dead_letters() == [], "the refused create gave way to the one that landed"
    # a create refused, then the record entered in the ERP by hand and linked by its key:
    # retrying the old create must not make it twice
    systems.create("crm", name="Gamma <AB>", vat_id="SE3")
    clock.advance(60)
    sync.run_cycle("parties")
    (dead,) = sync.dead_letters()
    systems.execute("erp", "DROP TRIGGER reject_markup")  # the ERP takes such names again
    systems.create("erp", name="Gamma <AB>", vat_id="SE3")
    clock.advance(60)
    assert sync.run_cycle("parties").planned_writes == 0, "linked: nothing to write"
    assert [j.id for j in sync.dead_letters()] == [dead.id]
    sync.retry_dead_letter(dead.id)
    clock.advance(60)
    sync.run_cycle("parties")
    assert sorted(p.name for p in systems.rows("erp").values()) == ["Beta AS", "Gamma <AB>", "Seed"]
    with store.begin() as conn:
        stale = get_job(conn, dead.id)
    assert stale is not None and stale.state == "superseded"


def test_rate_limited_waits_at_least_retry_after(store: Store, tmp_path: Path) -> None:
    systems, sync, clock, erp, crm_id, erp_id = _linked(store, tmp_path)
    erp.write_failures = [RateLimitedError("429 Too Many Requests", system="erp", retry_after=120)]
    systems.edit("crm", crm_id, name="Alpha GmbH")
    sync.run_cycle("parties")
    (job,) = _open(store)
    assert job.error_kind == "rate_limited"
    assert job.next_attempt_at >= clock.now + timedelta(seconds=120)
    clock.advance(60)
    assert sync.deliver("parties").delivered == 0
    clock.advance(61)
    assert sync.deliver("parties").delivered == 1
    assert systems.rows("erp")[erp_id].name == "Alpha GmbH"


def test_the_circuit_opens_after_failures_and_closes_after_the_cool_down(
    store: Store, tmp_path: Path
) -> None:
    policy = CircuitPolicy(threshold=3, cooldown=30)
    systems, sync, clock, erp, crm_id, erp_id = _linked(store, tmp_path, circuit=policy)
    erp.write_failures = [TransientError("timeout", system="erp")] * 3
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.edit("erp", erp_id, website="https://alpha.no")
    report = sync.run_cycle("parties")
    assert report.delivery.delivered == 1, "the other direction keeps flowing"
    assert systems.rows("crm")[crm_id].website == "https://alpha.no"
    for _ in range(2):
        clock.advance(10)
        sync.deliver("parties")
    with store.begin() as conn:
        circuit = load_circuits(conn)["erp"]
    assert (circuit.state, circuit.failures) == ("open", 3)
    assert circuit.retry_at == clock.now + timedelta(seconds=30)
    # open: the ERP is left alone (no capture, no delivery) until the cool-down is over
    systems.edit("crm", crm_id, website="https://alpha.de")
    calls_before = len(erp.writes)
    clock.advance(20)
    report = sync.run_cycle("parties")
    assert report.capture.skipped == ["erp"] and report.delivery.delivered == 0
    assert len(erp.writes) == calls_before and erp.write_failures == []
    clock.advance(11)
    report = sync.run_cycle("parties")
    assert report.delivery.delivered == 1 and report.capture.skipped == []
    with store.begin() as conn:
        assert (load_circuits(conn)["erp"].state, load_circuits(conn)["erp"].failures) == (
            "closed",
            0,
        )
    erp_party = systems.rows("erp")[erp_id]
    assert (erp_party.name, erp_party.website) == ("Alpha GmbH", "https://alpha.de")


def test_a_target_down_for_a_while_catches_up_with_nothing_lost_or_doubled(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp, crm_id, erp_id = _linked(store, tmp_path)
    erp.down = True
    for n in range(6):  # an hour of cycles while the ERP is unreachable
        systems.create("crm", name=f"New {n}", vat_id=f"DE{100 + n}")
        systems.edit("crm", crm_id, name=f"Alpha v{n}")
        clock.advance(600)
        report = sync.run_cycle("parties")
        assert report.delivery.delivered == 0
    systems.edit("erp", erp_id, website="https://alpha.no")  # an ERP user meanwhile
    erp.down = False
    for _ in range(3):
        clock.advance(900)
        sync.run_cycle("parties")
    erp_rows, crm_rows = systems.by_vat("erp"), systems.by_vat("crm")
    expected = {"DE1", *(f"DE{100 + n}" for n in range(6))}
    assert set(erp_rows) == set(crm_rows) == expected
    assert erp_rows["DE1"][1].name == "Alpha v5" and crm_rows["DE1"][1].website == (
        "https://alpha.no"
    )
    creates = [r.idempotency_key for r in erp.writes if r.op == "create"]
    assert len(creates) == len(set(creates)) == 6, "each record created exactly once"
    updates = [r for r in erp.writes if r.op == "update"]
    assert len(updates) == 1, "the six edits of one field arrive as one write"
    assert sync.run_cycle("parties").planned_writes == 0


def _open(store: Store) -> list[OutboxJob]:
    with store.begin() as conn:
        return list_jobs(conn, "pending")
