"""JSON API of coding suggestions: per encounter, the cross-encounter queue, review decisions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from coding import services
from coding.queue import BadCursor, QueueFilter, queue_page
from coding.schemas import (
    CodingRunPublic,
    SuggestionPage,
    SuggestionPublic,
    SuggestionStatusUpdate,
)
from coding.tables import SuggestionRecord
from review_ui.coder_queue import clinician_scope
from review_ui.deps import EngineDep
from review_ui.policy import CoderQueue, EncounterReader, EncounterStaff, check_encounter_access
from scribe.db import transaction

router = APIRouter(prefix="/api")


@router.get("/encounters/{encounter_id}/suggestions", response_model=list[SuggestionPublic])
def encounter_suggestions(encounter_id: str, engine: EngineDep, user: EncounterReader) -> Any:
    """Every suggestion of one encounter with its evidence, MEAT elements and status."""
    with transaction(engine) as session:
        return services.list_for_encounter(
            session=session, encounter_id=encounter_id, actor=user.actor
        )


@router.get("/encounters/{encounter_id}/coding-runs", response_model=list[CodingRunPublic])
def encounter_coding_runs(encounter_id: str, engine: EngineDep, user: EncounterReader) -> Any:
    """The coding runs of one encounter, newest first (RAF before/after, notices)."""
    with transaction(engine) as session:
        return services.list_runs(session=session, encounter_id=encounter_id, actor=user.actor)


@router.get("/suggestions", response_model=SuggestionPage, responses={422: {}})
def suggestion_queue(
    engine: EngineDep,
    user: CoderQueue,
    status: Annotated[str | None, Query(max_length=16)] = "open",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    hcc: Annotated[str | None, Query(max_length=8, description="CMS-HCC V28 number")] = None,
    clinician: Annotated[
        str | None,
        Query(max_length=128, description="owner (username) or recorded clinician name"),
    ] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    min_raf_delta: float | None = None,
    sort: Literal["raf", "age"] = "raf",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    after: Annotated[
        str | None, Query(max_length=256, description="next_cursor of the previous page")
    ] = None,
) -> Any:
    """Suggestions across encounters (the coder queue), filtered, sorted and paged.

    Page with `after` (the previous page's `next_cursor`): it stays fast however deep the page.
    """
    filters = QueueFilter(
        status=status or None,
        kind=kind,
        hcc_v28=hcc,
        encounter_scope=clinician_scope(clinician) if clinician else None,
        date_from=date_from,
        date_to=date_to,
        min_raf_delta=min_raf_delta,
        sort=sort,
        limit=limit,
        offset=offset,
        after=after or None,
    )
    try:
        with transaction(engine) as session:
            page = queue_page(session=session, filters=filters, actor=user.actor)
    except BadCursor as error:
        raise HTTPException(422, str(error)) from error
    return SuggestionPage(
        total=page.total,
        limit=limit,
        offset=offset,
        items=[SuggestionPublic.model_validate(row.suggestion) for row in page.rows],
        next_cursor=page.next_cursor,
    )


@router.post("/suggestions/{suggestion_id}/status", response_model=SuggestionPublic)
def change_suggestion_status(
    suggestion_id: str,
    update: SuggestionStatusUpdate,
    engine: EngineDep,
    user: EncounterStaff,
    request: Request,
) -> Any:
    """Accept, reject, defer or query a suggestion (with a reason), attributed to the caller."""
    with transaction(engine) as session:
        found = session.get(SuggestionRecord, suggestion_id)
    check_encounter_access(
        engine,
        user,
        found.encounter_id if found else None,
        request=request,
        not_found=f"suggestion {suggestion_id} not found",
    )
    with transaction(engine) as session:
        return services.change_status(
            session=session,
            suggestion_id=suggestion_id,
            status=update.status,
            reason=update.reason,
            actor=user.actor,
        )
