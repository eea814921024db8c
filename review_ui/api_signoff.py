"""JSON API of the sign-off gate: edit the note, sign it (password re-entry), submit the codes.

The rules live in the domain (`scribe.signoff`, `coding.submission`); these routes check the
signer's password, map refusals to status codes (404 unknown, 409 a step skipped, a locked or
stale version, 422 a malformed body) and run each change in one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from coding import submission as submissions
from coding.schemas import SubmissionCodePublic, SubmissionPublic, SubmissionSummary
from coding.tables import Submission, SubmissionCode
from review_ui.api import note_body
from review_ui.deps import EngineDep, SettingsDep
from review_ui.policy import EncounterReader, Principal, request_now, require_encounter_access
from review_ui.sessions import SessionLimits, reauthenticate
from scribe import signoff
from scribe.audit import record_event
from scribe.db import transaction
from scribe.schemas import NoteSignaturePublic, NoteUpdate
from scribe.services import get_encounter_row

router = APIRouter(prefix="/api")

# Only the clinician who owns the encounter attests to it; admins may edit but never sign.
NoteEditor = Annotated[Principal, Depends(require_encounter_access("clinician", "admin"))]
NoteSigner = Annotated[Principal, Depends(require_encounter_access("clinician"))]
Submitter = Annotated[Principal, Depends(require_encounter_access("clinician", "coder", "admin"))]


class NoteSignRequest(BaseModel):
    """A sign-off: the version signed, the attestation agreed to, and the signer's password."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    attestation: str = Field(
        min_length=1, max_length=2000, description="The statement shown to the signer"
    )
    password: str = Field(min_length=1, max_length=1024, repr=False)


@router.put("/encounters/{encounter_id}/note", responses={404: {}, 409: {}, 422: {}})
def edit_note(
    encounter_id: str,
    update: NoteUpdate,
    engine: EngineDep,
    settings: SettingsDep,
    user: NoteEditor,
) -> dict[str, Any]:
    """Save an edit of the newest note version as a new version (an amendment after sign-off).

    Pending submissions of the encounter are invalidated in the same transaction.
    """
    try:
        with transaction(engine) as session:
            note, created, invalidated = submissions.edit_note(
                session=session,
                encounter_id=encounter_id,
                base_version=update.base_version,
                sections=update.sections,
                actor=user.actor,
                amendment_reason=update.amendment_reason,
                recode_max_attempts=settings.job_max_attempts,
            )
            body = note_body(note)
            amendment = bool(signoff.signature_chain(session, encounter_id))
    except signoff.InvalidEdit as error:
        raise HTTPException(422, str(error)) from error
    return {
        **body,
        "created": created,
        "amendment": amendment,
        "invalidated_submissions": [row.id for row in invalidated],
    }


def _check_password(request: Request, engine: Any, user: Principal, password: str) -> str:
    """Password re-entry, throttled and recorded like sign-in ("ok", "invalid", "throttled")."""
    client = request.client.host if request.client else "unknown"
    with transaction(engine) as session:
        return reauthenticate(
            session=session,
            username=user.username,
            password=password,
            client=client,
            now=request_now(request),
            limits=SessionLimits.from_settings(request.app.state.settings),
        )


def _refuse_signing(engine: Any, encounter_id: str, user: Principal, version: int) -> NoReturn:
    with transaction(engine) as session:
        encounter = get_encounter_row(session, encounter_id)
        record_event(
            session,
            actor=user.actor,
            action="note.sign",
            outcome="failure",
            patient_id=encounter.patient_id,
            encounter_id=encounter_id,
            details={"version": version, "reason": "password re-entry did not match"},
        )
    raise HTTPException(403, "the password does not match; the note was not signed")


@router.post(
    "/encounters/{encounter_id}/note/sign",
    status_code=201,
    response_model=NoteSignaturePublic,
    responses={403: {}, 404: {}, 409: {}, 422: {}},
)
def sign_note(
    encounter_id: str,
    request: NoteSignRequest,
    http: Request,
    engine: EngineDep,
    user: NoteSigner,
) -> Any:
    """Sign (and lock) a note version after re-entering the password."""
    with transaction(engine) as session:
        get_encounter_row(session, encounter_id)
    outcome = _check_password(http, engine, user, request.password)
    if outcome == "throttled":
        raise HTTPException(429, "too many failed password entries; wait and try again")
    if outcome != "ok":
        _refuse_signing(engine, encounter_id, user, request.version)
    try:
        with transaction(engine) as session:
            return signoff.sign_note(
                session=session,
                encounter_id=encounter_id,
                version=request.version,
                signer=user.actor,
                attestation=request.attestation,
            )
    except signoff.InvalidEdit as error:
        raise HTTPException(422, str(error)) from error


@router.get(
    "/encounters/{encounter_id}/note/signatures",
    response_model=list[NoteSignaturePublic],
    responses={404: {}},
)
def note_signatures(encounter_id: str, engine: EngineDep, user: EncounterReader) -> Any:
    """The sign-offs of the encounter's note, oldest first (the original, then amendments)."""
    with transaction(engine) as session:
        get_encounter_row(session, encounter_id)
        return signoff.signature_chain(session, encounter_id)


def _public(
    row: Submission,
    codes: list[SubmissionCode],
    previous: list[Submission],
    *,
    include_bundle: bool,
) -> SubmissionPublic:
    summary = SubmissionSummary.model_validate(row)
    return SubmissionPublic(
        **summary.model_dump(),
        job_id=row.job_id,
        provenance=row.provenance,
        codes=[SubmissionCodePublic.model_validate(code) for code in codes],
        bundle=row.bundle if include_bundle else None,
        previous=[SubmissionSummary.model_validate(item) for item in previous],
    )


def _submit(engine: Any, encounter_id: str, actor: str, max_attempts: int) -> tuple[Any, bool]:
    with transaction(engine) as session:
        row, created = submissions.submit_encounter(
            session=session, encounter_id=encounter_id, actor=actor, max_attempts=max_attempts
        )
        codes = submissions.submission_codes(session, row.id)
        return _public(row, codes, [], include_bundle=False), created


@router.post(
    "/encounters/{encounter_id}/submission",
    response_model=SubmissionPublic,
    status_code=201,
    responses={200: {"description": "This signed version was already submitted"}, 404: {}, 409: {}},
)
def submit(encounter_id: str, engine: EngineDep, settings: SettingsDep, user: Submitter) -> Any:
    """Submit the accepted codes of the signed newest note version (once per signed version)."""
    try:
        body, created = _submit(engine, encounter_id, user.actor, settings.job_max_attempts)
    except IntegrityError:
        # A concurrent request created it first: answer with that one.
        body, created = _submit(engine, encounter_id, user.actor, settings.job_max_attempts)
    if created:
        return body
    return JSONResponse(body.model_dump(mode="json"), status_code=200)


@router.get(
    "/encounters/{encounter_id}/submission", response_model=SubmissionPublic, responses={404: {}}
)
def read_submission(
    encounter_id: str,
    engine: EngineDep,
    user: EncounterReader,
    include_bundle: Annotated[bool, Query()] = False,
) -> Any:
    """The encounter's newest submission: status, delivery, codes, and earlier submissions."""
    with transaction(engine) as session:
        row, codes, previous = submissions.read_submission(
            session=session, encounter_id=encounter_id, actor=user.actor
        )
        return _public(row, codes, previous, include_bundle=include_bundle)
