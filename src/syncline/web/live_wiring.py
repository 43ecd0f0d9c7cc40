"""The live CRM and ERP of an app: handed in by the caller, or built on first use from the
runtime's config (the first ``bottlecrm`` and the first ``tryton`` system, and the first
``order_handoff`` flow)."""

from __future__ import annotations

import logging
import threading

from fastapi import Request

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import ConfigError
from syncline.flows import order_handoff
from syncline.mapping.flows import OrderHandoffConfig
from syncline.runtime import Runtime
from syncline.web.live import LiveSystems
from syncline.web.live_bottlecrm import BottleCrmDesk
from syncline.web.live_tryton import TrytonDesk

log = logging.getLogger("syncline.web")
_lock = threading.Lock()


def from_runtime(runtime: Runtime) -> LiveSystems:
    """Desks over the runtime's connectors of the configured CRM and ERP (if any)."""
    live = LiveSystems()
    for name, system in runtime.config.systems.items():
        if system.type == "bottlecrm" and live.crm is None:
            connector = runtime.connector(name)
            if isinstance(connector, BottleCrmConnector):
                live.crm, live.crm_name = BottleCrmDesk(connector), name
        elif system.type == "tryton" and live.erp is None:
            connector = runtime.connector(name)
            if isinstance(connector, TrytonConnector):
                live.erp, live.erp_name = TrytonDesk(connector), name
    if any(isinstance(f, OrderHandoffConfig) for f in runtime.config.flows):
        try:
            live.handoff = order_handoff(runtime.config, runtime.store, runtime.connector)
        except (ConfigError, KeyError) as exc:
            log.warning("the order handoff flow cannot be used by the order form: %s", exc)
    return live


def live_of(request: Request) -> LiveSystems:
    """The app's LiveSystems, built from its runtime on the first call."""
    state = request.app.state
    with _lock:
        live: LiveSystems | None = getattr(state, "live", None)
        if live is None:
            live = from_runtime(state.runtime)
            state.live = live
    return live


__all__ = ["from_runtime", "live_of"]
