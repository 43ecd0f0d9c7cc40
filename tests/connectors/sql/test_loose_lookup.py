"""Key lookups in a legacy table that writes keys its own way (``connectors.sql.lookup``).

Missed, such a key made the engine create a second copy of a record the table already held.
Each test runs on SQLite and on PostgreSQL, whose ``lower()`` functions fold different letters.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from syncline.connectors.sql import SqlConnector
from syncline.connectors.sql.lookup import loose, loosen
from syncline.connectors.sql.settings import SqlSettings
from syncline.model import Party
from syncline.store import Store
from tests.support.sqltables import party_system
from tests.sync.harness import FakeClock, Systems, engine

ROWS = [
    ("Alpha GmbH", "de 136.695.976", '["Info@Alpha.example"]', '["+49 30 1234-56"]'),
    ("Beta AG", "DE999", '["a_b@beta.example"]', '["030 7654321"]'),
    ("ÖSTERREICH GMBH", "ATU13585627", '["MÜLLER@EXAMPLE.DE"]', "[]"),
    ("Straße AG", None, '["STRASSE@EXAMPLE.DE"]', "[]"),
    ("GROSSHANDEL KG", None, "[]", "[]"),
    ("ΠΑΠΑΔΌΠΟΥΛΟΣ", None, "[]", "[]"),
    ("Οδυσσέας Ελύτης", None, "[]", "[]"),
    ("İSTANBUL AŞ", None, "[]", "[]"),
    # white space other than spaces, raw and as JSON escapes
    (
        "Gamma\u00a0Handel\tGmbH",
        "AT\tU 123\u202f456\u00a078",
        "[]",
        '["+43\\t1\u202f234\u00a05678"]',
    ),
    ("Delta Ltd", "GB\u2009123\u3000456\u2007789", "[]", '["+44\\u00a020\\u202f7946\\u20090000"]'),
    # items as json.dumps() writes them by default: beyond ASCII as \u escapes
    ("Epsilon AS", None, json.dumps(["Øyvind@epsilon.example", "SØREN@epsilon.example"]), "[]"),
    ("Zeta KG", None, '["D\\u00D6RTE@ZETA.EXAMPLE", "\\ud83d\\ude00@zeta.example"]', "[]"),
]


def _legacy(url: str, *, loose: bool = True) -> SqlConnector:
    """A party table filled by another program, keys as its users typed them."""
    connector = party_system("erp", url)
    typed = [
        {"name": name, "vat_id": vat_id, "emails": emails, "phones": phones}
        for name, vat_id, emails, phones in ROWS
    ]
    old = {"active": True, "modified_at": datetime(2026, 1, 1), "deleted": False}
    with connector.engine.begin() as conn:
        conn.execute(insert(connector.table), [{**row, **old} for row in typed])
    if loose:
        return connector
    settings = SqlSettings.model_validate(
        {**connector.settings.model_dump(), "loose_lookup": False}
    )
    connector.close()
    return SqlConnector("erp", settings)


@pytest.fixture
def legacy(legacy_url: str) -> Iterator[SqlConnector]:
    connector = _legacy(legacy_url)
    yield connector
    connector.close()


def _names(connector: SqlConnector, field: str, values: list[str]) -> list[str]:
    found = connector.lookup("party", field, values)
    return sorted(r.data.name for r in found if isinstance(r.data, Party))


def test_keys_written_with_other_case_spaces_dots_and_dashes_are_found(
    legacy: SqlConnector,
) -> None:
    assert _names(legacy, "vat_id", ["DE136695976"]) == ["Alpha GmbH"]
    assert _names(legacy, "vat_id", ["DE999", "DE136695976"]) == ["Alpha GmbH", "Beta AG"]
    assert _names(legacy, "emails", ["info@alpha.example"]) == ["Alpha GmbH"]
    assert _names(legacy, "phones", ["+493012345 6"]) == ["Alpha GmbH"]
    assert _names(legacy, "vat_id", ["DE136695977"]) == []
    assert _names(legacy, "emails", ["alpha.example"]) == [], "whole items only"


def test_keys_with_letters_beyond_ascii_are_found_in_any_case(legacy: SqlConnector) -> None:
    """SQLite's lower() folds A-Z only; PostgreSQL's knows every script, but leaves ß and the
    final sigma as they are."""
    assert _names(legacy, "emails", ["müller@example.de"]) == ["ÖSTERREICH GMBH"]
    assert _names(legacy, "name", ["Österreich GmbH"]) == ["ÖSTERREICH GMBH"]
    assert _names(legacy, "name", ["STRASSE AG", "Großhandel KG"]) == [
        "GROSSHANDEL KG",
        "Straße AG",
    ]
    assert _names(legacy, "emails", ["straße@example.de"]) == ["Straße AG"]
    assert _names(legacy, "name", ["Παπαδόπουλος"]) == ["ΠΑΠΑΔΌΠΟΥΛΟΣ"]
    assert _names(legacy, "name", ["ΟΔΥΣΣΈΑΣ ΕΛΎΤΗΣ"]) == ["Οδυσσέας Ελύτης"]
    assert _names(legacy, "name", ["İstanbul Aş"]) == ["İSTANBUL AŞ"]
    assert _names(legacy, "name", ["Osterreich GmbH", "Strase AG"]) == [], "letters differ"


SPELLINGS = [
    # (field, value asked for, the row found): white space of every kind counts as a space
    ("vat_id", "ATU12345678", "Gamma\u00a0Handel\tGmbH"),
    ("vat_id", "GB 123 456 789", "Delta Ltd"),
    ("vat_id", "DE\u00a0136\t695\u202f976", "Alpha GmbH"),
    ("vat_id", "de\u2003136\u2028695\u3000976\n", "Alpha GmbH"),
    ("name", "GAMMA HANDEL GMBH", "Gamma\u00a0Handel\tGmbH"),
    ("name", "Οδυσσέας\u00a0Ελύτης", "Οδυσσέας Ελύτης"),
    ("phones", "+4312345678", "Gamma\u00a0Handel\tGmbH"),
    ("phones", "+44 20 7946 0000", "Delta Ltd"),
    ("emails", "info@alpha.example\t", "Alpha GmbH"),
    # items of JSON lists however escaped: \u00d8, \u00D6, a surrogate pair
    ("emails", "øyvind@epsilon.example", "Epsilon AS"),
    ("emails", "Søren@Epsilon.Example", "Epsilon AS"),
    ("emails", "dörte@zeta.example", "Zeta KG"),
    ("emails", "\U0001f600@ZETA.example", "Zeta KG"),
    ("emails", "müller@example.de", "ÖSTERREICH GMBH"),
]


def test_keys_written_with_other_white_space_or_json_escapes_are_found(
    legacy: SqlConnector,
) -> None:
    """Tabs, no-break spaces and the other white space of Unicode are left out like spaces,
    on both sides; an item of a list column is compared as its JSON text decodes."""
    found = {(field, asked): _names(legacy, field, [asked]) for field, asked, _ in SPELLINGS}
    assert found == {(field, asked): [name] for field, asked, name in SPELLINGS}
    assert _names(legacy, "vat_id", ["GB 123 456 788"]) == []
    assert _names(legacy, "emails", ["dorte@zeta.example", "u00d6rte@zeta.example"]) == []


def test_rows_holding_no_json_list_are_passed_over(legacy: SqlConnector) -> None:
    """A PostgreSQL jsonb cast of one such row would fail the whole query."""
    odd = [
        '["m\\u00fcller@example.de"',  # cut short
        '["\\u0000"]',  # valid JSON, refused by jsonb
        '["\\ud800"]',  # a lone surrogate, refused by jsonb and unreadable on SQLite
        '{"email": "müller@example.de"}',
        '"müller@example.de"',
        "müller@example.de",
        "",
    ]
    old = {"active": True, "modified_at": datetime(2026, 1, 1), "deleted": False}
    with legacy.engine.begin() as conn:
        rows = [{"name": f"Odd {i}", "emails": text, **old} for i, text in enumerate(odd)]
        conn.execute(insert(legacy.table), rows)
    assert _names(legacy, "emails", ["Müller@Example.DE"]) == ["ÖSTERREICH GMBH"]


def _cased_letters() -> list[str]:
    """The letters of Latin, Greek, Cyrillic and Armenian, and every letter whose case fold is
    not its lower case (``ẞ``, ``ﬁ``, ``ᾈ``, ``Ꭰ``), one by one."""
    return [
        ch
        for ch in map(chr, range(sys.maxunicode + 1))
        if ch.casefold() != ch.lower() or (0x41 <= ord(ch) < 0x590 and ch.casefold() != ch)
    ]


def test_the_database_loosens_text_exactly_as_python_does(legacy: SqlConnector) -> None:
    """A loose lookup compares loosen() of the values asked for with loose() of the column:
    where the two differ, a row holding a value in another case is not found."""
    samples = [
        *_cased_letters(),
        "ΟΔΟΣ Οδός ΣΑΣ",  # a capital sigma ending a word lower-cases to ς, but folds to σ
        "İSTANBUL Straße ẞ ﬁrma ǅemal ꭰᏸ",
        " De 136.695-976/(1) ",
    ]
    table = Table("samples", MetaData(), Column("text", String(200)))
    with legacy.engine.begin() as conn:
        table.create(conn)
        conn.execute(insert(table), [{"text": s} for s in samples])
        rows = conn.execute(select(table.c.text, loose(table.c.text))).all()
    assert len(rows) == len(samples)
    assert {text: got for text, got in rows if got != loosen(text)} == {}


def test_a_national_phone_number_is_not_taken_for_an_international_one(
    legacy: SqlConnector,
) -> None:
    """``030 7654321`` dialled in Germany is +49 30 7654321, in Austria +43 30 7654321:
    without the table's country, neither may be found for it."""
    assert _names(legacy, "phones", ["030 7654321"]) == ["Beta AG"]
    assert _names(legacy, "phones", ["+49 30 7654321", "+43 30 7654321"]) == []


def test_like_wildcards_in_a_value_match_only_themselves(legacy: SqlConnector) -> None:
    assert _names(legacy, "emails", ["a_b@beta.example"]) == ["Beta AG"]
    assert _names(legacy, "emails", ["aXb@beta.example", "a%@beta.example"]) == []


def test_loose_lookup_off_compares_exactly(legacy_url: str) -> None:
    connector = _legacy(legacy_url, loose=False)
    try:
        assert _names(connector, "vat_id", ["DE136695976"]) == []
        assert _names(connector, "vat_id", ["de 136.695.976"]) == ["Alpha GmbH"]
        assert _names(connector, "emails", ["info@alpha.example"]) == []
        assert _names(connector, "name", ["Österreich GmbH"]) == []
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
