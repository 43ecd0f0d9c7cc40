"""Key lookups in a legacy table that writes keys its own way (``connectors.sql.lookup``).

Missed, such a key made the engine create a second copy of a record the table already held.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncline.connectors.sql import SqlConnector
from syncline.connectors.sql.settings import SqlSettings
from syncline.model import Party
from syncline.store import Store
from tests.support.sqltables import party_system
from tests.sync.harness import FakeClock, Systems, engine

ROWS = [
    ("Alpha GmbH", "de 136.695.976", '["Info@Alpha.example"]', '["+49 30 1234-56"]'),
    ("Beta AG", "DE999", '["a_b@beta.example"]', "[]"),
]


def _legacy(tmp_path: Path, *, loose: bool = True) -> SqlConnector:
    """A party table filled by another program, keys as its users typed them."""
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    party_system("erp", url).close()
    db = sqlite3.connect(tmp_path / "legacy.db")
    db.executemany(
        "INSERT INTO parties (name, vat_id, emails, phones, active, modified_at, deleted)"
        " VALUES (?, ?, ?, ?, 1, '2026-01-01 00:00:00', 0)",
        ROWS,
    )
    db.commit()
    db.close()
    connector = party_system("erp", url)
    if loose:
        return connector
    settings = SqlSettings.model_validate(
        {**connector.settings.model_dump(), "loose_lookup": False}
    )
    connector.close()
    return SqlConnector("erp", settings)


def _names(connector: SqlConnector, field: str, values: list[str]) -> list[str]:
    found = connector.lookup("party", field, values)
    return sorted(r.data.name for r in found if isinstance(r.data, Party))


def test_keys_written_with_other_case_spaces_dots_and_dashes_are_found(tmp_path: Path) -> None:
    connector = _legacy(tmp_path)
    try:
        assert _names(connector, "vat_id", ["DE136695976"]) == ["Alpha GmbH"]
        assert _names(connector, "vat_id", ["DE999", "DE136695976"]) == ["Alpha GmbH", "Beta AG"]
        assert _names(connector, "emails", ["info@alpha.example"]) == ["Alpha GmbH"]
        assert _names(connector, "phones", ["+493012345 6"]) == ["Alpha GmbH"]
        assert _names(connector, "vat_id", ["DE136695977"]) == []
        assert _names(connector, "emails", ["alpha.example"]) == [], "whole items only"
    finally:
        connector.close()


def test_like_wildcards_in_a_value_match_only_themselves(tmp_path: Path) -> None:
    connector = _legacy(tmp_path)
    try:
        assert _names(connector, "emails", ["a_b@beta.example"]) == ["Beta AG"]
        assert _names(connector, "emails", ["aXb@beta.example", "a%@beta.example"]) == []
    finally:
        connector.close()


def test_loose_lookup_off_compares_exactly(tmp_path: Path) -> None:
    connector = _legacy(tmp_path, loose=False)
    try:
        assert _names(connector, "vat_id", ["DE136695976"]) == []
        assert _names(connector, "vat_id", ["de 136.695.976"]) == ["Alpha GmbH"]
        assert _names(connector, "emails", ["info@alpha.example"]) == []
    finally:
        connector.close()


def test_a_crm_party_is_linked_to_the_legacy_row_with_its_vat_id_not_copied(
    store: Store, tmp_path: Path
) -> None:
    """Continuous sync: a new CRM party whose VAT id the ERP table holds in its own spelling
    is linked to that row; nothing is created on either side."""
    systems, clock = Systems(tmp_path), FakeClock()
    systems.create("erp", name="Gamma", vat_id="DE3")
    sync = engine(store, systems, clock)
    sync.run_cycle("parties")  # the CRM is loaded with Gamma: the map has a history now
    systems.execute(
        "erp",
        "INSERT INTO parties (name, vat_id, emails, phones, active, modified_at, deleted)"
        " VALUES ('Alpha GmbH', 'de 136.695.976', '[]', '[]', 1, '2000-01-01 00:00:00', 0)",
    )  # an old row, before the cursor: capture does not see it, only a lookup can
    crm_id = systems.create("crm", name="Alpha GmbH", vat_id="DE136695976")
    clock.advance(60)
    sync.run_cycle("parties")
    assert sorted(p.name for p in systems.rows("erp").values()) == ["Alpha GmbH", "Gamma"]
    assert len(systems.rows("crm")) == 2
    (link,) = [k for k in sync.links("parties") if k.id_a == crm_id]
    assert link.state == "active" and link.id_b is not None
    assert systems.rows("erp")[link.id_b].vat_id in ("de 136.695.976", "DE136695976")
