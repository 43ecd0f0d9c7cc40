"""Service documents the CRM hands to the ERP: complaints, timesheet lines, subscriptions.

- ServiceCase -> ``sale.complaint`` on the order named by ``order_number`` (Tryton needs an
  origin); the complaint's number and state come back as ``erp_reference``/``erp_state``.
- TimeEntry -> ``timesheet.line`` on the project (``project.work`` by name and party, of type
  'project' where one is; several left are an error, not a guess), or on the sub-work at any
  depth below it that ``phase`` names where there is one (by its name or its path
  ``"Phase / Sub-phase"``, in any case and spacing; a phase naming several is an error), of
  the employee (``company.employee`` by name, else the user's employee). Read back,
  a line on a sub-work has the project above it (the nearest work of type 'project') and the
  sub-work's name as ``phase``, or its path where the name alone would name another sub-work.
- ServiceAgreement -> ``sale.subscription`` with one line of the subscription service whose
  product is ``product_id``; created as running when active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence, Set
from datetime import timedelta
from decimal import Decimal
from typing import Any

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.tryton.client import Domain
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


PHASE_SEPARATOR = " / "
"""Joins the names of a sub-work's path below its project into a phase: "Build / Review"."""

WORK_FIELDS = ("name", "type", "party", "parent", "timesheet_works")


def _label(text: str) -> str:
    """A phase or work name as compared: case-folded, white space collapsed, ``/`` spaced."""
    return " ".join(text.replace("/", " / ").split()).casefold()


class _WorkTree:
    """Tryton project works (``WORK_FIELDS`` rows) by id: to walk up to a work's project and
    to find the sub-works a phase names."""

    def __init__(self, rows: Sequence[Row] = ()) -> None:
        self.works: dict[int, Row] = {}
        self._children: dict[int, list[int]] = defaultdict(list)
        self._phases: dict[frozenset[int], dict[str, list[tuple[int, str]]]] = {}
        self.add(rows)

    def add(self, rows: Sequence[Row]) -> None:
        self.works.update((int(r["id"]), r) for r in rows)
        self._children = defaultdict(list)
        for work in self.works:
            if (parent := self._parent(work)) is not None:
                self._children[parent].append(work)
        self._phases.clear()

    def _parent(self, work: int) -> int | None:
        parent = ref_id(self.works[work].get("parent"))
        return parent if parent in self.works else None

    def _name(self, work: int) -> str:
        return str(self.works[work]["name"])

    def project(self, work: int) -> int:
        """The project of a work: the nearest work of type 'project' from it up (itself
        included), else the top of its tree."""
        current: int | None = work
        top = work
        while current is not None:
            if self.works[current].get("type") == "project":
                return current
            top, current = current, self._parent(current)
        return top

    def _paths(self, tops: frozenset[int]) -> Iterator[tuple[int, str]]:
        """Each work at any depth below ``tops`` with its path below the nearest of them."""
        below = [(c, self._name(c)) for t in tops for c in self._children.get(t, ())]
        while below:
            work, path = below.pop()
            if work not in tops:
                yield work, path
                below.extend(
                    (c, f"{path}{PHASE_SEPARATOR}{self._name(c)}")
                    for c in self._children.get(work, ())
                )

    def matching(self, phase: str, tops: Set[int]) -> list[tuple[int, str]]:
        """The works open for timesheets at any depth below ``tops`` that ``phase`` names by
        their name or their path, with that path."""
        key = frozenset(tops)
        if key not in self._phases:
            # Indexed once per project: a read names the phases of many lines below one.
            named: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for work, path in self._paths(key):
                if self.works[work].get("timesheet_works"):
                    for label in {_label(self._name(work)), _label(path)}:
                        named[label].append((work, path))
            self._phases[key] = {label: sorted(found) for label, found in named.items()}
        return self._phases[key].get(_label(phase), [])

    def phase(self, work: int, project: int) -> str | None:
        """The phase that finds ``work`` again below ``project``: its name where that names no
        other work, else its path. None for the project itself."""
        if work == project:
            return None
        name = self._name(work)
        found = self.matching(name, {project})
        if [w for w, _ in found] == [work]:
            return name
        return next((path for w, path in found if w == work), name)


