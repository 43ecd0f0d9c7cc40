"""Unit tests of the JSON-RPC client and codec with an httpx MockTransport (no server)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from syncline.connectors.tryton import TrytonClient, TrytonSettings, codec
from syncline.connectors.tryton.client import remote_error
from syncline.errors import AuthError, PermanentError, RateLimitedError, TransientError

SETTINGS = TrytonSettings(
    url="http://erp.test:8000/", database="demo", password="s3cret", retries=2, backoff=0.0
)


def test_codec_round_trips_trytons_classes() -> None:
    value = {
        "when": datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        "day": date(2026, 3, 1),
        "amount": Decimal("12.30"),
        "blob": b"\x00\x01",
        "plain": [1, "a", None],
    }
    wire = json.loads(codec.dumps(value))
    assert wire["when"] == {
        "__class__": "datetime", "year": 2026, "month": 3, "day": 1, "hour": 12,
        "minute": 30, "second": 5, "microsecond": 123456,
    }  # fmt: skip
    assert wire["amount"] == {"__class__": "Decimal", "decimal": "12.30"}
    assert codec.loads(codec.dumps(value)) == value


def test_codec_sends_aware_datetimes_as_naive_utc() -> None:
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 7, 1, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    wire = json.loads(codec.dumps(berlin))
    assert (wire["hour"], wire["minute"]) == (12, 0)


def test_codec_reads_gzip_whatever_the_label_says() -> None:
    body = json.dumps({"result": [1, 2]}).encode()
    assert codec.loads(gzip.compress(body)) == {"result": [1, 2]}
    assert codec.loads(body) == {"result": [1, 2]}


def reply(
    status: int, payload: Any = None, *, raw: bytes | None = None, **headers: str
) -> httpx.Response:
    """A response whose body is streamed, as from the network (not pre-decoded)."""
    body = (
        raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
    )
    return httpx.Response(
        status,
        stream=httpx.ByteStream(body),
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )


class FakeTryton:
    """A scripted Tryton: answers login, preferences, then the queued replies."""

    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method = json.loads(request.content)["method"]
        if method == "common.db.login":
            return reply(200, {"id": 1, "result": [7, "tok", None]})
        if method == "model.res.user.get_preferences":
            return reply(200, {"id": 2, "result": {"company": 1, "language": "en"}})
        queued = self.replies.pop(0)
        if isinstance(queued, Exception):
            raise queued
        assert isinstance(queued, httpx.Response)
        return queued


def _client(fake: FakeTryton) -> TrytonClient:
    return TrytonClient(SETTINGS, transport=httpx.MockTransport(fake))


def test_session_header_context_and_gzip_header() -> None:
    fake = FakeTryton(reply(200, {"id": 3, "result": [1, 2]}))
    client = _client(fake)
    assert client.search("party.party", []) == [1, 2]
    last = fake.requests[-1]
    assert last.url == "http://erp.test:8000/demo/rpc/"
    assert last.headers["Authorization"] == "Session YWRtaW46Nzp0b2s="  # admin:7:tok
    assert last.headers["Accept-Encoding"] == "gzip"
    params = json.loads(last.content)["params"]
    assert params[-1] == {"company": 1, "language": "en"}


def test_plain_body_labelled_gzip_is_read() -> None:
    rows = [{"id": n, "name": "x" * 20} for n in range(100)]
    body = json.dumps({"id": 3, "result": rows}).encode()
    fake = FakeTryton(reply(200, raw=body, Content_Encoding="gzip"))
    assert _client(fake).search_read("party.party", [], ["name"]) == rows


def test_gzip_body_is_read() -> None:
    body = gzip.compress(json.dumps({"id": 3, "result": [5]}).encode())
    fake = FakeTryton(reply(200, raw=body, Content_Encoding="gzip"))
    assert _client(fake).search("party.party", []) == [5]


def test_user_error_is_permanent_and_keeps_trytons_message() -> None:
    error = ["UserError", ["The code on party must be unique.", "Change the code.", ""]]
    fake = FakeTryton(reply(200, {"id": 3, "error": error}))
    with pytest.raises(PermanentError) as caught:
        _client(fake).create("party.party", [{"name": "x"}])
    assert caught.value.remote_message == "The code on party must be unique. Change the code."


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (["ConcurrencyException", ["Records were modified"]], TransientError),
        (["LoginException", ["password", "Password", "password"]], AuthError),
        (["database is locked", "Traceback ..."], TransientError),
        (["KeyError: 'res.user'", "Traceback ..."], PermanentError),
    ],
)
def test_remote_errors_map_to_syncline_errors(error: list[Any], kind: type[Exception]) -> None:
    assert type(remote_error("erp", "model.x.y", error)) is kind


def test_server_errors_are_retried_for_reads() -> None:
    fake = FakeTryton(
        reply(503),
        httpx.ConnectError("refused"),
        reply(200, {"id": 3, "result": [9]}),
    )
    assert _client(fake).search("party.party", []) == [9]


def test_an_on_change_computes_nothing_stored_and_is_retried_like_a_read() -> None:
    """The sale lines' prices and taxes come from ``on_change_product``: a timeout of it must
    not fail an order handoff or a write batch."""
    fake = FakeTryton(httpx.ReadTimeout("slow"), reply(200, {"id": 3, "result": {"taxes": []}}))
    changes = _client(fake).model("sale.line", "on_change_product", {"product": 1})
    assert changes == {"taxes": []} and fake.replies == []


def test_timeout_of_a_create_is_not_retried() -> None:
    fake = FakeTryton(httpx.ReadTimeout("slow"), reply(200, {"id": 3, "result": [1]}))
    with pytest.raises(TransientError, match="timeout"):
        _client(fake).create("party.party", [{"name": "x"}])
    assert len(fake.replies) == 1, "a create that may have landed must not be sent twice"


def test_refused_connection_of_a_create_is_retried() -> None:
    fake = FakeTryton(httpx.ConnectError("refused"), reply(200, {"id": 3, "result": [4]}))
    assert _client(fake).create("party.party", [{"name": "x"}]) == [4]


def test_http_status_mapping() -> None:
    client = _client(FakeTryton(reply(403), reply(403)))
    with pytest.raises(AuthError):
        client.search("party.party", [])
    limited = _client(FakeTryton(*[reply(429, Retry_After="0") for _ in range(3)]))
    with pytest.raises(RateLimitedError):
        limited.search("party.party", [])
    missing = _client(FakeTryton(reply(404)))
    with pytest.raises(PermanentError, match="no database"):
        missing.search("party.party", [])


def test_password_stays_out_of_repr() -> None:
    assert "s3cret" not in repr(SETTINGS)
    assert "s3cret" not in str(SETTINGS.model_dump())
