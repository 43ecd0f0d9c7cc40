"""Operator actions over the REST API (operator role): resolve conflicts, decide review items,
retry or skip dead letters. Every decision goes through the sync engine or the store's review
repository, and is audited."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from syncline.sync import SyncEngine
from syncline.web import reads
from syncline.web.deps import Config, RowId, runtime_of
from syncline.web.engine import decided, engine_of
from syncline.web.review_decisions import Verdict, decide_review
from syncline.web.schemas import ConflictOut, DeadLetterOut, ReviewOut
from syncline.web.security import Principal, operator

log = logging.getLogger("syncline.web")
router = APIRouter(dependencies=[Depends(operator)])

Operator = Annotated[Principal, Depends(operator)]
Engine = Annotated[SyncEngine, Depends(engine_of)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found"},
    409: {"description": "Refused by the engine"},
}


class ResolveIn(BaseModel):
    """Exactly one of ``take`` (a system name, or ``a``/``b``) or ``value``."""

    model_config = ConfigDict(extra="forbid")
    take: str | None = Field(default=None, max_length=200, description="System whose value wins")
    value: Any = Field(default=None, description="A new value (in system a's form)")

    @model_validator(mode="after")
    def _one(self) -> ResolveIn:
        if (self.take is None) == ("value" not in self.model_fields_set):
            raise ValueError("give exactly one of 'take' or 'value'")
        return self


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] | None = Field(
        default=None, description="Edited record values to write instead (omit to retry as is)"
    )


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Verdict = Field(
        description="merge (or link): the same record; create: different, create the left "
        "record as new; skip: neither. Closes the other candidates of the group."
    )


def _conflict(request: Request, config: Config, conflict_id: int) -> ConflictOut:
    with runtime_of(request).store.begin() as conn:
        item = reads.get_conflict(conn, config, conflict_id)
    if item is None:
        raise HTTPException(404, f"no conflict {conflict_id}")
    return item


def _job(request: Request, job_id: int) -> DeadLetterOut:
    with runtime_of(request).store.begin() as conn:
        job = reads.get_job(conn, job_id)
    if job is None:
        raise HTTPException(404, f"no outbox job {job_id}")
    return job


@router.post(
    "/api/conflicts/{conflict_id}/resolve",
    response_model=ConflictOut,
    tags=["conflicts"],
    summary="Decide a conflict: take a system's value or set a new one",
    responses=NOT_FOUND,
)
def resolve_conflict(  # noqa: PLR0917 - path, body and dependencies
    conflict_id: RowId,
    body: ResolveIn,
    request: Request,
    config: Config,
    engine: Engine,
    who: Operator,
) -> ConflictOut:
    _conflict(request, config, conflict_id)
    if body.take is not None:
        decided(engine.resolve_conflict, conflict_id, take=body.take, actor=who.name)
    else:
        decided(engine.resolve_conflict, conflict_id, value=body.value, actor=who.name)
    log.info("conflict %d resolved by %s", conflict_id, who.name)
    return _conflict(request, config, conflict_id)


@router.post(
    "/api/reviews/{review_id}/decide",
    response_model=list[ReviewOut],
    tags=["reviews"],
    summary="Decide a review item: merge, create or skip (closes its whole group)",
    responses=NOT_FOUND,
)
def decide_review_item(
    review_id: RowId, body: DecideIn, request: Request, who: Operator
) -> list[ReviewOut]:
    items = decide_review(runtime_of(request).store, review_id, body.decision, who.name)
    return [ReviewOut.model_validate(item) for item in items]


@router.post(
    "/api/deadletters/{job_id}/retry",
    response_model=DeadLetterOut,
    tags=["dead letters"],
    summary="Queue a dead letter again, optionally with edited values",
    responses=NOT_FOUND,
)
def retry_dead_letter(
    job_id: RowId, body: RetryIn, request: Request, engine: Engine, who: Operator
) -> DeadLetterOut:
    _job(request, job_id)
    decided(engine.retry_dead_letter, job_id, body.values)
    log.info("dead letter %d retried by %s (edited: %s)", job_id, who.name, body.values is not None)
    return _job(request, job_id)


@router.post(
    "/api/deadletters/{job_id}/skip",
    response_model=DeadLetterOut,
    tags=["dead letters"],
    summary="Give up on a dead letter deliberately (kept and audited)",
    responses=NOT_FOUND,
)
def skip_dead_letter(
    job_id: RowId, request: Request, engine: Engine, who: Operator
) -> DeadLetterOut:
    _job(request, job_id)
    decided(engine.skip_dead_letter, job_id, actor=who.name)
    log.info("dead letter %d skipped by %s", job_id, who.name)
    return _job(request, job_id)


__all__ = ["router"]
