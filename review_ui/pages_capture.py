"""Recording pages for clinicians on a tablet: start a visit, then record it with consent.

`/record` creates the patient (or finds one by the clinic's id) and the encounter, assigned to
the signed-in clinician; `/encounters/{id}/record` runs consent, recording and the chunked
upload in the browser (static/capture.js) against the capture API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from review_ui import accounts
from review_ui.deps import EngineDep
from review_ui.policy import ClinicalWriter, Principal, require_encounter_access
from review_ui.review_view import age_on
from review_ui.web import render
from scribe import services
from scribe.audit import record_event
from scribe.capture import current_consent_script
from scribe.db import transaction
from scribe.schemas import EncounterCreate, PatientCreate
from scribe.tables import Patient

router = APIRouter()
CHUNK_MILLISECONDS = 3000
Recorder = Annotated[Principal, Depends(require_encounter_access("clinician", "admin"))]


@router.get("/record", include_in_schema=False)
def new_visit_page(user: ClinicalWriter, request: Request) -> Response:
    """The form that starts a visit (patient and encounter)."""
    return render(request, "record_new.html", {"today": date.today().isoformat(), "form": {}})


@router.post("/record", include_in_schema=False)
def start_visit(
    user: ClinicalWriter,
    request: Request,
    engine: EngineDep,
    external_id: Annotated[str, Form(max_length=64)] = "",
    birth_date: Annotated[str, Form(max_length=10)] = "",
    sex: Annotated[str, Form(max_length=1)] = "",
    date_of_service: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Create (or reuse, by the clinic's patient id) the patient and a new encounter."""
    form = {"external_id": external_id, "birth_date": birth_date, "sex": sex}
    try:
        with transaction(engine) as session:
            patient = _find_or_create_patient(session, user, external_id, birth_date, sex)
            encounter = services.create_encounter(
                session=session,
                data=EncounterCreate.model_validate(
                    {
                        "patient_id": patient.id,
                        "date_of_service": date_of_service or date.today().isoformat(),
                        "clinician": user.display_name[:128],
                    }
                ),
                actor=user.actor,
            )
            if user.role == "clinician":
                accounts.assign_encounter(
                    session=session,
                    encounter_id=encounter.id,
                    clinician_username=user.username,
                    actor=user.actor,
                )
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in error.errors())
        context = {"today": date.today().isoformat(), "form": form, "error": problems}
        return render(request, "record_new.html", context, status_code=422)
    return RedirectResponse(f"/encounters/{encounter.id}/record", status_code=303)


def _find_or_create_patient(
    session: Session, user: Principal, external_id: str, birth_date: str, sex: str
) -> Patient:
    if external_id.strip():
        statement = select(Patient).where(Patient.external_id == external_id.strip())
        found = session.exec(statement).first()
        if found is not None:
            return found
    data = PatientCreate.model_validate(
        {"birth_date": birth_date, "sex": sex, "external_id": external_id.strip() or None}
    )
    return services.create_patient(session=session, data=data, actor=user.actor)


@router.get("/encounters/{encounter_id}/record", include_in_schema=False)
def record_page(
    encounter_id: str,
    request: Request,
    engine: EngineDep,
    user: Recorder,
) -> Response:
    """Consent, then recording with a level meter, pause/resume/stop and offline-safe upload."""
    with transaction(engine) as session:
        encounter = services.get_encounter_row(session, encounter_id)
        patient = session.get(Patient, encounter.patient_id)
        assert patient is not None
        record_event(
            session,
            actor=user.actor,
            action="encounter.record_viewed",
            patient_id=patient.id,
            encounter_id=encounter_id,
        )
    context = {
        "encounter": encounter,
        "patient": patient,
        "patient_ref": patient.external_id or patient.id[:8],
        "age": age_on(patient.birth_date, encounter.date_of_service),
        "script": current_consent_script(),
        "chunk_ms": CHUNK_MILLISECONDS,
    }
    return render(request, "record.html", context)
