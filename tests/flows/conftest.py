"""Fixtures of the flow tests: a SQLite state store per test, and for the end-to-end tests one
real Tryton (the connector tests' fixture) and one real BottleCRM (without a webhook: the flows
read the CRM directly) per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.demo.bottlecrm import CrmInstance, start, stop
from syncline.store import Store
from tests.connectors.tryton.conftest import (  # noqa: F401 - fixtures shared with the connector tests
    tryton_connector,
    tryton_instance,
    tryton_settings,
)
from tests.support.live_systems import bottlecrm_settings_for


@pytest.fixture
def flow_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty SQLite state store."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


@pytest.fixture(scope="session")
def crm_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmInstance]:
    """A running BottleCRM on a fresh copy of the template."""
    state_dir = tmp_path_factory.mktemp("flows-bottlecrm")
    instance = start(state_dir, fresh=True)
    yield instance
    stop(state_dir)


@pytest.fixture(scope="session")
def crm_connector(crm_instance: CrmInstance) -> Iterator[BottleCrmConnector]:
    connector = BottleCrmConnector("crm", bottlecrm_settings_for(crm_instance))
    yield connector
    connector.close()
