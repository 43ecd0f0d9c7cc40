"""The pages' form posts (operator role, CSRF-checked): resolve a conflict, decide a review
item, retry or skip a dead letter. Each hands the decision to the sync engine (review items:
the store's review repository), then redirects back (post/redirect/get).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from syncline.sync import SyncEngine
from syncline.web.deps import RowId
from syncline.web.engine import decided, engine_of
from syncline.web.review_decisions import Verdict, decide_review
from syncline.web.security import Principal, operator

log = logging.getLogger("syncline.web")
router = APIRouter(include_in_schema=False, dependencies=[Depends(operator)])

Operator = Annotated[Principal, Depends(operator)]
Engine = Annotated[SyncEngine, Depends(engine_of)]


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={quote(message)}", status_code=303)


def _typed(text: str) -> Any:
    """A value typed into a form: JSON when it parses (numbers, lists, null), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@router.post("/conflicts/{conflict_id}/resolve")
def resolve_conflict(
    conflict_id: RowId,
    take: Annotated[str, Form(pattern="^(a|b|value)$")],
    engine: Engine,
    who: Operator,
    value: Annotated[str, Form(max_length=10_000)] = "",
) -> RedirectResponse:
    if take == "value":
        decided(engine.resolve_conflict, conflict_id, value=_typed(value), actor=who.name)
    else:
        decided(engine.resolve_conflict, conflict_id, take=take, actor=who.name)
    log.info("conflict %d resolved by %s", conflict_id, who.name)
    return _back("/conflicts", f"Conflict {conflict_id} resolved.")


@router.post("/reviews/{review_id}/decide")
def decide_review_item(
    review_id: RowId,
    decision: Annotated[Verdict, Form()],
    request: Request,
    who: Operator,
) -> RedirectResponse:
    decide_review(request.app.state.store, review_id, decision, who.name)
    return _back("/reviews", f"Review item {review_id} decided: {decision}.")


@router.post("/deadletters/{job_id}/retry")
def retry_dead_letter(
    job_id: RowId,
    engine: Engine,
    who: Operator,
    values: Annotated[str, Form(max_length=100_000)] = "",
) -> RedirectResponse:
    edited = None
    if values.strip():
        try:
            edited = json.loads(values)
        except ValueError as exc:
            raise HTTPException(422, f"the values are not valid JSON: {exc}") from None
        if not isinstance(edited, dict):
            raise HTTPException(422, "the values must be a JSON object of field: value")
    decided(engine.retry_dead_letter, job_id, edited)
    log.info("dead letter %d retried by %s", job_id, who.name)
    return _back("/deadletters", f"Job {job_id} queued again.")


@router.post("/deadletters/{job_id}/skip")
def skip_dead_letter(job_id: RowId, engine: Engine, who: Operator) -> RedirectResponse:
    decided(engine.skip_dead_letter, job_id, actor=who.name)
    log.info("dead letter %d skipped by %s", job_id, who.name)
    return _back("/deadletters", f"Job {job_id} skipped.")


__all__ = ["router"]
