"""Contact <-> named contact mechanisms of an organisation (``party.contact_mechanism``).

Tryton's default modules have no person-at-a-company record; its contact mechanisms carry a
``name`` for the person they reach. A contact is therefore its named e-mail mechanism (the
record syncline links to) plus sibling phone and mobile mechanisms of the same party and name.
The name is stored as ``"Last, First"`` so both parts come back apart; the role is the
mechanism's comment. Tryton needs the e-mail: a contact without one is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

from syncline.connectors.base import WriteOp
from syncline.connectors.tryton.client import Domain
from syncline.connectors.tryton.mapping import EntityMapping, Row, native_id, ref_id, str_id
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity, Contact

SIBLING_TYPES = ("phone", "mobile")


def person_name(contact: Contact) -> str:
    """The mechanism name of a contact: ``"Last, First"`` (or just the last name)."""
    return f"{contact.last_name}, {contact.first_name}" if contact.first_name else contact.last_name


def split_name(name: str) -> tuple[str, str]:
    """``(first, last)`` from a mechanism name written by :func:`person_name`."""
    last, _, first = name.partition(", ")
    return first, last


class ContactMapping(EntityMapping):
    entity = "contact"
    model = "party.contact_mechanism"
    fields = (
        "party", "name", "value", "comment", "language", "active", "create_date", "write_date",
    )  # fmt: skip
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE})
    domain: ClassVar[Domain] = [("type", "=", "email"), ("name", "!=", None), ("name", "!=", "")]

    _anchors: dict[int, Row]
    _kin: dict[tuple[int, str], list[Row]]

    def _siblings(self, anchors: Sequence[Row]) -> dict[tuple[int, str], list[Row]]:
        found: dict[tuple[int, str], list[Row]] = defaultdict(list)
        parties = sorted({int(a["party"]) for a in anchors})
        names = sorted({a["name"] for a in anchors if a.get("name")})
        if not parties or not names:
            return found
        rows = self.client.search_read(
            self.model,
            [("party", "in", parties), ("name", "in", names), ("type", "in", list(SIBLING_TYPES))],
            ["party", "name", "type", "value"],
            order=[("sequence", "ASC"), ("id", "ASC")],
        )
        for row in rows:
            found[(int(row["party"]), row["name"])].append(row)
        return found

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        siblings = self._siblings(rows)
        result: list[CanonicalEntity] = []
        for row in rows:
            first, last = split_name(row["name"])
            kin = siblings[(int(row["party"]), row["name"])]
            result.append(
                Contact(
                    first_name=first,
                    last_name=last,
                    party_id=str_id(row.get("party")),
                    role=row.get("comment") or None,
                    email=row["value"],
                    phone=next((k["value"] for k in kin if k["type"] == "phone"), None),
                    mobile=next((k["value"] for k in kin if k["type"] == "mobile"), None),
                    language=self.lookups.languages.code_of(ref_id(row.get("language"))),
                    active=bool(row.get("active", True)),
                )
            )
        return result

    def _sibling_values(self, contact: Contact, party: int) -> list[dict[str, Any]]:
        return [
            {"party": party, "name": person_name(contact), "type": kind, "value": value}
            for kind, value in (("phone", contact.phone), ("mobile", contact.mobile))
            if value
        ]

    def _anchor_values(self, contact: Contact) -> dict[str, Any]:
        party = native_id(contact.party_id, "party_id", self.system)
        if party is None or not contact.email:
            raise PermanentError(
                "Tryton keeps a contact as a named e-mail of its party: party_id and email "
                "are required",
                system=self.system,
                field="email" if party is not None else "party_id",
            )
        language = (
            self.lookups.languages.require(contact.language, "language")
            if contact.language
            else None
        )
        return {
            "party": party,
            "type": "email",
            "name": person_name(contact),
            "value": contact.email,
            "comment": contact.role,
            "language": language,
            "active": contact.active,
        }

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, Contact)
        anchor = self._anchor_values(item)
        return {"anchor": anchor, "siblings": self._sibling_values(item, anchor["party"])}

    def create_records(self, values: Sequence[dict[str, Any]]) -> list[int]:
        """Anchors and siblings in one call; the anchors' ids, in order."""
        flat: list[dict[str, Any]] = []
        positions = []
        for value in values:
            positions.append(len(flat))
            flat.append(value["anchor"])
            flat.extend(value["siblings"])
        ids = self.client.create(self.model, flat)
        return [ids[p] for p in positions]

    def prepare_updates(self, ids: Sequence[int]) -> None:
        rows = self.client.read(self.model, ids, ["party", "name"], context={"active_test": False})
        self._anchors = {int(r["id"]): r for r in rows}
        self._kin = self._siblings(rows)

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        """All of the contact is rewritten: its mechanisms are few and written together."""
        assert isinstance(item, Contact)
        current = self._anchors[record_id]
        old = [int(k["id"]) for k in self._kin[(int(current["party"]), current["name"])]]
        anchor = self._anchor_values(item)
        return {
            "anchor": anchor,
            "old": old,
            "siblings": self._sibling_values(item, anchor["party"]),
        }

    def write_records(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
        self.client.write_many(self.model, [([i], c["anchor"]) for i, c in changes])
        stale = [i for _, c in changes for i in c["old"]]
        fresh = [s for _, c in changes for s in c["siblings"]]
        self.client.delete(self.model, stale)
        self.client.create(self.model, fresh)

    def _with_siblings(self, ids: Sequence[int]) -> list[int]:
        rows = self.client.read(self.model, ids, ["party", "name"], context={"active_test": False})
        kin = self._siblings(rows)
        return [*ids, *(int(k["id"]) for rows_ in kin.values() for k in rows_)]

    def archive_records(self, ids: Sequence[int]) -> None:
        self.client.write(self.model, self._with_siblings(ids), {"active": False})

    def delete_records(self, ids: Sequence[int]) -> None:
        self.client.delete(self.model, self._with_siblings(ids))


__all__ = ["ContactMapping", "person_name", "split_name"]
