"""Text from data and errors prints as it is: Rich reads ``[erp]`` or ``[/sale]`` as markup
(and ``:pizza:`` as an emoji), so the CLI must print system prefixes and record values whole,
in tables and lines alike, while its own colours keep working and ``--json`` stays plain JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import update

from syncline.cli.common import state
from syncline.store import Store
from syncline.store.outbox import list_jobs, mark_dead
from tests.cli.support import parties_map, run
from tests.cli.test_sql_tables import SYSTEMS, Legacy, write_config
from tests.connectors.sql.legacy_tables import PARTY_TABLE, create_legacy_tables, legacy_system

NAMES = ("ACME [de] GmbH", "Outlet [/sale] KG", "Deli :pizza: Bar")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tables wide enough that no cell wraps; the global --config forgotten afterwards."""
    monkeypatch.setenv("COLUMNS", "250")
    yield
    state.config = None


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[tuple[Legacy, Legacy]]:
    crm, erp = (Legacy(f"sqlite:///{tmp_path / f'{s}.db'}") for s in SYSTEMS)
    yield crm, erp
    crm.close()
    erp.close()


def test_check_connect_names_the_system_of_a_connector_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for system in SYSTEMS:
        create_legacy_tables(f"sqlite:///{tmp_path / f'{system}.db'}")
    missing = {**PARTY_TABLE, "columns": {**PARTY_TABLE["columns"], "website": "homepage"}}
    config = write_config(tmp_path, [parties_map()])
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["systems"]["erp"] = legacy_system(f"sqlite:///{tmp_path / 'erp.db'}", party=missing)
    config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out, err = run(config, capsys, "check", "--connect", code=1)
    assert "system crm: ok" in out
    assert "error: [erp] table 'kunden' has no column(s) homepage" in err


def test_names_with_brackets_print_whole_in_links_and_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], legacy: tuple[Legacy, Legacy]
) -> None:
    crm, _ = legacy
    for n, name in enumerate(NAMES):
        crm.add_party(name, f"DE{n}")
    config = write_config(tmp_path, [parties_map()])
    run(config, capsys, "sync", "--once")

    for link_id, name in enumerate(NAMES, start=1):
        shown, _ = run(config, capsys, "links", "show", str(link_id))
        assert f"  name: {name!r}" in shown.splitlines()
    audit, _ = run(config, capsys, "audit")
    for name in NAMES:
        assert f"{{'name': {name!r}, 'vat_id':" in audit
    as_json = json.loads(run(config, capsys, "links", "show", "1", "--json")[0])
    assert as_json["snapshot"]["base_a"]["name"] == NAMES[0]


def test_conflicting_names_with_brackets_print_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], legacy: tuple[Legacy, Legacy]
) -> None:
    crm, erp = legacy
    crm.add_party("ACME [de] GmbH", "DE1")
    config = write_config(tmp_path, [parties_map(conflict="manual")])
    run(config, capsys, "sync", "--once")
    for db, name in ((crm, "ACME [de] GmbH & Co"), (erp, "ACME [at] GmbH")):
        with db.engine.begin() as conn:
            changed = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(update(db.kunden).values(firma=name, geaendert=changed))
    assert "1 new conflict(s)" in run(config, capsys, "sync", "--once")[0]

    listed, _ = run(config, capsys, "conflicts", "list")
    assert "'ACME [de] GmbH & Co'" in listed and "'ACME [at] GmbH'" in listed
    shown, _ = run(config, capsys, "conflicts", "show", "1")
    lines = [line.split(" (version")[0] for line in shown.splitlines()]
    assert "  base: 'ACME [de] GmbH'" in lines
    assert "  crm: 'ACME [de] GmbH & Co'" in lines and "  erp: 'ACME [at] GmbH'" in lines


def test_a_dead_letter_shows_its_error_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], legacy: tuple[Legacy, Legacy]
) -> None:
    crm, erp = legacy
    crm.add_party("Nordwind AG", "DE7")
    erp.add_party("Zeta Holding", "DE7")  # not matched (keys: emails), so the copy is refused
    config = write_config(tmp_path, [parties_map(match={"keys": ["emails"]})])
    out, _ = run(config, capsys, "sync", "--once", code=1)
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        with store.begin() as conn:
            job = next(j for j in list_jobs(conn, state="dead") if j.target_system == "erp")
            # the cycle named the dead letter and the target's reason where it failed
            crm_id = next(iter(crm.parties().values()))
            copy = f"new copy of crm {crm_id} (link {job.link_id})"
            reason = f"  dead letter {job.id}: create party {copy} in erp: {job.last_error}"
            assert reason in out.splitlines(), out
            error = f"[erp] kunden rejected the row: [ustid] {job.last_error}"
            mark_dead(conn, job.id, error, datetime.now(UTC))
    finally:
        store.close()

    listed, _ = run(config, capsys, "deadletters", "list")
    assert error in listed
    shown, _ = run(config, capsys, "deadletters", "show", str(job.id))
    crm_id = next(iter(crm.parties().values()))
    assert shown.splitlines()[0].endswith(
        f"in erp, record new copy of crm {crm_id} (link {job.link_id}): refused: {error}"
    )
    assert '"name": "Nordwind AG"' in shown
    as_json = json.loads(run(config, capsys, "deadletters", "list", "--json")[0])
    assert [j["last_error"] for j in as_json if j["id"] == job.id] == [error]
