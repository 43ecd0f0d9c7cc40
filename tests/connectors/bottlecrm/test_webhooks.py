"""Webhook signature verification, event parsing and the receiver endpoint (no server)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from syncline.connectors.base import Capture
from syncline.connectors.bottlecrm import (
    RESOURCES,
    SIGNATURE_HEADER,
    SUBSCRIBED_EVENTS,
    WebhookRejectedError,
    WebhookVerifier,
    parse_event,
    sign,
)
from syncline.web.webhooks import bottlecrm_webhook_router

SECRET = "whsec-test-secret"
NOW = 1_800_000_000


def envelope(event_id: str = "evt-1", event: str = "contact.updated") -> bytes:
    payload = {
        "id": event_id,
        "event": event,
        "created_at": "2027-01-15T08:00:00+00:00",
        "org_id": "org-1",
        "data": {"id": "c0ffee", "updated_at": "2027-01-15T08:00:00.123456Z"},
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def verifier(tolerance: int = 300) -> WebhookVerifier:
    return WebhookVerifier(SECRET, tolerance_seconds=tolerance, clock=lambda: NOW)


def test_good_signature_is_accepted_and_parsed() -> None:
    body = envelope()
    event = verifier().verify(body, sign(SECRET, NOW - 10, body))
    assert (event.event_id, event.event_type, event.entity, event.native_id) == (
        "evt-1",
        "contact.updated",
        "contact",
        "c0ffee",
    )
    assert event.updated_at is not None and event.updated_at.microsecond == 123456
    assert not event.deleted


def test_bad_signature_is_refused() -> None:
    body = envelope()
    with pytest.raises(WebhookRejectedError) as caught:
        verifier().verify(body, sign("another-secret", NOW, body))
    assert caught.value.reason == "signature"


def test_tampered_body_is_refused() -> None:
    header = sign(SECRET, NOW, envelope())
    with pytest.raises(WebhookRejectedError) as caught:
        verifier().verify(envelope(event="account.deleted"), header)
    assert caught.value.reason == "signature"


def test_replayed_signature_and_event_id_are_refused() -> None:
    check = verifier()
    body = envelope()
    header = sign(SECRET, NOW, body)
    check.verify(body, header)
    with pytest.raises(WebhookRejectedError) as same:
        check.verify(body, header)
    assert same.value.reason == "replayed"
    with pytest.raises(WebhookRejectedError) as resigned:  # same event id, new timestamp
        check.verify(body, sign(SECRET, NOW + 1, body))
    assert resigned.value.reason == "replayed"


def test_too_old_and_future_timestamps_are_refused() -> None:
    body = envelope()
    for skew in (-301, 301):
        with pytest.raises(WebhookRejectedError) as caught:
            verifier().verify(body, sign(SECRET, NOW + skew, body))
        assert caught.value.reason == "stale"
    assert verifier(tolerance=600).verify(body, sign(SECRET, NOW - 301, body)).event_id


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=abc,v1=def", "t=1"])
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(WebhookRejectedError) as caught:
        verifier().verify(envelope(), header)
    assert caught.value.reason == "malformed"


def test_parse_maps_events_to_entities_and_deletes() -> None:
    assert parse_event(envelope(event="account.deleted")).entity == "party"
    assert parse_event(envelope(event="account.deleted")).deleted
    assert parse_event(envelope(event="deal.won")).entity == "opportunity"
    with pytest.raises(WebhookRejectedError):
        parse_event(b"[1, 2]")


class MemoryInbox:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}

    def record_event(self, **event: Any) -> bool:
        if event["event_id"] in self.events:
            return False
        self.events[event["event_id"]] = event
        return True


def test_receiver_stores_good_events_and_answers_errors_by_reason() -> None:
    inbox = MemoryInbox()
    check = WebhookVerifier(SECRET)
    app = FastAPI()
    app.include_router(bottlecrm_webhook_router({"crm": check}, inbox))
    client = TestClient(app)
    body = envelope("evt-9")

    header = sign(SECRET, int(time.time()), body)
    url = "/webhooks/bottlecrm/crm"
    first = client.post(url, content=body, headers={SIGNATURE_HEADER: header})
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert inbox.events["evt-9"]["entity"] == "contact"
    assert client.post(url, content=body, headers={SIGNATURE_HEADER: header}).status_code == 409
    bad = sign("wrong", int(time.time()), body)
    assert client.post(url, content=body, headers={SIGNATURE_HEADER: bad}).status_code == 401
    assert client.post(url, content=body).status_code == 400
    other = "/webhooks/bottlecrm/erp"
    assert client.post(other, content=body, headers={SIGNATURE_HEADER: header}).status_code == 404


def test_receiver_acknowledges_a_redelivery_the_inbox_already_holds() -> None:
    inbox = MemoryInbox()
    app = FastAPI()
    app.include_router(bottlecrm_webhook_router({"crm": WebhookVerifier(SECRET)}, inbox))
    client = TestClient(app)
    body = envelope("evt-10")

    inbox.record_event(event_id="evt-10")  # stored before a restart of syncline
    header = sign(SECRET, int(time.time()), body)
    reply = client.post("/webhooks/bottlecrm/crm", content=body, headers={SIGNATURE_HEADER: header})
    assert reply.status_code == 200 and reply.json()["duplicate"] is True


def test_case_and_invoice_events_map_to_their_entities() -> None:
    ticket = parse_event(envelope(event="ticket.updated"))
    assert (ticket.entity, ticket.deleted) == ("service_case", False)
    assert parse_event(envelope(event="invoice.paid")).entity == "invoice"


def test_syncline_subscribes_to_every_entity_it_captures_by_push() -> None:
    pushed = {r.webhook_prefix for r in RESOURCES.values() if Capture.PUSH in r.capture}
    subscribed = {event.partition(".")[0] for event in SUBSCRIBED_EVENTS}
    assert pushed == subscribed == {"account", "contact", "deal", "ticket", "invoice"}
    # Entities without events are scanned only.
    for entity in ("quote", "product", "credit_note"):
        assert RESOURCES[entity].capture == frozenset({Capture.SCAN})
