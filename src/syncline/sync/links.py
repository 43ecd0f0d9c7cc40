"""Linking: references translated through links, deterministic keys, and the fuzzy hook.

A record without a link is matched before anything is created (ARCHITECTURE.md §3.5):
deterministic keys first (``MapConfig.match.keys``, looked up in the other system through a
connector that offers :class:`KeyLookup`), then, for ``match.fuzzy``, a :class:`LinkSuggester`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from syncline.connectors.base import Capture, NativeRecord, OriginLookup
from syncline.matching.keys import key_forms
from syncline.model import CanonicalEntity, EntityValidationError
from syncline.store.links import Link, Side, links_by_native_ids
from syncline.store.outbox import OutboxJob
from syncline.store.schema import outbox, review_items
from syncline.store.types import utcnow
from syncline.sync.context import REF_KEY, MapContext
from syncline.sync.fields import SharedField, other


@runtime_checkable
class KeyLookup(Protocol):
    """A connector that can find live records by the value of one canonical field."""

    def lookup(self, entity: str, field: str, values: Sequence[Any]) -> list[NativeRecord]:
        """Live records of ``entity`` whose canonical ``field`` equals one of ``values``."""


@runtime_checkable
class DeletedKeyLookup(Protocol):
    """A key lookup that can also find records deleted in the system but kept there (soft
    deletes), when ``finds_deleted_by_key`` is true: ``include_deleted=True`` returns them as
    tombstones (``deleted``) that keep their values."""

    finds_deleted_by_key: bool

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """Records of ``entity`` whose canonical ``field`` equals one of ``values``."""


@dataclass(frozen=True)
class Suggestion:
    """A fuzzy match candidate for ``native_id`` in the other system, ``score`` in [0, 1]."""

    native_id: str
    partner_id: str
    score: float
    details: dict[str, Any]


class LinkSuggester(Protocol):
    """Scores records left unmatched by the deterministic keys (the matching package)."""

    def suggest(
        self, ctx: MapContext, side: Side, records: Sequence[NativeRecord]
    ) -> list[Suggestion]:
        """Candidates in the other system for ``records`` of ``side``, best or not."""


def _active(found: list[Link]) -> Link | None:
    return next((link for link in found if link.state == "active"), None)


class Translator:
    """Field values of one side in the other side's form; references go through links.

    An id whose parent is not linked yet becomes a ``{"$ref": ...}`` marker, resolved when the
    job is delivered: a job never writes a dangling reference.
    """

    def __init__(self, ctx: MapContext, conn: Connection) -> None:
        self.ctx = ctx
        self.conn = conn

    def __call__(self, shared: SharedField, value: Any, to: Side) -> Any:
        value = self.ctx.transformed(shared, value, to)
        if shared.ref_entity is None or value is None:
            return value
        parent = self.ctx.parents.get(shared.ref_entity)
        if parent is None:
            return value
        from_side = parent.side_of[self.ctx.system(other(to))]
        to_side = parent.side_of[self.ctx.system(to)]
        link = _active(
            links_by_native_ids(self.conn, parent.name, from_side, [str(value)]).get(str(value), [])
        )
        if link is not None and link.native_id(to_side) is not None:
            return link.native_id(to_side)
        return {
            REF_KEY: {
                "map": parent.name,
                "from": from_side,
                "to": to_side,
                "id": str(value),
                "link": link.id if link is not None else None,
            }
        }


def resolve_refs(conn: Connection, values: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """Replace reference markers by the linked ids; returns the values and, for markers that
    are still unresolved, their parent link ids (0 when the parent has no link yet)."""
    resolved = dict(values)
    waiting: list[int] = []
    for name, value in values.items():
        if not (isinstance(value, dict) and REF_KEY in value):
            continue
        ref = value[REF_KEY]
        link = _active(
            links_by_native_ids(conn, ref["map"], ref["from"], [ref["id"]]).get(ref["id"], [])
        )
        if link is not None and link.native_id(ref["to"]) is not None:
            resolved[name] = link.native_id(ref["to"])
        else:
            waiting.append(link.id if link is not None else 0)
    return resolved, waiting


def _raw_items(values: Sequence[Any]) -> list[Any]:
    """The plain values to ask a connector for (list items one by one, blanks dropped)."""
    items = [i for v in values for i in (v if isinstance(v, list | tuple) else [v])]
    return [i for i in items if isinstance(i, str | int) and i != ""]


def _ask(
    ctx: MapContext, target: Side, field: str, asked: list[Any], *, include_deleted: bool
) -> list[NativeRecord]:
    """What the lookup of ``target``'s connector (a :class:`KeyLookup`) finds for ``asked``;
    with ``include_deleted``, deleted records too where it can find them."""
    connector = ctx.connectors[target]
    if (
        include_deleted
        and isinstance(connector, DeletedKeyLookup)
        and connector.finds_deleted_by_key
    ):
        return connector.lookup(ctx.entity, field, asked, include_deleted=True)
    assert isinstance(connector, KeyLookup)
    return connector.lookup(ctx.entity, field, asked)


def lookup_keys(
    ctx: MapContext,
    target: Side,
    field: str,
    values: Sequence[Any],
    *,
    include_deleted: bool = False,
) -> list[NativeRecord]:
    """Live records of ``target`` whose key ``field`` equals one of ``values`` in the normal
    form of :mod:`syncline.matching.keys` (the initial load's rule too); with
    ``include_deleted``, deleted ones too where the connector can find them.

    The connector is asked for the raw values and their normal forms; what it returns is held
    to the normal form here, since a connector may compare more loosely or more strictly.
    """
    wanted = {form for v in values for form in key_forms(field, v)}
    if not wanted or not isinstance(ctx.connectors[target], KeyLookup):
        return []
    asked = list(dict.fromkeys([*_raw_items(values), *sorted(wanted)]))
    found = _ask(ctx, target, field, asked, include_deleted=include_deleted)
    return [
        record
        for record in found
        if record.data is not None
        and wanted & key_forms(field, record.data.canonical_values().get(field))
    ]


def find_partners(
    ctx: MapContext, side: Side, records: Sequence[NativeRecord]
) -> dict[str, NativeRecord]:
    """Records of the other side with equal deterministic keys, by ``records``' native ids.

    A list-valued key (``emails``) matches when any item is equal. A key value shared by
    several records of the other side is ambiguous and links nothing.
    """
    target = other(side)
    keys = ctx.config.match.keys
    if not keys or not isinstance(ctx.connectors[target], KeyLookup):
        return {}
    by_name = {f.field_a: f for f in ctx.fields}
    result: dict[str, NativeRecord] = {}
    remaining = [r for r in records if r.data is not None]
    for key in keys:
        shared = by_name.get(key)
        if shared is None or not remaining:
            continue
        field = shared.name(target)
        wanted: dict[str, tuple[set[str], Any]] = {}
        for record in remaining:
            assert record.data is not None
            raw = ctx.transformed(
                shared, record.data.canonical_values().get(shared.name(side)), target
            )
            forms = key_forms(field, raw)
            if forms:
                wanted[record.native_id] = (forms, raw)
        if not wanted:
            continue
        found = lookup_keys(ctx, target, field, [raw for _, raw in wanted.values()])
        candidates: dict[str, dict[str, NativeRecord]] = {}
        for candidate in found:
            assert candidate.data is not None
            for form in key_forms(field, candidate.data.canonical_values().get(field)):
                candidates.setdefault(form, {})[candidate.native_id] = candidate
        for native_id, (forms, _) in wanted.items():
            options: dict[str, NativeRecord] = {}
            for form in forms:
                options.update(candidates.get(form, {}))
            if len(options) == 1:
                result[native_id] = next(iter(options.values()))
        remaining = [r for r in remaining if r.native_id not in result]
    return result


def created_copy(
    ctx: MapContext,
    conn: Connection,
    target: Side,
    values: dict[str, Any],
    *,
    origins: Sequence[str] = (),
    include_deleted: bool = False,
) -> NativeRecord | None:
    """The record a create with ``values`` made on ``target``, or None.

    Where the target keeps each record's origin (:class:`OriginLookup`), the record created
    under one of ``origins`` (the create's idempotency keys, :func:`create_origins`), and
    nothing else: neither a record a person made with the same values nor a copy the system
    changed on write is mistaken. Otherwise found by the map's deterministic keys (one live,
    unlinked match); by content (:func:`_copy_by_content`, the lowest free id of identical
    records) only where no key can tell: a map without keys, a record without key values, or
    a key value several records show. A key value that finds nothing means the create never
    landed: no lookup by content (a scan, for some connectors).

    With ``include_deleted`` (and a connector that finds deleted records), a copy deleted in
    ``target`` since counts too when no live record matches: a tombstone still holding every
    value the create wrote (an older deleted record under the same key differs in some value).
    """
    connector = ctx.connectors[target]
    if origins and isinstance(connector, OriginLookup) and connector.marks_origin(ctx.entity):
        found = connector.by_origin(ctx.entity, origins)
        return _free_copy(conn, ctx, target, found, include_deleted=include_deleted)
    by_name = {f.field_a: f for f in ctx.fields}
    unsure = True  # no key could tell, or a key found several records
    for key in ctx.config.match.keys:
        shared = by_name.get(key)
        value = values.get(shared.name(target)) if shared is not None else None
        if shared is None or value in (None, "", [], {}):
            continue
        found = lookup_keys(
            ctx, target, shared.name(target), [value], include_deleted=include_deleted
        )
        live = [r for r in found if not r.deleted]
        found = live or [r for r in found if _holds(ctx, r, values)]
        unsure = unsure and len(found) > 1
        if len(found) != 1:
            continue
        if not links_by_native_ids(conn, ctx.name, target, [found[0].native_id]):
            return found[0]
    if not unsure:
        return None  # a key value the copy would show found nothing: the create never landed
    return _copy_by_content(ctx, conn, target, values, include_deleted=include_deleted)


def _copy_by_content(
    ctx: MapContext,
    conn: Connection,
    target: Side,
    values: dict[str, Any],
    *,
    include_deleted: bool,
) -> NativeRecord | None:
    """An unlinked record of ``target`` showing every one of ``values`` as written, looked up
    by one written field (:func:`_content_field`) through the connector's lookup, or a scan
    where it has none; a live record before a tombstone, as by key. None when none qualifies
    (the create never landed: it is repeated).

    Several qualify when identical twins' creates were in doubt together: the lowest id
    (:func:`_id_order`) is taken, so each twin's create, settled in turn, takes a copy of its
    own once the one before is linked, and only the copies that never landed are made again."""
    try:
        entity = ctx.model.parse(values)
    except EntityValidationError:
        return None
    field = _content_field(entity, values)
    if field is None:
        return None
    value = getattr(entity, field)
    if isinstance(ctx.connectors[target], KeyLookup):  # the exact value, not a key's normal form
        found = _ask(ctx, target, field, [value], include_deleted=include_deleted)
    else:
        found = _scan_for(ctx, target, field, value, include_deleted=include_deleted)
    written = entity.canonical_values()
    held = [r for r in found if _shows(r, written, values)]
    return _free_copy(conn, ctx, target, held, include_deleted=include_deleted)


def _free_copy(
    conn: Connection,
    ctx: MapContext,
    target: Side,
    found: Sequence[NativeRecord],
    *,
    include_deleted: bool,
) -> NativeRecord | None:
    """Of copies ``found``, the one no link holds with the lowest id, a live one before a
    tombstone (tombstones only ``include_deleted``)."""
    held = {r.native_id: r for r in found if include_deleted or not r.deleted}
    linked = links_by_native_ids(conn, ctx.name, target, list(held))
    free = [r for r in held.values() if r.native_id not in linked]
    chosen = [r for r in free if not r.deleted] or free
    return min(chosen, key=lambda r: _id_order(r.native_id), default=None)


def create_origins(job: OutboxJob) -> list[str]:
    """The idempotency keys create ``job`` may have written its copy under: its own, and for
    a create an initial load's batch left in doubt, the batch item's it was first sent with."""
    first = job.payload.get("origin")
    return [job.idempotency_key] if not isinstance(first, str) else [first, job.idempotency_key]


def batch_item_origin(batch_key: str, index: int) -> str:
    """The idempotency key of the record at ``index`` of an initial load's batch."""
    return f"{batch_key}:{index}"


def _id_order(native_id: str) -> tuple[int, str]:
    """A stable order of native ids, numeric for numeric ids ("9" before "10")."""
    return len(native_id), native_id


def _content_field(entity: CanonicalEntity, values: dict[str, Any]) -> str | None:
    """The written field to look a copy up by: a non-blank name-like text, other text, a whole
    number, a flag, in that order (the first in field order among equals), or None."""

    def rank(name: str) -> int | None:
        value = getattr(entity, name, None)
        if isinstance(value, str):
            return None if not value.strip() else 0 if "name" in name else 1
        if isinstance(value, bool):
            return 3
        return 2 if isinstance(value, int) else None

    ranked = [(r, i, name) for i, name in enumerate(values) if (r := rank(name)) is not None]
    return min(ranked)[2] if ranked else None


def _scan_for(
    ctx: MapContext, target: Side, field: str, value: Any, *, include_deleted: bool
) -> list[NativeRecord]:
    """Records of ``target`` whose ``field`` equals ``value``, by a full scan (a connector
    without lookup; asked only for a create in doubt); tombstones only with ``include_deleted``."""
    connector = ctx.connectors[target]
    if not connector.capabilities.can_capture(ctx.entity, Capture.SCAN):
        return []
    return [
        record
        for page in connector.scan(ctx.entity)
        for record in page
        if record.data is not None
        and (include_deleted or not record.deleted)
        and getattr(record.data, field, None) == value
    ]


def _holds(ctx: MapContext, record: NativeRecord, values: dict[str, Any]) -> bool:
    """Whether ``record`` shows every one of ``values`` (written to its system) as written."""
    try:
        written = ctx.model.parse(values).canonical_values()
    except EntityValidationError:
        return False
    return _shows(record, written, values)


def _shows(record: NativeRecord, written: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether ``record`` shows the canonical ``written`` value of every field of ``values``."""
    shown = record.data.canonical_values() if record.data is not None else {}
    return all(shown.get(name) == written.get(name) for name in values)


def copies_in_flight(
    ctx: MapContext, conn: Connection, side: Side, records: Sequence[NativeRecord]
) -> set[str]:
    """Native ids of the unlinked ``records`` that are copies of creates into ``side`` not yet
    recorded: each shows every value of a create still running, whether its worker is
    writing it now (within its lease) or died and left it in doubt for recovery.

    Such a record is left alone. Its worker links it when it records the create; should that
    worker die, recovery finds it by key or by content (§3.10). Planned as a new record, it
    would be copied back into the system it came from, a duplicate there (a map without keys
    has no other way to tell). A twin a person made meanwhile is left alone as well, as either
    of two identical records might be the copy: it syncs once it is edited."""
    query = select(outbox.c.payload).where(
        outbox.c.map_name == ctx.name,
        outbox.c.target_system == ctx.system(side),
        outbox.c.op == "create",
        outbox.c.state == "running",
    )
    written: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for payload in conn.execute(query).scalars():
        values, _ = resolve_refs(conn, dict(payload.get("values", {})))
        try:
            written.append((ctx.model.parse(values).canonical_values(), values))
        except EntityValidationError:
            continue  # a create the target will refuse makes no copy
    return {r.native_id for r in records if any(_shows(r, *w) for w in written)}


def add_review_item(conn: Connection, ctx: MapContext, side: Side, suggestion: Suggestion) -> None:
    """A grey-zone suggestion for a person to decide (idempotent per pair)."""
    exists = conn.execute(
        select(review_items.c.id).where(
            review_items.c.map_name == ctx.name,
            review_items.c.left_system == ctx.system(side),
            review_items.c.left_id == suggestion.native_id,
            review_items.c.right_system == ctx.system(other(side)),
            review_items.c.right_id == suggestion.partner_id,
        )
    ).first()
    if exists is not None:
        return
    conn.execute(
        insert(review_items).values(
            map_name=ctx.name,
            entity=ctx.entity,
            kind="match",
            group_key=f"{ctx.system(side)}:{suggestion.native_id}",
            left_system=ctx.system(side),
            left_id=suggestion.native_id,
            right_system=ctx.system(other(side)),
            right_id=suggestion.partner_id,
            score=suggestion.score,
            details=suggestion.details,
            state="open",
            created_at=utcnow(),
        )
    )


__all__ = [
    "DeletedKeyLookup",
    "KeyLookup",
    "LinkSuggester",
    "Suggestion",
    "Translator",
    "add_review_item",
    "batch_item_origin",
    "copies_in_flight",
    "create_origins",
    "created_copy",
    "find_partners",
    "lookup_keys",
    "resolve_refs",
]
