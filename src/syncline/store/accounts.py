"""Web accounts: users with roles, API tokens and login sessions, all stored hashed.

Passwords are hashed with argon2id (``argon2-cffi``). API tokens and session ids are random
256-bit secrets, so a plain SHA-256 of them is enough to store; the secret itself is shown
once (a token at creation, a session id in its cookie) and never stored.

The tables live on the same ``syncline.store.schema.metadata``; migration ``0002`` creates them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping

from syncline.errors import SynclineError
from syncline.store.schema import ID, metadata
from syncline.store.types import UtcDateTime, utcnow

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@\-]{0,63}$"
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sl_"
SESSION_LIFETIME = timedelta(hours=12)


class Role(StrEnum):
    """viewer reads; operator also resolves, retries and decides; admin also manages accounts."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class AccountError(SynclineError):
    """A user or token operation was refused (unknown name, weak password, duplicate)."""

    exit_code = 2


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(ID), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

_hasher = PasswordHasher()
# verified against when a user does not exist, so both cases cost the same time
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A web user; the password hash never leaves this module."""

    id: int
    username: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class ApiToken:
    """An API token's public facts (its secret is shown once, at creation)."""

    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Session:
    """A login session: who, its CSRF token, and when it ends."""

    user: User
    csrf_token: str
    expires_at: datetime


def secret_digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (token or session id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"], username=row["username"], role=Role(row["role"]), created_at=row["created_at"]
    )


def add_user(conn: Connection, username: str, password: str, role: Role) -> User:
    """Create a user; AccountError when the name is taken or invalid or the password short."""
    if not re.match(USERNAME_PATTERN, username):
        raise AccountError(
            f"user name {username!r} must be 1-64 lower-case letters, digits or . _ @ -"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if get_user(conn, username) is not None:
        raise AccountError(f"user {username!r} exists; remove it first to recreate it")
    now = utcnow()
    new_id = conn.execute(
        insert(users).returning(users.c.id),
        {
            "username": username,
            "password_hash": _hasher.hash(password),
            "role": role.value,
            "created_at": now,
        },
    ).scalar_one()
    return User(id=int(new_id), username=username, role=role, created_at=now)


def get_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return _user(row) if row is not None else None


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.username)).mappings()]


def remove_user(conn: Connection, username: str) -> None:
    """Delete a user with their tokens and sessions; AccountError when unknown."""
    user = get_user(conn, username)
    if user is None:
        raise AccountError(f"no user named {username!r}; see `syncline users list`")
    conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user.id))
    conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user.id))
    conn.execute(delete(users).where(users.c.id == user.id))


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """The user when the password matches, else None (same cost for unknown users)."""
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    stored = str(row["password_hash"]) if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        conn.execute(
            update(users)
            .where(users.c.id == row["id"])
            .values(password_hash=_hasher.hash(password))
        )
    return _user(row)


def create_token(conn: Connection, username: str, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``username``; returns its facts and the secret (shown once)."""
    user = get_user(conn, username)
    if user is None:
        raise AccountError(f"no user named {username!r}; add it with `syncline users add`")
    if not name.strip() or len(name) > ID:
        raise AccountError("a token needs a name of 1-200 characters (what it is for)")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token_id = conn.execute(
        insert(api_tokens).returning(api_tokens.c.id),
        {
            "user_id": user.id,
            "name": name,
            "token_hash": secret_digest(secret),
            "created_at": now,
        },
    ).scalar_one()
    token = ApiToken(
        id=int(token_id),
        username=username,
        name=name,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    return token, secret


def list_tokens(conn: Connection) -> list[ApiToken]:
    query = (
        select(api_tokens, users.c.username)
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.id)
    )
    return [
        ApiToken(
            id=r["id"],
            username=r["username"],
            name=r["name"],
            created_at=r["created_at"],
            last_used_at=r["last_used_at"],
            revoked_at=r["revoked_at"],
        )
        for r in conn.execute(query).mappings()
    ]


def revoke_token(conn: Connection, token_id: int) -> None:
    """Revoke a token for good; AccountError when unknown or already revoked."""
    result = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:
        raise AccountError(f"no active token with id {token_id}; see `syncline tokens list`")


def user_for_token(conn: Connection, secret: str) -> User | None:
    """The owner of an active token (and records its use), else None."""
    row = (
        conn.execute(
            select(api_tokens.c.id.label("token_id"), users)
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(
                api_tokens.c.token_hash == secret_digest(secret),
                api_tokens.c.revoked_at.is_(None),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    conn.execute(
        update(api_tokens).where(api_tokens.c.id == row["token_id"]).values(last_used_at=utcnow())
    )
    return _user(row)


def start_session(conn: Connection, user: User) -> tuple[str, Session]:
    """A new login session; returns the session id for the cookie (stored only hashed)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    session = Session(
        user=user, csrf_token=secrets.token_urlsafe(32), expires_at=now + SESSION_LIFETIME
    )
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
    conn.execute(
        insert(web_sessions),
        {
            "id_hash": secret_digest(session_id),
            "user_id": user.id,
            "csrf_token": session.csrf_token,
            "created_at": now,
            "expires_at": session.expires_at,
        },
    )
    return session_id, session


def get_session(conn: Connection, session_id: str) -> Session | None:
    """The live session with this id, else None."""
    row = (
        conn.execute(
            select(web_sessions.c.csrf_token, web_sessions.c.expires_at, users)
            .join(users, users.c.id == web_sessions.c.user_id)
            .where(
                web_sessions.c.id_hash == secret_digest(session_id),
                web_sessions.c.expires_at > utcnow(),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return Session(user=_user(row), csrf_token=row["csrf_token"], expires_at=row["expires_at"])


def end_session(conn: Connection, session_id: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == secret_digest(session_id)))


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "AccountError",
    "ApiToken",
    "Role",
    "Session",
    "User",
    "add_user",
    "api_tokens",
    "authenticate",
    "create_token",
    "end_session",
    "get_session",
    "get_user",
    "list_tokens",
    "list_users",
    "remove_user",
    "revoke_token",
    "secret_digest",
    "start_session",
    "user_for_token",
    "users",
    "web_sessions",
]
