"""Legacy databases of two tables each (customers and their contacts) as ``type: sql`` systems
with ``tables``, run from a syncline.yaml through the CLI: ``sync --once`` copies parties and
contacts with the contact's party translated, and ``import contacts`` ties contacts to their
company's party in the same system."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import MetaData, Table, create_engine, insert, select
from typer.testing import CliRunner

from syncline.cli import app
from syncline.cli.common import state
from tests.connectors.sql.legacy_tables import create_legacy_tables, legacy_system

SYSTEMS = ("crm", "erp")


class Legacy:
    """The two tables of one legacy database, edited as its own users would."""

    def __init__(self, url: str) -> None:
        create_legacy_tables(url)
        self.engine = create_engine(url)
        metadata = MetaData()
        self.kunden = Table("kunden", metadata, autoload_with=self.engine)
        self.contacts = Table("ansprechpartner", metadata, autoload_with=self.engine)

    def add_party(self, name: str, vat_id: str) -> str:
        row = {"firma": name, "ustid": vat_id, "aktiv": True, "geloescht": False}
        row["geaendert"] = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as db:
            key = db.execute(insert(self.kunden).returning(self.kunden.c.nr), row).scalar_one()
        return str(key)

    def add_contact(self, last_name: str, email: str, party: str | None) -> None:
        row = {"vorname": "Eva", "nachname": last_name, "mail": email, "kunde_id": party}
        with self.engine.begin() as db:
            db.execute(insert(self.contacts), {**row, "aktiv": True})

    def parties(self) -> dict[str, str]:
        """Party number by VAT id."""
        with self.engine.connect() as db:
            rows = db.execute(select(self.kunden.c.ustid, self.kunden.c.nr)).all()
        return {str(vat): str(nr) for vat, nr in rows}

    def contacts_by_mail(self) -> dict[str, str | None]:
        """Each contact's party number, by e-mail."""
        with self.engine.connect() as db:
            rows = db.execute(select(self.contacts.c.mail, self.contacts.c.kunde_id)).all()
        return {str(mail): kunde for mail, kunde in rows}

    def contacts_by_name(self) -> dict[str, str | None]:
        """Each contact's party number, by last name."""
        with self.engine.connect() as db:
            rows = db.execute(select(self.contacts.c.nachname, self.contacts.c.kunde_id)).all()
        return {str(name): kunde for name, kunde in rows}

    def close(self) -> None:
        self.engine.dispose()


def write_config(tmp_path: Path, maps: list[dict[str, Any]]) -> Path:
    cfg = {
        "version": 1,
        "store": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
        "systems": {s: legacy_system(f"sqlite:///{tmp_path / f'{s}.db'}") for s in SYSTEMS},
        "maps": maps,
    }
    path = tmp_path / "syncline.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def run(config: Path, *args: str) -> str:
    try:
        result = CliRunner().invoke(app, ["--config", str(config), *args])
    finally:
        state.config = None
    assert result.exit_code == 0, (result.output, result.exception)
    return " ".join(result.output.split())


MAPS: list[dict[str, Any]] = [
    {
        "name": "parties",
        "entity": "party",
        "a": "crm",
        "b": "erp",
        "only_listed_fields": True,
        "fields": [{"field": f} for f in ("name", "vat_id", "active")],
        "match": {"keys": ["vat_id"]},
        "overlap_seconds": 0,
    },
    {
        "name": "contacts",
        "entity": "contact",
        "a": "crm",
        "b": "erp",
        "only_listed_fields": True,
        "fields": [{"field": f} for f in ("first_name", "last_name", "party_id", "email")],
        "match": {"keys": ["email"]},
        "overlap_seconds": 0,
    },
]


def test_sync_once_copies_parties_and_contacts_each_tied_to_the_copy_of_its_party(
    tmp_path: Path,
) -> None:
    crm, erp = (Legacy(f"sqlite:///{tmp_path / f'{s}.db'}") for s in SYSTEMS)
    config = write_config(tmp_path, MAPS)
    try:
        erp.add_party("Nordlicht KG", "DE9")  # takes number 1 in the ERP: ids differ
        alpha = crm.add_party("Alpha GmbH", "DE1")
        beta = crm.add_party("Beta AG", "DE2")
        crm.add_contact("Berg", "eva@alpha.de", alpha)
        crm.add_contact("Lund", "eva@beta.de", beta)
        crm.add_contact("Solo", "eva@solo.de", None)
        out = run(config, "sync", "--once")
        assert "parties: read" in out and "contacts: read" in out, out
        in_erp = erp.parties()
        assert set(in_erp) == {"DE1", "DE2", "DE9"}
        assert in_erp["DE1"] != alpha  # the ERP's number 1 is Nordlicht
        assert erp.contacts_by_mail() == {
            "eva@alpha.de": in_erp["DE1"],
            "eva@beta.de": in_erp["DE2"],
            "eva@solo.de": None,
        }
        assert set(crm.parties()) == {"DE1", "DE2", "DE9"}, "both ways: Nordlicht in the CRM"
        # a contact new in the ERP, of the ERP's own party, reaches the CRM tied to its copy
        erp.add_contact("Hansen", "eva@nordlicht.de", in_erp["DE9"])
        run(config, "sync", "--once")
        assert crm.contacts_by_mail()["eva@nordlicht.de"] == crm.parties()["DE9"]
        quiet = run(config, "plan", "--json")
        assert '"writes": []' in quiet, quiet
    finally:
        crm.close()
        erp.close()


HEADER = "First Name;Last Name;Company;E-mail Address;Business Phone;Mobile Phone;Business City"


def test_import_contacts_into_a_system_of_tables_ties_them_to_their_companys_party(
    tmp_path: Path,
) -> None:
    legacy = Legacy(f"sqlite:///{tmp_path / 'crm.db'}")
    config = write_config(tmp_path, [])
    source = tmp_path / "kontakte.csv"
    rows = [HEADER, "Jürgen;Müller;Mueller GmbH;j.mueller@example.de;;;", "Kari;Hansen;;;;;"]
    source.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    try:
        legacy.add_party("Berg AG", "DE2")
        mueller = legacy.add_party("Müller GmbH", "DE1")
        out = run(config, "import", "contacts", str(source), "--into", "crm")
        assert "tied to their company's party (crm account): 1" in out, out
        assert "holds no party entity" not in out
        assert legacy.contacts_by_name() == {"Müller": mueller, "Hansen": None}
    finally:
        legacy.close()
