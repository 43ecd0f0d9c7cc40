"""A real BottleCRM for the session (a copy of the migrated, seeded template) and a webhook
receiver on loopback that stores deliveries in a real state store's inbox."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector, WebhookVerifier
from syncline.demo.bottlecrm import CrmInstance, register_webhook, start, stop
from syncline.demo.process import free_port
from syncline.model import Contact, Party
from syncline.store import Store
from syncline.web.webhooks import StoreInbox, bottlecrm_webhook_router
from tests.support.live_systems import bottlecrm_settings_for


@dataclass
class Receiver:
    """syncline's webhook receiver running in this test process."""

    url: str
    store: Store
    verifier: WebhookVerifier | None = None


@pytest.fixture(scope="session")
def webhook_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('inbox') / 'state.db'}")
    port = free_port()
    receiver = Receiver(url=f"http://127.0.0.1:{port}/webhooks/bottlecrm/crm", store=store)
    app = FastAPI()
    app.include_router(
        bottlecrm_webhook_router(
            lambda system: receiver.verifier if system == "crm" else None, StoreInbox(store)
        )
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "webhook receiver did not start"
        time.sleep(0.05)
    yield receiver
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


@pytest.fixture(scope="session")
def bottlecrm(
    tmp_path_factory: pytest.TempPathFactory, webhook_receiver: Receiver
) -> Iterator[CrmInstance]:
    """A running BottleCRM on a fresh copy of the template, with syncline's webhook."""
    state_dir: Path = tmp_path_factory.mktemp("bottlecrm")
    instance = start(state_dir, fresh=True)
    try:
        instance = register_webhook(instance, webhook_receiver.url)
        assert instance.webhook_secret
        webhook_receiver.verifier = WebhookVerifier(instance.webhook_secret)
        yield instance
    finally:
        stop(state_dir)


@pytest.fixture(scope="session")
def bottlecrm_connector(bottlecrm: CrmInstance) -> Iterator[BottleCrmConnector]:
    connector = BottleCrmConnector("crm", bottlecrm_settings_for(bottlecrm))
    yield connector
    connector.close()


@dataclass(frozen=True)
class CrmAccount:
    """An account with one contact, for records that need both (estimates, invoices, cases)."""

    account_id: str
    contact_id: str


@pytest.fixture(scope="session")
def crm_account(bottlecrm_connector: BottleCrmConnector) -> CrmAccount:
    unique = uuid.uuid4().hex[:8]
    [account] = bottlecrm_connector.write(
        "party",
        [WriteRequest(WriteOp.CREATE, "party", unique, data=Party(name=f"Documents {unique}"))],
    )
    assert account.ok and account.native_id, account.error
    contact = Contact(
        first_name="Dora",
        last_name=f"Dokument {unique}",
        email=f"dora.{unique}@documents.example.org",
        party_id=account.native_id,
    )
    [person] = bottlecrm_connector.write(
        "contact", [WriteRequest(WriteOp.CREATE, "contact", unique, data=contact)]
    )
    assert person.ok and person.native_id, person.error
    return CrmAccount(account.native_id, person.native_id)
