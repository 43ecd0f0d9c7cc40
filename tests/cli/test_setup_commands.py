"""init, check, config schema, db upgrade and status, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncline.cli import main
from syncline.store import Store

MINIMAL = """\
version: 1
store:
  url: sqlite:///state/s.db
systems: {}
maps: []
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_a_starter_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo" / "syncline.yaml"
    code, out, _ = run(["init", str(target)], capsys)
    assert code == 0 and target.is_file() and "wrote" in out
    assert "${SYNCLINE_ERP_PASSWORD}" in target.read_text()
    target.write_text("# mine\n")
    code, _, err = run(["init", str(target)], capsys)
    assert code == 2 and "--force" in err
    assert target.read_text() == "# mine\n"
    assert run(["init", str(target), "--force"], capsys)[0] == 0


def test_check_reports_each_problem_with_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(MINIMAL.replace("maps: []", "maps: []\ncolour: red"))
    code, _, err = run(["check", "--config", str(cfg)], capsys)
    assert code == 2
    assert f"{cfg}:6: colour: unknown key" in err
    assert "Traceback" not in err


def test_check_names_an_unknown_connector_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(MINIMAL.replace("systems: {}", "systems:\n  erp:\n    type: sap"))
    code, _, err = run(["--config", str(cfg), "check"], capsys)
    assert code == 2
    assert "syncline.yaml:6: systems.erp.type: unknown connector type 'sap'" in err


HELD = """\
version: 1
store:
  url: sqlite:///state/s.db
systems:
  crm:
    type: bottlecrm
    url: http://127.0.0.1:8001
    token: ${SYNCLINE_CRM_TOKEN}
  legacy:
    type: sql
    url: sqlite:///legacy.db
    tables:
      - {table: kunden, entity: party, columns: {name: firma}}
      - {table: artikel, entity: product, columns: {name: bezeichnung, code: nr}}
maps:
  - {name: customers, entity: party, a: legacy, b: crm}
  - {name: people, entity: contact, a: legacy, b: crm}
  - {name: hours, entity: time_entry, a: crm, b: legacy}
"""


def test_check_refuses_a_map_of_an_entity_a_system_does_not_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before anything connects: a sql system holds the entities of its tables only."""
    monkeypatch.setenv("SYNCLINE_CRM_TOKEN", "bcrm_pat_x")
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(HELD)
    code, _, err = run(["check", "--config", str(cfg)], capsys)
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("error")]
    assert problems == [
        f"error {cfg}:17: maps.1.a: system legacy holds no contact; it holds: party, product",
        f"error {cfg}:18: maps.2.b: system legacy holds no time_entry; it holds: party, product",
    ]


def test_check_notes_a_listed_reference_that_no_map_translates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    contacts = "{table: contacts, entity: contact, columns: {last_name: name, party_id: firm}}"
    cfg.write_text(
        MINIMAL.replace(
            "systems: {}",
            f"systems:\n  crm: {{type: sql, url: 'sqlite:///a.db', tables: [{contacts}]}}\n"
            f"  erp: {{type: sql, url: 'sqlite:///b.db', tables: [{contacts}]}}",
        ).replace(
            "maps: []",
            "maps:\n  - name: people\n    entity: contact\n    a: crm\n    b: erp\n"
            "    fields: [{field: last_name}, {field: party_id}]",
        )
    )
    code, out, _ = run(["check", "--config", str(cfg)], capsys)
    assert code == 0
    assert (
        f"note {cfg}:9: maps.0.entity: party_id names a party, and no map joins party "
        "between crm and erp: it is not shared"
    ) in " ".join(out.split())


def test_status_on_a_fresh_store_creates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(MINIMAL)
    code, out, _ = run(["status", "--config", str(cfg), "--json"], capsys)
    assert code == 0
    assert json.loads(out) == {"config": str(cfg), "maps": [], "flows": [], "imports": {}}
    assert (tmp_path / "state" / "s.db").is_file()  # relative to the config file


def test_db_upgrade_reports_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(MINIMAL)
    code, out, _ = run(["db", "upgrade", "--config", str(cfg)], capsys)
    store = Store.open(f"sqlite:///{tmp_path / 'state' / 's.db'}", upgrade=False)
    head = store.head_revision()
    store.close()
    assert code == 0 and head is not None and f"revision {head}" in out


def test_unreachable_store_is_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "syncline.yaml"
    cfg.write_text(
        MINIMAL.replace("sqlite:///state/s.db", "postgresql://u:pw-secret@127.0.0.1:1/db")
    )
    code, _, err = run(["status", "--config", str(cfg)], capsys)
    assert code == 2
    assert "cannot reach the state store" in err and "pw-secret" not in err


def test_config_from_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "elsewhere.yaml"
    cfg.write_text(MINIMAL)
    monkeypatch.setenv("SYNCLINE_CONFIG", str(cfg))
    code, out, _ = run(["status", "--json"], capsys)
    assert code == 0 and json.loads(out)["config"] == str(cfg)


def test_missing_config_file_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["status", "--config", str(tmp_path / "none.yaml")], capsys)
    assert code == 2 and "syncline init" in err


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a parsed JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_config_schema_is_json_schema_of_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["config", "schema"], capsys)
    schema = json.loads(out)
    assert code == 0
    assert set(schema["properties"]) == {"version", "store", "systems", "maps", "flows"}
    field_rule = schema["$defs"]["FieldRule"]["properties"]
    assert {"field", "owner", "conflict", "transform", "on_foreign_edit"} <= set(field_rule)
    (crm,) = [
        v["properties"]
        for v in _objects(schema)
        if v.get("properties", {}).get("type", {}).get("const") == "bottlecrm"
    ]
    assert all(crm[key].get("description") for key in ("url", "token", "page_size")), crm
    origin = json.dumps(schema).split('"origin_column"', 1)[1][:600]
    assert "last create or update" in origin
    again, out_again, _ = run(["config", "schema", "--config", "elsewhere.yaml"], capsys)
    assert again == 0 and json.loads(out_again) == schema, "--config taken, and not read"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["status", "--no-such-flag"], capsys)
    assert code == 2 and "No such option" in err


def test_console_script_hides_tracebacks_unless_debug(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("version: [\n")
    exe = Path(sys.executable).parent / "syncline"
    plain = subprocess.run(
        [str(exe), "--config", str(cfg), "check"], capture_output=True, text=True, check=False
    )
    assert plain.returncode == 2 and "not valid YAML" in plain.stderr
    assert "Traceback" not in plain.stderr
    debug = subprocess.run(
        [str(exe), "--debug", "--config", str(cfg), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["init", "--help"],
        ["check", "--help"],
        ["status", "--help"],
        ["config", "schema", "--help"],
        ["db", "upgrade", "--help"],
    ):
        code, out, _ = run(argv, capsys)
        assert code == 0 and "Usage" in out, argv
