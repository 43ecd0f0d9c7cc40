"""The initial load of a contact map after its parties' map: each contact copied into the
target names the target's copy of its party, and waits while that party has no copy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from syncline.load import InitialLoad
from syncline.store import Store
from tests.load.conftest import load_config
from tests.load.scripted import ScriptedMatcher
from tests.load.test_load import active_links
from tests.support.sqltables import contact_system
from tests.sync.harness import FakeClock, Systems, Tables
from tests.sync.test_engine import _add_contact


def test_loaded_contacts_are_tied_to_the_copies_of_their_parties(
    systems: Systems, state: Store, tmp_path: Path
) -> None:
    contacts = {s: contact_system(s, f"sqlite:///{tmp_path / f'{s}-contacts.db'}") for s in
                ("crm", "erp")}  # fmt: skip
    tables = {s: Tables(s, {"party": systems.conn[s], "contact": contacts[s]}) for s in contacts}
    cfg = load_config(direction="a_to_b").model_dump(mode="json")
    cfg["maps"].append(
        {
            "name": "contacts", "entity": "contact", "a": "crm", "b": "erp",
            "direction": "a_to_b", "only_listed_fields": True,
            "fields": [{"field": f} for f in ("first_name", "last_name", "party_id", "email")],
            "match": {"keys": ["email"]}, "overlap_seconds": 0,
        }
    )  # fmt: skip
    alpha = systems.create("crm", name="Alpha GmbH", vat_id="DE1")
    beta = systems.create("crm", name="Beta AG", vat_id="DE2")
    _add_contact(tables, "crm", alpha, "eva@alpha.de")
    _add_contact(tables, "crm", beta, "eva@beta.de")
    clock = FakeClock()
    config = type(load_config()).model_validate(cfg)
    load = InitialLoad(state, config, tables, clock=clock, matcher=ScriptedMatcher({}))

    early = load.run("contacts")  # the parents have no copies yet: nothing dangling is written
    assert early.pending == 2 and early.created in ({}, {"erp": 0})
    assert load.run("parties").created == {"erp": 2}
    clock.advance(2)  # past the contacts' retry: their parents have copies now
    report = load.run("contacts")

    assert report.created == {"erp": 2} and report.pending == 0 and report.rejected == []
    copy_of = {crm: erp for crm, erp, _ in active_links(state)}
    table = contacts["erp"]
    with table.engine.connect() as db:
        rows = dict(db.execute(select(table.table.c.email, table.table.c.party_id)).all())
    assert rows == {"eva@alpha.de": copy_of[alpha], "eva@beta.de": copy_of[beta]}
