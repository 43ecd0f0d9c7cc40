"""Throughput and backlog over time, and the SVG charts drawn from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from syncline.store import Store
from syncline.store.schema import outbox
from syncline.web.charts import line_chart
from syncline.web.reads import backlog, throughput
from syncline.web.schemas import SeriesPoint

END = datetime(2026, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _job(conn: object, key: str, state: str, created: datetime, updated: datetime) -> None:
    conn.execute(  # type: ignore[attr-defined]
        insert(outbox).values(
            map_name="m",
            target_system="erp",
            entity="party",
            op="update",
            payload={},
            idempotency_key=key,
            state=state,
            next_attempt_at=created,
            created_at=created,
            updated_at=updated,
        )
    )


def test_throughput_and_backlog_per_hour(store: Store) -> None:
    with store.begin() as conn:
        # a: 10:30 -> done 11:30; b: 9:00 -> done 9:50; c: pending since 9:01
        _job(conn, "a", "done", END - 90 * timedelta(minutes=1), END - timedelta(minutes=30))
        _job(conn, "b", "done", END - 3 * HOUR, END - 2 * HOUR - timedelta(minutes=10))
        _job(conn, "c", "pending", END - 3 * HOUR + timedelta(minutes=1), END)
        delivered = [p.value for p in throughput(conn, "m", END, HOUR, 4)]
        waiting = [p.value for p in backlog(conn, "m", END, HOUR, 4)]
    assert delivered == [0, 1, 0, 1]  # buckets ending at 9, 10, 11, 12 o'clock
    # at 9: b (created 9:00); 10: c (b done 9:50); 11: a and c; 12: c (a done 11:30)
    assert waiting == [1, 1, 2, 1]


def test_line_chart_is_valid_svg_scaled_to_the_maximum() -> None:
    points = [SeriesPoint(at=END + HOUR * i, value=v) for i, v in enumerate([0, 5, 10])]
    svg = line_chart(points, "delivered <per> hour")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    polyline = next(e for e in root.iter() if e.tag.endswith("polyline"))
    ys = [float(p.split(",")[1]) for p in polyline.attrib["points"].split()]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher up
    assert "&lt;per&gt;" in svg and "<per>" not in svg
    assert ET.fromstring(line_chart([], "empty")) is not None
