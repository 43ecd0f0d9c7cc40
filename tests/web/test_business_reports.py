"""Reports across both systems, checked against what the real Tryton and BottleCRM hold, and
the SVG bar chart they are drawn with."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from syncline.connectors.bottlecrm.client import ListShape
from syncline.web.business_reports import ORDERED_STATES
from syncline.web.charts import bar_chart
from syncline.web.live_bottlecrm import CASES_SHAPE, ESTIMATES, ESTIMATES_SHAPE
from syncline.web.schemas import SeriesPoint
from tests.web.conftest import RealSystems, World, login


def _created_since(real: RealSystems, path: str, shapes: Sequence[ListShape], since: date) -> int:
    client = real.crm.connector.client
    count = 0
    for page in client.pages(path, shapes):
        for row in page:
            stamp = datetime.fromisoformat(str(row["created_at"]).replace("Z", "+00:00"))
            count += stamp.date() >= since
    return count


@pytest.mark.integration
@pytest.mark.tryton
@pytest.mark.bottlecrm
def test_the_business_report_adds_up_what_both_systems_hold(
    live_world: World, real_systems: RealSystems
) -> None:
    client = live_world.client("operator")
    (product,) = [p for p in real_systems.erp.products() if p.goods][:1]
    placed = client.post(
        "/api/orders",
        json={
            "account_id": real_systems.account.id,
            "deal_id": real_systems.deal.id,
            "lines": [{"product_id": product.id, "quantity": "1", "unit_price": "5"}],
        },
    )
    assert placed.status_code == 201, placed.text
    report = client.get("/api/reports/business", params={"days": 30}).json()
    today = datetime.now(UTC).date()
    since = today - timedelta(days=29)
    assert report["since"] == since.isoformat()
    sales = real_systems.erp.client.search_read(
        "sale.sale", [("sale_date", ">=", since)], ["sale_date", "state", "untaxed_amount"]
    )
    ordered = [s for s in sales if s["state"] in ORDERED_STATES]
    assert sum(p["value"] for p in report["order_volume"]) == len(ordered)
    assert len(report["order_volume"]) == 30
    assert Decimal(report["order_value"]) == sum((s["untaxed_amount"] for s in ordered), Decimal(0))
    quotes = _created_since(real_systems, ESTIMATES, ESTIMATES_SHAPE, since)
    conversion = report["conversion"]
    assert conversion["quotes"] == quotes and conversion["orders"] == len(ordered)
    assert conversion["quote_to_order"] == round(len(ordered) / quotes, 4)
    deals = [d for a in real_systems.crm.accounts() for d in real_systems.crm.deals(a.id)]
    assert conversion["deals_won"] == sum(d.status == "won" for d in deals)
    assert conversion["deals_lost"] == sum(d.status == "lost" for d in deals)
    quality = report["quality"]
    complaints = real_systems.erp.client.search("sale.complaint", [("date", ">=", since)])
    assert quality["complaints"] == len(complaints)
    assert quality["cases"] == _created_since(real_systems, "/api/cases/", CASES_SHAPE, since)
    assert report["workload"]["entered"] == 1
    assert report["workload"]["by_user"] == {"operator": 1}
    assert report["workload"]["per_day"][-1]["value"] == 1
    assert report["stale"] is False and report["errors"] == []


@pytest.mark.integration
@pytest.mark.tryton
@pytest.mark.bottlecrm
def test_the_reports_page_draws_the_business_charts(
    live_world: World, real_systems: RealSystems
) -> None:
    client = live_world.client()
    login(client, "viewer")
    page = client.get("/reports", params={"days": 30}, headers={"Accept": "text/html"}).text
    for section in ("order-volume", "conversion", "quality", "workload"):
        assert f'id="{section}"' in page
    assert 'aria-label="ERP orders per day"' in page
    assert len(re.findall(r'<rect class="bar"', page)) == 60  # two charts of 30 days
    assert "Sync health since" in page


def test_without_crm_and_erp_the_report_says_what_is_missing(world: World) -> None:
    report = world.client("viewer").get("/api/reports/business").json()
    assert report["order_volume"] is None and report["conversion"] is None
    assert report["errors"] == [
        "no ERP is configured: order volume, returns and complaints need one",
        "no CRM is configured: quotes, deals and cases need one",
    ]
    assert report["workload"]["entered"] == 0


def test_bars_are_as_high_as_their_values() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    points = [SeriesPoint(at=start + timedelta(days=i), value=v) for i, v in enumerate([0, 2, 4])]
    svg = bar_chart(points, "Orders <per> day")
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([0-9.]+)"', svg)]
    assert len(heights) == 3
    assert heights[0] == 0 and heights[2] == pytest.approx(2 * heights[1])
    assert "Orders &lt;per&gt; day" in svg and "<per>" not in svg
    assert "05-01" in svg and "05-03" in svg
