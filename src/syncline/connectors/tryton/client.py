"""A JSON-RPC client for Tryton on httpx: session login, user context, retries, error mapping.

Nothing of ``trytond`` or ``proteus`` is imported here: Tryton stays in its own process.
"""

from __future__ import annotations

import base64
import itertools
import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from syncline.connectors.tryton import codec
from syncline.connectors.tryton.settings import TrytonSettings
from syncline.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)

log = logging.getLogger(__name__)

Domain = list[Any]
"""A Tryton search domain, e.g. ``[("active", "=", True)]``."""

#: Model methods that only read: safe to repeat after a timeout.
#: Methods that change nothing, so a call may be repeated after any transient failure (an
#: on_change only computes the values a client form would show).
READ_METHODS = frozenset(
    {
        "search", "search_read", "search_count", "read", "fields_get", "get_preferences",
        "on_change_product",
    }
)  # fmt: skip

_TRANSIENT_REMOTE = ("ConcurrencyException", "database is locked", "could not serialize")


class ServerUnreachableError(TransientError):
    """The request never reached Tryton (connection refused): safe to repeat any call."""


def _session_header(username: str, uid: int, token: str) -> str:
    raw = f"{username}:{uid}:{token}".encode()
    return "Session " + base64.b64encode(raw).decode("ascii")


def remote_error(system: str, method: str, error: Any) -> ConnectorError:
    """Turn Tryton's JSON-RPC ``error`` member into a syncline error.

    Tryton sends ``["UserError", [message, description, domain]]`` for validation failures,
    ``["LoginException", ...]`` for a missing login, ``["ConcurrencyException", [message]]`` when
    a record changed meanwhile, and ``[text, traceback]`` for unexpected server errors.
    """
    name = ""
    detail: Any = None
    if isinstance(error, list | tuple) and error:
        name = str(error[0])
        detail = error[1] if len(error) > 1 else None
    else:
        name = str(error)
    if name in ("UserError", "UserWarning"):
        parts = detail if isinstance(detail, list | tuple) else [detail]
        if name == "UserWarning" and len(parts) > 1:
            parts = parts[1:]  # [warning name, message, description]
        texts = [str(p) for p in parts[:2] if isinstance(p, str) and p]
        message = " ".join(texts) or name
        return PermanentError(
            f"Tryton refused {method}: {message}", system=system, remote_message=message
        )
    if name == "LoginException":
        return AuthError(f"Tryton asked for a login during {method}", system=system)
    if name == "ConcurrencyException" or any(t in name for t in _TRANSIENT_REMOTE):
        return TransientError(f"Tryton was busy during {method}: {name}", system=system)
    first_line = name.strip().splitlines()[0] if name.strip() else "unknown error"
    return PermanentError(
        f"Tryton failed on {method}: {first_line}", system=system, remote_message=name
    )


