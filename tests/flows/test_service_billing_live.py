"""Periodic service billing end to end: a BottleCRM service agreement (recurring invoice)
becomes one confirmed Tryton order per month; a back-dated price change is billed as a
correction in the next run; nothing is billed twice."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.erp_tryton import TrytonSide
from syncline.flows.linking import map_sides, record_link
from syncline.flows.service_billing import ServiceBilling, billing_key
from syncline.model import Address, Party
from syncline.store import Store
from tests.flows.scenario import CONFIG, flow_named
from tests.support.crm_records import (
    QuoteLine,
    change_agreement,
    new_account,
    new_agreement,
    new_contact,
)

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]
SERVICE = "SRV-WARTUNG"


def test_each_month_is_billed_once_and_a_late_price_change_is_corrected(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Wartung {tag} GmbH"
    billing = Address(street="Hafenstr. 1", postal_code="24103", city="Kiel", country="DE")
    party = TrytonSide(tryton_connector).create_party(Party(name=name, addresses=[billing]))
    account = new_account(crm_connector, name)
    contact = new_contact(crm_connector, account, "Walter", f"Wartung{tag}")
    with flow_store.begin() as conn:
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), account, party.id,
                    origin="key", actor="test")  # fmt: skip
    agreement = new_agreement(
        crm_connector, account_id=account, contact_id=contact, title=f"Wartung {tag}",
        start=date(2026, 9, 1), lines=[QuoteLine(SERVICE, Decimal(1), Decimal(149))],
    )  # fmt: skip
    flow = flow_named("services", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, ServiceBilling)
    october, november = billing_key("2026-10", agreement), billing_key("2026-11", agreement)

    def sales() -> list[tuple[str, str, list[Decimal]]]:
        erp = tryton_connector.client
        rows = erp.search_read(
            "sale.sale", [("party", "=", int(party.id))], ["description", "state", "lines"],
            order=[("id", "ASC")],
        )  # fmt: skip
        return [
            (
                r["description"].split(" [")[0],
                r["state"],
                [ln["unit_price"] for ln in erp.read("sale.line", r["lines"], ["unit_price"])],
            )
            for r in rows
        ]

    assert flow.run(RunOptions(period="2026-10", keys=frozenset({october}))).errors == []
    assert flow.run(RunOptions(period="2026-10", keys=frozenset({october}))).transitions == 0
    (first,) = sales()
    assert first[0] == f"Service Wartung {tag} 2026-10" and first[2] == [Decimal(149)]
    assert first[1] in ("confirmed", "processing")

    change_agreement(crm_connector, agreement, [QuoteLine(SERVICE, Decimal(1), Decimal(159))])
    both = RunOptions(period="2026-11", keys=frozenset({october, november}))
    assert flow.run(both).errors == []
    assert [(s[0], s[2]) for s in sales()] == [
        (f"Service Wartung {tag} 2026-10", [Decimal(149)]),
        (f"Correction Wartung {tag} 2026-10", [Decimal(10)]),
        (f"Service Wartung {tag} 2026-11", [Decimal(159)]),
    ]
    assert flow.run(both).transitions == 0 and len(sales()) == 3
