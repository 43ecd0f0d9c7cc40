"""Logging in and out of the pages: a login form with CSRF, throttling and a session cookie."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from syncline.store.accounts import SESSION_LIFETIME, authenticate, end_session, start_session
from syncline.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    Principal,
    cookie_is_secure,
    same_secret,
    viewer,
)
from syncline.web.views import templates

log = logging.getLogger("syncline.web")
router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never send a user to another site after logging in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _login_form(
    request: Request, next_path: str, error: str | None, status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "error": error, "principal": None},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request),
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, _safe_next(next), None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    target = _safe_next(next)
    if not same_secret(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(request, target, "The form expired; please try again.", 403)
    throttle: LoginThrottle = request.app.state.throttle
    address = _client(request)
    wait = throttle.retry_after(username, address)
    if wait > 0:
        log.warning("login throttled for user %r from %s", username, address)
        response = _login_form(
            request, target, f"Too many failed logins; try again in {int(wait) + 1} s.", 429
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    with request.app.state.store.begin() as conn:
        user = authenticate(conn, username, password)
        if user is None:
            throttle.failed(username, address)
            log.warning("failed login for user %r from %s", username, address)
            return _login_form(request, target, "Wrong user name or password.", 401)
        session_id, _session = start_session(conn, user)
    throttle.succeeded(username)
    log.info("user %r logged in from %s", username, address)
    done = RedirectResponse(target, status_code=303)
    done.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request),
        path="/",
    )
    done.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return done


@router.post("/logout")
def logout(principal: Annotated[Principal, Depends(viewer)], request: Request) -> Response:
    if principal.session_id is not None:
        with request.app.state.store.begin() as conn:
            end_session(conn, principal.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


__all__ = ["router"]
