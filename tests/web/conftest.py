"""A web app over a real state store with a real conflict, dead letter, review item and users.

Two SQL party systems (``crm`` and ``erp``) are synced by the real engine; editing the same
field differently on both sides makes a real conflict item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from syncline.demo.tryton import TrytonInstance
from syncline.runtime import Runtime
from syncline.store.accounts import Role, add_user, create_token
from syncline.store.schema import conflicts, outbox, review_items
from syncline.sync import SyncEngine
from syncline.web.app import create_app
from syncline.web.live import CrmAccount, CrmDeal, LiveCache, LiveSystems
from syncline.web.live_bottlecrm import BottleCrmDesk
from syncline.web.live_tryton import TrytonDesk
from syncline.web.security import LoginThrottle
from tests.support.live_systems import (
    bottlecrm_connector,
    running_bottlecrm,
    running_tryton,
    tryton_connector,
)
from tests.sync.harness import FakeClock, Systems, engine

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "operator", "admin")

CONFIG = """\
version: 1
store:
  url: {url}
systems:
  crm: {{type: sql}}
  erp: {{type: sql}}
maps:
  - name: parties
    entity: party
    a: crm
    b: erp
    only_listed_fields: true
    fields:
      - {{field: name}}
      - {{field: vat_id, owner: erp}}
      - {{field: emails}}
      - {{field: website, conflict: {{leading: crm}}}}
      - {{field: active}}
    match: {{keys: [vat_id]}}
    delete: propagate
    overlap_seconds: 0
"""


CONTACT_MAP = """\
  - name: people
    entity: contact
    a: erp
    b: crm
"""


@dataclass
class World:
    """The app and what it shows: ids of the seeded items and a bearer token per role."""

    app: FastAPI
    runtime: Runtime
    engine: SyncEngine
    systems: Systems
    crm_id: str
    erp_id: str
    conflict_id: int
    dead_letter_id: int
    review_id: int
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None) -> TestClient:
        """A client that sends the role's bearer token (none when ``role`` is None)."""
        client = TestClient(self.app, follow_redirects=False)
        if role is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return client


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the form (CSRF cookie and field included); asserts it worked."""
    form = client.get("/login")
    token = CSRF_INPUT.search(form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    assert client.cookies.get("syncline_session")


def csrf_of(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token as a page carries it."""
    page = client.get(path, headers={"Accept": "text/html"})
    found = CSRF_INPUT.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def _seed(runtime: Runtime, sync: SyncEngine, systems: Systems) -> tuple[str, str, int]:
    crm_id = systems.create("crm", name="Alpha GmbH", vat_id="DE111", website="https://a.de")
    sync.run_cycle("parties")
    erp_id = next(iter(systems.rows("erp")))
    systems.edit("crm", crm_id, name="Alpha Handels GmbH")
    systems.edit("erp", erp_id, name="Alpha GmbH & Co. KG")
    sync.run_cycle("parties")
    with runtime.store.begin() as conn:
        conflict_id = conn.execute(
            select(conflicts.c.id).where(conflicts.c.state == "open", conflicts.c.field == "name")
        ).scalar_one()
    return crm_id, erp_id, int(conflict_id)


