"""The initial load between two SQL party systems: create, link, review, resume, decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from syncline.connectors.base import WriteRequest, WriteResult
from syncline.connectors.sql import SqlConnector
from syncline.load import InitialLoad, LoadReport
from syncline.store import Store
from syncline.store.links import list_links
from syncline.store.outbox import count_jobs
from syncline.store.reviews import decide, list_reviews
from syncline.store.schema import links
from tests.load.conftest import load_config
from tests.load.scripted import ScriptedMatcher
from tests.sync.harness import Systems

# pairs that are possible matches, whatever tuning the real matcher gets
SCORES = {
    frozenset({"Nordic Logistikk AS", "Nordic Logistikk"}): 0.95,
    frozenset({"Hansen Bygg AS", "Hansen Byg AS"}): 0.85,
}


def run_load(state: Store, systems: Systems, **options: Any) -> LoadReport:
    config = options.pop("config", None) or load_config()
    connectors = options.pop("connectors", None) or dict(systems.conn)
    options.setdefault("matcher", ScriptedMatcher(SCORES))
    return InitialLoad(state, config, connectors, **options).run("parties")


def bulk_create(systems: Systems, system: str, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in one transaction (as a bulk import into that system would)."""
    connector = systems.conn[system]
    now = datetime.now(UTC).replace(tzinfo=None)
    values = [{"active": True, "deleted": False, "modified_at": now, **row} for row in rows]
    with connector.engine.begin() as db:
        db.execute(connector.table.insert(), values)


def names(systems: Systems, system: str) -> list[str]:
    return sorted(p.name for p in systems.rows(system).values())


def active_links(state: Store) -> list[tuple[str | None, str | None, str]]:
    with state.begin() as conn:
        return sorted(
            (link.id_a, link.id_b, link.origin)
            for link in list_links(conn, "parties", "active", limit=10_000)
        )


def test_an_empty_target_receives_every_record(systems: Systems, state: Store) -> None:
    for i in range(25):
        systems.create("crm", name=f"Kunde {i:02d} GmbH", emails=[f"info{i}@kunde{i}.de"])
    report = run_load(state, systems, config=load_config(direction="a_to_b"))
    assert report.created == {"erp": 25}
    assert report.linked == 0 and report.for_review == 0 and report.rejected == []
    assert names(systems, "erp") == names(systems, "crm")
    assert len(active_links(state)) == 25
    again = run_load(state, systems, config=load_config(direction="a_to_b"))
    assert again.created in ({"erp": 0}, {})
    assert again.already_linked == 25
    assert len(systems.rows("erp")) == 25


def fill_both(systems: Systems) -> dict[str, str]:
    """Overlapping data: a VAT twin, a fuzzy twin, a grey-zone pair and records on one side."""
    ids = {
        "vat_crm": systems.create("crm", name="Müller Maschinenbau GmbH", vat_id="DE136695976"),
        "vat_erp": systems.create("erp", name="Mueller Maschinenbau", vat_id="DE136695976"),
        "fuzzy_crm": systems.create(
            "crm", name="Nordic Logistikk AS", emails=["post@nordic.no"], phones=["+4722334455"]
        ),
        "fuzzy_erp": systems.create(
            "erp", name="Nordic Logistikk", emails=["post@nordic.no"], phones=["+47 22 33 44 55"]
        ),
        "grey_crm": systems.create("crm", name="Hansen Bygg AS", phones=["+4791234567"]),
        "grey_erp": systems.create("erp", name="Hansen Byg AS", phones=["+4791234567"]),
        "only_crm": systems.create("crm", name="Only CRM AG", emails=["a@only-crm.de"]),
        "only_erp": systems.create("erp", name="Only ERP Oy", emails=["x@only-erp.fi"]),
    }
    return ids


def test_both_sides_filled_link_review_and_create(systems: Systems, state: Store) -> None:
    ids = fill_both(systems)
    report = run_load(state, systems)
    assert report.read == {"crm": 4, "erp": 4}
    assert report.linked_by_key == 1
    assert report.linked_fuzzy == 1
    assert report.created == {"erp": 1, "crm": 1}
    assert report.rejected == []
    made = active_links(state)
    assert (ids["vat_crm"], ids["vat_erp"], "key") in made
    assert (ids["fuzzy_crm"], ids["fuzzy_erp"], "fuzzy") in made
    with state.begin() as conn:
        items = list_reviews(conn, map_name="parties")
    # the grey-zone pair waits for a person: neither linked nor created
    assert [(i.left_id, i.right_id) for i in items] == [(ids["grey_crm"], ids["grey_erp"])]
    assert 0.75 <= items[0].score < 0.92
    assert report.for_review == 2 and report.review_items_added == 1
    assert "Hansen Bygg AS" not in names(systems, "erp")
    assert "Hansen Byg AS" not in names(systems, "crm")
    # the leading ERP's name won on the linked pairs; nothing was duplicated
    assert names(systems, "crm").count("Mueller Maschinenbau") == 1
    assert "Only ERP Oy" in names(systems, "crm") and "Only CRM AG" in names(systems, "erp")
    assert len(systems.rows("crm")) == 4 + 1 and len(systems.rows("erp")) == 4 + 1
    again = run_load(state, systems)
    assert again.linked == 0 and again.created in ({}, {"erp": 0, "crm": 0})
    assert again.review_items_added == 0 and again.for_review == 2


