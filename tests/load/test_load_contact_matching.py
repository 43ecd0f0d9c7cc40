"""Fuzzy matching in the initial load of a contact map compares each contact with its party
(its company): one name at different companies stays two people, the same company links."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from syncline.connectors.base import Connector, Delegating, NativeRecord
from syncline.errors import PermanentError
from syncline.load import InitialLoad
from syncline.load.inventory import read_parties
from syncline.load.report import NoProgress
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.store.links import list_links
from syncline.store.reviews import list_reviews
from tests.load.conftest import load_config
from tests.support.sqltables import contact_system
from tests.sync.harness import Systems, Tables


def contacts_config(**options: Any) -> SynclineConfig:
    """The parties map and a contacts map crm (a) -> erp (b), matched only fuzzily."""
    cfg = load_config(direction="a_to_b").model_dump(mode="json")
    cfg["maps"].append(
        {
            "name": "contacts", "entity": "contact", "a": "crm", "b": "erp",
            "direction": "a_to_b", "only_listed_fields": True,
            "fields": [{"field": f} for f in ("first_name", "last_name", "party_id", "email")],
            "match": {"fuzzy": True}, "overlap_seconds": 0, **options,
        }
    )  # fmt: skip
    return SynclineConfig.model_validate(cfg)


class CountedTables(Tables):
    """A two-table system that counts how often its parties are scanned."""

    party_scans = 0

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        if entity == "party":
            self.party_scans += 1
        return super().scan(entity)


@pytest.fixture
def tables(systems: Systems, tmp_path: Path) -> dict[str, CountedTables]:
    """crm and erp, each a party table and a contact table."""
    return {
        s: CountedTables(
            s,
            {
                "party": systems.conn[s],
                "contact": contact_system(s, f"sqlite:///{tmp_path / f'{s}-contacts.db'}"),
            },
        )
        for s in ("crm", "erp")
    }


def add_person(tables: dict[str, CountedTables], system: str, name: str, party: str) -> str:
    """A contact ``"First Last"`` of ``party`` in ``system``; its native id."""
    first, last = name.split(" ", 1)
    table = tables[system].tables["contact"]
    with table.engine.begin() as db:
        result = db.execute(
            insert(table.table),
            {
                "first_name": first,
                "last_name": last,
                "party_id": party,
                "active": True,
                "deleted": False,
                "modified_at": datetime.now(UTC).replace(tzinfo=None),
            },
        )
    assert result.inserted_primary_key is not None
    return str(result.inserted_primary_key[0])


def contact_links(state: Store) -> set[tuple[str | None, str | None, str]]:
    with state.begin() as conn:
        return {
            (link.id_a, link.id_b, link.origin)
            for link in list_links(conn, "contacts", "active", limit=10_000)
        }


def test_one_name_at_different_companies_stays_apart_and_the_same_company_links(
    systems: Systems, tables: dict[str, CountedTables], state: Store
) -> None:
    crm_firma = systems.create("crm", name="Firma KG")
    crm_nord = systems.create("crm", name="Nordlicht GmbH")
    erp_firma = systems.create("erp", name="Firma KG")
    erp_other = systems.create("erp", name="Other AG")
    systems.create("erp", name="Unrelated AS")  # a party no contact belongs to
    anna = add_person(tables, "crm", "Anna Schmidt", crm_firma)
    add_person(tables, "crm", "Eva Berg", crm_nord)
    erp_anna = add_person(tables, "erp", "Anna Schmidt", erp_firma)
    add_person(tables, "erp", "Eva Berg", erp_other)
    karl = add_person(tables, "crm", "Karl Hansen", crm_firma)
    erp_karl = add_person(tables, "erp", "K. Hansen", erp_firma)  # initial, same company

    report = InitialLoad(state, contacts_config(), tables).run("contacts", dry_run=True)
    assert report.linked_fuzzy == 2 and report.for_review == 0
    assert (tables["crm"].party_scans, tables["erp"].party_scans) == (1, 1)

    InitialLoad(state, contacts_config(), tables).run("contacts")
    # the two Eva Bergs work for different companies: two people, not linked
    fuzzy = {(a, b) for a, b, origin in contact_links(state) if origin == "fuzzy"}
    assert fuzzy == {(anna, erp_anna), (karl, erp_karl)}
    with state.begin() as conn:
        assert list_reviews(conn, map_name="contacts") == []


def test_a_review_item_shows_each_contacts_company(
    systems: Systems, tables: dict[str, CountedTables], state: Store
) -> None:
    crm_firma = systems.create("crm", name="Firma KG")
    erp_firma = systems.create("erp", name="Firma KG")
    anna = add_person(tables, "crm", "Anna Schmidt", crm_firma)
    erp_anna = add_person(tables, "erp", "Anna Schmidt", erp_firma)
    # a threshold above the pair's score puts it into the grey zone
    config = contacts_config(match={"fuzzy": True, "thresholds": {"auto_link": 0.999}})
    report = InitialLoad(state, config, tables).run("contacts")
    assert report.for_review == 2 and report.linked_fuzzy == 0
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="contacts")
    assert (item.left_id, item.right_id) == (anna, erp_anna)
    assert item.details["left"]["company"] == "Firma KG"
    assert item.details["right"]["company"] == "Firma KG"


def test_only_the_parties_contacts_belong_to_are_kept(
    systems: Systems, tables: dict[str, CountedTables]
) -> None:
    firma = systems.create("crm", name="Firma KG")
    for i in range(5):
        systems.create("crm", name=f"Other {i} AG")
    add_person(tables, "crm", "Anna Schmidt", firma)
    add_person(tables, "crm", "Eva Berg", "999")  # a party that does not exist
    contacts: dict[str, NativeRecord] = {
        r.native_id: r for page in tables["crm"].scan("contact") for r in page
    }
    parties = read_parties(tables["crm"], contacts, NoProgress())
    assert {i: p.name for i, p in parties.items()} == {firma: "Firma KG"}
    assert tables["crm"].party_scans == 1
    # contacts without a party: the parties are not read at all
    assert read_parties(tables["crm"], {}, NoProgress()) == {}
    assert tables["crm"].party_scans == 1


class OneBadParty(Delegating):
    """A system whose party ``bad`` cannot be read: a scan fails, and so does a read of it."""

    def __init__(self, inner: Connector, bad: str) -> None:
        super().__init__(inner)
        self.bad = bad

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        if entity == "party":
            raise PermanentError(f"party {self.bad}: name must not be blank")
        return super().scan(entity)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        if entity == "party" and self.bad in native_ids:
            raise PermanentError(f"party {self.bad}: name must not be blank")
        return super().read(entity, native_ids)


def test_an_unreadable_party_leaves_only_its_contacts_without_company(
    systems: Systems, tables: dict[str, CountedTables]
) -> None:
    firma = systems.create("crm", name="Firma KG")
    broken = systems.create("crm", name="Broken AG")
    nord = systems.create("crm", name="Nordlicht GmbH")
    for name, party in (("Anna Schmidt", firma), ("Eva Berg", broken), ("Per Olsen", nord)):
        add_person(tables, "crm", name, party)
    crm = OneBadParty(tables["crm"], broken)
    contacts = {r.native_id: r for page in crm.scan("contact") for r in page}
    parties = read_parties(crm, contacts, NoProgress())
    assert {i: p.name for i, p in parties.items()} == {firma: "Firma KG", nord: "Nordlicht GmbH"}
