"""What the service core stores (SQLModel tables)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Current time, timezone-aware in UTC (the database stores UTC everywhere)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random identifier for a new row."""
    return uuid.uuid4().hex


class Patient(SQLModel, table=True):
    """A patient with the demographics the CMS-HCC model needs."""

    id: str = Field(default_factory=new_id, primary_key=True)
    external_id: str | None = Field(default=None, index=True, max_length=64)
    birth_date: date
    sex: str = Field(max_length=1)
    dual_status: str = Field(default="none", max_length=16)
    orec: str = Field(default="aged", max_length=16)
    institutional: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Encounter(SQLModel, table=True):
    """A face-to-face visit of one patient with one clinician."""

    id: str = Field(default_factory=new_id, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    clinician: str = Field(default="", max_length=128)
    date_of_service: date
    status: str = Field(default="created", max_length=32, index=True)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Recording(SQLModel, table=True):
    """An uploaded audio file of an encounter, stored on disk."""

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    storage_path: str
    sha256: str = Field(max_length=64)
    size_bytes: int
    content_type: str = Field(default="", max_length=128)
    container: str = Field(default="", max_length=64)
    duration_seconds: float = 0.0
    idempotency_key: str | None = Field(default=None, unique=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class TranscriptRecord(SQLModel, table=True):
    """The transcript of one recording (one per recording: the stage writes it once)."""

    __tablename__ = "transcript"

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    recording_id: str = Field(foreign_key="recording.id", unique=True)
    language: str = Field(default="en", max_length=8)
    duration_seconds: float = 0.0
    notices: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    provenance: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    job_id: str | None = Field(default=None, foreign_key="job.id")
    created_at: datetime = Field(default_factory=utcnow)


class TranscriptSegmentRecord(SQLModel, table=True):
    """One segment of a transcript with its speaker role and word timings."""

    __tablename__ = "transcript_segment"
    __table_args__ = (UniqueConstraint("transcript_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    transcript_id: str = Field(foreign_key="transcript.id", index=True)
    seq: int
    start: float
    end: float
    speaker: str = Field(default="unknown", max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    words: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class NoteDraftRecord(SQLModel, table=True):
    """One version of an encounter's note: sections, sentences and their evidence links."""

    __tablename__ = "note_draft"
    __table_args__ = (UniqueConstraint("encounter_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    transcript_id: str | None = Field(default=None, foreign_key="transcript.id")
    version: int
    drafter: str = Field(max_length=64)
    sections: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    provenance: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    unsupported_count: int = 0
    job_id: str | None = Field(default=None, foreign_key="job.id", unique=True)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class NoteSignature(SQLModel, table=True):
    """A clinician's sign-off of one note version: that version is locked from then on.

    `content_sha256` is the sha256 of the canonical JSON of the signed content (see
    `scribe.signoff.canonical_note_content`). A sign-off of a later version of a note that was
    already signed is an amendment and points at the signature it amends.
    """

    __tablename__ = "note_signature"
    __table_args__ = (UniqueConstraint("encounter_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True)
    note_id: str = Field(foreign_key="note_draft.id", unique=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    version: int
    content_sha256: str = Field(max_length=64)
    signer: str = Field(max_length=128)
    attestation: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: datetime = Field(default_factory=utcnow)
    amends_signature_id: str | None = Field(default=None, foreign_key="note_signature.id")


class Job(SQLModel, table=True):
    """A unit of durable background work, claimed by a worker under a lease."""

    id: str = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    encounter_id: str | None = Field(default=None, foreign_key="encounter.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    max_attempts: int = 3
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = None
    run_after: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """One append-only, hash-chained audit event."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=128, index=True)
    action: str = Field(max_length=64, index=True)
    outcome: str = Field(default="success", max_length=16)
    patient_id: str | None = Field(default=None, max_length=64, index=True)
    encounter_id: str | None = Field(default=None, max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The single row that holds the end of the audit chain (locked while appending)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)


class DeidExportRecord(SQLModel, table=True):
    """A de-identified export of an encounter and its surrogate mapping (server-side only)."""

    __tablename__ = "deid_export"

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    operator: str = Field(max_length=16)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class Consent(SQLModel, table=True):
    """Consent to record one visit: who gave it (PHI: never logged), how, to which script."""

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    patient_id: str = Field(foreign_key="patient.id", index=True)
    consented_by: str = Field(max_length=128)
    recorded_by: str = Field(max_length=128)
    script_version: str = Field(max_length=32)
    script_sha256: str = Field(max_length=64)
    method: str = Field(max_length=16)
    consented_at: datetime = Field(default_factory=utcnow)


class CaptureSession(SQLModel, table=True):
    """A recording made on a tablet and uploaded in numbered chunks while the visit goes on."""

    __tablename__ = "capture_session"

    id: str = Field(default_factory=new_id, primary_key=True)
    encounter_id: str = Field(foreign_key="encounter.id", index=True)
    consent_id: str = Field(foreign_key="consent.id")
    status: str = Field(default="open", max_length=16, index=True)
    mime_type: str = Field(max_length=128)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    last_seq: int | None = None
    recording_id: str | None = Field(default=None, foreign_key="recording.id")


class CaptureChunk(SQLModel, table=True):
    """One acknowledged chunk of a capture (its file is encrypted; deleted once assembled)."""

    __tablename__ = "capture_chunk"
    __table_args__ = (UniqueConstraint("capture_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    capture_id: str = Field(foreign_key="capture_session.id", index=True)
    seq: int
    sha256: str = Field(max_length=64)
    size_bytes: int
    storage_path: str
    received_at: datetime = Field(default_factory=utcnow)


class LiveTranscript(SQLModel, table=True):
    """Words transcribed while a capture is still recording, committed up to `committed_until`.

    `words` holds {text, start, end, probability} in recording seconds; `chunks`, `bytes_seen`
    and `audio_seconds` describe the chunk prefix last decoded (to skip decoding too little).
    """

    __tablename__ = "live_transcript"

    capture_id: str = Field(foreign_key="capture_session.id", primary_key=True)
    committed_until: float = 0.0
    words: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    chunks: int = 0
    bytes_seen: int = 0
    audio_seconds: float = 0.0
    windows: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
