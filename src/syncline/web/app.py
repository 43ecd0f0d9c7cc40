"""The web app: ``create_app(runtime)`` wires the REST API, the pages and the security layer."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from syncline import __version__
from syncline.runtime import Runtime
from syncline.sync import SyncEngine
from syncline.web import (
    api_actions,
    api_admin,
    api_read,
    auth,
    customers,
    order_entry,
    page_actions,
    pages,
)
from syncline.web.live import LiveSystems
from syncline.web.security import LoginThrottle, NotAuthenticatedError
from syncline.web.views import templates
from syncline.web.webhooks import StoreInbox, bottlecrm_webhook_router, verifiers_from

log = logging.getLogger("syncline.web")

STATIC = Path(__file__).parent / "static"
API_PREFIXES = ("/api/", "/metrics")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES) or "text/html" not in request.headers.get(
        "accept", ""
    )


def create_app(
    runtime: Runtime,
    *,
    engine: SyncEngine | None = None,
    throttle: LoginThrottle | None = None,
    live: LiveSystems | None = None,
) -> FastAPI:
    """The FastAPI app over ``runtime``'s config, state store and connectors.

    ``engine`` receives operator decisions; by default one is built over the runtime's
    connectors on the first decision. ``live`` is the CRM and ERP the customer view, the order
    entry form and the reports ask; by default built from the config's first ``bottlecrm``
    and ``tryton`` systems on first use.
    """
    app = FastAPI(
        title="syncline",
        version=__version__,
        description=(
            "REST API of the syncline integration hub. Every route except `/health` needs a "
            "session login or an API token (`Authorization: Bearer sl_...`)."
        ),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.runtime = runtime
    app.state.store = runtime.store
    app.state.throttle = throttle or LoginThrottle()
    app.state.engine = engine
    app.state.live = live
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotAuthenticatedError)
    async def _not_authenticated(request: Request, _exc: NotAuthenticatedError) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": "log in or send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail, "principal": None},
            status_code=exc.status_code,
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, _exc: DataError) -> Response:
        # e.g. a NUL character or an out-of-range number that the store's column refuses
        log.warning("refused a value the state store cannot hold: %s", request.url.path)
        return JSONResponse(
            {"detail": "a value in the request cannot be stored or searched for"},
            status_code=422,
        )

    @app.get("/health", tags=["health"], summary="Liveness and state store reachability")
    def health() -> JSONResponse:
        try:
            with runtime.store.begin() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.error("health: state store unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "down", "store": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "store": "ok", "version": __version__})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(api_read.router)
    app.include_router(api_actions.router)
    app.include_router(api_admin.router)
    app.include_router(customers.api)
    app.include_router(order_entry.api)
    app.include_router(pages.router)
    app.include_router(page_actions.router)
    app.include_router(customers.pages)
    app.include_router(order_entry.pages)
    # BottleCRM's webhooks are verified by their signature, not by a login
    app.include_router(bottlecrm_webhook_router(verifiers_from(runtime), StoreInbox(runtime.store)))
    return app


__all__ = ["create_app"]
