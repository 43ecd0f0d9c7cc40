"""Service documents the CRM hands to the ERP: complaints, timesheet lines, subscriptions.

- ServiceCase -> ``sale.complaint`` on the order named by ``order_number`` (Tryton needs an
  origin); the complaint's number and state come back as ``erp_reference``/``erp_state``.
- TimeEntry -> ``timesheet.line`` on the project (``project.work`` by name and party), or on
  its sub-work named like the ``phase`` where there is one, of the employee
  (``company.employee`` by name, else the user's employee).
- ServiceAgreement -> ``sale.subscription`` with one line of the subscription service whose
  product is ``product_id``; created as running when active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.tryton.mapping import (
    EntityMapping,
    Row,
    native_id,
    party_addresses,
    ref_id,
    str_id,
)
from syncline.errors import PermanentError
from syncline.model import (
    BillingPeriod,
    CanonicalEntity,
    Money,
    ServiceAgreement,
    ServiceCase,
    TimeEntry,
)

WRITE_ONLY_CAPTURE = frozenset({Capture.CURSOR, Capture.SCAN})


class ServiceCaseMapping(EntityMapping):
    entity = "service_case"
    unstored = frozenset({"priority", "sla_due", "case_type", "contact_id"})
    model = "sale.complaint"
    fields = (
        "number", "reference", "description", "customer", "origin", "state", "type",
        "create_date", "write_date",
    )  # fmt: skip
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE})

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        sale_ids = sorted(
            {i for r in rows if (i := _origin_id(r.get("origin"), "sale.sale")) is not None}
        )
        numbers = {
            int(s["id"]): s.get("number")
            for s in self.client.read("sale.sale", sale_ids, ["number"])
        }
        return [
            ServiceCase(
                title=r.get("reference") or r.get("number") or f"complaint {r['id']}",
                description=r.get("description") or "",
                party_id=str_id(r.get("customer")),
                order_number=numbers.get(_origin_id(r.get("origin"), "sale.sale") or 0),
                erp_reference=r.get("number") or None,
                erp_state=r.get("state"),
            )
            for r in rows
        ]

    def _complaint_type(self) -> int:
        found = self.client.search(
            "sale.complaint.type", [("origin.name", "=", "sale.sale")], limit=1
        )
        if not found:
            raise PermanentError(
                "Tryton has no complaint type for sales; create one with origin 'sale.sale'",
                system=self.system,
            )
        return found[0]

    def _values(self, item: ServiceCase) -> dict[str, Any]:
        if not item.order_number:
            raise PermanentError(
                "a Tryton complaint needs the order it is about (order_number)",
                system=self.system,
                field="order_number",
            )
        sales = self.client.search_read(
            "sale.sale", [("number", "=", item.order_number)], ["party"], limit=1
        )
        if not sales:
            raise PermanentError(
                f"Tryton has no sale numbered {item.order_number!r}",
                system=self.system,
                field="order_number",
            )
        party = native_id(item.party_id, "party_id", self.system) or ref_id(sales[0]["party"])
        return {
            "customer": party,
            "origin": f"sale.sale,{sales[0]['id']}",
            "reference": item.title,
            "description": item.description,
        }

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, ServiceCase)
        return {**self._values(item), "type": self._complaint_type()}

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        assert isinstance(item, ServiceCase)
        values: dict[str, Any] = {}
        if self.wanted("title", fields):
            values["reference"] = item.title
        if self.wanted("description", fields):
            values["description"] = item.description
        return values


def _origin_id(origin: Any, model: str) -> int | None:
    if isinstance(origin, str) and origin.startswith(f"{model},"):
        return int(origin.split(",", 1)[1])
    return None


class TimeEntryMapping(EntityMapping):
    entity = "time_entry"
    # phase: stored only as a sub-work of the project, where the ERP has one of that name
    unstored = frozenset({"phase", "case_id", "billable"})
    model = "timesheet.line"
    fields = ("date", "duration", "description", "employee", "work", "create_date", "write_date")
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE})

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        work_ids = sorted({int(r["work"]) for r in rows})
        works = {
            int(w["id"]): w
            for w in self.client.read("timesheet.work", work_ids, ["origin", "name"])
        }
        projects = self._projects(
            sorted(
                {p for w in works.values() if (p := _origin_id(w.get("origin"), "project.work"))}
            )
        )
        parents = self._projects(
            sorted({int(p["parent"]) for p in projects.values() if p["parent"]})
        )
        employees = self._employee_names(sorted({int(r["employee"]) for r in rows}))
        result: list[CanonicalEntity] = []
        for r in rows:
            project = projects.get(
                _origin_id(works[int(r["work"])].get("origin"), "project.work") or 0, {}
            )
            # A line on a sub-work: the sub-work is the phase of its parent project.
            parent = parents.get(int(project.get("parent") or 0))
            phase, project = (project.get("name"), parent) if parent else (None, project)
            duration = r.get("duration") or timedelta(0)
            result.append(
                TimeEntry(
                    party_id=str_id(project.get("party")),
                    project=project.get("name") or works[int(r["work"])].get("name"),
                    phase=phase,
                    work_date=r["date"],
                    minutes=round(duration.total_seconds() / 60),
                    description=r.get("description") or "",
                    employee=employees.get(int(r["employee"])),
                )
            )
        return result

    def _projects(self, ids: Sequence[int]) -> dict[int, Row]:
        rows = self.client.read("project.work", ids, ["name", "party", "parent"])
        return {int(p["id"]): p for p in rows}

    def _employee_names(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.client.read("company.employee", ids, ["party"])
        parties = self.client.read("party.party", sorted({int(r["party"]) for r in rows}), ["name"])
        names = {int(p["id"]): p["name"] for p in parties}
        return {int(r["id"]): names[int(r["party"])] for r in rows}

    def _employee(self, name: str | None) -> int:
        if name:
            found = self.client.search("company.employee", [("party.name", "=", name)], limit=1)
            if found:
                return found[0]
        default = self.client.context.get("employee")
        if default is None:
            raise PermanentError(
                f"Tryton has no employee {name!r} and the user has no default employee",
                system=self.system,
                field="employee",
            )
        return int(default)

    def _work(self, item: TimeEntry) -> int:
        project: list[Any] = [("name", "=", item.project)]
        if item.party_id:
            project.append(("party", "=", native_id(item.party_id, "party_id", self.system)))
        rows = []
        if item.phase:
            phase = [("name", "=", item.phase), ("timesheet_works", "!=", None)]
            parent = [(f"parent.{field}", op, value) for field, op, value in project]
            rows = self.client.search_read(
                "project.work", [*phase, *parent], ["timesheet_works"], limit=1
            )
        if not rows:
            domain = [*project, ("timesheet_works", "!=", None)]
            rows = self.client.search_read("project.work", domain, ["timesheet_works"], limit=1)
        if not rows or not rows[0]["timesheet_works"]:
            raise PermanentError(
                f"Tryton has no project {item.project!r} open for timesheets",
                system=self.system,
                field="project",
            )
        return int(rows[0]["timesheet_works"][0])

    def _values(self, item: TimeEntry, fields: frozenset[str] | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.wanted("work_date", fields):
            values["date"] = item.work_date
        if self.wanted("minutes", fields):
            values["duration"] = timedelta(minutes=item.minutes)
        if self.wanted("description", fields):
            values["description"] = item.description
        if self.wanted("employee", fields):
            values["employee"] = self._employee(item.employee)
        if self.wanted("project", fields) or self.wanted("party_id", fields):
            values["work"] = self._work(item)
        return values

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, TimeEntry)
        return self._values(item, None)

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        assert isinstance(item, TimeEntry)
        return self._values(item, fields)


PERIOD_FREQ = {
    BillingPeriod.MONTHLY: ("monthly", 1),
    BillingPeriod.QUARTERLY: ("monthly", 3),
    BillingPeriod.YEARLY: ("yearly", 1),
}


class ServiceAgreementMapping(EntityMapping):
    entity = "service_agreement"
    model = "sale.subscription"
    fields = (
        "number", "party", "description", "start_date", "end_date", "state", "currency",
        "invoice_recurrence", "create_date", "write_date",
    )  # fmt: skip
    writable = frozenset({WriteOp.CREATE})

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        ids = [int(r["id"]) for r in rows]
        lines: dict[int, Row] = {}
        if ids:
            for line in self.client.search_read(
                "sale.subscription.line",
                [("subscription", "in", ids)],
                ["subscription", "service", "quantity", "unit_price"],
                order=[("sequence", "ASC"), ("id", "ASC")],
            ):
                lines.setdefault(int(line["subscription"]), line)
        services = {
            int(s["id"]): int(s["product"])
            for s in self.client.read(
                "sale.subscription.service",
                sorted({int(line["service"]) for line in lines.values()}),
                ["product"],
            )
        }
        codes = {
            int(p["id"]): p.get("code")
            for p in self.client.read("product.product", sorted(set(services.values())), ["code"])
        }
        periods = self._periods(sorted({int(r["invoice_recurrence"]) for r in rows}))
        result: list[CanonicalEntity] = []
        for r in rows:
            line = lines.get(int(r["id"]), {})
            product = services.get(int(line["service"])) if line else None
            currency = self.lookups.currencies.code_of(ref_id(r.get("currency"))) or "EUR"
            result.append(
                ServiceAgreement(
                    number=r.get("number") or None,
                    party_id=str_id(r.get("party")),
                    product_id=str(product) if product else None,
                    product_code=codes.get(product or 0),
                    description=r.get("description") or "",
                    period=periods.get(int(r["invoice_recurrence"]), BillingPeriod.MONTHLY),
                    quantity=Decimal(str(line.get("quantity") or 1)),
                    price=Money(amount=line.get("unit_price") or Decimal(0), currency=currency),
                    start_date=r["start_date"],
                    end_date=r.get("end_date"),
                    active=r["state"] in ("quotation", "running", "draft"),
                )
            )
        return result

    def _periods(self, rule_set_ids: Sequence[int]) -> dict[int, BillingPeriod]:
        rules = self.client.search_read(
            "sale.subscription.recurrence.rule",
            [("set_", "in", list(rule_set_ids))],
            ["set_", "freq", "interval"],
        )
        by_set: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for rule in rules:
            by_set[int(rule["set_"])].append((rule["freq"], int(rule["interval"] or 1)))
        found = {}
        for set_id, pairs in by_set.items():
            for period, wanted in PERIOD_FREQ.items():
                if pairs == [wanted]:
                    found[set_id] = period
        return found

    def _rule_set(self, period: BillingPeriod) -> int:
        wanted = PERIOD_FREQ[period]
        sets = self.client.search("sale.subscription.recurrence.rule.set", [])
        for set_id, found in self._periods(sets).items():
            if found == period:
                return set_id
        (created,) = self.client.create(
            "sale.subscription.recurrence.rule.set",
            [{"name": period.value.title(),
              "rules": [("create", [{"freq": wanted[0], "interval": wanted[1]}])]}],
        )  # fmt: skip
        return created

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, ServiceAgreement)
        product = native_id(item.product_id, "product_id", self.system)
        services = self.client.search("sale.subscription.service", [("product", "=", product)])
        if not services:
            raise PermanentError(
                f"product {item.product_id} is no subscription service in Tryton",
                system=self.system,
                field="product_id",
            )
        unit = self.client.read("product.product", [product or 0], ["default_uom"])[0]
        party = native_id(item.party_id, "party_id", self.system)
        if party is None:
            raise PermanentError("an agreement needs a party", system=self.system, field="party_id")
        return {
            "party": party,
            "invoice_address": party_addresses(self.client, party)[0],
            "description": item.description or None,
            "start_date": item.start_date,
            "end_date": item.end_date,
            "invoice_recurrence": self._rule_set(item.period),
            "currency": self.lookups.currencies.require(item.price.currency, "currency"),
            "lines": [
                ("create", [{
                    "service": services[0],
                    "quantity": float(item.quantity),
                    "unit": unit["default_uom"],
                    "unit_price": item.price.amount,
                    "start_date": item.start_date,
                }])
            ],
        }  # fmt: skip

    def after_create(self, ids: Sequence[int], items: Sequence[CanonicalEntity]) -> None:
        running = [
            i for i, item in zip(ids, items, strict=True)
            if isinstance(item, ServiceAgreement) and item.active
        ]  # fmt: skip
        if running:
            self.client.model(self.model, "quote", running)
            self.client.model(self.model, "run", running)


__all__ = ["ServiceAgreementMapping", "ServiceCaseMapping", "TimeEntryMapping"]
