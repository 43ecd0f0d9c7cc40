"""Against the running BottleCRM: webhook delivery, scan after a lost webhook, a stopped
server and notices."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import (
    BottleCrmConnector,
    ErpDocumentNotice,
    NoticeKind,
    WebhookVerifier,
)
from syncline.demo.bottlecrm import CrmInstance, ensure_template, register_webhook, start, stop
from syncline.demo.bottlecrm.install import access_token
from syncline.errors import TransientError
from syncline.model import Party
from syncline.store import pending_events
from tests.connectors.bottlecrm.conftest import Receiver
from tests.support.live_systems import bottlecrm_settings_for

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def _create_party(connector: BottleCrmConnector, name: str) -> str:
    [result] = connector.write(
        "party", [WriteRequest(WriteOp.CREATE, "party", str(uuid.uuid4()), data=Party(name=name))]
    )
    assert result.ok and result.native_id, result.error
    return result.native_id


def _inbox_ids(receiver: Receiver, native_id: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        with receiver.store.begin() as conn:
            events = [e for e in pending_events(conn, "crm") if e.native_id == native_id]
        if events or time.monotonic() > deadline:
            return [e.event_type for e in events]
        time.sleep(0.2)


def test_real_webhook_delivery_lands_in_the_inbox(
    bottlecrm_connector: BottleCrmConnector, webhook_receiver: Receiver
) -> None:
    native_id = _create_party(bottlecrm_connector, f"Webhook Party {uuid.uuid4().hex[:8]}")
    assert _inbox_ids(webhook_receiver, native_id) == ["account.created"]
    with webhook_receiver.store.begin() as conn:
        [event] = [e for e in pending_events(conn, "crm") if e.native_id == native_id]
    assert event.entity == "party"
    assert event.payload["data"]["updated_at"]


def test_a_dropped_webhook_is_caught_by_the_scan(
    bottlecrm_connector: BottleCrmConnector, webhook_receiver: Receiver
) -> None:
    before = {r.native_id: r.data for page in bottlecrm_connector.scan("party") for r in page}
    verifier = webhook_receiver.verifier
    webhook_receiver.verifier = None  # the receiver is "down": deliveries are lost
    try:
        native_id = _create_party(bottlecrm_connector, f"Lost Hook {uuid.uuid4().hex[:8]}")
        changed_id = next(iter(before))
        changed = before[changed_id]
        assert isinstance(changed, Party)
        bottlecrm_connector.write(
            "party",
            [
                WriteRequest(
                    WriteOp.UPDATE,
                    "party",
                    "k",
                    native_id=changed_id,
                    data=changed.model_copy(update={"website": "https://changed.example.org/"}),
                    fields=frozenset({"website"}),
                )
            ],
        )
    finally:
        webhook_receiver.verifier = verifier
    assert _inbox_ids(webhook_receiver, native_id, timeout=1.0) == []
    after = {r.native_id: r.data for page in bottlecrm_connector.scan("party") for r in page}
    assert native_id in after and native_id not in before  # the new record
    changed_hashes = {
        i for i in before if after[i] is not None and before[i] != after[i]
    }  # the engine compares content hashes the same way
    assert changed_hashes == {changed_id}


def test_stopped_server_gives_transient_errors_and_a_restart_keeps_the_data(
    tmp_path: Path, bottlecrm: CrmInstance
) -> None:
    state_dir = tmp_path / "second"
    instance = start(state_dir, fresh=True)
    connector = BottleCrmConnector("crm", bottlecrm_settings_for(instance, timeout_seconds=5.0))
    try:
        assert connector.health().ok
        kept = _create_party(connector, "Kept GmbH")
        stop(state_dir)
        with pytest.raises(TransientError):
            connector.list_ids("party")
        with pytest.raises(TransientError):
            connector.write(
                "party",
                [WriteRequest(WriteOp.CREATE, "party", "k", data=Party(name="Down GmbH"))],
            )
        assert not connector.health().ok
        started = time.monotonic()
        again = start(state_dir)  # the second start: no copy, no install, no migrate
        assert time.monotonic() - started < 30
        restarted = BottleCrmConnector("crm", bottlecrm_settings_for(again))
        try:
            assert [r.native_id for r in restarted.read("party", [kept])] == [kept]
        finally:
            restarted.close()
    finally:
        connector.close()
        stop(state_dir)


def test_notice_on_a_deal_is_posted_once(bottlecrm_connector: BottleCrmConnector) -> None:
    deal_id = bottlecrm_connector.list_ids("opportunity")[0]
    reference = f"SH-{uuid.uuid4().hex[:6]}"
    notice = ErpDocumentNotice(
        NoticeKind.SHIPMENT,
        reference,
        summary="Versandt mit DHL",
        opportunity_id=deal_id,
        document_url="https://erp.example.org/shipment/1",
    )
    first = bottlecrm_connector.post_notice(notice)
    assert bottlecrm_connector.post_notice(notice) == first  # a retry reuses the task
    task = bottlecrm_connector.client.get(f"/api/tasks/{first}/")
    assert reference in str(task)


def test_registering_the_webhook_again_replaces_it(
    bottlecrm: CrmInstance, bottlecrm_connector: BottleCrmConnector, webhook_receiver: Receiver
) -> None:
    again = register_webhook(bottlecrm, webhook_receiver.url)
    assert again.webhook_secret and again.webhook_secret != bottlecrm.webhook_secret
    webhook_receiver.verifier = WebhookVerifier(again.webhook_secret)
    jwt = access_token(Path(bottlecrm.database), ensure_template())
    listed = httpx.get(
        f"{bottlecrm.url}/api/webhooks/", headers={"Authorization": f"Bearer {jwt}"}, timeout=30
    ).json()["endpoints"]
    assert [e["url"] for e in listed if e["description"] == "syncline"] == [webhook_receiver.url]
    native_id = _create_party(bottlecrm_connector, f"Rehooked {uuid.uuid4().hex[:8]}")
    assert _inbox_ids(webhook_receiver, native_id) == ["account.created"]
