"""``party.party`` with its addresses, contact mechanisms and VAT identifier <-> Party.

Roles live as party categories named after the role (``customer``, ``debtor``, ``supplier``);
the party's code is its number in this system (``numbers[system]``). Tryton keeps no legal
form, credit limit or currency on a party (without extra modules): those fields are not
stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

from syncline.connectors.base import WriteOp
from syncline.connectors.tryton.mapping import EntityMapping, Row, ref_id
from syncline.model import Address, AddressKind, CanonicalEntity, Party, PartyRole

ADDRESS_FIELDS = (
    "party", "party_name", "street_unstructured", "postal_code", "city", "country",
    "invoice", "delivery", "sequence",
)  # fmt: skip
MECHANISM_FIELDS = ("party", "type", "value", "name", "sequence")
PARTY_MECHANISMS = ("email", "phone", "mobile", "website")
#: Identifier types that hold a VAT number, by prefix of the number.
VAT_TYPES = {"CHE": "ch_vat", "NO": "no_mva"}
VAT_TYPE_DEFAULT = "eu_vat"


def _vat_type(code: str) -> str:
    for prefix, kind in VAT_TYPES.items():
        if code.upper().startswith(prefix):
            return kind
    return VAT_TYPE_DEFAULT


def _is_vat(kind: str | None) -> bool:
    return bool(kind) and (str(kind).endswith("_vat") or kind in ("no_mva", "dk_cvr", "at_uid"))


class PartyMapping(EntityMapping):
    entity = "party"
    unstored = frozenset({"legal_form", "credit_limit", "currency"})
    model = "party.party"
    fields = ("name", "code", "active", "lang", "categories", "create_date", "write_date")
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE})
    #: Party category per canonical role.
    role_categories: ClassVar[dict[PartyRole, str]] = {r: r.value for r in PartyRole}

    _current: dict[int, dict[str, list[Row]]]

    # -- reading ---------------------------------------------------------------------------

    def _children(self, ids: Sequence[int]) -> dict[int, dict[str, list[Row]]]:
        found: dict[int, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        if not ids:
            return found
        domain = [("party", "in", list(ids))]
        for kind, model, fields, order in (
            ("addresses", "party.address", ADDRESS_FIELDS, [("sequence", "ASC"), ("id", "ASC")]),
            ("mechanisms", "party.contact_mechanism", MECHANISM_FIELDS,
             [("sequence", "ASC"), ("id", "ASC")]),
            ("identifiers", "party.identifier", ("party", "type", "code"), [("id", "ASC")]),
        ):  # fmt: skip
            for row in self.client.search_read(model, domain, fields, order=order):
                found[int(row["party"])][kind].append(row)
        return found

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        children = self._children([int(r["id"]) for r in rows])
        role_by_category = {
            self.lookups.party_categories.id_of(name): role
            for role, name in self.role_categories.items()
        }
        result: list[CanonicalEntity] = []
        for row in rows:
            kids = children[int(row["id"])]
            mechanisms = [m for m in kids["mechanisms"] if not m.get("name")]
            vat = next((i["code"] for i in kids["identifiers"] if _is_vat(i["type"])), None)
            roles = [
                role_by_category[c] for c in row.get("categories") or [] if c in role_by_category
            ]
            result.append(
                Party(
                    name=row["name"],
                    roles=roles,
                    numbers={self.system: row["code"]} if row.get("code") else {},
                    vat_id=vat,
                    emails=[m["value"] for m in mechanisms if m["type"] == "email"],
                    phones=[m["value"] for m in mechanisms if m["type"] in ("phone", "mobile")],
                    website=next((m["value"] for m in mechanisms if m["type"] == "website"), None),
                    addresses=[self._address(a) for a in kids["addresses"] if _has_content(a)],
                    currency=self.lookups.company_currency(),
                    language=self.lookups.languages.code_of(ref_id(row.get("lang"))),
                    active=bool(row.get("active", True)),
                )
            )
        return result

    def _address(self, row: Row) -> Address:
        if row.get("invoice"):
            kind = AddressKind.BILLING
        elif row.get("delivery"):
            kind = AddressKind.SHIPPING
        else:
            kind = AddressKind.VISITING
        return Address(
            kind=kind,
            name=row.get("party_name") or None,
            street=row.get("street_unstructured") or "",
            postal_code=row.get("postal_code") or "",
            city=row.get("city") or "",
            country=self.lookups.countries.code_of(ref_id(row.get("country"))),
        )

    # -- writing ---------------------------------------------------------------------------

    def _address_values(self, address: Address) -> dict[str, Any]:
        country = (
            self.lookups.countries.require(address.country, "country") if address.country else None
        )
        return {
            "party_name": address.name,
            "street_unstructured": address.street or None,
            "postal_code": address.postal_code or None,
            "city": address.city or None,
            "country": country,
            "invoice": address.kind == AddressKind.BILLING,
            "delivery": address.kind == AddressKind.SHIPPING,
        }

    def _mechanisms(self, party: Party) -> list[tuple[str, str]]:
        wanted = [("email", e) for e in party.emails] + [("phone", p) for p in party.phones]
        if party.website:
            wanted.append(("website", party.website))
        return wanted

    def _category_ids(self, roles: Sequence[PartyRole]) -> list[int]:
        ids = []
        for role in roles:
            name = self.role_categories[role]
            found = self.lookups.party_categories.id_of(name)
            if found is None:
                (found,) = self.client.create("party.category", [{"name": name}])
                self.lookups.party_categories.add(name, found)
            ids.append(found)
        return ids

    def _scalar_values(self, party: Party, fields: frozenset[str] | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.wanted("name", fields):
            values["name"] = party.name
        if self.wanted("numbers", fields) and party.numbers.get(self.system):
            values["code"] = party.numbers[self.system]
        if self.wanted("language", fields):
            values["lang"] = (
                self.lookups.languages.require(party.language, "language")
                if party.language
                else None
            )
        if self.wanted("active", fields):
            values["active"] = party.active
        return values

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, Party)
        values = self._scalar_values(item, None)
        values["categories"] = [("add", self._category_ids(item.roles))]
        # An explicit (possibly empty) list stops Tryton adding its default empty address.
        values["addresses"] = [("create", [self._address_values(a) for a in item.addresses])]
        values["contact_mechanisms"] = [
            ("create", [{"type": t, "value": v} for t, v in self._mechanisms(item)])
        ]
        values["identifiers"] = [
            ("create", [{"type": _vat_type(item.vat_id), "code": item.vat_id}])
        ] if item.vat_id else []  # fmt: skip
        return values

    def prepare_updates(self, ids: Sequence[int]) -> None:
        self._current = self._children(ids)
        rows = self.client.read(self.model, ids, ["categories", "code"])
        for row in rows:
            current = self._current[int(row["id"])]
            current["categories"] = [{"id": c} for c in row.get("categories") or []]
            current["code"] = [{"code": row.get("code")}]

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        assert isinstance(item, Party)
        current = self._current[record_id]
        values = self._scalar_values(item, fields)
        # Tryton refuses a write of the code when its sequence owns it, even to the same value.
        if values.get("code") == current["code"][0]["code"]:
            del values["code"]
        if self.wanted("roles", fields):
            role_ids = set(self._category_ids(item.roles))
            managed = {
                self.lookups.party_categories.id_of(n) for n in self.role_categories.values()
            }
            have = {int(c["id"]) for c in current["categories"]}
            actions: list[Any] = []
            if remove := sorted((have & managed) - role_ids):
                actions.append(("remove", remove))
            if add := sorted(role_ids - have):
                actions.append(("add", add))
            if actions:
                values["categories"] = actions
        if self.wanted("addresses", fields):
            values["addresses"] = self._address_actions(item.addresses, current["addresses"])
        if any(self.wanted(f, fields) for f in ("emails", "phones", "website")):
            have_mech = [m for m in current["mechanisms"] if not m.get("name")]
            values["contact_mechanisms"] = _replace_actions(
                [{"type": t, "value": v} for t, v in self._mechanisms(item)],
                have_mech,
                key=lambda v: (("phone" if v["type"] == "mobile" else v["type"]), v["value"]),
            )
        if self.wanted("vat_id", fields):
            have_vat = [i for i in current["identifiers"] if _is_vat(i["type"])]
            want_vat = (
                [{"type": _vat_type(item.vat_id), "code": item.vat_id}] if item.vat_id else []
            )
            values["identifiers"] = _replace_actions(
                want_vat, have_vat, key=lambda v: (v["type"], v["code"])
            )
        return {k: v for k, v in values.items() if v != []}

    def _address_actions(self, wanted: Sequence[Address], have: Sequence[Row]) -> list[Any]:
        """Rewrite existing addresses in order, create the extra ones, archive the surplus
        (an address used by a sale or invoice cannot be deleted)."""
        live = [a for a in have if _has_content(a)]
        actions: list[Any] = []
        for address, row in zip(wanted, live, strict=False):
            values = self._address_values(address)
            if any(row.get(k) != v for k, v in values.items()):
                actions.append(("write", [int(row["id"])], values))
        if len(wanted) > len(live):
            actions.append(("create", [self._address_values(a) for a in wanted[len(live) :]]))
        surplus = [int(r["id"]) for r in have if r not in live[: len(wanted)]]
        if surplus:
            actions.append(("write", surplus, {"active": False}))
        return actions


def _has_content(row: Row) -> bool:
    return any(
        row.get(k) for k in ("street_unstructured", "postal_code", "city", "party_name", "country")
    )


def _replace_actions(wanted: list[Row], have: Sequence[Row], key: Any) -> list[Any]:
    """One2Many actions that turn ``have`` into ``wanted``: keep equal ones, delete the rest,
    create what is missing (order follows ``wanted``)."""
    have_keys = [key(h) for h in have]
    want_keys = [key(w) for w in wanted]
    if have_keys == want_keys:
        return []
    actions: list[Any] = []
    if have:
        actions.append(("delete", [int(h["id"]) for h in have]))
    if wanted:
        actions.append(("create", wanted))
    return actions


__all__ = ["PartyMapping"]
