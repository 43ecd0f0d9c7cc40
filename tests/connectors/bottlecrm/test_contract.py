"""The connector contract against a real BottleCRM: accounts, contacts and deals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest

from syncline.connectors.base import Connector
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.contract import ConnectorContract
from syncline.model import (
    Address,
    CanonicalEntity,
    Contact,
    Money,
    Opportunity,
    OpportunityStatus,
    Party,
)

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


class TestBottleCrmParty(ConnectorContract):
    entity: ClassVar[str] = "party"

    @pytest.fixture
    def connector(self, bottlecrm_connector: BottleCrmConnector) -> Connector:
        return bottlecrm_connector

    def sample(self, n: int) -> CanonicalEntity:
        return Party(
            name=f"Contract Party {n}",
            numbers={"erp": f"D{n}"},
            emails=[f"info@party-{n}.de"],
            phones=["+49 30 1234567"],
            website="https://www.example.org/",
            addresses=[
                Address(street="Hauptstr. 1", postal_code="10115", city="Berlin", country="DE")
            ],
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Party)
        return record.model_copy(update={"name": record.name + " AG", "phones": ["+49 30 999"]})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Party)
        return Party(name=existing.name.upper())  # account names are unique, ignoring case


class TestBottleCrmContact(ConnectorContract):
    entity: ClassVar[str] = "contact"

    @pytest.fixture
    def connector(self, bottlecrm_connector: BottleCrmConnector) -> Connector:
        return bottlecrm_connector

    def sample(self, n: int) -> CanonicalEntity:
        return Contact(
            first_name="Ingrid",
            last_name=f"Hansen {n}",
            email=f"ingrid.{n}@kunde-{n}.no",
            phone="+47 22 123456",
            role="Innkjøp",
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Contact)
        return record.model_copy(update={"role": "Daglig leder", "phone": "+47 22 654321"})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Contact)
        return Contact(first_name="Other", last_name="Person", email=existing.email)


class TestBottleCrmOpportunity(ConnectorContract):
    entity: ClassVar[str] = "opportunity"

    @pytest.fixture
    def connector(self, bottlecrm_connector: BottleCrmConnector) -> Connector:
        return bottlecrm_connector

    def sample(self, n: int) -> CanonicalEntity:
        return Opportunity(
            name=f"Contract Deal {n}",
            stage="QUALIFICATION",
            amount=Money(amount=Decimal("1250.50"), currency="EUR"),
            probability=20,
            expected_close=date(2031, 3, 31),
            description="Rahmenvertrag",
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Opportunity)
        return record.model_copy(
            update={
                "stage": "CLOSED_WON",
                "status": OpportunityStatus.WON,
                "amount": Money(amount=Decimal("1400"), currency="EUR"),
            }
        )

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Opportunity)
        return Opportunity(name=existing.name, stage="PROSPECTING")
