"""Every route x anonymous/viewer/operator/admin, generated from the app's route table, so a
new route is covered (and must declare its role) without touching this file."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from syncline.store.accounts import Role
from syncline.web.security import RoleGuard
from tests.web.conftest import World, csrf_of, login

# the only routes anyone may call: liveness and the login form itself
ANONYMOUS = {("GET", "/health"), ("GET", "/login"), ("POST", "/login")}
WEBHOOKS_MODULE = "syncline.web.webhooks"  # verified by the sender's signature instead
ROLE_ORDER = [None, "viewer", "operator", "admin"]


def _flatten(routes: list[Any]) -> list[Any]:
    """APIRoutes, also those inside included routers (newer FastAPI keeps them nested)."""
    found: list[Any] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "effective_route_contexts"):
            found.extend(route.effective_route_contexts())
    return found


def _guard(route: Any) -> Role | None:
    """The role the route's RoleGuard demands (searched through nested dependencies)."""
    stack = list(route.dependant.dependencies)
    found: set[Role] = set()
    while stack:
        dependency = stack.pop()
        if isinstance(dependency.call, RoleGuard):
            found.add(dependency.call.role)
        stack.extend(dependency.dependencies)
    assert len(found) <= 1, f"{route.path} mixes roles {found}"
    return found.pop() if found else None


def routes(world: World) -> list[tuple[str, str, Role | None]]:
    result = []
    for route in _flatten(list(world.app.routes)):
        if route.endpoint.__module__ == WEBHOOKS_MODULE:
            continue
        for method in sorted(route.methods):
            result.append((method, route.path, _guard(route)))
    return result


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


def _call(client: TestClient, method: str, path: str, **extra: Any) -> int:
    body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return int(client.request(method, _url(path), **body, **extra).status_code)


def test_every_route_is_guarded_or_deliberately_anonymous(world: World) -> None:
    table = routes(world)
    assert len(table) > 25
    unguarded = {(m, p) for m, p, role in table if role is None}
    assert unguarded == ANONYMOUS


@pytest.mark.parametrize("who", ROLE_ORDER)
def test_auth_matrix_with_bearer_tokens(world: World, who: str | None) -> None:
    client = world.client(who)
    failures = []
    for method, path, role in routes(world):
        if role is None:
            continue
        status = _call(client, method, path)
        if who is None:
            expected_ok = status == 401
        elif Role(who).allows(role):
            expected_ok = status not in (401, 403)
        else:
            expected_ok = status == 403
        if not expected_ok:
            failures.append(f"{who} {method} {path} ({role.value}) -> {status}")
    assert failures == []


def test_anonymous_pages_redirect_to_the_login_form(world: World) -> None:
    client = world.client()
    for method, path, role in routes(world):
        if role is None or path.startswith(("/api/", "/metrics")) or method != "GET":
            continue
        answer = client.get(_url(path), headers={"Accept": "text/html"})
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["viewer", "operator", "admin"])
def test_sessions_need_the_csrf_token_on_every_unsafe_route(world: World, who: str) -> None:
    client = world.client()
    login(client, who)
    token = csrf_of(client)
    for method, path, role in routes(world):
        if role is None or method == "GET" or not Role(who).allows(role):
            continue
        assert _call(client, method, path) == 403, f"{method} {path} without CSRF token"
        wrong = _call(client, method, path, headers={"X-CSRF-Token": "forged"})
        assert wrong == 403, f"{method} {path} with a forged CSRF token"
        if path == "/logout":
            continue
        right = _call(client, method, path, headers={"X-CSRF-Token": token})
        assert right not in (401, 403), f"{method} {path} with the right CSRF token"


def test_no_secret_reaches_a_page_an_answer_or_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = world.client()
    login(client, "admin")
    session_id = client.cookies["syncline_session"]
    seen = []
    for method, path, _role in routes(world):
        if method == "GET" and "{" not in path:
            seen.append(client.get(path, headers={"Accept": "text/html"}).text)
            seen.append(client.get(path).text)
    created = client.post(
        "/api/tokens",
        json={"username": "viewer", "name": "x"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    fresh = created.json()["secret"]
    secrets = [*world.tokens.values(), fresh, session_id, "correct horse battery staple"]
    for text in [*seen, caplog.text]:
        for secret in secrets:
            assert secret not in text
