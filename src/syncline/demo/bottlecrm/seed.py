"""Demo data for BottleCRM, loaded through its REST API with syncline's own connector.

First the custom fields syncline's mappings use are created (``ensure_custom_fields``).

Accounts are near-duplicates of the demo ERP's customers (``seed_data``) plus a few prospects;
each has a contact and a deal, and the deals cover every pipeline stage. Estimates with lines
use a few products of the ERP catalogue (listed in the CRM by ERP code). The won deals of
``WON_DEALS`` carry an estimate the customer accepted: what the order handoff takes to the ERP.
Cases of each type name orders of the demo ERP and carry last month's time entries; one account
has a monthly service agreement (a recurring invoice).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from pydantic import SecretStr

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm.connector import BottleCrmConnector
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.demo.bottlecrm.seed_data import WON_DEALS, DemoAccount, WonDeal, accounts, catalogue
from syncline.errors import ConnectorError
from syncline.model import (
    Address,
    CanonicalEntity,
    CasePriority,
    CaseType,
    Contact,
    DocumentLine,
    Money,
    Opportunity,
    OpportunityStatus,
    Party,
    Product,
    Quote,
    ServiceCase,
)

_STATUS = {"CLOSED_WON": OpportunityStatus.WON, "CLOSED_LOST": OpportunityStatus.LOST}


@dataclass(frozen=True)
class DemoCase:
    """A demo case: its account (index in ``accounts()``), the ERP order and product it is
    about, and the time logged on it last month (day of month, minutes, text, billable)."""

    title: str
    case_type: CaseType
    priority: CasePriority
    account: int
    product_code: str | None
    order_number: str | None
    time: tuple[tuple[int, int, str, bool], ...]


# The demo ERP numbers its seeded sales in creation order (``demo.tryton.seed_company``):
# sale 18 is Schäfer Maschinenbau's press P200 (ERP customer 0), sales 14 (a control board
# ERS-043) and 29 (end mills WER-012, not shipped yet) are Fischer & Richter's (customer 6).
# Billable time only on accounts whose ERP customer has a service project (customers 0-4).
CASES = (
    DemoCase("Presse P200: Hydraulik verliert Druck", CaseType.DEFECT, CasePriority.HIGH,
             0, "MAS-052", "18",
             ((10, 45, "Ferndiagnose", True), (12, 240, "Einsatz vor Ort", True))),
    DemoCase("Liefertermin Schaftfräser überschritten", CaseType.COMPLAINT, CasePriority.NORMAL,
             6, "WER-012", "29", ((13, 30, "Rückruf beim Kunden", False),)),
    DemoCase("Garantie Steuerplatine: Ausfall nach drei Wochen", CaseType.WARRANTY,
             CasePriority.URGENT, 6, "ERS-043", "14", ((11, 60, "Ferndiagnose", False),)),
    DemoCase("Frage zum Wartungsintervall", CaseType.QUESTION, CasePriority.LOW,
             3, None, None, ((14, 30, "Telefonische Beratung", True),)),
)  # fmt: skip
"""The demo cases; warranty, defect and complaint become ERP complaints (service cases flow)."""

AGREEMENT_ACCOUNT = 1
"""The account (index in ``accounts()``) with a monthly service agreement."""


def _create(connector: BottleCrmConnector, entity: str, datas: list[CanonicalEntity]) -> list[str]:
    requests = [WriteRequest(WriteOp.CREATE, entity, f"seed-{uuid.uuid4()}", data=d) for d in datas]
    ids = []
    for result in connector.write(entity, requests):
        if result.error is not None or not result.native_id:
            raise ConnectorError(f"seeding {entity} failed: {result.error}")
        ids.append(result.native_id)
    return ids


def _party(account: DemoAccount) -> Party:
    return Party(
        name=account.name,
        numbers={"erp": account.erp_number} if account.erp_number else {},
        emails=[f"info@{account.email.split('@')[1]}"],
        phones=[account.phone],
        addresses=[
            Address(
                street=account.street,
                postal_code=account.postal_code,
                city=account.city,
                country=account.country,
            )
        ],
        currency=account.currency,
    )


def seed_demo_data(url: str, token: str) -> None:
    """Create the demo products, accounts, contacts, deals, estimates (some accepted), cases,
    time entries and a service agreement."""
    settings = BottleCrmSettings.model_validate({"url": url, "token": SecretStr(token)})
    connector = BottleCrmConnector("crm", settings)
    try:
        connector.ensure_custom_fields()
        demo = accounts()
        account_ids = _create(connector, "party", [_party(a) for a in demo])
        contacts: list[CanonicalEntity] = [
            Contact(
                first_name=a.contact_first,
                last_name=a.contact_last,
                party_id=account_id,
                role="Einkauf",
                email=a.email,
                phone=a.phone,
            )
            for a, account_id in zip(demo, account_ids, strict=True)
        ]
        contact_ids = _create(connector, "contact", contacts)
        today = date.today()
        deals: list[CanonicalEntity] = [
            Opportunity(
                name=f"{a.name}: Rahmenvertrag {today.year}",
                party_id=account_id,
                contact_id=contact_id,
                stage=a.deal_stage,
                status=_STATUS.get(a.deal_stage, OpportunityStatus.OPEN),
                amount=Money(amount=Decimal(a.deal_amount), currency=a.currency),
                probability=50,
                expected_close=today + timedelta(days=30 + 7 * i),
            )
            for i, (a, account_id, contact_id) in enumerate(
                zip(demo, account_ids, contact_ids, strict=True)
            )
        ]
        deal_ids = _create(connector, "opportunity", deals)
        product_ids = _seed_products(connector)
        _seed_quotes(connector, demo, account_ids, deal_ids, product_ids)
        _seed_won_deals(connector, demo, (account_ids, contact_ids, deal_ids), product_ids)
        _seed_cases(connector, account_ids, contact_ids)
        _seed_agreement(
            connector,
            demo[AGREEMENT_ACCOUNT].name,
            (account_ids[AGREEMENT_ACCOUNT], contact_ids[AGREEMENT_ACCOUNT]),
        )
    finally:
        connector.close()


def _seed_products(connector: BottleCrmConnector) -> dict[str, str]:
    """The catalogue excerpt; returns product id by ERP code."""
    items = catalogue()
    products: list[CanonicalEntity] = [
        Product(
            code=p.code,
            name=p.name,
            list_price=Money(amount=Decimal(p.list_price), currency="EUR"),
            kind=p.kind,
        )
        for p in items
    ]
    ids = _create(connector, "product", products)
    return {p.code: native_id for p, native_id in zip(items, ids, strict=True)}


def _seed_quotes(
    connector: BottleCrmConnector,
    demo: list[DemoAccount],
    account_ids: list[str],
    deal_ids: list[str],
    product_ids: dict[str, str],
) -> None:
    codes = list(product_ids)
    prices = {p.code: Decimal(p.list_price) for p in catalogue()}
    quotes: list[CanonicalEntity] = []
    for n, i in enumerate((0, 2, 3, 9)):
        first, second = codes[n % len(codes)], codes[(n + 2) % len(codes)]
        quotes.append(
            Quote(
                title=f"Angebot {demo[i].name}",
                party_id=account_ids[i],
                opportunity_id=deal_ids[i],
                currency=demo[i].currency,
                valid_until=date.today() + timedelta(days=30),
                lines=[
                    DocumentLine(
                        product_id=product_ids[first],
                        product_code=first,
                        description="Maschine inkl. Aufstellung",
                        quantity=Decimal(1),
                        unit_price=prices[first],
                        discount=Decimal(5 * n),
                    ),
                    DocumentLine(
                        product_id=product_ids[second],
                        product_code=second,
                        description="Zubehör",
                        quantity=Decimal(4),
                        unit_price=prices[second],
                    ),
                    DocumentLine(
                        description="Servicetechniker (h)",
                        quantity=Decimal(16),
                        unit_price=Decimal("95.00"),
                    ),
                ],
            )
        )
    _create(connector, "quote", quotes)


def _quote_total(deal: WonDeal) -> Decimal:
    prices = {p.code: Decimal(p.list_price) for p in catalogue()}
    return sum(
        (prices[ln.code] * ln.quantity * (100 - ln.discount) / 100 for ln in deal.lines),
        Decimal(0),
    ).quantize(Decimal("0.01"))


def _seed_won_deals(
    connector: BottleCrmConnector,
    demo: list[DemoAccount],
    ids: tuple[list[str], list[str], list[str]],
    product_ids: dict[str, str],
) -> None:
    """The won deals with a quote the customer accepted (``WON_DEALS``)."""
    account_ids, contact_ids, deal_ids = ids
    index = {a.name: i for i, a in enumerate(demo)}
    items = {p.code: p for p in catalogue()}
    for won in WON_DEALS:
        i = index[won.account]
        deal_id = deal_ids[i]
        if won.deal is None and demo[i].deal_stage != "CLOSED_WON":
            raise ValueError(f"the demo deal of {won.account} is not won; give WON_DEALS a deal")
        if won.deal is not None:
            (deal_id,) = _create(
                connector,
                "opportunity",
                [
                    Opportunity(
                        name=won.deal,
                        party_id=account_ids[i],
                        contact_id=contact_ids[i],
                        stage="CLOSED_WON",
                        status=OpportunityStatus.WON,
                        amount=Money(amount=_quote_total(won), currency=demo[i].currency),
                        probability=100,
                        expected_close=date.today(),
                    )
                ],
            )
        quote = Quote(
            title=f"{won.account}: Auftragsangebot",
            party_id=account_ids[i],
            opportunity_id=deal_id,
            currency=demo[i].currency,
            valid_until=date.today() + timedelta(days=30),
            lines=[
                DocumentLine(
                    product_id=product_ids[ln.code],
                    product_code=ln.code,
                    description=items[ln.code].name,
                    quantity=Decimal(ln.quantity),
                    unit_price=Decimal(items[ln.code].list_price),
                    discount=Decimal(ln.discount),
                )
                for ln in won.lines
            ],
        )
        (estimate_id,) = _create(connector, "quote", [quote])
        _accept(connector, estimate_id, demo[i])


def _accept(connector: BottleCrmConnector, estimate_id: str, account: DemoAccount) -> None:
    """Send the estimate and accept it on BottleCRM's customer portal, as the customer would
    (BottleCRM moves an estimate to Accepted only this way)."""
    path = f"/api/invoices/estimates/{estimate_id}/"
    connector.client.post(f"{path}send/", {})
    token = connector.client.get(path)["estimate"]["public_token"]
    reply = httpx.post(
        f"{connector.client.base_url}/api/public/estimate/{token}/accept/",
        json={"name": f"{account.contact_first} {account.contact_last}", "email": account.email},
        timeout=30.0,
    )
    if reply.status_code != 200:
        raise ConnectorError(f"accepting estimate {estimate_id} failed: {reply.text[:200]}")


def _last_month(day: int, hour: int) -> datetime:
    first = date.today().replace(day=1) - timedelta(days=1)
    return datetime(first.year, first.month, day, hour, tzinfo=UTC)


def _seed_cases(
    connector: BottleCrmConnector, account_ids: list[str], contact_ids: list[str]
) -> None:
    cases: list[CanonicalEntity] = [
        ServiceCase(
            title=case.title,
            description="Vom Kunden telefonisch gemeldet.",
            party_id=account_ids[case.account],
            contact_id=contact_ids[case.account],
            case_type=case.case_type,
            priority=case.priority,
            product_code=case.product_code,
            order_number=case.order_number,
        )
        for case in CASES
    ]
    case_ids = _create(connector, "service_case", cases)
    for case, case_id in zip(CASES, case_ids, strict=True):
        for day, minutes, text, billable in case.time:
            started = _last_month(day, 8)
            connector.client.post(
                f"/api/cases/{case_id}/time-entries/",
                {
                    "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(minutes=minutes)).isoformat(),
                    "description": text,
                    "billable": billable,
                },
            )


def _seed_agreement(
    connector: BottleCrmConnector, name: str, account_contact: tuple[str, str]
) -> None:
    """A monthly wear-parts subscription (a BottleCRM recurring invoice) at contract prices,
    since the start of the month three months ago; the ERP bills it. (Goods: the service
    billing flow orders its lines in the unit "u", which Tryton refuses for hourly services.)"""
    start = date.today().replace(day=1)
    for _ in range(3):
        start = (start - timedelta(days=1)).replace(day=1)
    positions = (("WER-011", "Schaftfräser Ø6 mm, Monatsbedarf", 20, "34.00"),
                 ("ERS-023", "Antriebsriemen, Monatsbedarf", 2, "60.00"))  # fmt: skip
    account_id, contact_id = account_contact
    connector.client.post(
        "/api/invoices/recurring/",
        {
            "title": f"Verschleißteil-Abo {name}",
            "account_id": account_id,
            "contact_id": contact_id,
            "frequency": "MONTHLY",
            "start_date": start.isoformat(),
            "currency": "EUR",
            "line_items": [
                {
                    "name": code,
                    "description": text,
                    "quantity": str(quantity),
                    "unit_price": price,
                    "order": n,
                }
                for n, (code, text, quantity, price) in enumerate(positions)
            ],
        },
    )
