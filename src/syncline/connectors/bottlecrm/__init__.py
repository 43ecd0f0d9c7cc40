"""BottleCRM (PyPI ``django-crm`` 1.35) as a syncline connector."""

from __future__ import annotations

from syncline.connectors.bottlecrm.client import BottleCrmClient, ListShape
from syncline.connectors.bottlecrm.connector import (
    ENTITIES,
    RESOURCES,
    BottleCrmConnector,
    connect,
)
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice, NoticeKind
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.connectors.bottlecrm.webhooks import (
    SIGNATURE_HEADER,
    SUBSCRIBED_EVENTS,
    WebhookEvent,
    WebhookRejectedError,
    WebhookVerifier,
    parse_event,
    sign,
)

__all__ = [
    "ENTITIES",
    "RESOURCES",
    "SIGNATURE_HEADER",
    "SUBSCRIBED_EVENTS",
    "BottleCrmClient",
    "BottleCrmConnector",
    "BottleCrmSettings",
    "ErpDocumentNotice",
    "ListShape",
    "NoticeKind",
    "WebhookEvent",
    "WebhookRejectedError",
    "WebhookVerifier",
    "connect",
    "parse_event",
    "sign",
]
