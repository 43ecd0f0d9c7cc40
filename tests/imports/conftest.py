"""A SQL-backed "crm" holding contacts (and, for tying, accounts), a state store, and a config
file naming both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)

from syncline.cli import import_commands
from syncline.cli.common import state as cli_state
from syncline.connectors.base import (
    Connector,
    WriteOp,
    WriteRequest,
)
from syncline.connectors.sql import SqlConnector, SqlDatabaseConnector, SqlSettings
from syncline.model import Address, Contact, Party
from syncline.store import Store

CONTACT_COLUMNS = ("first_name", "last_name", "email", "phone", "mobile", "role", "language")


def contact_system(url: str, *, with_account: bool = False) -> SqlConnector:
    """A contact table (unique e-mail, as many CRMs enforce) and its connector as ``crm``;
    ``with_account``: a column ``account_id`` holds the contact's party."""
    engine = create_engine(url)
    extra = [Column("account_id", String(20))] if with_account else []
    Table(
        "contacts",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("first_name", String(100), nullable=False, default=""),
        Column("last_name", String(100), nullable=False),
        Column("email", String(200), unique=True),
        Column("phone", String(50)),
        Column("mobile", String(50)),
        Column("role", String(100)),
        Column("language", String(10)),
        Column("active", Boolean, nullable=False, default=True),
        Column("modified_at", DateTime),
        *extra,
    ).metadata.create_all(engine)
    engine.dispose()
    return SqlConnector("crm", contact_settings(url, with_account=with_account))


def contact_settings(url: str, *, with_account: bool = False) -> SqlSettings:
    columns = {c: c for c in (*CONTACT_COLUMNS, "active")}
    if with_account:
        columns["party_id"] = "account_id"
    return SqlSettings(
        url=url, table="contacts", entity="contact", modified_column="modified_at", columns=columns
    )


def crm_with_accounts(folder: Path) -> SqlDatabaseConnector:
    """Contacts with an ``account_id`` column and an ``accounts`` table, as system ``crm``."""
    url = f"sqlite:///{folder / 'crm.db'}"
    contacts = contact_system(url, with_account=True)
    engine = create_engine(url)
    Table(
        "accounts",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("addresses", Text),
    ).metadata.create_all(engine)
    engine.dispose()
    columns = {"name": "name", "active": "active", "addresses": "addresses"}
    accounts = SqlConnector(
        "crm", SqlSettings(url=url, table="accounts", entity="party", columns=columns)
    )
    return SqlDatabaseConnector("crm", [contacts, accounts])


def add_account(crm: Connector, name: str, *, active: bool = True, city: str = "") -> str:
    """A party (account) in ``crm``, with a billing address in ``city`` if given; its id."""
    data = Party(name=name, active=active, addresses=[Address(city=city)] if city else [])
    (result,) = crm.write("party", [WriteRequest(WriteOp.CREATE, "party", name, data=data)])
    assert result.native_id is not None, result.error
    return result.native_id


def contacts_in(crm: Connector) -> dict[str, Contact]:
    return {
        r.native_id: r.data
        for page in crm.scan("contact")
        for r in page
        if isinstance(r.data, Contact)
    }


def add_contact(crm: Connector, **values: str) -> str:
    request = WriteRequest(WriteOp.CREATE, "contact", "seed", data=Contact.parse(values))
    (result,) = crm.write("contact", [request])
    assert result.native_id is not None
    return result.native_id


@pytest.fixture
def crm(tmp_path: Path) -> SqlConnector:
    return contact_system(f"sqlite:///{tmp_path / 'crm.db'}")


@pytest.fixture
def accounts_crm(tmp_path: Path) -> Iterator[SqlDatabaseConnector]:
    """A CRM holding contacts and accounts."""
    crm = crm_with_accounts(tmp_path)
    yield crm
    crm.close()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


@pytest.fixture
def config_file(tmp_path: Path, crm: SqlConnector) -> Path:
    """syncline.yaml with the state store and the contact table as system ``crm``."""
    columns = "\n".join(f"      {c}: {c}" for c in (*CONTACT_COLUMNS, "active"))
    path = tmp_path / "syncline.yaml"
    path.write_text(
        f"""version: 1
store:
  url: sqlite:///{tmp_path / "state.db"}
systems:
  crm:
    type: sql
    url: sqlite:///{tmp_path / "crm.db"}
    table: contacts
    entity: contact
    modified_column: modified_at
    columns:
{columns}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli_app() -> Iterator[typer.Typer]:
    """A Typer app with only the import commands registered (as the lead wires them)."""
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """syncline"""

    import_commands.register(app)
    yield app
    cli_state.config = None
