"""Against the running BottleCRM: a deal or a ticket linking several contacts names, as its
``contact_id``, the contact the documented rule ranks first (active before archived, then of the
record's account, then the earliest created), not the first BottleCRM lists (the newest). A
deal's contact is the one a quote on that deal naming no contact is addressed to, and the web
screens' contact person of the deal. A scan ranks them from one pass over BottleCRM's contact
list, not one request per contact of each deal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from syncline.connectors.base import NativeRecord, WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.demo.bottlecrm import CrmInstance
from syncline.flows.crm_bottlecrm import BottleCrmSide
from syncline.model import Opportunity, Quote, ServiceCase
from syncline.web.live_bottlecrm import BottleCrmDesk
from tests.connectors.bottlecrm.records import create, new_account, new_contact
from tests.support.live_systems import bottlecrm_settings_for

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


@dataclass(frozen=True)
class People:
    """Contacts of ``account`` in the order created; the rule picks ``early``, BottleCRM lists
    ``late`` first."""

    account: str
    guest: str  # the earliest, but its primary account is another one
    archived: str  # the account's earliest, archived
    early: str
    late: str

    def linked_newest_first(self) -> list[str]:
        return [self.late, self.early, self.archived, self.guest]


def _people(connector: BottleCrmConnector) -> People:
    account = new_account(connector, "Verknuepft")
    guest = new_contact(connector, new_account(connector, "Gastfirma"), "Gast")
    archived = new_contact(connector, account, "Alt")
    [result] = connector.write(
        "contact", [WriteRequest(WriteOp.ARCHIVE, "contact", "archive", native_id=archived)]
    )
    assert result.ok, result.error
    early = new_contact(connector, account, "Frueh")
    late = new_contact(connector, account, "Spaet")
    return People(account, guest, archived, early, late)


def _deal(connector: BottleCrmConnector, people: People) -> str:
    deal = create(
        connector,
        "opportunity",
        Opportunity(name=f"Deal {uuid.uuid4().hex[:8]}", party_id=people.account),
    )
    connector.client.patch(
        f"/api/opportunities/{deal}/", {"contacts": people.linked_newest_first()}
    )
    listed = connector.client.get(f"/api/opportunities/{deal}/")["opportunity_obj"]["contacts"]
    assert {c["id"] for c in listed} == set(people.linked_newest_first())
    assert listed[0]["id"] == people.late  # BottleCRM lists the newest first
    return deal


def _scanned(connector: BottleCrmConnector, entity: str, native_id: str) -> list[NativeRecord]:
    return [r for page in connector.scan(entity) for r in page if r.native_id == native_id]


def test_a_deal_names_the_ranked_contact_the_one_a_quote_on_it_gets(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    people = _people(bottlecrm_connector)
    deal = _deal(bottlecrm_connector, people)

    [read] = bottlecrm_connector.read("opportunity", [deal])
    assert isinstance(read.data, Opportunity) and read.data.contact_id == people.early
    # A scan names the same contact, so its version is the one read wrote down.
    [scanned] = _scanned(bottlecrm_connector, "opportunity", deal)
    assert scanned == read

    quote = Quote(title="Deal ohne Kontakt", party_id=people.account, opportunity_id=deal)
    [record] = bottlecrm_connector.read("quote", [create(bottlecrm_connector, "quote", quote)])
    assert isinstance(record.data, Quote) and record.data.contact_id == read.data.contact_id

    # The web screens' contact person of the deal.
    [shown] = BottleCrmDesk(bottlecrm_connector).deals(people.account)
    assert shown.id == deal and shown.contact_id == people.early

    # The flows' deal, alone and among all deals.
    flows = BottleCrmSide(bottlecrm_connector)
    alone = flows.deal(deal)
    assert alone is not None and alone.data.contact_id == people.early
    [listed] = [d for d in flows._deals() if d.id == deal]
    assert listed.data.contact_id == people.early


def test_a_ticket_names_the_ranked_contact_of_several(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    people = _people(bottlecrm_connector)
    case = ServiceCase(
        title=f"Mehrere Kontakte {uuid.uuid4().hex[:8]}",
        party_id=people.account,
        contact_id=people.late,
    )
    case_id = create(bottlecrm_connector, "service_case", case)
    bottlecrm_connector.client.patch(
        f"/api/cases/{case_id}/", {"contacts": people.linked_newest_first()}
    )
    listed = bottlecrm_connector.client.get(f"/api/cases/{case_id}/")["cases_obj"]["contacts"]
    assert {c["id"] for c in listed} == set(people.linked_newest_first())
    assert listed[0]["id"] == people.late

    [read] = bottlecrm_connector.read("service_case", [case_id])
    assert isinstance(read.data, ServiceCase) and read.data.contact_id == people.early
    [scanned] = _scanned(bottlecrm_connector, "service_case", case_id)
    assert scanned == read


class CountingTransport(httpx.HTTPTransport):
    """The real transport, noting each request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        offset = request.url.params.get("offset", "")
        self.requests.append((request.method, request.url.path, offset))
        return super().handle_request(request)

    def contact_requests(self) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if r[1].startswith("/api/contacts/")]


@pytest.fixture
def counted(bottlecrm: CrmInstance) -> Iterator[tuple[BottleCrmConnector, CountingTransport]]:
    transport = CountingTransport()
    connector = BottleCrmConnector("crm", bottlecrm_settings_for(bottlecrm), transport)
    yield connector, transport
    connector.close()


def test_a_scan_ranks_every_deals_contacts_from_one_pass_over_the_contact_list(
    bottlecrm_connector: BottleCrmConnector,
    counted: tuple[BottleCrmConnector, CountingTransport],
) -> None:
    connector, transport = counted
    first, second = _people(bottlecrm_connector), _people(bottlecrm_connector)
    deals = {_deal(bottlecrm_connector, first): first, _deal(bottlecrm_connector, second): second}
    single = create(
        bottlecrm_connector,
        "opportunity",
        Opportunity(
            name=f"Ein Kontakt {uuid.uuid4().hex[:8]}",
            party_id=first.account,
            contact_id=first.late,
        ),
    )

    named = {r.native_id: r.data for page in connector.scan("opportunity") for r in page}
    for deal, people in deals.items():
        deal_data = named[deal]
        assert isinstance(deal_data, Opportunity) and deal_data.contact_id == people.early
    listing = [r for r in transport.contact_requests() if r[:2] == ("GET", "/api/contacts/")]
    assert listing and [r for r in listing if r[2] == "0"] == [listing[0]]  # one pass
    assert transport.contact_requests() == listing  # no contact read one by one

    # Reading a deal: its contacts' records when it links several, none when it links one.
    transport.requests.clear()
    [only] = connector.read("opportunity", [single])
    assert isinstance(only.data, Opportunity) and only.data.contact_id == first.late
    assert transport.contact_requests() == []
    deal = next(iter(deals))
    connector.read("opportunity", [deal])
    read_one_by_one = sorted(r[1] for r in transport.contact_requests())
    assert read_one_by_one == sorted(f"/api/contacts/{c}/" for c in first.linked_newest_first())
