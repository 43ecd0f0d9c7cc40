"""Fixtures: a real trytond (8.2) over a copy of the cached demo template, and connectors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncline.connectors.tryton import TrytonConnector, TrytonSettings, connect
from syncline.demo import tryton
from syncline.demo.tryton import TrytonInstance

_names = itertools.count(1)


def settings_for(instance: TrytonInstance, **overrides: object) -> TrytonSettings:
    """Connector settings for a running demo instance."""
    values: dict[str, object] = {
        "url": instance.url,
        "database": instance.database,
        "username": instance.username,
        "password": instance.password,
        "timeout": 60.0,
    }
    values.update(overrides)
    return TrytonSettings.model_validate(values)


@pytest.fixture(scope="session")
def tryton_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonInstance]:
    """One trytond for the session, on a fresh copy of the template (built when missing)."""
    state_dir = tmp_path_factory.mktemp("tryton-erp")
    instance = tryton.start(state_dir)
    yield instance
    tryton.stop(state_dir)


@pytest.fixture(scope="session")
def tryton_settings(tryton_instance: TrytonInstance) -> TrytonSettings:
    return settings_for(tryton_instance)


@pytest.fixture(scope="session")
def tryton_connector(tryton_settings: TrytonSettings) -> Iterator[TrytonConnector]:
    connector = connect("erp", tryton_settings)
    yield connector
    connector.close()


@pytest.fixture
def own_tryton(tmp_path: Path) -> Iterator[TrytonInstance]:
    """A trytond of this test alone (for tests that stop the server)."""
    instance = tryton.start(tmp_path / f"own-{next(_names)}")
    yield instance
    tryton.stop(Path(instance.state_dir))
