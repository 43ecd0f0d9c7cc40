"""The login form: CSRF, cookie flags, throttling per user and per address, logout."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, World, csrf_of, login


def _form_token(client: TestClient) -> str:
    text = str(client.get("/login").text)
    return text.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]


def _try(client: TestClient, username: str, password: str) -> int:
    token = _form_token(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return int(client.post("/login", data=data).status_code)


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(world: World) -> None:
    client = world.client()
    token = _form_token(client)
    answer = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "/audit"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/audit"
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "syncline_session=" in v
    ).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/api/me").json()["via"] == "session"
    out = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert out.status_code == 303
    client.cookies.set("syncline_session", answer.cookies["syncline_session"])
    assert client.get("/api/me").status_code == 401  # the old session id is dead


def test_cookie_is_secure_over_https(world: World) -> None:
    client = TestClient(world.app, base_url="https://syncline.example", follow_redirects=False)
    login(client, "viewer")
    assert any(c.secure for c in client.cookies.jar if c.name == "syncline_session")


def test_login_without_the_form_token_is_refused(world: World) -> None:
    client = world.client()
    answer = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert answer.status_code == 403 and "syncline_session" not in answer.cookies


def test_next_never_leaves_the_site(world: World) -> None:
    client = world.client()
    token = _form_token(client)
    data = {"username": "viewer", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/login", data={**data, "next": "//evil.example/x"})
    assert answer.headers["location"] == "/"


def test_failed_logins_are_throttled_per_user(world: World) -> None:
    client = world.client()
    assert [_try(client, "operator", "wrong password!") for _ in range(3)] == [401] * 3
    blocked = _try(client, "operator", PASSWORD)  # even the right password waits now
    assert blocked == 429
    assert _try(client, "viewer", PASSWORD) == 303  # other users are not locked out


def test_failed_logins_are_throttled_per_address(world: World) -> None:
    client = world.client()
    for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
        assert _try(client, name, "wrong password!") == 401
    assert _try(client, "viewer", PASSWORD) == 429


def test_wrong_bearer_tokens_and_schemes_are_refused(world: World) -> None:
    client = world.client()
    for header in ("Bearer sl_nonsense", "Basic dmlld2VyOng=", "Bearer "):
        assert client.get("/api/status", headers={"Authorization": header}).status_code == 401


def test_pages_send_security_headers(world: World) -> None:
    answer = world.client("viewer").get("/", headers={"Accept": "text/html"})
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
