"""The demo ERP: CLI commands, the seeded company, and the fast second start."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncline.connectors.tryton import TrytonConnector
from syncline.demo.erp import app
from syncline.demo.tryton import ensure_template, stop
from syncline.demo.tryton.dataset import customers, products

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def test_dataset_is_deterministic_and_believable() -> None:
    people = customers()
    assert people == customers() and len(people) >= 200
    assert {c.country for c in people} == {"DE", "AT", "CH", "NO", "DK"}
    assert len({c.name for c in people}) == len(people)
    assert all(c.postal_code and c.city and c.street[-1].isdigit() for c in people)
    catalogue = products()
    assert len(catalogue) >= 50 and len({p.code for p in catalogue}) == len(catalogue)


def test_seeded_company_has_customers_products_stock_and_documents(
    tryton_connector: TrytonConnector,
) -> None:
    client = tryton_connector.client
    assert (
        client.model("party.party", "search_count", [("categories.name", "=", "customer")]) >= 200
    )
    assert client.model("product.product", "search_count", []) >= 50
    states = {r["state"] for r in client.search_read("sale.sale", [], ["state"])}
    assert {"draft", "quotation", "processing", "cancelled"} <= states
    shipment_states = {r["state"] for r in client.search_read("stock.shipment.out", [], ["state"])}
    assert {"done", "waiting"} <= shipment_states
    assert client.search("account.invoice", [("state", "=", "posted"), ("total_amount", "<", 0)])
    assert client.search("account.fiscalyear", [])
    assert client.search("account.tax", [])
    assert client.search("account.invoice.payment_term", [])


def test_cli_start_status_stop_reset(tmp_path: Path) -> None:
    ensure_template()  # built once per machine; what is timed below is a start from the cache
    runner = CliRunner()
    state = str(tmp_path / "demo")
    assert runner.invoke(app, ["status", "--dir", state]).exit_code == 1
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["start", "--dir", state])
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert elapsed < 30, "a start from the cached template must be quick"
        info = json.loads((tmp_path / "demo" / "tryton.json").read_text())
        assert info["url"] in result.output and info["password"] in result.output
        assert (tmp_path / "demo" / "tryton.json").stat().st_mode & 0o077 == 0
        status = runner.invoke(app, ["status", "--dir", state])
        assert status.exit_code == 0 and info["url"] in status.output
        assert runner.invoke(app, ["start", "--dir", state]).exit_code == 0  # already running
        assert "stopped" in runner.invoke(app, ["stop", "--dir", state]).output
        assert "not running" in runner.invoke(app, ["stop", "--dir", state]).output
    finally:
        stop(Path(state))  # a failed assertion must not leave a server behind
    assert runner.invoke(app, ["reset", "--dir", state]).exit_code == 0
    assert not (tmp_path / "demo" / "tryton" / "db").exists()