class TimeEntryMapping(EntityMapping):
    entity = "time_entry"
    # phase: stored only as a sub-work (at any depth) of the project named like it, where the
    # ERP has one
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
        origins = {w: _origin_id(row.get("origin"), "project.work") for w, row in works.items()}
        tree = self._project_tree(sorted({o for o in origins.values() if o is not None}))
        placed: dict[int, tuple[Row, str | None]] = {}
        for origin in tree.works.keys() & set(origins.values()):
            # A line on a sub-work at any depth: the project above it, the sub-work the phase.
            top = tree.project(origin)
            placed[origin] = (tree.works[top], tree.phase(origin, top))
        employees = self._employee_names(sorted({int(r["employee"]) for r in rows}))
        result: list[CanonicalEntity] = []
        for r in rows:
            project, phase = placed.get(origins[int(r["work"])] or 0, ({}, None))
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

    def _project_tree(self, ids: Sequence[int]) -> _WorkTree:
        """The project works ``ids`` with their ancestors and, for those below a project, all
        the works of that project (to tell whether a sub-work's name alone finds it)."""
        if not ids:
            return _WorkTree()
        tree = _WorkTree(self._works("parent_of", ids))
        projects = sorted({p for w in ids if w in tree.works and (p := tree.project(w)) != w})
        if projects:
            tree.add(self._works("child_of", projects))
        return tree

    def _works(self, operator: str, ids: Sequence[int]) -> list[Row]:
        """The project works ``ids`` with their ancestors (``parent_of``) or with all the works
        below them (``child_of``)."""
        return self.client.search_read(
            "project.work", [("parent", operator, list(ids))], WORK_FIELDS
        )

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
        """The timesheet work to book on: the phase's sub-work where the project has one, else
        the project's own."""
        project = self._project(item)
        if item.phase and project is not None:
            found = self._phase_work(item, item.phase, project)
            if found is not None:
                return found
        if project is None or not project["timesheet_works"]:
            raise PermanentError(
                f"Tryton has no project {item.project!r} open for timesheets",
                system=self.system,
                field="project",
            )
        return int(project["timesheet_works"][0])

    def _project(self, item: TimeEntry) -> Row | None:
        """The ``project.work`` named ``item.project`` (of the party, when given): of type
        'project' where one is, else the one work of that name; None when none; a
        PermanentError when several are left, rather than a guess."""
        domain: Domain = [("name", "=", item.project)]
        party = native_id(item.party_id, "party_id", self.system) if item.party_id else None
        if party is not None:
            domain.append(("party", "=", party))
        rows = self.client.search_read(
            "project.work", domain, ["type", "timesheet_works"], order=[("id", "ASC")]
        )
        found = [r for r in rows if r.get("type") == "project"] or rows
        if len(found) > 1:
            works = ", ".join(f"project.work {r['id']}" for r in found)
            kind = "projects" if found[0].get("type") == "project" else "works"
            raise PermanentError(
                f"Tryton has {len(found)} {kind} named {item.project!r} for "
                f"{self._party_label(party)}: {works}; give them different names in Tryton",
                system=self.system,
                field="project",
            )
        return found[0] if found else None

    def _party_label(self, party: int | None) -> str:
        if party is None:
            return "any party (the time entry names none)"
        rows = self.client.read("party.party", [party], ["name"])
        return f"party {party} ({rows[0]['name']})" if rows else f"party {party}"

    def _phase_work(self, item: TimeEntry, phase: str, project: Row) -> int | None:
        """The timesheet work of the sub-work, at any depth below the project, that the phase
        names (its name or path, in any case and spacing); None when no such sub-work is open
        for timesheets; a PermanentError when the phase names several."""
        tops = {int(project["id"])}
        tree = _WorkTree(self._works("child_of", sorted(tops)))
        found = tree.matching(phase, tops)
        if len(found) > 1:
            works = ", ".join(f"{path!r} (project.work {work})" for work, path in found)
            # Suggest a path only where it names its sub-work alone.
            paths = [p for w, p in found if [x for x, _ in tree.matching(p, tops)] == [w]]
            raise PermanentError(
                f"phase {phase!r} of Tryton project {item.project!r} names {len(found)} of "
                f"its sub-works: {works}; give them different names in Tryton"
                + (f", or name the phase by its path, e.g. {paths[0]!r}" if paths else ""),
                system=self.system,
                field="phase",
            )
        return int(tree.works[found[0][0]]["timesheet_works"][0]) if found else None

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
        if any(self.wanted(f, fields) for f in ("project", "party_id", "phase")):
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
