"""Suite-wide fixtures: state stores on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from syncline.store import Store
from tests.support.postgres import fresh_database, postgres_server

# make test (and CI) runs a fixed set of examples: the same run every time, no example
# database; make test-deep explores at random with many more examples.
settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("SYNCLINE_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A running PostgreSQL server for the whole session (installed and started if needed)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty state store URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    admin: str = request.getfixturevalue("postgres_admin_url")
    return fresh_database(admin)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty state store (SQLite and PostgreSQL)."""
    opened = Store.open(store_url)
    yield opened
    opened.close()
