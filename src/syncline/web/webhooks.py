"""The webhook receiver: verify a delivery, store it in the inbox, answer at once.

Mount ``bottlecrm_webhook_router(...)`` in the FastAPI app; BottleCRM posts to
``/webhooks/bottlecrm/{system}``. The receiver does no sync work itself: the engine reads the
inbox. A duplicate delivery (same event id, e.g. BottleCRM retrying after a timeout) is
acknowledged with 200 so the sender stops; a bad signature is 401, a stale or replayed
signature 409, a malformed body 400, an unknown system 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from syncline.connectors.bottlecrm.webhooks import (
    SIGNATURE_HEADER,
    WebhookRejectedError,
    WebhookVerifier,
)
from syncline.store import record_event

log = logging.getLogger(__name__)

_STATUS = {"malformed": 400, "signature": 401, "stale": 409, "replayed": 409}


class Inbox(Protocol):
    """Where received events go (the state store's inbox table)."""

    def record_event(
        self,
        *,
        system: str,
        event_id: str,
        event_type: str,
        entity: str | None,
        native_id: str | None,
        payload: dict[str, Any],
    ) -> bool:
        """Store one event; False when its event id was stored before."""


class StoreInbox:
    """The inbox of a :class:`syncline.store.Store`, one transaction per event."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def record_event(
        self,
        *,
        system: str,
        event_id: str,
        event_type: str,
        entity: str | None,
        native_id: str | None,
        payload: dict[str, Any],
    ) -> bool:
        with self._store.begin() as conn:
            stored: bool = record_event(
                conn,
                system=system,
                event_id=event_id,
                event_type=event_type,
                entity=entity,
                native_id=native_id,
                payload=payload,
            )
        return stored


def bottlecrm_webhook_router(
    verifiers: Mapping[str, WebhookVerifier] | Callable[[str], WebhookVerifier | None],
    inbox: Inbox,
    prefix: str = "/webhooks/bottlecrm",
) -> APIRouter:
    """A router receiving BottleCRM webhooks for the systems ``verifiers`` knows."""
    router = APIRouter(prefix=prefix)

    def verifier_for(system: str) -> WebhookVerifier | None:
        if callable(verifiers):
            return verifiers(system)
        return verifiers.get(system)

    @router.post("/{system}")
    async def receive(system: str, request: Request) -> JSONResponse:
        verifier = verifier_for(system)
        if verifier is None:
            return JSONResponse({"error": f"no BottleCRM system {system!r}"}, status_code=404)
        body = await request.body()
        try:
            event = verifier.verify(body, request.headers.get(SIGNATURE_HEADER))
        except WebhookRejectedError as exc:
            log.warning("refused BottleCRM webhook for %s: %s", system, exc.reason)
            return JSONResponse(
                {"error": exc.reason, "detail": str(exc)}, status_code=_STATUS[exc.reason]
            )
        stored = inbox.record_event(
            system=system,
            event_id=event.event_id,
            event_type=event.event_type,
            entity=event.entity,
            native_id=event.native_id,
            payload=event.payload,
        )
        return JSONResponse({"received": event.event_id, "duplicate": not stored})

    return router


def verifiers_from(runtime: Any) -> dict[str, WebhookVerifier]:
    """A verifier per ``bottlecrm`` system of the runtime's config that has a webhook secret."""
    found: dict[str, WebhookVerifier] = {}
    for name, system in runtime.config.systems.items():
        if system.type != "bottlecrm":
            continue
        settings = runtime.system_settings(name)
        secret = getattr(settings, "webhook_secret", None)
        if secret is None or not secret.get_secret_value():
            continue
        found[name] = WebhookVerifier(
            secret.get_secret_value(), tolerance_seconds=settings.webhook_tolerance_seconds
        )
    return found
