"""The one exception hierarchy of syncline.

Every error a user can see derives from :class:`SynclineError`; its message says what went wrong
and what to do. ``exit_code`` is what the CLI exits with when the error reaches it.
"""

from __future__ import annotations


class SynclineError(Exception):
    """Base of all syncline errors."""

    exit_code = 1


class ConfigError(SynclineError):
    """The configuration is invalid: a file, a key, a value or a missing environment variable."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        super().__init__(f"{where}{message}")


class ModelError(SynclineError):
    """A canonical entity failed validation; the message names the entity, field and value."""

    exit_code = 2


class StoreError(SynclineError):
    """The state store cannot be reached or is in an unexpected state."""

    exit_code = 2


class ConnectorError(SynclineError):
    """An external system failed. ``system`` names it (e.g. ``erp``)."""

    def __init__(self, message: str, *, system: str = "") -> None:
        self.system = system
        prefix = f"[{system}] " if system else ""
        super().__init__(f"{prefix}{message}")


class TransientError(ConnectorError):
    """Worth retrying later: connection refused, timeout, 5xx, lock contention."""


class RateLimitedError(TransientError):
    """The system asked us to slow down; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, system: str = "", retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        super().__init__(message, system=system)


class PermanentError(ConnectorError):
    """Retrying will not help (validation, 4xx). Carries the remote system's own message.

    ``field`` names the offending canonical or native field when the remote told us.
    """

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        remote_message: str = "",
        field: str | None = None,
    ) -> None:
        self.remote_message = remote_message or message
        self.field = field
        super().__init__(message, system=system)


class AuthError(ConnectorError):
    """Credentials were refused; fix the configured secret and retry."""


__all__ = [
    "AuthError",
    "ConfigError",
    "ConnectorError",
    "ModelError",
    "PermanentError",
    "RateLimitedError",
    "StoreError",
    "SynclineError",
    "TransientError",
]
