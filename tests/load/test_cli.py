"""``syncline load`` from the command line: summary, dry run, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from syncline.cli import import_commands, load_commands
from syncline.cli.common import state as cli_state
from tests.load.scripted import ScriptedMatcher
from tests.support.sqltables import PARTY_COLUMNS
from tests.sync.harness import Systems


def write_config(folder: Path) -> Path:
    columns = "\n".join(f"      {k}: {v}" for k, v in PARTY_COLUMNS.items())
    systems = "".join(
        f"""
  {name}:
    type: sql
    url: sqlite:///{folder / f"{name}.db"}
    table: parties
    entity: party
    modified_column: modified_at
    deleted_column: deleted
    columns:
{columns}"""
        for name in ("crm", "erp")
    )
    path = folder / "syncline.yaml"
    path.write_text(
        f"""version: 1
store:
  url: sqlite:///{folder / "state.db"}
systems:{systems}
maps:
  - name: parties
    entity: party
    a: crm
    b: erp
    only_listed_fields: true
    conflict: {{leading: erp}}
    fields: [{{field: name}}, {{field: vat_id}}, {{field: emails}}, {{field: active}}]
    match: {{keys: [vat_id], fuzzy: true}}
""",
        encoding="utf-8",
    )
    return path


def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """syncline"""

    load_commands.register(application)
    return application


def test_load_prints_a_summary_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    systems = Systems(tmp_path)
    systems.create("crm", name="Müller GmbH", vat_id="DE136695976")
    systems.create("erp", name="Müller", vat_id="DE136695976")
    systems.create("crm", name="Neu AG", emails=["info@neu.de"])
    config = write_config(tmp_path)
    runner = CliRunner()
    dry = runner.invoke(app(), ["load", "--map", "parties", "--dry-run", "-c", str(config)])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output
    assert "would be linked by key" in dry.output
    assert len(systems.rows("erp")) == 1
    result = runner.invoke(app(), ["load", "--map", "parties", "-c", str(config), "-q"])
    assert result.exit_code == 0, result.output
    lines = {" ".join(line.replace("│", " ").split()) for line in result.output.splitlines()}
    assert "linked by key 1" in lines and "created in erp 1" in lines
    assert "rejected 0" in lines
    assert sorted(p.name for p in systems.rows("erp").values()) == ["Müller", "Neu AG"]
    again = runner.invoke(app(), ["load", "--map", "parties", "-c", str(config), "--json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["already_linked"] == 2 and data["created"] == {}
    assert data["linked_by_key"] == 0 and data["rejections"] == []
    cli_state.config = None


def test_an_unknown_map_is_a_usage_error(tmp_path: Path) -> None:
    Systems(tmp_path)
    config = write_config(tmp_path)
    result = CliRunner().invoke(app(), ["load", "--map", "nope", "-c", str(config)])
    assert result.exit_code == 2
    assert "no map named 'nope'" in result.output


def test_load_review_items_round_trip_through_a_review_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "syncline.load.plan.matcher_for",
        lambda thresholds: ScriptedMatcher({frozenset({"Hansen Bygg AS", "Hansen Byg AS"}): 0.85}),
    )
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Hansen Bygg AS", phones=["+4791234567"])
    erp_id = systems.create("erp", name="Hansen Byg AS", phones=["+4791234567"])
    config = write_config(tmp_path)
    review_file = tmp_path / "load-review.xlsx"
    application = app()
    import_commands.register(application)
    runner = CliRunner()
    args = ["load", "--map", "parties", "-c", str(config), "-q"]
    first = runner.invoke(application, [*args, "--review-file", str(review_file)])
    assert first.exit_code == 0, first.output
    assert "1 review group(s) written" in " ".join(first.output.split())
    workbook = load_workbook(review_file)
    sheet = workbook["review"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][1:3] == [f"crm:{crm_id}", "this row"]
    assert rows[2][2] == f"erp:{erp_id}" and rows[2][3] == "0.850"
    sheet.cell(2, 5).value = f"merge erp:{erp_id}"
    workbook.save(review_file)
    applied = runner.invoke(application, ["import", "review", str(review_file), "-c", str(config)])
    assert applied.exit_code == 0, applied.output
    assert "1 initial-load decision(s) recorded" in " ".join(applied.output.split())
    second = runner.invoke(application, [*args, "--json"])
    data = json.loads(second.output)
    assert data["linked_manual"] == 1 and data["for_review"] == 0 and data["created"] == {}
    assert len(systems.rows("crm")) == 1 and len(systems.rows("erp")) == 1
    cli_state.config = None
