"""Error mapping of the client, through httpx's MockTransport (no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector, BottleCrmSettings
from syncline.connectors.bottlecrm.custom_fields import CustomField, required
from syncline.errors import AuthError, PermanentError, RateLimitedError, TransientError
from syncline.model import Party, Quote, TimeEntry

Handler = Callable[[httpx.Request], httpx.Response]


def connector(handler: Handler) -> BottleCrmConnector:
    settings = BottleCrmSettings(url="http://crm.test", token=SecretStr("bcrm_pat_x"))
    return BottleCrmConnector("crm", settings, transport=httpx.MockTransport(handler))


def create(c: BottleCrmConnector, name: str = "Acme") -> list[WriteRequest]:
    return [WriteRequest(WriteOp.CREATE, "party", "k1", data=Party(name=name))]


def _definitions(fields: list[CustomField]) -> dict[str, object]:
    return {"definitions": [{"target_model": f.target, "key": f.key} for f in fields]}


def test_token_is_sent_as_bearer() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if request.url.path == "/api/custom-fields/":
            return httpx.Response(200, json=_definitions(list(required())))
        return httpx.Response(200, json={"pipelines": []})

    assert connector(handler).health().ok
    assert seen == ["Bearer bcrm_pat_x"] * 2


def test_health_names_missing_custom_fields_and_ensure_creates_them() -> None:
    created: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/custom-fields/":
            return httpx.Response(200, json={"pipelines": []})
        if request.method == "POST":
            created.append(json.loads(request.content))
            return httpx.Response(201, json={"id": "f1"})
        return httpx.Response(200, json=_definitions(list(required())[1:]))

    c = connector(handler)
    health = c.health()
    assert not health.ok and "Account.erp_number" in health.detail
    assert c.ensure_custom_fields() == ["Account.erp_number"]
    assert created == [required()[0].body(0)]
    assert created[0]["target_model"] == "Account" and created[0]["field_type"] == "text"


def test_erp_number_field_setting_moves_the_erp_number() -> None:
    settings = BottleCrmSettings(
        url="http://crm.test", token=SecretStr("t"), erp_number_field="debitor"
    )
    no_server = httpx.MockTransport(lambda r: httpx.Response(404))
    c = BottleCrmConnector("crm", settings, transport=no_server)
    party = c.resources["party"]
    assert party.to_native(Party(name="X", numbers={"erp": "7"}), None)["custom_fields"] == {
        "debitor": "7"
    }
    native = {"id": "1", "name": "X", "custom_fields": {"debitor": "7", "erp_number": "9"}}
    read = party.to_canonical(native)
    assert isinstance(read, Party) and read.numbers == {"erp": "7"}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status: int) -> None:
    c = connector(lambda r: httpx.Response(status, text="boom"))
    with pytest.raises(TransientError):
        c.list_ids("party")
    with pytest.raises(TransientError):
        c.write("party", create(c))


def test_rate_limit_carries_retry_after() -> None:
    c = connector(lambda r: httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitedError) as caught:
        c.list_ids("contact")
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_auth_errors(status: int) -> None:
    c = connector(lambda r: httpx.Response(status, json={"detail": "Invalid token."}))
    with pytest.raises(AuthError):
        c.list_ids("party")
    with pytest.raises(AuthError):
        c.write("party", create(c))


def test_connection_refused_and_timeout_are_transient() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    for handler in (refused, slow):
        with pytest.raises(TransientError):
            connector(handler).list_ids("party")
    assert not connector(refused).health().ok


def test_uniqueness_failure_is_permanent_and_names_the_field() -> None:
    body = {"error": True, "errors": {"name": ["Account already exists with this name"]}}
    c = connector(lambda r: httpx.Response(400, json=body))
    [result] = c.write("party", create(c))
    assert isinstance(result.error, PermanentError)
    assert result.error.field == "name"
    assert "already exists" in result.error.remote_message


def test_error_flag_on_a_200_reply_is_permanent() -> None:
    c = connector(lambda r: httpx.Response(200, json={"error": True, "message": "nope"}))
    [result] = c.write("party", create(c))
    assert isinstance(result.error, PermanentError) and result.error.remote_message == "nope"


def test_list_shapes_and_paging() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        ids = [f"a{i}" for i in range(offset, min(offset + limit, 3))]
        return httpx.Response(
            200,
            json={
                "active_accounts": {
                    "open_accounts": [{"id": i, "name": i} for i in ids],
                    "open_accounts_count": 3,
                },
                "closed_accounts": {"close_accounts": [], "close_accounts_count": 0},
            },
        )

    settings = BottleCrmSettings(url="http://crm.test", token=SecretStr("t"), page_size=2)
    c = BottleCrmConnector("crm", settings, transport=httpx.MockTransport(handler))
    assert [len(p) for p in c.scan("party")] == [2, 1]
    assert c.list_ids("party") == ["a0", "a1", "a2"]


def test_unknown_entity_and_cursor_capture_are_permanent_errors() -> None:
    c = connector(lambda r: httpx.Response(200, json={}))
    with pytest.raises(PermanentError):
        c.scan("order").__next__()
    with pytest.raises(PermanentError):
        c.read_changes("party", None, 10)


def test_new_entities_map_transport_failures_to_transient_errors() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    c = connector(refused)
    for entity in ("quote", "product", "invoice", "credit_note", "service_case", "time_entry"):
        with pytest.raises(TransientError):
            c.list_ids(entity)
    quote = Quote(title="Angebot", party_id="a1")
    with pytest.raises(TransientError):
        c.write("quote", [WriteRequest(WriteOp.CREATE, "quote", "k", data=quote)])


def test_time_entries_cannot_be_written() -> None:
    c = connector(lambda r: httpx.Response(200, json={}))
    entry = TimeEntry(work_date=date(2030, 1, 1), minutes=30)
    [result] = c.write("time_entry", [WriteRequest(WriteOp.CREATE, "time_entry", "k", data=entry)])
    assert isinstance(result.error, PermanentError)
