"""What the customer view, the order entry form and the reports ask the live CRM and ERP.

Two small interfaces, :class:`CrmDesk` and :class:`ErpDesk`, stand between the pages and the
connectors, so tests can hand in the real systems (or a stopped one). Answers from the ERP are
kept in an in-memory :class:`LiveCache` with a time to live; when the ERP does not answer, the
last answer is served with the time it was fetched ("stale as of"). Nothing is persisted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar, cast

from syncline.connectors.tryton import CustomerAccount, StockLevel
from syncline.errors import ConnectorError
from syncline.flows import OrderHandoff
from syncline.model import Order

T = TypeVar("T")


@dataclass(frozen=True)
class CrmAccount:
    """A customer account in the CRM; ``erp_number`` is the ERP debtor number stored there."""

    id: str
    name: str
    erp_number: str | None = None
    city: str | None = None
    country: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    currency: str | None = None


@dataclass(frozen=True)
class CrmDeal:
    """A deal (opportunity) of an account; ``amount`` in ``currency``; ``contact_id`` is the
    deal's contact person in the CRM, the one its connector names of several (None when it
    names none)."""

    id: str
    name: str
    account_id: str | None
    stage: str
    status: str
    amount: Decimal | None = None
    currency: str | None = None
    expected_close: date | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class CrmContact:
    """A contact person in the CRM: ``name`` is first and last name."""

    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class DealLine:
    """A line of the deal's latest quote (estimate) in the CRM; ``unit_price`` per unit."""

    description: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class ErpProduct:
    """A saleable product in the ERP catalogue; ``list_price`` in the company currency."""

    id: str
    code: str | None
    name: str
    unit: str
    list_price: Decimal
    goods: bool


@dataclass(frozen=True)
class PlacedOrder:
    """An order the ERP accepted: its id, number, state and the ship date it plans."""

    native_id: str
    number: str | None
    state: str
    planned_ship_date: date | None


@dataclass(frozen=True)
class SaleFact:
    """One ERP sale for the reports: order date, state, untaxed total, a return or not."""

    sale_date: date | None
    state: str
    untaxed_amount: Decimal
    is_return: bool


@dataclass(frozen=True)
class CrmActivity:
    """Counts from the CRM for the reports over a period."""

    quotes: int
    deals_won: int
    deals_lost: int
    deals_open: int
    cases: int


class CrmDesk(Protocol):
    """The CRM as the pages use it."""

    def accounts(self) -> list[CrmAccount]:
        """All active accounts, by name."""

    def account(self, account_id: str) -> CrmAccount | None:
        """One account, or None when the CRM has none with this id."""

    def deals(self, account_id: str) -> list[CrmDeal]:
        """The account's deals, newest first."""

    def deal_lines(self, deal_id: str) -> list[DealLine]:
        """The lines of the deal's latest quote (empty when it has none)."""

    def contact(self, contact_id: str) -> CrmContact | None:
        """One contact person, or None when the CRM has none with this id."""

    def report_order(self, deal: CrmDeal, order: PlacedOrder) -> str:
        """Tell the CRM about the ERP order on the deal (a notice with the ship date)."""

    def activity(self, since: date) -> CrmActivity:
        """Quotes, deals by outcome and service cases since ``since``."""


class ErpDesk(Protocol):
    """The ERP as the pages use it (read-only, except :meth:`place_order`)."""

    def party_for(self, account: CrmAccount) -> str | None:
        """The ERP party of a CRM account by its debtor number, or None."""

    def customer_account(self, party_id: str) -> CustomerAccount:
        """Receivable, overdue, credit limit, revenue, last invoices and open orders."""

    def products(self) -> list[ErpProduct]:
        """The saleable products, by code."""

    def today(self) -> date:
        """The ERP's date now (its company's time zone): the day stock and orders count on."""

    def stock(self, product_ids: Sequence[str], at: date | None = None) -> list[StockLevel]:
        """On-hand and forecast quantities per product on ``at`` (default today)."""

    def ship_date(self, wanted: Sequence[tuple[str, Decimal]]) -> date | None:
        """The first day the forecast covers every ``(product id, quantity)``, or None."""

    def place_order(self, order: Order, idempotency_key: str) -> PlacedOrder:
        """Create the order in the ERP in ``order.state`` and return what the ERP made of it."""

    def sales(self, since: date) -> list[SaleFact]:
        """Sales ordered since ``since`` (drafts and cancelled ones included)."""

    def complaints(self, since: date) -> int:
        """Customer complaints filed since ``since``."""


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """A cached answer: the value, when it was fetched, and whether it is stale (the system
    did not answer the latest attempt; ``error`` says why)."""

    value: T
    fetched_at: datetime
    stale: bool = False
    error: str | None = None


@dataclass
class _Entry:
    value: object
    fetched_at: datetime
    expires: float


class LiveCache:
    """Answers of the live systems by key, kept ``ttl`` seconds in memory.

    A fresh entry is served as is. An expired one is fetched again; when that fails with a
    connector error, the old value is served as stale. Without any old value the error is
    raised. Entries older than ``keep`` seconds are dropped, so memory stays bounded.
    """

    def __init__(
        self,
        ttl: float = 60.0,
        keep: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.keep = keep
        self._clock = clock
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], fetch: Callable[[], T]) -> Fetched[T]:
        now = self._clock()
        with self._lock:
            for old in [k for k, e in self._entries.items() if e.expires + self.keep < now]:
                del self._entries[old]
            entry = self._entries.get(key)
        if entry is not None and entry.expires > now:
            return Fetched(cast(T, entry.value), entry.fetched_at)
        try:
            value = fetch()
        except ConnectorError as exc:
            if entry is None:
                raise
            return Fetched(cast(T, entry.value), entry.fetched_at, stale=True, error=str(exc))
        fetched_at = datetime.now(UTC)
        with self._lock:
            self._entries[key] = _Entry(value, fetched_at, self._clock() + self.ttl)
        return Fetched(value, fetched_at)

    def forget(self, prefix: str) -> None:
        """Drop the entries whose key starts with ``prefix`` (after a write)."""
        with self._lock:
            for key in [k for k in self._entries if k and k[0] == prefix]:
                del self._entries[key]


@dataclass
class LiveSystems:
    """The CRM and ERP the pages talk to (either may be missing) and their shared cache.

    ``handoff`` is the config's order handoff flow, when it has one: the order entry form
    then submits through it (the deal's accepted quote becomes the ERP order) instead of
    writing the form's lines to the ERP itself.
    """

    crm: CrmDesk | None = None
    erp: ErpDesk | None = None
    cache: LiveCache = field(default_factory=LiveCache)
    handoff: OrderHandoff | None = None
    crm_name: str = "crm"
    erp_name: str = "erp"


__all__ = [
    "CrmAccount",
    "CrmActivity",
    "CrmContact",
    "CrmDeal",
    "CrmDesk",
    "DealLine",
    "ErpDesk",
    "ErpProduct",
    "Fetched",
    "LiveCache",
    "LiveSystems",
    "PlacedOrder",
    "SaleFact",
]
