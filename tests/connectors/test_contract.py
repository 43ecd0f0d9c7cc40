"""The connector contract passes for a correct connector and catches broken ones."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from syncline.connectors.base import ChangeBatch, Connector, Cursor, WriteRequest, WriteResult
from syncline.connectors.contract import ConnectorContract
from syncline.model import CanonicalEntity, Party
from tests.connectors.memory import MemoryConnector


class TestMemoryConnector(ConnectorContract):
    entity = "party"

    @pytest.fixture
    def connector(self) -> MemoryConnector:
        return MemoryConnector()

    def sample(self, n: int) -> CanonicalEntity:
        return Party(name=f"Nordlys Handel {n}", emails=[f"post{n}@nordlys.no"])

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Party)
        return record.model_copy(update={"vat_id": "NO999999999MVA"})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        return existing  # same name again: the memory system insists on unique names


def test_memory_connector_satisfies_the_protocol() -> None:
    assert isinstance(MemoryConnector(), Connector)


class _ReversedWrites(MemoryConnector):
    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        return list(reversed(super().write(entity, requests)))


class _NewestFirst(MemoryConnector):
    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        batch = super().read_changes(entity, since, limit)
        return ChangeBatch(list(reversed(batch.records)), batch.next_cursor, batch.has_more)


class _LosesVat(MemoryConnector):
    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        stripped = [
            WriteRequest(
                r.op,
                r.entity,
                r.idempotency_key,
                r.native_id,
                r.data.model_copy(update={"vat_id": None}) if isinstance(r.data, Party) else r.data,
            )
            for r in requests
        ]
        return [
            WriteResult(orig, res.native_id, res.version, res.error)
            for orig, res in zip(requests, super().write(entity, stripped), strict=True)
        ]


@pytest.mark.parametrize(
    ("broken", "test_name"),
    [
        (_ReversedWrites(), "test_batch_create_returns_one_result_per_request_in_order"),
        (_NewestFirst(), "test_read_changes_captures_new_and_changed_records"),
        (_LosesVat(), "test_update_and_idempotent_rewrite"),
    ],
)
def test_contract_catches_broken_connectors(broken: MemoryConnector, test_name: str) -> None:
    contract = TestMemoryConnector()
    with pytest.raises(AssertionError):
        getattr(contract, test_name)(broken)
