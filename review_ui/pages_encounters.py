"""Encounter pages: the list (clinicians see their own) and the review and sign-off page.

Each page view of PHI writes one audit event in the same transaction as its reads: if the
audit write fails, the page fails (fail closed). Changes go through the JSON API from the page's
small script (review.js), with the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review_ui.deps import EngineDep
from review_ui.policy import EncounterReader, EncounterStaff
from review_ui.review_view import encounter_rows, review_data
from review_ui.web import render
from scribe.audit import record_event
from scribe.db import transaction
from scribe.signoff import ATTESTATION_STATEMENT

router = APIRouter()
AUDIO_ROLES = frozenset({"clinician", "admin"})
KIND_LABELS = {
    "supported": "Supported by the note",
    "undocumented": "Discussed, not documented",
    "specificity": "More specific code possible",
    "recapture": "Last year's condition not yet documented",
    "unsupported": "On the list, not supported this visit",
}


@router.get("/encounters", include_in_schema=False)
def encounter_list(user: EncounterStaff, request: Request, engine: EngineDep) -> Response:
    """Encounters with status and open suggestions; clinicians see only their own."""
    clinician = user.username if user.role == "clinician" else None
    with transaction(engine) as session:
        rows = encounter_rows(session, clinician)
        record_event(
            session,
            actor=user.actor,
            action="encounters.list_viewed",
            details={"count": len(rows), "scope": "own" if clinician else "all"},
        )
    return render(request, "encounters.html", {"rows": rows})


@router.get("/encounters/{encounter_id}", include_in_schema=False)
def review_page(
    encounter_id: str, user: EncounterReader, request: Request, engine: EngineDep
) -> Response:
    """Transcript with audio, the draft note with its evidence, suggestions and sign-off."""
    with transaction(engine) as session:
        data = review_data(session, encounter_id)
        record_event(
            session,
            actor=user.actor,
            action="encounter.review_viewed",
            patient_id=data.patient.id,
            encounter_id=encounter_id,
            details={"note_version": data.note.version if data.note else None},
        )
    context = {
        "data": data,
        "show_audio": user.role in AUDIO_ROLES and bool(data.recordings),
        "can_edit": user.role in {"clinician", "admin"},
        "can_sign": user.role == "clinician" and data.note is not None and not data.note_signed,
        "attestation": ATTESTATION_STATEMENT,
        "kind_labels": KIND_LABELS,
    }
    return render(request, "review.html", context)
