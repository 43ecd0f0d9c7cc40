"""The HTML pages (viewer role to read): dashboard, conflict inbox, review queue, dead letters,
audit trail, data placement and reports. Forms post to routes in ``page_actions``."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from syncline.web import reads
from syncline.web.business_reports import business_report
from syncline.web.charts import bar_chart, line_chart
from syncline.web.deps import Config, Conn
from syncline.web.live import LiveSystems
from syncline.web.live_wiring import live_of
from syncline.web.placement import placement
from syncline.web.schemas import ReviewOut
from syncline.web.security import Principal, viewer
from syncline.web.views import page

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(viewer)]
Text = Annotated[str, Query(max_length=200)]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: Viewer, conn: Conn, config: Config) -> HTMLResponse:
    status = reads.status(conn, config)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    step = timedelta(hours=1)
    panels = []
    for m in status.maps:
        panels.append(
            {
                "status": m,
                "throughput": Markup(
                    line_chart(
                        reads.throughput(conn, m.map_name, now, step, 24),
                        f"{m.map_name}: jobs delivered per hour",
                    )
                ),
                "backlog": Markup(
                    line_chart(
                        reads.backlog(conn, m.map_name, now, step, 24),
                        f"{m.map_name}: backlog over 24 h",
                    )
                ),
                "errors": reads.recent_errors(conn, m.map_name),
            }
        )
    return page(request, "dashboard.html", principal, {"panels": panels, "systems": status.systems})


@router.get("/conflicts", response_class=HTMLResponse)
def conflict_inbox(
    request: Request, principal: Viewer, conn: Conn, config: Config, map_name: Text = ""
) -> HTMLResponse:
    items = reads.list_conflicts(conn, config, "open", map_name or None, 200)
    maps = [m.name for m in config.maps]
    return page(
        request,
        "conflicts.html",
        principal,
        {"items": items, "maps": maps, "map_name": map_name},
    )


@router.get("/reviews", response_class=HTMLResponse)
def review_queue(
    request: Request, principal: Viewer, conn: Conn, map_name: Text = ""
) -> HTMLResponse:
    items = reads.list_reviews(conn, "open", map_name or None, 200)
    groups: dict[str, list[ReviewOut]] = defaultdict(list)
    for item in items:
        groups[item.group_key or f"{item.left_system}:{item.left_id}"].append(item)
    return page(request, "reviews.html", principal, {"groups": groups})


@router.get("/deadletters", response_class=HTMLResponse)
def dead_letters(
    request: Request, principal: Viewer, conn: Conn, map_name: Text = ""
) -> HTMLResponse:
    items = reads.list_dead_letters(conn, map_name or None, 200)
    return page(request, "deadletters.html", principal, {"items": items})


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(
    *,
    request: Request,
    principal: Viewer,
    conn: Conn,
    config: Config,
    map_name: Text = "",
    entity: Text = "",
    field: Text = "",
    reason: Text = "",
    actor: Text = "",
    link_id: Text = "",
    since: Text = "",
) -> HTMLResponse:
    filters = {
        "map_name": map_name,
        "entity": entity,
        "field": field,
        "reason": reason,
        "actor": actor,
        "link_id": link_id,
        "since": since,
    }
    error = None
    since_at = None
    if since:
        try:
            since_at = datetime.fromisoformat(since)
            if since_at.tzinfo is None:
                since_at = since_at.replace(tzinfo=UTC)
        except ValueError:
            error = f"'since' must be a date like 2026-05-01 or 2026-05-01T08:00, not {since!r}"
    link = int(link_id) if link_id.isdigit() and len(link_id) < 10 else None
    if link_id and link is None:
        error = f"'link' must be a link id (a number), got {link_id!r}"
    where = reads.AuditFilter(
        map_name=map_name or None,
        link_id=link,
        entity=entity or None,
        field=field or None,
        reason=reason or None,
        actor=actor or None,
        since=since_at,
    )
    events = [] if error else reads.search_audit(conn, where, 500)
    return page(
        request,
        "audit.html",
        principal,
        {
            "events": events,
            "filters": filters,
            "error": error,
            "maps": [m.name for m in config.maps],
        },
    )


@router.get("/placement", response_class=HTMLResponse)
def data_placement(request: Request, principal: Viewer, config: Config) -> HTMLResponse:
    return page(request, "placement.html", principal, {"placement": placement(config)})


@router.get("/reports", response_class=HTMLResponse)
def reports(
    *,
    request: Request,
    principal: Viewer,
    conn: Conn,
    config: Config,
    live: Annotated[LiveSystems, Depends(live_of)],
    days: Annotated[int, Query(ge=1, le=366)] = 14,
) -> HTMLResponse:
    report = reads.sync_health(conn, config, datetime.now(UTC), days)
    charts = {
        m.map_name: Markup(
            line_chart(m.delivered_per_day, f"{m.map_name}: delivered per day", time_format="%m-%d")
        )
        for m in report.maps
    }
    business = business_report(conn, live, days, datetime.now(UTC).date())
    volume = business.order_volume
    business_charts = {
        "volume": Markup(bar_chart(volume, "ERP orders per day")) if volume is not None else None,
        "workload": Markup(
            bar_chart(business.workload.per_day, "Orders entered through syncline per day")
        ),
    }
    return page(
        request,
        "reports.html",
        principal,
        {
            "report": report,
            "charts": charts,
            "business": business,
            "business_charts": business_charts,
        },
    )


__all__ = ["router"]
