"""``syncline flows list|run|items`` as a user runs them (the commands on their own Typer app,
since the lead wires them into the main CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from syncline.cli.flows_commands import register
from syncline.demo.bottlecrm import CrmInstance
from syncline.demo.tryton import TrytonInstance
from syncline.flows.ledger import register_items
from syncline.flows.registry import flow_problems
from syncline.mapping.config import SynclineConfig
from syncline.store import Store

CONFIG = """\
version: 1
store:
  url: sqlite:///state.db
systems:
  erp: {type: tryton, url: "http://127.0.0.1:9", database: demo, password: x}
  crm: {type: bottlecrm, url: "http://127.0.0.1:9", token: x}
maps:
  - {name: customers, entity: party, a: erp, b: crm}
  - {name: products, entity: product, a: erp, b: crm}
flows:
  - {name: orders, kind: order_handoff, discount_limit: 12.5}
  - {name: shipped, kind: shipment_notice, enabled: false}
"""


def app() -> typer.Typer:
    cli = typer.Typer()
    register(cli)
    return cli


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "syncline.yaml"
    path.write_text(CONFIG)
    return path


def test_list_shows_each_flow_with_its_items_per_state(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    with store.begin() as conn:
        register_items(conn, "orders", [("deal:1", {}), ("deal:2", {})], "new")
    store.close()
    result = CliRunner().invoke(app(), ["flows", "list", "--json", "--config", str(path)])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["orders"]["kind"] == "order_handoff" and rows["orders"]["states"] == {"new": 2}
    assert rows["shipped"]["enabled"] is False and rows["shipped"]["states"] == {}
    table = CliRunner().invoke(app(), ["flows", "list", "--config", str(path)])
    assert "order_handoff" in table.output and "new 2" in table.output


def test_run_refuses_unknown_flows_bad_periods_and_disabled_flows(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    runner = CliRunner()
    unknown = runner.invoke(app(), ["flows", "run", "nope", "--config", str(path)])
    assert (
        unknown.exit_code == 2 and "no flow named 'nope'; flows: orders, shipped" in unknown.output
    )
    period = runner.invoke(
        app(), ["flows", "run", "orders", "--period", "2026-13", "-c", str(path)]
    )
    assert period.exit_code == 2 and "is not YYYY-MM" in period.output
    disabled = runner.invoke(app(), ["flows", "run", "shipped", "--config", str(path)])
    assert disabled.exit_code == 2 and "disabled" in disabled.output


def test_items_lists_the_items_of_a_flow(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    with store.begin() as conn:
        register_items(conn, "orders", [("deal:7", {"waiting": "no accepted quote"})], "new")
    store.close()
    result = CliRunner().invoke(app(), ["flows", "items", "orders", "--json", "-c", str(path)])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert (item["key"], item["state"], item["data"]["waiting"]) == (
        "deal:7", "new", "no accepted quote",
    )  # fmt: skip


LIVE = """\
version: 1
store:
  url: sqlite:///state.db
systems:
  erp: {{type: tryton, url: "{erp_url}", database: {database}, username: {user},
         password: "{password}"}}
  crm: {{type: bottlecrm, url: "{crm_url}", token: "{token}"}}
maps:
  - {{name: customers, entity: party, a: erp, b: crm}}
flows:
  - {{name: shipped, kind: shipment_notice, lookback_days: 1}}
"""


@pytest.mark.integration
@pytest.mark.tryton
@pytest.mark.bottlecrm
def test_run_wires_a_flow_to_the_real_systems_from_the_config(
    tmp_path: Path, tryton_instance: TrytonInstance, crm_instance: CrmInstance
) -> None:
    path = tmp_path / "syncline.yaml"
    path.write_text(
        LIVE.format(
            erp_url=tryton_instance.url, database=tryton_instance.database,
            user=tryton_instance.username, password=tryton_instance.password,
            crm_url=crm_instance.url, token=crm_instance.token,
        )
    )  # fmt: skip
    result = CliRunner().invoke(app(), ["flows", "run", "shipped", "--json", "-c", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["flow"] == "shipped" and report["errors"] == []
    listed = CliRunner().invoke(app(), ["flows", "list", "--json", "-c", str(path)])
    (row,) = json.loads(listed.output)
    assert row["last_run_state"] == "ok"
    assert sum(row["states"].values()) == report["discovered"]


def test_flow_problems_name_missing_maps_systems_and_repeated_names() -> None:
    config = SynclineConfig.model_validate(
        {
            "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
            "maps": [{"name": "customers", "entity": "party", "a": "erp", "b": "crm"}],
            "flows": [
                {"name": "orders", "kind": "order_handoff"},
                {"name": "orders", "kind": "shipment_notice", "erp": "sap"},
                {"name": "debtors", "kind": "customer_master"},
            ],
        }
    )
    assert flow_problems(config) == [
        "flows: the name 'orders' is used twice",
        "flows.0.product_map: flow needs map 'products': no map named 'products'; maps: customers",
        "flows.1.erp: 'sap' is not under 'systems'",
        "flows.1.party_map: map 'customers' joins erp and crm, but the flow needs crm and sap",
    ]
