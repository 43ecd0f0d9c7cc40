"""The demo BottleCRM: install, template, server processes, demo data.

Plain function API for tests and ``make demo``: ``ensure_template()``, ``start(state_dir)``,
``stop(state_dir)``, ``reset(state_dir)``, ``status(state_dir)``, ``register_webhook(...)``.
"""

from __future__ import annotations

from syncline.demo.bottlecrm.install import Template
from syncline.demo.bottlecrm.server import (
    CrmInstance,
    connection_file,
    register_webhook,
    reset,
    start,
    status,
    stop,
)
from syncline.demo.bottlecrm.template import ensure_template

__all__ = [
    "CrmInstance",
    "Template",
    "connection_file",
    "ensure_template",
    "register_webhook",
    "reset",
    "start",
    "status",
    "stop",
]
