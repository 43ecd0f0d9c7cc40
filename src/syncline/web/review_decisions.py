"""A person's decision on a review item: recorded through the store's review repository and
audited in the same transaction. The engine acts on decided items (link, create or leave)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import HTTPException

from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.reviews import ReviewItem, decide, get_review

log = logging.getLogger("syncline.web")

Verdict = Literal["merge", "link", "create", "skip"]
_REASON = {"merge": "link", "link": "link", "create": "create", "skip": "skip"}
_MEANING = {
    "merge": "the same record: link them",
    "link": "the same record: link them",
    "create": "different records: create the left one as new",
    "skip": "neither link nor create",
}


def decide_review(store: Store, review_id: int, decision: Verdict, actor: str) -> list[ReviewItem]:
    """Decide an open item (and close its group); 404 when unknown, 409 when decided."""
    with store.begin() as conn:
        item = get_review(conn, review_id)
        if item is None:
            raise HTTPException(404, f"no review item {review_id}")
        if item.state != "open":
            raise HTTPException(
                409, f"review item {review_id} was already decided ({item.decision})"
            )
        decided = decide(conn, review_id, decision, actor)
        record_events(
            conn,
            [
                {
                    "map_name": d.map_name,
                    "entity": d.entity,
                    "reason": _REASON[d.decision or "skip"],
                    "actor": actor,
                    "source_system": d.left_system,
                    "target_system": d.right_system,
                    "detail": (
                        f"review item {d.id}: {d.left_system} {d.left_id} vs "
                        f"{d.right_system} {d.right_id} decided '{d.decision}' "
                        f"({_MEANING.get(d.decision or '', '')})"
                    ),
                }
                for d in decided
            ],
        )
    log.info("review item %d decided %s by %s", review_id, decision, actor)
    return decided


__all__ = ["Verdict", "decide_review"]
