"""The order entry form with an order handoff flow configured: the form shows the deal's
accepted quote as the flow sees it, and submitting hands the deal to the ERP through
``syncline.flows.submit_order`` (real BottleCRM and Tryton)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from syncline.connectors.base import Connector
from syncline.flows import OrderHandoff
from syncline.flows.registry import build_flow
from syncline.runtime import Runtime
from syncline.web.app import create_app
from syncline.web.live import LiveSystems
from syncline.web.live_bottlecrm import BottleCrmDesk
from syncline.web.live_tryton import TrytonDesk
from syncline.web.live_wiring import from_runtime
from tests.flows.scenario import CONFIG, PRESS, SPARES, deal_with_quote, erp_sales
from tests.support.crm_records import deal_detail
from tests.web.conftest import RealSystems, World, csrf_of, login

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


@pytest.fixture
def handoff(live_world: World, real_systems: RealSystems) -> Iterator[tuple[World, OrderHandoff]]:
    """The live world whose form submits through the order handoff flow ``orders``."""
    systems: dict[str, Connector] = {
        "erp": real_systems.erp.connector,
        "crm": real_systems.crm.connector,
    }
    flow = build_flow(CONFIG, live_world.runtime.store, systems.__getitem__, "orders")
    assert isinstance(flow, OrderHandoff)
    live = LiveSystems(crm=real_systems.crm, erp=real_systems.erp, handoff=flow)
    app = create_app(live_world.runtime, live=live)
    yield World(**{**live_world.__dict__, "app": app}), flow


def test_the_flow_orders_the_accepted_quote_and_tells_the_deal(
    handoff: tuple[World, OrderHandoff], real_systems: RealSystems
) -> None:
    world, flow = handoff
    connector = real_systems.crm.connector
    account, deal, _name = deal_with_quote(connector, Decimal(0))
    client = world.client("operator")
    proposal = client.get("/api/orders/proposal", params={"account_id": account, "deal_id": deal})
    assert proposal.status_code == 200, proposal.text
    codes = {p.id: p.code for p in real_systems.erp.products()}
    lines = proposal.json()["lines"]
    assert sorted((codes[ln["product_id"]], Decimal(ln["quantity"])) for ln in lines) == [
        (SPARES, Decimal(10)),
        (PRESS, Decimal(2)),
    ]
    assert all(ln["forecast"] is not None for ln in lines)
    placed = client.post("/api/orders", json={"account_id": account, "deal_id": deal})
    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]
    (sale_id,) = erp_sales(real_systems.erp.connector, flow, deal)
    (sale,) = real_systems.erp.client.read("sale.sale", [sale_id], ["number", "state"])
    assert sale["number"] == number and sale["state"] in ("confirmed", "processing")
    custom = deal_detail(connector, deal)["opportunity_obj"]["custom_fields"]
    assert custom["erp_order_number"] == number
    assert custom["erp_ship_date"] == placed.json()["planned_ship_date"]
    again = client.post(
        "/api/orders", json={"account_id": account, "deal_id": deal, "submission": "another-1"}
    )
    assert again.status_code == 201 and again.json()["number"] == number
    assert len(erp_sales(real_systems.erp.connector, flow, deal)) == 1
    workload = client.get("/api/reports/business", params={"days": 1}).json()["workload"]
    assert workload["entered"] == 1 and workload["by_user"] == {"operator": 1}


def test_a_discount_above_the_limit_waits_for_approval(
    handoff: tuple[World, OrderHandoff], real_systems: RealSystems
) -> None:
    world, flow = handoff
    account, deal, _name = deal_with_quote(real_systems.crm.connector, Decimal(25))
    client = world.client()
    login(client, "operator")
    params = {"account_id": account, "deal_id": deal}
    form = client.get("/orders/new", params=params, headers={"Accept": "text/html"}).text
    assert "accepted quote as it is" in form and 'id="check"' not in form
    assert "Waiting for approval" in form
    assert 'id="place-order" disabled' in form
    refused = client.post(
        "/orders",
        data={**params, "submission": "waiting-0001", "csrf_token": csrf_of(client, "/")},
    )
    assert refused.status_code == 409
    assert "discount approval" in refused.json()["detail"]
    assert erp_sales(real_systems.erp.connector, flow, deal) == []


def test_the_app_wires_crm_erp_and_flow_from_the_config(
    real_systems: RealSystems, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    erp, crm = real_systems.tryton, real_systems.crm.connector.settings
    monkeypatch.setenv("WEB_TEST_ERP_PASSWORD", erp.password)
    monkeypatch.setenv("WEB_TEST_CRM_TOKEN", crm.token.get_secret_value())
    config = tmp_path / "syncline.yaml"
    config.write_text(
        WIRED.format(
            store=tmp_path / "state.db",
            erp_url=erp.url,
            database=erp.database,
            user=erp.username,
            crm_url=crm.url,
        ),
        "utf-8",
    )
    runtime = Runtime.from_file(config)
    try:
        live = from_runtime(runtime)
        assert isinstance(live.crm, BottleCrmDesk) and isinstance(live.erp, TrytonDesk)
        assert (live.crm_name, live.erp_name) == ("crm", "erp")
        assert isinstance(live.handoff, OrderHandoff) and live.handoff.name == "orders"
        assert [a.id for a in live.crm.accounts()] == [a.id for a in real_systems.crm.accounts()]
        assert live.erp.party_for(real_systems.account) == real_systems.party_id
    finally:
        runtime.close()


WIRED = """\
version: 1
store: {{url: "sqlite:///{store}"}}
systems:
  erp: {{type: tryton, url: "{erp_url}", database: {database}, username: {user},
        password: "${{WEB_TEST_ERP_PASSWORD}}"}}
  crm: {{type: bottlecrm, url: "{crm_url}", token: "${{WEB_TEST_CRM_TOKEN}}"}}
maps:
  - {{name: customers, entity: party, a: erp, b: crm}}
  - {{name: products, entity: product, a: erp, b: crm}}
flows:
  - {{name: orders, kind: order_handoff}}
"""
