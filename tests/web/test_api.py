"""The REST API over a real state store (SQLite and PostgreSQL), with a real engine behind it."""

from __future__ import annotations

from sqlalchemy import select

from syncline.store.schema import audit_events, outbox
from tests.web.conftest import World


def test_status_counts_what_the_engine_left_behind(world: World) -> None:
    status = world.client("viewer").get("/api/status").json()
    [parties] = status["maps"]
    assert parties["map_name"] == "parties"
    assert (parties["open_conflicts"], parties["dead_letters"], parties["open_reviews"]) == (
        1,
        1,
        1,
    )
    assert parties["health"] == "attention"
    assert {s["name"]: s["circuit"] for s in status["systems"]} == {
        "crm": "closed",
        "erp": "closed",
    }


def test_conflict_shows_both_values_and_their_systems(world: World) -> None:
    item = world.client("viewer").get(f"/api/conflicts/{world.conflict_id}").json()
    assert item["field"] == "name"
    assert (item["system_a"], item["value_a"]) == ("crm", "Alpha Handels GmbH")
    assert (item["system_b"], item["value_b"]) == ("erp", "Alpha GmbH & Co. KG")
    assert item["base_value"] == "Alpha GmbH"
    assert world.client("viewer").get("/api/conflicts/999999").status_code == 404


