"""Continuous sync links records whose deterministic keys are equal in different spellings,
by the same normal form as the initial load (``syncline.matching.keys``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.base import NativeRecord, lookup_by_scan
from syncline.store import Store
from tests.sync.harness import FakeClock, Outage, Systems, config, engine


@pytest.mark.parametrize(
    ("crm_vat", "erp_vat"),
    [("DE 136 695 976", "DE136695976"), ("dk 13 58 56 28", "DK13585628")],
)
def test_twins_with_differently_spelt_vat_ids_are_linked_not_copied(
    store: Store, tmp_path: Path, crm_vat: str, erp_vat: str
) -> None:
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Müller GmbH", vat_id=crm_vat)
    erp_id = systems.create("erp", name="Müller GmbH", vat_id=erp_vat)
    sync = engine(store, systems, FakeClock())
    sync.run_cycle("parties")
    assert len(systems.rows("crm")) == 1 and len(systems.rows("erp")) == 1
    [link] = sync.links("parties")
    assert (link.id_a, link.id_b, link.origin) == (crm_id, erp_id, "key")


class ScanLookup(Outage):
    """Key lookup by scan, as the Tryton and BottleCRM connectors do it (loose forms)."""

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        # live records only, asked or not: those systems list no deleted records
        return lookup_by_scan(self.inner, entity, field, values)


def test_scan_lookup_candidates_are_held_to_the_normal_form(store: Store, tmp_path: Path) -> None:
    """The loose scan offers both ``ab@x.de`` and ``A.B@X.de`` for ``a.b@x.de``; only the
    second is equal in normal form, so the twin is linked to it and nothing is copied."""
    systems = Systems(tmp_path)
    systems.create("erp", name="Ab", vat_id="DE1", emails=["ab@x.de"])
    twin = systems.create("erp", name="A B", vat_id="DE2", emails=["A.B@X.de"])
    crm_id = systems.create("crm", name="A B", vat_id="DE3", emails=["a.b@x.de"])
    connectors = {"crm": systems.conn["crm"], "erp": ScanLookup(systems.conn["erp"])}
    sync = engine(
        store, systems, FakeClock(), config=config(match={"keys": ["emails"]}),
        connectors=connectors,
    )  # fmt: skip
    sync.run_cycle("parties")
    links = {lk.id_a: lk for lk in sync.links("parties")}
    assert links[crm_id].id_b == twin and links[crm_id].origin == "key"
    assert len(systems.rows("erp")) == 2 and len(systems.rows("crm")) == 2  # Ab copied once


def test_scan_lookup_finds_a_twin_stored_with_spaces(store: Store, tmp_path: Path) -> None:
    systems = Systems(tmp_path)
    erp_id = systems.create("erp", name="Fjord AS", vat_id="NO 923 609 016 MVA")
    crm_id = systems.create("crm", name="Fjord AS", vat_id="no923609016mva")
    connectors = {"crm": systems.conn["crm"], "erp": ScanLookup(systems.conn["erp"])}
    sync = engine(store, systems, FakeClock(), connectors=connectors)
    sync.run_cycle("parties")
    [link] = sync.links("parties")
    assert (link.id_a, link.id_b) == (crm_id, erp_id)
