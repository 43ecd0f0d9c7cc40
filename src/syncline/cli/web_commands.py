"""Commands of the web app: ``syncline users``, ``syncline tokens`` and ``syncline serve``."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    UsageError,
    console,
    emit,
    fmt_time,
    open_runtime,
    plain,
    plain_cells,
)
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

users_app = typer.Typer(help="Manage the web app's users.", no_args_is_help=True)
tokens_app = typer.Typer(
    help="Manage API tokens (Authorization: Bearer ...).", no_args_is_help=True
)

PASSWORD_ENV = "SYNCLINE_PASSWORD"


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[Role, typer.Option("--role", help="viewer, operator or admin.")] = Role.VIEWER,
    config: ConfigOption = None,
) -> None:
    """Add a user. The password is asked for twice on a terminal (or read from
    $SYNCLINE_PASSWORD), never an argument, so it stays out of shell history and process
    lists."""
    password = os.environ.get(PASSWORD_ENV) or _ask_password()
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        user = add_user(conn, username, password, role)
    console.print(f"added user {plain(user.username)} ({plain(user.role.value)})", highlight=False)


def _ask_password() -> str:
    """The new user's password, typed twice; without a terminal to type it on (a script, a
    pipe that ended), a usage error pointing to $SYNCLINE_PASSWORD."""
    try:
        password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    except typer.Abort:
        if sys.stdin.isatty():
            raise  # interrupted at the prompt
        raise UsageError(
            f"no password given: standard input is not a terminal to type it on; set "
            f"${PASSWORD_ENV} to the password instead"
        ) from None
    return password


@users_app.command("list")
def users_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List users and their roles."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        found = list_users(conn)

    def render() -> None:
        table = Table(title="users")
        for col in ("user", "role", "created"):
            table.add_column(col)
        for u in found:
            table.add_row(*plain_cells(u.username, u.role.value, fmt_time(u.created_at)))
        console.print(table)

    emit(found, as_json, render)


@users_app.command("remove")
def users_remove(
    username: Annotated[str, typer.Argument(help="Login name.")], config: ConfigOption = None
) -> None:
    """Remove a user with their API tokens and sessions."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        remove_user(conn, username)
    console.print(f"removed user {plain(username)}", highlight=False)


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "api",
    config: ConfigOption = None,
) -> None:
    """Create an API token. Its secret is printed once, here; only a hash is stored."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        token, secret = create_token(conn, username, name)
    console.print(
        f"token {token.id} ({plain(token.name)}) for {plain(token.username)}; store it now, "
        "it is not shown again:",
        highlight=False,
    )
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List API tokens (never their secrets)."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        found = list_tokens(conn)

    def render() -> None:
        table = Table(title="API tokens")
        for col in ("id", "user", "name", "created", "last used", "revoked"):
            table.add_column(col)
        for t in found:
            table.add_row(
                *plain_cells(
                    t.id,
                    t.username,
                    t.name,
                    fmt_time(t.created_at),
                    fmt_time(t.last_used_at),
                    fmt_time(t.revoked_at),
                )
            )
        console.print(table)

    emit(found, as_json, render)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `tokens list`).")],
    config: ConfigOption = None,
) -> None:
    """Revoke an API token for good."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        revoke_token(conn, token_id)
    console.print(f"revoked token {token_id}")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    config: ConfigOption = None,
) -> None:
    """Run the web app (REST API and pages) with uvicorn until interrupted."""
    import uvicorn  # noqa: PLC0415 - only this command needs the server

    from syncline.web.app import create_app  # noqa: PLC0415

    with open_runtime(config) as runtime:
        with runtime.store.begin() as conn:
            if not list_users(conn):
                console.print(
                    "no users yet: add one with `syncline users add NAME --role admin`",
                    highlight=False,
                )
        console.print(f"syncline web app on http://{plain(host)}:{port}/", highlight=False)
        uvicorn.run(
            create_app(runtime),
            host=host,
            port=port,
            proxy_headers=True,
            log_level="info",
            access_log=True,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command()(serve)


__all__ = ["AccountError", "register"]
