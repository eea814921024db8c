"""The coding job: after a note draft is stored, suggest codes for it and store them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from coding.contracts import ConditionSuggester
from coding.errors import CodingInputError
from coding.services import store_report
from coding.tables import SuggestionRecord
from scribe import jobs
from scribe.contracts import PatientContext
from scribe.db import transaction
from scribe.jobs import Claim, PermanentJobError
from scribe.pipeline import WORKER_ACTOR, FollowUp
from scribe.services import NotFound, draft_from_record, get_encounter_row, load_transcript
from scribe.tables import Encounter, NoteDraftRecord, Patient

CODE_JOB = "code"


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def patient_context(session: Session, encounter: Encounter) -> PatientContext:
    """The engine's patient context: demographics on the date of service plus visit context."""
    patient = session.get(Patient, encounter.patient_id)
    if patient is None:
        raise NotFound(f"patient {encounter.patient_id} not found")
    context = dict(encounter.context)
    return PatientContext.model_validate(
        {
            "age": age_on(patient.birth_date, encounter.date_of_service),
            "sex": patient.sex,
            "dual": patient.dual_status,
            "orec": patient.orec,
            "institutional": patient.institutional,
            **{
                key: context[key]
                for key in ("medications", "problems", "prior_year_dx", "labs", "vitals")
                if key in context
            },
        }
    )


def queue_coding(session: Session, note: NoteDraftRecord, *, max_attempts: int) -> None:
    """Queue the coding job of one note version (in the caller's transaction)."""
    jobs.enqueue(
        session,
        kind=CODE_JOB,
        encounter_id=note.encounter_id,
        payload={"note_id": note.id},
        max_attempts=max_attempts,
    )


def coding_follow_up(max_attempts: int) -> FollowUp:
    """A DraftHandler follow-up that queues the coding job for each new note draft."""

    def follow_up(session: Session, claim: Claim, note: NoteDraftRecord) -> None:
        queue_coding(session, note, max_attempts=max_attempts)

    return follow_up


def _already_stored(session: Session, job_id: str) -> bool:
    count = session.exec(
        select(func.count()).select_from(SuggestionRecord).where(SuggestionRecord.job_id == job_id)
    ).one()
    return bool(count)


class CodingHandler:
    """Job `code`: run the suggester on a stored note version and store its suggestions."""

    def __init__(self, suggester: ConditionSuggester) -> None:
        self._suggester = suggester

    def __call__(self, claim: Claim, engine: Engine) -> None:
        """Run the stage for one claimed job."""
        note_id = str(claim.payload["note_id"])
        with transaction(engine) as session:
            note = session.get(NoteDraftRecord, note_id)
            if note is None:
                raise PermanentJobError(f"note {note_id} no longer exists")
            encounter = get_encounter_row(session, note.encounter_id)
            transcript = (
                load_transcript(session, note.transcript_id)[1] if note.transcript_id else None
            )
            patient = patient_context(session, encounter)
            done = _already_stored(session, claim.job_id)
        if not done:
            try:
                report = self._suggester.suggest(
                    transcript=transcript,
                    note=draft_from_record(note),
                    patient=patient,
                    date_of_service=encounter.date_of_service,
                    encounter_id=encounter.id,
                )
            except CodingInputError as error:
                raise PermanentJobError(str(error)) from error
        with transaction(engine) as session:
            jobs.assert_owned(session, claim)
            if not _already_stored(session, claim.job_id):
                store_report(
                    session=session,
                    report=report,
                    encounter_id=encounter.id,
                    note_id=note.id,
                    note_version=note.version,
                    job_id=claim.job_id,
                    actor=WORKER_ACTOR,
                )
                stored = get_encounter_row(session, encounter.id)
                stored.status = "coded"
                session.add(stored)
            jobs.complete(session, claim)
