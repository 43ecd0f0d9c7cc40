"""The engine's commands as an operator runs them: sync, plan, conflicts, deadletters, audit,
links (tables and ``--json``), over a SQLite and a PostgreSQL state store."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from sqlalchemy import text
from typer.testing import CliRunner

from syncline.cli import audit, conflicts, deadletters, links, sync
from syncline.cli.common import open_runtime
from syncline.cli.sync import engine_for
from syncline.errors import SynclineError
from syncline.store import Store
from tests.support.postgres import fresh_database
from tests.support.sqltables import PARTY_COLUMNS
from tests.sync.harness import Systems

REJECT_ANGLE_BRACKETS = (
    "CREATE TRIGGER reject_markup BEFORE UPDATE ON parties WHEN NEW.name LIKE '%<%' "
    "BEGIN SELECT RAISE(ABORT, 'name may not contain <'); END"
)


def _app() -> typer.Typer:
    app = typer.Typer()
    for module in (sync, conflicts, deadletters, audit, links):
        module.register(app)
    return app


class Cli:
    """Runs commands against one config file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.app = _app()
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(self.app, [*args, "--config", str(self.config)])
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    def error(self, *args: str) -> str:
        """The message of the error a command stops with (``main`` prints it, exit code 1)."""
        result = self.runner.invoke(self.app, [*args, "--config", str(self.config)])
        assert isinstance(result.exception, SynclineError), (result.output, result.exception)
        return str(result.exception)

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def setup(store_url: str, tmp_path: Path) -> tuple[Cli, Systems]:
    return _setup(store_url, tmp_path)


def _setup(store_url: str, tmp_path: Path) -> tuple[Cli, Systems]:
    systems = Systems(tmp_path)
    system: dict[str, Any] = {
        "type": "sql",
        "table": "parties",
        "entity": "party",
        "modified_column": "modified_at",
        "deleted_column": "deleted",
        "columns": PARTY_COLUMNS,
    }
    cfg = {
        "version": 1,
        "store": {"url": store_url},
        "systems": {
            name: {**system, "url": f"sqlite:///{tmp_path / f'{name}.db'}"}
            for name in ("crm", "erp")
        },
        "maps": [
            {
                "name": "parties",
                "entity": "party",
                "a": "crm",
                "b": "erp",
                "only_listed_fields": True,
                "fields": [{"field": f} for f in ("name", "vat_id", "website")],
                "match": {"keys": ["vat_id"]},
                "overlap_seconds": 0,
            }
        ],
    }
    path = tmp_path / "syncline.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return Cli(path), systems


def test_plan_then_sync_then_links(setup: tuple[Cli, Systems]) -> None:
    cli, systems = setup
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    systems.create("erp", name="Beta", vat_id="NO2")
    planned = cli.json("plan")["writes"]
    assert sorted((w["op"], w["target"]) for w in planned) == [
        ("create", "crm"),
        ("create", "erp"),
    ]
    assert "2 write(s) would be planned" in cli("plan", "--map", "parties")
    assert set(systems.by_vat("erp")) == {"NO2"}, "plan wrote nothing"
    assert cli.json("links", "list") == []
    out = cli("sync", "--once")
    assert "parties: read 2, planned 2 write(s)" in out and "delivered 2" in out
    assert set(systems.by_vat("erp")) == set(systems.by_vat("crm")) == {"DE1", "NO2"}
    listed = cli.json("links", "list", "--map", "parties")
    assert len(listed) == 2 and {lk["state"] for lk in listed} == {"active"}
    link = next(lk for lk in listed if lk["id_a"] == crm_id)
    shown = cli.json("links", "show", str(link["id"]))
    assert shown["link"]["id_b"] == systems.by_vat("erp")["DE1"][0]
    assert shown["snapshot"]["base_a"]["name"] == "Alpha"
    assert "Alpha" in cli("links", "show", str(link["id"]))
    assert "links" in cli("links", "list")
    assert cli.json("plan")["writes"] == [], "quiet: nothing to write"
    assert "unknown" in cli("sync", "--map", "unknown", "--once", code=2)


def test_sync_loads_an_empty_system_in_batches_and_says_so(setup: tuple[Cli, Systems]) -> None:
    cli, systems = setup
    for n in range(3):
        systems.create("crm", name=f"Party {n}", vat_id=f"DE{n}")
    out = cli("sync", "--once")
    assert "parties: read 3, loaded 3 in batches, planned 0 write(s)" in out, out
    assert "delivered 3" in out
    assert set(systems.by_vat("erp")) == {"DE0", "DE1", "DE2"}
    assert "loaded" not in cli("sync", "--once"), "later cycles sync as usual"


