"""Demo data for BottleCRM, loaded through its REST API with syncline's own connector.

The accounts include realistic near-duplicates of the demo ERP's customers (German, Austrian,
Swiss, Norwegian and Danish companies spelled the way a sales person types them: "Mueller
Maschinenbau" in the CRM where the ERP has "Müller Maschinenbau GmbH"), so that matching has
real work to do. Two accounts already carry their ERP debtor number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm.connector import BottleCrmConnector
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.errors import ConnectorError
from syncline.model import (
    Address,
    CanonicalEntity,
    Contact,
    Money,
    Opportunity,
    OpportunityStatus,
    Party,
)


@dataclass(frozen=True)
class DemoCompany:
    """One demo CRM account with its main contact and a deal."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str
    currency: str
    contact_first: str
    contact_last: str
    email: str
    phone: str
    deal_stage: str
    deal_amount: str
    erp_number: str | None = None


COMPANIES = (
    DemoCompany("Mueller Maschinenbau", "Industriestr. 12", "70565", "Stuttgart", "DE", "EUR",
                "Hans", "Mueller", "h.mueller@mueller-maschinenbau.de", "+49 711 4455660",
                "PROPOSAL", "48500.00"),
    DemoCompany("Schmidt & Soehne Werkzeugbau", "Am Hafen 3", "28217", "Bremen", "DE", "EUR",
                "Petra", "Schmidt", "p.schmidt@schmidt-soehne.de", "+49 421 339900",
                "QUALIFICATION", "12900.00"),
    DemoCompany("Nordwind Logistik GmbH", "Speicherstadt 7", "20457", "Hamburg", "DE", "EUR",
                "Jens", "Petersen", "jens.petersen@nordwind-logistik.de", "+49 40 2233440",
                "CLOSED_WON", "23750.00", erp_number="D10005"),
    DemoCompany("Huber Holzbau", "Salzburger Str. 45", "4020", "Linz", "AT", "EUR",
                "Florian", "Huber", "f.huber@huber-holzbau.at", "+43 732 778899",
                "NEGOTIATION", "31200.00"),
    DemoCompany("Alpenmilch Vertrieb", "Innrain 8", "6020", "Innsbruck", "AT", "EUR",
                "Maria", "Gruber", "m.gruber@alpenmilch.at", "+43 512 556677",
                "PROSPECTING", "8600.00"),
    DemoCompany("Zuercher Praezisionsteile", "Hardturmstrasse 101", "8005", "Zürich", "CH", "CHF",
                "Urs", "Brunner", "urs.brunner@zh-praezision.ch", "+41 44 5551234",
                "PROPOSAL", "56000.00"),
    DemoCompany("Berner Uhrenwerkstatt AG", "Marktgasse 22", "3011", "Bern", "CH", "CHF",
                "Regula", "Meier", "r.meier@berner-uhren.ch", "+41 31 3123456",
                "CLOSED_LOST", "14000.00", erp_number="D10009"),
    DemoCompany("Fjordkraft Maritime", "Bryggen 14", "5003", "Bergen", "NO", "EUR",
                "Ola", "Nordmann", "ola.nordmann@fjordkraft-maritime.no", "+47 55 301020",
                "QUALIFICATION", "42000.00"),
    DemoCompany("Bjoernstad Verksted AS", "Strandgata 5", "7013", "Trondheim", "NO", "EUR",
                "Kari", "Bjørnstad", "kari@bjornstad-verksted.no", "+47 73 505050",
                "PROSPECTING", "9900.00"),
    DemoCompany("Soenderborg Plast", "Havnevej 18", "6400", "Sønderborg", "DK", "EUR",
                "Mette", "Jensen", "mette.jensen@sonderborg-plast.dk", "+45 74 424242",
                "NEGOTIATION", "27500.00"),
    DemoCompany("Aalborg Fisk A/S", "Fjordgade 9", "9000", "Aalborg", "DK", "EUR",
                "Lars", "Christensen", "lc@aalborgfisk.dk", "+45 98 121212",
                "CLOSED_WON", "18300.00"),
)  # fmt: skip

_STATUS = {"CLOSED_WON": OpportunityStatus.WON, "CLOSED_LOST": OpportunityStatus.LOST}


