"""Flows find and record links in the maps of ``syncline.yaml`` (the same links the sync
engine uses), so a customer the order handoff made an ERP debtor is linked for the sync too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Connection

from syncline.errors import ConfigError
from syncline.flows.ports import ErpSide
from syncline.mapping.config import SynclineConfig
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.links import Side, create_links, links_by_native_ids

Role = Literal["crm", "erp"]


@dataclass(frozen=True)
class MapSides:
    """Which side (``a``/``b``) of map ``map_name`` is the CRM and which the ERP."""

    map_name: str
    entity: str
    crm: Side
    erp: Side

    def side(self, role: Role) -> Side:
        return self.crm if role == "crm" else self.erp


def map_sides(config: SynclineConfig, map_name: str, crm: str, erp: str) -> MapSides:
    """The sides of ``map_name`` for the systems ``crm`` and ``erp``; ConfigError when the map
    is missing or does not join these two systems."""
    try:
        found = config.map(map_name)
    except KeyError as exc:
        raise ConfigError(f"flow needs map {map_name!r}: {exc.args[0]}") from None
    if {found.a, found.b} != {crm, erp}:
        raise ConfigError(
            f"map {map_name!r} joins {found.a} and {found.b}, but the flow needs {crm} and {erp}"
        )
    return MapSides(
        map_name, found.entity, "a" if found.a == crm else "b", "a" if found.a == erp else "b"
    )


def linked_id(conn: Connection, sides: MapSides, role: Role, native_id: str) -> str | None:
    """The id in the other system of the record ``native_id`` of system ``role`` (active links
    only), or None when it is not linked."""
    side = sides.side(role)
    other: Side = "b" if side == "a" else "a"
    for link in links_by_native_ids(conn, sides.map_name, side, [native_id]).get(native_id, []):
        if link.state == "active":
            return link.native_id(other)
    return None


def record_link(
    conn: Connection, sides: MapSides, crm_id: str, erp_id: str, *, origin: str, actor: str
) -> int:
    """Link ``crm_id`` and ``erp_id`` (audited, reason ``link``); returns the link id. An
    existing active link of the CRM record is kept and returned."""
    existing = [
        link
        for link in links_by_native_ids(conn, sides.map_name, sides.crm, [crm_id]).get(crm_id, [])
        if link.state == "active"
    ]
    if existing:
        return existing[0].id
    pair = (crm_id, erp_id) if sides.crm == "a" else (erp_id, crm_id)
    (link_id,) = create_links(conn, sides.map_name, sides.entity, [pair], origin)
    record_events(
        conn,
        [
            {
                "map_name": sides.map_name,
                "link_id": link_id,
                "entity": sides.entity,
                "reason": "link",
                "actor": actor,
                "detail": f"crm {crm_id} <-> erp {erp_id} ({origin})",
            }
        ],
    )
    return link_id


def erp_products(
    store: Store, sides: MapSides, erp: ErpSide, refs: Sequence[tuple[str | None, str | None]]
) -> list[str | None]:
    """The ERP product of each ``(CRM product id, product code)``: through the catalogue links,
    else by the code; None where neither finds one."""
    with store.begin() as conn:
        linked = [linked_id(conn, sides, "crm", pid) if pid else None for pid, _ in refs]
    by_code = erp.product_ids_by_code(
        [code for (_, code), link in zip(refs, linked, strict=True) if link is None and code]
    )
    return [link or by_code.get(code or "") for (_, code), link in zip(refs, linked, strict=True)]


__all__ = ["MapSides", "Role", "erp_products", "linked_id", "map_sides", "record_link"]