def test_conflicts_list_show_and_resolve(setup: tuple[Cli, Systems]) -> None:
    cli, systems = setup
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    cli("sync", "--once")
    erp_id = systems.by_vat("erp")["DE1"][0]
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.edit("erp", erp_id, name="Alpha AG")
    assert "1 new conflict(s)" in cli("sync", "--once")
    (item,) = cli.json("conflicts", "list")
    assert (item["field"], item["value_a"], item["value_b"]) == ("name", "Alpha GmbH", "Alpha AG")
    shown = cli.json("conflicts", "show", str(item["id"]))
    assert shown["base_value"] == "Alpha" and shown["version_b"]
    text = cli("conflicts", "show", str(item["id"]))
    assert "crm: 'Alpha GmbH'" in text and "erp: 'Alpha AG'" in text
    assert "conflicts" in cli("conflicts", "list")
    other = systems.create("crm", name="Beta", vat_id="DE2")
    cli("sync", "--once")
    systems.edit("crm", other, name="Beta GmbH")
    systems.edit("erp", systems.by_vat("erp")["DE2"][0], name="Beta AG")
    cli("sync", "--once")
    assert "showing 1 of 2; --limit 2 lists them all" in cli("conflicts", "list", "--limit", "1")
    assert [c["id"] for c in cli.json("conflicts", "list", "--limit", "1")] == [item["id"]]
    assert "showing" not in cli("conflicts", "list")
    beta = [c["id"] for c in cli.json("conflicts", "list") if c["id"] != item["id"]]
    cli("conflicts", "resolve", str(item["id"]), code=2)  # neither --take nor --value
    out = cli("conflicts", "resolve", str(item["id"]), "--take", "erp")
    assert f"conflict {item['id']} resolved; 1 write(s) delivered" in out
    assert systems.rows("crm")[crm_id].name == "Alpha AG"
    assert [c["id"] for c in cli.json("conflicts", "list")] == beta
    assert [c["resolved_by"] for c in cli.json("conflicts", "list", "--all")] == ["cli", None]
    cli("sync", "--once")
    assert [c["id"] for c in cli.json("conflicts", "list")] == beta, "resolved for good"
    refused = cli.error("conflicts", "resolve", str(beta[0]), "--value", '"  "')
    assert "'  ' is not a valid name" in refused and "must not be blank" in refused
    assert [c["id"] for c in cli.json("conflicts", "list")] == beta, "still open"
    cli("conflicts", "resolve", str(beta[0]), "--value", "123")  # a name typed as a number
    assert systems.by_vat("crm")["DE2"][1].name == systems.by_vat("erp")["DE2"][1].name == "123"
    assert cli.json("audit", "--field", "name")[-1]["new_value"] == "123"


def test_deadletters_list_show_retry_with_payload_and_skip(
    setup: tuple[Cli, Systems], tmp_path: Path
) -> None:
    cli, systems = setup
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    other = systems.create("crm", name="Beta", vat_id="DE2")
    cli("sync", "--once")
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    systems.edit("crm", crm_id, name="Alpha <GmbH>")
    systems.edit("crm", other, name="Beta <AG>")
    out = cli("sync", "--once", code=1)
    assert "dead 2" in out
    dead = cli.json("deadletters", "list")
    assert [d["last_error"] for d in dead] == ["name may not contain <"] * 2
    for letter in dead:  # named where they failed, with the system's reason
        line = f"  dead letter {letter['id']}: update party {letter['native_id']} in erp: "
        assert line + "name may not contain <" in out.splitlines(), out
    first, second = dead
    shown = cli.json("deadletters", "show", str(first["id"]))
    assert shown["payload"]["values"]["name"] == "Alpha <GmbH>"
    assert "name may not contain <" in cli("deadletters", "show", str(first["id"]))
    assert "dead letters" in cli("deadletters", "list")
    payload = tmp_path / "fix.json"
    payload.write_text(json.dumps({"name": "Alpha GmbH"}), encoding="utf-8")
    out = cli("deadletters", "retry", str(first["id"]), "--payload", str(payload))
    assert f"job {first['id']} delivered" in out
    assert systems.by_vat("erp")["DE1"][1].name == "Alpha GmbH"
    assert systems.by_vat("crm")["DE1"][1].name == "Alpha GmbH"
    assert f"job {second['id']} skipped" in cli("deadletters", "skip", str(second["id"]))
    assert cli.json("deadletters", "list") == []
    cli("deadletters", "skip", str(second["id"]), code=2)  # no longer a dead letter
    assert systems.by_vat("erp")["DE2"][1].name == "Beta"


