"""Users and tokens: hashed at rest, shown once, managed by admins, through the API and CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from syncline.cli import main
from syncline.store import Store
from syncline.store.accounts import (
    AccountError,
    Role,
    add_user,
    api_tokens,
    authenticate,
    create_token,
    remove_user,
    revoke_token,
    user_for_token,
    users,
)
from tests.web.conftest import PASSWORD, World


def test_passwords_and_tokens_are_stored_hashed(store: Store) -> None:
    with store.begin() as conn:
        add_user(conn, "erika", PASSWORD, Role.OPERATOR)
        _token, secret = create_token(conn, "erika", "ci")
        stored_hash = conn.execute(select(users.c.password_hash)).scalar_one()
        token_hash = conn.execute(select(api_tokens.c.token_hash)).scalar_one()
    assert stored_hash.startswith("$argon2id$") and PASSWORD not in stored_hash
    assert secret.startswith("sl_") and secret not in token_hash
    with store.begin() as conn:
        assert authenticate(conn, "erika", PASSWORD) is not None
        assert authenticate(conn, "erika", PASSWORD + "x") is None
        assert authenticate(conn, "nobody", PASSWORD) is None
        user = user_for_token(conn, secret)
        assert user is not None and user.role is Role.OPERATOR


def test_revoked_tokens_and_removed_users_stop_working(store: Store) -> None:
    with store.begin() as conn:
        add_user(conn, "erika", PASSWORD, Role.VIEWER)
        token, secret = create_token(conn, "erika", "ci")
        revoke_token(conn, token.id)
        assert user_for_token(conn, secret) is None
        with pytest.raises(AccountError, match="no active token"):
            revoke_token(conn, token.id)
        _token, other = create_token(conn, "erika", "second")
        remove_user(conn, "erika")
        assert user_for_token(conn, other) is None


def test_weak_passwords_and_bad_names_are_refused(store: Store) -> None:
    with store.begin() as conn:
        with pytest.raises(AccountError, match="at least 10"):
            add_user(conn, "erika", "short", Role.VIEWER)
        with pytest.raises(AccountError, match="lower-case"):
            add_user(conn, "Erika Mustermann", PASSWORD, Role.VIEWER)
        add_user(conn, "erika", PASSWORD, Role.VIEWER)
        with pytest.raises(AccountError, match="exists"):
            add_user(conn, "erika", PASSWORD, Role.ADMIN)


def test_admin_manages_users_and_tokens_over_the_api(world: World) -> None:
    client = world.client("admin")
    made = client.post(
        "/api/users", json={"username": "sven", "password": PASSWORD, "role": "operator"}
    )
    assert made.status_code == 201 and "password" not in made.text
    token = client.post("/api/tokens", json={"username": "sven", "name": "script"}).json()
    secret = token["secret"]
    listed = client.get("/api/tokens")
    assert secret not in listed.text and "token_hash" not in listed.text
    sven = world.client()
    sven.headers["Authorization"] = f"Bearer {secret}"
    assert sven.get("/api/me").json() == {"username": "sven", "role": "operator", "via": "token"}
    assert client.delete(f"/api/tokens/{token['token']['id']}").status_code == 204
    assert sven.get("/api/me").status_code == 401
    assert client.delete("/api/users/sven").status_code == 204
    assert client.delete("/api/users/sven").status_code == 404
    assert client.delete("/api/users/admin").status_code == 409  # not yourself


def test_cli_users_and_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "syncline.yaml"
    config.write_text(f"version: 1\nstore:\n  url: sqlite:///{tmp_path / 'state.db'}\n", "utf-8")
    monkeypatch.setenv("SYNCLINE_PASSWORD", PASSWORD)
    cfg = ["--config", str(config)]
    assert main([*cfg, "users", "add", "erika", "--role", "operator"]) == 0
    assert main([*cfg, "users", "add", "erika"]) == 2  # exists
    assert main([*cfg, "tokens", "create", "erika", "--name", "ci"]) == 0
    out = capsys.readouterr().out
    secret = next(line for line in out.splitlines() if line.startswith("sl_"))
    assert main([*cfg, "users", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert '"username": "erika"' in listed and PASSWORD not in listed
    assert main([*cfg, "tokens", "list", "--json"]) == 0
    assert secret not in capsys.readouterr().out
    assert main([*cfg, "tokens", "revoke", "1"]) == 0
    assert main([*cfg, "tokens", "revoke", "1"]) == 2
    assert main([*cfg, "users", "remove", "erika"]) == 0
    assert main([*cfg, "users", "remove", "erika"]) == 2
