"""What the encounter pages show, read in one transaction (the caller audits the view).

`encounter_rows` lists encounters for the list page; `review_data` gathers one encounter's
transcript, newest note, sign-offs, suggestions, submission and recordings for the review page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from coding.tables import SUPERSEDED, Submission, SuggestionRecord
from review_ui.tables import EncounterAssignment
from scribe.services import get_encounter_row
from scribe.signoff import signature_chain
from scribe.tables import (
    Encounter,
    NoteDraftRecord,
    Patient,
    Recording,
    TranscriptRecord,
    TranscriptSegmentRecord,
)

MAX_LIST = 200


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def encounter_rows(session: Session, clinician: str | None) -> list[dict[str, Any]]:
    """Newest encounters first (only `clinician`'s when given), with open suggestion counts."""
    statement = (
        select(Encounter, Patient, EncounterAssignment.clinician_username)
        .join(Patient, col(Patient.id) == col(Encounter.patient_id))
        .join(
            EncounterAssignment,
            col(EncounterAssignment.encounter_id) == col(Encounter.id),
            isouter=True,
        )
        .order_by(col(Encounter.date_of_service).desc(), col(Encounter.created_at).desc())
        .limit(MAX_LIST)
    )
    if clinician is not None:
        statement = statement.where(EncounterAssignment.clinician_username == clinician)
    rows = session.exec(statement).all()
    ids = [encounter.id for encounter, _, _ in rows]
    open_counts = dict(
        session.exec(
            select(SuggestionRecord.encounter_id, func.count())
            .where(col(SuggestionRecord.encounter_id).in_(ids))
            .where(SuggestionRecord.status.in_(("open", "queried")))  # type: ignore[attr-defined]
            .group_by(SuggestionRecord.encounter_id)
        ).all()
    )
    return [
        {
            "id": encounter.id,
            "date_of_service": encounter.date_of_service,
            "status": encounter.status,
            "patient_ref": patient.external_id or patient.id[:8],
            "age": age_on(patient.birth_date, encounter.date_of_service),
            "sex": patient.sex,
            "clinician": owner or encounter.clinician,
            "open_suggestions": open_counts.get(encounter.id, 0),
        }
        for encounter, patient, owner in rows
    ]


@dataclass
class ReviewData:
    """Everything the review page shows about one encounter."""

    encounter: Encounter
    patient: Patient
    age: int
    segments: list[TranscriptSegmentRecord] = field(default_factory=list)
    note: NoteDraftRecord | None = None
    signed_versions: dict[int, Any] = field(default_factory=dict)
    suggestions: list[SuggestionRecord] = field(default_factory=list)
    submission: Submission | None = None
    recordings: list[Recording] = field(default_factory=list)

    @property
    def note_signed(self) -> bool:
        """True when the newest note version is signed (locked)."""
        return self.note is not None and self.note.version in self.signed_versions


def review_data(session: Session, encounter_id: str) -> ReviewData:
    """Read one encounter for the review page (NotFound when it does not exist)."""
    encounter = get_encounter_row(session, encounter_id)
    patient = session.get(Patient, encounter.patient_id)
    assert patient is not None  # a foreign key guarantees it
    data = ReviewData(
        encounter=encounter,
        patient=patient,
        age=age_on(patient.birth_date, encounter.date_of_service),
    )
    transcript = session.exec(
        select(TranscriptRecord)
        .where(TranscriptRecord.encounter_id == encounter_id)
        .order_by(col(TranscriptRecord.created_at).desc())
    ).first()
    if transcript is not None:
        data.segments = list(
            session.exec(
                select(TranscriptSegmentRecord)
                .where(TranscriptSegmentRecord.transcript_id == transcript.id)
                .order_by(col(TranscriptSegmentRecord.seq))
            ).all()
        )
    data.note = session.exec(
        select(NoteDraftRecord)
        .where(NoteDraftRecord.encounter_id == encounter_id)
        .order_by(col(NoteDraftRecord.version).desc())
    ).first()
    data.signed_versions = {s.version: s for s in signature_chain(session, encounter_id)}
    data.suggestions = list(
        session.exec(
            select(SuggestionRecord)
            .where(SuggestionRecord.encounter_id == encounter_id)
            .where(SuggestionRecord.status != SUPERSEDED)
            .order_by(col(SuggestionRecord.created_at), col(SuggestionRecord.position))
        ).all()
    )
    data.submission = session.exec(
        select(Submission)
        .where(Submission.encounter_id == encounter_id)
        .order_by(col(Submission.note_version).desc())
    ).first()
    data.recordings = list(
        session.exec(select(Recording).where(Recording.encounter_id == encounter_id)).all()
    )
    return data
