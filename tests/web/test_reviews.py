"""Deciding review items over the API and the page: the item and its group are closed, the
decision and who made it are stored and audited, and a decided item cannot be decided again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from syncline.store.schema import audit_events, review_items
from tests.web.conftest import World, csrf_of, login


def _second_candidate(world: World) -> int:
    """Another candidate for the same CRM record (same group) with a lower score."""
    with world.runtime.store.begin() as conn:
        return int(
            conn.execute(
                insert(review_items).returning(review_items.c.id),
                {
                    "map_name": "parties",
                    "entity": "party",
                    "kind": "match",
                    "group_key": "crm:77",
                    "left_system": "crm",
                    "left_id": "77",
                    "right_system": "erp",
                    "right_id": "99",
                    "score": 0.61,
                    "details": {"left": {"name": "Müller"}, "right": {"name": "Müller & Co"}},
                    "state": "open",
                    "created_at": datetime.now(UTC),
                },
            ).scalar_one()
        )


def test_merging_one_candidate_rejects_the_others_of_its_group(world: World) -> None:
    other = _second_candidate(world)
    client = world.client("operator")
    answer = client.post(f"/api/reviews/{world.review_id}/decide", json={"decision": "merge"})
    assert answer.status_code == 200, answer.text
    decided = {item["id"]: item for item in answer.json()}
    assert decided[world.review_id]["decision"] == "merge"
    assert decided[other]["decision"] == "create"
    assert {i["state"] for i in decided.values()} == {"decided"}
    assert {i["decided_by"] for i in decided.values()} == {"operator"}
    assert client.get("/api/reviews").json() == []
    with world.runtime.store.begin() as conn:
        events = conn.execute(
            select(audit_events.c.reason, audit_events.c.actor, audit_events.c.detail).where(
                audit_events.c.detail.like("review item %")
            )
        ).all()
    reasons = {detail.split(":")[0]: (reason, actor) for reason, actor, detail in events}
    assert reasons == {
        f"review item {world.review_id}": ("link", "operator"),
        f"review item {other}": ("create", "operator"),
    }


def test_a_decided_item_cannot_be_decided_again(world: World) -> None:
    client = world.client("operator")
    first = client.post(f"/api/reviews/{world.review_id}/decide", json={"decision": "skip"})
    assert first.status_code == 200
    again = client.post(f"/api/reviews/{world.review_id}/decide", json={"decision": "merge"})
    assert again.status_code == 409
    assert "already decided (skip)" in again.json()["detail"]
    stored = world.client("viewer").get(f"/api/reviews/{world.review_id}").json()
    assert stored["decision"] == "skip"


def test_unknown_items_and_decisions_are_refused(world: World) -> None:
    client = world.client("operator")
    assert client.post("/api/reviews/424242/decide", json={"decision": "skip"}).status_code == 404
    wrong = client.post(f"/api/reviews/{world.review_id}/decide", json={"decision": "delete"})
    assert wrong.status_code == 422
    assert world.client("viewer").get(f"/api/reviews/{world.review_id}").json()["state"] == "open"


def test_the_review_page_decides_with_a_form(world: World) -> None:
    client = world.client()
    login(client, "operator")
    page = client.get("/reviews", headers={"Accept": "text/html"}).text
    assert f'action="/reviews/{world.review_id}/decide"' in page
    assert "Same record: merge" in page
    answer = client.post(
        f"/reviews/{world.review_id}/decide",
        data={"decision": "create", "csrf_token": csrf_of(client, "/reviews")},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/reviews?done=Review%20item")
    assert world.client("viewer").get(f"/api/reviews/{world.review_id}").json()["decision"] == (
        "create"
    )
    after = client.get("/reviews", headers={"Accept": "text/html"}).text
    assert f'id="review-{world.review_id}"' not in after


def test_viewers_see_candidates_without_decision_buttons(world: World) -> None:
    client = world.client()
    login(client, "viewer")
    page = client.get("/reviews", headers={"Accept": "text/html"}).text
    assert "Müller Maschinenbau GmbH" in page
    assert "/decide" not in page
    assert "operators decide" in page