def test_sync_names_the_dead_letters_of_its_own_cycle_among_many_older_ones(
    setup: tuple[Cli, Systems],
) -> None:
    """More dead letters wait than a listing's first page (100) holds: a later cycle names
    the one it made, not old ones."""
    cli, systems = setup
    ids = [systems.create("crm", name=f"Firm {n}", vat_id=f"DE{n}") for n in range(102)]
    cli("sync", "--once")
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    for crm_id in ids[:101]:
        systems.edit("crm", crm_id, name=f"Firm {crm_id} <old>")
    first = cli("sync", "--once", code=1)
    assert "dead 101" in first and "... and 96 more: syncline deadletters list" in first
    systems.edit("crm", ids[101], name="Firm <new>")
    out = cli("sync", "--once", code=1)
    erp_id = systems.by_vat("erp")["DE101"][0]
    (line,) = [line for line in out.splitlines() if "dead letter" in line]
    assert line.endswith(f": update party {erp_id} in erp: name may not contain <"), out
    # the listing says when it is cut at its limit, and lists them all when asked
    listed = cli("deadletters", "list")
    assert "showing 100 of 102; --limit 102 lists them all" in listed
    assert len(cli.json("deadletters", "list")) == 100
    assert len(cli.json("deadletters", "list", "--limit", "102")) == 102
    assert "showing" not in cli("deadletters", "list", "--limit", "102")


def test_audit_filters_by_field_link_and_time(setup: tuple[Cli, Systems]) -> None:
    cli, systems = setup
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    cli("sync", "--once")
    systems.edit("crm", crm_id, name="Alpha GmbH", website="https://alpha.de")
    cli("sync", "--once")
    events = cli.json("audit")
    assert [e["reason"] for e in events] == ["create", "sync", "sync"]
    (name,) = cli.json("audit", "--field", "name")
    assert (name["old_value"], name["new_value"]) == ("Alpha", "Alpha GmbH")
    assert (name["source_system"], name["target_system"], name["actor"]) == (
        "crm",
        "erp",
        "syncline",
    )
    assert len(cli.json("audit", "--link", str(name["link_id"]))) == 3
    assert cli.json("audit", "--link", "999") == []
    assert cli.json("audit", "--since", "2999-01-01") == []
    assert len(cli.json("audit", "--since", "2000-01-01T00:00:00")) == 3
    table = cli("audit", "--field", "name")
    assert "│ name  │" in table and "│ crm  │ erp │ sync   │" in table
    assert "not an ISO date" in cli("audit", "--since", "yesterday", code=2)


def test_audit_and_links_cut_at_limit_show_the_newest_and_say_how_many(
    setup: tuple[Cli, Systems],
) -> None:
    cli, systems = setup
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    systems.create("crm", name="Beta", vat_id="DE2")
    cli("sync", "--once")
    systems.edit("crm", crm_id, name="Alpha GmbH")
    cli("sync", "--once")
    newest = cli.json("audit", "--limit", "1")
    assert [(e["field"], e["new_value"]) for e in newest] == [("name", "Alpha GmbH")]
    assert [e["reason"] for e in cli.json("audit", "--limit", "2")] == ["create", "sync"]
    assert "showing 2 of 3; --limit 3 lists them all" in cli("audit", "--limit", "2")
    assert "showing" not in cli("audit", "--limit", "3")
    assert "showing 1 of 2; --limit 2 lists them all" in cli("links", "list", "--limit", "1")
    assert "showing" not in cli("links", "list", "--map", "parties", "--state", "unlinked")
    assert "--limit" in cli("links", "list", "--limit", "0", code=2)


def test_worker_delivers_the_outbox_without_capturing(setup: tuple[Cli, Systems]) -> None:
    cli, systems = setup
    systems.create("crm", name="Alpha", vat_id="DE1")
    with open_runtime(cli.config) as runtime:
        engine_for(runtime).capture("parties")  # planned and queued, not delivered
    assert systems.by_vat("erp") == {}
    out = cli("worker", "--once", "--map", "parties")
    assert "delivered 1" in out
    assert set(systems.by_vat("erp")) == {"DE1"}
    assert "nothing due" in cli("worker", "--once")
    assert "unknown" in cli("worker", "--map", "unknown", "--once", code=2)
    systems.execute("erp", REJECT_ANGLE_BRACKETS)
    (crm_id,) = systems.rows("crm")
    systems.edit("crm", crm_id, name="Alpha <GmbH>")
    with open_runtime(cli.config) as runtime:
        engine_for(runtime).capture("parties")
    out = cli("worker", "--once", code=1)
    (letter,) = cli.json("deadletters", "list")
    assert f"  dead letter {letter['id']}: update party" in out
    assert out.rstrip().endswith("in erp: name may not contain <"), out


@pytest.mark.postgres
def test_sync_skips_a_map_another_worker_is_cycling(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    """Several workers on one PostgreSQL store: a map held by one is skipped by the others,
    who keep running (the advisory lock of ARCHITECTURE.md §7)."""
    url = fresh_database(postgres_admin_url)
    cli, systems = _setup(url, tmp_path)
    systems.create("crm", name="Alpha", vat_id="DE1")
    key = zlib.crc32(b"syncline-map:parties")
    other = Store.open(url).engine  # another worker's connection
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        out = cli("sync", "--once")
        assert "parties: busy in another worker; skipped" in out
        assert systems.by_vat("erp") == {}
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    other.dispose()
    assert "delivered 1" in cli("sync", "--once")
