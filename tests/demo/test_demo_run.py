"""``make demo`` end to end: both demo systems start from their templates, syncline loads, syncs
and runs the flows once, and the seeded won deals are ERP orders on both real systems."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from syncline.cli import main as cli_main
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.demo import bottlecrm, tryton
from syncline.demo import run as demo_run
from syncline.demo.bottlecrm.seed_data import (
    DISCOUNT_LIMIT,
    WON_DEALS,
    WonDeal,
    accounts,
    over_limit,
)
from syncline.flows.crm_bottlecrm import BottleCrmSide
from syncline.flows.erp_tryton import marker_text
from syncline.flows.ledger import list_items
from syncline.flows.order_handoff import waiting_note
from syncline.flows.status import flow_status
from syncline.model import CaseType, Opportunity
from syncline.runtime import Runtime

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]

CONFIRMED = ("confirmed", "processing")


@dataclass(frozen=True)
class Demo:
    """A finished demo run: its folder, exit code, printed summary and a runtime on its config."""

    state_dir: Path
    code: int
    output: str
    runtime: Runtime

    @property
    def config(self) -> Path:
        return self.state_dir / demo_run.CONFIG_FILE

    @property
    def crm(self) -> BottleCrmConnector:
        connector = self.runtime.connector("crm")
        assert isinstance(connector, BottleCrmConnector)
        return connector

    @property
    def erp(self) -> TrytonConnector:
        connector = self.runtime.connector("erp")
        assert isinstance(connector, TrytonConnector)
        return connector


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One demo run (without serving the web app); the demo systems are stopped afterwards."""
    state_dir = tmp_path_factory.mktemp("demo")
    environment = dict(os.environ)
    printed = io.StringIO()
    console = demo_run.console
    demo_run.console = Console(file=printed, width=200, soft_wrap=True)
    try:
        code = demo_run.run(state_dir, serve=False, port=None)
        runtime = Runtime.from_file(state_dir / demo_run.CONFIG_FILE)
        try:
            yield Demo(state_dir, code, printed.getvalue(), runtime)
        finally:
            runtime.close()
    finally:
        demo_run.console = console
        tryton.stop(state_dir)
        bottlecrm.stop(state_dir)
        os.environ.clear()
        os.environ.update(environment)


def _won_deal(demo: Demo, won: WonDeal) -> tuple[str, Opportunity]:
    """The CRM deal of ``won`` (found by its name: the sync gives accounts the ERP's names)."""
    name = won.deal or f"{won.account}: "
    (deal,) = [d for d in BottleCrmSide(demo.crm).won_deals() if d.data.name.startswith(name)]
    return deal.id, deal.data


def test_the_demo_ends_well_and_names_the_orders_it_made(demo: Demo) -> None:
    assert demo.code == 0, demo.output
    assert cli_main(["--config", str(demo.config), "status"]) == 0
    handed_off = [w for w in WON_DEALS if not over_limit(w)]
    assert demo.output.count("became ERP order") == len(handed_off), demo.output
    for won in WON_DEALS:
        deal_id, _ = _won_deal(demo, won)
        assert demo_run.deal_url(demo.crm.client.base_url, deal_id) in demo.output


@pytest.mark.parametrize(
    "won", [w for w in WON_DEALS if not over_limit(w)], ids=lambda w: w.account
)
def test_a_won_deal_is_a_confirmed_erp_order_and_the_deal_has_its_number_and_ship_date(
    demo: Demo, won: WonDeal
) -> None:
    deal_id, deal = _won_deal(demo, won)
    assert deal.order_number and deal.order_state in CONFIRMED
    assert deal.planned_ship_date is not None
    erp = demo.erp.client
    (sale,) = erp.search_read(
        "sale.sale",
        [("number", "=", deal.order_number)],
        ["state", "party", "description", "shipping_date"],
    )
    assert sale["state"] in CONFIRMED
    assert marker_text(f"syncline:orders:{deal_id}") in sale["description"]
    lines = erp.search_read(
        "sale.line", [("sale", "=", sale["id"])], ["product.code", "shipping_date"]
    )
    assert sorted(ln["product."]["code"] for ln in lines) == sorted(ln.code for ln in won.lines)
    assert deal.planned_ship_date == min(ln["shipping_date"] for ln in lines)

    # The customer: the ERP party the account is a near-duplicate of, or the new debtor.
    (party,) = erp.read("party.party", [sale["party"]], ["name", "code"])
    (seeded,) = [a for a in accounts() if a.name == won.account]
    assert party["name"] == (seeded.erp_name or won.account)
    account = BottleCrmSide(demo.crm).account(str(deal.party_id))
    assert account is not None and account.data.numbers.get("erp") == party["code"]


def test_the_deal_over_the_discount_limit_waits_for_an_approval_noted_on_it(demo: Demo) -> None:
    (won,) = [w for w in WON_DEALS if over_limit(w)]
    deal_id, deal = _won_deal(demo, won)
    assert deal.order_number is None
    with demo.runtime.store.begin() as conn:
        (item,) = [i for i in list_items(conn, "orders") if i.key == f"deal:{deal_id}"]
    assert item.state == "waiting_approval" and item.error is None
    note = waiting_note(Decimal(max(ln.discount for ln in won.lines)), Decimal(DISCOUNT_LIMIT))
    comments = demo.crm.client.get(f"/api/opportunities/{deal_id}/")["comments"]
    assert [c["comment"] for c in comments].count(note) == 1
    marker = marker_text(f"syncline:orders:{deal_id}")
    assert demo.erp.client.search("sale.sale", [("description", "like", f"%{marker}")]) == []


def test_every_flow_of_the_starter_config_did_its_work_without_an_error(demo: Demo) -> None:
    rows = {row.name: row for row in flow_status(demo.runtime.store, demo.runtime.config)}
    assert set(rows) == {"orders", "shipped", "invoices", "cases", "hours", "services"}
    assert all(row.with_errors == 0 and row.states for row in rows.values()), rows
    assert rows["services"].states == {"billed": 1}
    erp = demo.erp.client

    # Warranty, defect and complaint cases are ERP complaints; their number is on the case.
    cases = BottleCrmSide(demo.crm).service_cases().values()
    filed = [c for c in cases if c.case_type is not CaseType.QUESTION]
    assert len(filed) == 3 and all(c.erp_reference and c.erp_state for c in filed)
    assert len(erp.search("sale.complaint", [("description", "like", "%syncline:cases:%")])) == 3

    # Last month's billable case time is on the ERP's service projects; the agreement is billed.
    booked = erp.search_read(
        "timesheet.line", [("description", "like", "%syncline:hours:%")], ["duration"]
    )
    assert sum(r["duration"].total_seconds() for r in booked) == (45 + 240 + 30) * 60
    (service,) = erp.search_read(
        "sale.sale", [("description", "like", "%syncline:services:%")], ["state"]
    )
    assert service["state"] in CONFIRMED


def test_the_printed_approval_command_hands_the_waiting_deal_off(demo: Demo) -> None:
    """Runs last: it approves the deal the test above found waiting."""
    (won,) = [w for w in WON_DEALS if over_limit(w)]
    deal_id, deal = _won_deal(demo, won)
    outcome = demo_run.DealOutcome(
        "orders", deal_id, deal.name, "waiting_approval", None, None, None, None, None
    )
    command = demo_run.approval_command(demo.config, outcome)
    assert command in demo.output
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _, approved = _won_deal(demo, won)
    assert approved.order_number and approved.order_state in CONFIRMED
