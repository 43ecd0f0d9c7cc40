"""Deterministic-key lookup in BottleCRM: how the engine links instead of creating twice."""

from __future__ import annotations

import uuid

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.model import Party

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def test_lookup_finds_accounts_by_an_e_mail_in_any_case(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    tag = uuid.uuid4().hex[:8]
    party = Party(name=f"Lookup {tag}", emails=[f"info@{tag}.example"])
    [result] = bottlecrm_connector.write(
        "party", [WriteRequest(WriteOp.CREATE, "party", f"k-{tag}", data=party)]
    )
    assert result.ok, result.error
    found = bottlecrm_connector.lookup("party", "emails", [f"INFO@{tag}.example"])
    assert [r.native_id for r in found] == [result.native_id]
    assert bottlecrm_connector.lookup("party", "emails", [f"none@{tag}.example"]) == []
