"""Reports across both systems: order volume (ERP), quote-to-order conversion (CRM quotes and
deals against ERP orders), returns and complaint rates (ERP returns and complaints, CRM service
cases) and order-entry workload (the audit trail of the order entry form). Live answers go
through the in-memory cache, so a report shows its "as of" time and stays up when a system is
down."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from syncline.errors import ConnectorError
from syncline.store.schema import audit_events
from syncline.web.live import CrmActivity, Fetched, LiveSystems, SaleFact
from syncline.web.schemas import SeriesPoint
from syncline.web.schemas_live import BusinessReportOut, ConversionOut, QualityOut, WorkloadOut

T = TypeVar("T")
ORDERED_STATES = frozenset({"quotation", "confirmed", "processing", "done"})
ORDER_ENTRY_PREFIX = "order entry:"


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _per_day(days: list[date], since: date, count: int) -> list[SeriesPoint]:
    tally = Counter(days)
    return [
        SeriesPoint(at=_midnight(since + timedelta(days=i)), value=tally[since + timedelta(days=i)])
        for i in range(count)
    ]


def _seen(answer: Fetched[T]) -> tuple[datetime, bool, str | None]:
    return answer.fetched_at, answer.stale, answer.error


def workload(conn: Connection, since: date, days: int) -> WorkloadOut:
    """Orders entered through the order entry form, per user and per day."""
    rows = conn.execute(
        select(audit_events.c.at, audit_events.c.actor).where(
            audit_events.c.reason == "flow",
            audit_events.c.entity == "order",
            audit_events.c.detail.like(f"{ORDER_ENTRY_PREFIX}%"),
            audit_events.c.at >= _midnight(since),
        )
    ).all()
    return WorkloadOut(
        entered=len(rows),
        by_user=dict(Counter(str(actor) for _at, actor in rows).most_common()),
        per_day=_per_day([at.astimezone(UTC).date() for at, _actor in rows], since, days),
    )


def business_report(
    conn: Connection, live: LiveSystems, days: int, today: date
) -> BusinessReportOut:
    """The cross-system report over the ``days`` days up to and including ``today``."""
    since = today - timedelta(days=days - 1)
    errors: list[str] = []
    answers: list[tuple[datetime, bool, str | None]] = []  # fetched at, stale, error
    sales: list[SaleFact] | None = None
    complaints: int | None = None
    activity: CrmActivity | None = None
    erp, crm = live.erp, live.crm
    if erp is None:
        errors.append("no ERP is configured: order volume, returns and complaints need one")
    else:
        try:
            got_sales = live.cache.get(
                ("erp", "sales", since.isoformat()), lambda: erp.sales(since)
            )
            got_complaints = live.cache.get(
                ("erp", "complaints", since.isoformat()), lambda: erp.complaints(since)
            )
            sales, complaints = got_sales.value, got_complaints.value
            answers += [_seen(got_sales), _seen(got_complaints)]
        except ConnectorError as exc:
            errors.append(f"the ERP did not answer: {exc}")
    if crm is None:
        errors.append("no CRM is configured: quotes, deals and cases need one")
    else:
        try:
            got_activity = live.cache.get(
                ("crm", "activity", since.isoformat()), lambda: crm.activity(since)
            )
            activity = got_activity.value
            answers.append(_seen(got_activity))
        except ConnectorError as exc:
            errors.append(f"the CRM did not answer: {exc}")
    errors += [error for _at, stale, error in answers if stale and error]
    ordered = [s for s in sales or [] if s.state in ORDERED_STATES and not s.is_return]
    volume = None
    value = None
    if sales is not None:
        volume = _per_day([s.sale_date for s in ordered if s.sale_date], since, days)
        value = sum((s.untaxed_amount for s in ordered), Decimal(0))
    conversion = None
    if sales is not None and activity is not None:
        conversion = ConversionOut(
            quotes=activity.quotes,
            orders=len(ordered),
            quote_to_order=_ratio(len(ordered), activity.quotes),
            deals_won=activity.deals_won,
            deals_lost=activity.deals_lost,
            win_rate=_ratio(activity.deals_won, activity.deals_won + activity.deals_lost),
        )
    quality = None
    if sales is not None and complaints is not None:
        returns = sum(1 for s in sales if s.is_return and s.state != "cancelled")
        quality = QualityOut(
            orders=len(ordered),
            returns=returns,
            complaints=complaints,
            cases=activity.cases if activity is not None else 0,
            return_rate=_ratio(returns, len(ordered)),
            complaint_rate=_ratio(complaints, len(ordered)),
        )
    return BusinessReportOut(
        days=days,
        since=since,
        order_volume=volume,
        order_value=value,
        conversion=conversion,
        quality=quality,
        workload=workload(conn, since, days),
        as_of=min((at for at, _stale, _error in answers), default=None),
        stale=any(stale for _at, stale, _error in answers),
        errors=errors,
    )


__all__ = ["business_report", "workload"]
