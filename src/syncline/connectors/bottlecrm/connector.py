"""``BottleCrmConnector``: BottleCRM as a syncline connector (push + scan capture)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import httpx

from syncline.connectors.base import (
    Capabilities,
    ChangeBatch,
    Cursor,
    EntitySupport,
    Health,
    NativeRecord,
    WriteOp,
    WriteRequest,
    WriteResult,
)
from syncline.connectors.bottlecrm.accounts import ACCOUNTS
from syncline.connectors.bottlecrm.client import BottleCrmClient, Json, ListShape
from syncline.connectors.bottlecrm.contacts import CONTACTS
from syncline.connectors.bottlecrm.notices import ErpDocumentNotice
from syncline.connectors.bottlecrm.opportunities import OPPORTUNITIES
from syncline.connectors.bottlecrm.resources import Resource, native_version, parse_time
from syncline.connectors.bottlecrm.settings import BottleCrmSettings
from syncline.errors import AuthError, ConnectorError, PermanentError, TransientError

TASKS_SHAPE = ListShape(("tasks",), count=("tasks_count",))

RESOURCES: dict[str, Resource] = {r.entity: r for r in (ACCOUNTS, CONTACTS, OPPORTUNITIES)}


class BottleCrmConnector:
    """Reads and writes accounts, contacts and deals over BottleCRM's REST API.

    BottleCRM's lists cannot be filtered by ``updated_at`` (accounts and deals do not even
    expose it), so there is no cursor capture: changes arrive as webhooks (push) and every
    change, including a lost webhook and a hard delete, is found by the next scan.
    """

    def __init__(
        self,
        system: str,
        settings: BottleCrmSettings,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.system = system
        self.settings = settings
        self.client = BottleCrmClient(system, settings, transport)
        self.capabilities = Capabilities(
            entities=tuple(
                EntitySupport(r.entity, r.capture, r.writable) for r in RESOURCES.values()
            ),
            read_batch_size=settings.page_size,
            write_batch_size=100,
        )
        self._pipeline_id: str | None = None

    # -- reading -------------------------------------------------------------------------------

    def _resource(self, entity: str) -> Resource:
        try:
            return RESOURCES[entity]
        except KeyError:
            known = ", ".join(sorted(RESOURCES))
            raise PermanentError(
                f"BottleCRM connector does not handle {entity!r}; it handles {known}",
                system=self.system,
            ) from None

    def _record(self, resource: Resource, native: Json) -> NativeRecord:
        data = resource.to_canonical(native)
        return NativeRecord(
            entity=resource.entity,
            native_id=str(native["id"]),
            data=data,
            version=native_version(native, data),
            modified_at=parse_time(native.get("updated_at")),
        )

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        """Not offered: BottleCRM cannot list records changed since a time. Use scan."""
        self._resource(entity)
        raise PermanentError(
            f"BottleCRM offers no cursor capture for {entity}; use push (webhooks) and scan",
            system=self.system,
        )

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        """Current state of the given records (detail requests, in parallel); missing omitted."""
        resource = self._resource(entity)

        def one(native_id: str) -> NativeRecord | None:
            body = self.client.get_optional(resource.detail_path(native_id))
            if body is None:
                return None
            native = body.get(resource.detail_key)
            if not isinstance(native, dict):
                return None
            return self._record(resource, native)

        found = self.client.map_concurrently(one, list(native_ids))
        return [r for r in found if r is not None]

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        """All records, archived ones included, in pages of ``page_size``."""
        resource = self._resource(entity)
        for page in self.client.pages(resource.list_path(), resource.shapes):
            yield [self._record(resource, native) for native in page]

    def list_ids(self, entity: str) -> list[str]:
        """Every id, archived ones included."""
        return [r.native_id for page in self.scan(entity) for r in page]

    # -- writing -------------------------------------------------------------------------------

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch with up to ``write_concurrency`` requests in flight.

        Validation failures are reported per record. Credentials refused raise AuthError. When
        every request failed transiently (server down) the batch raises TransientError; when
        only some did, those results carry the TransientError and the engine retries them.
        """
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

    def _apply_or_raise(self, resource: Resource, request: WriteRequest) -> WriteResult:
        op = request.op
        if op not in resource.writable:
            raise PermanentError(f"BottleCRM {resource.path} cannot {op.value}", system=self.system)
        if op is WriteOp.DELETE:
            self.client.delete(resource.detail_path(self._native_id(request)))
            return WriteResult(request, native_id=request.native_id)
        if op is WriteOp.ARCHIVE:
            assert resource.archive is not None
            native_id = self._native_id(request)
            self.client.patch(resource.detail_path(native_id), resource.archive)
            return self._written(resource, request, native_id)
        if request.data is None:
            raise PermanentError(f"{op.value} needs data", system=self.system)
        if op is WriteOp.CREATE:
            payload = resource.to_native(request.data, None)
            if resource is OPPORTUNITIES:
                payload.update(assigned_to=[], teams=[], pipeline=self.default_pipeline())
            body = self.client.post(resource.list_path(), payload)
            native_id = str(body.get("id") or "")
            if not native_id:
                raise PermanentError(
                    f"BottleCRM created a {resource.entity} but returned no id",
                    system=self.system,
                    remote_message=str(body)[:300],
                )
            return self._written(resource, request, native_id)
        native_id = self._native_id(request)
        payload = resource.to_native(request.data, request.fields)
        if payload:
            self.client.patch(resource.detail_path(native_id), payload)
        return self._written(resource, request, native_id)

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
                parents = {_id_of(task.get(k)) for k in ("opportunity", "account")}
                if task.get("title") == notice.title() and parent in parents:
                    return str(task["id"])
        return None

    # -- health --------------------------------------------------------------------------------

    def health(self) -> Health:
        """Probe with one authenticated call (the pipeline list); never raises."""
        started = time.monotonic()
        try:
            self.client.get("/api/opportunities/pipelines/")
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        latency = (time.monotonic() - started) * 1000
        return Health(ok=True, detail="BottleCRM API answered", latency_ms=latency)

    def close(self) -> None:
        self.client.close()


def connect(system: str, settings: BottleCrmSettings) -> BottleCrmConnector:
    """Build the connector for ``system`` (its name in the config, e.g. ``crm``)."""
    return BottleCrmConnector(system, settings)


def _id_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None
