"""Accounts over the REST API (admin role): users and API tokens. A token's secret is in the
answer to its creation only."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from syncline.store.accounts import (
    AccountError,
    Role,
    add_user,
    create_token,
    list_tokens,
    list_users,
    remove_user,
    revoke_token,
)
from syncline.web.deps import Conn, RowId
from syncline.web.schemas import TokenCreated, TokenIn, TokenOut, UserIn, UserOut
from syncline.web.security import Principal, admin

log = logging.getLogger("syncline.web")
router = APIRouter(dependencies=[Depends(admin)], tags=["accounts"])

Admin = Annotated[Principal, Depends(admin)]


@router.get("/api/users", response_model=list[UserOut], summary="Users")
def get_users(conn: Conn) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in list_users(conn)]


@router.post(
    "/api/users",
    response_model=UserOut,
    status_code=201,
    summary="Add a user",
    responses={409: {"description": "Refused: name taken or invalid"}},
)
def post_user(body: UserIn, conn: Conn, principal: Admin) -> UserOut:
    try:
        user = add_user(conn, body.username, body.password, Role(body.role))
    except AccountError as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("user %r added with role %s by %s", user.username, user.role.value, principal.name)
    return UserOut.model_validate(user)


@router.delete(
    "/api/users/{username}",
    status_code=204,
    summary="Remove a user with their tokens",
    responses={404: {"description": "No such user"}},
)
def delete_user(
    username: Annotated[str, Path(max_length=64)], conn: Conn, principal: Admin
) -> None:
    if username == principal.name:
        raise HTTPException(409, "you cannot remove yourself")
    try:
        remove_user(conn, username)
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from None
    log.info("user %r removed by %s", username, principal.name)


@router.get("/api/tokens", response_model=list[TokenOut], summary="API tokens (no secrets)")
def get_tokens(conn: Conn) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in list_tokens(conn)]


@router.post(
    "/api/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Create an API token; its secret is shown in this answer only",
    responses={404: {"description": "No such user"}},
)
def post_token(body: TokenIn, conn: Conn, principal: Admin) -> TokenCreated:
    try:
        token, secret = create_token(conn, body.username, body.name)
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from None
    log.info(
        "token %d (%s) created for %r by %s", token.id, token.name, token.username, principal.name
    )
    return TokenCreated(token=TokenOut.model_validate(token), secret=secret)


@router.delete(
    "/api/tokens/{token_id}",
    status_code=204,
    summary="Revoke an API token",
    responses={404: {"description": "No such active token"}},
)
def delete_token(token_id: RowId, conn: Conn, principal: Admin) -> None:
    try:
        revoke_token(conn, token_id)
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from None
    log.info("token %d revoked by %s", token_id, principal.name)


__all__ = ["router"]
