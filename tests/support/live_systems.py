"""The real demo systems for tests: a trytond and a BottleCRM on fresh copies of their cached
templates, connector settings for them, and context managers that stop them again; used by the
connectors' conftests, the flows and the web tests alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from syncline.connectors.bottlecrm import BottleCrmConnector, BottleCrmSettings
from syncline.connectors.tryton import TrytonConnector, TrytonSettings, connect
from syncline.demo import bottlecrm, tryton
from syncline.demo.bottlecrm import CrmInstance
from syncline.demo.tryton import TrytonInstance


def tryton_settings_for(instance: TrytonInstance, **overrides: object) -> TrytonSettings:
    """Connector settings for a running demo trytond."""
    values: dict[str, object] = {
        "url": instance.url,
        "database": instance.database,
        "username": instance.username,
        "password": instance.password,
        "timeout": 60.0,
    }
    values.update(overrides)
    return TrytonSettings.model_validate(values)


def bottlecrm_settings_for(instance: CrmInstance, **overrides: object) -> BottleCrmSettings:
    """Connector settings for a running demo BottleCRM."""
    values: dict[str, object] = {
        "url": instance.url,
        "token": SecretStr(instance.token),
        "webhook_secret": SecretStr(instance.webhook_secret or ""),
        "timeout_seconds": 30.0,
    }
    values.update(overrides)
    return BottleCrmSettings.model_validate(values)


@contextmanager
def running_tryton(state_dir: Path) -> Iterator[TrytonInstance]:
    """A trytond on a fresh copy of the demo template, stopped on exit."""
    instance = tryton.start(state_dir)
    try:
        yield instance
    finally:
        tryton.stop(state_dir)


@contextmanager
def running_bottlecrm(state_dir: Path) -> Iterator[CrmInstance]:
    """A BottleCRM on a fresh copy of the seeded template (no webhook), stopped on exit."""
    instance = bottlecrm.start(state_dir, fresh=True)
    try:
        yield instance
    finally:
        bottlecrm.stop(state_dir)


@contextmanager
def tryton_connector(
    instance: TrytonInstance, system: str = "erp", **overrides: object
) -> Iterator[TrytonConnector]:
    """A connector to ``instance``; ``overrides`` change its settings (``retries=0``)."""
    connector = connect(system, tryton_settings_for(instance, **overrides))
    try:
        yield connector
    finally:
        connector.close()


@contextmanager
def bottlecrm_connector(instance: CrmInstance, system: str = "crm") -> Iterator[BottleCrmConnector]:
    connector = BottleCrmConnector(system, bottlecrm_settings_for(instance))
    try:
        yield connector
    finally:
        connector.close()


__all__ = [
    "bottlecrm_connector",
    "bottlecrm_settings_for",
    "running_bottlecrm",
    "running_tryton",
    "tryton_connector",
    "tryton_settings_for",
]
