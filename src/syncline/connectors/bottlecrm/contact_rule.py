"""Which one contact a BottleCRM record stands for when it has several, or names none.

A quote or invoice naming no contact is addressed to one of its deal's or account's contacts;
a deal or a ticket linked to several contacts names one of them as its ``contact_id``. Each
time it is the contact :func:`first_contact` ranks first, never BottleCRM's listing order
(newest first), so a deal's contact person and the contact a quote on that deal falls back to
are the same person.

BottleCRM lists a deal's or ticket's contacts by name only (id, names, e-mail), in the deal
list as in the detail; the rank needs each contact's record (``is_active``, ``account``,
``created_at``). :class:`ContactRecords` supplies them, for records linking several contacts
only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from syncline.connectors.bottlecrm.client import BottleCrmClient, Json
from syncline.connectors.bottlecrm.contacts import CONTACTS
from syncline.connectors.bottlecrm.resources import id_of, parse_time

_NEVER = datetime.max.replace(tzinfo=UTC)
_RANKED_BY = ("id", "is_active", "account", "created_at")


def first_contact(contacts: Sequence[Json], account_id: str | None) -> str:
    """The id of the contact, of BottleCRM contact records ``contacts``, that a record of
    ``account_id`` stands for: an active contact before an archived one, then one whose primary
    account (the contact's ``account``) is ``account_id`` (no preference when None), then the
    earliest created, then the lowest id. Not BottleCRM's listing order, which puts the newest
    first."""

    def rank(contact: Json) -> tuple[bool, bool, datetime, str]:
        created = parse_time(contact.get("created_at")) or _NEVER
        return (
            contact.get("is_active") is False,
            account_id is not None and id_of(contact.get("account")) != account_id,
            created if created.tzinfo else created.replace(tzinfo=UTC),
            str(id_of(contact)),
        )

    return str(id_of(min(contacts, key=rank)))


def linked_ids(record: Json) -> list[str]:
    """The ids of the contacts a deal or ticket links (its ``contacts``), in BottleCRM's
    order, each once."""
    contacts = record.get("contacts")
    if not isinstance(contacts, list):
        return []
    return list(dict.fromkeys(i for c in contacts if (i := id_of(c))))


def named_contact(record: Json) -> str | None:
    """The contact a deal or ticket names: its only contact, of several the one
    :func:`first_contact` ranks first for the record's account, None when it links none.

    With several, ``contacts`` must hold the contacts' records (:meth:`ContactRecords.linked`);
    BottleCRM's name-only entries would rank by id alone."""
    ids = linked_ids(record)
    if len(ids) <= 1:
        return ids[0] if ids else None
    contacts = [c if isinstance(c, dict) else {"id": c} for c in record["contacts"] if id_of(c)]
    return first_contact(contacts, id_of(record.get("account")))


def _ranked_fields(contact: Json) -> Json:
    """What the rank reads of a contact record (a scan may hold every contact's)."""
    return {key: contact[key] for key in _RANKED_BY if key in contact}


class ContactRecords:
    """BottleCRM contact records by id, each read at most once, to rank linked contacts.

    ``from_listing`` (for a scan of many deals or tickets): the first time records are asked
    for, BottleCRM's contact list is read in one paged pass, which carries everything the rank
    needs, instead of one detail request per contact. Contacts it lacks (created since), and
    every contact without ``from_listing``, are read one detail request after another: a record
    links a few, and callers may already run on the client's request pool.
    """

    def __init__(self, client: BottleCrmClient, *, from_listing: bool = False) -> None:
        self._client = client
        self._list_pending = from_listing
        self._known: dict[str, Json] = {}

    def get(self, ids: Sequence[str]) -> list[Json]:
        """The records of the contacts ``ids`` (the fields the rank reads), in that order; a
        contact BottleCRM no longer has is just its id."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._known]
        if missing and self._list_pending:
            self._list_pending = False
            for page in self._client.pages(CONTACTS.list_path(), CONTACTS.shapes):
                self._known.update((str(c["id"]), _ranked_fields(c)) for c in page)
        for contact_id in missing:
            if contact_id not in self._known:
                body = self._client.get_optional(CONTACTS.detail_path(contact_id)) or {}
                found = CONTACTS.detail_record(body) or {"id": contact_id}
                self._known[contact_id] = _ranked_fields(found)
        return [self._known[i] for i in ids]

    def linked(self, records: Sequence[Json]) -> list[Json]:
        """``records`` (deals or tickets), each linking several contacts with their records in
        ``contacts`` (a copy; the others as they are), ready for :func:`named_contact`."""
        pairs = [(record, linked_ids(record)) for record in records]
        self.get([i for _, ids in pairs if len(ids) > 1 for i in ids])  # one listing for all
        return [{**r, "contacts": self.get(ids)} if len(ids) > 1 else r for r, ids in pairs]