def _create(connector: BottleCrmConnector, entity: str, datas: list[CanonicalEntity]) -> list[str]:
    requests = [WriteRequest(WriteOp.CREATE, entity, f"seed-{uuid.uuid4()}", data=d) for d in datas]
    ids = []
    for result in connector.write(entity, requests):
        if result.error is not None or not result.native_id:
            raise ConnectorError(f"seeding {entity} failed: {result.error}")
        ids.append(result.native_id)
    return ids


def seed_demo_data(url: str, token: str) -> None:
    """Create the demo accounts, contacts, deals, estimates, cases, time entries and notices."""
    settings = BottleCrmSettings.model_validate({"url": url, "token": SecretStr(token)})
    connector = BottleCrmConnector("crm", settings)
    try:
        parties: list[CanonicalEntity] = [
            Party(
                name=c.name,
                numbers={"erp": c.erp_number} if c.erp_number else {},
                emails=[f"info@{c.email.split('@')[1]}"],
                phones=[c.phone],
                addresses=[
                    Address(
                        street=c.street, postal_code=c.postal_code, city=c.city, country=c.country
                    )
                ],
                currency=c.currency,
            )
            for c in COMPANIES
        ]
        account_ids = _create(connector, "party", parties)
        contacts: list[CanonicalEntity] = [
            Contact(
                first_name=c.contact_first,
                last_name=c.contact_last,
                party_id=account_id,
                role="Einkauf",
                email=c.email,
                phone=c.phone,
            )
            for c, account_id in zip(COMPANIES, account_ids, strict=True)
        ]
        contact_ids = _create(connector, "contact", contacts)
        today = date.today()
        deals: list[CanonicalEntity] = [
            Opportunity(
                name=f"{c.name}: Rahmenvertrag {today.year}",
                party_id=account_id,
                contact_id=contact_id,
                stage=c.deal_stage,
                status=_STATUS.get(c.deal_stage, OpportunityStatus.OPEN),
                amount=Money(amount=Decimal(c.deal_amount), currency=c.currency),
                probability=50,
                expected_close=today + timedelta(days=30 + 7 * i),
            )
            for i, (c, account_id, contact_id) in enumerate(
                zip(COMPANIES, account_ids, contact_ids, strict=True)
            )
        ]
        deal_ids = _create(connector, "opportunity", deals)
        _seed_service_and_quotes(connector, account_ids, contact_ids, deal_ids)
    finally:
        connector.close()


def _seed_service_and_quotes(
    connector: BottleCrmConnector,
    account_ids: list[str],
    contact_ids: list[str],
    deal_ids: list[str],
) -> None:
    client = connector.client
    for i in range(3):
        client.post(
            "/api/invoices/estimates/",
            {
                "title": f"Angebot {COMPANIES[i].name}",
                "account_id": account_ids[i],
                "contact_id": contact_ids[i],
                "opportunity_id": deal_ids[i],
                "currency": COMPANIES[i].currency,
                "line_items": [
                    {"description": "Wartungsvertrag", "quantity": "1", "unit_price": "4800.00"},
                    {
                        "description": "Servicetechniker (h)",
                        "quantity": "16",
                        "unit_price": "95.00",
                    },
                ],
            },
        )
    now = datetime.now(UTC).replace(microsecond=0)
    for i, (title, priority) in enumerate(
        (("Spindel läuft heiß", "High"), ("Ersatzteil fehlt in Lieferung", "Normal"))
    ):
        case = client.post(
            "/api/cases/",
            {
                "name": title,
                "status": "New",
                "priority": priority,
                "case_type": "Problem",
                "account": account_ids[i],
                "contacts": [contact_ids[i]],
                "assigned_to": [],
                "teams": [],
                "description": f"Gemeldet von {contact_ids[i]}",
            },
        )
        client.post(
            f"/api/cases/{case['id']}/time-entries/",
            {
                "started_at": (now - timedelta(hours=3)).isoformat(),
                "ended_at": (now - timedelta(hours=1, minutes=30)).isoformat(),
                "description": "Ferndiagnose",
                "billable": True,
            },
        )
    connector.post_notice(
        ErpDocumentNotice(
            kind=NoticeKind.SHIPMENT,
            reference="SH-1001",
            summary="Lieferung versandt",
            opportunity_id=deal_ids[2],
        )
    )
