"""What the demo CRM holds: accounts derived from the demo ERP's customers, spelled the way a
sales person types them, plus prospects the ERP does not know.

The demo ERP (``syncline.demo.tryton.dataset``) creates its company first and then its
customers, so customer ``i`` has the Tryton party code ``str(i + 2)``; that code is the ERP
number (``Party.numbers["erp"]``) a few CRM accounts already carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncline.demo.tryton.dataset import DemoCustomer, DemoProduct, customers, products

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                        "Ü": "Ue", "æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe",
                        "Å": "Aa", "é": "e"})  # fmt: skip
_LEGAL_FORMS = re.compile(r"\s+(GmbH & Co\. KG|GmbH|AG|KG|e\.K\.|SA|AS|ASA|ApS|A/S|Sàrl|OG)$")
_STREETS = (("straße", "str."), ("strasse", "str."), ("gate", "gt."), ("vej", "vej"))

STAGES = ("PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION", "CLOSED_WON", "CLOSED_LOST")


@dataclass(frozen=True)
class DemoAccount:
    """One demo CRM account with its main contact and a deal."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str
    currency: str
    contact_first: str
    contact_last: str
    email: str
    phone: str
    deal_stage: str
    deal_amount: str
    erp_number: str | None = None
    erp_name: str | None = None
    """The ERP customer this account is a near-duplicate of (None: a CRM-only prospect)."""


def erp_number(index: int) -> str:
    """The Tryton party code of the demo ERP's customer ``index`` (see the module docstring)."""
    return str(index + 2)


def _national_phone(phone: str) -> str:
    """``+49 428 26495409`` -> ``(0428) 26495409`` (how numbers are often typed in a CRM)."""
    parts = phone.split(" ", 1)
    if len(parts) == 2 and parts[0] in ("+49", "+43", "+41"):
        area, _, rest = parts[1].partition(" ")
        return f"(0{area}) {rest}" if rest else f"0{area}"
    return phone.replace(" ", "")


def _short_street(street: str) -> str:
    for long, short in _STREETS:
        if long in street.lower():
            return re.sub(long, short, street, flags=re.IGNORECASE)
    return street


def _spelling(customer: DemoCustomer, variant: int) -> str:
    """A near-duplicate of the ERP name: transliterated, without or with a changed legal form."""
    plain = customer.name.translate(_ASCII)
    bare = _LEGAL_FORMS.sub("", plain)
    return (
        bare,  # "Schaefer Maschinenbau"
        plain,  # "Schaefer Maschinenbau GmbH"
        bare.upper() if len(bare) < 24 else bare,  # "KOCH ANTRIEBSTECHNIK"
        bare.replace(" & ", " und ") if " & " in bare else bare + " GmbH",
    )[variant % 4]


def near_duplicates(count: int = 14) -> list[DemoAccount]:
    """CRM accounts for the first ``count`` ERP customers; every fourth carries its ERP number."""
    found = []
    for i, customer in enumerate(customers()[:count]):
        currency = "CHF" if customer.country == "CH" else "EUR"
        found.append(
            DemoAccount(
                name=_spelling(customer, i),
                street=_short_street(customer.street),
                postal_code=customer.postal_code,
                city=customer.city,
                country=customer.country,
                currency=currency,
                contact_first=customer.contact_first,
                contact_last=customer.contact_last,
                email=customer.contact_email,
                phone=_national_phone(customer.phone),
                deal_stage=STAGES[i % len(STAGES)],
                deal_amount=f"{8_500 + 3_750 * i}.00",
                erp_number=erp_number(i) if i % 4 == 1 else None,
                erp_name=customer.name,
            )
        )
    return found


PROSPECTS = (
    DemoAccount("Fjordkraft Maritime", "Bryggen 14", "5003", "Bergen", "NO", "EUR",
                "Ola", "Nordmann", "ola.nordmann@fjordkraft-maritime.no", "+47 55 301020",
                "QUALIFICATION", "42000.00"),
    DemoAccount("Aalborg Fisk A/S", "Fjordgade 9", "9000", "Aalborg", "DK", "EUR",
                "Lars", "Christensen", "lc@aalborgfisk.dk", "+45 98 121212",
                "PROSPECTING", "18300.00"),
    DemoAccount("Alpenmilch Vertrieb", "Innrain 8", "6020", "Innsbruck", "AT", "EUR",
                "Maria", "Gruber", "m.gruber@alpenmilch.at", "+43 512 556677",
                "PROPOSAL", "8600.00"),
    DemoAccount("Nordsee Werft GmbH", "Am Seedeich 21", "27572", "Bremerhaven", "DE", "EUR",
                "Jan", "Petersen", "j.petersen@nordsee-werft.de", "+49 471 9461230",
                "CLOSED_WON", "37290.00"),
)  # fmt: skip
"""Prospects the ERP does not know yet (the last one has just placed its first order)."""


def accounts() -> list[DemoAccount]:
    """Every demo CRM account: near-duplicates of ERP customers first, then prospects."""
    return [*near_duplicates(), *PROSPECTS]


def catalogue(count: int = 6) -> list[DemoProduct]:
    """The ERP products the demo CRM already lists (as if synced before), by ERP code."""
    every = products()
    step = max(len(every) // count, 1)
    return every[::step][:count]


@dataclass(frozen=True)
class QuotedItem:
    """A line of an accepted quote: an ERP product (by code), quantity and discount (%)."""

    code: str
    quantity: int
    discount: int = 0


@dataclass(frozen=True)
class WonDeal:
    """A won deal with a quote the customer accepted: what the order handoff takes to the ERP.

    ``deal`` None means the account's own (won) demo deal; else a second deal of that name.
    """

    account: str
    deal: str | None
    lines: tuple[QuotedItem, ...]


DISCOUNT_LIMIT = 10
"""The starter config's ``discount_limit`` (%): a quote above it waits for an approval."""

WON_DEALS = (
    # An ERP customer (linked by the initial load): its order goes straight to the ERP.
    WonDeal("Hoffmann Foerdertechnik", None,
            (QuotedItem("MAS-011", 1, 5), QuotedItem("ERS-023", 10), QuotedItem("WER-011", 20))),
    # A CRM-only prospect: it becomes an ERP debtor before its order is handed off.
    WonDeal("Nordsee Werft GmbH", None,
            (QuotedItem("MAS-042", 1, 8), QuotedItem("ZUB-033", 2), QuotedItem("WER-042", 12))),
    # A discount above the limit: the deal waits for a sales manager's approval.
    WonDeal("Schneider Kunststofftechnik GmbH",
            "Schneider Kunststofftechnik GmbH: Bohrwerk W200 Sonderpreis",
            (QuotedItem("MAS-042", 1, 15), QuotedItem("ERS-023", 4))),
)  # fmt: skip
"""The won deals of the demo, each with an accepted quote of catalogue products."""


def won_deal(account: str) -> WonDeal:
    """The won deal of the demo account named ``account``."""
    return next(d for d in WON_DEALS if d.account == account)


def over_limit(deal: WonDeal) -> bool:
    """Whether the deal's quote waits for a discount approval."""
    return max(line.discount for line in deal.lines) > DISCOUNT_LIMIT
