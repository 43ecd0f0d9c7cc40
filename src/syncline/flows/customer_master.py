"""Customer master: the ERP leads debtors. Each ERP debtor gets a linked CRM account that
carries its ERP debtor number, name and billing address; a CRM edit of those fields is
reverted (and audited as an ownership revert). The CRM leads the sales and support contacts:
this flow never touches them, and the fields both systems share (e-mail, phone, website) are
the sync engine's, under the conflict rules of the party map.

An account is matched before one is created: by the debtor number stored on it, then by its
exact name (case-insensitive). The state machine is the one of every ERP-led flow
(:mod:`syncline.flows.erp_led`).
"""

from __future__ import annotations

from typing import Any

from syncline.flows.erp_led import ErpLedFlow
from syncline.flows.linking import MapSides
from syncline.flows.ports import CrmSide, ErpSide
from syncline.mapping.flows import CustomerMasterConfig
from syncline.model import Address, AddressKind, Party
from syncline.store import Store

ERP_NUMBER = "erp"
"""The key of the ERP debtor number in a CRM account's ``numbers``."""
OWNED_FIELDS = frozenset({"name", "numbers", "addresses"})
"""Canonical fields of a CRM account the ERP owns."""


def debtor_key(party_id: str) -> str:
    return f"debtor:{party_id}"


def _billing(party: Party) -> Address | None:
    return party.address(AddressKind.BILLING) or (party.addresses[0] if party.addresses else None)


def account_for(debtor: Party, base: Party | None = None) -> Party:
    """The CRM account ``base`` (or a new one) carrying the debtor's ERP-owned values."""
    address = _billing(debtor)
    addresses = (
        [address.model_copy(update={"kind": AddressKind.BILLING, "name": None})] if address else []
    )
    number = debtor.numbers.get(ERP_NUMBER)
    numbers = {ERP_NUMBER: number} if number else {}
    if base is None:
        return Party(
            name=debtor.name,
            numbers=numbers,
            emails=debtor.emails[:1],
            phones=debtor.phones[:1],
            website=debtor.website,
            addresses=addresses,
            currency=debtor.currency,
        )
    return base.model_copy(
        update={"name": debtor.name, "numbers": {**base.numbers, **numbers}, "addresses": addresses}
    )


class CustomerMaster(ErpLedFlow[Party]):
    """ERP debtor -> linked CRM account with the ERP's number, name and billing address."""

    kind = "customer_master"
    entity = "party"
    crm_entity = "party"
    key_prefix = "debtor"

    def __init__(
        self,
        config: CustomerMasterConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        parties: MapSides,
    ) -> None:
        super().__init__(config.name, store, sides=parties, crm_system=crm.system)
        self.config = config
        self.crm = crm
        self.erp = erp

    def _as_crm_numbers(self, party: Party) -> Party:
        """ERP parties keep their number under the ERP system's name; accounts under "erp"."""
        number = party.numbers.get(self.erp.system)
        return party.model_copy(update={"numbers": {ERP_NUMBER: number} if number else {}})

    def list_erp(self) -> dict[str, Party]:
        return {d.id: self._as_crm_numbers(d.data) for d in self.erp.debtors(self.config.roles)}

    def list_crm(self) -> dict[str, Party]:
        return {a.id: a.data for a in self.crm.accounts()}

    def read_erp(self, erp_id: str) -> Party | None:
        found = self.erp.party(erp_id)
        return self._as_crm_numbers(found.data) if found else None

    def read_crm(self, crm_id: str) -> Party | None:
        found = self.crm.account(crm_id)
        return found.data if found else None

    def owned(self, record: Party) -> dict[str, Any]:
        address = _billing(record)
        return {
            "name": record.name,
            "number": record.numbers.get(ERP_NUMBER),
            "street": address.street if address else "",
            "postal_code": address.postal_code if address else "",
            "city": address.city if address else "",
            "country": address.country if address else None,
        }

    def matches(self, erp_record: Party, crm_record: Party) -> bool:
        number = erp_record.numbers.get(ERP_NUMBER)
        if number and crm_record.numbers.get(ERP_NUMBER) == number:
            return True
        return erp_record.name.casefold() == crm_record.name.casefold()

    def create(self, erp_record: Party) -> tuple[str, Party] | str:
        if not self.config.create_in_crm:
            return "no CRM record matches and create_in_crm is off"
        account = account_for(erp_record)
        return self.crm.create_account(account), account

    def write(self, crm_id: str, erp_record: Party, crm_record: Party) -> Party:
        target = account_for(erp_record, crm_record)
        self.crm.update_account(crm_id, target, OWNED_FIELDS)
        return target


__all__ = ["OWNED_FIELDS", "CustomerMaster", "account_for", "debtor_key"]