def test_grey_zone_is_reviewed_and_a_decision_is_honoured(systems: Systems, state: Store) -> None:
    a = systems.create("crm", name="Hansen Bygg AS", phones=["+4791234567"])
    b = systems.create("erp", name="Hansen Byg AS", phones=["+4791234567"])
    config = load_config()
    first = run_load(state, systems, config=config)
    assert (
        first.for_review == 2 and first.linked == 0 and first.created in ({}, {"erp": 0, "crm": 0})
    )
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="parties")
        assert (item.left_id, item.right_id) == (a, b)
        decide(conn, item.id, "link", "ops@example.com")
    second = run_load(state, systems, config=config)
    assert second.linked_manual == 1
    with state.begin() as conn:
        row = conn.execute(select(links).where(links.c.id_a == a)).mappings().one()
    assert (row["id_b"], row["origin"], row["pinned"]) == (b, "manual", True)
    assert len(systems.rows("crm")) == 1 and len(systems.rows("erp")) == 1


def test_a_rejected_pair_is_never_linked_and_both_are_created(
    systems: Systems, state: Store
) -> None:
    systems.create("crm", name="Hansen Bygg AS", phones=["+4791234567"])
    systems.create("erp", name="Hansen Byg AS", phones=["+4791234567"])
    config = load_config()
    run_load(state, systems, config=config)
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="parties")
        decide(conn, item.id, "create", "ops@example.com")
    report = run_load(state, systems, config=config)
    assert report.linked == 0 and report.for_review == 0
    assert report.created == {"erp": 1, "crm": 1}
    assert len(systems.rows("crm")) == 2 and len(systems.rows("erp")) == 2


def test_a_manual_link_is_never_undone_by_a_later_match(systems: Systems, state: Store) -> None:
    a = systems.create("crm", name="Fjord Fisk AS", emails=["post@fjordfisk.no"])
    b_chosen = systems.create("erp", name="Fjord Fisk Holding AS", emails=["holding@fjord.no"])
    b_twin = systems.create("erp", name="Fjord Fisk AS", emails=["post@fjordfisk.no"])
    now = datetime.now(UTC)
    with state.begin() as conn:
        conn.execute(
            links.insert().values(map_name="parties", entity="party", id_a=a, id_b=b_chosen,
                                  origin="manual", pinned=True, state="active",
                                  created_at=now, updated_at=now)
        )  # fmt: skip
    report = run_load(state, systems, config=load_config(direction="b_to_a"))
    made = active_links(state)
    assert (a, b_chosen, "manual") in made
    assert not any(x[0] == a and x[1] == b_twin for x in made)
    assert report.already_linked == 1 and report.linked_fuzzy == 0
    assert report.created == {"crm": 1}  # the twin is created, the manual link stays
    assert report.one_way == 0


class CrashError(Exception):
    """The process dies here."""


class CrashingConnector:
    """Writes through to a connector, then crashes after ``after`` write calls."""

    def __init__(self, inner: SqlConnector, after: int) -> None:
        self.inner = inner
        self.after = after
        self.calls = 0
        self.system = inner.system
        self.capabilities = inner.capabilities

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        results = self.inner.write(entity, requests)
        self.calls += 1
        if self.calls >= self.after:
            raise CrashError(f"crashed after {self.calls} write(s)")
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def small_batches(connector: SqlConnector, size: int) -> SqlConnector:
    settings = connector.settings.model_copy(update={"write_batch_size": size})
    return SqlConnector(connector.system, settings)


def test_a_crash_in_the_middle_of_writing_resumes_without_duplicates(
    systems: Systems, state: Store
) -> None:
    bulk_create(systems, "crm", [
        {"name": f"Firma {i:02d} GmbH", "emails": f'["kontakt@firma{i}.de"]'} for i in range(30)
    ])  # fmt: skip
    erp = small_batches(systems.conn["erp"], 10)
    config = load_config(direction="a_to_b")
    crashing = CrashingConnector(erp, after=2)
    with pytest.raises(CrashError):
        run_load(state, systems, config=config,
                 connectors={"crm": systems.conn["crm"], "erp": crashing})  # fmt: skip
    assert len(systems.rows("erp")) == 20  # two batches reached the ERP, one was recorded
    resumed = run_load(state, systems, config=config,
                       connectors={"crm": systems.conn["crm"], "erp": erp})  # fmt: skip
    assert resumed.adopted == 10  # the unrecorded batch was found, not written again
    assert len(systems.rows("erp")) == 30
    assert names(systems, "erp") == names(systems, "crm")
    assert sorted(str(x[0]) for x in active_links(state) if x[1]) == sorted(systems.rows("crm"))
    with state.begin() as conn:
        assert count_jobs(conn, ["pending", "running", "dead"], "parties") == 0
        pairs = conn.execute(select(func.count(func.distinct(links.c.id_b)))).scalar_one()
    assert pairs == 30


