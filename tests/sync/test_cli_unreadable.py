"""Unreadable records as an operator meets them: named below the cycle's line by ``syncline
sync``, counted by ``syncline status``, listed by ``syncline unreadable`` (tables and
``--json``), over a SQLite and a PostgreSQL state store."""

from __future__ import annotations

from pathlib import Path

import typer

from syncline.cli import setup_commands, sync, unreadable
from tests.sync.harness import Systems
from tests.sync.test_cli import Cli, _setup


def _cli(store_url: str, tmp_path: Path) -> tuple[Cli, Systems]:
    cli, systems = _setup(store_url, tmp_path)
    cli.app = typer.Typer()
    for module in (sync, setup_commands, unreadable):
        module.register(cli.app)
    return cli, systems


def test_sync_names_the_unreadable_record_status_counts_it_and_unreadable_lists_it(
    store_url: str, tmp_path: Path
) -> None:
    cli, systems = _cli(store_url, tmp_path)
    systems.create("crm", name="Alpha", vat_id="DE1")
    cli("sync", "--once")
    bad = systems.create("crm", name="Typo", vat_id="DE9", emails=["info(at)typo.de"])
    systems.create("crm", name="Beta", vat_id="DE2")
    out = cli("sync", "--once", code=1)  # a record waits for a person, as dead letters do
    lines = out.splitlines()
    assert lines[0].startswith("parties: read ") and "planned 1 write(s)" in lines[0]
    assert lines[1].startswith(f"  unreadable {bad} in crm: row {bad} of parties is not a valid")
    assert "DE2" in systems.by_vat("erp")
    assert cli("sync", "--once").startswith("parties: read")  # known already: not again
    (status,) = cli.json("status")["maps"]
    assert status["unreadable"] == 1
    assert "unreadable" in cli("status")
    (item,) = cli.json("unreadable", "--map", "parties")
    assert (item["map_name"], item["system"], item["native_id"]) == ("parties", "crm", bad)
    assert "info(at)typo.de" in item["reason"]
    rows = [line for line in cli("unreadable").splitlines() if line.startswith("│ parties")]
    assert [cell.strip() for cell in rows[0].split("│")[2:4]] == ["crm", bad]


def test_unreadable_says_when_the_list_is_cut_and_when_it_is_empty(
    store_url: str, tmp_path: Path
) -> None:
    cli, systems = _cli(store_url, tmp_path)
    assert "no unreadable records" in cli("unreadable")
    systems.create("crm", name="Alpha", vat_id="DE1")
    cli("sync", "--once")
    for n in range(7):
        systems.create("crm", name=f"Typo {n}", vat_id=f"DE9{n}", emails=[f"x{n}(at)typo.de"])
    out = cli("sync", "--once", code=1)
    assert "  ... and 2 more: syncline unreadable" in out.splitlines()
    assert "showing 3 of 7; --limit 7 lists them all" in cli("unreadable", "--limit", "3")
    assert len(cli.json("unreadable", "--limit", "3")) == 3
    assert "nope" in cli("unreadable", "--map", "nope", code=2)
