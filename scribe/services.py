"""Keyword-only service functions: every write and every PHI read, each with its audit event."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import Session, col, func, select

from scribe import jobs
from scribe.audit import record_event
from scribe.contracts import Draft, NoteSection, Provenance, Segment, Transcript, Word
from scribe.recordings import StoredUpload, final_path
from scribe.schemas import EncounterCreate, PatientCreate
from scribe.tables import (
    Encounter,
    Job,
    NoteDraftRecord,
    Patient,
    Recording,
    TranscriptRecord,
    TranscriptSegmentRecord,
    new_id,
)

TRANSCRIBE_JOB = "transcribe"
DRAFT_JOB = "draft"


class NotFound(LookupError):
    """The requested row does not exist."""


class Conflict(RuntimeError):
    """The request conflicts with what is stored (e.g. an Idempotency-Key reused differently)."""


def create_patient(*, session: Session, data: PatientCreate, actor: str) -> Patient:
    """Store a patient."""
    patient = Patient(**data.model_dump())
    session.add(patient)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="patient.create",
        patient_id=patient.id,
        subject=f"patient/{patient.id}",
    )
    return patient


def create_encounter(*, session: Session, data: EncounterCreate, actor: str) -> Encounter:
    """Store an encounter of an existing patient."""
    if session.get(Patient, data.patient_id) is None:
        raise NotFound(f"patient {data.patient_id} not found")
    encounter = Encounter(
        patient_id=data.patient_id,
        clinician=data.clinician,
        date_of_service=data.date_of_service,
        context=data.context.model_dump(mode="json"),
    )
    session.add(encounter)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="encounter.create",
        patient_id=data.patient_id,
        encounter_id=encounter.id,
        subject=f"encounter/{encounter.id}",
    )
    return encounter


def get_encounter(*, session: Session, encounter_id: str, actor: str) -> Encounter:
    """Read an encounter (an audited PHI read)."""
    encounter = session.get(Encounter, encounter_id)
    if encounter is None:
        raise NotFound(f"encounter {encounter_id} not found")
    record_event(
        session,
        actor=actor,
        action="encounter.read",
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        subject=f"encounter/{encounter.id}",
    )
    return encounter


def find_recording(*, session: Session, idempotency_key: str) -> tuple[Recording, Job] | None:
    """The recording (and its transcription job) stored under an Idempotency-Key, if any."""
    recording = session.exec(
        select(Recording).where(Recording.idempotency_key == idempotency_key)
    ).first()
    if recording is None:
        return None
    job = session.exec(
        select(Job).where(
            Job.kind == TRANSCRIBE_JOB, Job.payload["recording_id"].as_string() == recording.id
        )
    ).one()
    return recording, job


def accept_recording(
    *,
    session: Session,
    encounter_id: str,
    upload: StoredUpload,
    container: str,
    duration_seconds: float,
    content_type: str,
    idempotency_key: str | None,
    recordings_dir: Path,
    actor: str,
    max_attempts: int,
) -> tuple[Recording, Job]:
    """Store an uploaded recording and queue its transcription, in the caller's transaction.

    The file is moved into place before the rows are written; if the transaction fails the caller
    removes it (see `discard_recording_file`).
    """
    encounter = session.get(Encounter, encounter_id)
    if encounter is None:
        raise NotFound(f"encounter {encounter_id} not found")
    recording_id = new_id()
    destination = final_path(recordings_dir, recording_id, Path(upload.path).suffix or ".audio")
    recordings_dir.mkdir(parents=True, exist_ok=True)
    os.replace(upload.path, destination)
    recording = Recording(
        id=recording_id,
        encounter_id=encounter_id,
        storage_path=str(destination),
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        content_type=content_type,
        container=container,
        duration_seconds=duration_seconds,
        idempotency_key=idempotency_key,
    )
    session.add(recording)
    session.flush()
    job = jobs.enqueue(
        session,
        kind=TRANSCRIBE_JOB,
        encounter_id=encounter_id,
        payload={"recording_id": recording_id},
        max_attempts=max_attempts,
    )
    encounter.status = "queued"
    session.add(encounter)
    record_event(
        session,
        actor=actor,
        action="recording.upload",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"recording/{recording_id}",
        details={"sha256": upload.sha256, "bytes": upload.size_bytes, "job_id": job.id},
    )
    return recording, job


def get_job(*, session: Session, job_id: str) -> Job:
    """A job's state (no PHI)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


