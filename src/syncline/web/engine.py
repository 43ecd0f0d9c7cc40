"""The sync engine the faces hand operator decisions to (built on first use)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import HTTPException, Request

from syncline.errors import ConfigError, SynclineError
from syncline.sync import DecisionError, SyncEngine

_lock = threading.Lock()


def engine_of(request: Request) -> SyncEngine:
    """The app's SyncEngine over its runtime's store, config and connectors."""
    state = request.app.state
    with _lock:
        engine: SyncEngine | None = getattr(state, "engine", None)
        if engine is None:
            runtime = state.runtime
            engine = SyncEngine(runtime.store, runtime.config, runtime.connectors())
            state.engine = engine
    return engine


def decided(action: Any, *args: Any, **kwargs: Any) -> None:
    """Run an engine decision; its refusals become HTTP errors with the engine's message."""
    try:
        action(*args, **kwargs)
    except DecisionError as exc:
        raise HTTPException(409, str(exc)) from None
    except (ConfigError, KeyError) as exc:
        raise HTTPException(409, f"the configuration does not allow this: {exc}") from None
    except SynclineError as exc:
        raise HTTPException(503, f"the decision could not be applied now: {exc}") from None


__all__ = ["decided", "engine_of"]
