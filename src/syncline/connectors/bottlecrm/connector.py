"""``BottleCrmConnector``: BottleCRM as a syncline connector (push + scan capture)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from syncline.connectors.base import (
    Capabilities,
    Capture,
    ChangeBatch,
    Cursor,
    EntitySupport,
    Health,
    NativeRecord,
    WriteOp,
    WriteRequest,
    WriteResult,
    lookup_by_scan,
)
from syncline.connectors.bottlecrm import custom_fields
from syncline.connectors.bottlecrm.accounts import ACCOUNTS, accounts_resource
from syncline.connectors.bottlecrm.cases import CASES
from syncline.connectors.bottlecrm.client import BottleCrmClient, Json, ListShape, dig
from syncline.connectors.bottlecrm.contact_rule import ContactRecords, first_contact, linked_ids
from syncline.connectors.bottlecrm.contacts import CONTACTS
from syncline.connectors.bottlecrm.invoices import CREDIT_NOTES, INVOICES, lifecycle_action
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice
from syncline.connectors.bottlecrm.opportunities import OPPORTUNITIES
from syncline.connectors.bottlecrm.products import PRODUCTS, refuse_taken_sku
from syncline.connectors.bottlecrm.quotes import QUOTES
from syncline.connectors.bottlecrm.resources import (
    Resource,
    id_of,
    native_version,
    parse_time,
)
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.connectors.bottlecrm.time_entries import ENTITY as TIME_ENTRY
from syncline.connectors.bottlecrm.time_entries import TimeEntryReader
from syncline.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    SynclineError,
    TransientError,
)
from syncline.model import CanonicalEntity

TASKS_SHAPE = ListShape(("tasks",), count=("tasks_count",))

RESOURCES: dict[str, Resource] = {
    r.entity: r
    for r in (
        ACCOUNTS,
        CONTACTS,
        OPPORTUNITIES,
        QUOTES,
        PRODUCTS,
        INVOICES,
        CREDIT_NOTES,
        CASES,
    )
}
"""The entities read and written through one BottleCRM endpoint each (``time_entry`` is
read by :class:`TimeEntryReader`)."""

ENTITIES = (*RESOURCES, TIME_ENTRY)
"""Every canonical entity the connector handles."""

RANKS_LINKED_CONTACTS = frozenset({OPPORTUNITIES.entity, CASES.entity})
"""Entities that name one of several linked contacts (``contact_rule.named_contact``)."""


class BottleCrmConnector:
    """Reads and writes BottleCRM's records over its REST API (entities: ``ENTITIES``).

    BottleCRM's lists cannot be filtered by ``updated_at`` (accounts and deals do not even
    expose it), so there is no cursor capture: changes arrive as webhooks (push) where
    BottleCRM sends them, and every change, including a lost webhook and a hard delete, is
    found by the next scan.
    """

    lookup_scans = True  # lookup reads the whole entity: recovery asks once a pass

    def __init__(
        self,
        system: str,
        settings: BottleCrmSettings,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.system = system
        self.settings = settings
        self.client = BottleCrmClient(system, settings, transport)
        self.resources = {**RESOURCES, "party": accounts_resource(settings.erp_number_field)}
        self.capabilities = Capabilities(
            entities=(
                *(
                    EntitySupport(r.entity, r.capture, r.writable, r.unstored)
                    for r in self.resources.values()
                ),
                EntitySupport(TIME_ENTRY, frozenset({Capture.SCAN})),
            ),
            read_batch_size=settings.page_size,
            write_batch_size=100,
        )
        self.time_entries = TimeEntryReader(self.client)
        self._pipeline_id: str | None = None

    # -- reading -------------------------------------------------------------------------------

    def _resource(self, entity: str) -> Resource:
        try:
            return self.resources[entity]
        except KeyError:
            known = ", ".join(sorted(ENTITIES))
            raise PermanentError(
                f"BottleCRM connector does not handle {entity!r}; it handles {known}",
                system=self.system,
            ) from None

    def _record(self, resource: Resource, native: Json) -> NativeRecord:
        """A record from the API's ``native`` form; one the mapping cannot turn into a valid
        canonical record is an unreadable record saying why, so that the others are read."""
        try:
            data = resource.to_canonical(native)
        except ConnectorError:
            raise
        except (SynclineError, ValueError, KeyError, TypeError) as exc:
            reason = " ".join(str(exc).split())
            return NativeRecord.unreadable(
                resource.entity,
                str(native["id"]),
                f"{resource.entity} {native['id']} is not a valid {resource.entity}: {reason}",
                modified_at=parse_time(native.get("updated_at")),
            )
        return NativeRecord(
            entity=resource.entity,
            native_id=str(native["id"]),
            data=data,
            version=native_version(native, data),
            modified_at=parse_time(native.get("updated_at")),
        )

    def _time_record(self, native: Json, data: CanonicalEntity) -> NativeRecord:
        return NativeRecord(
            entity=TIME_ENTRY,
            native_id=str(native["id"]),
            data=data,
            version=native_version(native, data),
            modified_at=parse_time(native.get("updated_at")),
        )

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        """Not offered: BottleCRM cannot list records changed since a time. Use scan."""
        if entity != TIME_ENTRY:
            self._resource(entity)
        raise PermanentError(
            f"BottleCRM offers no cursor capture for {entity}; use push (webhooks) and scan",
            system=self.system,
        )

    def _details(self, resource: Resource, native_ids: Sequence[str]) -> list[Json]:
        """The detail replies of the given records (in parallel); missing ones omitted."""

        def one(native_id: str) -> Json | None:
            body = self.client.get_optional(resource.detail_path(native_id))
            native = resource.detail_record(body) if body is not None else None
            return native if native is not None and resource.keeps_row(native) else None

        found = self.client.map_concurrently(one, list(native_ids))
        return [native for native in found if native is not None]

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        """Current state of the given records (detail requests, in parallel); missing omitted."""
        if entity == TIME_ENTRY:
            return [self._time_record(n, d) for n, d in self.time_entries.read(native_ids)]
        resource = self._resource(entity)
        natives = self._with_contacts(resource, self._details(resource, native_ids))
        return [self._record(resource, n) for n in natives]

    def _with_contacts(
        self, resource: Resource, natives: list[Json], contacts: ContactRecords | None = None
    ) -> list[Json]:
        """``natives`` with the contact records the mapping ranks a deal's or ticket's several
        contacts by; ``contacts`` keeps those read during one scan."""
        if resource.entity not in RANKS_LINKED_CONTACTS:
            return natives
        return (contacts or ContactRecords(self.client)).linked(natives)

    def _rows(self, resource: Resource) -> Iterator[list[Json]]:
        """The list endpoint's rows in pages (details where the list lacks fields)."""
        pages = self.client.pages(resource.list_path(), resource.shapes, resource.extra_params)
        for rows in pages:
            if resource.scan_details:
                page = self._details(resource, [str(row["id"]) for row in rows])
            else:
                page = [row for row in rows if resource.keeps_row(row)]
            if page:
                yield page

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        """All records, archived ones included, in pages of ``page_size``."""
        if entity == TIME_ENTRY:
            for pairs in self.time_entries.scan():
                yield [self._time_record(native, data) for native, data in pairs]
            return
        resource = self._resource(entity)
        contacts = ContactRecords(self.client, from_listing=True)
        for rows in self._rows(resource):
            yield [self._record(resource, n) for n in self._with_contacts(resource, rows, contacts)]

    def lookup(self, entity: str, field: str, values: Sequence[Any]) -> list[NativeRecord]:
        """Records whose canonical ``field`` equals one of ``values``: the engine's
        deterministic-key matching (BottleCRM's list endpoints have no exact-match filter
        for most fields, so this scans; the engine asks only for records without a link)."""
        return lookup_by_scan(self, entity, field, values)

    def list_ids(self, entity: str) -> list[str]:
        """Every id, archived ones included."""
        if entity != TIME_ENTRY:
            resource = self._resource(entity)
            if resource.keeps is None:  # the list rows suffice, no detail reads
                path, shapes = resource.list_path(), resource.shapes
                pages = self.client.pages(path, shapes, resource.extra_params)
                return [str(row["id"]) for page in pages for row in page]
        return [r.native_id for page in self.scan(entity) for r in page]

    # -- writing -------------------------------------------------------------------------------

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch with up to ``write_concurrency`` requests in flight.

        Validation failures are reported per record. Credentials refused raise AuthError. When
        every request failed transiently (server down) the batch raises TransientError; when
        only some did, those results carry the TransientError and the engine retries them.
        """
        if entity == TIME_ENTRY:
            message = "BottleCRM time entries are read only for syncline (logged in the CRM)"
            refused = PermanentError(message, system=self.system)
            return [WriteResult(r, native_id=r.native_id, error=refused) for r in requests]
        resource = self._resource(entity)
        results = self.client.map_concurrently(lambda r: self._apply(resource, r), requests)
        auth = next((r.error for r in results if isinstance(r.error, AuthError)), None)
        if auth is not None:
            raise auth
        transient = [r for r in results if isinstance(r.error, TransientError)]
        if transient and len(transient) == len(results):
            error = transient[0].error
            assert error is not None
            raise error
        return results

    def _apply(self, resource: Resource, request: WriteRequest) -> WriteResult:
        try:
            return self._apply_or_raise(resource, request)
        except ConnectorError as exc:
            return WriteResult(request, native_id=request.native_id, error=exc)
        except (TypeError, ValueError) as exc:  # the mapping refused the canonical record
            error = PermanentError(str(exc), system=self.system, remote_message=str(exc))
            return WriteResult(request, native_id=request.native_id, error=error)

    def _apply_or_raise(self, resource: Resource, request: WriteRequest) -> WriteResult:
        op = request.op
        if op not in resource.writable:
            raise PermanentError(f"BottleCRM {resource.path} cannot {op.value}", system=self.system)
        if op is WriteOp.DELETE:
            self.client.delete(resource.detail_path(self._native_id(request)))
            return WriteResult(request, native_id=request.native_id)
        if op is WriteOp.ARCHIVE:
            native_id = self._native_id(request)
            self._archive(resource, native_id)
            return self._written(resource, request, native_id)
        if request.data is None:
            raise PermanentError(f"{op.value} needs data", system=self.system)
        if op is WriteOp.CREATE:
            native_id = self._create(resource, request.data)
        else:
            native_id = self._native_id(request)
            payload = resource.to_native(request.data, request.fields)
            if (
                resource.needs_contact
                and payload.get("account_id")
                and not payload.get("contact_id")
            ):
                payload["contact_id"] = self.contact_of(str(payload["account_id"]), request.data)
            if "contact_id" in payload and not payload["contact_id"]:
                del payload["contact_id"]  # BottleCRM refuses a null contact
            if resource is PRODUCTS:
                refuse_taken_sku(self.client, payload, native_id)
            if payload:
                self.client.request(
                    resource.update_method, resource.detail_path(native_id), json=payload
                )
        self._follow_lifecycle(resource, request.data, native_id)
        return self._written(resource, request, native_id)

    def _create(self, resource: Resource, data: CanonicalEntity) -> str:
        payload = resource.to_native(data, None)
        if resource is OPPORTUNITIES:
            payload.update(assigned_to=[], teams=[], pipeline=self.default_pipeline())
        if resource is CASES:
            payload.update(assigned_to=[], teams=[])
        if resource is PRODUCTS:
            refuse_taken_sku(self.client, payload, None)
        if resource.needs_contact:
            account_id = payload.get("account_id")
            if not account_id:
                raise PermanentError(
                    f"a BottleCRM {resource.path} record needs an account (party_id)",
                    system=self.system,
                    field="party_id",
                )
            payload["contact_id"] = payload.get("contact_id") or self.contact_of(
                str(account_id), data
            )
        body = self.client.post(resource.list_path(), payload)
        native_id = str(dig(body, resource.created_id) or "")
        if not native_id:
            raise PermanentError(
                f"BottleCRM created a {resource.entity} but returned no id",
                system=self.system,
                remote_message=str(body)[:300],
            )
        return native_id

    def _archive(self, resource: Resource, native_id: str) -> None:
        path = resource.detail_path(native_id)
        if resource.archive_action is not None:
            current = self.client.get(path)
            native = resource.detail_record(current) or {}
            if native.get("status") != "Cancelled":
                self.client.post(f"{path}{resource.archive_action}/", {})
            return
        assert resource.archive is not None
        self.client.request(resource.update_method, path, json=resource.archive)

    def _follow_lifecycle(self, resource: Resource, data: CanonicalEntity, native_id: str) -> None:
        """Cancel or settle an invoice copy whose ERP document was cancelled or paid."""
        if resource not in (INVOICES, CREDIT_NOTES):
            return
        body = self.client.get(resource.detail_path(native_id))
        native = resource.detail_record(body) or {}
        action = lifecycle_action(data, native)
        if action is None:
            return
        payload: Json = {}
        if action == "mark-paid":
            reference = getattr(data, "number", None) or ""
            payload = {"payment_method": "OTHER", "reference_number": reference}
        self.client.post(f"{resource.detail_path(native_id)}{action}/", payload)

    def contact_of(self, account_id: str, data: CanonicalEntity | None = None) -> str:
        """The contact to name on an estimate or invoice of ``account_id`` that names none
        (``contact_id`` empty): of the deal's contacts when the record names a deal that has
        any, else of the account's contacts, the one :func:`first_contact` ranks first."""
        deal_id = getattr(data, "opportunity_id", None)
        if deal_id:
            body = self.client.get_optional(OPPORTUNITIES.detail_path(str(deal_id))) or {}
            ids = linked_ids(OPPORTUNITIES.detail_record(body) or {})
            if len(ids) == 1:
                return ids[0]
            if ids:
                # A deal lists its contacts by name only: their records carry the rank.
                return first_contact(ContactRecords(self.client).get(ids), account_id)
        body = self.client.get_optional(ACCOUNTS.detail_path(account_id)) or {}
        contacts = body.get("contacts")
        if isinstance(contacts, list) and (found := [c for c in contacts if id_of(c)]):
            return first_contact(found, account_id)
        raise PermanentError(
            f"BottleCRM needs a contact on account {account_id} for estimates and invoices; "
            "add a contact to the account",
            system=self.system,
            field="contact_id",
        )

    def _native_id(self, request: WriteRequest) -> str:
        if not request.native_id:
            raise PermanentError(f"{request.op.value} needs a native id", system=self.system)
        return request.native_id

    def _written(self, resource: Resource, request: WriteRequest, native_id: str) -> WriteResult:
        """Re-read the record so the engine stores the version it will see in the next scan."""
        records = self.read(resource.entity, [native_id])
        version = records[0].version if records else None
        return WriteResult(request, native_id=native_id, version=version)

    def default_pipeline(self) -> str:
        """The id of the organisation's default deal pipeline (looked up once)."""
        if self._pipeline_id is None:
            body = self.client.get("/api/opportunities/pipelines/")
            pipelines = body.get("pipelines") or []
            chosen = next((p for p in pipelines if p.get("is_default")), None) or (
                pipelines[0] if pipelines else None
            )
            if chosen is None:
                raise PermanentError(
                    "BottleCRM has no deal pipeline; create one under Settings -> Pipelines",
                    system=self.system,
                )
            self._pipeline_id = str(chosen["id"])
        return self._pipeline_id

    # -- notices -------------------------------------------------------------------------------

    def post_notice(self, notice: ErpDocumentNotice) -> str:
        """Post a notice about an ERP document as a task on a deal or account; its task id.

        Idempotent: a task with the same title (kind + ERP reference) on the same record is
        reused, so a retried notice never appears twice.
        """
        existing = self._find_notice(notice)
        if existing is not None:
            return existing
        self.client.post("/api/tasks/", notice.to_task())
        # BottleCRM's reply to a task create carries no id: look it up by its unique title.
        created = self._find_notice(notice)
        if created is None:
            raise PermanentError(
                f"BottleCRM accepted the notice {notice.title()!r} but does not list it",
                system=self.system,
            )
        return created

    def _find_notice(self, notice: ErpDocumentNotice) -> str | None:
        parent = notice.opportunity_id or notice.account_id
        for page in self.client.pages("/api/tasks/", (TASKS_SHAPE,), {"title": notice.title()}):
            for task in page:
                parents = {id_of(task.get(k)) for k in ("opportunity", "account")}
                if task.get("title") == notice.title() and parent in parents:
                    return str(task["id"])
        return None

    # -- health --------------------------------------------------------------------------------

    def health(self) -> Health:
        """Probe with one authenticated call and check the custom fields; never raises.

        Not ok when a custom field the mappings store values in is not defined (BottleCRM
        would drop those values silently); the detail names them.
        """
        started = time.monotonic()
        try:
            self.client.get("/api/opportunities/pipelines/")
            latency = (time.monotonic() - started) * 1000
            absent = custom_fields.missing(self.client, self.settings.erp_number_field)
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        if absent:
            names = ", ".join(f"{f.target}.{f.key}" for f in absent)
            return Health(
                ok=False,
                detail=f"BottleCRM lacks the custom fields {names}; create them under "
                "Settings -> Custom fields (docs/bottlecrm.md) or call ensure_custom_fields()",
                latency_ms=latency,
            )
        return Health(ok=True, detail="BottleCRM API answered", latency_ms=latency)

    def ensure_custom_fields(self) -> list[str]:
        """Create the custom fields the mappings need (admin token); ``Target.key`` of each
        field created."""
        created = custom_fields.ensure(self.client, self.settings.erp_number_field)
        return [f"{f.target}.{f.key}" for f in created]

    def close(self) -> None:
        self.client.close()


def connect(system: str, settings: BottleCrmSettings) -> BottleCrmConnector:
    """Build the connector for ``system`` (its name in the config, e.g. ``crm``)."""
    return BottleCrmConnector(system, settings)