def transcript_from_rows(
    record: TranscriptRecord, segments: list[TranscriptSegmentRecord]
) -> Transcript:
    """Rebuild the Transcript contract from its stored rows."""
    return Transcript(
        segments=tuple(
            Segment(
                id=row.seq,
                start=row.start,
                end=row.end,
                text=row.text,
                speaker=row.speaker,  # type: ignore[arg-type]
                words=tuple(Word(**word) for word in row.words),
            )
            for row in segments
        ),
        language=record.language,
        duration=record.duration_seconds,
        notices=tuple(record.notices),
        provenance=tuple(Provenance(**item) for item in record.provenance),
    )


def load_transcript(session: Session, transcript_id: str) -> tuple[TranscriptRecord, Transcript]:
    """A stored transcript and its contract form."""
    record = session.get(TranscriptRecord, transcript_id)
    if record is None:
        raise NotFound(f"transcript {transcript_id} not found")
    segments = session.exec(
        select(TranscriptSegmentRecord)
        .where(TranscriptSegmentRecord.transcript_id == transcript_id)
        .order_by(col(TranscriptSegmentRecord.seq))
    ).all()
    return record, transcript_from_rows(record, list(segments))


def read_transcript(
    *, session: Session, encounter_id: str, actor: str
) -> tuple[TranscriptRecord, Transcript]:
    """The latest transcript of an encounter (an audited PHI read)."""
    encounter = get_encounter_row(session, encounter_id)
    record = session.exec(
        select(TranscriptRecord)
        .where(TranscriptRecord.encounter_id == encounter_id)
        .order_by(col(TranscriptRecord.created_at).desc())
    ).first()
    if record is None:
        raise NotFound(f"encounter {encounter_id} has no transcript yet")
    record_event(
        session,
        actor=actor,
        action="transcript.read",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"transcript/{record.id}",
    )
    return load_transcript(session, record.id)


def read_note(
    *, session: Session, encounter_id: str, actor: str, version: int | None = None
) -> NoteDraftRecord:
    """A note version (latest by default) of an encounter (an audited PHI read)."""
    encounter = get_encounter_row(session, encounter_id)
    query = select(NoteDraftRecord).where(NoteDraftRecord.encounter_id == encounter_id)
    if version is not None:
        query = query.where(NoteDraftRecord.version == version)
    note = session.exec(query.order_by(col(NoteDraftRecord.version).desc())).first()
    if note is None:
        raise NotFound(
            f"encounter {encounter_id} has no note draft"
            + (f" version {version}" if version is not None else " yet")
        )
    record_event(
        session,
        actor=actor,
        action="note.read",
        patient_id=encounter.patient_id,
        encounter_id=encounter_id,
        subject=f"note/{note.id}",
        details={"version": note.version},
    )
    return note


def get_encounter_row(session: Session, encounter_id: str) -> Encounter:
    """An encounter row without an audit event (for use inside audited operations)."""
    encounter = session.get(Encounter, encounter_id)
    if encounter is None:
        raise NotFound(f"encounter {encounter_id} not found")
    return encounter


def next_note_version(session: Session, encounter_id: str) -> int:
    """The version number the next note draft of an encounter gets."""
    latest = session.exec(
        select(func.max(NoteDraftRecord.version)).where(
            NoteDraftRecord.encounter_id == encounter_id
        )
    ).one()
    return int(latest or 0) + 1


def note_record_from_draft(
    draft: Draft,
    *,
    encounter_id: str,
    transcript_id: str | None,
    version: int,
    job_id: str | None,
    created_by: str,
) -> NoteDraftRecord:
    """A note row holding a Draft contract."""
    return NoteDraftRecord(
        encounter_id=encounter_id,
        transcript_id=transcript_id,
        version=version,
        drafter=draft.drafter,
        sections=[section.model_dump(mode="json") for section in draft.sections],
        provenance=[item.model_dump(mode="json") for item in draft.provenance],
        unsupported_count=sum(1 for s in draft.sentences() if s.status == "unsupported"),
        job_id=job_id,
        created_by=created_by,
    )


def draft_from_record(note: NoteDraftRecord) -> Draft:
    """Rebuild the Draft contract from a stored note version."""
    return Draft(
        sections=tuple(NoteSection.model_validate(section) for section in note.sections),
        drafter=note.drafter,
        provenance=tuple(Provenance.model_validate(item) for item in note.provenance),
    )
