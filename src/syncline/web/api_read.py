"""The read side of the REST API (viewer role): status, maps, runs, links, conflicts, review
items, dead letters, audit search, data placement, reports and Prometheus metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from syncline.mapping import MapConfig
from syncline.web import reads
from syncline.web.business_reports import business_report
from syncline.web.deps import Config, Conn, RowId
from syncline.web.live import LiveSystems
from syncline.web.live_wiring import live_of
from syncline.web.metrics import CONTENT_TYPE, exposition
from syncline.web.placement import placement
from syncline.web.schemas import (
    AuditOut,
    ConflictOut,
    DeadLetterOut,
    LinkOut,
    MeOut,
    PlacementOut,
    ReviewOut,
    RunOut,
    StatusOut,
    SyncHealthReport,
)
from syncline.web.schemas_live import BusinessReportOut
from syncline.web.security import Principal, viewer

router = APIRouter(dependencies=[Depends(viewer)])

Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip")]
MapName = Annotated[str | None, Query(max_length=200, description="Only this map")]
State = Annotated[str | None, Query(max_length=16, description="Only this state")]


@router.get("/api/me", response_model=MeOut, tags=["auth"], summary="Who am I")
def me(principal: Annotated[Principal, Depends(viewer)]) -> MeOut:
    return MeOut(username=principal.name, role=principal.user.role.value, via=principal.via)


@router.get("/api/status", response_model=StatusOut, tags=["status"], summary="Health per map")
def get_status(conn: Conn, config: Config) -> StatusOut:
    return reads.status(conn, config)


@router.get("/api/maps", response_model=list[MapConfig], tags=["config"], summary="The maps")
def get_maps(config: Config) -> list[MapConfig]:
    return list(config.maps)


@router.get("/api/runs", response_model=list[RunOut], tags=["runs"], summary="Runs, newest first")
def get_runs(
    conn: Conn, map_name: MapName = None, limit: Limit = 50, offset: Offset = 0
) -> list[RunOut]:
    return reads.list_runs(conn, map_name, limit, offset)


@router.get("/api/links", response_model=list[LinkOut], tags=["links"], summary="Links")
def get_links(
    conn: Conn,
    map_name: MapName = None,
    state: State = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[LinkOut]:
    return reads.list_links(conn, map_name, state, limit, offset)


@router.get(
    "/api/conflicts", response_model=list[ConflictOut], tags=["conflicts"], summary="Conflict items"
)
def get_conflicts(
    *,
    conn: Conn,
    config: Config,
    state: State = "open",
    map_name: MapName = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ConflictOut]:
    return reads.list_conflicts(conn, config, state, map_name, limit, offset=offset)


@router.get(
    "/api/conflicts/{conflict_id}",
    response_model=ConflictOut,
    tags=["conflicts"],
    summary="One conflict item",
    responses={404: {"description": "No such conflict"}},
)
def get_conflict(conn: Conn, config: Config, conflict_id: RowId) -> ConflictOut:
    item = reads.get_conflict(conn, config, conflict_id)
    if item is None:
        raise HTTPException(404, f"no conflict {conflict_id}")
    return item


@router.get(
    "/api/reviews", response_model=list[ReviewOut], tags=["reviews"], summary="Review items"
)
def get_reviews(
    conn: Conn,
    state: State = "open",
    map_name: MapName = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ReviewOut]:
    return reads.list_reviews(conn, state, map_name, limit, offset)


@router.get(
    "/api/reviews/{review_id}",
    response_model=ReviewOut,
    tags=["reviews"],
    summary="One review item",
    responses={404: {"description": "No such review item"}},
)
def get_review(conn: Conn, review_id: RowId) -> ReviewOut:
    item = reads.get_review(conn, review_id)
    if item is None:
        raise HTTPException(404, f"no review item {review_id}")
    return item


@router.get(
    "/api/deadletters",
    response_model=list[DeadLetterOut],
    tags=["dead letters"],
    summary="Dead letters (jobs the target refused)",
)
def get_dead_letters(
    conn: Conn, map_name: MapName = None, limit: Limit = 100, offset: Offset = 0
) -> list[DeadLetterOut]:
    return reads.list_dead_letters(conn, map_name, limit, offset)


@router.get(
    "/api/deadletters/{job_id}",
    response_model=DeadLetterOut,
    tags=["dead letters"],
    summary="One outbox job",
    responses={404: {"description": "No such job"}},
)
def get_dead_letter(conn: Conn, job_id: RowId) -> DeadLetterOut:
    job = reads.get_job(conn, job_id)
    if job is None:
        raise HTTPException(404, f"no outbox job {job_id}")
    return job


@router.get("/api/audit", response_model=list[AuditOut], tags=["audit"], summary="Audit search")
def get_audit(
    *,
    conn: Conn,
    map_name: MapName = None,
    link_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    field: Annotated[str | None, Query(max_length=200)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; naive times are UTC")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; naive times are UTC")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AuditOut]:
    where = reads.AuditFilter(
        map_name=map_name,
        link_id=link_id,
        entity=entity,
        field=field,
        reason=reason,
        actor=actor,
        since=_utc(since),
        until=_utc(until),
    )
    return reads.search_audit(conn, where, limit, offset)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get(
    "/api/placement",
    response_model=PlacementOut,
    tags=["config"],
    summary="Data placement matrix: per entity and field, which system leads, copied or linked",
)
def get_placement(config: Config) -> PlacementOut:
    return placement(config)


@router.get(
    "/api/reports/sync-health",
    response_model=SyncHealthReport,
    tags=["reports"],
    summary="Runs, deliveries, dead letters and conflicts per map over the last days",
)
def get_sync_health(
    conn: Conn, config: Config, days: Annotated[int, Query(ge=1, le=366)] = 14
) -> SyncHealthReport:
    return reads.sync_health(conn, config, datetime.now(UTC), days)


@router.get(
    "/api/reports/business",
    response_model=BusinessReportOut,
    tags=["reports"],
    summary="Order volume, quote-to-order conversion, returns and complaint rates and "
    "order-entry workload across CRM and ERP over the last days",
)
def get_business_report(
    conn: Conn,
    live: Annotated[LiveSystems, Depends(live_of)],
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> BusinessReportOut:
    return business_report(conn, live, days, datetime.now(UTC).date())


@router.get(
    "/metrics",
    tags=["metrics"],
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def get_metrics(conn: Conn, config: Config) -> Response:
    return Response(exposition(reads.status(conn, config)), media_type=CONTENT_TYPE)


__all__ = ["router"]
