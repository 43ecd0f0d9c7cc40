"""Small server-rendered SVG charts (no JavaScript): a line chart of one series over time and a
bar chart of counts per period."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from syncline.web.schemas import SeriesPoint

WIDTH = 320
HEIGHT = 110
PAD_LEFT = 34
PAD_BOTTOM = 18
PAD_TOP = 8


def line_chart(
    points: Sequence[SeriesPoint], title: str, *, time_format: str = "%m-%d %H:%M"
) -> str:
    """An SVG line chart with a y scale from 0 to the maximum and the first and last times."""
    plot_w = WIDTH - PAD_LEFT - 6
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = max((p.value for p in points), default=0) or 1
    coords = []
    for i, p in enumerate(points):
        x = PAD_LEFT + (plot_w * i / max(len(points) - 1, 1))
        y = PAD_TOP + plot_h - plot_h * p.value / top
        coords.append(f"{x:.1f},{y:.1f}")
    first = points[0].at.strftime(time_format) if points else ""
    last = points[-1].at.strftime(time_format) if points else ""
    base_y = PAD_TOP + plot_h
    label = escape(title)
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<line x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - 6}" y2="{base_y}" class="axis"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{base_y}" class="axis"/>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">{top}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{base_y}" text-anchor="end">0</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}">{escape(first)}</text>'
        f'<text x="{WIDTH - 6}" y="{HEIGHT - 4}" text-anchor="end">{escape(last)}</text>'
        f'<polyline points="{" ".join(coords)}" class="series"/>'
        "</svg>"
    )


def bar_chart(points: Sequence[SeriesPoint], title: str, *, time_format: str = "%m-%d") -> str:
    """An SVG bar chart, one bar per point, y from 0 to the maximum; first and last times."""
    plot_w = WIDTH - PAD_LEFT - 6
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = max((p.value for p in points), default=0) or 1
    slot = plot_w / max(len(points), 1)
    base_y = PAD_TOP + plot_h
    bars = []
    for i, p in enumerate(points):
        h = plot_h * p.value / top
        x = PAD_LEFT + slot * i + slot * 0.15
        tip = escape(f"{p.at.strftime(time_format)}: {p.value}")
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{base_y - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}"><title>{tip}</title></rect>'
        )
    first = points[0].at.strftime(time_format) if points else ""
    last = points[-1].at.strftime(time_format) if points else ""
    label = escape(title)
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<line x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - 6}" y2="{base_y}" class="axis"/>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">{top}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{base_y}" text-anchor="end">0</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}">{escape(first)}</text>'
        f'<text x="{WIDTH - 6}" y="{HEIGHT - 4}" text-anchor="end">{escape(last)}</text>'
        f"{''.join(bars)}"
        "</svg>"
    )


__all__ = ["bar_chart", "line_chart"]
