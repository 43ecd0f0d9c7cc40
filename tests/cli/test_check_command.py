"""``check`` finds before any sync what would break one (a transform's arguments, a SQL table's
field names), ``check --connect`` reports every system, and what still fails at run time or
on the way to the store is one clear message naming where to look."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from syncline.cli.common import state
from tests.cli.support import parties_map, run
from tests.cli.test_sql_tables import SYSTEMS, Legacy, write_config
from tests.connectors.sql.legacy_tables import legacy_system


@pytest.fixture(autouse=True)
def forget_global_config() -> Iterator[None]:
    yield
    state.config = None


def parties(*rules: dict[str, Any]) -> dict[str, Any]:
    return parties_map(fields=[{"field": "vat_id"}, *rules])


def edit(config: Path, change: Any) -> None:
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    change(cfg)
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"len": 5}, "transform 'truncate' takes no argument 'len'; its arguments: length"),
        ({"length": "abc"}, "transform 'truncate': argument 'length' must be int, got 'abc'"),
        ({}, "transform 'truncate': missing a required argument: 'length'"),
    ],
)
def test_check_refuses_transform_arguments_the_transform_does_not_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: dict[str, Any], reason: str
) -> None:
    rule = {"field": "name", "transform": {"name": "truncate", "args": args}}
    config = write_config(tmp_path, [parties(rule)])
    _, err = run(config, capsys, "check", code=2)
    (problem,) = [line for line in err.splitlines() if line.startswith("error")]
    lines = config.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines, 1) if "truncate" in line)
    key = "maps.0.fields.1.transform.args" + (f".{next(iter(args))}" if args else "")
    assert problem.startswith(f"error {config}:")
    assert f": {key}: {reason}" in problem
    assert int(problem.split(":")[1]) >= at


def test_a_transform_failing_on_a_value_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crm = Legacy(f"sqlite:///{tmp_path / 'crm.db'}")
    Legacy(f"sqlite:///{tmp_path / 'erp.db'}").close()
    crm.add_party("Nordwind AG", "DE7")
    crm.close()
    strict = {"name": "value_map", "args": {"mapping": {"Acme": "ACME"}}}
    config = write_config(tmp_path, [parties({"field": "name", "transform": strict})])
    run(config, capsys, "check")
    _, err = run(config, capsys, "plan", code=1)
    assert "error: " in err
    assert "transform 'value_map' failed on 'Nordwind AG': value 'Nordwind AG' is not in" in err


def test_check_refuses_sql_columns_of_fields_the_entity_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, [parties()])

    def misspell(cfg: dict[str, Any]) -> None:
        cfg["systems"]["erp"] = copy.deepcopy(cfg["systems"]["erp"])  # not a YAML alias
        columns = cfg["systems"]["erp"]["tables"][0]["columns"]
        columns["nam"] = columns.pop("name")

    edit(config, misspell)
    _, err = run(config, capsys, "check", code=2)  # nothing connects: no database exists
    (problem,) = [line for line in err.splitlines() if line.startswith("error")]
    assert problem.startswith(
        f"error {config}:" + next(
            str(i)
            for i, line in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip().startswith("nam:")
        ) + ": systems.erp.tables.0.columns.nam: party has no field 'nam'; fields: name,"
    )  # fmt: skip
    assert not (tmp_path / "erp.db").exists()


def test_check_connect_reports_every_system_that_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, [parties()])
    missing = tmp_path / "no-such-folder"

    def unreachable(cfg: dict[str, Any]) -> None:
        for system in SYSTEMS:
            cfg["systems"][system] = legacy_system(f"sqlite:///{missing / f'{system}.db'}")

    edit(config, unreachable)
    out, err = run(config, capsys, "check", "--connect", code=1)
    assert "state store sqlite:///" in out
    failed = [line for line in err.splitlines() if line.startswith("system ")]
    assert [line.split(": error: ")[0] for line in failed] == ["system crm", "system erp"]
    for system, line in zip(SYSTEMS, failed, strict=True):  # each names the file it opened
        assert f"cannot read table 'kunden' of sqlite:///{missing / system}.db" in line, line


def test_a_relative_sqlite_url_of_a_system_is_relative_to_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crm, erp = (Legacy(f"sqlite:///{tmp_path / f'{s}.db'}") for s in SYSTEMS)
    crm.add_party("Nordwind AG", "DE7")
    config = write_config(tmp_path, [parties({"field": "name"})])

    def relative(cfg: dict[str, Any]) -> None:
        for system in SYSTEMS:
            cfg["systems"][system]["url"] = f"sqlite:///{system}.db"
        cfg["store"]["url"] = "sqlite:///state.db"

    edit(config, relative)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run(config, capsys, "sync", "--once")
    assert erp.parties().keys() == {"DE7"}
    assert list(elsewhere.iterdir()) == []
    crm.close()
    erp.close()


def test_an_unreachable_store_names_the_config_file_that_gave_its_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pg.yaml"
    config.write_text(
        "version: 1\nstore:\n  url: postgresql://u:pw-secret@127.0.0.1:1/db\n", encoding="utf-8"
    )
    _, err = run(config, capsys, "status", code=2)
    message = " ".join(err.split())
    assert f"Check 'store.url' in {config} and that the database server runs." in message
    assert "syncline.yaml" not in message and "SYNCLINE_STORE_URL" not in message
    assert "pw-secret" not in message
