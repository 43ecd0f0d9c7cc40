"""Runtime: wiring from config (store, connectors), scheduler and workers."""

from __future__ import annotations

from syncline.runtime.context import Runtime, resolve_store_url
from syncline.runtime.registry import ConnectorType, connector_type, connector_types

__all__ = ["ConnectorType", "Runtime", "connector_type", "connector_types", "resolve_store_url"]
