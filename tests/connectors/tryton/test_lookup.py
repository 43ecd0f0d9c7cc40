"""Deterministic-key lookup: how the engine finds an existing partner before creating one."""

from __future__ import annotations

import uuid

import pytest
from stdnum.iso7064 import mod_11_10

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.model import Party, Product

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _create(connector: TrytonConnector, entity: str, data: Party | Product) -> str:
    request = WriteRequest(WriteOp.CREATE, entity, f"k-{uuid.uuid4()}", data=data)
    (result,) = connector.write(entity, [request])
    assert result.ok, result.error
    return str(result.native_id)


def test_lookup_finds_parties_by_vat_id_and_by_any_e_mail(
    tryton_connector: TrytonConnector,
) -> None:
    tag = uuid.uuid4().hex[:8]
    body = f"{1 + int(tag, 16) % 9}{int(tag, 16) % 10**7:07d}"
    vat = f"DE{body}{mod_11_10.calc_check_digit(body)}"  # a valid German VAT id
    first = _create(tryton_connector, "party", Party(name=f"Key {tag}", vat_id=vat))
    second = _create(
        tryton_connector,
        "party",
        Party(name=f"Mail {tag}", emails=[f"info@{tag}.example", f"sales@{tag}.example"]),
    )
    by_vat = tryton_connector.lookup("party", "vat_id", [vat])
    assert [r.native_id for r in by_vat] == [first]
    # e-mails compare without case; one matching item of the list is enough
    by_mail = tryton_connector.lookup("party", "emails", [f"SALES@{tag}.example"])
    assert [r.native_id for r in by_mail] == [second]
    assert tryton_connector.lookup("party", "vat_id", [f"XX{tag}"]) == []


def test_lookup_finds_products_by_code(tryton_connector: TrytonConnector) -> None:
    code = f"K-{uuid.uuid4().hex[:8]}"
    native_id = _create(
        tryton_connector, "product", Product(code=code, name="Lookup probe", unit="u")
    )
    (found,) = tryton_connector.lookup("product", "code", [code])
    assert found.native_id == native_id
    assert isinstance(found.data, Product) and found.data.code == code
