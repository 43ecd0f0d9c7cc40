"""Fuzzy suggestions during continuous sync: a new near-twin is linked, not created twice."""

from __future__ import annotations

from pathlib import Path

from syncline.load.suggester import FuzzySuggester
from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, config, engine


def _twins(systems: Systems) -> None:
    systems.create(
        "crm",
        name="Müller Maschinenbau GmbH",
        phones='["+49 30 1234567"]',
        emails='["info@mueller-maschinenbau.de"]',
    )
    systems.create(
        "erp",
        name="Mueller Maschinenbau GmbH",
        phones='["030 1234567"]',
        emails='["info@mueller-maschinenbau.de"]',
    )
    systems.create("erp", name="Fjordkraft Service AS", phones='["+47 22 00 00 00"]')


def test_the_suggester_links_a_near_twin_and_creates_what_is_new(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    _twins(systems)
    cfg = config(match={"keys": ["vat_id"], "fuzzy": True})
    sync = engine(store, systems, FakeClock(), config=cfg, suggester=FuzzySuggester("DE"))
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    crm_names = sorted(p.name for p in systems.rows("crm").values())
    erp_names = sorted(p.name for p in systems.rows("erp").values())
    assert len(crm_names) == 2 and len(erp_names) == 2
    assert "Fjordkraft Service AS" in crm_names
    assert sync.run_cycle("parties").planned_writes == 0


def test_without_fuzzy_matching_the_twin_is_created_twice(store: Store, tmp_path: Path) -> None:
    systems = Systems(tmp_path)
    _twins(systems)
    sync = engine(store, systems, FakeClock(), config=config(match={"keys": ["vat_id"]}))
    sync.run_cycle("parties")
    assert len(systems.rows("crm")) == 3 and len(systems.rows("erp")) == 3
