"""JSON API of the coder queue's actions: bulk decisions, clinician queries, the coding-gap report.

Coders (and admins) decide in bulk, ask clinicians and export gaps; clinicians see and answer
the queries on the encounters they own (any other query is "not found" to them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from coding import clinician_queries, gaps, services
from coding.clinician_queries import LeadingQuestion
from coding.schemas import (
    BulkStatusResult,
    BulkStatusUpdate,
    ClinicianQueryAnswer,
    ClinicianQueryCreate,
    ClinicianQueryPublic,
    SuggestionPublic,
)
from coding.tables import ClinicianQuery
from review_ui.coder_queue import owned_encounters
from review_ui.deps import EngineDep
from review_ui.policy import ClinicalWriter, CoderQueue, EncounterStaff, check_encounter_access
from scribe.db import transaction

router = APIRouter(prefix="/api")

FHIR_JSON = "application/fhir+json"


@router.post(
    "/suggestions/bulk-status",
    response_model=BulkStatusResult,
    responses={404: {}, 409: {}, 422: {}},
)
def bulk_status(update: BulkStatusUpdate, engine: EngineDep, user: CoderQueue) -> Any:
    """One decision for many suggestions: all change (each audited) or none does (404/409)."""
    with transaction(engine) as session:
        rows = services.change_status_many(
            session=session,
            ids=update.ids,
            status=update.status,
            reason=update.reason,
            actor=user.actor,
        )
        items = [SuggestionPublic.model_validate(row) for row in rows]
    return BulkStatusResult(status=update.status, count=len(items), items=items)


@router.post(
    "/encounters/{encounter_id}/queries",
    status_code=201,
    response_model=ClinicianQueryPublic,
    responses={404: {}, 409: {}, 422: {}},
)
def ask_clinician(
    encounter_id: str, data: ClinicianQueryCreate, engine: EngineDep, user: CoderQueue
) -> Any:
    """Send a neutral question to the encounter's clinician (a leading question is refused)."""
    try:
        with transaction(engine) as session:
            return clinician_queries.ask_clinician(
                session=session,
                encounter_id=encounter_id,
                question=data.question,
                suggestion_id=data.suggestion_id,
                actor=user.actor,
            )
    except LeadingQuestion as error:
        raise HTTPException(422, str(error)) from error


@router.get("/queries", response_model=list[ClinicianQueryPublic])
def list_queries(
    engine: EngineDep,
    user: EncounterStaff,
    status: Literal["open", "amended", "declined", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Any:
    """Clinician queries, oldest first: a clinician's own encounters only; coders see all."""
    scope = owned_encounters(user.username) if user.role == "clinician" else None
    with transaction(engine) as session:
        return clinician_queries.list_queries(
            session=session,
            actor=user.actor,
            status=None if status == "all" else status,
            encounter_scope=scope,
            limit=limit,
        )


@router.post(
    "/queries/{query_id}/answer",
    response_model=ClinicianQueryPublic,
    responses={404: {}, 409: {}, 422: {}},
)
def answer_query(
    query_id: str,
    data: ClinicianQueryAnswer,
    engine: EngineDep,
    user: ClinicalWriter,
    request: Request,
) -> Any:
    """The clinician who owns the encounter answers: amended or declined, with a short answer."""
    with transaction(engine) as session:
        found = session.get(ClinicianQuery, query_id)
    check_encounter_access(
        engine,
        user,
        found.encounter_id if found else None,
        request=request,
        not_found=f"query {query_id} not found",
    )
    with transaction(engine) as session:
        return clinician_queries.answer_query(
            session=session,
            query_id=query_id,
            outcome=data.outcome,
            answer=data.answer,
            actor=user.actor,
        )


@router.get("/coding-gaps", responses={200: {"content": {"text/csv": {}, FHIR_JSON: {}}}})
def coding_gaps(
    engine: EngineDep,
    user: CoderQueue,
    format: Literal["csv", "fhir"] = "csv",
    patient_id: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """Open coding gaps per patient: CSV, or FHIR R4 MeasureReports (Da Vinci RA shape)."""
    with transaction(engine) as session:
        found = gaps.open_gaps(session=session, actor=user.actor, patient_id=patient_id, year=year)
    headers = {"Cache-Control": "no-store"}
    if format == "fhir":
        return JSONResponse(gaps.gaps_fhir(found, year=year), media_type=FHIR_JSON, headers=headers)
    headers["Content-Disposition"] = 'attachment; filename="coding-gaps.csv"'
    return Response(gaps.gaps_csv(found), media_type="text/csv; charset=utf-8", headers=headers)
