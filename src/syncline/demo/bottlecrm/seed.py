"""Demo data for BottleCRM, loaded through its REST API with syncline's own connector.

First the custom fields syncline's mappings use are created (``ensure_custom_fields``).

Accounts are near-duplicates of the demo ERP's customers (``seed_data``) plus a few prospects;
each has a contact and a deal, and the deals cover every pipeline stage. Estimates with lines
use a few products of the ERP catalogue (listed in the CRM by ERP code); cases of each type
carry time entries; one deal has a shipment notice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm.connector import BottleCrmConnector
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.demo.bottlecrm.seed_data import DemoAccount, accounts, catalogue
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

CASES = (
    ("Spindel läuft heiß", CaseType.DEFECT, CasePriority.HIGH, "MAS-011"),
    ("Ersatzteil fehlt in Lieferung", CaseType.COMPLAINT, CasePriority.NORMAL, "ERS-023"),
    ("Garantie Bohrwerk: Lager defekt", CaseType.WARRANTY, CasePriority.URGENT, "MAS-042"),
    ("Frage zum Wartungsintervall", CaseType.QUESTION, CasePriority.LOW, None),
)
"""Demo cases: title, type, priority, product code."""


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
    """Create the demo products, accounts, contacts, deals, estimates, cases, time entries
    and a notice."""
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
        _seed_cases(connector, account_ids, contact_ids)
        connector.post_notice(
            ErpDocumentNotice(
                kind=NoticeKind.SHIPMENT,
                reference="SH-1001",
                summary="Lieferung versandt",
                opportunity_id=deal_ids[4],
            )
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


def _seed_cases(
    connector: BottleCrmConnector, account_ids: list[str], contact_ids: list[str]
) -> None:
    cases: list[CanonicalEntity] = [
        ServiceCase(
            title=title,
            description="Vom Kunden telefonisch gemeldet.",
            party_id=account_ids[i],
            contact_id=contact_ids[i],
            case_type=case_type,
            priority=priority,
            product_code=code,
            order_number=f"SO{1000 + i}" if case_type is not CaseType.QUESTION else None,
        )
        for i, (title, case_type, priority, code) in enumerate(CASES)
    ]
    case_ids = _create(connector, "service_case", cases)
    now = datetime.now(UTC).replace(microsecond=0)
    for i, case_id in enumerate(case_ids[:3]):
        entries = [(3, "Ferndiagnose")] + ([(26, "Einsatz vor Ort")] if i == 0 else [])
        for hours, text in entries:
            connector.client.post(
                f"/api/cases/{case_id}/time-entries/",
                {
                    "started_at": (now - timedelta(hours=hours)).isoformat(),
                    "ended_at": (now - timedelta(hours=hours - 1, minutes=15 * i)).isoformat(),
                    "description": text,
                    "billable": i != 2,
                },
            )
