"""Customer 360 against the real BottleCRM and Tryton: CRM data beside the ERP's live figures,
the ERP customer found by link or by debtor number, and the cached answer served as stale when
the ERP is stopped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape
from pathlib import Path

import pytest

from syncline.demo import tryton
from syncline.errors import TransientError
from syncline.store.links import create_links
from syncline.web.app import create_app
from syncline.web.live import LiveCache, LiveSystems
from syncline.web.live_tryton import TrytonDesk
from tests.support.live_systems import running_tryton, tryton_connector
from tests.web.conftest import RealSystems, World, login

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def test_the_customer_list_comes_from_the_crm(live_world: World, real_systems: RealSystems) -> None:
    client = live_world.client("viewer")
    listed = client.get("/api/customers").json()
    assert [a["name"] for a in listed] == [a.name for a in real_systems.crm.accounts()]
    wanted = real_systems.account.name[:6]
    found = client.get("/api/customers", params={"q": wanted.lower()}).json()
    assert real_systems.account.id in {a["id"] for a in found}
    assert all(wanted.casefold() in a["name"].casefold() for a in found)


def test_customer_360_shows_crm_data_beside_the_erp_figures(
    live_world: World, real_systems: RealSystems
) -> None:
    account = real_systems.account
    view = live_world.client("viewer").get(f"/api/customers/{account.id}").json()
    assert view["account"]["name"] == account.name
    assert view["account"]["erp_number"] == account.erp_number
    assert real_systems.deal.id in {d["id"] for d in view["deals"]}
    assert view["erp_party_id"] == real_systems.party_id
    truth = real_systems.erp.customer_account(real_systems.party_id)
    erp = view["erp"]
    assert Decimal(erp["receivable"]) == truth.receivable
    assert Decimal(erp["overdue"]) == truth.overdue
    assert Decimal(erp["revenue_this_year"]) == truth.revenue_this_year
    assert Decimal(erp["revenue_last_year"]) == truth.revenue_last_year
    assert erp["credit_limit"] == (None if truth.credit_limit is None else str(truth.credit_limit))
    assert [i["native_id"] for i in erp["last_invoices"]] == [
        i.native_id for i in truth.last_invoices
    ]
    assert [o["native_id"] for o in erp["open_orders"]] == [o.native_id for o in truth.open_orders]
    assert view["erp_stale"] is False and view["erp_error"] is None
    as_of = datetime.fromisoformat(view["erp_as_of"])
    assert datetime.now(UTC) - as_of < timedelta(minutes=1)


def test_the_customer_page_puts_both_systems_side_by_side(
    live_world: World, real_systems: RealSystems
) -> None:
    client = live_world.client()
    login(client, "viewer")
    page = client.get(f"/customers/{real_systems.account.id}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    truth = real_systems.erp.customer_account(real_systems.party_id)
    assert escape(real_systems.account.name) in text
    assert escape(real_systems.deal.name) in text
    assert f"{truth.receivable:,.2f} {truth.currency}" in text
    assert "Live, as of" in text and "Stale as of" not in text
    assert f'href="/orders/new?account_id={real_systems.account.id}&amp;deal_id=' in text


def test_a_party_link_names_the_erp_customer(live_world: World, real_systems: RealSystems) -> None:
    numbered = {a.id for a in real_systems.crm.accounts() if a.erp_number}
    other = next(a for a in real_systems.crm.accounts() if a.id not in numbered)
    client = live_world.client("viewer")
    before = client.get(f"/api/customers/{other.id}").json()
    assert before["erp_party_id"] is None and before["erp"] is None
    with live_world.runtime.store.begin() as conn:
        create_links(conn, "parties", "party", [(other.id, real_systems.party_id)], "manual")
    after = client.get(f"/api/customers/{other.id}").json()
    assert after["erp_party_id"] == real_systems.party_id
    assert after["erp"]["party_id"] == real_systems.party_id


def test_unknown_accounts_are_not_found(live_world: World) -> None:
    client = live_world.client("viewer")
    answer = client.get("/api/customers/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    assert "has no account" in answer.json()["detail"]


def test_without_a_crm_the_customer_routes_say_what_to_configure(world: World) -> None:
    answer = world.client("viewer").get("/api/customers")
    assert answer.status_code == 409
    assert "bottlecrm" in answer.json()["detail"]


@pytest.fixture
def own_erp(tmp_path: Path) -> Iterator[tryton.TrytonInstance]:
    """A trytond of this test alone: the test stops it."""
    with running_tryton(tmp_path / "own-erp") as instance:
        yield instance


def test_a_stopped_erp_shows_the_cached_figures_as_stale(
    live_world: World, real_systems: RealSystems, own_erp: tryton.TrytonInstance
) -> None:
    with tryton_connector(own_erp, retries=0) as connector:
        live = LiveSystems(
            crm=real_systems.crm, erp=TrytonDesk(connector), cache=LiveCache(ttl=0.0)
        )
        app = create_app(live_world.runtime, live=live)
        world = World(**{**live_world.__dict__, "app": app})
        client = world.client()
        login(client, "viewer")
        path = f"/customers/{real_systems.account.id}"
        fresh = client.get(path, headers={"Accept": "text/html"}).text
        assert "Live, as of" in fresh
        first = world.client("viewer").get(f"/api/customers/{real_systems.account.id}").json()
        assert first["erp_stale"] is False
        tryton.stop(Path(own_erp.state_dir))
        with pytest.raises(TransientError):
            connector.client.search("party.party", [], limit=1)
        stale = world.client("viewer").get(f"/api/customers/{real_systems.account.id}").json()
        assert stale["erp_stale"] is True
        assert stale["erp_as_of"] == first["erp_as_of"]
        assert stale["erp"] == first["erp"]
        assert "cannot reach Tryton" in (stale["erp_error"] or "")
        page = client.get(path, headers={"Accept": "text/html"}).text
        as_of = datetime.fromisoformat(first["erp_as_of"]).strftime("%Y-%m-%d %H:%M:%S UTC")
        assert f"Stale as of {as_of}" in page
        assert escape(real_systems.account.name) in page


def test_without_any_cached_answer_a_stopped_erp_is_reported(
    live_world: World, real_systems: RealSystems, own_erp: tryton.TrytonInstance
) -> None:
    with tryton_connector(own_erp, retries=0) as connector:
        tryton.stop(Path(own_erp.state_dir))
        live = LiveSystems(crm=real_systems.crm, erp=TrytonDesk(connector))
        world = World(**{**live_world.__dict__, "app": create_app(live_world.runtime, live=live)})
        view = world.client("viewer").get(f"/api/customers/{real_systems.account.id}").json()
    assert view["account"]["name"] == real_systems.account.name
    assert view["erp"] is None and view["erp_stale"] is False
    assert "the ERP did not answer" in view["erp_error"]


def test_no_system_secret_reaches_a_live_page_an_answer_or_the_log(
    live_world: World, real_systems: RealSystems, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = live_world.client()
    login(client, "admin")
    account, deal = real_systems.account.id, real_systems.deal.id
    seen = [
        client.get(path, headers={"Accept": "text/html"}).text
        for path in (
            "/customers",
            f"/customers/{account}",
            f"/orders/new?account_id={account}&deal_id={deal}",
            "/reports",
        )
    ]
    seen += [
        client.get(path).text
        for path in (
            "/api/customers",
            f"/api/customers/{account}",
            f"/api/orders/proposal?account_id={account}&deal_id={deal}",
            "/api/erp/products",
            "/api/reports/business",
        )
    ]
    assert all("<html" in text or text.startswith(("[", "{")) for text in seen)
    secrets = [
        real_systems.tryton.password,
        real_systems.crm.connector.settings.token.get_secret_value(),
    ]
    for text in [*seen, caplog.text]:
        for secret in secrets:
            assert secret not in text
