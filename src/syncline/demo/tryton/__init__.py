"""The demo ERP: Tryton 8.2 in its own virtual environment, a cached seeded database template
and a ``trytond`` process per state folder."""

from __future__ import annotations

from syncline.demo.tryton.server import TrytonInstance, reset, start, status, stop
from syncline.demo.tryton.template import Template, ensure_template

__all__ = ["Template", "TrytonInstance", "ensure_template", "reset", "start", "status", "stop"]