def test_a_crash_between_link_batches_resumes_without_duplicate_links(
    systems: Systems, state: Store
) -> None:
    for system, suffix in (("crm", " AS"), ("erp", "")):
        bulk_create(systems, system, [
            {"name": f"Selskap {i}{suffix}", "vat_id": f"NO{900000000 + i}MVA"} for i in range(250)
        ])  # fmt: skip
    calls = {"n": 0}

    def crash_after_first_batch(step: str) -> None:
        if step == "load.linked":
            calls["n"] += 1
            if calls["n"] == 1:
                raise CrashError("after the first batch of links")

    config = load_config(match={"keys": ["vat_id"], "fuzzy": False})
    with pytest.raises(CrashError):
        run_load(state, systems, config=config, checkpoint=crash_after_first_batch)
    assert len(active_links(state)) == 200
    report = run_load(state, systems, config=config)
    assert report.already_linked == 200 and report.linked_by_key == 50
    made = active_links(state)
    assert (
        len(made) == 250 and len({x[0] for x in made}) == 250 and len({x[1] for x in made}) == 250
    )
    assert len(systems.rows("crm")) == 250 and len(systems.rows("erp")) == 250


def test_a_fresh_dry_run_plans_but_stores_and_writes_nothing(
    systems: Systems, state: Store
) -> None:
    fill_both(systems)
    loader = InitialLoad(state, load_config(), dict(systems.conn), matcher=ScriptedMatcher(SCORES))
    dry = loader.run("parties", dry_run=True)
    assert dry.linked_by_key == 1 and dry.linked_fuzzy == 1
    assert dry.created == {"erp": 1, "crm": 1}
    assert active_links(state) == []
    assert len(systems.rows("crm")) == 4 and len(systems.rows("erp")) == 4


def test_unreadable_and_refused_records_are_rejected_with_reasons(
    systems: Systems, state: Store
) -> None:
    good = systems.create("crm", name="Gut GmbH", vat_id="DE136695976")
    bad = systems.create("crm", name="   ")  # not a valid party: a blank name
    twin = systems.create("crm", name="Zwilling GmbH", emails=["a@zwilling.de"])
    systems.create("erp", name="Other", vat_id="ATU13585627")
    systems.create("crm", name="Clash GmbH", vat_id="ATU13585627", emails=["c@clash.at"])
    config = load_config(direction="a_to_b", match={"keys": [], "fuzzy": False})
    report = run_load(state, systems, config=config)
    reasons = {(r.system, r.native_id): r.reason for r in report.rejected}
    assert "blank" in reasons[("crm", bad)]
    clash = [r for r in report.rejected if "refused" in r.reason]
    assert len(clash) == 1 and "UNIQUE" in clash[0].reason.upper()
    assert report.created == {"erp": 2}
    assert report.one_way == 1  # the ERP's "Other" is not copied back on an a_to_b map
    assert {good, twin} <= {x[0] for x in active_links(state) if x[1]}


def test_the_shipped_matcher_links_a_clear_twin_and_creates_the_rest(
    systems: Systems, state: Store
) -> None:
    crm_id = systems.create(
        "crm", name="Nordic Logistikk AS", emails=["post@nordic.no"], phones=["+4722334455"]
    )
    erp_id = systems.create(
        "erp", name="Nordic Logistikk", emails=["post@nordic.no"], phones=["+47 22 33 44 55"]
    )
    systems.create("crm", name="Bäckerei Weber", emails=["info@weber-backt.de"])
    loader = InitialLoad(state, load_config(), dict(systems.conn))  # the real matcher
    report = loader.run("parties")
    assert report.linked_fuzzy == 1 and report.created == {"erp": 1}
    assert (crm_id, erp_id, "fuzzy") in active_links(state)


def test_a_crash_while_planning_creates_resumes_without_duplicates(
    systems: Systems, state: Store
) -> None:
    bulk_create(systems, "crm", [
        {"name": f"Bedrift {i} AS", "emails": f'["post@bedrift{i}.no"]'} for i in range(260)
    ])  # fmt: skip

    def crash_after_first_batch(step: str) -> None:
        if step == "load.planned":
            raise CrashError("after the first batch of planned creates")

    config = load_config(direction="a_to_b")
    with pytest.raises(CrashError):
        run_load(state, systems, config=config, checkpoint=crash_after_first_batch)
    assert systems.rows("erp") == {}  # planned in the outbox, nothing written yet
    with state.begin() as conn:
        assert count_jobs(conn, ["pending"], "parties") == 200
    report = run_load(state, systems, config=config)
    assert report.created == {"erp": 260} and report.rejected == []
    assert names(systems, "erp") == names(systems, "crm")
