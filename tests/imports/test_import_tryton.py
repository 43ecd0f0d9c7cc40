"""``syncline import contacts FILE --into erp`` against a real Tryton: Tryton keeps a contact
as a named e-mail of its party, so only a contact tied to its company's party can be created
there; one whose company Tryton does not know is refused, named with its reason."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncline.cli import app
from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.demo.tryton import TrytonInstance
from syncline.model import Address, Contact, Party
from tests.support.live_systems import running_tryton, tryton_connector

pytestmark = [pytest.mark.integration, pytest.mark.tryton]

HEADER = "First Name;Last Name;Company;E-mail Address;Business Phone"


@pytest.fixture(scope="module")
def erp(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TrytonInstance, TrytonConnector]]:
    with (
        running_tryton(tmp_path_factory.mktemp("import-erp")) as instance,
        tryton_connector(instance) as connector,
    ):
        yield instance, connector


def test_contacts_of_known_companies_reach_tryton_and_the_others_are_refused_by_name(
    tmp_path: Path, erp: tuple[TrytonInstance, TrytonConnector], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, connector = erp
    tag = uuid.uuid4().hex[:6]
    party = Party(name=f"Kranbau {tag} GmbH", addresses=[Address(street="Kai 2", city="Kiel")])
    [made] = connector.write("party", [WriteRequest(WriteOp.CREATE, "party", tag, data=party)])
    assert made.ok and made.native_id is not None, made.error
    monkeypatch.setenv("SYNCLINE_TEST_ERP_PASSWORD", instance.password)
    config = tmp_path / "syncline.yaml"
    config.write_text(
        f"""version: 1
store:
  url: sqlite:///{tmp_path / "state.db"}
systems:
  erp:
    type: tryton
    url: {instance.url}
    database: {instance.database}
    username: {instance.username}
    password: ${{SYNCLINE_TEST_ERP_PASSWORD}}
""",
        encoding="utf-8",
    )
    rows = [
        f"Heike;Brandt;KRANBAU {tag};heike.{tag}@kranbau.de;+49 431 55501",  # line 2: known
        f"Ole;Lund;Lund {tag} ApS;ole.{tag}@lund.dk;",  # line 3: Tryton has no such party
    ]
    source = tmp_path / "kontakte.csv"
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    args = ["-c", str(config), "import", "contacts", str(source), "--into", "erp", "-q"]

    first = CliRunner().invoke(app, args)

    assert first.exit_code == 1, first.output  # line 3 is refused
    with (tmp_path / "kontakte.rejects.csv").open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["line"] for r in rejected] == ["3"]
    assert "party_id" in " ".join(first.output.split())
    contacts = [
        r.data
        for page in connector.scan("contact")
        for r in page
        if isinstance(r.data, Contact) and tag in (r.data.email or "")
    ]
    assert [(c.last_name, c.email, c.party_id) for c in contacts] == [
        ("Brandt", f"heike.{tag}@kranbau.de", made.native_id)
    ]
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1, again.output
    assert len([c for p in connector.scan("contact") for r in p
                if isinstance(c := r.data, Contact) and tag in (c.email or "")]) == 1  # fmt: skip
