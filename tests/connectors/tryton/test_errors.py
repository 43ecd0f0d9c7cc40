"""Error mapping against a real Tryton: validation, partial batches, a stopped server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector, connect
from syncline.demo import tryton
from syncline.demo.tryton import TrytonInstance
from syncline.errors import AuthError, PermanentError, TransientError
from syncline.model import Party
from tests.support.live_systems import tryton_settings_for

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _create(name: str, vat: str | None = None) -> WriteRequest:
    return WriteRequest(
        WriteOp.CREATE, "party", f"err-{uuid.uuid4()}", data=Party(name=name, vat_id=vat)
    )


def test_validation_error_is_permanent_with_trytons_message(
    tryton_connector: TrytonConnector,
) -> None:
    (result,) = tryton_connector.write("party", [_create("Bad VAT GmbH", vat="DE000000001")])
    assert isinstance(result.error, PermanentError)
    assert "DE000000001" in result.error.remote_message
    assert "is not valid" in result.error.remote_message


def test_one_bad_record_does_not_lose_the_others(tryton_connector: TrytonConnector) -> None:
    tag = uuid.uuid4().hex[:8]
    requests = [
        _create(f"Good A {tag}"),
        _create(f"Bad {tag}", vat="DE000000001"),
        _create(f"Good B {tag}"),
    ]
    results = tryton_connector.write("party", requests)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, PermanentError)
    names = {
        r.data.name
        for r in tryton_connector.read(
            "party", [str(results[0].native_id), str(results[2].native_id)]
        )
        if isinstance(r.data, Party)
    }
    assert names == {f"Good A {tag}", f"Good B {tag}"}


def test_wrong_password_is_an_auth_error(tryton_instance: TrytonInstance) -> None:
    connector = connect("erp", tryton_settings_for(tryton_instance, password="wrong"))
    with pytest.raises(AuthError, match="check the configured"):
        connector.read("party", ["1"])
    assert connector.health().ok is False


def test_stopped_server_is_transient_and_writes_no_partial_batch(
    own_tryton: TrytonInstance,
) -> None:
    settings = tryton_settings_for(own_tryton, retries=1, backoff=0.05, connect_timeout=1.0)
    connector = connect("erp", settings)
    assert connector.health().ok
    tag = uuid.uuid4().hex[:8]
    tryton.stop(Path(own_tryton.state_dir))
    with pytest.raises(TransientError, match="cannot reach Tryton"):
        connector.write("party", [_create(f"Lost {tag} {n}") for n in range(5)])
    with pytest.raises(TransientError):
        connector.read_changes("party", None, 10)
    assert connector.health().ok is False

    restarted = tryton.start(Path(own_tryton.state_dir))
    again = connect("erp", tryton_settings_for(restarted))
    found = again.client.search("party.party", [("name", "like", f"Lost {tag}%")])
    assert found == []
