"""The pages in a real browser: Debian's headless Chromium driven by Playwright against the app
served by uvicorn on the loopback address. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from syncline.store.links import create_links
from syncline.store.schema import conflicts, outbox, review_items
from tests.web.conftest import PASSWORD, RealSystems, World

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _ensure_chromium() -> None:
    """Install Debian's chromium when it is missing (the test machines run as root)."""
    if CHROMIUM.exists():
        return
    assert shutil.which("apt-get") and os.geteuid() == 0, "chromium missing and cannot install"
    subprocess.run(["apt-get", "update"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "chromium", "chromium-driver"],
        check=True,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    assert CHROMIUM.exists()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's app on a loopback port, for the length of one test."""
    with _serving(world.app) as base:
        yield base


@pytest.fixture
def served_live(live_world: World) -> Iterator[str]:
    """The app with the real CRM and ERP behind it, for the length of one test."""
    with _serving(live_world.app) as base:
        yield base


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, username: str, then: str = "/") -> None:
    page.goto(f"{base}{then}")
    expect(page).to_have_url(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    _shot(page, "login")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}{then}")


@SQLITE_ONLY
def test_operator_logs_in_and_resolves_a_conflict(world: World, served: str, page: Page) -> None:
    _login(page, served, "operator")
    expect(page.locator("article[data-map=parties] .badge")).to_have_text("attention")
    expect(page.locator("svg.chart").first).to_be_visible()
    _shot(page, "dashboard")
    page.click("nav >> text=Conflicts")
    row = page.locator(f"#conflict-{world.conflict_id}")
    expect(row.locator(".side-a")).to_contain_text("Alpha Handels GmbH")
    expect(row.locator(".side-b")).to_contain_text("Alpha GmbH & Co. KG")
    _shot(page, "conflicts")
    row.locator("button.take-b").click()
    expect(page.locator(".flash")).to_have_text(f"Conflict {world.conflict_id} resolved.")
    expect(page.locator(f"#conflict-{world.conflict_id}")).to_have_count(0)
    with world.runtime.store.begin() as conn:
        decided = conn.execute(
            select(conflicts.c.resolution, conflicts.c.resolved_by).where(
                conflicts.c.id == world.conflict_id
            )
        ).one()
    assert tuple(decided) == ("b", "operator")
    world.engine.run_cycle("parties")
    assert world.systems.rows("crm")[world.crm_id].name == "Alpha GmbH & Co. KG"


@SQLITE_ONLY
def test_operator_edits_and_retries_a_dead_letter(world: World, served: str, page: Page) -> None:
    _login(page, served, "operator", then="/deadletters")
    card = page.locator(f"#job-{world.dead_letter_id}")
    expect(card.locator(".error")).to_contain_text("VAT id 'not-a-vat' is invalid")
    _shot(page, "deadletters")
    card.locator("textarea[name=values]").fill('{"name": "Gamma AS", "vat_id": "NO999"}')
    card.locator("text=Save and retry").click()
    expect(page.locator(".flash")).to_have_text(f"Job {world.dead_letter_id} queued again.")
    with world.runtime.store.begin() as conn:
        state, payload = conn.execute(
            select(outbox.c.state, outbox.c.payload).where(outbox.c.id == world.dead_letter_id)
        ).one()
    assert state == "pending" and payload["values"]["vat_id"] == "NO999"


@SQLITE_ONLY
def test_viewer_reads_every_page_but_cannot_decide(world: World, served: str, page: Page) -> None:
    _login(page, served, "viewer", then="/reviews")
    candidate = page.locator(f"#review-{world.review_id}")
    expect(candidate).to_contain_text("Müller Maschinenbau GmbH")
    expect(candidate).to_contain_text("Mueller Maschinenbau")
    expect(candidate.locator(".score")).to_contain_text("0.83")
    _shot(page, "reviews-viewer")
    page.goto(f"{served}/audit?map_name=parties&reason=create")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("create")
    _shot(page, "audit")
    page.goto(f"{served}/placement")
    expect(page.locator("tr.sharing-copied").first).to_be_visible()
    _shot(page, "placement")
    page.goto(f"{served}/reports")
    expect(page.locator("table.report")).to_contain_text("parties")
    expect(page.locator(".report-error").first).to_contain_text("no ERP is configured")
    page.goto(f"{served}/conflicts")
    expect(page.locator("button.take-a")).to_have_count(0)
    expect(page.locator("td.actions")).to_contain_text("operators decide")
    page.click("text=Log out")
    expect(page).to_have_url(f"{served}/login")


