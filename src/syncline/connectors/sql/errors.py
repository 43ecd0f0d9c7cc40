"""A database's errors as connector errors: the ones a record's values caused are that
record's (:class:`PermanentError`, retrying the same values never helps), the rest are the
database's (:class:`TransientError`: it is away, busy or broken, and is tried again later).
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
    SQLAlchemyError,
    StatementError,
)

from syncline.connectors.base import PermanentError, TransientError
from syncline.errors import ConnectorError

_RECORD_ERRORS = (DataError, IntegrityError, ProgrammingError, NotSupportedError)
"""DBAPI error classes a row's values raise: a value too long or of the wrong form (data), a
constraint or trigger refusing it (integrity), a value the driver cannot bind (programming)."""

_STATEMENT_STATES = ("42", "3D", "3F", "26", "34")
"""SQLSTATE classes of an error in the statement or the schema (a column or table missing, no
privilege), not in the values: PostgreSQL reports these as programming errors too."""


def concerns_record(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` is about the values written (the record's), not about the database."""
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(state, str) and state[:2] in _STATEMENT_STATES:
            return False
        return isinstance(exc, _RECORD_ERRORS)
    # SQLAlchemy could not turn a value into a parameter (a str for a date column, say)
    return isinstance(exc, StatementError)


def database_message(exc: SQLAlchemyError) -> str:
    """The database's own message for ``exc``: its first line, without SQLAlchemy's additions."""
    orig = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__


def refused(system: str, table: str, what: str, exc: SQLAlchemyError) -> PermanentError:
    """``table`` refused the row of ``what`` (``party 17``, ``a new party``): the database's
    message is the remote message, the record's dead letter shows it."""
    message = database_message(exc)
    return PermanentError(
        f"{table} rejected the row of {what}: {message}", system=system, remote_message=message
    )


def unavailable(system: str, exc: SQLAlchemyError) -> TransientError:
    """The database failed, not a record: try again later."""
    return TransientError(f"{exc.__class__.__name__}: {exc}".splitlines()[0], system=system)


def read_failure(system: str, table: str, exc: SQLAlchemyError) -> ConnectorError:
    """A failed read of ``table``: permanent when the values read or asked for caused it (a
    lookup value of the wrong type, a stored value the driver cannot convert), else transient."""
    if concerns_record(exc):
        message = database_message(exc)
        return PermanentError(
            f"reading {table} failed: {message}", system=system, remote_message=message
        )
    return unavailable(system, exc)


__all__ = ["concerns_record", "database_message", "read_failure", "refused", "unavailable"]
