"""Who is asking: session cookies and bearer tokens, roles, CSRF checks and login throttling.

Every route but ``/health``, the login page and static files depends on a :class:`RoleGuard`;
the auth matrix test reads the guards from the app's route table.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request, status

from syncline.store import Store
from syncline.store.accounts import Role, User, get_session, user_for_token

log = logging.getLogger("syncline.web")

SESSION_COOKIE = "syncline_session"
LOGIN_CSRF_COOKIE = "syncline_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller; ``csrf_token`` is set for cookie sessions only."""

    user: User
    via: Literal["session", "token"]
    csrf_token: str | None = None
    session_id: str | None = None

    @property
    def name(self) -> str:
        return self.user.username

    def can(self, role: Role) -> bool:
        return self.user.role.allows(role)

    @property
    def can_operate(self) -> bool:
        return self.can(Role.OPERATOR)


class NotAuthenticatedError(Exception):
    """No valid session or token; pages redirect to the login form, the API answers 401."""


def cookie_is_secure(request: Request) -> bool:
    """Secure cookies when served over https (uvicorn's proxy headers set the scheme)."""
    return request.url.scheme == "https"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def identify(request: Request) -> Principal | None:
    """The caller from ``Authorization: Bearer`` or the session cookie, else None."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        with _store(request).begin() as conn:
            user = user_for_token(conn, secret.strip())
        principal = Principal(user=user, via="token") if user is not None else None
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            with _store(request).begin() as conn:
                session = get_session(conn, session_id)
            if session is not None:
                principal = Principal(
                    user=session.user,
                    via="session",
                    csrf_token=session.csrf_token,
                    session_id=session_id,
                )
    request.state.principal = principal
    return principal


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; False when either side is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def check_csrf(request: Request, principal: Principal) -> None:
    """Unsafe requests in a cookie session must echo the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``). Bearer tokens are not sent by browsers on
    their own, so they need none."""
    if principal.via != "session" or request.method not in UNSAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not same_secret(given, principal.csrf_token):
        log.warning(
            "csrf check failed for %s %s by %s", request.method, request.url.path, principal.name
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")


class RoleGuard:
    """A dependency that admits callers with at least ``role`` and returns the Principal."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, request: Request) -> Principal:
        principal = identify(request)
        if principal is None:
            raise NotAuthenticatedError()
        if not principal.can(self.role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {self.role.value} role")
        await check_csrf(request, principal)
        return principal


viewer = RoleGuard(Role.VIEWER)
operator = RoleGuard(Role.OPERATOR)
admin = RoleGuard(Role.ADMIN)


class LoginThrottle:
    """Failed logins per user name and per client address in a sliding window.

    After ``per_user`` failures for one name, or ``per_address`` from one address, within
    ``window`` seconds, further attempts are refused until the oldest failure ages out.
    Kept in memory: one ``syncline serve`` process holds it.
    """

    def __init__(self, per_user: int = 5, per_address: int = 20, window: float = 900.0) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        while entries and entries[0] <= now - self.window:
            entries.popleft()
        return entries

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        now = time.monotonic()
        with self._lock:
            waits = [0.0]
            for key, limit in (
                (f"user:{username}", self.per_user),
                (f"addr:{address}", self.per_address),
            ):
                entries = self._recent(key, now)
                if len(entries) >= limit:
                    waits.append(entries[len(entries) - limit] + self.window - now)
            return max(waits)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(f"user:{username}", now).append(now)
            self._recent(f"addr:{address}", now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)


__all__ = [
    "CSRF_FIELD",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "LoginThrottle",
    "NotAuthenticatedError",
    "Principal",
    "RoleGuard",
    "admin",
    "cookie_is_secure",
    "identify",
    "operator",
    "same_secret",
    "viewer",
]
