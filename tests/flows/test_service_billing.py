"""Periodic service billing on in-memory systems: each period of an agreement billed once,
cycles respected, a late change billed as a correction, no double order after a crash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncline.flows.base import RunOptions
from syncline.flows.linking import map_sides, record_link
from syncline.flows.service_billing import ServiceBilling, due
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import ServiceBillingConfig
from syncline.model import BillingPeriod, Money, Product, ServiceAgreement
from syncline.store import Store
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [
            {"name": "customers", "entity": "party", "a": "erp", "b": "crm"},
            {"name": "products", "entity": "product", "a": "erp", "b": "crm"},
        ],
        "flows": [{"name": "services", "kind": "service_billing"}],
    }
)


def position(price: str = "149", period: BillingPeriod = BillingPeriod.MONTHLY) -> ServiceAgreement:
    return ServiceAgreement(
        number="Wartung Nordwind", party_id="acc1", product_code="SRV-W", description="Wartung",
        period=period, quantity=Decimal(1), price=Money(amount=Decimal(price)),
        start_date=date(2026, 9, 1),
    )  # fmt: skip


@pytest.fixture
def systems(flow_store: Store) -> tuple[FakeCrm, FakeErp, ServiceBilling]:
    crm, erp = FakeCrm(), FakeErp()
    erp.catalogue_store = {"p9": Product(code="SRV-W", name="Wartung")}
    with flow_store.begin() as conn:
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), "acc1", "10",
                    origin="key", actor="test")  # fmt: skip
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, ServiceBillingConfig)
    flow = ServiceBilling(
        cfg, flow_store, crm=crm, erp=erp,
        parties=map_sides(CONFIG, "customers", "crm", "erp"),
        products=map_sides(CONFIG, "products", "crm", "erp"),
    )  # fmt: skip
    return crm, erp, flow


def orders(erp: FakeErp) -> list[tuple[str | None, list[tuple[str | None, Decimal]], str]]:
    return [
        (o.description, [(ln.product_id, ln.unit_price) for ln in o.lines], o.state.value)
        for o, _ in erp.orders.values()
    ]


def test_cycles_decide_which_periods_are_due() -> None:
    quarterly = position(period=BillingPeriod.QUARTERLY)
    assert [due(quarterly, p) for p in ("2026-08", "2026-09", "2026-10", "2026-12")] == [
        False, True, False, True,
    ]  # fmt: skip
    ended = position().model_copy(update={"end_date": date(2026, 10, 15)})
    assert (due(ended, "2026-10"), due(ended, "2026-11")) == (True, False)


def test_each_period_is_billed_once_and_a_late_change_is_corrected_next_run(
    systems: tuple[FakeCrm, FakeErp, ServiceBilling],
) -> None:
    crm, erp, flow = systems
    crm.agreements = {"ag1": [position()]}
    assert flow.run(RunOptions(period="2026-10")).errors == []
    assert flow.run(RunOptions(period="2026-10")).transitions == 0
    assert orders(erp) == [
        ("Service Wartung Nordwind 2026-10", [("p9", Decimal(149))], "confirmed")
    ]
    crm.agreements = {"ag1": [position("159")]}  # the price rose, back-dated to October
    assert flow.run(RunOptions(period="2026-11")).errors == []
    assert orders(erp)[1:] == [
        ("Correction Wartung Nordwind 2026-10", [("p9", Decimal(10))], "confirmed"),
        ("Service Wartung Nordwind 2026-11", [("p9", Decimal(159))], "confirmed"),
    ]
    assert flow.run(RunOptions(period="2026-11")).transitions == 0


def test_a_crash_after_the_order_was_created_bills_nothing_twice(
    systems: tuple[FakeCrm, FakeErp, ServiceBilling],
) -> None:
    crm, erp, flow = systems
    crm.agreements = {"ag1": [position()]}
    erp.fail_after_create = True
    assert flow.run(RunOptions(period="2026-10")).errors
    assert flow.run(RunOptions(period="2026-10")).errors == []
    assert len(erp.orders) == 1 and orders(erp)[0][2] == "confirmed"


def test_order_lines_carry_the_catalogue_unit_of_the_product(
    systems: tuple[FakeCrm, FakeErp, ServiceBilling],
) -> None:
    # Tryton refuses a line whose unit is not of the product's unit category (hours here)
    crm, erp, flow = systems
    erp.catalogue_store = {"p9": Product(code="SRV-W", name="Wartung", unit="h")}
    crm.agreements = {"ag1": [position()]}
    assert flow.run(RunOptions(period="2026-10")).errors == []
    crm.agreements = {"ag1": [position("159")]}
    assert flow.run(RunOptions(period="2026-11")).errors == []
    assert [ln.unit for order, _ in erp.orders.values() for ln in order.lines] == ["h", "h", "h"]
