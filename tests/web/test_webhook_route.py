"""syncline serve receives BottleCRM webhooks for every bottlecrm system with a secret."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from syncline.connectors.bottlecrm import SIGNATURE_HEADER, sign
from syncline.runtime import Runtime
from syncline.store import pending_events
from syncline.web.app import create_app

CONFIG = """\
version: 1
store: {url: "sqlite:///state.db"}
systems:
  crm:
    type: bottlecrm
    url: http://127.0.0.1:9
    token: ${TEST_CRM_TOKEN}
    webhook_secret: ${TEST_CRM_SECRET}
  quiet:
    type: bottlecrm
    url: http://127.0.0.1:9
    token: ${TEST_CRM_TOKEN}
maps: []
"""


def test_signed_events_reach_the_inbox_and_others_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_CRM_TOKEN", "bcrm_pat_test")
    monkeypatch.setenv("TEST_CRM_SECRET", "s3cret")
    config = tmp_path / "syncline.yaml"
    config.write_text(CONFIG)
    runtime = Runtime.from_file(config)
    client = TestClient(create_app(runtime))
    body = json.dumps(
        {
            "id": "evt-1",
            "event": "contact.updated",
            "created_at": "2026-11-27T10:00:00Z",
            "data": {"id": "c-7"},
        }
    ).encode()
    header = sign("s3cret", int(time.time()), body)
    answer = client.post(
        "/webhooks/bottlecrm/crm", content=body, headers={SIGNATURE_HEADER: header}
    )
    assert answer.status_code == 200, answer.text
    with runtime.store.begin() as conn:
        assert [e.event_id for e in pending_events(conn, "crm", "contact")] == ["evt-1"]
    forged = sign("wrong", int(time.time()), body)
    assert (
        client.post(
            "/webhooks/bottlecrm/crm", content=body, headers={SIGNATURE_HEADER: forged}
        ).status_code
        == 401
    )
    # a system without a secret has no receiver
    assert (
        client.post(
            "/webhooks/bottlecrm/quiet", content=body, headers={SIGNATURE_HEADER: header}
        ).status_code
        == 404
    )
    runtime.close()