class TrytonClient:
    """One logged-in JSON-RPC session with a Tryton database.

    Calls are thread-safe (the session is guarded by a lock); the connection pool is reused.
    ``transport`` replaces the network in unit tests (an ``httpx.MockTransport``).
    """

    def __init__(
        self,
        settings: TrytonSettings,
        *,
        system: str = "erp",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.system = system
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            headers={"Accept-Encoding": "gzip", "Content-Type": "application/json"},
            limits=httpx.Limits(max_keepalive_connections=4, max_connections=8),
        )
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._auth: str | None = None
        self._context: dict[str, Any] | None = None

    # -- session ---------------------------------------------------------------------------

    def login(self) -> None:
        """Open a session (``common.db.login``) and fetch the user's context."""
        with self._lock:
            result = self._post(
                "common.db.login",
                [self.settings.username, {"password": self.settings.password.get_secret_value()}],
                idempotent=True,
            )
            if not isinstance(result, list) or len(result) < 2:
                raise AuthError(
                    f"Tryton refused the login of {self.settings.username!r}; "
                    "check the configured user and password",
                    system=self.system,
                )
            uid, token = int(result[0]), str(result[1])
            self._auth = _session_header(self.settings.username, uid, token)
            preferences = self._post("model.res.user.get_preferences", [True, {}], idempotent=True)
            context = dict(preferences) if isinstance(preferences, dict) else {}
            if self.settings.language:
                context["language"] = self.settings.language
            self._context = context

    @property
    def context(self) -> dict[str, Any]:
        """The user's context as the server gave it (logs in on first use)."""
        if self._context is None:
            self.login()
        assert self._context is not None
        return self._context

    def close(self) -> None:
        """Close the session's connections (the server session expires on its own)."""
        self._http.close()

    # -- calls -----------------------------------------------------------------------------

    def model(
        self,
        model: str,
        method: str,
        *args: Any,
        context: dict[str, Any] | None = None,
    ) -> Any:
        """Call ``model.<model>.<method>(*args, context)``; ``context`` extends the user's."""
        full_context = dict(self.context)
        if context:
            full_context.update(context)
        return self.call(
            f"model.{model}.{method}", [*args, full_context], idempotent=method in READ_METHODS
        )

    def call(self, method: str, params: Sequence[Any], *, idempotent: bool) -> Any:
        """Call a database method; re-logs in once when the session expired.

        ``idempotent`` calls are retried on any transient failure; the others only when the
        request never reached the server (connection refused), so nothing is written twice.
        """
        if self._auth is None:
            self.login()
        try:
            return self._post(method, list(params), idempotent=idempotent)
        except AuthError:
            self.login()
            return self._post(method, list(params), idempotent=idempotent)

    def search_read(
        self,
        model: str,
        domain: Domain,
        fields: Sequence[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[tuple[str, str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Records of ``model`` matching ``domain``, as dicts of ``fields`` (plus ``id``)."""
        rows = self.model(
            model,
            "search_read",
            domain,
            offset,
            limit,
            [list(o) for o in order] if order else None,
            list(fields),
            context=context,
        )
        return list(rows)

    def search(
        self,
        model: str,
        domain: Domain,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[tuple[str, str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[int]:
        """Ids of ``model`` matching ``domain``."""
        ids = self.model(
            model,
            "search",
            domain,
            offset,
            limit,
            [list(o) for o in order] if order else None,
            context=context,
        )
        return [int(i) for i in ids]

    def read(
        self,
        model: str,
        ids: Sequence[int],
        fields: Sequence[str],
        *,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The given records as dicts (missing ids raise a PermanentError in Tryton)."""
        if not ids:
            return []
        return list(self.model(model, "read", list(ids), list(fields), context=context))

    def create(self, model: str, values: Sequence[dict[str, Any]]) -> list[int]:
        """Create records in one call; their ids, in order."""
        if not values:
            return []
        return [int(i) for i in self.model(model, "create", list(values))]

    def write(self, model: str, ids: Sequence[int], values: dict[str, Any]) -> None:
        """Write the same ``values`` to the given records in one call."""
        if ids:
            self.model(model, "write", list(ids), values)

    def write_many(self, model: str, pairs: Sequence[tuple[Sequence[int], dict[str, Any]]]) -> None:
        """Write different values to different records in one call (Tryton's ``*args``)."""
        args: list[Any] = []
        for ids, values in pairs:
            if ids:
                args.extend([list(ids), values])
        if args:
            self.model(model, "write", *args)

    def delete(self, model: str, ids: Sequence[int]) -> None:
        """Delete records in one call."""
        if ids:
            self.model(model, "delete", list(ids))

    def server_version(self) -> str:
        """Tryton's series (``8.2``) from the server endpoint; needs no login."""
        result = self._post_url(
            f"{self.settings.url}/rpc/", "common.server.version", [], idempotent=True
        )
        return str(result)

    # -- transport -------------------------------------------------------------------------

    def _post(self, method: str, params: list[Any], *, idempotent: bool) -> Any:
        return self._post_url(self.settings.rpc_url, method, params, idempotent=idempotent)

    def _post_url(self, url: str, method: str, params: list[Any], *, idempotent: bool) -> Any:
        attempt = 0
        while True:
            try:
                return self._post_once(url, method, params)
            except TransientError as exc:
                retryable = idempotent or isinstance(exc, ServerUnreachableError)
                if not retryable or attempt >= self.settings.retries:
                    raise
                delay = self.settings.backoff * (2**attempt) * (0.5 + random.random())
                if isinstance(exc, RateLimitedError):
                    delay = max(delay, exc.retry_after)
                log.info("tryton %s failed (%s); retry in %.1f s", method, exc, delay)
                time.sleep(delay)
                attempt += 1

    def _post_once(self, url: str, method: str, params: list[Any]) -> Any:
        body = codec.dumps({"id": next(self._ids), "method": method, "params": params})
        headers = {"Authorization": self._auth} if self._auth else {}
        request = self._http.build_request("POST", url, content=body, headers=headers)
        try:
            response = self._http.send(request, stream=True)
            try:
                # Raw bytes: Tryton may label a plain body as gzip; the codec looks at the bytes.
                raw = b"".join(response.iter_raw())
            finally:
                response.close()
        except httpx.ConnectError as exc:
            raise ServerUnreachableError(
                f"cannot reach Tryton at {self.settings.url} ({exc}); is the server running?",
                system=self.system,
            ) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"Tryton did not answer {method} within the timeout ({exc.__class__.__name__})",
                system=self.system,
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"connection to Tryton broke during {method}: {exc}", system=self.system
            ) from exc
        return self._result(method, response.status_code, response.headers, raw)

    def _result(self, method: str, status: int, headers: httpx.Headers, raw: bytes) -> Any:
        if status in (401, 403):
            raise AuthError(
                f"Tryton refused the credentials of {self.settings.username!r} "
                f"(HTTP {status}); check the configured user and password",
                system=self.system,
            )
        if status == 429:
            retry_after = float(headers.get("Retry-After", "1") or 1)
            raise RateLimitedError(
                "Tryton asked to slow down (HTTP 429)", system=self.system, retry_after=retry_after
            )
        if status == 423 or status >= 500:
            raise TransientError(f"Tryton answered HTTP {status} to {method}", system=self.system)
        if status == 404:
            raise PermanentError(
                f"Tryton has no database {self.settings.database!r} (HTTP 404); "
                "check the configured database name",
                system=self.system,
            )
        if status >= 400:
            text = codec.decompress(raw).decode("utf-8", errors="replace")[:500]
            raise PermanentError(
                f"Tryton answered HTTP {status} to {method}: {text}",
                system=self.system,
                remote_message=text,
            )
        try:
            payload = codec.loads(raw)
        except ValueError as exc:
            raise TransientError(
                f"Tryton sent an unreadable reply to {method}: {exc}", system=self.system
            ) from exc
        if isinstance(payload, dict) and payload.get("error") is not None:
            raise remote_error(self.system, method, payload["error"])
        if isinstance(payload, dict) and "result" in payload:
            return payload["result"]
        return payload


__all__ = ["READ_METHODS", "Domain", "ServerUnreachableError", "TrytonClient", "remote_error"]
