"""Dependencies shared by the routers: a store transaction and the loaded config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.engine import Connection

from syncline.mapping import SynclineConfig
from syncline.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def config_of(request: Request) -> SynclineConfig:
    return runtime_of(request).config


def connection(request: Request) -> Iterator[Connection]:
    """One store transaction for the request (read-only routes use it)."""
    with runtime_of(request).store.begin() as conn:
        yield conn


Conn = Annotated[Connection, Depends(connection)]
Config = Annotated[SynclineConfig, Depends(config_of)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Row id")]

__all__ = ["Config", "Conn", "RowId", "config_of", "connection", "runtime_of"]
