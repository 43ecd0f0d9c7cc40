"""Turn BottleCRM's HTTP replies and transport failures into syncline's connector errors.

BottleCRM answers most writes with 200 and ``{"error": false, ...}``; a validation failure is
400 with ``{"error": true, "errors": {field: [message, ...]}}``. A uniqueness failure (account
name, contact e-mail, deal name) is such a 400 whose message says "already exists"; it becomes
a PermanentError whose ``field`` names the native field.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from syncline.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)

DEFAULT_RETRY_AFTER = 1.0


def remote_message(body: Any, fallback: str = "") -> tuple[str, str | None]:
    """BottleCRM's own message from a reply body, and the first field it names (or None)."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            parts = []
            for field_name, messages in errors.items():
                text = messages if isinstance(messages, str) else json.dumps(messages)
                if isinstance(messages, list):
                    text = "; ".join(str(m) for m in messages)
                parts.append(f"{field_name}: {text}")
            return " | ".join(parts), str(next(iter(errors)))
        for key in ("message", "detail", "error_message", "errors"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value, None
    return fallback, None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(float(raw), 0.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def error_for_response(response: httpx.Response, system: str) -> ConnectorError | None:
    """The error a reply stands for, or None when it is a success (2xx without ``error``)."""
    status = response.status_code
    body = _body(response)
    what = f"{response.request.method} {response.request.url.path}"
    if status == 429:
        wait = _retry_after(response)
        return RateLimitedError(
            f"BottleCRM asked to slow down on {what}; retrying after {wait:g} s",
            system=system,
            retry_after=wait,
        )
    if status in (401, 403):
        message, _ = remote_message(body, response.reason_phrase)
        return AuthError(
            f"BottleCRM refused the credentials on {what} ({status}: {message}); "
            "check the configured personal access token (bcrm_pat_...)",
            system=system,
        )
    if status >= 500:
        return TransientError(
            f"BottleCRM failed on {what} with {status}; will retry", system=system
        )
    if status >= 400 or (isinstance(body, dict) and body.get("error") is True):
        message, field_name = remote_message(body, f"{status} {response.reason_phrase}")
        return PermanentError(
            f"BottleCRM rejected {what}: {message}",
            system=system,
            remote_message=message,
            field=field_name,
        )
    return None


def error_for_transport(exc: httpx.HTTPError, system: str, url: str) -> TransientError:
    """A connection refused, timeout or broken transfer: always worth retrying."""
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
    return TransientError(
        f"BottleCRM at {url} {kind} ({type(exc).__name__}); will retry", system=system
    )
