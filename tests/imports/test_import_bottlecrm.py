"""``syncline import contacts FILE --into crm`` end to end: the real CLI, the real matcher and a
real BottleCRM (django-crm, on a fresh copy of the seeded template)."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncline.cli import app
from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.demo.bottlecrm import CrmInstance
from syncline.model import Contact, Party
from tests.support.live_systems import bottlecrm_connector, running_bottlecrm

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]

HEADER = "First Name;Last Name;Company;E-mail Address;Business Phone;Mobile Phone"


@pytest.fixture(scope="module")
def crm(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CrmInstance, BottleCrmConnector]]:
    with (
        running_bottlecrm(tmp_path_factory.mktemp("import-crm")) as instance,
        bottlecrm_connector(instance) as connector,
    ):
        yield instance, connector


def _config(folder: Path, instance: CrmInstance, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNCLINE_TEST_CRM_TOKEN", instance.token)
    path = folder / "syncline.yaml"
    path.write_text(
        f"""version: 1
store:
  url: sqlite:///{folder / "state.db"}
systems:
  crm:
    type: bottlecrm
    url: {instance.url}
    token: ${{SYNCLINE_TEST_CRM_TOKEN}}
""",
        encoding="utf-8",
    )
    return path


def _contacts(connector: BottleCrmConnector, tag: str) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for page in connector.scan("contact"):
        for record in page:
            if isinstance(record.data, Contact) and tag in (record.data.email or ""):
                found[record.native_id] = record.data
    return found


def test_outlook_export_is_imported_with_rejects_review_and_no_second_copy(
    tmp_path: Path,
    crm: tuple[CrmInstance, BottleCrmConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance, connector = crm
    tag = uuid.uuid4().hex[:8]
    existing = Contact(first_name="Kari", last_name="Nordmann", email=f"kari.{tag}@fjord.no")
    [seeded] = connector.write(
        "contact", [WriteRequest(WriteOp.CREATE, "contact", tag, data=existing)]
    )
    assert seeded.ok, seeded.error
    rows = [
        f"Jürgen;Müller;Müller GmbH;j.mueller.{tag}@example.de;+49 30 1234567;",  # line 2
        f"Ingrid;Dahl;Dahl AS;ingrid.{tag}@dahl.no;;+47 912 34 567",  # line 3
        "Bad;Mail;X GmbH;not-an-email;;",  # line 4: rejected
        f"Kari;Nordmann;Fjord AS;KARI.{tag}@Fjord.NO;;",  # line 5: the CRM has her already
        f"Jürgen;Müller;Müller GmbH;j.mueller.{tag}@example.de;+49 30 1234567;",  # line 6: = 2
    ]
    source = tmp_path / "outlook.csv"
    source.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    config = _config(tmp_path, instance, monkeypatch)
    args = ["-c", str(config), "import", "contacts", str(source), "--into", "crm", "-q"]

    first = CliRunner().invoke(app, args)

    assert first.exit_code == 1, first.output  # a row was rejected
    assert "line 4" in first.output and "not-an-email" in first.output
    # the rejects file starts with a BOM, so that Excel reads it as UTF-8
    with (tmp_path / "outlook.rejects.csv").open(encoding="utf-8-sig") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["line"] for r in rejected] == ["4"]
    in_crm = _contacts(connector, tag)
    emails = sorted(c.email or "" for c in in_crm.values())
    assert emails == sorted(
        [f"j.mueller.{tag}@example.de", f"ingrid.{tag}@dahl.no", f"kari.{tag}@fjord.no"]
    ), "two new contacts, Kari matched to the CRM's own record, line 6 not copied"
    assert {c.last_name for c in in_crm.values()} == {"Müller", "Dahl", "Nordmann"}

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1, again.output  # the bad row is still bad
    assert len(_contacts(connector, tag)) == 3, "a second import creates nothing"


def test_an_imported_contact_lands_under_the_account_of_its_company(
    tmp_path: Path,
    crm: tuple[CrmInstance, BottleCrmConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance, connector = crm
    tag = uuid.uuid4().hex[:8]
    account = Party(name=f"Fjellvik {tag} AS")
    [made] = connector.write(
        "party", [WriteRequest(WriteOp.CREATE, "party", f"account-{tag}", data=account)]
    )
    assert made.ok and made.native_id is not None, made.error
    rows = [
        f"Solveig;Berg;FJELLVIK {tag};solveig.{tag}@fjellvik.no;;",  # line 2: the account
        f"Arne;Strand;Strand {tag} GmbH;arne.{tag}@strand.de;;",  # line 3: no such account
    ]
    source = tmp_path / "outlook.csv"
    source.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    config = _config(tmp_path, instance, monkeypatch)
    args = ["-c", str(config), "import", "contacts", str(source), "--into", "crm", "-q"]

    first = CliRunner().invoke(app, args)

    assert first.exit_code == 0, first.output
    output = " ".join(first.output.split())
    assert "tied to their company's party (crm account): 1" in output
    not_found = "company not found in crm, left without a party: 1 contact(s), 1 company:"
    assert f"{not_found} Strand {tag} GmbH" in output
    by_email = {c.email: (i, c) for i, c in _contacts(connector, tag).items()}
    solveig_id, solveig = by_email[f"solveig.{tag}@fjellvik.no"]
    assert solveig.party_id == made.native_id
    assert by_email[f"arne.{tag}@strand.de"][1].party_id is None
    # BottleCRM itself shows her under the account (the contact's primary account)
    detail = connector.client.get(f"/api/contacts/{solveig_id}/")["contact_obj"]
    account_ref = detail["account"]
    assert (
        str(account_ref["id"] if isinstance(account_ref, dict) else account_ref) == made.native_id
    )

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert len(_contacts(connector, tag)) == 2, "a second import creates nothing"