def test_resolving_a_conflict_goes_through_the_engine_to_both_systems(world: World) -> None:
    answer = world.client("operator").post(
        f"/api/conflicts/{world.conflict_id}/resolve", json={"take": "erp"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["state"], body["resolution"], body["resolved_by"]) == ("resolved", "b", "operator")
    world.engine.run_cycle("parties")
    assert world.systems.rows("crm")[world.crm_id].name == "Alpha GmbH & Co. KG"
    events = world.client("viewer").get("/api/audit", params={"reason": "manual_resolution"}).json()
    decision = [e for e in events if e["detail"] == f"conflict {world.conflict_id} decided"]
    assert [e["actor"] for e in decision] == ["operator"]
    again = world.client("operator").post(
        f"/api/conflicts/{world.conflict_id}/resolve", json={"take": "crm"}
    )
    assert again.status_code == 409 and "already resolved" in again.json()["detail"]


def test_resolving_with_a_typed_value_writes_it_everywhere(world: World) -> None:
    answer = world.client("operator").post(
        f"/api/conflicts/{world.conflict_id}/resolve", json={"value": "Alpha Holding GmbH"}
    )
    assert answer.status_code == 200, answer.text
    world.engine.run_cycle("parties")
    assert world.systems.rows("crm")[world.crm_id].name == "Alpha Holding GmbH"
    assert world.systems.rows("erp")[world.erp_id].name == "Alpha Holding GmbH"


def test_resolve_needs_exactly_one_of_take_or_value(world: World) -> None:
    client = world.client("operator")
    url = f"/api/conflicts/{world.conflict_id}/resolve"
    assert client.post(url, json={}).status_code == 422
    assert client.post(url, json={"take": "erp", "value": "x"}).status_code == 422
    wrong = client.post(url, json={"take": "sap"})
    assert wrong.status_code == 409 and "crm or erp" in wrong.json()["detail"]


def test_dead_letter_retry_with_edited_values_and_skip(world: World) -> None:
    client = world.client("operator")
    job = client.get(f"/api/deadletters/{world.dead_letter_id}").json()
    assert "VAT id" in job["last_error"]
    edited = {"name": "Gamma AS", "vat_id": "NO999"}
    answer = client.post(f"/api/deadletters/{world.dead_letter_id}/retry", json={"values": edited})
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "pending"
    assert answer.json()["payload"]["values"] == edited
    assert client.get("/api/deadletters").json() == []
    skipped = client.post(f"/api/deadletters/{world.dead_letter_id}/skip")
    assert skipped.status_code == 409  # no longer dead: the engine refuses


def test_skipping_a_dead_letter_is_kept_and_audited(world: World) -> None:
    answer = world.client("operator").post(f"/api/deadletters/{world.dead_letter_id}/skip")
    assert answer.status_code == 200 and answer.json()["state"] == "skipped"
    with world.runtime.store.begin() as conn:
        state = conn.execute(
            select(outbox.c.state).where(outbox.c.id == world.dead_letter_id)
        ).scalar_one()
        actors = conn.execute(
            select(audit_events.c.actor).where(audit_events.c.reason == "skip")
        ).scalars()
        assert (state, list(actors)) == ("skipped", ["operator"])


def test_audit_search_filters(world: World) -> None:
    client = world.client("viewer")
    everything = client.get("/api/audit").json()
    assert everything and all(e["map_name"] == "parties" for e in everything)
    assert client.get("/api/audit", params={"map_name": "nothing"}).json() == []
    assert client.get("/api/audit", params={"since": "2999-01-01"}).json() == []
    newest_first = [e["id"] for e in everything]
    assert newest_first == sorted(newest_first, reverse=True)
    assert client.get("/api/audit", params={"since": "yesterday"}).status_code == 422


def test_lists_of_runs_links_and_reviews(world: World) -> None:
    client = world.client("viewer")
    runs = client.get("/api/runs", params={"map_name": "parties"}).json()
    assert [r["state"] for r in runs] == ["ok", "ok"]
    [link] = client.get("/api/links").json()
    assert (link["id_a"], link["id_b"]) == (world.crm_id, world.erp_id)
    [review] = client.get("/api/reviews").json()
    assert review["score"] == 0.83 and review["details"]["scores"]["name"] == 0.86
    assert client.get("/api/reviews", params={"state": "decided"}).json() == []
    assert client.get(f"/api/reviews/{world.review_id}").json()["left_id"] == "77"


def test_placement_matrix_follows_the_config(world: World) -> None:
    placement = world.client("viewer").get("/api/placement").json()
    [parties] = placement["maps"]
    rows = {f["field"]: f for f in parties["fields"]}
    assert rows["vat_id"]["leads"] == "erp" and rows["vat_id"]["flow"] == "erp -> crm"
    assert rows["website"]["leads"] == "crm" and rows["website"]["conflict"] == "leading: crm"
    assert rows["name"]["sharing"] == "copied" and rows["name"]["leads"] is None
    assert rows["phones"]["sharing"] == "not shared"
    assert "product" in placement["unmapped_entities"]


def test_metrics_are_prometheus_text(world: World) -> None:
    answer = world.client("viewer").get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    lines = answer.text.splitlines()
    assert 'syncline_open_conflicts{map="parties"} 1.0' in lines
    assert 'syncline_dead_letters{map="parties"} 1.0' in lines
    assert 'syncline_circuit_open{system="erp"} 0.0' in lines


def test_sync_health_report(world: World) -> None:
    report = world.client("viewer").get("/api/reports/sync-health", params={"days": 7}).json()
    [parties] = report["maps"]
    assert (parties["runs_ok"], parties["conflicts_opened"], parties["dead"]) == (2, 1, 1)
    assert len(parties["delivered_per_day"]) == 7
    assert parties["delivered"] == 1  # the engine's fake clock dates it in 2030: outside the days


def test_health_is_anonymous_and_reveals_nothing(world: World) -> None:
    answer = world.client().get("/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert "sqlite" not in answer.text and "postgres" not in answer.text


def test_openapi_documents_every_api_route(world: World) -> None:
    schema = world.client().get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/api/status",
        "/api/conflicts/{conflict_id}/resolve",
        "/api/deadletters/{job_id}/retry",
        "/api/deadletters/{job_id}/skip",
        "/api/audit",
        "/api/placement",
        "/api/reports/sync-health",
        "/metrics",
        "/api/tokens",
    ):
        assert path in paths
    assert "/conflicts" not in paths  # pages stay out of the API schema
