"""The shapes of the REST API's answers and requests (they make up the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MapStatusOut(Out):
    map_name: str
    entity: str
    health: Literal["ok", "attention", "failing", "idle"]
    last_run_at: datetime | None
    last_run_state: str | None
    backlog: int
    open_conflicts: int
    dead_letters: int
    open_reviews: int
    unreadable: int = Field(0, description="records capture could not read, waiting for a fix")


class SystemOut(Out):
    name: str
    type: str
    circuit: str = Field(description="closed (healthy), open (failing, jobs wait) or half_open")
    last_error: str | None = None


class StatusOut(Out):
    maps: list[MapStatusOut]
    systems: list[SystemOut]


class RunOut(Out):
    id: int
    map_name: str
    kind: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None


class LinkOut(Out):
    id: int
    map_name: str
    entity: str
    id_a: str | None
    id_b: str | None
    origin: str
    pinned: bool
    state: str
    created_at: datetime
    updated_at: datetime


class ConflictOut(Out):
    id: int
    map_name: str
    link_id: int
    entity: str
    field: str
    system_a: str | None = None
    system_b: str | None = None
    base_value: Any
    value_a: Any
    value_b: Any
    version_a: str | None
    version_b: str | None
    changed_at_a: datetime | None
    changed_at_b: datetime | None
    state: str
    resolution: str | None
    resolved_value: Any
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime


class ReviewOut(Out):
    id: int
    map_name: str
    entity: str
    kind: str
    group_key: str | None
    left_system: str
    left_id: str
    right_system: str
    right_id: str
    score: float
    details: dict[str, Any]
    state: str
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class DeadLetterOut(Out):
    id: int
    map_name: str
    link_id: int | None
    target_system: str
    entity: str
    op: str
    native_id: str | None
    payload: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None
    error_kind: str | None
    created_at: datetime
    updated_at: datetime


class AuditOut(Out):
    id: int
    at: datetime
    map_name: str | None
    link_id: int | None
    entity: str | None
    field: str | None
    old_value: Any
    new_value: Any
    source_system: str | None
    source_version: str | None
    target_system: str | None
    reason: str
    actor: str
    job_id: int | None
    detail: str | None


class PlacementField(Out):
    field: str
    target: str
    sharing: Literal["copied", "linked", "not shared"]
    flow: str = Field(description="'erp <-> crm' (both ways), 'erp -> crm' (one way) or '-'")
    leads: str | None = Field(description="The system whose value wins: owner or leading system")
    conflict: str = Field(description="'manual' or 'leading: SYSTEM'")


class PlacementMap(Out):
    map_name: str
    entity: str
    a: str
    b: str
    direction: str
    fields: list[PlacementField]


class PlacementOut(Out):
    maps: list[PlacementMap]
    unmapped_entities: list[str] = Field(
        description="Canonical entities no map shares: each lives in one system only"
    )


class SeriesPoint(Out):
    at: datetime
    value: int


class SyncHealthMap(Out):
    map_name: str
    runs_ok: int
    runs_failed: int
    delivered: int
    dead: int
    conflicts_opened: int
    conflicts_resolved: int
    delivered_per_day: list[SeriesPoint]


class SyncHealthReport(Out):
    days: int
    since: datetime
    maps: list[SyncHealthMap]


class UserOut(Out):
    id: int
    username: str
    role: str
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=10, max_length=1024)
    role: Literal["viewer", "operator", "admin"] = "viewer"


class TokenOut(Out):
    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class TokenCreated(Out):
    token: TokenOut
    secret: str = Field(description="The bearer token. Shown once; store it now.")


class MeOut(Out):
    username: str
    role: str
    via: str


__all__ = [
    "AuditOut",
    "ConflictOut",
    "DeadLetterOut",
    "LinkOut",
    "MapStatusOut",
    "MeOut",
    "PlacementField",
    "PlacementMap",
    "PlacementOut",
    "ReviewOut",
    "RunOut",
    "SeriesPoint",
    "StatusOut",
    "SyncHealthMap",
    "SyncHealthReport",
    "SystemOut",
    "TokenCreated",
    "TokenIn",
    "TokenOut",
    "UserIn",
    "UserOut",
]
