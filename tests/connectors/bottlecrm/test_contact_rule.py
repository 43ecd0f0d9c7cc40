"""The rule that picks one of a deal's or ticket's several contacts, and the contact records it
ranks by (through httpx's MockTransport, no server). The live proof against BottleCRM is in
``test_live_linked_contacts.py``."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from syncline.connectors.bottlecrm import BottleCrmClient, BottleCrmSettings
from syncline.connectors.bottlecrm.cases import case_from_native
from syncline.connectors.bottlecrm.client import Json
from syncline.connectors.bottlecrm.contact_rule import ContactRecords, named_contact
from syncline.connectors.bottlecrm.opportunities import deal_to_opportunity

# BottleCRM's contact records as its contact list and detail carry them (trimmed).
OLD_ARCHIVED = {
    "id": "c1",
    "is_active": False,
    "account": "a1",
    "created_at": "2026-01-01T08:00:00Z",
}
GUEST = {"id": "c2", "is_active": True, "account": "a9", "created_at": "2026-01-02T08:00:00Z"}
EARLY = {"id": "c4", "is_active": True, "account": "a1", "created_at": "2026-01-03T08:00:00Z"}
LATE = {"id": "c3", "is_active": True, "account": "a1", "created_at": "2026-01-04T08:00:00Z"}
CONTACTS = [LATE, EARLY, GUEST, OLD_ARCHIVED]  # BottleCRM's order: the newest first


def _linking(contacts: list[Json], account: str | None = "a1") -> Json:
    """A deal or ticket as BottleCRM lists it: its contacts by name only."""
    return {
        "id": "r1",
        "name": "Rahmenvertrag",
        "account": {"id": account, "name": "Koch"} if account else None,
        "contacts": [{"id": c["id"], "first_name": "X", "last_name": "Y"} for c in contacts],
    }


def test_a_record_names_the_active_contact_of_its_account_created_first() -> None:
    record = {**_linking(CONTACTS), "contacts": CONTACTS}
    assert named_contact(record) == "c4"
    assert deal_to_opportunity(record).contact_id == "c4"
    assert case_from_native(record).contact_id == "c4"
    # Without an account no contact is preferred for its primary account.
    assert named_contact({**record, "account": None}) == "c2"


def test_one_contact_or_none_needs_no_ranking() -> None:
    assert named_contact(_linking([LATE])) == "c3"
    assert named_contact(_linking([])) is None
    assert named_contact({"id": "r1"}) is None
    assert named_contact({"id": "r1", "contacts": ["c7"]}) == "c7"


class Calls:
    """A mock BottleCRM that serves ``CONTACTS`` and notes the paths asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/api/contacts/":
            listed = [c for c in CONTACTS if c is not LATE]  # LATE created since the listing
            return httpx.Response(200, json={"count": len(listed), "results": listed})
        found = [c for c in CONTACTS if request.url.path == f"/api/contacts/{c['id']}/"]
        if not found:
            return httpx.Response(404, json={"detail": "Not found."})
        return httpx.Response(200, json={"contact_obj": {**found[0], "email": "x@y.example"}})


def _client(calls: Calls) -> BottleCrmClient:
    settings = BottleCrmSettings(url="http://crm.test", token=SecretStr("bcrm_pat_x"))
    return BottleCrmClient("crm", settings, httpx.MockTransport(calls))


def test_records_linking_one_contact_cost_no_request() -> None:
    calls = Calls()
    records = [_linking([LATE]), _linking([])]
    assert ContactRecords(_client(calls), from_listing=True).linked(records) == records
    assert calls.paths == []


def test_a_scan_lists_the_contacts_once_and_reads_only_those_the_list_lacks() -> None:
    calls = Calls()
    contacts = ContactRecords(_client(calls), from_listing=True)
    first = contacts.linked([_linking(CONTACTS), _linking([EARLY, GUEST])])
    second = contacts.linked([_linking([LATE, GUEST, {"id": "gone"}])])
    assert [named_contact(r) for r in [*first, *second]] == ["c4", "c4", "c3"]
    assert calls.paths == ["/api/contacts/", "/api/contacts/c3/", "/api/contacts/gone/"]
    # The rank's fields only, so a scan does not hold every contact's whole record.
    assert first[0]["contacts"][0] == LATE


def test_a_read_reads_each_linked_contact_once() -> None:
    calls = Calls()
    [record] = ContactRecords(_client(calls)).linked([_linking([LATE, EARLY, LATE])])
    assert named_contact(record) == "c4"
    assert sorted(calls.paths) == ["/api/contacts/c3/", "/api/contacts/c4/"]