def build_world(
    store_url: str, tmp_path: Path, live: LiveSystems | None = None, extra_maps: str = ""
) -> World:
    """The seeded world; ``live`` is the CRM and ERP behind the customer and order pages;
    ``extra_maps`` are more entries under ``maps:`` (YAML, indented as in ``CONFIG``)."""
    config = tmp_path / "syncline.yaml"
    config.write_text(CONFIG.format(url=store_url) + extra_maps, "utf-8")
    runtime = Runtime.from_file(config)
    systems = Systems(tmp_path)
    sync = engine(runtime.store, systems, FakeClock(), config=runtime.config)
    crm_id, erp_id, conflict_id = _seed(runtime, sync, systems)
    now = datetime.now(UTC)
    tokens = {}
    with runtime.store.begin() as conn:
        for role in ROLES:
            add_user(conn, role, PASSWORD, Role(role))
            tokens[role] = create_token(conn, role, f"{role} token")[1]
        dead_id = conn.execute(
            insert(outbox).returning(outbox.c.id),
            {
                "map_name": "parties",
                "link_id": None,
                "target_system": "erp",
                "entity": "party",
                "op": "create",
                "native_id": None,
                "payload": {"values": {"name": "Gamma AS", "vat_id": "not-a-vat"}},
                "idempotency_key": "dead-1",
                "state": "dead",
                "attempts": 1,
                "next_attempt_at": now,
                "last_error": "erp refused: VAT id 'not-a-vat' is invalid",
                "error_kind": "permanent",
                "created_at": now - timedelta(minutes=5),
                "updated_at": now,
            },
        ).scalar_one()
        review_id = conn.execute(
            insert(review_items).returning(review_items.c.id),
            {
                "map_name": "parties",
                "entity": "party",
                "kind": "match",
                "group_key": "crm:77",
                "left_system": "crm",
                "left_id": "77",
                "right_system": "erp",
                "right_id": "88",
                "score": 0.83,
                "details": {
                    "left": {"name": "Müller Maschinenbau GmbH", "city": "Köln"},
                    "right": {"name": "Mueller Maschinenbau", "city": "Koeln"},
                    "scores": {"name": 0.86, "city": 1.0},
                },
                "state": "open",
                "created_at": now,
            },
        ).scalar_one()
    app = create_app(
        runtime, engine=sync, throttle=LoginThrottle(per_user=3, per_address=6), live=live
    )
    return World(
        app=app,
        runtime=runtime,
        engine=sync,
        systems=systems,
        crm_id=crm_id,
        erp_id=erp_id,
        conflict_id=conflict_id,
        dead_letter_id=int(dead_id),
        review_id=int(review_id),
        tokens=tokens,
    )


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[World]:
    """A world without CRM and ERP (their pages answer 409 "not configured")."""
    built = build_world(store_url, tmp_path)
    yield built
    built.runtime.close()


# -- the real CRM and ERP (one of each per session) ------------------------------------------


@dataclass(frozen=True)
class RealSystems:
    """BottleCRM and Tryton for the session, their desks, and a CRM account the ERP knows
    (by the debtor number kept in the CRM) with a deal whose quote has lines."""

    crm: BottleCrmDesk
    erp: TrytonDesk
    tryton: TrytonInstance
    account: CrmAccount
    deal: CrmDeal
    party_id: str

    def live(self, ttl: float = 60.0) -> LiveSystems:
        """Fresh LiveSystems over the session's systems (a new, empty cache)."""
        return LiveSystems(crm=self.crm, erp=self.erp, cache=LiveCache(ttl=ttl))


def _known_account(crm: BottleCrmDesk, erp: TrytonDesk) -> tuple[CrmAccount, CrmDeal, str]:
    """The first account with an ERP number the ERP knows and an open deal with quote lines."""
    for account in crm.accounts():
        party = erp.party_for(account)
        if party is None:
            continue
        for deal in crm.deals(account.id):
            if deal.status == "open" and crm.deal_lines(deal.id):
                return account, deal, party
    raise AssertionError("the demo CRM has no numbered account with a quoted open deal")


@pytest.fixture(scope="session")
def real_systems(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealSystems]:
    with (
        running_tryton(tmp_path_factory.mktemp("web-erp")) as tryton_instance,
        running_bottlecrm(tmp_path_factory.mktemp("web-crm")) as crm_instance,
        tryton_connector(tryton_instance) as erp_connector,
        bottlecrm_connector(crm_instance) as crm_connector,
    ):
        crm, erp = BottleCrmDesk(crm_connector), TrytonDesk(erp_connector)
        account, deal, party = _known_account(crm, erp)
        yield RealSystems(crm, erp, tryton_instance, account, deal, party)


@pytest.fixture
def live_world(tmp_path: Path, real_systems: RealSystems) -> Iterator[World]:
    """The seeded world (SQLite store) with the real CRM and ERP behind it."""
    built = build_world(f"sqlite:///{tmp_path / 'state.db'}", tmp_path, real_systems.live())
    yield built
    built.runtime.close()


@pytest.fixture
def contact_world(tmp_path: Path, real_systems: RealSystems) -> Iterator[World]:
    """The live world with a contact map (``people``, ERP on side a) joining CRM and ERP."""
    built = build_world(
        f"sqlite:///{tmp_path / 'state.db'}", tmp_path, real_systems.live(), CONTACT_MAP
    )
    yield built
    built.runtime.close()
