"""Fixtures: a real trytond (8.2) over a copy of the cached demo template, and connectors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncline.connectors.tryton import TrytonConnector, TrytonSettings, connect
from syncline.demo.tryton import TrytonInstance
from tests.support.live_systems import running_tryton, tryton_settings_for

_names = itertools.count(1)


@pytest.fixture(scope="session")
def tryton_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonInstance]:
    """One trytond for the session, on a fresh copy of the template (built when missing)."""
    with running_tryton(tmp_path_factory.mktemp("tryton-erp")) as instance:
        yield instance


@pytest.fixture(scope="session")
def tryton_settings(tryton_instance: TrytonInstance) -> TrytonSettings:
    return tryton_settings_for(tryton_instance)


@pytest.fixture(scope="session")
def tryton_connector(tryton_settings: TrytonSettings) -> Iterator[TrytonConnector]:
    connector = connect("erp", tryton_settings)
    yield connector
    connector.close()


@pytest.fixture
def own_tryton(tmp_path: Path) -> Iterator[TrytonInstance]:
    """A trytond of this test alone (for tests that stop the server)."""
    with running_tryton(tmp_path / f"own-{next(_names)}") as instance:
        yield instance
