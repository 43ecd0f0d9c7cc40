"""A record the Tryton or BottleCRM mapping cannot turn into a valid canonical record is read
as an unreadable record saying which and why, beside the others of its page (through
scripted answers, no server)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from syncline.connectors.bottlecrm import BottleCrmConnector, BottleCrmSettings
from syncline.connectors.tryton import TrytonConnector
from syncline.connectors.tryton.mapping import EntityMapping, Row
from syncline.model import CanonicalEntity, Party
from tests.connectors.tryton.scripted import SETTINGS, ScriptedTryton

STAMP = datetime(2030, 1, 1, 12, tzinfo=UTC)
ROWS = [
    {"id": 1, "name": "Alpha", "email": "info@alpha.de", "write_date": STAMP},
    {"id": 2, "name": "Typo", "email": "info(at)typo.de", "write_date": STAMP},
    {"id": 3, "name": "Beta", "email": None, "write_date": STAMP},
]


class _Parties(EntityMapping):
    """Parties as plain rows: a name and one e-mail."""

    entity = "party"
    model = "party.party"
    fields = ("name", "email", "write_date", "create_date")

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        return [Party(name=r["name"], emails=[r["email"]] if r["email"] else []) for r in rows]


def test_tryton_reads_the_rest_of_a_page_around_an_unreadable_record() -> None:
    tryton = ScriptedTryton({"model.party.party.search_read": lambda _: ROWS})
    connector = TrytonConnector("erp", SETTINGS, client=tryton.client())
    connector.mappings["party"] = _Parties(connector.client, connector.lookups)
    alpha, typo, beta = connector.read("party", ["1", "2", "3"])
    assert isinstance(alpha.data, Party) and alpha.data.emails == ["info@alpha.de"]
    assert isinstance(beta.data, Party) and beta.data.name == "Beta"
    assert typo.data is None and not typo.deleted
    assert typo.problem is not None
    assert typo.problem.startswith("party.party 2 is not a valid party: ")
    assert "info(at)typo.de" in typo.problem and "\n" not in typo.problem
    assert typo.modified_at == STAMP and typo.version == STAMP.isoformat()


def test_bottlecrm_reads_the_other_records_around_an_unreadable_one() -> None:
    typo = {"id": "a2", "name": "Typo", "email": "info(at)typo.de"}
    accounts: dict[str, dict[str, Any]] = {
        "a1": {"id": "a1", "name": "Alpha", "email": "info@alpha.de"},
        "a2": {**typo, "updated_at": "2030-01-01T12:00:00Z"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        native_id = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        return httpx.Response(200, json={"account_obj": accounts[native_id]})

    settings = BottleCrmSettings(url="http://crm.test", token=SecretStr("bcrm_pat_x"))
    connector = BottleCrmConnector("crm", settings, transport=httpx.MockTransport(handler))
    found = {r.native_id: r for r in connector.read("party", ["a1", "a2"])}
    assert isinstance(found["a1"].data, Party) and found["a1"].problem is None
    bad = found["a2"]
    assert bad.data is None and not bad.deleted and bad.modified_at == STAMP
    assert bad.problem is not None and bad.problem.startswith("party a2 is not a valid party: ")
    assert "info(at)typo.de" in bad.problem
