"""Code <-> id tables Tryton keeps as records (countries, languages, units, categories).

Loaded lazily, once per connector, and refreshed when a code is missing.
"""

from __future__ import annotations

import threading
from typing import Any

from syncline.connectors.tryton.client import TrytonClient
from syncline.errors import PermanentError


class CodeTable:
    """One ``code -> id`` table of a Tryton model (e.g. country.country by ``code``)."""

    def __init__(self, client: TrytonClient, model: str, code_field: str) -> None:
        self._client = client
        self.model = model
        self.code_field = code_field
        self._by_code: dict[str, int] | None = None
        self._by_id: dict[int, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> dict[str, int]:
        rows = self._client.search_read(
            self.model, [], [self.code_field], context={"active_test": False}
        )
        by_code: dict[str, int] = {}
        for row in rows:
            code = row.get(self.code_field)
            if code:
                by_code.setdefault(str(code), int(row["id"]))
        self._by_id = {v: k for k, v in by_code.items()}
        return by_code

    def id_of(self, code: str) -> int | None:
        """The id of ``code`` (case-sensitive), or None when Tryton has no such record."""
        with self._lock:
            if self._by_code is None or code not in self._by_code:
                self._by_code = self._load()
            return self._by_code.get(code)

    def require(self, code: str, what: str) -> int:
        """The id of ``code``; a PermanentError naming ``what`` when Tryton lacks it."""
        found = self.id_of(code)
        if found is None:
            raise PermanentError(
                f"Tryton has no {what} {code!r} ({self.model}); create it in Tryton first",
                system=self._client.system,
                remote_message=f"unknown {what} {code!r}",
            )
        return found

    def code_of(self, record_id: int | None) -> str | None:
        """The code of a record id (None for None)."""
        if record_id is None:
            return None
        with self._lock:
            if self._by_code is None or record_id not in self._by_id:
                self._by_code = self._load()
            return self._by_id.get(record_id)

    def add(self, code: str, record_id: int) -> None:
        with self._lock:
            if self._by_code is None:
                self._by_code = self._load()
            self._by_code[code] = record_id
            self._by_id[record_id] = code


class Lookups:
    """All code tables of one Tryton database, plus the company's currency."""

    def __init__(self, client: TrytonClient) -> None:
        self.client = client
        self.countries = CodeTable(client, "country.country", "code")
        self.languages = CodeTable(client, "ir.lang", "code")
        self.currencies = CodeTable(client, "currency.currency", "code")
        self.units = CodeTable(client, "product.uom", "symbol")
        self.party_categories = CodeTable(client, "party.category", "name")
        self._company: dict[str, Any] | None = None

    def company(self) -> dict[str, Any]:
        """The current company's id, party id and currency code."""
        if self._company is None:
            company_id = self.client.context.get("company")
            if company_id is None:
                raise PermanentError(
                    "the Tryton user has no current company; set one in the user's preferences",
                    system=self.client.system,
                )
            row = self.client.read("company.company", [int(company_id)], ["party", "currency"])[0]
            self._company = {
                "id": int(company_id),
                "party": row["party"],
                "currency": self.currencies.code_of(row["currency"]) or "EUR",
            }
        return self._company

    def company_currency(self) -> str:
        return str(self.company()["currency"])


__all__ = ["CodeTable", "Lookups"]