@SQLITE_ONLY
def test_operator_decides_a_review_item(world: World, served: str, page: Page) -> None:
    _login(page, served, "operator", then="/reviews")
    candidate = page.locator(f"#review-{world.review_id}")
    expect(candidate.locator(".score")).to_contain_text("0.83")
    _shot(page, "reviews")
    candidate.locator("button.decide-merge").click()
    expect(page.locator(".flash")).to_have_text(f"Review item {world.review_id} decided: merge.")
    expect(page.locator(f"#review-{world.review_id}")).to_have_count(0)
    _shot(page, "review-decided")
    with world.runtime.store.begin() as conn:
        decided = conn.execute(
            select(review_items.c.state, review_items.c.decision, review_items.c.decided_by).where(
                review_items.c.id == world.review_id
            )
        ).one()
    assert tuple(decided) == ("decided", "merge", "operator")


def _busy_party(real: RealSystems) -> str:
    """An ERP customer with posted invoices and open orders (the demo has several)."""
    client = real.erp.client
    invoiced = client.search_read(
        "account.invoice", [("type", "=", "out"), ("state", "=", "posted")], ["party"]
    )
    ordering = client.search_read("sale.sale", [("state", "=", "processing")], ["party"])
    return str(min({r["party"] for r in invoiced} & {r["party"] for r in ordering}))


@pytest.mark.integration
@pytest.mark.tryton
@pytest.mark.bottlecrm
def test_operator_enters_an_order_and_opens_the_customer_view(
    live_world: World, real_systems: RealSystems, served_live: str, page: Page
) -> None:
    account, deal = real_systems.account, real_systems.deal
    # the demo deal names its contact person; the form shows it above the lines
    assert deal.contact_id is not None, f"the demo deal {deal.name!r} names no contact person"
    contact = real_systems.crm.contact(deal.contact_id)
    assert contact is not None and contact.name, deal.contact_id
    _login(page, served_live, "operator", then="/customers")
    expect(page.locator(f"#account-{account.id}")).to_contain_text(account.name)
    _shot(page, "customers")
    page.click("nav >> text=Order entry")
    page.select_option("#pick-account", account.id)
    page.click("form.pick button")
    page.select_option("#pick-deal", deal.id)
    page.click("form.pick button")
    expect(page.locator("section.order-entry h2")).to_contain_text(deal.name)
    expect(page.locator("#contact-person")).to_contain_text(f"Contact person: {contact.name}")
    matched = page.locator("tr.line select[name=product_id]").first
    expect(matched).not_to_have_value("")
    page.locator("tr.line input[name=quantity]").first.fill("2")
    page.click("#check")
    expect(page.locator("#ship-date")).not_to_have_text("—")
    expect(page.locator("tr.line td.on-hand").first).not_to_have_text("—")
    _shot(page, "order-entry")
    page.click("#place-order")
    expect(page).to_have_url(re.compile(rf"/customers/{account.id}\?done=Order"))
    flash = page.locator(".flash").inner_text()
    found = re.search(r"Order (\S+) placed \((confirmed|processing)\); ships (\S+)\.", flash)
    assert found is not None, flash
    [sale] = real_systems.erp.client.search_read(
        "sale.sale", [("number", "=", found.group(1))], ["id", "party"]
    )
    assert str(sale["party"]) == real_systems.party_id
    expect(page.locator(f"#order-{sale['id']}")).to_contain_text(found.group(1))
    expect(page.locator(".crm-side")).to_contain_text(account.name)
    expect(page.locator(".erp-side .receivable")).not_to_be_empty()
    expect(page.locator(".as-of")).to_contain_text("Live, as of")
    _shot(page, "customer-after-order")
    # a CRM account linked (by the party map) to an ERP customer with invoices and open orders
    other = next(a for a in real_systems.crm.accounts() if not a.erp_number)
    party = _busy_party(real_systems)
    with live_world.runtime.store.begin() as conn:
        create_links(conn, "parties", "party", [(other.id, party)], "manual")
    truth = real_systems.erp.customer_account(party)
    page.goto(f"{served_live}/customers/{other.id}")
    expect(page.locator(".erp-side h2")).to_contain_text(f"customer #{party}")
    expect(page.locator(".erp-side .receivable")).to_have_text(
        f"{truth.receivable:,.2f} {truth.currency}"
    )
    expect(page.locator(".erp-side table.invoices tbody tr")).to_have_count(
        len(truth.last_invoices)
    )
    _shot(page, "customer")
    page.goto(f"{served_live}/reports?days=30")
    expect(page.locator("#workload .entered")).to_have_text("1")
    expect(page.locator("#order-volume svg.chart")).to_be_visible()
    _shot(page, "reports")
