"""Records created in the real BottleCRM by the live tests, each under a unique name."""

from __future__ import annotations

import uuid

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.model import CanonicalEntity, Contact, Party


def create(connector: BottleCrmConnector, entity: str, data: CanonicalEntity) -> str:
    """Create one record of ``entity`` through the connector; its BottleCRM id."""
    [result] = connector.write(
        entity, [WriteRequest(WriteOp.CREATE, entity, str(uuid.uuid4()), data=data)]
    )
    assert result.ok and result.native_id, result.error
    return result.native_id


def new_account(connector: BottleCrmConnector, name: str) -> str:
    """A new account called ``name`` and a unique suffix."""
    return create(connector, "party", Party(name=f"{name} {uuid.uuid4().hex[:8]}"))


def new_contact(connector: BottleCrmConnector, account_id: str, first_name: str) -> str:
    """A new contact of ``account_id`` with ``first_name``, a unique last name and e-mail."""
    unique = uuid.uuid4().hex[:8]
    person = Contact(
        first_name=first_name,
        last_name=f"Kontakt {unique}",
        email=f"{first_name.lower()}.{unique}@contacts.example.org",
        party_id=account_id,
    )
    return create(connector, "contact", person)
